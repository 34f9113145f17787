#if canImport(Glibc)
import Glibc
#endif

/// How one probe attempt ended. Raw values are stable: they appear in `--json` output.
public enum ProbeOutcome: String, Codable, Sendable, Hashable, CaseIterable {
  /// TCP handshake completed, or the unix socket accepted.
  case connected
  /// A UDP reply came back.
  case reply
  /// TCP: RST to our SYN. UDP: ICMP port unreachable. Unix: nobody accepts on the socket.
  case refused
  /// UDP: no reply and no error before the deadline ("open|filtered").
  case noReply = "no-reply"
  /// No answer before the deadline.
  case timedOut = "timed-out"
  case hostUnreachable = "host-unreachable"
  case networkUnreachable = "network-unreachable"
  /// An ICMP "administratively prohibited" came back: a filter rejected the packet.
  case adminProhibited = "admin-prohibited"
  case protocolUnreachable = "protocol-unreachable"
  /// The packet was too big for the path and could not be fragmented.
  case fragmentationNeeded = "fragmentation-needed"
  /// EPERM/EACCES from our own stack with no ICMP behind it: a local filter rule.
  case notPermitted = "not-permitted"
  /// EADDRNOTAVAIL: the source address is not local, or no ephemeral port was free.
  case addressUnavailable = "address-unavailable"
  /// EADDRINUSE: the source address and port are taken.
  case addressInUse = "address-in-use"
  /// EMFILE/ENFILE: out of file descriptors.
  case descriptorLimit = "descriptor-limit"
  /// ENETDOWN: the egress interface is down.
  case networkDown = "network-down"
  /// Unix: the path does not exist.
  case missing
  /// Unix: the path exists but is not a socket.
  case notSocket = "not-socket"
  /// Unix: no permission to connect (EACCES on the path).
  case permissionDenied = "permission-denied"
  /// Unix: the listener's backlog is full (EAGAIN from connect).
  case backlogFull = "backlog-full"
  /// The probe was stopped (Ctrl-C, a cancelled run) before it had an outcome.
  case cancelled
  /// Any other error; the errno says which.
  case error

  /// Whether the target answered: the probe counts as answered in the statistics.
  public var isAnswer: Bool { self == .connected || self == .reply }

  /// Classifies a failed connect or send from its errno and the ICMP report behind it (if any).
  public static func classify(_ error: Errno, icmp: ICMPReport?) -> ProbeOutcome {
    if let icmp, icmp.origin == .icmp || icmp.origin == .icmp6 {
      if icmp.isAdministrativelyProhibited { return .adminProhibited }
      if icmp.isPortUnreachable { return .refused }
      if icmp.isNetworkUnreachable { return .networkUnreachable }
      if icmp.isHostUnreachable { return .hostUnreachable }
      if icmp.isProtocolUnreachable { return .protocolUnreachable }
      if icmp.isFragmentationNeeded { return .fragmentationNeeded }
    }
    switch error.code {
    case ECONNREFUSED: return .refused
    case ETIMEDOUT: return .timedOut
    case EHOSTUNREACH, EHOSTDOWN: return .hostUnreachable
    case ENETUNREACH: return .networkUnreachable
    case ENOPROTOOPT: return .protocolUnreachable
    case EMSGSIZE: return .fragmentationNeeded
    case EPERM, EACCES: return .notPermitted
    case EADDRNOTAVAIL: return .addressUnavailable
    case EADDRINUSE: return .addressInUse
    case EMFILE, ENFILE: return .descriptorLimit
    case ENETDOWN: return .networkDown
    default: return .error
    }
  }
}

/// Which probe produced a result.
public enum ProbeKind: String, Codable, Sendable, Hashable {
  case tcp, udp, unix
}

/// One attempt at one address: a fresh socket, from connect to outcome.
public struct ProbeAttempt: Codable, Sendable, Hashable {
  /// The address tried (nil for unix sockets).
  public var address: SocketAddress?
  public var outcome: ProbeOutcome
  /// Time from the connect (or send) to the outcome, in microseconds, from a monotonic clock.
  public var elapsedMicroseconds: Int64
  /// The local endpoint the kernel chose (getsockname).
  public var local: SocketAddress?
  /// The peer (getpeername), when connected.
  public var peer: SocketAddress?
  /// The error behind a failed attempt.
  public var errno: Errno?
  /// The ICMP (or local) error report queued for the socket, when there was one.
  public var icmp: ICMPReport?
  /// Bytes in a UDP reply.
  public var replyBytes: Int?
  /// A completed TCP handshake's round trip as the kernel timed it (SYN sent to SYN-ACK received, `TCP_INFO`);
  /// nil when the kernel has no clean sample (a SYN was retransmitted) or for other probes.
  public var kernelRoundTripMicroseconds: Int64?

  /// The time to report for an answer: the kernel's round trip when it has one (free of this process's wake-up
  /// delay), else the time from the connect or send to the answer.
  public var answerMicroseconds: Int64 { kernelRoundTripMicroseconds ?? elapsedMicroseconds }

  public init(address: SocketAddress?, outcome: ProbeOutcome, elapsedMicroseconds: Int64, local: SocketAddress? = nil,
              peer: SocketAddress? = nil, errno: Errno? = nil, icmp: ICMPReport? = nil, replyBytes: Int? = nil,
              kernelRoundTripMicroseconds: Int64? = nil) {
    self.address = address
    self.outcome = outcome
    self.elapsedMicroseconds = elapsedMicroseconds
    self.local = local
    self.peer = peer
    self.errno = errno
    self.icmp = icmp
    self.replyBytes = replyBytes
    self.kernelRoundTripMicroseconds = kernelRoundTripMicroseconds
  }
}

/// One probe of a target: every address tried in turn until one answered.
public struct ProbeResult: Codable, Sendable, Hashable {
  public var kind: ProbeKind
  /// The target as the user gave it (`localhost:80`, `/run/app.sock`).
  public var target: String
  /// The attempts in order; the last one decides the outcome.
  public var attempts: [ProbeAttempt]

  public init(kind: ProbeKind, target: String, attempts: [ProbeAttempt]) {
    precondition(!attempts.isEmpty, "a probe result needs an attempt")
    self.kind = kind
    self.target = target
    self.attempts = attempts
  }

  /// The attempt that decided the result: the one that answered, else the last.
  public var final: ProbeAttempt { attempts.first { $0.outcome.isAnswer } ?? attempts[attempts.count - 1] }
  public var outcome: ProbeOutcome { final.outcome }
  public var elapsedMicroseconds: Int64 { final.elapsedMicroseconds }
  /// See `ProbeAttempt.answerMicroseconds`.
  public var answerMicroseconds: Int64 { final.answerMicroseconds }
}

/// Microseconds elapsed since `start` on the monotonic clock.
public func microseconds(since start: ContinuousClock.Instant) -> Int64 {
  microseconds(of: .now - start)
}

public func microseconds(of duration: Duration) -> Int64 {
  let (seconds, attoseconds) = duration.components
  return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
}
