import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// What one timed loop did: how many probes, how they ended, how long the loop took, and the handshake times of
/// the probes that connected.
struct RunResult {
  var name: String
  var key: String
  var target: String
  var count: Int
  var wall: Duration
  /// Outcome name -> count (NetProbe's outcome raw values; errno names for the raw loops; exit codes for nc).
  var outcomes: [String: Int] = [:]
  /// Per-probe handshake times in microseconds of the connected probes; empty when the run has none (nc).
  var handshakes: [Int64] = []
  /// Whether `handshakes` is what NetProbe reported (`elapsedMicroseconds`) or the benchmark's own timing.
  var handshakeSource = ""
  /// probes/s of each round, in order.
  var roundRates: [Double] = []

  var connected: Int { outcomes["connected", default: 0] }
  var failed: Int { count - connected }
  var seconds: Double { Double(wall.components.seconds) + Double(wall.components.attoseconds) / 1e18 }
  var rate: Double { seconds > 0 ? Double(count) / seconds : 0 }
  /// Adds another round of the same variant.
  mutating func absorb(_ round: RunResult) {
    count += round.count
    wall += round.wall
    for (outcome, n) in round.outcomes { outcomes[outcome, default: 0] += n }
    handshakes += round.handshakes
    roundRates.append(round.rate)
    target = round.target
  }
  /// The median of the rounds' probes/s: steadier than the total when a few rounds hit a noisy moment.
  var medianRoundRate: Double {
    ProbeStatistics.percentile(50, ofSorted: roundRates.map { Int64($0.rounded()) }.sorted()) ?? rate
  }
  var statistics: ProbeStatistics? {
    handshakes.isEmpty ? nil : ProbeStatistics(outcomes: Array(repeating: .connected, count: handshakes.count), answerTimes: handshakes)
  }
}

func microseconds(_ duration: Duration) -> Int64 {
  let (seconds, attoseconds) = duration.components
  return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
}

/// One timed loop the benchmark runs: given a fresh listener's address, a probe count and a warm-up count.
struct Variant {
  var key: String
  var run: (SocketAddress, Int, Int) async -> RunResult
}

let options = TCPConnectProbe.Options(timeout: .seconds(1))

/// Runs (1)-(3b), in the order they are interleaved each round.
func standardVariants() -> [Variant] { [
  Variant(key: "netprobe_sync") { runNetProbeSync($0, count: $1, warmup: $2, options: options) },
  Variant(key: "netprobe_async") { await runNetProbeAsync($0, count: $1, warmup: $2, options: options) },
  Variant(key: "raw_blocking") { runRawBlocking($0, count: $1, warmup: $2) },
  Variant(key: "raw_nonblocking") { runRawNonblocking($0, count: $1, warmup: $2) },
] }

/// (1) NetProbe's synchronous probe, the call the async probe makes on its dispatch thread.
func runNetProbeSync(_ address: SocketAddress, count: Int, warmup: Int, options: TCPConnectProbe.Options) -> RunResult {
  for _ in 0..<warmup { _ = TCPConnectProbe.connect(to: address, options: options) }
  var outcomes = [ProbeOutcome](repeating: .error, count: count)
  var times = [Int64](repeating: 0, count: count)
  let start = ContinuousClock.now
  for i in 0..<count {
    let attempt = TCPConnectProbe.connect(to: address, options: options)
    outcomes[i] = attempt.outcome
    times[i] = attempt.elapsedMicroseconds
  }
  let wall = ContinuousClock.now - start
  return summarize(name: "(1) NetProbe connect(to:) sync", key: "netprobe_sync", address: address, wall: wall,
                   outcomes: outcomes, times: times)
}

/// (2) NetProbe's async probe, awaited one at a time, as the repeat runner does.
func runNetProbeAsync(_ address: SocketAddress, count: Int, warmup: Int, options: TCPConnectProbe.Options) async -> RunResult {
  let target = address.description
  for _ in 0..<warmup { _ = await TCPConnectProbe.probe([address], target: target, options: options) }
  var outcomes = [ProbeOutcome](repeating: .error, count: count)
  var times = [Int64](repeating: 0, count: count)
  let start = ContinuousClock.now
  for i in 0..<count {
    let result = await TCPConnectProbe.probe([address], target: target, options: options)
    outcomes[i] = result.outcome
    times[i] = result.elapsedMicroseconds
  }
  let wall = ContinuousClock.now - start
  return summarize(name: "(2) NetProbe probe(_:) async", key: "netprobe_async", address: address, wall: wall,
                   outcomes: outcomes, times: times)
}

private func summarize(name: String, key: String, address: SocketAddress, wall: Duration, outcomes: [ProbeOutcome],
                       times: [Int64]) -> RunResult {
  var run = RunResult(name: name, key: key, target: address.description, count: outcomes.count, wall: wall)
  run.handshakeSource = "NetProbe elapsedMicroseconds"
  run.handshakes.reserveCapacity(outcomes.count)
  for (outcome, time) in zip(outcomes, times) {
    run.outcomes[outcome.rawValue, default: 0] += 1
    if outcome == .connected { run.handshakes.append(time) }
  }
  return run
}

