#if canImport(Glibc)
import Glibc
#endif

/// Why a capture could not start.
public struct CaptureUnavailable: Error, Codable, Sendable, Hashable, CustomStringConvertible {
  /// One line: "needs CAP_NET_RAW", or the call that failed.
  public var reason: String
  public var errno: Errno?

  public init(reason: String, errno: Errno? = nil) {
    self.reason = reason
    self.errno = errno
  }

  public var description: String { reason }

  /// The error a packet socket gives without the capability.
  public static let needsCapability = CaptureUnavailable(reason: "needs CAP_NET_RAW", errno: .notPermitted)
}

/// Where a capture listens.
public enum CaptureInterface: Sendable, Hashable {
  /// The interface the kernel routes the flow's remote address through (lo for this host's own addresses); all
  /// interfaces when the route lookup fails.
  case automatic
  /// Every interface.
  case all
  /// One interface by name.
  case named(String)
}

/// A packet capture of one probe's flow: an `AF_PACKET` socket with a BPF filter compiled for the flow, started before
/// the probe's first packet and stopped after its verdict. Needs CAP_NET_RAW.
///
/// ```
/// let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: server))
/// let attempt = TCPConnectProbe.connect(to: server, options: options)
/// let packets = capture.stop().restricted(toLocal: attempt.local!)
/// ```
///
/// Frames wait in the socket's kernel buffer (or, in a session's long loop, its receive ring) until `drain()` or
/// `stop()` reads them, so a capture costs no thread.
/// What it keeps is bounded by `limit`; the loopback device's second copy of each packet is left out (`loopbackCopy`).
public final class PacketCapture: @unchecked Sendable {
  public let flow: CaptureFlow
  public let limit: CaptureLimit
  /// The interface listened on; nil for all.
  public let interfaceIndex: Int32?
  public let interfaceName: String?
  /// Which copy of each loopback packet this capture keeps.
  public let loopbackCopy: LoopbackCopy
  private let socket: PacketSocket
  private let session: CaptureSession?
  /// Whether the socket went back to the session (so it is not closed here).
  private var socketReturned = false
  private let startNanoseconds: Int64
  private var lock = pthread_mutex_t()
  private var buffer: PacketBuffer
  private var kernelDrops = 0
  private var stopped: CapturedPackets?
  /// Whether `drain()` read frames before `stop`, with the whole flow's filter.
  private var drainedEarly = false

  /// The default snap length: whole packets (a probe's packets are small; this only bounds a stray jumbo frame).
  public static let defaultSnapLength = 65_535

  private init(flow: CaptureFlow, limit: CaptureLimit, interfaceIndex: Int32?, interfaceName: String?, socket: PacketSocket,
               session: CaptureSession?) {
    self.session = session
    self.flow = flow
    self.limit = limit
    self.interfaceIndex = interfaceIndex
    self.interfaceName = interfaceName
    self.socket = socket
    self.loopbackCopy = socket.ignoresOutgoing ? .received : .sent
    self.buffer = PacketBuffer(limit: limit)
    self.startNanoseconds = PacketSocket.now()
    pthread_mutex_init(&lock, nil)
  }

  deinit {
    if !socketReturned { socket.close() }
    pthread_mutex_destroy(&lock)
  }

  /// Opens the socket, attaches the flow's filter and starts listening. Throws `CaptureUnavailable.needsCapability`
  /// without CAP_NET_RAW. With a `session`, reuses a socket an earlier capture left there (and leaves this one
  /// there at `stop()`): a loop of captures then costs no socket close each.
  public static func start(flow: CaptureFlow, interface: CaptureInterface = .automatic, limit: CaptureLimit = .perProbe,
                           snapLength: Int = defaultSnapLength, session: CaptureSession? = nil) throws(CaptureUnavailable)
    -> PacketCapture {
    try start(flow: flow, interface: interface, limit: limit, snapLength: snapLength, session: session, ring: nil)
  }

