import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// An `AF_PACKET` / `SOCK_DGRAM` socket: every frame of one interface (or all), from its network header on, with
/// the kernel's `sockaddr_ll` (interface, link type, sent or received) and its timestamp. Needs CAP_NET_RAW.
///
/// The capture's only contact with libc; it builds on `Socket`, which owns the descriptor.
final class PacketSocket {
  private let socket: Socket
  /// The receive buffer, reused for every frame.
  private var buffer: [UInt8]
  /// The control-message buffer (the timestamp), reused for every frame too.
  private var control = [UInt8](repeating: 0, count: 256)
  /// The largest frame kept.
  let snapLength: Int
  /// The filter attached last.
  private(set) var program: BPFProgram?
  /// Whether the kernel leaves out the frames this host sends (`ignoreOutgoing()`).
  private(set) var ignoresOutgoing = false

  /// A frame as `recvmsg` returned it.
  struct Frame {
    /// From the network header on, cut at the snap length.
    var bytes: [UInt8]
    /// The frame's length before any cut.
    var originalLength: Int
    /// `sll_protocol`: the EtherType.
    var etherType: UInt16
    var interfaceIndex: Int32
    /// `sll_hatype`: ARPHRD_ETHER 1, ARPHRD_LOOPBACK 772, ARPHRD_NONE 65534...
    var hardwareType: UInt16
    var packetType: PacketType
    var hardwareAddress: [UInt8]
    /// Nanoseconds since the Unix epoch: the kernel's stamp (`SCM_TIMESTAMPNS`), else `SIOCGSTAMPNS`, else now.
    var timestampNanoseconds: Int64
  }

  /// `SIOCGSTAMPNS` (linux/sockios.h), which the C module does not export.
  private static let getTimestampNanoseconds: UInt = 0x8907

  /// `ARPHRD_LOOPBACK`: the loopback device, where every packet passes twice (sent, then received).
  static let loopbackHardwareType: UInt16 = 772

  /// Opens the socket listening to no protocol yet, so nothing queues before the filter is attached; `bind`
  /// starts the capture. The corresponding C function is `socket(2)`.
  init(snapLength: Int) throws(SystemCallError) {
    socket = try Socket(domain: AF_PACKET, type: Int32(SOCK_DGRAM.rawValue), protocol: 0)
    _ = KernelTimestamps.areOn
    self.snapLength = snapLength
    buffer = [UInt8](repeating: 0, count: max(64, snapLength))
    _ = socket.setOption(level: SOL_SOCKET, name: SO_TIMESTAMPNS, value: 1)
    // Room for a burst: the kernel counts what overflows (PACKET_STATISTICS).
    _ = socket.setOption(level: SOL_SOCKET, name: SO_RCVBUF, value: 1 << 20)
  }

  func close() { socket.close() }

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

  /// Reads and discards every queued frame. Returns how many there were.
  @discardableResult
  func discardQueued() -> Int {
    var count = 0
    while receive() != nil { count += 1 }
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

  /// Reads one queued frame without waiting; nil when none is queued. The corresponding C function is `recvmsg(2)`
  /// (with `MSG_TRUNC`, which returns the frame's full length).
  func receive() -> Frame? {
    var address = sockaddr_ll()
    var kernelTime: Int64?
    let length: Int? = buffer.withUnsafeMutableBytes { dataBuffer in
      control.withUnsafeMutableBytes { controlBuffer in
        withUnsafeMutablePointer(to: &address) { addressPointer in
          var vector = iovec(iov_base: dataBuffer.baseAddress, iov_len: dataBuffer.count)
          return withUnsafeMutablePointer(to: &vector) { vectorPointer -> Int? in
            var message = msghdr()
            message.msg_name = UnsafeMutableRawPointer(addressPointer)
            message.msg_namelen = socklen_t(MemoryLayout<sockaddr_ll>.size)
            message.msg_iov = vectorPointer
            message.msg_iovlen = 1
            message.msg_control = controlBuffer.baseAddress
            message.msg_controllen = controlBuffer.count
            let flags = Int32(MSG_DONTWAIT) | Int32(MSG_TRUNC)
            guard case let .success(read) = syscallResult({ recvmsg(socket.descriptor, &message, flags) }) else { return nil }
            var header = nt_cmsg_firsthdr(&message)
            while let cmsg = header {
              if cmsg.pointee.cmsg_level == SOL_SOCKET, cmsg.pointee.cmsg_type == SCM_TIMESTAMPNS, let data = nt_cmsg_data(cmsg) {
                let stamp = UnsafeRawPointer(data).loadUnaligned(as: timespec.self)
                kernelTime = Int64(stamp.tv_sec) * 1_000_000_000 + Int64(stamp.tv_nsec)
              }
              header = nt_cmsg_nxthdr(&message, cmsg)
            }
            return read
          }
        }
      }
    }
    guard let length else { return nil }
    let hardwareAddress = withUnsafeBytes(of: address.sll_addr) { Array($0.prefix(Int(min(address.sll_halen, 8)))) }
    return Frame(bytes: Array(buffer.prefix(min(length, buffer.count))), originalLength: length,
                 etherType: UInt16(bigEndian: address.sll_protocol), interfaceIndex: address.sll_ifindex,
                 hardwareType: address.sll_hatype, packetType: PacketType(code: UInt16(address.sll_pkttype)),
                 hardwareAddress: hardwareAddress, timestampNanoseconds: kernelTime ?? lastTimestamp() ?? Self.now())
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

  /// Frames the kernel dropped because the receive buffer was full, since the last call (`PACKET_STATISTICS`
  /// resets on read). The corresponding C function is `getsockopt(2)`.
  func droppedSinceLastCall() -> Int {
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
