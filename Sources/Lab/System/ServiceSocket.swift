import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A blocking, close-on-exec socket for the lab's own small servers (listeners, echo, stall), which run inside
/// lab namespaces. The only place in the lab that handles socket descriptors and `sockaddr` memory.
final class ServiceSocket {
  private(set) var descriptor: Int32

  /// Opens a socket. The corresponding C function is `socket(2)`.
  init(family: AddressFamily, type: Int32) throws(LabError) {
    let domain = family == .ipv4 ? AF_INET : AF_INET6
    descriptor = socket(domain, type | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { throw LabError("socket: \(Errno(errno))") }
  }

  private init(descriptor: Int32) { self.descriptor = descriptor }

  deinit { close() }

  /// The corresponding C function is `close(2)`.
  func close() {
    guard descriptor >= 0 else { return }
    _ = Glibc.close(descriptor)
    descriptor = -1
  }

  /// Sets an integer option. The corresponding C function is `setsockopt(2)`.
  func setOption(_ level: Int32, _ name: Int32, _ value: Int32) throws(LabError) {
    var value = value
    guard setsockopt(descriptor, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
      throw LabError("setsockopt(\(level), \(name)): \(Errno(errno))")
    }
  }

  /// Binds to every address of both families on `port` (`[::]` with IPV6_V6ONLY off), or of IPv4 only.
  /// The corresponding C function is `bind(2)`.
  func bindToAnyAddress(port: UInt16, family: AddressFamily = .ipv6) throws(LabError) {
    try setOption(SOL_SOCKET, SO_REUSEADDR, 1)
    let result: Int32
    if family == .ipv6 {
      try setOption(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 0)
      var address = sockaddr_in6()
      address.sin6_family = sa_family_t(AF_INET6)
      address.sin6_port = port.bigEndian
      result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
      }
    } else {
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = port.bigEndian
      result = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
      }
    }
    guard result == 0 else { throw LabError("bind(port \(port)): \(Errno(errno))") }
  }

  /// The corresponding C function is `listen(2)`.
  func listen(backlog: Int32) throws(LabError) {
    guard Glibc.listen(descriptor, backlog) == 0 else { throw LabError("listen: \(Errno(errno))") }
  }

  /// Waits for a connection; nil when accept failed (the peer gave up first). The corresponding C function is
  /// `accept(2)`.
  func accept() -> ServiceSocket? {
    while true {
      let connection = Glibc.accept(descriptor, nil, nil)
      if connection >= 0 {
        // accept4(SOCK_CLOEXEC) is behind _GNU_SOURCE; services start no programs, so setting it after is safe.
        _ = fcntl(connection, F_SETFD, FD_CLOEXEC)
        return ServiceSocket(descriptor: connection)
      }
      if errno == EINTR { continue }
      return nil
    }
  }

  /// Takes the oldest queued connection if there is one, without waiting; nil when the queue is empty.
  /// The corresponding C functions are `poll(2)` and `accept(2)`.
  func acceptIfQueued() -> ServiceSocket? {
    var ready = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
    guard poll(&ready, 1, 0) == 1 else { return nil }
    return accept()
  }

  /// Sends all the bytes, blocking while the send buffer is full; false when the connection failed.
  /// The corresponding C function is `send(2)`.
  @discardableResult
  func sendAll(_ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
      let sent = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
      if sent < 0 {
        if errno == EINTR { continue }
        return false
      }
      offset += sent
    }
    return true
  }

  /// Connects to `address`:`port`, waiting at most `timeout`; false when it did not connect.
  /// The corresponding C functions are `connect(2)` and `poll(2)`.
  func connect(to address: IPAddress, port: UInt16, timeout: Duration) -> Bool {
    let flags = fcntl(descriptor, F_GETFL)
    _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
    defer { _ = fcntl(descriptor, F_SETFL, flags) }
    let result = Self.withSockAddr(address, port: port) { Glibc.connect(descriptor, $0, $1) }
    if result == 0 { return true }
    guard errno == EINPROGRESS else { return false }
    var ready = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
    let (seconds, attoseconds) = timeout.components
    guard poll(&ready, 1, Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000)) == 1 else { return false }
    var error: Int32 = 0
    var length = socklen_t(MemoryLayout<Int32>.size)
    getsockopt(descriptor, SOL_SOCKET, SO_ERROR, &error, &length)
    return error == 0
  }

  /// Echoes datagrams back to their senders until receiving fails. The corresponding C functions are
  /// `recvfrom(2)` and `sendto(2)`.
  func echoDatagrams() -> Never {
    var buffer = [UInt8](repeating: 0, count: 65_536)
    var peer = sockaddr_storage()
    while true {
      var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
      let count = withUnsafeMutablePointer(to: &peer) { peerPointer in
        peerPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(descriptor, &buffer, buffer.count, 0, $0, &length) }
      }
      guard count >= 0 else {
        if errno == EINTR { continue }
        fatalError("recvfrom: \(Errno(errno))")
      }
      _ = withUnsafePointer(to: &peer) { peerPointer in
        peerPointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(descriptor, buffer, count, 0, $0, length) }
      }
    }
  }

  private static func withSockAddr<R>(_ address: IPAddress, port: UInt16, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    switch address {
    case .v4:
      var v4 = sockaddr_in()
      v4.sin_family = sa_family_t(AF_INET)
      v4.sin_port = port.bigEndian
      withUnsafeMutableBytes(of: &v4.sin_addr) { $0.copyBytes(from: address.bytes) }
      return withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
    case .v6:
      var v6 = sockaddr_in6()
      v6.sin6_family = sa_family_t(AF_INET6)
      v6.sin6_port = port.bigEndian
      withUnsafeMutableBytes(of: &v6.sin6_addr) { $0.copyBytes(from: address.bytes) }
      return withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
    }
  }
}

/// Waits until one of the descriptors can be read; returns its index. The corresponding C function is `poll(2)`.
func waitForReadable(_ descriptors: [Int32]) -> Int {
  var fds = descriptors.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
  while true {
    let ready = poll(&fds, nfds_t(fds.count), -1)
    if ready > 0, let index = fds.firstIndex(where: { $0.revents != 0 }) { return index }
    if ready < 0 && errno != EINTR { fatalError("poll: \(Errno(errno))") }
  }
}