  /// `start`, with the receive ring a new socket gets (nil: none, every frame read with `recvmsg`). Setting a ring up
  /// waits for an RCU grace period (8 ms here) and closing it for one more, so a socket made here for one capture
  /// has none; a session gives a long loop a socket with a ring (`CaptureSession.ringAfterCaptures`).
  static func start(flow: CaptureFlow, interface: CaptureInterface, limit: CaptureLimit, snapLength: Int, session: CaptureSession?,
                    ring: PacketRing.Geometry?) throws(CaptureUnavailable) -> PacketCapture {
    let index: Int32?
    switch interface {
    case .all:
      index = nil
    case let .named(name):
      guard let found = PacketSocket.interfaceIndex(named: name) else {
        throw CaptureUnavailable(reason: "no interface named \(name)", errno: Errno(ENODEV))
      }
      index = found
    case .automatic:
      let lookup = { (address: IPAddress) -> Int32? in
        (try? Routes.lookup(address)).flatMap { $0.status == .found ? $0.interfaceIndex.map(Int32.init) : nil }
      }
      index = session.map { $0.interfaceIndex(for: flow.remote.address, lookup: lookup) } ?? lookup(flow.remote.address)
    }
    let name = index.flatMap { index in
      session.map { $0.interfaceName(index: index, lookup: PacketSocket.interfaceName(index:)) } ?? PacketSocket.interfaceName(index: index)
    }
    func program(keeping copy: LoopbackCopy) -> BPFProgram {
      let compile = { FlowFilter.program(for: flow, snapLength: UInt32(snapLength), loopbackCopy: copy) }
      return session.map { $0.program(for: flow, snapLength: snapLength, loopbackCopy: copy, compile: compile) } ?? compile()
    }
    if let reused = session?.take(interfaceIndex: index ?? 0, snapLength: snapLength) {
      // A loop probing one endpoint gets the same program each time: no attach (and no BPF JIT) then. Whatever
      // queued while the socket was idle came before this capture started: it is not this capture's.
      let wanted = program(keeping: reused.ignoresOutgoing ? .received : .sent)
      if reused.program == wanted || { if case .success = reused.attach(wanted) { return true } else { return false } }() {
        reused.discardQueued()
        return PacketCapture(flow: flow, limit: limit, interfaceIndex: index, interfaceName: name, socket: reused, session: session)
          .inFlight()
      }
      reused.close()
    }
    let socket = try openSocket(interfaceIndex: index, snapLength: snapLength, ring: ring, program: program(keeping:))
    return PacketCapture(flow: flow, limit: limit, interfaceIndex: index, interfaceName: name, socket: socket, session: session)
      .inFlight()
  }

  /// A packet socket listening on one interface (nil: all) through the filter `program` gives for the loopback copy
  /// it keeps.
  static func openSocket(interfaceIndex index: Int32?, snapLength: Int, ring: PacketRing.Geometry?,
                         program: (LoopbackCopy) -> BPFProgram) throws(CaptureUnavailable) -> PacketSocket {
    let socket: PacketSocket
    do {
      socket = try PacketSocket(snapLength: snapLength, ring: ring)
    } catch {
      if error.errno == .notPermitted || error.errno == .permissionDenied { throw .needsCapability }
      throw CaptureUnavailable(reason: "\(error)", errno: error.errno)
    }
    // On lo every packet passes the tap twice; a socket bound to lo alone can have the kernel skip the sent copy
    // before it is cloned. Listening on all interfaces, or on a kernel before 4.20, the filter drops a copy instead.
    // Binding with protocol 0 picks the interface without listening, so the kernel can say which kind it is.
    if let index, case .success = socket.bind(interfaceIndex: index, listening: false),
       socket.boundHardwareType() == PacketSocket.loopbackHardwareType {
      _ = socket.ignoreOutgoing()
    }
    // The socket listens to no protocol until bind, so no frame can queue before the filter is in place: a new
    // socket needs no "reject-all filter, drain, real filter" dance (a reused one is drained at start instead).
    if case let .failure(error) = socket.attach(program(socket.ignoresOutgoing ? .received : .sent)) {
      socket.close()
      throw CaptureUnavailable(reason: "setsockopt(SO_ATTACH_FILTER): \(error)", errno: error)
    }
    if case let .failure(error) = socket.bind(interfaceIndex: index ?? 0) {
      socket.close()
      if error == .notPermitted || error == .permissionDenied { throw .needsCapability }
      throw CaptureUnavailable(reason: "bind(AF_PACKET): \(error)", errno: error)
    }
    return socket
  }

