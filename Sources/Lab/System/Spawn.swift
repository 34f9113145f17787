import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// What a program the lab ran said and how it ended.
public struct CommandOutput: Sendable, Hashable {
  /// The exit status; 128 + N when signal N ended it.
  public var status: Int32
  public var stdout: String
  public var stderr: String
}

/// Starting programs by absolute path with an argument vector, never through a shell.
///
/// The one place in the lab that calls `posix_spawn(3)`, `waitpid(2)` and `execv(3)`.
enum Spawn {
  /// glibc's `POSIX_SPAWN_SETSID` (behind `_GNU_SOURCE`): the child starts its own session, so a terminal's
  /// hangup or Ctrl-C does not reach the lab's services.
  private static let setSessionFlag: Int32 = 0x80

  /// Runs `path` with `arguments`, waits for it and collects its output.
  /// The corresponding C functions are `posix_spawn(3)` and `waitpid(2)`.
  static func run(_ path: String, _ arguments: [String]) throws(LabError) -> CommandOutput {
    let out = try makePipe(), err = try makePipe()
    let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
    defer { if devNull >= 0 { close(devNull) } }
    let pid: pid_t
    do {
      pid = try start(path, arguments, stdin: devNull, stdout: out.write, stderr: err.write, newSession: false)
    } catch {
      [out.read, out.write, err.read, err.write].forEach { _ = close($0) }
      throw error
    }
    close(out.write)
    close(err.write)
    let (stdout, stderr) = drain(out.read, err.read)
    close(out.read)
    close(err.read)
    let status = wait(for: pid)
    return CommandOutput(status: status, stdout: stdout, stderr: stderr)
  }

  /// Starts `path` in the background in a session of its own. Its stdout goes to `stdout` (the lab reads the
  /// service's "ready" line there), its stderr to `stderr` (a log file), its stdin is /dev/null.
  static func background(_ path: String, _ arguments: [String], stdout: Int32, stderr: Int32) throws(LabError) -> pid_t {
    let devNull = open("/dev/null", O_RDONLY | O_CLOEXEC)
    defer { if devNull >= 0 { close(devNull) } }
    return try start(path, arguments, stdin: devNull, stdout: stdout, stderr: stderr, newSession: true)
  }

  /// Replaces this process with `path` (arguments include argv[0]); returns only when that failed.
  /// The corresponding C function is `execv(3)`.
  static func replaceProcess(_ path: String, _ arguments: [String]) -> Errno {
    var argv = arguments.map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    execv(path, &argv)
    return Errno(errno)
  }

  /// A pipe with both ends close-on-exec. The corresponding C functions are `pipe(2)` and `fcntl(2)`.
  static func makePipe() throws(LabError) -> (read: Int32, write: Int32) {
    var fds: [Int32] = [-1, -1]
    guard pipe(&fds) == 0 else { throw LabError("pipe: \(Errno(errno))") }
    // pipe2(O_CLOEXEC) is behind _GNU_SOURCE; the lab starts programs from one thread, so setting it after is safe.
    for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
    return (fds[0], fds[1])
  }

  /// Waits for a child and returns its exit status (128 + signal when a signal ended it).
  static func wait(for pid: pid_t) -> Int32 {
    var status: Int32 = 0
    while waitpid(pid, &status, 0) < 0 {
      if errno != EINTR { return -1 }
    }
    // WIFEXITED / WEXITSTATUS / WTERMSIG are macros that do not import.
    let signal = status & 0x7f
    return signal == 0 ? (status >> 8) & 0xff : 128 + signal
  }

  /// Reaps `pid` if it is our child and has ended; does nothing for other processes.
  static func reapIfChild(_ pid: pid_t) {
    var status: Int32 = 0
    _ = waitpid(pid, &status, WNOHANG)
  }

  private static func start(_ path: String, _ arguments: [String], stdin: Int32, stdout: Int32, stderr: Int32,
                            newSession: Bool) throws(LabError) -> pid_t {
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_adddup2(&actions, stdin, 0)
    posix_spawn_file_actions_adddup2(&actions, stdout, 1)
    posix_spawn_file_actions_adddup2(&actions, stderr, 2)
    // Nothing else is inherited: a descriptor this process got without close-on-exec (Foundation's Process gives
    // its children one end of a socket pair and waits for every holder to close it) must not live on in a
    // long-running service. glibc's addclosefrom_np is behind _GNU_SOURCE, so close what /proc/self/fd lists.
    for descriptor in openDescriptors() where descriptor > 2 {
      posix_spawn_file_actions_addclose(&actions, descriptor)
    }

    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    // The child starts with default signal handling and nothing blocked, whatever this process ignores.
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for number in [SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGQUIT] { sigaddset(&defaults, number) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    var empty = sigset_t()
    sigemptyset(&empty)
    posix_spawnattr_setsigmask(&attributes, &empty)
    var flags = Int32(POSIX_SPAWN_SETSIGDEF) | Int32(POSIX_SPAWN_SETSIGMASK)
    if newSession { flags |= setSessionFlag }
    posix_spawnattr_setflags(&attributes, Int16(flags))

    var argv = ([path] + arguments).map { strdup($0) } + [nil]
    defer { argv.forEach { free($0) } }
    var pid: pid_t = 0
    let result = posix_spawn(&pid, path, &actions, &attributes, &argv, environ)
    guard result == 0 else { throw LabError("cannot start \(path): \(Errno(result))") }
    return pid
  }

  /// The descriptors open in this process now.
  private static func openDescriptors() -> [Int32] {
    guard let directory = opendir("/proc/self/fd") else { return [] }
    defer { closedir(directory) }
    var descriptors: [Int32] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
      if let descriptor = Int32(name) { descriptors.append(descriptor) }
    }
    return descriptors
  }

  /// Reads two pipes to their end at the same time (a full pipe would otherwise stall the child).
  private static func drain(_ first: Int32, _ second: Int32) -> (String, String) {
    var buffers: [[UInt8]] = [[], []]
    var open = [true, true]
    var chunk = [UInt8](repeating: 0, count: 65_536)
    while open[0] || open[1] {
      var fds = [pollfd(fd: open[0] ? first : -1, events: Int16(POLLIN), revents: 0),
                 pollfd(fd: open[1] ? second : -1, events: Int16(POLLIN), revents: 0)]
      let ready = poll(&fds, 2, -1)
      if ready < 0 {
        if errno == EINTR { continue }
        break
      }
      for index in 0..<2 where open[index] && fds[index].revents != 0 {
        let count = read(fds[index].fd, &chunk, chunk.count)
        if count > 0 {
          buffers[index].append(contentsOf: chunk[0..<count])
        } else if count == 0 || errno != EINTR {
          open[index] = false
        }
      }
    }
    return (String(decoding: buffers[0], as: UTF8.self), String(decoding: buffers[1], as: UTF8.self))
  }
}
