import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// UDP mode: each probe is an empty datagram from its own connected socket with the probe's TTL. The kernel queues
/// the ICMP error about it (time exceeded from a router, port unreachable from the destination) on that socket's
/// error queue with the sender (`IP_RECVERR`), so no privilege is needed.
final class UDPTraceTransport: TraceTransport {
  private struct InFlight: SocketProbeInFlight {
    var slot: TraceSchedule.Slot
    var socket: Socket
    var sentAt: ContinuousClock.Instant
  }

  private let destination: SocketAddress
  private var inFlight = SocketsInFlight<InFlight>(event: Int16(POLLIN))

  init(destination: SocketAddress) {
    self.destination = destination
  }

  func send(_ slot: TraceSchedule.Slot) -> TraceProbe? {
    let socket: Socket
    do {
      socket = try Socket(domain: destination.family.cValue, type: Int32(SOCK_DGRAM.rawValue))
    } catch {
      return TraceProbe(slot, localError: error.errno)
    }
    if case let .failure(error) = socket.prepareForTrace(family: destination.family, ttl: slot.ttl) {
      return TraceProbe(slot, localError: error)
    }
    // Connecting makes the kernel route the datagram now (no route fails here) and hand this socket the errors
    // about this flow.
    if case let .failed(error) = socket.connect(to: destination) { return TraceProbe(slot, localError: error) }
    let sentAt = ContinuousClock.now
    if case let .failure(error) = socket.send([]) {
      if let report = socket.readErrorQueue() { return TraceProbe(slot, report: report, rtt: nil, errno: error) }
      return TraceProbe(slot, localError: error)
    }
    inFlight.add(InFlight(slot: slot, socket: socket, sentAt: sentAt))
    return nil
  }

  func collect() -> [(index: Int, probe: TraceProbe)] {
    inFlight.collect { probe, now in self.read(probe, at: now) }
  }

  func wait(until deadline: ContinuousClock.Instant, cancellation: CancellationSignal?) -> TraceWait {
    inFlight.wait(until: deadline, cancellation: cancellation) { probe, now in self.read(probe, at: now) }
  }

  /// The error queued for the probe (a router's or the destination's ICMP), or the destination's reply.
  private func read(_ probe: InFlight, at now: ContinuousClock.Instant) -> TraceProbe? {
    let rtt = microseconds(of: now - probe.sentAt)
    // SO_ERROR first: reading the error queue clears the pending error.
    let error = probe.socket.pendingError()
    if let report = probe.socket.readErrorQueue() { return TraceProbe(probe.slot, report: report, rtt: rtt, errno: error) }
    if let error {
      return TraceProbe(ttl: probe.slot.ttl, query: probe.slot.query, answer: .unattributed, rttMicroseconds: rtt, errno: error)
    }
    switch probe.socket.receive(capacity: 65_536) {
    case .success:
      return TraceProbe(ttl: probe.slot.ttl, query: probe.slot.query, answer: .udpReply, responder: destination.address,
                        rttMicroseconds: rtt)
    case .failure(.wouldBlock):
      return nil
    case let .failure(error):
      return TraceProbe(ttl: probe.slot.ttl, query: probe.slot.query, answer: .unattributed, rttMicroseconds: rtt, errno: error)
    }
  }

  func expire(_ slot: TraceSchedule.Slot) -> TraceProbe {
    inFlight.remove(slot.index)?.socket.close()
    return TraceProbe(ttl: slot.ttl, query: slot.query, answer: .noAnswer)
  }

  func close() {
    inFlight.closeAll()
  }
}
