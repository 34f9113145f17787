/// An IPv4 or IPv6 prefix: an address with a prefix length, and the arithmetic a technician does by hand
/// (network ID, broadcast, first and last host, contains, prefix from a dotted mask).
public struct Subnet: Hashable, Sendable, Codable, CustomStringConvertible {
  /// The address as given (it may have host bits set, e.g. an interface address 198.18.1.10/24).
  public var address: IPAddress
  public var prefixLength: Int

  /// nil when the prefix length does not fit the family (IPv4 0...32, IPv6 0...128).
  public init?(address: IPAddress, prefixLength: Int) {
    guard (0...address.bitCount).contains(prefixLength) else { return nil }
    self.address = address
    self.prefixLength = prefixLength
  }

  /// Parses `ADDR/PREFIX`, `ADDR/MASK` (IPv4 dotted mask) or a bare address (a host prefix).
  public init?(_ text: String) {
    let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
    guard let address = IPAddress(String(parts[0])) else { return nil }
    guard parts.count == 2 else {
      self.init(address: address, prefixLength: address.bitCount)
      return
    }
    if let length = Int(parts[1]), parts[1].allSatisfy(\.isASCII) {
      self.init(address: address, prefixLength: length)
    } else if let mask = IPAddress(String(parts[1])), mask.family == address.family, let length = Subnet.prefixLength(ofMask: mask) {
      self.init(address: address, prefixLength: length)
    } else {
      return nil
    }
  }

  public var family: AddressFamily { address.family }

  /// The netmask: prefix-length one bits, then zero bits.
  public var mask: IPAddress { IPAddress(bytes: Subnet.maskBytes(prefixLength, count: address.bytes.count))! }

  /// The network ID: the address with the host bits cleared.
  public var network: IPAddress {
    IPAddress(bytes: zip(address.bytes, mask.bytes).map { $0 & $1 })!
  }

  /// The last address of the prefix (the IPv4 broadcast; IPv6 has no broadcast, but the range ends here).
  public var last: IPAddress {
    IPAddress(bytes: zip(address.bytes, mask.bytes).map { $0 | ~$1 })!
  }

  /// The IPv4 broadcast address; nil for IPv6 and for /31 and /32, which have none.
  public var broadcast: IPAddress? {
    family == .ipv4 && prefixLength <= 30 ? last : nil
  }

  /// The number of host bits (32 or 128 minus the prefix length).
  public var hostBits: Int { address.bitCount - prefixLength }

  /// The number of addresses in the prefix; nil when it is 2^64 or more (big IPv6 prefixes).
  public var addressCount: UInt64? {
    hostBits >= 64 ? nil : UInt64(1) << UInt64(hostBits)
  }

  /// Whether `other` lies inside this prefix (same family, same network bits).
  public func contains(_ other: IPAddress) -> Bool {
    guard other.family == family else { return false }
    return zip(other.bytes, mask.bytes).map { $0 & $1 } == network.bytes
  }

  /// Whether the address is the network ID or the broadcast of an IPv4 prefix that has them (/0-/30).
  public func isNetworkOrBroadcast(_ other: IPAddress) -> Bool {
    family == .ipv4 && prefixLength <= 30 && (other == network || other == last)
  }

  /// `198.18.1.10/24`
  public var description: String { "\(address)/\(prefixLength)" }

  /// The prefix length of a contiguous mask (255.255.255.0 → 24); nil when the one bits are not contiguous.
  public static func prefixLength(ofMask mask: IPAddress) -> Int? {
    var length = 0
    var seenZero = false
    for byte in mask.bytes {
      for bit in (0..<8).reversed() {
        if byte & (1 << bit) != 0 {
          if seenZero { return nil }
          length += 1
        } else {
          seenZero = true
        }
      }
    }
    return length
  }

  static func maskBytes(_ length: Int, count: Int) -> [UInt8] {
    (0..<count).map { index in
      let bits = min(8, max(0, length - index * 8))
      return bits == 0 ? 0 : UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
    }
  }
}

extension IPAddress {
  /// 32 or 128.
  public var bitCount: Int { family == .ipv4 ? 32 : 128 }

  /// Builds an address from 4 or 16 bytes in network order; nil for any other count.
  public init?(bytes: [UInt8]) {
    switch bytes.count {
    case 4: self = .v4(bytes[0], bytes[1], bytes[2], bytes[3])
    case 16: self = .v6(bytes)
    default: return nil
    }
  }
}
