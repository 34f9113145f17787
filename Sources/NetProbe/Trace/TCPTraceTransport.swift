import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// TCP mode: each probe is a nonblocking connect (one SYN) from its own socket with the probe's TTL, to the
/// application port. A SYN-ACK or RST ends it at the destination; an ICMP error from a router ends the connect at
/// once with an errno.
///
/// Who sent the ICMP error comes from the socket's error queue (`IP_RECVERR`), which this kernel fills for a
/// connecting socket, and, with CAP_NET_RAW, from a raw ICMP listener that matches errors quoting the probe's flow:
/// the evidence that remains where the kernel queues nothing.
final class TCPTraceTransport: TraceTransport {
  private struct InFlight: SocketProbeInFlight {
    var slot: TraceSchedule.Slot
    var socket: Socket
    var local: SocketAddress?
    var sentAt: ContinuousClock.Instant
  }

  private let destination: SocketAddress
  private let listener: ICMPErrorListener?
  private var inFlight = SocketsInFlight<InFlight>(event: Int16(POLLOUT))

  init(destination: SocketAddress, listener: ICMPErrorListener?) {
    self.destination = destination
    self.listener = listener
  }

  func send(_ slot: TraceSchedule.Slot) -> TraceProbe? {
    let socket: Socket
    do {
      socket = try Socket(domain: destination.family.cValue, type: Int32(SOCK_STREAM.rawValue))
    } catch {
      return TraceProbe(slot, localError: error.errno)
    }
    if case let .failure(error) = socket.prepareForTrace(family: destination.family, ttl: slot.ttl) {
      return TraceProbe(slot, localError: error)
    }
    let sentAt = ContinuousClock.now
    let probe = InFlight(slot: slot, socket: socket, local: nil, sentAt: sentAt)
    switch socket.connect(to: destination) {
    case .connected:
      defer { socket.close() }
      return finish(probe, error: nil, at: .now)
    case let .failed(error):
      // Refused at once (loopback) is the destination's RST; anything else without a report is our own stack.
      defer { socket.close() }
      return finish(probe, error: error, at: .now, immediate: true)
    case .inProgress:
      var pending = probe
      pending.local = socket.localAddress()
      inFlight.add(pending)
      return nil
    }
  }

  func collect() -> [(index: Int, probe: TraceProbe)] {
    inFlight.collect { probe, now in self.finish(probe, error: probe.socket.pendingError(), at: now) }
  }

  func wait(until deadline: ContinuousClock.Instant, cancellation: CancellationSignal?) -> TraceWait {
    inFlight.wait(until: deadline, cancellation: cancellation) { probe, now in
      self.finish(probe, error: probe.socket.pendingError(), at: now)
    }
  }

  /// The connect is over: a handshake, an RST, or an error (with its ICMP report when one can be found). The caller
  /// closes the socket.
  private func finish(_ probe: InFlight, error: Errno?, at now: ContinuousClock.Instant, immediate: Bool = false) -> TraceProbe {
    let slot = probe.slot
    let rtt = microseconds(of: now - probe.sentAt)
    guard let error else {
      return TraceProbe(ttl: slot.ttl, query: slot.query, answer: .synAck, responder: destination.address, rttMicroseconds: rtt)
    }
    let local = probe.local ?? probe.socket.localAddress()
    if let report = probe.socket.readErrorQueue() ?? local.flatMap({ listener?.lastReport(local: $0) }) {
      return TraceProbe(slot, report: report, rtt: rtt, errno: error)
    }
    if error == .connectionRefused {
      return TraceProbe(ttl: slot.ttl, query: slot.query, answer: .reset, responder: destination.address, rttMicroseconds: rtt,
                        errno: error)
    }
    if immediate { return TraceProbe(slot, localError: error) }
    return TraceProbe(ttl: slot.ttl, query: slot.query, answer: .unattributed, rttMicroseconds: rtt, errno: error)
  }

  /// A SYN nothing answered; the raw listener may still have caught an error the connect ignored (no round trip
  /// then: it was found only now). Without our port (getsockname failed) the listener could not tell our probes
  /// apart, so it is not asked.
  func expire(_ slot: TraceSchedule.Slot) -> TraceProbe {
    guard let probe = inFlight.remove(slot.index) else {
      return TraceProbe(ttl: slot.ttl, query: slot.query, answer: .noAnswer)
    }
    defer { probe.socket.close() }
    if let report = probe.socket.readErrorQueue() ?? probe.local.flatMap({ listener?.lastReport(local: $0) }) {
      return TraceProbe(slot, report: report, rtt: nil)
    }
    return TraceProbe(ttl: slot.ttl, query: slot.query, answer: .noAnswer)
  }

  func close() {
    inFlight.closeAll()
    listener?.stop()
  }
}
