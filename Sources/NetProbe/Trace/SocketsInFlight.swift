import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A probe of a socket-per-probe trace mode (TCP, UDP) that waits for its answer on its own socket.
protocol SocketProbeInFlight {
  var slot: TraceSchedule.Slot { get }
  var socket: Socket { get }
}

/// The probes of a socket-per-probe trace mode still waiting, by schedule index: polled together for one event
/// (writable for a connect, readable for a datagram), each ready one handed to the mode to read. A probe whose
/// outcome is read is no longer in flight and its socket is closed.
struct SocketsInFlight<Probe: SocketProbeInFlight> {
  private var probes: [Int: Probe] = [:]
  /// The poll event that means "look at this probe".
  let event: Int16

  init(event: Int16) { self.event = event }

  mutating func add(_ probe: Probe) { probes[probe.slot.index] = probe }

  /// Takes a probe out without closing its socket.
  mutating func remove(_ index: Int) -> Probe? { probes.removeValue(forKey: index) }

  /// The outcomes already waiting, without blocking. `read` gives a ready probe's outcome, or nil when it has none
  /// yet (it stays in flight).
  mutating func collect(_ read: (Probe, ContinuousClock.Instant) -> TraceProbe?) -> [(index: Int, probe: TraceProbe)] {
    let waiting = sorted()
    return outcomes(waiting, events: DescriptorPoll.check(waiting.map(\.socket.descriptor), for: event), read)
  }

  /// Waits for outcomes until the deadline or cancellation.
  mutating func wait(until deadline: ContinuousClock.Instant, cancellation: CancellationSignal?,
                     _ read: (Probe, ContinuousClock.Instant) -> TraceProbe?) -> TraceWait {
    let waiting = sorted()
    switch DescriptorPoll.wait(waiting.map(\.socket.descriptor), for: event, until: deadline, cancellation: cancellation) {
    case .deadline: return .deadline
    case .cancelled: return .cancelled
    case let .failed(error): return .failed(error)
    case let .ready(events): return .answers(outcomes(waiting, events: events, read))
    }
  }

  /// Closes every socket still waiting.
  mutating func closeAll() {
    for probe in probes.values { probe.socket.close() }
    probes.removeAll()
  }

  private func sorted() -> [Probe] { probes.values.sorted { $0.slot.index < $1.slot.index } }

  private mutating func outcomes(_ waiting: [Probe], events: [Int16], _ read: (Probe, ContinuousClock.Instant) -> TraceProbe?)
    -> [(index: Int, probe: TraceProbe)] {
    let now = ContinuousClock.now
    var outcomes: [(index: Int, probe: TraceProbe)] = []
    for (probe, revents) in zip(waiting, events) where revents != 0 {
      guard let outcome = read(probe, now) else { continue }
      outcomes.append((probe.slot.index, outcome))
      probes[probe.slot.index] = nil
      probe.socket.close()
    }
    return outcomes
  }
}
