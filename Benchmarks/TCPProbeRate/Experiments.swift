import Dispatch
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

// `--experiments`: where the async probe's extra time goes. Each variant awaits `count` probes one at a time,
// like run (2), but builds the hop itself so that one piece at a time can be taken away. NetProbe is not changed:
// the bodies call the public `TCPConnectProbe.connect(to:options:cancellation:)`, or raw syscalls for the fast path.

/// What `Blocking.run` does (Sources/NetProbe/Blocking.swift), with switches.
func hop<T: Sendable>(signal: Bool, cancellationHandler: Bool,
                      _ body: @escaping @Sendable (CancellationSignal?) -> T) async -> T {
  let cancellation = signal ? CancellationSignal() : nil
  let work: () async -> T = {
    await withCheckedContinuation { continuation in
      DispatchQueue.global().async { continuation.resume(returning: body(cancellation)) }
    }
  }
  guard cancellationHandler else { return await work() }
  return await withTaskCancellationHandler { await work() } onCancel: { cancellation?.fire() }
}

/// X1-X5, interleaved with the standard runs each round.
func experimentVariants() -> [Variant] {
  func timed(_ name: String, _ key: String, _ probe: @escaping (SocketAddress) async -> ProbeAttempt) -> Variant {
    Variant(key: key) { address, count, warmup in
      for _ in 0..<warmup { _ = await probe(address) }
      var outcomes = [ProbeOutcome](repeating: .error, count: count)
      var times = [Int64](repeating: 0, count: count)
      let start = ContinuousClock.now
      for i in 0..<count {
        let attempt = await probe(address)
        outcomes[i] = attempt.outcome
        times[i] = attempt.elapsedMicroseconds
      }
      let wall = ContinuousClock.now - start
      var run = RunResult(name: name, key: key, target: address.description, count: count, wall: wall)
      run.handshakeSource = "NetProbe elapsedMicroseconds"
      for (outcome, time) in zip(outcomes, times) {
        run.outcomes[outcome.rawValue, default: 0] += 1
        if outcome == .connected { run.handshakes.append(time) }
      }
      return run
    }
  }
  return [
    timed("X1 Blocking.run copy + connect", "x1_blocking_run_copy") { address in
      await hop(signal: true, cancellationHandler: true) { TCPConnectProbe.connect(to: address, options: options, cancellation: $0) }
    },
    timed("X2 X1 without eventfd signal", "x2_no_eventfd") { address in
      await hop(signal: false, cancellationHandler: true) { _ in TCPConnectProbe.connect(to: address, options: options) }
    },
    timed("X3 dispatch+continuation only", "x3_dispatch_only") { address in
      await hop(signal: false, cancellationHandler: false) { _ in TCPConnectProbe.connect(to: address, options: options) }
    },
    timed("X4 connect inline on task, no hop", "x4_inline") { address in
      TCPConnectProbe.connect(to: address, options: options)
    },
    timed("X5 fast path: poll(0), else hop", "x5_fast_path") { address in
      await fastPathProbe(address)
    },
  ]
}

/// The fast path proposed for `TCPConnectProbe.probe`: start the nonblocking connect on the calling task, look once
/// with poll(2) timeout 0, and hop to a dispatch thread for the blocking wait only when the handshake is still
/// pending. Raw syscalls mirror `TCPConnectProbe.connect` (IP_RECVERR, SO_ERROR, getsockname, getpeername).
let fastPathCounter = FastPathCounter()
final class FastPathCounter: @unchecked Sendable {
  var inline = 0, hopped = 0
}

func fastPathProbe(_ address: SocketAddress) async -> ProbeAttempt {
  let raw = RawAddress(address)
  let fd = socket(raw.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
  guard fd >= 0 else { return ProbeAttempt(address: address, outcome: .error, elapsedMicroseconds: 0, errno: .current) }
  defer { close(fd) }
  var one: Int32 = 1
  let v4 = raw.family == AF_INET
  _ = setsockopt(fd, v4 ? Int32(IPPROTO_IP) : Int32(IPPROTO_IPV6), v4 ? IP_RECVERR : IPV6_RECVERR, &one,
                 socklen_t(MemoryLayout<Int32>.size))
  let start = ContinuousClock.now
  var code: Int32 = raw.withSockAddr { connect(fd, $0, $1) } == 0 ? 0 : errno
  if code == EINPROGRESS {
    var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
    if poll(&pfd, 1, 0) == 1 {
      fastPathCounter.inline += 1
    } else {
      fastPathCounter.hopped += 1
      let descriptor = fd
      _ = await hop(signal: true, cancellationHandler: true) { _ in
        var pfd = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
        return poll(&pfd, 1, 3000)
      }
    }
    var soError: Int32 = 0
    var size = socklen_t(MemoryLayout<Int32>.size)
    _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &size)
    code = soError
  }
  let elapsed = microseconds(ContinuousClock.now - start)
  var storage = sockaddr_storage()
  withUnsafeMutablePointer(to: &storage) {
    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
      var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
      _ = getsockname(fd, sa, &size)
      size = socklen_t(MemoryLayout<sockaddr_storage>.size)
      _ = getpeername(fd, sa, &size)
    }
  }
  return ProbeAttempt(address: address, outcome: code == 0 ? .connected : .classify(Errno(code), icmp: nil),
                      elapsedMicroseconds: elapsed)
}