  /// Whether a capture can start here: opens and closes a packet socket. Nil when it can, else why not.
  public static func unavailability() -> CaptureUnavailable? {
    do {
      // Closing a packet socket waits for a grace period (about 10 ms): not on the caller's path.
      CaptureSession.closeInBackground(try PacketSocket(snapLength: 64))
      return nil
    } catch {
      if error.errno == .notPermitted || error.errno == .permissionDenied { return .needsCapability }
      return CaptureUnavailable(reason: "\(error)", errno: error.errno)
    }
  }

  /// Whether frames come through a memory-mapped ring rather than one `recvmsg` each.
  var readsFromRing: Bool { socket.hasRing }

  /// Reads every frame queued so far into the bounded buffer. Call it now and then during a long probe so the
  /// kernel's buffer or ring does not overflow; `stop()` calls it too.
  public func drain() {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    guard stopped == nil else { return }
    drainedEarly = true
    drainLocked(flow)
  }

  /// Tells the session (if any) that this capture runs, so `CaptureSession.capturesInFlight()` can look at it.
  private func inFlight() -> PacketCapture {
    session?.began(self)
    return self
  }

  /// What the capture holds so far, without stopping it (after reading what is queued): a look at a probe that is
  /// still waiting, e.g. whether its SYN has left at all. After `stop`, what it kept.
  public func packetsSoFar() -> CapturedPackets {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    if let stopped { return stopped }
    drainedEarly = true
    drainLocked(flow)
    return captured(buffer.packets, flow: flow)
  }

  /// `packets` with what this capture is: the flow they were kept for, its interface, times, drops and limit.
  private func captured(_ packets: [CapturedPacket], flow: CaptureFlow) -> CapturedPackets {
    CapturedPackets(flow: flow, interface: interfaceName, interfaceIndex: interfaceIndex, startNanoseconds: startNanoseconds,
                    stopNanoseconds: PacketSocket.now(), packets: packets, droppedByLimit: buffer.dropped,
                    droppedByKernel: kernelDrops, limit: limit)
  }

  /// Reads the queued frames into the buffer, keeping those of `flow` (the capture's, or one narrowed to a connection).
  private func drainLocked(_ flow: CaptureFlow) {
    socket.readQueued { frame in
      // The loopback device hands each packet over twice, sent then received: keep one copy (`LoopbackCopy`). The
      // flow filter (or the kernel, with PACKET_IGNORE_OUTGOING) already leaves the other out; this is the backstop.
      if frame.hardwareType == PacketSocket.loopbackHardwareType, !loopbackCopy.keeps(frame.packetType) { return }
      let bytes = Self.cookedFrame(frame)
      let decoded = PacketDecoder.decode(bytes, linkType: .linuxSLL)
      guard let direction = flow.direction(of: decoded) else { return }  // another flow, or an error about another flow
      buffer.append(CapturedPacket(timestampNanoseconds: frame.timestampNanoseconds, direction: direction,
                                   interfaceIndex: frame.interfaceIndex, linkType: .linuxSLL,
                                   originalLength: frame.originalLength + LinkType.linuxSLL.headerLength, bytes: bytes,
                                   decoded: decoded))
    }
    kernelDrops += socket.droppedSinceLastCall()
  }

