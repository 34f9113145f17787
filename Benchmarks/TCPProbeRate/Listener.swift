import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// How the benchmark's listener thread empties its accept queue.
enum AcceptStyle: String, Sendable {
  /// Blocks in `accept`: each connection that finds the thread asleep wakes it (a cross-CPU wake-up on the prober's
  /// time). How often that happens depends on how fast the prober goes, so it weighs on slower loops more.
  case wake
  /// Wakes on a 1 ms clock and accepts what queued meanwhile (nonblocking): the thread's wake-ups no longer depend on
  /// the probes, as with a server on another machine. A loopback probe rate of 25,000/s queues about 25 per tick.
  case tick
}

/// A loopback TCP listener opened by the benchmark itself (port 0, large backlog) whose own pthread accepts and
/// closes every connection, so the accept queue never fills and every probe completes its handshake.
final class LoopbackListener {
  let descriptor: Int32
  let address: SocketAddress
  private var thread = pthread_t()
  /// The style the benchmark was asked for (`--accept wake|tick`); set once before the first listener.
  nonisolated(unsafe) static var style = AcceptStyle.wake

  /// `host` must be a numeric loopback address: `127.0.0.1` or `::1`.
  init(host: String, backlog: Int32 = 4096, style: AcceptStyle = LoopbackListener.style) throws(BenchmarkError) {
    guard let ip = IPAddress(host), ip.isLoopback else { throw BenchmarkError("not a loopback address: \(host)") }
    let family = ip.family == .ipv4 ? AF_INET : AF_INET6
    let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard fd >= 0 else { throw BenchmarkError("socket(\(host)): \(Errno.current)") }
    var one: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    let bound = RawAddress(SocketAddress(ip, port: 0)).withSockAddr { Glibc.bind(fd, $0, $1) }
    guard bound == 0 else { let e = Errno.current; close(fd); throw BenchmarkError("bind([\(host)]:0): \(e)") }
    guard listen(fd, backlog) == 0 else { let e = Errno.current; close(fd); throw BenchmarkError("listen: \(e)") }
    if style == .tick { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    descriptor = fd
    address = SocketAddress(ip, port: LoopbackListener.boundPort(fd))
    // The descriptor travels to the thread as the context pointer's bit pattern (it is never 0 here: 0 is stdin).
    let status = style == .tick ? pthread_create(&thread, nil, { context in
      let listener = Int32(Int(bitPattern: context))
      var tick = timespec(tv_sec: 0, tv_nsec: 1_000_000)
      while true {
        while true {
          let client = accept(listener, nil, nil)  // nonblocking: the listener is O_NONBLOCK
          if client >= 0 { close(client); continue }
          if errno == EINTR || errno == ECONNABORTED { continue }
          if errno == EAGAIN || errno == EMFILE || errno == ENFILE { break }
          return nil  // the listener was shut down
        }
        nanosleep(&tick, nil)
      }
    }, UnsafeMutableRawPointer(bitPattern: Int(fd))) : pthread_create(&thread, nil, { context in
      let listener = Int32(Int(bitPattern: context))
      while true {
        let client = accept(listener, nil, nil)
        if client < 0 {
          if errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE { continue }
          return nil  // the listener was shut down
        }
        close(client)
      }
    }, UnsafeMutableRawPointer(bitPattern: Int(fd)))
    guard status == 0 else { close(fd); throw BenchmarkError("pthread_create: \(Errno(status))") }
  }

  /// Stops the accept thread (shutdown wakes its accept with EINVAL) and closes the listener.
  func stop() {
    shutdown(descriptor, Int32(SHUT_RDWR))
    pthread_join(thread, nil)
    close(descriptor)
  }

  static func boundPort(_ fd: Int32) -> UInt16 {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    _ = withUnsafeMutablePointer(to: &storage) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
    }
    return withUnsafeBytes(of: &storage) { bytes in
      // sin_port and sin6_port sit at the same offset (2), in network order.
      UInt16(bigEndian: bytes.load(fromByteOffset: 2, as: UInt16.self))
    }
  }
}

struct BenchmarkError: Error, CustomStringConvertible {
  var description: String
  init(_ description: String) { self.description = description }
}

/// A `sockaddr_in`/`sockaddr_in6` built once, for the raw baseline loops (NetProbe's own conversion is internal).
struct RawAddress {
  var storage = sockaddr_storage()
  var length: socklen_t
  var family: Int32

  init(_ address: SocketAddress) {
    switch address.address {
    case let .v4(a, b, c, d):
      var v4 = sockaddr_in()
      v4.sin_family = sa_family_t(AF_INET)
      v4.sin_port = address.port.bigEndian
      withUnsafeMutableBytes(of: &v4.sin_addr) { $0.copyBytes(from: [a, b, c, d]) }
      withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: v4) { dst.copyMemory(from: $0) } }
      length = socklen_t(MemoryLayout<sockaddr_in>.size)
      family = AF_INET
    case let .v6(bytes):
      var v6 = sockaddr_in6()
      v6.sin6_family = sa_family_t(AF_INET6)
      v6.sin6_port = address.port.bigEndian
      v6.sin6_scope_id = address.scopeID
      withUnsafeMutableBytes(of: &v6.sin6_addr) { $0.copyBytes(from: bytes) }
      withUnsafeMutableBytes(of: &storage) { dst in withUnsafeBytes(of: v6) { dst.copyMemory(from: $0) } }
      length = socklen_t(MemoryLayout<sockaddr_in6>.size)
      family = AF_INET6
    }
  }

  func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
    withUnsafePointer(to: storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, length) } }
  }
}
