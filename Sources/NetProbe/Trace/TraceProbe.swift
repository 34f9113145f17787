/// One TTL-limited probe and what came of it.
public struct TraceProbe: Codable, Sendable, Hashable {
  /// The TTL (IPv4) or hop limit (IPv6) it was sent with: the hop it asks about.
  public var ttl: Int
  /// Which of the hop's probes, from 1.
  public var query: Int
  public var answer: TraceAnswer
  /// Who answered: the router or the destination; nil when nothing did or the sender is unknown.
  public var responder: IPAddress?
  /// Send to answer, in microseconds on the monotonic clock; nil without an answer, or when the answer was only
  /// found afterwards (raw-listener evidence read at the end).
  public var rttMicroseconds: Int64?
  /// The ICMP error behind the answer, with its type, code and sender.
  public var icmp: ICMPReport?
  /// The socket's error, when it failed.
  public var errno: Errno?

  public init(ttl: Int, query: Int, answer: TraceAnswer, responder: IPAddress? = nil, rttMicroseconds: Int64? = nil,
              icmp: ICMPReport? = nil, errno: Errno? = nil) {
    self.ttl = ttl
    self.query = query
    self.answer = answer
    self.responder = responder
    self.rttMicroseconds = rttMicroseconds
    self.icmp = icmp
    self.errno = errno
  }
}
