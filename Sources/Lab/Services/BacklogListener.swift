#if canImport(Glibc)
import Glibc
#endif
import NetProbe

/// A listener with a tiny backlog that never accepts, its accept queue filled by its own connections: every
/// further SYN is dropped and the listen-overflow counters of the server's namespace rise.
public enum BacklogListener {
  /// Listens on `[::]:port` with `backlog`, fills the queue with backlog + 1 loopback connections (Linux queues
  /// one more than the backlog), announces readiness and holds everything open until ended.
  public static func run(port: UInt16, backlog: Int32) throws(LabError) -> Never {
    let listener = try ServiceSocket(family: .ipv6, type: Int32(SOCK_STREAM.rawValue))
    try listener.bindToAnyAddress(port: port)
    try listener.listen(backlog: backlog)
    var fillers: [ServiceSocket] = []
    for index in 0...Int(backlog) {
      let filler = try ServiceSocket(family: .ipv4, type: Int32(SOCK_STREAM.rawValue))
      guard filler.connect(to: .v4(127, 0, 0, 1), port: port, timeout: .seconds(2)) else {
        throw LabError("filling the accept queue: connection \(index + 1) to 127.0.0.1:\(port) did not complete")
      }
      fillers.append(filler)
    }
    ServiceReadiness.announce()
    withExtendedLifetime((listener, fillers)) { ServiceReadiness.waitForever() }
  }
}
