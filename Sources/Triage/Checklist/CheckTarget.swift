import NetProbe

/// What `check` looks at: the target as typed and parsed, and the transport to test it with.
public struct CheckTarget: Codable, Sendable, Hashable {
  public var text: String
  public var target: Target
  public var transport: Evidence.Transport

  public init(text: String, target: Target, transport: Evidence.Transport) {
    self.text = text
    self.target = target
    self.transport = transport
  }

  /// Parses a target as typed (`HOST:PORT`, `HOST PORT` with `port` apart, a URL, `unix:/path`) and checks what the
  /// parser cannot: an IPv6 zone must name an interface of this host. A unix path is always tested as unix; otherwise
  /// `transport` (TCP when asked for unix). The command line and the screen's target field both come through here.
  public static func parse(_ text: String, port: String? = nil, transport: Evidence.Transport) throws(CheckTargetError) -> CheckTarget {
    let parsed: Target
    do { parsed = try Target.parse(text, port: port) } catch { throw CheckTargetError(message: error.description, isSyntax: true) }
    if case let .inet(internet) = parsed, let zone = internet.unknownZone {
      throw CheckTargetError(message: "no interface named \"\(zone)\" on this host: use one listed in /sys/class/net, e.g. %eth0",
                             isSyntax: false)
    }
    let kind: Evidence.Transport = if case .unix = parsed { .unix } else { transport == .unix ? .tcp : transport }
    return CheckTarget(text: text + (port.map { " " + $0 } ?? ""), target: parsed, transport: kind)
  }

  /// The host and port, for TCP and UDP targets.
  public var internet: InternetTarget? {
    if case let .inet(internet) = target { return internet }
    return nil
  }

  public var isName: Bool {
    if case .name = internet?.host { return true }
    return false
  }

  /// A numeric loopback address, or the name `localhost`: nothing beyond this host is involved.
  public var isLoopback: Bool {
    switch internet?.host {
    case let .address(address, _)?: return address.isLoopback
    case let .name(name)?: return name.lowercased() == "localhost" || name.lowercased().hasSuffix(".localhost")
    case nil: return target != .unix(path: "") && internet == nil
    }
  }
}

/// How thorough and how patient a run is.
public struct CheckOptions: Codable, Sendable, Hashable {
  /// Time allowed for each connect attempt (and each echo).
  public var timeout: Duration
  /// Connect probes to the application port once the first one answered (for loss and latency).
  public var connectProbes: Int
  /// Echo requests to the destination.
  public var echoCount: Int
  /// Capture the destination probes' packets (the networking-trace step; needs CAP_NET_RAW).
  public var trace: Bool
  /// Where the name servers are configured, and their port (tests point these at their own responders).
  public var resolvConfPath: String
  public var nameServerPort: UInt16

  public init(timeout: Duration = .seconds(3), connectProbes: Int = 3, echoCount: Int = 3, trace: Bool = true,
              resolvConfPath: String = "/etc/resolv.conf", nameServerPort: UInt16 = 53) {
    self.timeout = timeout
    self.connectProbes = connectProbes
    self.echoCount = echoCount
    self.trace = trace
    self.resolvConfPath = resolvConfPath
    self.nameServerPort = nameServerPort
  }
}

/// Why a typed target cannot be checked, in one line.
public struct CheckTargetError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String
  /// The text is not a target at all (rather than naming something this host lacks).
  public var isSyntax: Bool

  public var description: String { message }
}
