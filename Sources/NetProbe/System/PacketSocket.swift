import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// An `AF_PACKET` / `SOCK_DGRAM` socket: every frame of one interface (or all), from its network header on, with
/// the kernel's `sockaddr_ll` (interface, link type, sent or received) and its timestamp. Needs CAP_NET_RAW.
///
/// Frames arrive through a memory-mapped ring (`PacketRing`) when the kernel sets one up, else one `recvmsg` each.
/// The capture's only contact with libc; it builds on `Socket`, which owns the descriptor.
final class PacketSocket {
  private let socket: Socket
  /// The receive ring; nil when it could not be set up (then every frame is read with `recvmsg`).
  private let ring: PacketRing?
  /// The receive buffer for `recvmsg`, reused for every frame.
  private var buffer: [UInt8]
  /// The control-message buffer (the timestamp), reused for every frame too.
  private var control = [UInt8](repeating: 0, count: 256)
  /// The largest frame kept.
  let snapLength: Int
  /// The filter attached last.
  private(set) var program: BPFProgram?
  /// Whether the kernel leaves out the frames this host sends (`ignoreOutgoing()`).
  private(set) var ignoresOutgoing = false
  /// Whether the kernel may have dropped frames since `PACKET_STATISTICS` was last read. A ring drops only when it is
  /// full, and then says so on the next frame it fills, so it is read only after such signs.
  private var mayHaveDropped = true

  /// A frame as the kernel handed it over. Its bytes belong to the ring or the receive buffer: valid only inside
  /// the `readQueued` closure that got it.
  struct Frame {
    /// From the network header on, cut at the snap length.
    let bytes: UnsafeRawBufferPointer
    /// The frame's length before any cut.
    let originalLength: Int
    /// The kernel's `sockaddr_ll` for it.
    fileprivate let link: sockaddr_ll
    /// Nanoseconds since the Unix epoch: the kernel's stamp (ring, or `SCM_TIMESTAMPNS`), else `SIOCGSTAMPNS`, else now.
    let timestampNanoseconds: Int64

    /// `sll_protocol`: the EtherType.
    var etherType: UInt16 { UInt16(bigEndian: link.sll_protocol) }
    var interfaceIndex: Int32 { link.sll_ifindex }
    /// `sll_hatype`: ARPHRD_ETHER 1, ARPHRD_LOOPBACK 772, ARPHRD_NONE 65534...
    var hardwareType: UInt16 { link.sll_hatype }
    var packetType: PacketType { PacketType(code: UInt16(link.sll_pkttype)) }
    /// Lends `body` the sender's link address (`sll_addr`: `sll_halen` bytes, at most 8).
    func withHardwareAddress<R>(_ body: (UnsafeRawBufferPointer) -> R) -> R {
      withUnsafeBytes(of: link.sll_addr) { body(UnsafeRawBufferPointer(rebasing: $0.prefix(Int(min(link.sll_halen, 8))))) }
    }
  }

  /// `SIOCGSTAMPNS` (linux/sockios.h), which the C module does not export.
  private static let getTimestampNanoseconds: UInt = 0x8907

  /// `ARPHRD_LOOPBACK`: the loopback device, where every packet passes twice (sent, then received).
  static let loopbackHardwareType: UInt16 = 772

