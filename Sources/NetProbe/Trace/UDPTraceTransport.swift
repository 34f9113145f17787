import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// UDP mode: each probe is an empty datagram from its own connected socket with the probe's TTL. The kernel queues
/// the ICMP error about it (time exceeded from a router, port unreachable from the destination) on that socket's
/// error queue with the sender (`IP_RECVERR`), so no privilege is needed.
final class UDPTraceTransport: TraceTransport {
  private struct InFlight {
    var slot: TraceSchedule.Slot
    var socket: Socket
    var sentAt: ContinuousClock.Instant
  }

  private let destination: SocketAddress
  private var inFlight: [Int: InFlight] = [:]

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
    inFlight[slot.index] = InFlight(slot: slot, socket: socket, sentAt: sentAt)
    return nil
  }

  func collect() -> [(index: Int, probe: TraceProbe)] {
    let waiting = inFlight.values.sorted { $0.slot.index < $1.slot.index }
    return answers(waiting, events: DescriptorPoll.check(waiting.map(\.socket.descriptor), for: Int16(POLLIN)))
  }

  func wait(until deadline: ContinuousClock.Instant, cancellation: CancellationSignal?) -> TraceWait {
    let waiting = inFlight.values.sorted { $0.slot.index < $1.slot.index }
    switch DescriptorPoll.wait(waiting.map(\.socket.descriptor), for: Int16(POLLIN), until: deadline, cancellation: cancellation) {
    case .deadline: return .deadline
    case .cancelled: return .cancelled
    case let .failed(error): return .failed(error)
    case let .ready(events): return .answers(answers(waiting, events: events))
    }
  }

  /// The outcomes of the probes whose sockets are ready; those probes are no longer in flight.
  private func answers(_ waiting: [InFlight], events: [Int16]) -> [(index: Int, probe: TraceProbe)] {
    let now = ContinuousClock.now
    var answers: [(index: Int, probe: TraceProbe)] = []
    for (probe, revents) in zip(waiting, events) where revents != 0 {
      if let answer = read(probe, at: now) {
        answers.append((probe.slot.index, answer))
        probe.socket.close()
        inFlight[probe.slot.index] = nil
      }
    }
    return answers
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
    inFlight.removeValue(forKey: slot.index)?.socket.close()
    return TraceProbe(ttl: slot.ttl, query: slot.query, answer: .noAnswer)
  }

  func close() {
    for probe in inFlight.values { probe.socket.close() }
    inFlight.removeAll()
  }
}
