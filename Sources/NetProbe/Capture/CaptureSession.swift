#if canImport(Glibc)
import Glibc
#endif

/// Packet sockets and route answers kept between the captures of a probe loop.
///
/// Closing a packet socket waits for an RCU grace period in the kernel (`synchronize_net` in `packet_release`):
/// 8 to 17 ms here, against 0.1 ms for a loopback probe. A session keeps one bound socket per interface instead,
/// with its last filter attached (a loop probing one endpoint attaches it once); each capture starts by discarding
/// what queued before it. The egress interface of each remote address is looked up once.
///
/// ```
/// let session = CaptureSession()
/// for _ in 0..<100 { _ = await ProbeTracer.tcp(addresses, target: label, session: session) }
/// ```
public final class CaptureSession: @unchecked Sendable {
  private var lock = pthread_mutex_t()
  private var idle: [Int32: PacketSocket] = [:]
  private var routes: [IPAddress: Int32?] = [:]
  private var names: [Int32: String?] = [:]
  /// The filter compiled last, with what it was compiled for: a loop probing one endpoint compiles it once.
  private var lastProgram: (flow: CaptureFlow, snapLength: Int, loopbackCopy: LoopbackCopy, program: BPFProgram)?

  public init() { pthread_mutex_init(&lock, nil) }

  deinit {
    for socket in idle.values { socket.close() }
    pthread_mutex_destroy(&lock)
  }

  /// Closes the idle sockets now.
  public func close() {
    let sockets = withLock { () -> [PacketSocket] in
      defer { idle = [:] }
      return Array(idle.values)
    }
    for socket in sockets { socket.close() }
  }

  /// Sockets waiting for the next capture.
  var idleSocketCount: Int { withLock { idle.count } }

  /// The interface the kernel routes `address` through (nil: no route, listen on all), looked up once.
  func interfaceIndex(for address: IPAddress, lookup: (IPAddress) -> Int32?) -> Int32? {
    if let known = withLock({ routes[address] }) { return known }
    let index = lookup(address)
    withLock { routes[address] = index }
    return index
  }

  /// The name of interface `index`, looked up once (`if_indextoname` opens and closes a socket each call).
  func interfaceName(index: Int32, lookup: (Int32) -> String?) -> String? {
    if let known = withLock({ names[index] }) { return known }
    let name = lookup(index)
    withLock { names[index] = name }
    return name
  }

  /// The filter for `flow`, compiled once while the flow stays the same.
  func program(for flow: CaptureFlow, snapLength: Int, loopbackCopy: LoopbackCopy, compile: () -> BPFProgram) -> BPFProgram {
    if let last = withLock({ lastProgram }), last.flow == flow, last.snapLength == snapLength, last.loopbackCopy == loopbackCopy {
      return last.program
    }
    let program = compile()
    withLock { lastProgram = (flow, snapLength, loopbackCopy, program) }
    return program
  }

  /// An idle socket bound to `interfaceIndex` (0: all) with room for `snapLength`, if there is one.
  func take(interfaceIndex: Int32, snapLength: Int) -> PacketSocket? {
    withLock {
      guard let socket = idle[interfaceIndex], socket.snapLength == snapLength else { return nil }
      idle[interfaceIndex] = nil
      return socket
    }
  }

  /// Keeps a socket for the next capture on its interface (one per interface; a second one is closed).
  func give(_ socket: PacketSocket, interfaceIndex: Int32) {
    let surplus = withLock { () -> PacketSocket? in
      if idle[interfaceIndex] != nil { return socket }
      idle[interfaceIndex] = socket
      return nil
    }
    surplus?.close()
  }

  private func withLock<T>(_ body: () -> T) -> T {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    return body()
  }
}