  /// Opens the socket listening to no protocol yet, so nothing queues before the filter is attached; `bind`
  /// starts the capture. With a `ring` geometry, frames come through a receive ring of that size when the kernel
  /// allows one. The corresponding C function is `socket(2)`.
  init(snapLength: Int, ring geometry: PacketRing.Geometry? = nil) throws(SystemCallError) {
    socket = try Socket(domain: AF_PACKET, type: Int32(SOCK_DGRAM.rawValue), protocol: 0)
    _ = KernelTimestamps.areOn
    self.snapLength = snapLength
    _ = socket.setOption(level: SOL_SOCKET, name: SO_TIMESTAMPNS, value: 1)
    // Room for a burst: the kernel counts what overflows (PACKET_STATISTICS). With a ring, the queue holds only the
    // whole copies of frames longer than a slot.
    _ = socket.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: 1 << 20)
    ring = geometry.flatMap { [socket] geometry in try? PacketRing(descriptor: socket.descriptor, geometry: geometry) }
    buffer = [UInt8](repeating: 0, count: max(64, snapLength))
  }

  /// Whether frames come through a receive ring.
  var hasRing: Bool { ring != nil }

  func close() {
    ring?.unmap()
    socket.close()
  }

  /// Attaches a classic BPF program. The corresponding C call is `setsockopt(2)` with `SO_ATTACH_FILTER`.
  func attach(_ program: BPFProgram) -> Result<Void, Errno> {
    var filters = program.instructions.map { sock_filter(code: $0.code, jt: $0.jumpTrue, jf: $0.jumpFalse, k: $0.k) }
    let result = filters.withUnsafeMutableBufferPointer { pointer in
      var fprog = sock_fprog(len: UInt16(pointer.count), filter: pointer.baseAddress)
      return syscallResult {
        setsockopt(socket.descriptor, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, socklen_t(MemoryLayout<sock_fprog>.size))
      }.map { _ in () }
    }
    if case .success = result { self.program = program }
    return result
  }

  /// Asks the kernel not to hand this socket the frames this host sends (`PACKET_IGNORE_OUTGOING`, Linux 4.20): they
  /// are then not even cloned for it. Only for the loopback device, where the received copy shows the same packet;
  /// elsewhere the sent frames are half the flow. The corresponding C function is `setsockopt(2)`.
  func ignoreOutgoing() -> Result<Void, Errno> {
    let result = socket.setOption(level: SOL_PACKET, name: PACKET_IGNORE_OUTGOING, value: 1)
    if case .success = result { ignoresOutgoing = true }
    return result
  }

  /// The ARPHRD type of the interface the socket is bound to (772 for loopback); nil when bound to none. The
  /// corresponding C function is `getsockname(2)`, which names the device's type in `sll_hatype`.
  func boundHardwareType() -> UInt16? {
    var address = sockaddr_ll()
    var length = socklen_t(MemoryLayout<sockaddr_ll>.size)
    let result = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in syscallResult { getsockname(socket.descriptor, pointer, &length) } }
    }
    guard case .success = result, address.sll_ifindex != 0 else { return nil }
    return address.sll_hatype
  }

  /// Reads and discards every queued frame, and any drop count they left. Returns how many there were.
  @discardableResult
  func discardQueued() -> Int {
    var count = 0
    readQueued { _ in count += 1 }
    _ = droppedSinceLastCall()
    return count
  }

  /// Starts receiving every protocol on one interface (index 0: all of them); with `listening` false, only picks the
  /// interface (protocol 0: no frame queues yet), so `boundHardwareType()` can name it before the filter is chosen.
  /// The corresponding C function is `bind(2)` with a `sockaddr_ll`.
  func bind(interfaceIndex: Int32, listening: Bool = true) -> Result<Void, Errno> {
    var address = sockaddr_ll()
    address.sll_family = UInt16(AF_PACKET)
    address.sll_protocol = listening ? UInt16(ETH_P_ALL).bigEndian : 0
    address.sll_ifindex = interfaceIndex
    return withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        syscallResult { Glibc.bind(socket.descriptor, pointer, socklen_t(MemoryLayout<sockaddr_ll>.size)) }.map { _ in () }
      }
    }
  }

  /// Hands every frame queued so far to `visit`, oldest first, without waiting.
  func readQueued(_ visit: (Frame) -> Void) {
    guard let ring else {
      while receive(visit) {}
      return
    }
    var count = 0
    while let slot = ring.filledSlot() {
      if slot.followsDrops { mayHaveDropped = true }
      // A frame longer than the slot: the slot holds its start, the socket's queue the whole of it, in the same order.
      if !(slot.isCopiedWhole && receive(visit)) {
        visit(Frame(bytes: slot.bytes, originalLength: slot.originalLength, link: slot.link,
                    timestampNanoseconds: slot.timestampNanoseconds))
      }
      ring.giveBack(slot)
      count += 1
    }
    // Every slot was full: the kernel may have dropped frames and had no free slot to say so on.
    if count >= ring.geometry.frameCount { mayHaveDropped = true }
  }

  /// Reads one queued frame without waiting and hands it to `visit`; false when none is queued. The corresponding C
  /// function is `recvmsg(2)` (with `MSG_TRUNC`, which returns the frame's full length).
  private func receive(_ visit: (Frame) -> Void) -> Bool {
    var address = sockaddr_ll()
    var kernelTime: Int64?
    let length: Int? = buffer.withUnsafeMutableBytes { dataBuffer in
      control.withUnsafeMutableBytes { controlBuffer in
        withUnsafeMutablePointer(to: &address) { addressPointer in
          receiveMessage(socket.descriptor, flags: Int32(MSG_DONTWAIT) | Int32(MSG_TRUNC), data: dataBuffer, control: controlBuffer,
                         name: UnsafeMutableRawPointer(addressPointer), nameLength: MemoryLayout<sockaddr_ll>.size) { cmsg in
            if let stamp = kernelTimestampNanoseconds(cmsg) { kernelTime = stamp }
          }
        }
      }
    }
    guard let length else { return false }
    let timestamp = kernelTime ?? lastTimestamp() ?? Self.now()
    buffer.withUnsafeBytes { bytes in
      visit(Frame(bytes: UnsafeRawBufferPointer(rebasing: bytes.prefix(min(length, bytes.count))), originalLength: length,
                  link: address, timestampNanoseconds: timestamp))
    }
    return true
  }

  /// The timestamp of the last frame read, for kernels that sent no control message. The corresponding C call is
  /// `ioctl(2)` with `SIOCGSTAMPNS`.
  private func lastTimestamp() -> Int64? {
    var stamp = timespec()
    guard ioctl(socket.descriptor, Self.getTimestampNanoseconds, &stamp) == 0 else { return nil }
    return Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_nsec)
  }

  /// Waits until a frame is queued or the deadline passes.
  func waitReadable(until deadline: ContinuousClock.Instant) -> Bool {
    if case .ready = socket.wait(for: Int16(POLLIN), until: deadline, cancellation: nil) { return true }
    return false
  }

  /// Frames the kernel dropped because the ring or the receive buffer was full, since the last call
  /// (`PACKET_STATISTICS` resets on read); with a ring, read only when it showed signs of drops. The corresponding C
  /// function is `getsockopt(2)`.
  func droppedSinceLastCall() -> Int {
    guard mayHaveDropped else { return 0 }
    mayHaveDropped = ring == nil
    var statistics = tpacket_stats()
    var length = socklen_t(MemoryLayout<tpacket_stats>.size)
    guard getsockopt(socket.descriptor, SOL_PACKET, PACKET_STATISTICS, &statistics, &length) == 0 else { return 0 }
    return Int(statistics.tp_drops)
  }

  /// The wall clock, as the kernel stamps frames. The corresponding C function is `clock_gettime(2)`.
  static func now() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
  }

  /// The index of the interface named `name`; nil when there is none. The corresponding C function is
  /// `if_nametoindex(3)`.
  static func interfaceIndex(named name: String) -> Int32? {
    let index = if_nametoindex(name)
    return index == 0 ? nil : Int32(index)
  }

  /// The name of interface `index`. The corresponding C function is `if_indextoname(3)`.
  static func interfaceName(index: Int32) -> String? {
    var name = [CChar](repeating: 0, count: Int(IF_NAMESIZE) + 1)
    guard index > 0, if_indextoname(UInt32(index), &name) != nil else { return nil }
    return String(nulTerminated: name)
  }
}
