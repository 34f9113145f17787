import NetProbe

/// Replaces the addresses and names that identify a network with stable placeholders, so a bundle can go to a
/// ticket outside the organisation. Pure: the same inputs give the same outputs, and one redactor used for every file
/// of a bundle gives the same original the same placeholder everywhere. The map from placeholder to original is
/// never written anywhere.
///
/// Addresses: every IPv4 and IPv6 address in the text (inside words like `src=`, `[..]:443`, `/24`, `%eth0`, JSON
/// strings) that is outside the private and special ranges (`isKept`) becomes a documentation address. Its network
/// is replaced and its host part kept, so subnets still line up: each public IPv4 /24 becomes 203.0.113.0/24, then
/// 198.51.100.0/24, 192.0.2.0/24, then 240.0.0.0/24 onwards (reserved, class E), keeping the last byte
/// (8.8.8.8 → 203.0.113.8, 8.8.8.0/24 → 203.0.113.0/24); each public IPv6 /64 becomes 2001:db8:0:N::/64, keeping
/// the interface identifier. So the result still parses as an address (JSON stays valid against the schema, a pcap
/// can be rewritten byte for byte), and an address in those ranges in the input is replaced too: every one in the
/// output is a placeholder.
///
/// MAC addresses (`MACPlaceholders`): every unicast MAC written as `aa:bb:cc:dd:ee:ff` (any case) becomes
/// `02:00:00:00:00:NN`, from the one map the pcap rewrite uses too (`replacement(forMAC:)`), so a station has one
/// placeholder in the capture and in the text. An IPv6 interface identifier made from a MAC (modified EUI-64,
/// `…:5054:ff:fe12:3456`) names that MAC even inside a kept prefix (`fe80::`, a ULA): it becomes the identifier of
/// the MAC's placeholder (`fe80::ff:fe00:1`), whatever happens to the prefix. A tunnel's link address, written the
/// same way, is its endpoint's IPv4 (4 bytes) or IPv6 (16 bytes) address and goes through the address rules.
/// Multicast stays, except that a solicited-node address (`ff02::1:ff12:3456`, `33:33:ff:12:34:56`) ends in the last
/// three bytes of the address it solicits: when a known MAC ends in them, they follow its placeholder
/// (`ff02::1:ff00:1`). `BundleWriter` lets the redactor see every part once first, so the order of the files does
/// not matter.
///
/// Names: each given name as a whole word, without regard to case, also as the tail of a longer name
/// (`db.corp.example.com` with the domain `corp.example.com` gives `db.domain-1.example`), becomes
/// `host-N.example` (host names) or `domain-N.example` (domains). Names that identify nothing (`localhost`) stay.
public struct Redactor: Sendable {
  /// How many distinct addresses, names and MACs were replaced so far.
  public private(set) var replacedAddresses = 0
  public private(set) var replacedNames = 0
  public var replacedMACs: Int { macs.count }

  private var addressMap: [IPAddress: IPAddress] = [:]
  private var macs = MACPlaceholders()
  /// Public /24s (IPv4) and /64s (IPv6) by their placeholder number, in order of first sight.
  private var ipv4Networks: [[UInt8]: Int] = [:]
  private var ipv6Networks: [[UInt8]: UInt32] = [:]
  /// The names to look for, lowercased, longest first (so `a.b.c` wins over `b.c`), with their placeholders.
  private let names: [(bytes: [UInt8], placeholder: String)]
  private var namesFound: Set<String> = []

  /// Names left as they are: they say nothing about the network.
  public static let harmlessNames: Set<String> = [
    "localhost", "localhost.localdomain", "localdomain", "localhost6", "localhost6.localdomain6", "ip6-localhost",
    "ip6-loopback", "ip6-localnet", "ip6-mcastprefix", "ip6-allnodes", "ip6-allrouters", "ip6-allhosts", "example",
  ]

