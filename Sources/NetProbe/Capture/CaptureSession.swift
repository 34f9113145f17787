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
/// A long loop on one interface gets a socket with a receive ring (`PacketRing`: no `recvmsg` per frame, about half
/// the capture's cost per loopback probe). Setting a ring up waits for a grace period too, and closing it for one
/// more, so the session makes that socket on a background thread once `ringAfterCaptures` captures have used the
/// interface, swaps it in when it is ready and closes the plain one in the background: a short run never waits.
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
  /// Captures started per interface, and the interfaces whose ring socket is being made or was tried.
  private var captureCounts: [Int32: Int] = [:]
  private var ringsRequested: Set<Int32> = []
  /// Ring sockets made and waiting to replace an interface's plain socket.
  private var ringSockets: [Int32: PacketSocket] = [:]
  private var isClosed = false
  /// Captures started and not yet stopped, oldest first (weakly: one dropped unstopped is simply gone).
  private var running: [WeakCapture] = []

  /// How many captures on one interface make the session set up a receive ring for it.
  let ringAfterCaptures: Int

  /// The default number of captures on one interface after which a session sets a receive ring up for it: the
  /// ring saves about 20 µs per loopback capture and costs an extra grace period (about 12 ms) when it is closed.
  public static let defaultRingAfterCaptures = 64

  public convenience init() { self.init(ringAfterCaptures: Self.defaultRingAfterCaptures) }

  /// `ringAfterCaptures`: nil, never a ring.
  init(ringAfterCaptures: Int?) {
    self.ringAfterCaptures = ringAfterCaptures ?? .max
    pthread_mutex_init(&lock, nil)
  }

  deinit {
    for socket in idle.values { socket.close() }
    for socket in ringSockets.values { socket.close() }
    pthread_mutex_destroy(&lock)
  }

  /// Closes the idle sockets now (a ring still being made is closed once it is).
  public func close() {
    let sockets = withLock { () -> [PacketSocket] in
      defer {
        idle = [:]
        ringSockets = [:]
        isClosed = true
      }
      return Array(idle.values) + Array(ringSockets.values)
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

  /// An idle socket bound to `interfaceIndex` (0: all) with room for `snapLength`, if there is one: the interface's
  /// ring socket once it is ready. Counts the capture, and asks for a ring socket when the loop is long enough.
  func take(interfaceIndex: Int32, snapLength: Int) -> PacketSocket? {
    let (socket, retired, makeRing) = withLock { () -> (PacketSocket?, PacketSocket?, Bool) in
      captureCounts[interfaceIndex, default: 0] += 1
      let makeRing = captureCounts[interfaceIndex, default: 0] >= ringAfterCaptures && !ringsRequested.contains(interfaceIndex)
      if makeRing { ringsRequested.insert(interfaceIndex) }
      if let ring = ringSockets[interfaceIndex], ring.snapLength == snapLength {
        ringSockets[interfaceIndex] = nil
        return (ring, idle.removeValue(forKey: interfaceIndex), makeRing)
      }
      guard let socket = idle[interfaceIndex], socket.snapLength == snapLength else { return (nil, nil, makeRing) }
      idle[interfaceIndex] = nil
      return (socket, nil, makeRing)
    }
    if let retired { Self.closeInBackground(retired) }
    if makeRing { makeRingSocket(interfaceIndex: interfaceIndex, snapLength: snapLength) }
    return socket
  }

  /// Keeps a socket for the next capture on its interface (one per interface; a second one is closed, in the
  /// background once the interface's ring socket is ready).
  func give(_ socket: PacketSocket, interfaceIndex: Int32) {
    let (surplus, ringWaiting) = withLock { () -> (PacketSocket?, Bool) in
      if idle[interfaceIndex] != nil || isClosed { return (socket, ringSockets[interfaceIndex] != nil) }
      idle[interfaceIndex] = socket
      return (nil, false)
    }
    if let surplus { if ringWaiting { Self.closeInBackground(surplus) } else { surplus.close() } }
  }

  /// What each capture that is still running holds so far, oldest first: how a caller sees the packets of a
  /// probe that is still waiting for its answer.
  public func capturesInFlight() -> [CapturedPackets] {
    let captures = withLock { running.compactMap(\.capture) }
    return captures.map { $0.packetsSoFar() }
  }

  func began(_ capture: PacketCapture) {
    withLock { running.append(WeakCapture(capture: capture)) }
  }

  func ended(_ capture: PacketCapture) {
    withLock { running.removeAll { $0.capture == nil || $0.capture === capture } }
  }

  /// Whether the ring socket for `interfaceIndex` is ready (for tests).
  func hasRingSocket(interfaceIndex: Int32) -> Bool { withLock { ringSockets[interfaceIndex] != nil } }

  /// Makes a socket with a receive ring for the interface on a background thread (the ring's setup waits for a grace
  /// period), listening through a reject-all filter until a capture takes it and attaches its own.
  private func makeRingSocket(interfaceIndex: Int32, snapLength: Int) {
    BlockingThreads.shared.run { [self] in
      let made = try? PacketCapture.openSocket(interfaceIndex: interfaceIndex == 0 ? nil : interfaceIndex, snapLength: snapLength,
                                                ring: .standard, program: { _ in .rejectAll })
      guard let socket = made else { return }
      let keep = withLock { () -> Bool in
        guard !isClosed, socket.hasRing else { return false }
        ringSockets[interfaceIndex] = socket
        return true
      }
      if !keep { socket.close() }
    }
  }

  /// Closes a socket no capture uses any more on a background thread, so the grace period it waits for holds up
  /// no probe.
  static func closeInBackground(_ socket: PacketSocket) {
    let retired = Retired(socket: socket)
    BlockingThreads.shared.run { retired.socket.close() }
  }

  private struct WeakCapture { weak var capture: PacketCapture? }

  /// A socket handed to another thread to be closed; no other thread touches it any more.
  private struct Retired: @unchecked Sendable { let socket: PacketSocket }

  private func withLock<T>(_ body: () -> T) -> T {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    return body()
  }
}
