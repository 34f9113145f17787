/// What a trace shows, in one finding: reached, rejected, unreachable, silent past a hop, or not sent at all.
public struct TraceConclusion: Codable, Sendable, Hashable {
  /// Raw values are stable: they appear in `--json` output.
  public enum Kind: String, Codable, Sendable, Hashable {
    /// The destination answered (reply, port unreachable, SYN-ACK or RST, or any ICMP error from its own address).
    case reached
    /// A device on the path answered "administratively prohibited": a firewall that rejects.
    case rejected
    /// A device on the path (or our own stack) answered another destination unreachable.
    case unreachable
    /// Nothing answered past `hop` (0: no hop answered at all): something drops the probes, or the rest is silent.
    case silent
    /// This host did not send the probes (no route, a local filter); the errno says why.
    case localError = "local-error"
    /// Stopped before any answer ended the trace; `hop` is the last that answered so far.
    case cancelled
  }

  public var kind: Kind
  /// The hop the finding is about: where the destination answered, where the rejecting device sits (the first hop
  /// its address answered at), or the last hop that answered before the silence.
  public var hop: Int
  /// Who: the destination, the rejecting device, or the last hop that answered.
  public var address: IPAddress?
  /// What that address sent.
  public var answer: TraceAnswer?
  public var icmp: ICMPReport?
  public var errno: Errno?

  public init(kind: Kind, hop: Int, address: IPAddress? = nil, answer: TraceAnswer? = nil, icmp: ICMPReport? = nil,
              errno: Errno? = nil) {
    self.kind = kind
    self.hop = hop
    self.address = address
    self.answer = answer
    self.icmp = icmp
    self.errno = errno
  }

  /// Reads the finding off the hops (in TTL order). The first hop with an answer that ends the trace decides;
  /// without one, the last hop that answered anything marks where the silence starts.
  public init(hops: [TraceHop], destination: IPAddress, cancelled: Bool = false) {
    if let last = hops.first(where: { $0.probes.contains { $0.answer.endsTrace } }) {
      let enders = last.probes.filter(\.answer.endsTrace)
      // The destination's own answer wins over anything else at the same hop (a router's error for another probe).
      let probe = enders.first { $0.responder == destination } ?? enders[0]
      if probe.responder == destination {
        self.init(kind: .reached, hop: last.ttl, address: destination, answer: probe.answer, icmp: probe.icmp, errno: probe.errno)
        return
      }
      // A device that rejects at TTL n answers from its own address, which usually answered time exceeded one hop
      // earlier: name the hop where that address first appears.
      let firstSeen = probe.responder.flatMap { address in hops.first { $0.responders.contains { $0.address == address } }?.ttl }
      let hop = firstSeen ?? last.ttl
      switch probe.answer {
      case .localError:
        self.init(kind: .localError, hop: last.ttl, address: probe.responder, answer: probe.answer, icmp: probe.icmp,
                  errno: probe.errno)
      case .adminProhibited:
        self.init(kind: .rejected, hop: hop, address: probe.responder, answer: probe.answer, icmp: probe.icmp, errno: probe.errno)
      default:
        self.init(kind: .unreachable, hop: hop, address: probe.responder, answer: probe.answer, icmp: probe.icmp,
                  errno: probe.errno)
      }
      return
    }
    guard let answered = hops.last(where: { !$0.isSilent }) else {
      self.init(kind: cancelled ? .cancelled : .silent, hop: 0)
      return
    }
    let responder = answered.responders.first { $0.address != nil } ?? answered.responders[0]
    self.init(kind: cancelled ? .cancelled : .silent, hop: answered.ttl, address: responder.address, answer: responder.answer,
              icmp: responder.icmp, errno: responder.errno)
  }
}
