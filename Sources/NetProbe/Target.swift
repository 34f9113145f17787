/// What the user asked to reach: a host and port (typed, telnet style, or from a URL) or a unix-domain socket.
public enum Target: Hashable, Sendable, Codable, CustomStringConvertible {
  case inet(InternetTarget)
  case unix(path: String)

  public var description: String {
    switch self {
    case let .inet(target): return target.description
    case let .unix(path): return "unix:\(path)"
    }
  }
}

/// The host part of a target: a name to resolve, or a numeric address that skips the resolver.
public enum TargetHost: Hashable, Sendable, Codable, CustomStringConvertible {
  case name(String)
  /// A numeric address; `zone` is the IPv6 zone id as typed (`eth0` or `2`), for link-local addresses.
  case address(IPAddress, zone: String?)

  public var description: String {
    switch self {
    case let .name(name): return name
    case let .address(address, zone?): return "\(address)%\(zone)"
    case let .address(address, nil): return address.description
    }
  }
}

/// A host and port, with where the port came from.
public struct InternetTarget: Hashable, Sendable, Codable, CustomStringConvertible {
  public var host: TargetHost
  public var port: UInt16
  /// The service name the port came from (`https` from `host:https` or from an `https://` URL), if any.
  public var service: String?
  /// The URL scheme when the target was pasted as a URL.
  public var scheme: String?

  public init(host: TargetHost, port: UInt16, service: String? = nil, scheme: String? = nil) {
    self.host = host
    self.port = port
    self.service = service
    self.scheme = scheme
  }

  /// `host:port`, with brackets around an IPv6 address.
  public var description: String {
    if case let .address(address, _) = host, address.family == .ipv6 {
      return "[\(host)]:\(port)"
    }
    return "\(host):\(port)"
  }
}

extension InternetTarget {
  /// The zone when it names no interface on this host (a typo, or an interface that is gone); nil otherwise.
  public var unknownZone: String? {
    guard case let .address(_, zone?) = host, UInt32(zone) == nil, interfaceIndex(named: zone) == 0 else { return nil }
    return zone
  }

  /// The socket addresses to try for these resolved addresses, carrying the zone of a link-local IPv6 target.
  public func socketAddresses(_ addresses: [IPAddress]) -> [SocketAddress] {
    var scope: UInt32 = 0
    if case let .address(_, zone?) = host {
      scope = UInt32(zone) ?? interfaceIndex(named: zone)
    }
    return addresses.map { SocketAddress($0, port: port, scopeID: $0.family == .ipv6 ? scope : 0) }
  }
}