  /// Stops the capture and returns what it kept. Frames still in flight may arrive during `settle` (a sent frame
  /// is queued as it leaves, but a reply on a busy interface may trail the probe's verdict by a moment).
  /// Calling it again returns the same packets.
  public func stop(settle: Duration = .zero) -> CapturedPackets {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    return stopLocked(settle: settle, keeping: flow)
  }

  /// `stop(settle:)` then `restricted(toLocal:)`, in one pass: the frames of other connections to the same server
  /// are left out as they are read instead of becoming packets that are filtered out after. Calling `stop` again
  /// returns the same, restricted, packets.
  public func stop(settle: Duration = .zero, restrictedToLocal local: SocketAddress) -> CapturedPackets {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    if let stopped { return stopped.restricted(toLocal: local) }
    var narrowed = flow
    narrowed.local = local
    let packets = stopLocked(settle: settle, keeping: narrowed)
    // Packets an earlier `drain()` kept were chosen for the whole flow.
    guard drainedEarly else { return packets }
    stopped = packets.restricted(toLocal: local)
    return stopped!
  }

  private func stopLocked(settle: Duration, keeping flow: CaptureFlow) -> CapturedPackets {
    if let stopped { return stopped }
    drainLocked(flow)
    if settle > .zero {
      let deadline = ContinuousClock.now + settle
      while !peerHasClosed(flow), socket.waitReadable(until: deadline) { drainLocked(flow) }
    }
    // Back to the session with its filter in place (the next capture discards what queues meanwhile); without a
    // session, closed.
    session?.ended(self)
    if let session {
      session.give(socket, interfaceIndex: interfaceIndex ?? 0)
      socketReturned = true
    } else {
      socket.close()
    }
    // Frames come in the order the kernel queued them, which is nearly always their timestamps' order: sort (a copy of
    // every packet) only when it is not.
    let kept = buffer.packets
    let inOrder = kept.indices.dropFirst().allSatisfy { kept[$0 - 1].timestampNanoseconds <= kept[$0].timestampNanoseconds }
    let packets = inOrder ? kept : kept.sorted { $0.timestampNanoseconds < $1.timestampNanoseconds }
    let result = captured(packets, flow: flow)
    stopped = result
    return result
  }

  /// A TCP connection whose server side has sent its FIN or an RST (in either direction): nothing more of it will
  /// come, so a settle can end early. Our own reply to the server's FIN is queued as it leaves, before this is read.
  private func peerHasClosed(_ flow: CaptureFlow) -> Bool {
    guard flow.transport == .tcp else { return false }
    return buffer.packets.contains { packet in
      guard let flags = packet.decoded.tcp?.flags else { return false }
      return flags.contains(.rst) || (flags.contains(.fin) && packet.direction == .toClient)
    }
  }

  /// The frame behind the 16-byte Linux cooked (SLL) header pcap and the decoder expect in front of a `SOCK_DGRAM`
  /// frame, written straight into one array.
  static func cookedFrame(_ frame: PacketSocket.Frame) -> [UInt8] {
    let headerLength = LinkType.linuxSLL.headerLength
    return [UInt8](unsafeUninitializedCapacity: headerLength + frame.bytes.count) { bytes, count in
      let type = frame.packetType.rawValue
      bytes[0] = UInt8(type >> 8); bytes[1] = UInt8(type & 0xff)
      bytes[2] = UInt8(frame.hardwareType >> 8); bytes[3] = UInt8(frame.hardwareType & 0xff)
      frame.withHardwareAddress { address in
        bytes[4] = 0; bytes[5] = UInt8(address.count)
        for offset in 0..<8 { bytes[6 + offset] = offset < address.count ? address[offset] : 0 }
      }
      bytes[14] = UInt8(frame.etherType >> 8); bytes[15] = UInt8(frame.etherType & 0xff)
      if let source = frame.bytes.baseAddress, !frame.bytes.isEmpty {
        UnsafeMutableRawPointer(bytes.baseAddress! + headerLength).copyMemory(from: source, byteCount: frame.bytes.count)
      }
      count = headerLength + frame.bytes.count
    }
  }
}
