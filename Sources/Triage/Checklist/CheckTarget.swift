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

  public init(timeout: Duration = .seconds(3), connectProbes: Int = 3, echoCount: Int = 3) {
    self.timeout = timeout
    self.connectProbes = connectProbes
    self.echoCount = echoCount
  }
}
