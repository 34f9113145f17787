/// What came back for one TTL-limited probe. Raw values are stable: they appear in `--json` output.
public enum TraceAnswer: String, Codable, Sendable, Hashable, CaseIterable {
  /// A router on the way: the TTL (hop limit) ran out there (ICMP type 11, ICMPv6 type 3).
  case timeExceeded = "time-exceeded"
  /// ICMP mode: the destination's echo reply.
  case echoReply = "echo-reply"
  /// UDP mode: the destination's application answered the datagram.
  case udpReply = "udp-reply"
  /// ICMP port unreachable: from the destination it ends a UDP trace there (nothing listens on the port).
  case portUnreachable = "port-unreachable"
  /// TCP mode: the handshake completed (the port is open).
  case synAck = "syn-ack"
  /// TCP mode: an RST came back with the destination's address (closed port, or a device answering for it).
  case reset
  /// ICMP "administratively prohibited": a filter rejected the probe on purpose.
  case adminProhibited = "admin-prohibited"
  /// Another destination unreachable (network, host, protocol, ...); the ICMP report names it.
  case unreachable
  /// Any other ICMP error (parameter problem, packet too big, ...).
  case otherICMP = "icmp-error"
  /// The probe's socket failed (the errno says how) but nothing said who sent what: TCP without the raw listener
  /// on a kernel that queues no error for a connecting socket. Needs CAP_NET_RAW to see more.
  case unattributed
  /// Nothing came back before the timeout.
  case noAnswer = "no-answer"
  /// Our own stack refused to send it (no route, a local filter, no free port); the errno says which.
  case localError = "local-error"
  /// The trace was stopped before the probe had an answer.
  case cancelled

  /// Whether probes with a higher TTL can tell nothing more: the destination or a device that rejects answered, or
  /// the probe could not be sent. Time exceeded, silence and unattributed errors let the trace go on.
  public var endsTrace: Bool {
    switch self {
    case .timeExceeded, .noAnswer, .unattributed, .cancelled: return false
    default: return true
    }
  }

  /// Whether it is an answer only the destination gives (a reply, a handshake, a reset, or a port unreachable).
  public var isDestinationAnswer: Bool {
    switch self {
    case .echoReply, .udpReply, .synAck, .reset, .portUnreachable: return true
    default: return false
    }
  }

  /// Names an ICMP (or locally raised) error about a probe.
  public static func classify(_ report: ICMPReport) -> TraceAnswer {
    switch report.origin {
    case .local, .none: return .localError
    case .icmp, .icmp6:
      let timeExceededType: UInt8 = report.origin == .icmp ? 11 : 3
      let unreachableType: UInt8 = report.origin == .icmp ? 3 : 1
      if report.type == timeExceededType { return .timeExceeded }
      if report.isPortUnreachable { return .portUnreachable }
      if report.isAdministrativelyProhibited { return .adminProhibited }
      if report.type == unreachableType { return .unreachable }
      return .otherICMP
    }
  }
}
