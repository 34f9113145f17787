import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// Looks at processes through /proc and signals them: the lab's process bookkeeping.
enum ProcessTable {
  /// The process's start time in clock ticks after boot (field 22 of /proc/PID/stat): together with the pid it
  /// names one process, so a reused pid is never mistaken for a lab service.
  static func startTime(of pid: pid_t) -> UInt64? {
    statFields(of: pid).flatMap { $0.count > 19 ? UInt64($0[19]) : nil }
  }

  /// Whether the process exists and has not ended (a zombie has ended).
  static func isRunning(_ pid: pid_t) -> Bool {
    guard let fields = statFields(of: pid), let state = fields.first else { return false }
    return state != "Z" && state != "X"
  }

  /// Whether `pid` is the process that started at `startTime` and still runs.
  static func isRunning(_ pid: pid_t, startedAt startTime: UInt64) -> Bool {
    isRunning(pid) && self.startTime(of: pid) == startTime
  }

  /// The fields of /proc/PID/stat after the command name: state first.
  private static func statFields(of pid: pid_t) -> [Substring]? {
    guard let text = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = text.lastIndex(of: ")") else { return nil }
    return text[text.index(after: close)...].split(separator: " ")
  }

  /// Every pid in /proc.
  static func allProcesses() -> [pid_t] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { pid_t($0) }
  }

  /// The network namespace a process lives in, as the kernel names it (`net:[4026532290]`).
  static func networkNamespace(of pid: pid_t) -> String? {
    try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/net")
  }

  /// The kernel's name for the network namespace a /run/netns file holds, in the form `networkNamespace(of:)` uses.
  /// The corresponding C function is `stat(2)`: the bind-mounted file's inode is the namespace's.
  static func networkNamespace(atPath path: String) -> String? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    return "net:[\(info.st_ino)]"
  }

  /// The command line of a process, for the status display.
  static func commandLine(of pid: pid_t) -> [String] {
    guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return [] }
    return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
  }

  /// Sends a signal. The corresponding C function is `kill(2)`.
  static func signal(_ pid: pid_t, _ number: Int32) {
    guard pid > 1 else { return }  // never the whole group (0, -1) or init
    _ = kill(pid, number)
  }

  /// Sends SIGTERM to each process, waits up to `grace` for them to end, then SIGKILLs the rest.
  /// Returns the pids that were still running when asked to stop.
  @discardableResult
  static func stop(_ pids: [pid_t], grace: Duration = .seconds(2)) -> [pid_t] {
    let running = pids.filter { isRunning($0) }
    running.forEach { signal($0, SIGTERM) }
    let deadline = ContinuousClock.now + grace
    while ContinuousClock.now < deadline {
      running.forEach { Spawn.reapIfChild($0) }
      if !running.contains(where: { isRunning($0) }) { return running }
      usleep(20_000)
    }
    for pid in running where isRunning(pid) { signal(pid, SIGKILL) }
    let killDeadline = ContinuousClock.now + .seconds(2)
    while ContinuousClock.now < killDeadline, running.contains(where: { isRunning($0) }) {
      running.forEach { Spawn.reapIfChild($0) }
      usleep(10_000)
    }
    return running
  }
}
