/// Real MAC addresses and their placeholders: locally administered `02:00:00:00:00:01`, `…:02`, … in order of first
/// sight. One map serves a whole bundle (it lives in the `Redactor`): the pcap's frames and neighbour-discovery
/// options, the text files, and the EUI-64 interface identifiers derived from MACs, so one station has one
/// placeholder in every file. Group addresses (broadcast, multicast) and the all-zero address identify nothing and
/// stay. Mapped rather than zeroed, so stations can still be told apart (a reset from another station than the one
/// that answered the SYN is evidence).
struct MACPlaceholders: Sendable {
  private var placeholders: [[UInt8]: [UInt8]] = [:]

  /// How many distinct MACs have a placeholder.
  var count: Int { placeholders.count }

  /// Unicast and not all zeros: a MAC that names a station.
  static func identifiesAStation(_ mac: [UInt8]) -> Bool {
    mac.count == 6 && mac[0] & 1 == 0 && mac.contains { $0 != 0 }
  }

  /// The placeholder of a six-byte MAC, or the MAC itself when it names no station. A solicited-node multicast MAC
  /// (`33:33:ff:XX:XX:XX`) ends in the last three bytes of the address it solicits, so of a MAC when that address
  /// is an EUI-64 one: those three bytes follow that MAC's placeholder.
  mutating func replacement(for mac: [UInt8]) -> [UInt8] {
    if mac.count == 6, mac[0] == 0x33, mac[1] == 0x33, mac[2] == 0xff {
      return placeholderTail(for: mac[3...]).map { [0x33, 0x33, 0xff] + $0 } ?? mac
    }
    guard Self.identifiesAStation(mac) else { return mac }
    if let known = placeholders[mac] { return known }
    let number = placeholders.count + 1
    let placeholder: [UInt8] = [0x02, 0, 0, UInt8((number >> 16) & 0xff), UInt8((number >> 8) & 0xff), UInt8(number & 0xff)]
    placeholders[mac] = placeholder
    return placeholder
  }

  /// The last three bytes of the placeholder of the known MAC that ends in `tail`; nil when none does. Several
  /// (a rare clash of the last three bytes) give the lowest placeholder, so the answer does not depend on the map's
  /// order.
  func placeholderTail(for tail: ArraySlice<UInt8>) -> [UInt8]? {
    let wanted = Array(tail)
    guard wanted.count == 3 else { return nil }
    return placeholders.filter { Array($0.key.suffix(3)) == wanted }.map { Array($0.value.suffix(3)) }
      .min { $0.lexicographicallyPrecedes($1) }
  }

  // MARK: EUI-64

  /// The MAC an IPv6 interface identifier (an address's last 8 bytes) was made from by modified EUI-64
  /// (RFC 4291 appendix A: `mac[0] ^ 2, mac[1], mac[2], ff, fe, mac[3], mac[4], mac[5]`); nil when the identifier
  /// is not of that form or the MAC would name no station.
  static func mac(fromInterfaceIdentifier identifier: ArraySlice<UInt8>) -> [UInt8]? {
    let id = Array(identifier)
    guard id.count == 8, id[3] == 0xff, id[4] == 0xfe else { return nil }
    let mac = [id[0] ^ 0x02, id[1], id[2], id[5], id[6], id[7]]
    return identifiesAStation(mac) ? mac : nil
  }

  /// The modified EUI-64 interface identifier of a MAC.
  static func interfaceIdentifier(of mac: [UInt8]) -> [UInt8] {
    [mac[0] ^ 0x02, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]]
  }

  // MARK: Text

  /// The bytes of a link address written as two hex digits per byte between colons (`52:54:00:12:34:56`, any
  /// case), as `ip` and nettriage print it; nil for any other text.
  static func linkAddress(in text: ArraySlice<UInt8>) -> [UInt8]? {
    guard (text.count + 1) % 3 == 0 else { return nil }
    var bytes: [UInt8] = []
    var index = text.startIndex
    while index < text.endIndex {
      guard let high = hexValue(text[index]), let low = hexValue(text[index + 1]) else { return nil }
      bytes.append(high << 4 | low)
      index += 2
      if index < text.endIndex {
        guard text[index] == UInt8(ascii: ":") else { return nil }
        index += 1
      }
    }
    return bytes
  }

  /// `02:00:00:00:00:01`: lowercase, as nettriage prints MACs.
  static func text(_ bytes: [UInt8]) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    for (index, byte) in bytes.enumerated() {
      if index > 0 { text.append(UInt8(ascii: ":")) }
      text += [digits[Int(byte >> 4)], digits[Int(byte & 0x0f)]]
    }
    return String(decoding: text, as: UTF8.self)
  }

  private static func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
  }
}
