#if canImport(Glibc)
import Glibc
#endif
import NetProbe

/// A listener with a tiny backlog whose accept queue is full most of the time: new SYNs are dropped and the
/// listen-overflow counters of the server's namespace rise.
///
/// It stands for a busy server: the application takes one connection off the queue every `acceptEvery` (a stuck
/// or overloaded worker), and a crowd of other clients (loopback connections the service makes itself) takes the
/// freed place `crowdRefill` later. A client's SYN gets in only when it arrives inside such a gap; the ones before
/// it are dropped, so its connect completes on one of its kernel's SYN retransmits. With `acceptEvery` nil the
/// queue never drains and every SYN is dropped.
public enum BacklogListener {
  /// Listens on `[::]:port` with `backlog`, fills the queue with backlog + 1 loopback connections (Linux queues
  /// one more than the backlog), announces readiness, then drains and refills it on schedule until ended.
  public static func run(port: UInt16, backlog: Int32, acceptEvery: Duration?, crowdRefill: Duration) throws(LabError) -> Never {
    let listener = try ServiceSocket(family: .ipv6, type: Int32(SOCK_STREAM.rawValue))
    try listener.bindToAnyAddress(port: port)
    try listener.listen(backlog: backlog)
    for index in 0...Int(backlog) {
      guard crowdConnects(port: port) else {
        throw LabError("filling the accept queue: connection \(index + 1) to 127.0.0.1:\(port) did not complete")
      }
    }
    ServiceReadiness.announce()
    guard let acceptEvery else { withExtendedLifetime(listener) { ServiceReadiness.waitForever() } }
    // Ticks on a fixed grid, so the gaps keep their spacing however late one wakeup was.
    var tick = ContinuousClock.now
    while true {
      tick += acceptEvery
      sleep(until: tick)
      // The oldest connection leaves the queue: one place is free, for `crowdRefill` from now however late this
      // wakeup was.
      listener.acceptIfQueued()?.close()
      sleep(until: ContinuousClock.now + crowdRefill)
      // The crowd takes the place unless a client's SYN took it first (then the crowd's SYN is the one dropped).
      _ = crowdConnects(port: port)
    }
  }

  /// One connection of the crowd: it completes (and stays queued, its socket closed here) when the queue has
  /// room. Closing an attempt that got no answer ends it: no retransmit of it can take a later place.
  private static func crowdConnects(port: UInt16) -> Bool {
    guard let socket = try? ServiceSocket(family: .ipv4, type: Int32(SOCK_STREAM.rawValue)) else { return false }
    return socket.connect(to: .v4(127, 0, 0, 1), port: port, timeout: .milliseconds(100))
  }

  /// Sleeps until `instant` (at once when it is past). The corresponding C function is `nanosleep(2)`.
  private static func sleep(until instant: ContinuousClock.Instant) {
    while true {
      let left = instant - ContinuousClock.now
      guard left > .zero else { return }
      let (seconds, attoseconds) = left.components
      var request = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
      _ = nanosleep(&request, nil)
    }
  }
}
