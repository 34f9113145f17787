import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// One child process that ran to its end: how long it took from `posix_spawn` to its exit, and what it printed.
struct TimedRun: Sendable {
  /// From just before `posix_spawn(3)` to the return of `waitpid(2)`, on the monotonic clock.
  var wallMicroseconds: Int64
  /// The exit status; 128 + N when signal N ended it; -1 when it could not be started.
  var status: Int32
  var stdout: String
  var stderr: String
  /// It outlived its limit and was killed.
  var killed = false

  var lines: [String] { stdout.split(separator: "\n").map(String.init) }
}

/// Runs a program by absolute path with an argument vector (never a shell), stdin from /dev/null, both outputs
/// captured, and times it.
enum TimedProcess {
  /// `arguments[0]` is the program's absolute path. A child still running after `limit` is killed.
  /// The corresponding C functions are `posix_spawn(3)`, `poll(2)`, `read(2)` and `waitpid(2)`.
  static func run(_ arguments: [String], limit: Duration = .seconds(60)) -> TimedRun {
    var outPipe: [Int32] = [-1, -1], errPipe: [Int32] = [-1, -1]
    guard makePipe(&outPipe) else { return failed("pipe: \(Errno(errno).name)") }
    guard makePipe(&errPipe) else {
      outPipe.forEach { _ = close($0) }
      return failed("pipe: \(Errno(errno).name)")
    }

    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
    posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)

    // The benchmark ignores SIGINT/SIGTERM itself (a dispatch source takes them); the child must not inherit that.
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var defaults = sigset_t(), mask = sigset_t()
    sigemptyset(&defaults)
    sigemptyset(&mask)
    for signal in [SIGINT, SIGTERM, SIGPIPE] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setsigmask(&attributes, &mask)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

    let argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let start = ContinuousClock.now
    let spawned = argv.withUnsafeBufferPointer { posix_spawn(&pid, arguments[0], &actions, &attributes, $0.baseAddress!, environ) }
    close(outPipe[1])
    close(errPipe[1])
    defer {
      close(outPipe[0])
      close(errPipe[0])
    }
    guard spawned == 0 else { return failed("posix_spawn \(arguments[0]): \(Errno(spawned).name)") }

    let deadline = start + limit
    var killed = false
    var collected: [Int32: [UInt8]] = [outPipe[0]: [], errPipe[0]: []]
    var open = [outPipe[0], errPipe[0]]
    var buffer = [UInt8](repeating: 0, count: 16_384)
    while !open.isEmpty {
      var descriptors = open.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
      let left = deadline - .now
      let milliseconds = killed ? 1000 : max(0, Int32(left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000) + 1)
      let ready = poll(&descriptors, nfds_t(descriptors.count), milliseconds)
      if ready < 0 && errno == EINTR { continue }
      if ready == 0 {
        if killed { break }  // a grandchild holds the pipe open: give up on the rest of the output
        kill(pid, SIGKILL)
        killed = true
        continue
      }
      for descriptor in descriptors where descriptor.revents != 0 {
        let count = buffer.withUnsafeMutableBytes { read(descriptor.fd, $0.baseAddress, $0.count) }
        if count > 0 {
          collected[descriptor.fd]! += buffer[0..<count]
        } else if count == 0 || errno != EINTR {
          open.removeAll { $0 == descriptor.fd }
        }
      }
    }
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    let wall = ContinuousClock.now - start
    // WIFEXITED / WEXITSTATUS / WTERMSIG, which Swift does not import.
    let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    return TimedRun(wallMicroseconds: microseconds(wall), status: exitStatus,
                    stdout: String(decoding: collected[outPipe[0]]!, as: UTF8.self),
                    stderr: String(decoding: collected[errPipe[0]]!, as: UTF8.self), killed: killed)
  }

  /// A pipe whose ends close on exec (Glibc does not export pipe2); the child gets copies made by dup2.
  /// The corresponding C functions are `pipe(2)` and `fcntl(2)`.
  private static func makePipe(_ ends: inout [Int32]) -> Bool {
    guard pipe(&ends) == 0 else { return false }
    for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
    return true
  }

  private static func failed(_ reason: String) -> TimedRun {
    TimedRun(wallMicroseconds: 0, status: -1, stdout: "", stderr: reason)
  }
}

/// Whole microseconds in a duration.
func microseconds(_ duration: Duration) -> Int64 {
  duration.components.seconds * 1_000_000 + duration.components.attoseconds / 1_000_000_000_000
}

/// `uname -r`.
func kernelRelease() -> String {
  var names = utsname()
  guard uname(&names) == 0 else { return "?" }
  return withUnsafeBytes(of: &names.release) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
}
