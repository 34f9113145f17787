import Foundation
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe

/// A TCP listener on loopback (port 0) whose thread accepts and closes connections, so the queue never fills.
final class LoopbackTCPListener: @unchecked Sendable {
  let descriptor: Int32
  let port: UInt16
  let address: IPAddress
  private let thread: Thread

  init(address: IPAddress = .v4(127, 0, 0, 1), backlog: Int32 = 4096, accepting: Bool = true) throws {
    let family = address.family == .ipv4 ? AF_INET : AF_INET6
    let fd = socket(family, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    let bound = SocketAddress(address, port: 0).withSockAddr { Glibc.bind(fd, $0, $1) }
    guard bound == 0, listen(fd, backlog) == 0 else { throw Errno.current }
    descriptor = fd
    port = LoopbackTCPListener.boundPort(fd)
    self.address = address
    thread = Thread {
      while accepting {
        let client = accept(fd, nil, nil)
        if client < 0 {
          if errno == EINTR || errno == ECONNABORTED { continue }
          return  // the listener was shut down
        }
        close(client)
      }
    }
    thread.start()
  }

  var socketAddress: SocketAddress { SocketAddress(address, port: port) }

  deinit {
    shutdown(descriptor, Int32(SHUT_RDWR))
    close(descriptor)
  }

  static func boundPort(_ descriptor: Int32) -> UInt16 {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) } }
    return withUnsafeBytes(of: &storage) { SocketAddress(storage: $0.baseAddress!)!.port }
  }
}

/// A UDP echo on loopback: every datagram goes back to its sender.
final class LoopbackUDPEcho: @unchecked Sendable {
  let descriptor: Int32
  let port: UInt16
  let address: IPAddress

  init(address: IPAddress = .v4(127, 0, 0, 1)) throws {
    let family = address.family == .ipv4 ? AF_INET : AF_INET6
    let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
    let bound = SocketAddress(address, port: 0).withSockAddr { Glibc.bind(fd, $0, $1) }
    guard bound == 0 else { throw Errno.current }
    descriptor = fd
    port = LoopbackTCPListener.boundPort(fd)
    self.address = address
    Thread {
      var buffer = [UInt8](repeating: 0, count: 65_536)
      var peer = sockaddr_storage()
      while true {
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let count = withUnsafeMutablePointer(to: &peer) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { recvfrom(fd, &buffer, buffer.count, 0, $0, &length) }
        }
        if count < 0 { return }
        _ = withUnsafePointer(to: &peer) {
          $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, buffer, count, 0, $0, length) }
        }
      }
    }.start()
  }

  var socketAddress: SocketAddress { SocketAddress(address, port: port) }

  deinit {
    shutdown(descriptor, Int32(SHUT_RDWR))
    close(descriptor)
  }
}

/// A port on loopback that nobody listens on: bound (so nobody else takes it) but never listening.
final class ClosedPort {
  let descriptor: Int32
  let port: UInt16

  init(type: Int32 = Int32(SOCK_STREAM.rawValue), family: Int32 = AF_INET) throws {
    let fd = socket(family, type, 0)
    let address: IPAddress = family == AF_INET ? .v4(127, 0, 0, 1) : IPAddress("::1")!
    let bound = SocketAddress(address, port: 0).withSockAddr { Glibc.bind(fd, $0, $1) }
    guard bound == 0 else { throw Errno.current }
    descriptor = fd
    port = LoopbackTCPListener.boundPort(fd)
  }

  deinit { close(descriptor) }
}

/// A fresh directory under /tmp, removed at deinit.
final class TemporaryDirectory {
  let path: String

  init() {
    var template = Array("/tmp/nettriage-test-XXXXXX".utf8CString)
    path = template.withUnsafeMutableBufferPointer { String(cString: mkdtemp($0.baseAddress!)) }
  }

  deinit { try? FileManager.default.removeItem(atPath: path) }
}

/// Open descriptors of this process, from /proc/self/fd: "number -> target" (e.g. `7 -> socket:[12345]`).
func openDescriptors() -> Set<String> {
  let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
  return Set(names.compactMap { name in
    guard let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name) else { return nil }
    return name + " -> " + target
  })
}

/// A port on loopback that nothing is bound to: taken from the kernel, then released.
func unusedPort(type: Int32, family: AddressFamily = .ipv4) throws -> UInt16 {
  try ClosedPort(type: type, family: family.cValue).port
}
