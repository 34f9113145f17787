#if canImport(Glibc)
import Glibc
#endif

/// An IP address with a port and, for link-local IPv6, the zone (interface index).
///
/// Prints as `127.0.0.1:80`, `[::1]:80`, `[fe80::1%eth0]:22`; encodes to JSON as that text.
public struct SocketAddress: Hashable, Sendable, CustomStringConvertible, Codable {
  public var address: IPAddress
  public var port: UInt16
  /// The IPv6 scope (interface index); 0 when none.
  public var scopeID: UInt32

  public init(_ address: IPAddress, port: UInt16, scopeID: UInt32 = 0) {
    self.address = address
    self.port = port
    self.scopeID = scopeID
  }

  public var family: AddressFamily { address.family }

  /// The zone as an interface name, when the scope names one.
  public var zoneName: String? {
    guard scopeID != 0 else { return nil }
    var buffer = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
    if if_indextoname(scopeID, &buffer) != nil { return String(nulTerminated: buffer) }
    return String(scopeID)
  }

  /// The address with its zone, without the port: `fe80::1%eth0`.
  public var host: String {
    if let zone = zoneName { return "\(address)%\(zone)" }
    return address.description
  }

  public var description: String {
    switch address {
    case .v4: return "\(address):\(port)"
    case .v6: return "[\(host)]:\(port)"
    }
  }

  /// Reads a `sockaddr_in` or `sockaddr_in6`; nil for any other family.
  init?(storage: UnsafeRawPointer) {
    let family = storage.load(as: sockaddr.self).sa_family
    switch Int32(family) {
    case AF_INET:
      let v4 = storage.load(as: sockaddr_in.self)
      self.init(IPAddress(v4.sin_addr), port: UInt16(bigEndian: v4.sin_port))
    case AF_INET6:
      let v6 = storage.load(as: sockaddr_in6.self)
      self.init(IPAddress(v6.sin6_addr), port: UInt16(bigEndian: v6.sin6_port), scopeID: v6.sin6_scope_id)
    default:
      return nil
    }
  }

  /// Calls `body` with this address as a C `sockaddr` and its length.
  func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
    switch address {
    case .v4:
      var v4 = sockaddr_in()
      v4.sin_family = sa_family_t(AF_INET)
      v4.sin_port = port.bigEndian
      v4.sin_addr = address.inAddr
      return try withUnsafePointer(to: &v4) {
        try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
    case .v6:
      var v6 = sockaddr_in6()
      v6.sin6_family = sa_family_t(AF_INET6)
      v6.sin6_port = port.bigEndian
      v6.sin6_addr = address.in6Addr
      v6.sin6_scope_id = scopeID
      return try withUnsafePointer(to: &v6) {
        try $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
      }
    }
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let parsed = SocketAddress(parsing: text) else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a socket address: \(text)"))
    }
    self = parsed
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }

  /// Parses the printed form back (`1.2.3.4:80`, `[::1]:80`, `[fe80::1%eth0]:22`).
  public init?(parsing text: String) {
    if text.hasPrefix("[") {
      guard let close = text.lastIndex(of: "]"),
            text[text.index(after: close)...].hasPrefix(":"),
            let port = UInt16(text[text.index(close, offsetBy: 2)...]) else { return nil }
      var host = String(text[text.index(after: text.startIndex)..<close])
      var scope: UInt32 = 0
      if let percent = host.firstIndex(of: "%") {
        let zone = String(host[host.index(after: percent)...])
        host = String(host[..<percent])
        scope = UInt32(zone) ?? interfaceIndex(named: zone)
      }
      guard let address = IPAddress(host), address.family == .ipv6 else { return nil }
      self.init(address, port: port, scopeID: scope)
    } else {
      guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]),
            let address = IPAddress(String(text[..<colon])), address.family == .ipv4 else { return nil }
      self.init(address, port: port)
    }
  }
}

/// The index of the interface with this name; 0 when there is none. The corresponding C function is
/// `if_nametoindex(3)`.
func interfaceIndex(named name: String) -> UInt32 { if_nametoindex(name) }
