import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A nonblocking, close-on-exec socket descriptor; closed on `close()` or when the value goes away.
///
/// The only place in NetProbe that touches socket descriptors and `sockaddr` memory.
final class Socket {
  private(set) var descriptor: Int32

  /// Opens a socket. The corresponding C function is `socket(2)`.
  init(domain: Int32, type: Int32, protocol: Int32 = 0) throws(SystemCallError) {
    let flags = Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
    descriptor = try syscall("socket") { Glibc.socket(domain, type | flags, `protocol`) }
  }

  deinit { close() }

  /// Closes the descriptor once; later calls do nothing. The corresponding C function is `close(2)`.
  func close() {
    guard descriptor >= 0 else { return }
    _ = Glibc.close(descriptor)
    descriptor = -1
  }

  /// Sets an integer option. The corresponding C function is `setsockopt(2)`.
  func setOption(level: Int32, name: Int32, value: Int32) -> Result<Void, Errno> {
    var value = value
    return syscallResult { setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) }.map { _ in () }
  }

  /// Reads an integer option. The corresponding C function is `getsockopt(2)`.
  func option(level: Int32, name: Int32) -> Result<Int32, Errno> {
    var value: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    return syscallResult { getsockopt(descriptor, level, name, &value, &length) }.map { _ in value }
  }

  /// The pending error of a finished nonblocking connect (`SO_ERROR`); nil when it succeeded.
  func pendingError() -> Errno? {
    switch option(level: SOL_SOCKET, name: SO_ERROR) {
    case let .success(code): return code == 0 ? nil : Errno(code)
    case let .failure(error): return error
    }
  }

  /// The kernel's own round trip of a finished handshake: `TCP_INFO`'s `tcpi_rtt` (µs), timed in the stack from
  /// the SYN's transmission to the SYN-ACK's arrival, so no scheduling delay of this process is in it. Nil when
  /// the SYN was sent again (Karn's rule: which SYN was answered is unknown), or the kernel has no sample.
  /// The corresponding C function is `getsockopt(2)` with `TCP_INFO`.
  func handshakeRoundTripMicroseconds() -> Int64? {
    // The same `tcp_info` layout a sock_diag dump carries: read by the one parser that knows its offsets.
    var info = [UInt8](repeating: 0, count: 104)
    var length = socklen_t(info.count)
    let read = info.withUnsafeMutableBytes { buffer in
      syscallResult { getsockopt(descriptor, Int32(IPPROTO_TCP), Int32(TCP_INFO), buffer.baseAddress, &length) }
    }
    guard case .success = read, let details = SockDiag.tcpInfo(SockDiagBytes(info), from: 0, to: Int(length)),
          details.rttMicroseconds > 0, details.totalRetransmits == 0 else { return nil }
    return Int64(details.rttMicroseconds)
  }

  /// The corresponding C function is `bind(2)`.
  func bind(to address: SocketAddress) -> Result<Void, Errno> {
    address.withSockAddr { pointer, length in
      syscallResult { Glibc.bind(descriptor, pointer, length) }.map { _ in () }
    }
  }

  /// Marks the socket as a listener. The corresponding C function is `listen(2)`.
  func listen(backlog: Int32) -> Result<Void, Errno> {
    syscallResult { Glibc.listen(descriptor, backlog) }.map { _ in () }
  }

  /// Starts a connect; `.success` also when it is in progress. The corresponding C function is `connect(2)`.
  func connect(to address: SocketAddress) -> ConnectStart {
    address.withSockAddr { pointer, length in
      switch syscallResult({ Glibc.connect(descriptor, pointer, length) }) {
      case .success: return .connected
      case .failure(let error) where error == .inProgress: return .inProgress
      case .failure(let error): return .failed(error)
      }
    }
  }

  /// Starts a connect to a unix-domain socket path (at most 107 bytes).
  func connect(unixPath path: String) -> ConnectStart {
    var address = sockaddr_un()
    address.sun_family = sa_family_t(AF_UNIX)
    let bytes = Array(path.utf8)
    let capacity = MemoryLayout.size(ofValue: address.sun_path)
    guard bytes.count < capacity else { return .failed(Errno(ENAMETOOLONG)) }
    withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
    let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count + 1)
    let result = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in syscallResult { Glibc.connect(descriptor, pointer, length) } }
    }
    switch result {
    case .success: return .connected
    case .failure(let error) where error == .inProgress: return .inProgress
    case .failure(let error): return .failed(error)
    }
  }

  enum ConnectStart { case connected, inProgress, failed(Errno) }

  /// The local endpoint. The corresponding C function is `getsockname(2)`.
  func localAddress() -> SocketAddress? { endpoint(getsockname) }

  /// The remote endpoint. The corresponding C function is `getpeername(2)`.
  func peerAddress() -> SocketAddress? { endpoint(getpeername) }

  private func endpoint(_ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32) -> SocketAddress? {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let status = withUnsafeMutablePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(descriptor, $0, &length) }
    }
    guard status == 0 else { return nil }
    return withUnsafeBytes(of: &storage) { SocketAddress(storage: $0.baseAddress!) }
  }

  /// Sends on a connected socket. The corresponding C function is `send(2)`.
  func send(_ bytes: [UInt8]) -> Result<Int, Errno> {
    syscallResult { bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } }
  }

  /// Receives what is waiting, up to `capacity` bytes. The corresponding C function is `recv(2)`.
  func receive(capacity: Int) -> Result<[UInt8], Errno> {
    var buffer = [UInt8](repeating: 0, count: capacity)
    return syscallResult { buffer.withUnsafeMutableBytes { Glibc.recv(descriptor, $0.baseAddress, capacity, Int32(MSG_DONTWAIT)) } }
      .map { Array(buffer.prefix($0)) }
  }

  /// Waits until the socket is ready for `events`, the deadline passes, or `cancellation` fires.
  /// The corresponding C function is `poll(2)`.
  /// With `pollOnce`, looks once without waiting (`.deadline` when not ready).
  func wait(for events: Int16, until deadline: ContinuousClock.Instant, cancellation: CancellationSignal?,
            pollOnce: Bool = false) -> WaitOutcome {
    while true {
      let remaining = pollOnce ? .zero : deadline - .now
      if remaining <= .zero && !pollOnce { return .deadline }
      var fds = [pollfd(fd: descriptor, events: events, revents: 0)]
      if let cancellation { fds.append(pollfd(fd: cancellation.descriptor, events: Int16(POLLIN), revents: 0)) }
      // Round up to whole milliseconds: waking early would only loop, waking late costs under 1 ms.
      let (seconds, attoseconds) = remaining.components
      let milliseconds = min(Int64(Int32.max), seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
      let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), Int32(milliseconds)) }
      if ready < 0 {
        if errno == EINTR { continue }
        return .failed(Errno.current)
      }
      if ready == 0 {
        if pollOnce { return .deadline }
        continue  // loop re-checks the deadline: poll may wake a little early
      }
      if fds.count > 1, fds[1].revents != 0 { return .cancelled }
      return .ready(fds[0].revents)
    }
  }

  enum WaitOutcome: Equatable { case ready(Int16), deadline, cancelled, failed(Errno) }

  /// Reads one queued ICMP or local error report (`IP_RECVERR`), if any. The corresponding C call is
  /// `recvmsg(2)` with `MSG_ERRQUEUE`.
  func readErrorQueue() -> ICMPReport? {
    var control = [UInt8](repeating: 0, count: 512)
    var data = [UInt8](repeating: 0, count: 64)
    var peer = sockaddr_storage()
    var report: ICMPReport?
    _ = data.withUnsafeMutableBytes { dataBuffer in
      control.withUnsafeMutableBytes { controlBuffer in
        withUnsafeMutablePointer(to: &peer) { peerPointer in
          receiveMessage(descriptor, flags: Int32(MSG_ERRQUEUE) | Int32(MSG_DONTWAIT), data: dataBuffer, control: controlBuffer,
                         name: UnsafeMutableRawPointer(peerPointer), nameLength: MemoryLayout<sockaddr_storage>.size) { cmsg in
            let level = cmsg.pointee.cmsg_level, type = cmsg.pointee.cmsg_type
            guard report == nil, (level == IPPROTO_IP && type == IP_RECVERR) || (level == IPPROTO_IPV6 && type == IPV6_RECVERR) else { return }
            let extended = UnsafeMutableRawPointer(nt_cmsg_data(cmsg)!).assumingMemoryBound(to: sock_extended_err.self)
            let offender = nt_so_ee_offender(extended).map { SocketAddress(storage: $0)?.address } ?? nil
            report = ICMPReport(extendedError: extended.pointee, sender: offender)
          }
        }
      }
    }
    return report
  }
}

