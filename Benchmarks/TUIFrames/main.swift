// The screen's speed: launch to first complete frame, key press to the frame that shows it (both through tmux,
// as a person sees them), full-frame render time at 200x60 in process, and idle CPU on a finished run.
//
//   swift build -c release --product nettriage --product tui-frame-bench
//   .build/release/tui-frame-bench [--nettriage PATH] [--runs N] [--idle-seconds S]
//
// Traffic: one loopback listener this benchmark opens, nothing else.
import Foundation
import NetProbe
import Triage
import TriageTUI
#if canImport(Glibc)
import Glibc
#endif

// MARK: arguments

var nettriagePath = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  .appendingPathComponent("nettriage").path
var runs = 20
var idleSeconds = 10.0
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  switch argument {
  case "--nettriage": nettriagePath = arguments.popFirst() ?? nettriagePath
  case "--runs": runs = Int(arguments.popFirst() ?? "") ?? runs
  case "--idle-seconds": idleSeconds = Double(arguments.popFirst() ?? "") ?? idleSeconds
  default:
    FileHandle.standardError.write(Data("tui-frame-bench: unknown argument \(argument)\n".utf8))
    exit(2)
  }
}
guard FileManager.default.isExecutableFile(atPath: nettriagePath) else {
  FileHandle.standardError.write(Data("tui-frame-bench: no nettriage at \(nettriagePath) (use --nettriage PATH)\n".utf8))
  exit(2)
}
let tmuxPath = ["/usr/bin/tmux", "/bin/tmux"].first { FileManager.default.isExecutableFile(atPath: $0) }
guard let tmuxPath else {
  FileHandle.standardError.write(Data("tui-frame-bench: needs tmux (apt-get install tmux)\n".utf8))
  exit(2)
}

// MARK: clock and statistics

func nowMicroseconds() -> Int64 {
  var spec = timespec()
  clock_gettime(CLOCK_MONOTONIC, &spec)
  return Int64(spec.tv_sec) * 1_000_000 + Int64(spec.tv_nsec) / 1_000
}

func percentile(_ values: [Int64], _ fraction: Double) -> Int64 {
  let sorted = values.sorted()
  guard !sorted.isEmpty else { return 0 }
  return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * fraction).rounded()))]
}

func milliseconds(_ microseconds: Int64) -> String { String(format: "%.2f ms", Double(microseconds) / 1000) }

// MARK: tmux, through posix_spawn with an argument vector (never a shell string)

/// Runs tmux and returns its stdout. tmux forks a server that keeps inherited descriptors open, so the output
/// goes to a file rather than a pipe (a pipe would not see EOF while the server lives).
/// The tmux server's socket name. Each launch gets a server of its own: `kill-server` returns before the old
/// server is gone, and a `new-session` that reaches a dying server loses its session (the first launches of a run
/// then showed no frame for 10 s).
nonisolated(unsafe) var tmuxSocket = "tui-frame-bench"

func tmux(_ arguments: [String]) -> String {
  let outputPath = NSTemporaryDirectory() + "tui-frame-bench-\(getpid()).out"
  var actions = posix_spawn_file_actions_t()
  posix_spawn_file_actions_init(&actions)
  posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
  posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
  let argv = ([tmuxPath, "-L", tmuxSocket] + arguments).map { strdup($0) } + [nil]
  defer { argv.forEach { free($0) }; posix_spawn_file_actions_destroy(&actions) }
  var pid: pid_t = 0
  guard posix_spawn(&pid, tmuxPath, &actions, nil, argv, environ) == 0 else { return "" }
  var status: Int32 = 0
  waitpid(pid, &status, 0)
  return (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
}

func capture() -> String { tmux(["capture-pane", "-p", "-t", "bench"]) }

/// Polls the pane until `text` shows; the time includes one capture's cost (reported beside the results).
func waitFor(_ text: String, timeout: Int64 = 10_000_000) -> Int64? {
  let start = nowMicroseconds()
  while nowMicroseconds() - start < timeout {
    if capture().contains(text) { return nowMicroseconds() }
  }
  return nil
}

func cpuTicks(of pid: Int32) -> Int64? {
  guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")") else { return nil }
  let fields = stat[stat.index(after: close)...].split(separator: " ")
  // After the command name: state is field 3, utime field 14, stime field 15 (1-based in proc(5)).
  guard fields.count > 13, let user = Int64(fields[11]), let system = Int64(fields[12]) else { return nil }
  return user + system
}

// MARK: the loopback listener the screen checks

let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
var address = sockaddr_in()
address.sin_family = sa_family_t(AF_INET)
address.sin_addr.s_addr = in_addr_t(0x7f00_0001).bigEndian
var one: Int32 = 1
setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
_ = withUnsafePointer(to: &address) {
  $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
}
listen(listener, 128)
var bound = sockaddr_in()
var boundLength = socklen_t(MemoryLayout<sockaddr_in>.size)
_ = withUnsafeMutablePointer(to: &bound) {
  $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &boundLength) }
}
let port = UInt16(bigEndian: bound.sin_port)
let target = "127.0.0.1:\(port)"

// MARK: (1) full-frame render at 200x60, in process, of a real finished run