  /// - Parameters:
  ///   - hostNames: names of machines (the target, its hosts-file aliases, this machine's name).
  ///   - domains: domain names (resolv.conf's search list).
  ///
  /// Placeholders are numbered in the order the names are given (the first host name is `host-1.example`).
  public init(hostNames: [String] = [], domains: [String] = []) {
    var seen: Set<String> = []
    var names: [(bytes: [UInt8], placeholder: String)] = []
    var hosts = 0, domainCount = 0
    for (name, isDomain) in hostNames.map({ ($0, false) }) + domains.map({ ($0, true) }) {
      let normalized = Self.normalized(name)
      guard !normalized.isEmpty, !Self.harmlessNames.contains(normalized), IPAddress(normalized) == nil,
            seen.insert(normalized).inserted else { continue }
      let placeholder: String
      if isDomain {
        domainCount += 1
        placeholder = "domain-\(domainCount).example"
      } else {
        hosts += 1
        placeholder = "host-\(hosts).example"
      }
      names.append((Array(normalized.utf8), placeholder))
    }
    self.names = names.sorted { $0.bytes.count > $1.bytes.count }
  }

  /// The placeholder a name gets (whether or not a text held it yet); nil for a name this redactor does not hide.
  public func placeholder(forName name: String) -> String? {
    let wanted = Array(Self.normalized(name).utf8)
    return names.first { $0.bytes == wanted }?.placeholder
  }

  /// The text with its names, then its addresses, replaced.
  public mutating func redact(_ text: String) -> String {
    var bytes = Array(text.utf8)
    if !names.isEmpty { bytes = redactNames(bytes) }
    bytes = redactAddresses(bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// The placeholder for an address, or the address itself when it is kept and its interface identifier was not
  /// made from a MAC. An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`) is mapped through its IPv4 address, so both
  /// spellings agree.
  public mutating func replacement(for address: IPAddress) -> IPAddress {
    // A solicited-node address ends in the last three bytes of the address it solicits: for an EUI-64 address,
    // three bytes of a MAC, which follow that MAC's placeholder. Not kept in the map: a MAC seen later may claim it.
    if case let .v6(bytes) = address, Self.isSolicitedNode(bytes) {
      return macs.placeholderTail(for: bytes[13...]).map { .v6(Array(bytes.prefix(13)) + $0) } ?? address
    }
    if let known = addressMap[address] { return known }
    var placeholder: IPAddress
    if case let .v6(bytes) = address, let v4 = Self.mappedIPv4(bytes) {
      placeholder = .v6(Array(bytes.prefix(12)) + replacement(for: v4).bytes)
    } else if Self.isKept(address) {
      placeholder = address
    } else if case let .v4(a, b, c, d) = address {
      let network = ipv4Networks[[a, b, c]] ?? ipv4Networks.count
      ipv4Networks[[a, b, c]] = network
      let replaced = Self.ipv4Network(network)
      placeholder = .v4(replaced.0, replaced.1, replaced.2, d)
    } else {
      let bytes = address.bytes
      let prefix = Array(bytes.prefix(8))
      let network = ipv6Networks[prefix] ?? UInt32(ipv6Networks.count + 1)
      ipv6Networks[prefix] = network
      placeholder = .v6([0x20, 0x01, 0x0d, 0xb8] + withUnsafeBytes(of: network.bigEndian) { Array($0) } + bytes.suffix(8))
    }
    if case let .v6(bytes) = placeholder, Self.hasInterfaceIdentifier(bytes),
       let mac = MACPlaceholders.mac(fromInterfaceIdentifier: bytes[8...]) {
      placeholder = .v6(Array(bytes.prefix(8)) + MACPlaceholders.interfaceIdentifier(of: replacement(forMAC: mac)))
    }
    // A kept address without a MAC in it is not a replacement (an address in a placeholder range may map to itself).
    if placeholder == address && Self.isKept(address) { return address }
    addressMap[address] = placeholder
    replacedAddresses += 1
    return placeholder
  }

  /// The placeholder of a MAC (six bytes), from the map the whole bundle shares; a group or all-zero MAC stays.
  public mutating func replacement(forMAC mac: [UInt8]) -> [UInt8] {
    macs.replacement(for: mac)
  }

  /// `ff02::1:ffXX:XXXX` (RFC 4291 2.7.1).
  static func isSolicitedNode(_ bytes: [UInt8]) -> Bool {
    bytes.count == 16 && bytes[0] == 0xff && bytes[1] == 0x02 && bytes[2..<11].allSatisfy { $0 == 0 } && bytes[11] == 1 && bytes[12] == 0xff
  }

  /// Whether an IPv6 address's last 8 bytes are an interface identifier: not ::, loopback, multicast (a group id) or
  /// an IPv4-mapped or -compatible address (an IPv4 address).
  static func hasInterfaceIdentifier(_ bytes: [UInt8]) -> Bool {
    bytes.count == 16 && bytes[0] != 0xff && !bytes[0..<10].allSatisfy { $0 == 0 }
  }

  /// Whether an address stays as it is: private, local or special-purpose, so it identifies nothing outside.
  ///
  /// IPv4: 0/8, 10/8, 100.64/10 (shared CGNAT), 127/8, 169.254/16, 172.16/12, 192.0.0/24 (IETF protocol), 192.168/16,
  /// 198.18/15 (benchmarking, the lab), 224/4 (multicast), 241/8 to 255/8 (reserved, broadcast and netmasks).
  /// IPv6: ::, ::1, fe80::/10, fc00::/7 (ULA), ff00::/8 (multicast), and an IPv4-mapped or -compatible address
  /// whose IPv4 address is kept. The documentation ranges are not kept: placeholders come from them.
  public static func isKept(_ address: IPAddress) -> Bool {
    switch address {
    case let .v4(a, b, _, _):
      switch a {
      case 0, 10, 127: return true
      case 100: return b & 0xc0 == 64
      case 169: return b == 254
      case 172: return b & 0xf0 == 16
      case 192: return b == 168 || (b == 0 && address.bytes[2] == 0)
      case 198: return b & 0xfe == 18
      case 224...239, 241...255: return true
      default: return false
      }
    case let .v6(bytes):
      if let v4 = mappedIPv4(bytes) { return isKept(v4) }
      if bytes.allSatisfy({ $0 == 0 }) || address.isLoopback { return true }
      if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return true }
      if bytes[0] & 0xfe == 0xfc || bytes[0] == 0xff { return true }
      // ::a.b.c.d (deprecated IPv4-compatible)
      if bytes[0..<12].allSatisfy({ $0 == 0 }) { return isKept(.v4(bytes[12], bytes[13], bytes[14], bytes[15])) }
      return false
    }
  }

  /// The placeholder /24 for the `index`th public /24: 203.0.113, 198.51.100, 192.0.2, then 240.0.0 onwards.
  static func ipv4Network(_ index: Int) -> (UInt8, UInt8, UInt8) {
    let documentation: [(UInt8, UInt8, UInt8)] = [(203, 0, 113), (198, 51, 100), (192, 0, 2)]
    if index < documentation.count { return documentation[index] }
    let network = (index - documentation.count) & 0xffff
    return (240, UInt8(network >> 8), UInt8(network & 0xff))
  }

  static func mappedIPv4(_ bytes: [UInt8]) -> IPAddress? {
    guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return nil }
    return .v4(bytes[12], bytes[13], bytes[14], bytes[15])
  }

