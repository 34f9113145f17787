/// A whole trace: the hops up to the one that ended it (or up to the last probed), and the finding.
public struct TraceResult: Codable, Sendable, Hashable {
  /// The target as the user gave it.
  public var target: String
  /// The address traced to.
  public var address: IPAddress
  /// The destination port of UDP and TCP probes; nil in ICMP mode.
  public var port: UInt16?
  public var mode: TraceMode
  /// ICMP mode: the socket used (raw, or datagram via `ping_group_range`).
  public var icmpMethod: ICMPMethod?
  /// TCP mode: whether the raw ICMP listener ran beside the probes (it needs CAP_NET_RAW); nil when not needed
  /// (loopback).
  public var rawListener: Bool?
  /// Our source address toward the destination, as the kernel's route lookup picks it.
  public var source: IPAddress?
  public var maxHops: Int
  public var queries: Int
  public var timeoutMicroseconds: Int64
  /// Hops 1 up to the one whose answer ended the trace; all probed hops when none did.
  public var hops: [TraceHop]
  public var conclusion: TraceConclusion
  /// Whether the destination answered.
  public var reached: Bool { conclusion.kind == .reached }
  /// What the trace could not see, and why (e.g. "needs CAP_NET_RAW").
  public var notes: [String]
  /// Probes sent, including those past the hop that ended the trace (they were in flight at once).
  public var probesSent: Int
  public var elapsedMicroseconds: Int64

  public init(target: String, address: IPAddress, port: UInt16?, mode: TraceMode, icmpMethod: ICMPMethod? = nil,
              rawListener: Bool? = nil, source: IPAddress? = nil, maxHops: Int, queries: Int, timeoutMicroseconds: Int64,
              hops: [TraceHop], conclusion: TraceConclusion, notes: [String] = [], probesSent: Int, elapsedMicroseconds: Int64) {
    self.target = target
    self.address = address
    self.port = port
    self.mode = mode
    self.icmpMethod = icmpMethod
    self.rawListener = rawListener
    self.source = source
    self.maxHops = maxHops
    self.queries = queries
    self.timeoutMicroseconds = timeoutMicroseconds
    self.hops = hops
    self.conclusion = conclusion
    self.notes = notes
    self.probesSent = probesSent
    self.elapsedMicroseconds = elapsedMicroseconds
  }

  private enum CodingKeys: String, CodingKey {
    case target, address, port, mode, icmpMethod, rawListener, source, maxHops, queries, timeoutMicroseconds, hops, conclusion
    case reached, notes, probesSent, elapsedMicroseconds
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    target = try container.decode(String.self, forKey: .target)
    address = try container.decode(IPAddress.self, forKey: .address)
    port = try container.decodeIfPresent(UInt16.self, forKey: .port)
    mode = try container.decode(TraceMode.self, forKey: .mode)
    icmpMethod = try container.decodeIfPresent(ICMPMethod.self, forKey: .icmpMethod)
    rawListener = try container.decodeIfPresent(Bool.self, forKey: .rawListener)
    source = try container.decodeIfPresent(IPAddress.self, forKey: .source)
    maxHops = try container.decode(Int.self, forKey: .maxHops)
    queries = try container.decode(Int.self, forKey: .queries)
    timeoutMicroseconds = try container.decode(Int64.self, forKey: .timeoutMicroseconds)
    hops = try container.decode([TraceHop].self, forKey: .hops)
    conclusion = try container.decode(TraceConclusion.self, forKey: .conclusion)
    notes = try container.decode([String].self, forKey: .notes)
    probesSent = try container.decode(Int.self, forKey: .probesSent)
    elapsedMicroseconds = try container.decode(Int64.self, forKey: .elapsedMicroseconds)
  }

  /// Encodes every field and `reached`, so scripts need not know the conclusion kinds.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(target, forKey: .target)
    try container.encode(address, forKey: .address)
    try container.encodeIfPresent(port, forKey: .port)
    try container.encode(mode, forKey: .mode)
    try container.encodeIfPresent(icmpMethod, forKey: .icmpMethod)
    try container.encodeIfPresent(rawListener, forKey: .rawListener)
    try container.encodeIfPresent(source, forKey: .source)
    try container.encode(maxHops, forKey: .maxHops)
    try container.encode(queries, forKey: .queries)
    try container.encode(timeoutMicroseconds, forKey: .timeoutMicroseconds)
    try container.encode(hops, forKey: .hops)
    try container.encode(conclusion, forKey: .conclusion)
    try container.encode(reached, forKey: .reached)
    try container.encode(notes, forKey: .notes)
    try container.encode(probesSent, forKey: .probesSent)
    try container.encode(elapsedMicroseconds, forKey: .elapsedMicroseconds)
  }
}
