/// How a trace runs.
public struct TraceOptions: Sendable, Hashable {
  public var mode: TraceMode
  /// The highest TTL (IPv4) or hop limit (IPv6) probed, 1-255.
  public var maxHops: Int
  /// Probes per hop, 1-10.
  public var queries: Int
  /// Time each probe waits for its answer. Probes run concurrently, so a whole trace takes about this long.
  public var timeout: Duration
  /// ICMP mode: force a raw or a datagram socket; nil takes raw when allowed, else datagram.
  public var icmpMethod: ICMPMethod?
  /// TCP mode: with CAP_NET_RAW, also listen on a raw ICMP socket for the errors that quote the probes' flows
  /// (evidence for kernels that do not queue them on a connecting socket).
  public var rawListener: Bool
  /// UDP and TCP mode: the most probes (each one socket) in flight at once; later ones start as earlier ones end.
  public var window: Int

  public static let hopRange = 1...255
  public static let queryRange = 1...10

  public init(mode: TraceMode = .udp, maxHops: Int = 30, queries: Int = 3, timeout: Duration = .seconds(3),
              icmpMethod: ICMPMethod? = nil, rawListener: Bool = true, window: Int = 128) {
    self.mode = mode
    self.maxHops = min(max(maxHops, TraceOptions.hopRange.lowerBound), TraceOptions.hopRange.upperBound)
    self.queries = min(max(queries, TraceOptions.queryRange.lowerBound), TraceOptions.queryRange.upperBound)
    self.timeout = timeout
    self.icmpMethod = icmpMethod
    self.rawListener = rawListener
    self.window = max(1, window)
  }
}