  /// Lowercased, without a final dot.
  static func normalized(_ name: String) -> String {
    var text = name.lowercased()
    while text.hasSuffix(".") { text.removeLast() }
    return text
  }

  // MARK: - Names

  /// A byte that continues a host-name label (letters, digits, `-`, `_`, and UTF-8 of international names).
  static func isNameByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
         UInt8(ascii: "-"), UInt8(ascii: "_"), 0x80...0xff: true
    default: false
    }
  }

  private static func lower(_ byte: UInt8) -> UInt8 {
    byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
  }

  private mutating func redactNames(_ text: [UInt8]) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(text.count)
    var index = 0
    while index < text.count {
      // A name starts at the start of the text, after a character that is not part of a name, or after a dot
      // (then it is the tail of a longer name).
      let startsWord = index == 0 || !Self.isNameByte(text[index - 1])
      if startsWord, let (length, placeholder) = nameMatch(in: text, at: index) {
        output += placeholder.utf8
        index += length
        continue
      }
      output.append(text[index])
      index += 1
    }
    return output
  }

  /// The longest name at `index` that ends the word: followed by the end, a non-name character, or a dot that does
  /// not start another label (a sentence's or an FQDN's final dot).
  private mutating func nameMatch(in text: [UInt8], at index: Int) -> (Int, String)? {
    for (name, placeholder) in names where index + name.count <= text.count {
      var matches = true
      for offset in 0..<name.count where Self.lower(text[index + offset]) != name[offset] {
        matches = false
        break
      }
      guard matches else { continue }
      let end = index + name.count
      if end < text.count {
        if Self.isNameByte(text[end]) { continue }
        if text[end] == UInt8(ascii: "."), end + 1 < text.count, Self.isNameByte(text[end + 1]) { continue }
      }
      if namesFound.insert(placeholder).inserted { replacedNames += 1 }
      return (name.count, placeholder)
    }
    return nil
  }

  // MARK: - Addresses

  /// Hex digits, `:` and `.`: the characters an address is written with.
  private static func isAddressByte(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"), UInt8(ascii: "A")...UInt8(ascii: "F"),
         UInt8(ascii: ":"), UInt8(ascii: "."): true
    default: false
    }
  }

  /// A letter (or UTF-8 of one) next to an address run makes it part of a word.
  private static func isLetter(_ byte: UInt8) -> Bool {
    switch byte {
    case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), 0x80...0xff: true
    default: false
    }
  }

  private mutating func redactAddresses(_ text: [UInt8]) -> [UInt8] {
    var output: [UInt8] = []
    output.reserveCapacity(text.count)
    var index = 0
    while index < text.count {
      guard Self.isAddressByte(text[index]) else {
        output.append(text[index])
        index += 1
        continue
      }
      var end = index
      while end < text.count && Self.isAddressByte(text[end]) { end += 1 }
      let run = Array(text[index..<end])
      // A run glued to a word (`v1.2.3.4`, `host1.2.3.4.example`) is a version or a name, not an address.
      let glued = (index > 0 && Self.isLetter(text[index - 1])) || (end < text.count && Self.isLetter(text[end]))
      if !glued, let (length, replaced) = leadingLinkAddress(in: run) {
        output += replaced.utf8
        output += run[length...]
      } else if !glued, let (length, address) = Self.leadingAddress(in: run) {
        let replaced = replacement(for: address)
        output += replaced == address ? Array(run[0..<length]) : Array(replaced.description.utf8)
        output += run[length...]
      } else {
        output += run
      }
      index = end
    }
    return output
  }

  /// A run that is a link address (`52:54:00:12:34:56`, possibly ending a sentence or a label with `.` or `:`): its
  /// length and what replaces it. A MAC becomes its placeholder; a tunnel's link address (4 or 16 bytes) is its
  /// endpoint's address and goes through `replacement(for:)`, written back the same way. Other lengths (InfiniBand's
  /// 20 bytes) are not link addresses this redactor knows.
  private mutating func leadingLinkAddress(in run: [UInt8]) -> (Int, String)? {
    var length = run.count
    if length > 0 && (run[length - 1] == UInt8(ascii: ".") || run[length - 1] == UInt8(ascii: ":")) { length -= 1 }
    guard let bytes = MACPlaceholders.linkAddress(in: run[0..<length]) else { return nil }
    let replaced: [UInt8]
    switch bytes.count {
    case 6: replaced = replacement(forMAC: bytes)
    case 4, 16:
      guard let address = IPAddress(bytes: bytes) else { return nil }
      replaced = replacement(for: address).bytes
    default: return nil
    }
    // What stays is written as it was (its case too).
    return (length, replaced == bytes ? String(decoding: run[0..<length], as: UTF8.self) : MACPlaceholders.text(replaced))
  }

  /// The address a run of address characters starts with, and its length: the whole run, the run without a final
  /// `.` or `:` (end of a sentence, `addr: ...`), or an IPv4 address before `:port`.
  static func leadingAddress(in run: [UInt8]) -> (Int, IPAddress)? {
    var candidates = [run.count]
    var trimmed = run.count
    while trimmed > 0 && (run[trimmed - 1] == UInt8(ascii: ".") || run[trimmed - 1] == UInt8(ascii: ":")) {
      trimmed -= 1
      candidates.append(trimmed)
    }
    if let colon = run.firstIndex(of: UInt8(ascii: ":")), !run[..<colon].contains(where: { !($0 == UInt8(ascii: ".") || (0x30...0x39).contains($0)) }) {
      candidates.append(colon)  // 198.51.100.7:443
    }
    for length in candidates where length >= 2 {
      let text = String(decoding: run[0..<length], as: UTF8.self)
      // inet_pton accepts only the full forms: a.b.c.d with four decimal parts, or IPv6 with or without ::.
      if text.contains(":") || text.split(separator: ".").count == 4, let address = IPAddress(text) {
        // `::` alone and bare `1::` style runs inside timestamps are addresses to inet_pton; `::` is kept anyway.
        return (length, address)
      }
    }
    return nil
  }
}
