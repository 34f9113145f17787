/// One TTL of a trace: its probes, and who answered them.
public struct TraceHop: Codable, Sendable, Hashable {
  public var ttl: Int
  /// The hop's probes in query order.
  public var probes: [TraceProbe]
  /// Each distinct answer (who, and what they sent), in the order first seen; several when paths differ per probe
  /// (load balancing) or a router answers from another address.
  public var responders: [TraceResponder]

  public init(ttl: Int, probes: [TraceProbe]) {
    self.ttl = ttl
    self.probes = probes.sorted { $0.query < $1.query }
    var responders: [TraceResponder] = []
    for probe in self.probes where probe.answer != .noAnswer && probe.answer != .cancelled {
      let key = TraceResponder(probe)
      if let index = responders.firstIndex(where: { $0.sameAnswer(as: key) }) {
        if let rtt = probe.rttMicroseconds { responders[index].rttMicroseconds.append(rtt) }
      } else {
        responders.append(key)
      }
    }
    self.responders = responders
  }

  /// No probe of this hop got any answer.
  public var isSilent: Bool { responders.isEmpty }

  /// Probes that got nothing back (shown as `*`).
  public var unanswered: Int { probes.filter { $0.answer == .noAnswer || $0.answer == .cancelled }.count }
}

/// One responder at a hop: its address, what it sent, and the round trips of the probes it answered.
public struct TraceResponder: Codable, Sendable, Hashable {
  /// nil when the sender is unknown (an `unattributed` socket error).
  public var address: IPAddress?
  public var answer: TraceAnswer
  /// The ICMP type and code it sent (and their meaning), for ICMP answers.
  public var icmp: ICMPReport?
  /// The socket's error, for unattributed and local errors.
  public var errno: Errno?
  public var rttMicroseconds: [Int64]

  init(_ probe: TraceProbe) {
    address = probe.responder
    answer = probe.answer
    icmp = probe.icmp
    errno = probe.icmp == nil ? probe.errno : nil
    rttMicroseconds = probe.rttMicroseconds.map { [$0] } ?? []
  }

  func sameAnswer(as other: TraceResponder) -> Bool {
    address == other.address && answer == other.answer && icmp?.type == other.icmp?.type && icmp?.code == other.icmp?.code
      && errno == other.errno
  }
}
