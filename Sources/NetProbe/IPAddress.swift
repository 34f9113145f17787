#if canImport(Glibc)
import Glibc
#endif

/// An IPv4 or IPv6 address, parsed and printed by the system (`inet_pton(3)`, `inet_ntop(3)`).
public enum IPAddress: Hashable, Sendable, CustomStringConvertible, Codable {
  /// Four bytes in network order.
  case v4(UInt8, UInt8, UInt8, UInt8)
  /// Sixteen bytes in network order.
  case v6([UInt8])

  /// Parses a numeric address without any zone suffix; nil when the text is not one.
  public init?(_ text: String) {
    var v4 = in_addr()
    if inet_pton(AF_INET, text, &v4) == 1 {
      self.init(v4)
      return
    }
    var v6 = in6_addr()
    if inet_pton(AF_INET6, text, &v6) == 1 {
      self.init(v6)
      return
    }
    return nil
  }

  public init(_ address: in_addr) {
    let b = withUnsafeBytes(of: address) { Array($0) }
    self = .v4(b[0], b[1], b[2], b[3])
  }

  public init(_ address: in6_addr) {
    self = .v6(withUnsafeBytes(of: address) { Array($0) })
  }

  /// The address bytes in network order (4 or 16).
  public var bytes: [UInt8] {
    switch self {
    case let .v4(a, b, c, d): return [a, b, c, d]
    case let .v6(bytes): return bytes
    }
  }

  public var family: AddressFamily { if case .v4 = self { .ipv4 } else { .ipv6 } }

  public var isLoopback: Bool {
    switch self {
    case let .v4(a, _, _, _): return a == 127
    case let .v6(b): return b == [UInt8](repeating: 0, count: 15) + [1] || isV4MappedLoopback(b)
    }
  }

  /// 0.0.0.0 or ::, "any address"; checked without building the byte array (the capture asks for every packet).
  public var isUnspecified: Bool {
    switch self {
    case let .v4(a, b, c, d): return a | b | c | d == 0
    case let .v6(bytes): return bytes.allSatisfy { $0 == 0 }
    }
  }

  /// fe80::/10: needs a zone (interface) to be used.
  public var isLinkLocal: Bool {
    switch self {
    case let .v4(a, b, _, _): return a == 169 && b == 254
    case let .v6(b): return b[0] == 0xfe && (b[1] & 0xc0) == 0x80
    }
  }

  private func isV4MappedLoopback(_ b: [UInt8]) -> Bool {
    b[0..<10].allSatisfy { $0 == 0 } && b[10] == 0xff && b[11] == 0xff && b[12] == 127
  }

  var inAddr: in_addr {
    var address = in_addr()
    withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
    return address
  }

  var in6Addr: in6_addr {
    var address = in6_addr()
    withUnsafeMutableBytes(of: &address) { $0.copyBytes(from: bytes) }
    return address
  }

  public var description: String {
    var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
    switch self {
    case .v4:
      var address = inAddr
      inet_ntop(AF_INET, &address, &buffer, socklen_t(buffer.count))
    case .v6:
      var address = in6Addr
      inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count))
    }
    return String(nulTerminated: buffer)
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let address = IPAddress(text) else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not an IP address: \(text)"))
    }
    self = address
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

/// The address families a probe can use.
public enum AddressFamily: String, Hashable, Sendable, Codable, CaseIterable {
  case ipv4, ipv6

  var cValue: Int32 { self == .ipv4 ? AF_INET : AF_INET6 }
}
