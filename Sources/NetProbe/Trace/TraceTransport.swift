import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// What a trace mode does on the wire: send one TTL-limited probe, wait for answers, give up on a probe.
/// Used from one thread (the trace's blocking loop).
protocol TraceTransport: AnyObject {
  /// Sends the probe; returns its outcome when it ended at once (a local error, a handshake already over).
  func send(_ slot: TraceSchedule.Slot) -> TraceProbe?
  /// The answers already waiting, without blocking: read between sends, so a burst of sends does not delay the
  /// round trips of the first probes.
  func collect() -> [(index: Int, probe: TraceProbe)]
  /// Waits for answers to probes in flight until the deadline or cancellation.
  func wait(until deadline: ContinuousClock.Instant, cancellation: CancellationSignal?) -> TraceWait
  /// Stops waiting for a probe (closing what it holds) and says what is known of it: usually nothing.
  func expire(_ slot: TraceSchedule.Slot) -> TraceProbe
  /// Releases every socket.
  func close()
}

/// What one wait brought.
enum TraceWait {
  /// Outcomes, each with its probe's schedule index.
  case answers([(index: Int, probe: TraceProbe)])
  case deadline
  case cancelled
  case failed(Errno)
}

extension TraceProbe {
  /// A probe answered by an ICMP error (or a locally raised one) the kernel reported.
  init(_ slot: TraceSchedule.Slot, report: ICMPReport, rtt: Int64?, errno: Errno? = nil) {
    self.init(ttl: slot.ttl, query: slot.query, answer: TraceAnswer.classify(report), responder: report.sender,
              rttMicroseconds: rtt, icmp: report, errno: errno ?? (report.errno.code == 0 ? nil : report.errno))
  }

  /// A probe our own stack would not send.
  init(_ slot: TraceSchedule.Slot, localError: Errno) {
    self.init(ttl: slot.ttl, query: slot.query, answer: .localError, errno: localError)
  }
}

extension Socket {
  /// Sets the TTL (IPv4) or unicast hop limit (IPv6) of what this socket sends, and asks for ICMP errors on the
  /// error queue (`IP_RECVERR` / `IPV6_RECVERR`).
  func prepareForTrace(family: AddressFamily, ttl: Int) -> Result<Void, Errno> {
    switch family {
    case .ipv4:
      _ = setOption(level: Int32(IPPROTO_IP), name: IP_RECVERR, value: 1)
      return setOption(level: Int32(IPPROTO_IP), name: IP_TTL, value: Int32(ttl))
    case .ipv6:
      _ = setOption(level: Int32(IPPROTO_IPV6), name: IPV6_RECVERR, value: 1)
      return setOption(level: Int32(IPPROTO_IPV6), name: IPV6_UNICAST_HOPS, value: Int32(ttl))
    }
  }
}