/// (3) The floor: socket, blocking connect, close, and nothing else. The connect call alone is timed.
func runRawBlocking(_ address: SocketAddress, count: Int, warmup: Int) -> RunResult {
  let raw = RawAddress(address)
  let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
  var codes = [Int32](repeating: 0, count: count)
  var times = [Int64](repeating: 0, count: count)
  var wall = Duration.zero
  raw.withSockAddr { pointer, length in
    for _ in 0..<warmup {
      let fd = socket(raw.family, type, 0)
      _ = connect(fd, pointer, length)
      close(fd)
    }
    let start = ContinuousClock.now
    for i in 0..<count {
      let fd = socket(raw.family, type, 0)
      if fd < 0 { codes[i] = errno; continue }
      let before = ContinuousClock.now
      let status = connect(fd, pointer, length)
      let after = ContinuousClock.now
      codes[i] = status == 0 ? 0 : errno
      times[i] = microseconds(after - before)
      close(fd)
    }
    wall = ContinuousClock.now - start
  }
  return rawSummary(name: "(3) raw socket+connect+close", key: "raw_blocking", address: address, wall: wall,
                    codes: codes, times: times, source: "time around the blocking connect(2)")
}

/// (3b) The same syscalls NetProbe makes, without NetProbe: nonblocking socket, IP_RECVERR, connect (EINPROGRESS),
/// poll, SO_ERROR, getsockname, getpeername, close. Timed from before connect to after poll, as NetProbe times.
func runRawNonblocking(_ address: SocketAddress, count: Int, warmup: Int) -> RunResult {
  let raw = RawAddress(address)
  let type = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue)
  let v4 = raw.family == AF_INET
  var codes = [Int32](repeating: 0, count: count + warmup)
  var times = [Int64](repeating: 0, count: count + warmup)
  var wallStart = ContinuousClock.now
  raw.withSockAddr { pointer, length in
    var storage = sockaddr_storage()
    for i in 0..<(count + warmup) {
      if i == warmup { wallStart = .now }
      let fd = socket(raw.family, type, 0)
      if fd < 0 { codes[i] = errno; continue }
      var one: Int32 = 1
      _ = setsockopt(fd, v4 ? Int32(IPPROTO_IP) : Int32(IPPROTO_IPV6), v4 ? IP_RECVERR : IPV6_RECVERR, &one,
                     socklen_t(MemoryLayout<Int32>.size))
      let before = ContinuousClock.now
      var code: Int32 = 0
      if connect(fd, pointer, length) != 0 {
        code = errno
        if code == EINPROGRESS {
          var pfd = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
          let ready = poll(&pfd, 1, 3000)
          if ready == 1 {
            var soError: Int32 = 0
            var size = socklen_t(MemoryLayout<Int32>.size)
            _ = getsockopt(fd, SOL_SOCKET, SO_ERROR, &soError, &size)
            code = soError
          } else {
            code = ready == 0 ? ETIMEDOUT : errno
          }
        }
      }
      times[i] = microseconds(ContinuousClock.now - before)
      codes[i] = code
      withUnsafeMutablePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
          var size = socklen_t(MemoryLayout<sockaddr_storage>.size)
          _ = getsockname(fd, sa, &size)
          size = socklen_t(MemoryLayout<sockaddr_storage>.size)
          _ = getpeername(fd, sa, &size)
        }
      }
      close(fd)
    }
  }
  let wall = ContinuousClock.now - wallStart
  return rawSummary(name: "(3b) raw nonblocking+poll", key: "raw_nonblocking", address: address,
                    wall: wall, codes: Array(codes.dropFirst(warmup)), times: Array(times.dropFirst(warmup)),
                    source: "time from connect(2) to poll(2) return")
}

private func rawSummary(name: String, key: String, address: SocketAddress, wall: Duration, codes: [Int32],
                        times: [Int64], source: String) -> RunResult {
  var run = RunResult(name: name, key: key, target: address.description, count: codes.count, wall: wall)
  run.handshakeSource = source
  for (code, time) in zip(codes, times) {
    if code == 0 {
      run.outcomes["connected", default: 0] += 1
      run.handshakes.append(time)
    } else {
      run.outcomes[Errno(code).name, default: 0] += 1
    }
  }
  return run
}

/// The `nc` binary, by absolute path only (no PATH search).
func findNetcat() -> String? {
  ["/usr/bin/nc", "/bin/nc"].first { access($0, X_OK) == 0 }
}

/// (4) `nc -n -z 127.0.0.1 PORT`, spawned with posix_spawn and reaped, again and again. `-n` rules out any name
/// lookup; the exit status 0 counts as connected.
func runNetcat(_ path: String, address: SocketAddress, count: Int) -> RunResult {
  let args = [path, "-n", "-z", address.host, String(address.port)]
  let argv: [UnsafeMutablePointer<CChar>?] = args.map { strdup($0) } + [nil]
  defer { for pointer in argv { free(pointer) } }
  var run = RunResult(name: "(4) nc -n -z (posix_spawn)", key: "nc_z", target: address.description, count: count,
                      wall: .zero)
  let start = ContinuousClock.now
  for _ in 0..<count {
    var pid: pid_t = 0
    let spawned = argv.withUnsafeBufferPointer { posix_spawn(&pid, path, nil, nil, $0.baseAddress!, environ) }
    guard spawned == 0 else {
      run.outcomes["spawn-\(Errno(spawned).name)", default: 0] += 1
      continue
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    // WIFEXITED / WEXITSTATUS, which Swift does not import.
    let exited = status & 0x7f == 0
    let code = (status >> 8) & 0xff
    run.outcomes[exited && code == 0 ? "connected" : (exited ? "exit-\(code)" : "signal-\(status & 0x7f)"), default: 0] += 1
  }
  run.wall = ContinuousClock.now - start
  return run
}