let checkTarget = CheckTarget(text: target, target: try Target.parse(target), transport: .tcp)
let finished = await ChecklistRun(target: checkTarget).run()
var ui = UIState()
ui.size = ScreenSize(columns: 200, rows: 60)
ui.target = checkTarget
let state = ScreenState(snapshot: finished, ui: ui)
var renderTimes: [Int64] = []
for _ in 0..<max(200, runs * 10) {
  let start = nowMicroseconds()
  let grid = Renderer.render(state, size: ScreenSize(columns: 200, rows: 60))
  renderTimes.append(nowMicroseconds() - start)
  precondition(grid.size.columns == 200)
}

// MARK: (2) launch to first complete frame, (3) key to frame, through tmux at 120x35

_ = tmux(["kill-server"])  // a server left by an interrupted earlier run
var captureCosts: [Int64] = []
for _ in 0..<20 {
  let start = nowMicroseconds()
  _ = tmux(["-f", "/dev/null", "new-session", "-d", "-s", "probe", "-x", "120", "-y", "35", "/bin/sleep", "30"])
  _ = capture()
  captureCosts.append(nowMicroseconds() - start)
  _ = tmux(["kill-session", "-t", "probe"])
}
var captureOnly: [Int64] = []
_ = tmux(["-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", "120", "-y", "35", "/bin/sleep", "30"])
for _ in 0..<20 {
  let start = nowMicroseconds()
  _ = capture()
  captureOnly.append(nowMicroseconds() - start)
}
_ = tmux(["kill-server"])

var firstFrames: [Int64] = []
var verdicts: [Int64] = []
var keyFrames: [Int64] = []
var idleCPU: [Double] = []
let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
for run in 0..<runs {
  tmuxSocket = "tui-frame-bench-\(getpid())-\(run)"
  let start = nowMicroseconds()
  _ = tmux(["-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", "120", "-y", "35",
            "/usr/bin/env", "XDG_STATE_HOME=/nonexistent", nettriagePath, target])
  guard let frame = waitFor("Checklist") else {
    FileHandle.standardError.write(Data("run \(run): no frame in 10 s; screen:\n\(capture())\n".utf8))
    _ = tmux(["kill-server"])
    continue
  }
  firstFrames.append(frame - start)
  if let verdict = waitFor("reachable") { verdicts.append(verdict - start) }
  for _ in 0..<3 {
    let pressed = nowMicroseconds()
    _ = tmux(["send-keys", "-t", "bench", "?"])
    if let shown = waitFor("Keys:") { keyFrames.append(shown - pressed) }
    _ = tmux(["send-keys", "-t", "bench", "Escape"])
    _ = waitFor("Diagnosis")
  }
  if idleCPU.isEmpty, idleSeconds > 0,
     let pidText = tmux(["list-panes", "-t", "bench", "-F", "#{pane_pid}"]).split(separator: "\n").first,
     let envPID = Int32(pidText) {
    // `env` execs nettriage, so the pane's process is nettriage itself.
    if let before = cpuTicks(of: envPID) {
      usleep(UInt32(idleSeconds * 1_000_000))
      if let after = cpuTicks(of: envPID) {
        idleCPU.append(Double(after - before) / ticksPerSecond / idleSeconds * 100)
      }
    }
  }
  _ = tmux(["send-keys", "-t", "bench", "q"])
  usleep(100_000)
  _ = tmux(["kill-server"])
}

// Reference: top(1) in batch-less interactive mode on the same terminal size, idle for the same time.
var referenceCPU: Double?
if idleSeconds > 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/top") {
  _ = tmux(["-f", "/dev/null", "new-session", "-d", "-s", "bench", "-x", "120", "-y", "35", "/usr/bin/top", "-d", "3"])
  usleep(1_000_000)
  if let pidText = tmux(["list-panes", "-t", "bench", "-F", "#{pane_pid}"]).split(separator: "\n").first,
     let pid = Int32(pidText), let before = cpuTicks(of: pid) {
    usleep(UInt32(idleSeconds * 1_000_000))
    if let after = cpuTicks(of: pid) { referenceCPU = Double(after - before) / ticksPerSecond / idleSeconds * 100 }
  }
  _ = tmux(["kill-session", "-t", "bench"])
  _ = tmux(["kill-server"])
}
close(listener)

// MARK: report

func row(_ name: String, _ values: [Int64], _ goal: String) -> String {
  "| \(name) | \(values.count) | \(milliseconds(percentile(values, 0.5))) | \(milliseconds(percentile(values, 0.95))) | \(milliseconds(values.max() ?? 0)) | \(goal) |"
}
print("tui-frame-bench: \(runs) launches of `nettriage \(target)` in tmux 120x35; render in process at 200x60")
print("")
print("| measure | n | median | p95 | max | goal |")
print("| --- | ---: | ---: | ---: | ---: | --- |")
print(row("launch → first complete frame", firstFrames, "< 100 ms"))
print(row("launch → verdict on screen", verdicts, "-"))
print(row("key `?` → frame showing it", keyFrames, "< 16 ms"))
print(row("full-frame render 200x60 (in process)", renderTimes, "< 2 ms"))
print(row("one `tmux capture-pane` (polling cost, included above)", captureOnly, "-"))
print("")
let idleText = idleCPU.first.map { String(format: "%.2f %%", $0) } ?? "not measured"
let referenceText = referenceCPU.map { String(format: "%.2f %%", $0) } ?? "not measured"
print("idle CPU over \(Int(idleSeconds)) s on a finished run: nettriage \(idleText) (goal < 0.5 %); top -d 3 on the same size: \(referenceText)")
