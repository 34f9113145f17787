import Foundation
#if canImport(Glibc)
import Glibc
#endif
import NetProbe

/// A TCP listener on loopback (port 0) whose thread accepts and closes connections, so the queue never fills.
public final class LoopbackTCPListener: @unchecked Sendable {
  public let descriptor: Int32
  public let port: UInt16
  public let address: IPAddress
  private let server: ServerThread

  /// - Parameter port: 0 for any free port, or a given one (a test that closes a port, then opens it).
  public init(address: IPAddress = .v4(127, 0, 0, 1), port requested: UInt16 = 0, backlog: Int32 = 4096, accepting: Bool = true) throws {
    let family = address.family == .ipv4 ? AF_INET : AF_INET6
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    let bound = withSockAddr(SocketAddress(address, port: requested)) { Glibc.bind(fd, $0, $1) }
    guard bound == 0, listen(fd, backlog) == 0 else { throw Errno.current }
    descriptor = fd
    port = LoopbackTCPListener.boundPort(fd)
    self.address = address
    server = ServerThread(descriptor: fd) { stopped in
      while accepting && !stopped() {
        let client = accept(fd, nil, nil)
        if client < 0 {
          if errno == EINTR || errno == ECONNABORTED { continue }
          return  // the listener was shut down
        }
        close(client)
      }
    }
  }

  public var socketAddress: SocketAddress { SocketAddress(address, port: port) }

  deinit { server.stop() }

  public static func boundPort(_ descriptor: Int32) -> UInt16 {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
    return withUnsafeBytes(of: &storage) { raw in
      // sin_port and sin6_port sit at the same offset, in network order.
      UInt16(raw[2]) << 8 | UInt16(raw[3])
    }
  }
}

/// A UDP echo on loopback: every datagram goes back to its sender.
public final class LoopbackUDPEcho: @unchecked Sendable {
  public let descriptor: Int32
  public let port: UInt16
  public let address: IPAddress
  private let server: ServerThread

  public init(address: IPAddress = .v4(127, 0, 0, 1)) throws {
    let family = address.family == .ipv4 ? AF_INET : AF_INET6
    let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
    let bound = withSockAddr(SocketAddress(address, port: 0)) { Glibc.bind(fd, $0, $1) }
    guard bound == 0 else { throw Errno.current }
    descriptor = fd
    port = LoopbackTCPListener.boundPort(fd)
    self.address = address
    server = ServerThread(descriptor: fd) { stopped in
      var buffer = [UInt8](repeating: 0, count: 65_536)
      var peer = sockaddr_storage()
      while !stopped() {
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = withUnsafeMutablePointer(to: &peer) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
        }
        // shutdown() wakes recvfrom with 0 bytes: an empty datagram looks the same, so the flag decides.
        if count < 0 || stopped() { return }
        _ = withUnsafePointer(to: &peer) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, buffer, count, 0, $0, length) }
        }
      }
    }
  }

  public var socketAddress: SocketAddress { SocketAddress(address, port: port) }

  deinit { server.stop() }
}

/// A port on loopback that nobody listens on: bound (so nobody else takes it) but never listening.
public final class ClosedPort {
  public let descriptor: Int32
  public let port: UInt16

  public init(type: Int32 = Int32(SOCK_STREAM.rawValue), family: Int32 = AF_INET) throws {
    let fd = socket(family, type, 0)
    let address: IPAddress = family == AF_INET ? .v4(127, 0, 0, 1) : IPAddress("::1")!
    let bound = withSockAddr(SocketAddress(address, port: 0)) { Glibc.bind(fd, $0, $1) }
    guard bound == 0 else { throw Errno.current }
    descriptor = fd
    port = LoopbackTCPListener.boundPort(fd)
  }

  deinit { close(descriptor) }
}

/// A fresh directory under /tmp, removed at deinit.
public final class TemporaryDirectory {
  public let path: String

  public init() {
    var template = Array("/tmp/nettriage-test-XXXXXX".utf8CString)
    path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Open descriptors of this process, from /proc/self/fd: "number -> target" (e.g. `7 -> socket:[12345]`).
public func openDescriptors() -> Set<String> {
  let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
  return Set(names.compactMap { name in
    guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name) else { return nil }
    return name + " -> " + target
  })
}

/// A port on loopback that nothing is bound to: taken from the kernel, then released.
public func unusedPort(type: Int32, family: AddressFamily = .ipv4) throws -> UInt16 {
  try ClosedPort(type: type, family: family.constant).port
}

/// Calls `body` with a C sockaddr for a numeric address and port (IPv4 or IPv6, no zone).
public func withSockAddr<R>(_ address: SocketAddress, _ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
  switch address.address {
  case .v4:
    var v4 = sockaddr_in()
    v4.sin_family = sa_family_t(AF_INET)
    v4.sin_port = address.port.bigEndian
    withUnsafeMutableBytes(of: &v4.sin_addr) { $0.copyBytes(from: address.address.bytes) }
    return withUnsafePointer(to: &v4) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) } }
  case .v6:
    var v6 = sockaddr_in6()
    v6.sin6_family = sa_family_t(AF_INET6)
    v6.sin6_port = address.port.bigEndian
    withUnsafeMutableBytes(of: &v6.sin6_addr) { $0.copyBytes(from: address.address.bytes) }
    return withUnsafePointer(to: &v6) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) } }
  }
}

extension AddressFamily {
  /// The C address family constant.
  public var constant: Int32 { self == .ipv4 ? AF_INET : AF_INET6 }
}

/// A thread serving one socket. `stop()` raises the flag, wakes the thread with shutdown(2), waits for it to
/// leave, and only then closes the descriptor: a thread still using a closed number would serve whatever
/// socket reuses it next.
final class ServerThread: @unchecked Sendable {
  private let descriptor: Int32
  private let lock = NSLock()
  private var isStopped = false
  private let exited = DispatchSemaphore(value: 0)

  init(descriptor: Int32, body: @escaping @Sendable (_ stopped: () -> Bool) -> Void) {
    self.descriptor = descriptor
    Thread { [self] in
      body { self.stopped }
      exited.signal()
    }.start()
  }

  private var stopped: Bool {
    lock.lock()
    defer { lock.unlock() }
    return isStopped
  }

  func stop() {
    lock.lock()
    isStopped = true
    lock.unlock()
    shutdown(descriptor, Int32(SHUT_RDWR))
    exited.wait()
    close(descriptor)
  }
}