/// Wakes a blocked probe when its task is cancelled: an `eventfd(2)` the probe polls beside its socket.
public final class CancellationSignal: @unchecked Sendable {
  private var lock = pthread_mutex_t()
  private var fd: Int32

  public init() {
    pthread_mutex_init(&lock, nil)
    fd = eventfd(0, Int32(EFD_CLOEXEC) | Int32(EFD_NONBLOCK))
  }

  deinit {
    close()
    pthread_mutex_destroy(&lock)
  }

  /// The eventfd to poll; -1 once closed.
  var descriptor: Int32 {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    return fd
  }

  /// Closes the eventfd now rather than whenever the last reference goes (a dispatch block may hold one a
  /// while). After this, `fire()` does nothing: it can never write to a number that was reused.
  public func close() {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    if fd >= 0 { _ = Glibc.close(fd) }
    fd = -1
  }

  /// Whether `fire()` has been called.
  public var isFired: Bool {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    guard fd >= 0 else { return false }
    var pending = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
    return poll(&pending, 1, 0) == 1
  }

  /// Makes every poll that includes this signal return.
  public func fire() {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    guard fd >= 0 else { return }
    var one: UInt64 = 1
    _ = withUnsafeBytes(of: &one) { Glibc.write(fd, $0.baseAddress, 8) }
  }
}
