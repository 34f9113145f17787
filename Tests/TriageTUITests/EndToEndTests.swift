import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The built `nettriage` in a real terminal: a tmux server of its own per test, a shell in it that records the tty
/// modes before and after, loopback targets only.
@Suite(.enabled(if: TmuxScreen.isAvailable, "needs tmux and the built nettriage binary"))
struct EndToEndTests {
  @Test func reachableListenerShowsTheVerdictAndTheFix() throws {
    let listener = try LoopbackTCPListener()
    let tmux = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)"])
    // The verdict shows (provisional) as soon as the first handshake completes; wait for the run's end.
    let screen = try tmux.waitFor("done in")
    #expect(screen.contains("reachable"))
    #expect(screen.contains("completed the TCP handshake"))
    #expect(screen.contains("Diagnosis"))
    #expect(screen.contains(" 1. "), "the next steps are listed:\n\(screen)")
    try tmux.quitAndExpectRestored()
  }

  @Test func closedPortShowsPortClosedAndTheFixCommandWithItsPort() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let tmux = try TmuxScreen(arguments: ["127.0.0.1:\(port)"])
    let screen = try tmux.waitFor("port-closed")
    #expect(screen.contains("nothing listens on port \(port)"))
    #expect(screen.contains("Fix"))
    // The first fix's command carries this run's port.
    let full = try tmux.press("d", until: "Diagnosis in full")
    #expect(full.split(separator: "\n").contains { $0.contains("$ ") && $0.contains("\(port)") }, "\(full)")
    try tmux.quitAndExpectRestored(keys: ["q", "q"])
  }

  @Test func typingATargetInTheFieldChecksIt() throws {
    let closed = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let listener = try LoopbackTCPListener()
    let tmux = try TmuxScreen(arguments: ["127.0.0.1:\(closed)"])
    _ = try tmux.waitFor("port-closed")
    tmux.send(["n"])
    tmux.type("localhost")
    let error = try tmux.press("Enter", until: "missing port")
    #expect(error.contains("Target"), "the field stays open after bad input")
    tmux.send(["C-u"])
    tmux.type("127.0.0.1:\(listener.port)")
    let screen = try tmux.press("Enter", until: "reachable")
    #expect(screen.contains("Target 127.0.0.1:\(listener.port)"))
    try tmux.quitAndExpectRestored()
  }

  @Test func smallWindowAsksToBeEnlargedAndComesBack() throws {
    let listener = try LoopbackTCPListener()
    let tmux = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)"])
    _ = try tmux.waitFor("reachable")
    tmux.resize(columns: 60, rows: 20)
    let small = try tmux.waitFor("Enlarge the window")
    #expect(small.contains("needs 80x24, this one is 60x20"))
    #expect(!small.contains("Checklist"))
    tmux.resize(columns: 120, rows: 35)
    let back = try tmux.waitFor("Checklist")
    #expect(back.contains("reachable"))
    #expect(!back.contains("Enlarge"))
    try tmux.quitAndExpectRestored()
  }

  @Test func colourUnlessNoColorAndASCIIWithoutUTF8() throws {
    let listener = try LoopbackTCPListener()
    let colour = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)"], environment: ["LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"])
    _ = try colour.waitFor("reachable")
    let coloured = colour.captureWithAttributes()
    #expect(Self.colourCodes.contains { coloured.contains($0) }, "a colour terminal gets colours: \(coloured.debugDescription)")
    #expect(colour.capture().contains("\u{2714} reachable"))
    try colour.quitAndExpectRestored()

    let plain = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)"], environment: ["NO_COLOR": "1", "LC_ALL": "C.UTF-8"])
    _ = try plain.waitFor("reachable")
    let attributes = plain.captureWithAttributes()
    #expect(!Self.colourCodes.contains { attributes.contains($0) }, "NO_COLOR: attributes only")
    try plain.quitAndExpectRestored()

    let ascii = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)"], environment: ["LC_ALL": "C", "LANG": "C"])
    let screen = try ascii.waitFor("reachable")
    #expect(screen.contains("+ reachable"))
    #expect(screen.contains("+- Checklist"))
    let isASCII = screen.unicodeScalars.allSatisfy { $0.isASCII }
    #expect(isASCII, "\(screen)")
    try ascii.quitAndExpectRestored()
  }

  /// Foreground colours as tmux writes them (`ESC[31m`..`ESC[37m`, 256-colour `38;5;N`); 39 is the default.
  static let colourCodes = (30...37).map { "\u{1B}[\($0)m" } + (30...37).map { ";\($0)m" } + ["38;5;"]

  @Test func loopViewCountsProbes() throws {
    let listener = try LoopbackTCPListener()
    let tmux = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)"])
    _ = try tmux.waitFor("done in")
    tmux.send(["l"])
    let loop = try tmux.waitFor("2 sent, 2 answered", timeout: .seconds(15))
    #expect(loop.contains("Loop tcp 127.0.0.1:\(listener.port)"))
    tmux.send(["Space"])
    _ = try tmux.waitFor("paused")
    try tmux.quitAndExpectRestored(keys: ["q", "q"])
  }

  /// Without a target the local checks run at once, so this runs in a namespace of its own with only loopback:
  /// no gateway, no name server reachable, nothing leaves.
  @Test(.enabled(if: TestNamespace.isAvailable, "needs root for a network namespace"))
  func noTargetRunsTheLocalChecksWithTheFieldFocused() throws {
    let namespace = try TestNamespace(tag: "tui")
    let listener = try namespace.perform { try LoopbackTCPListener() }
    let tmux = try TmuxScreen(arguments: [], prefix: [TestNamespace.ipPath, "netns", "exec", namespace.name])
    let screen = try tmux.waitFor("HOST:PORT, [IPv6]:PORT")
    #expect(screen.contains("Target"))
    #expect(screen.contains("Checklist"))
    tmux.type("127.0.0.1:\(listener.port)")
    let checked = try tmux.press("Enter", until: "reachable")
    #expect(checked.contains("Target 127.0.0.1:\(listener.port)"))
    try tmux.quitAndExpectRestored()
  }

  /// A typo in the field is told inline, in one line, and the field stays open to fix it; control bytes typed
  /// into it never reach the terminal raw. In a namespace of its own, since the local checks run at once.
  @Test(.enabled(if: TestNamespace.isAvailable, "needs root for a network namespace"))
  func badInputInTheFieldIsToldInlineAndTheScreenStaysUsable() throws {
    let namespace = try TestNamespace(tag: "tuibad")
    let listener = try namespace.perform { try LoopbackTCPListener() }
    let tmux = try TmuxScreen(arguments: [], prefix: [TestNamespace.ipPath, "netns", "exec", namespace.name])
    _ = try tmux.waitFor("HOST:PORT, [IPv6]:PORT")
    tmux.type("host:99999")
    let told = try tmux.press("Enter", until: "out of range")
    #expect(told.contains("Checklist"))
    #expect(told.split(separator: "\n").filter { $0.contains("out of range") }.count == 1)
    tmux.send(["C-u"])
    tmux.type("127.0.0.1:\(listener.port)")
    let checked = try tmux.press("Enter", until: "reachable")
    #expect(!checked.contains("out of range"))
    try tmux.quitAndExpectRestored()
  }

  @Test func aLaterSessionMarksWhatChangedSinceTheLastRun() throws {
    let state = TemporaryDirectory()
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    do {
      let first = try TmuxScreen(arguments: ["127.0.0.1:\(port)"], stateDirectory: state.path)
      _ = try first.waitFor("port-closed")
      // The verdict shows (provisional) before the run ends; only a finished run goes into the history.
      _ = try first.waitFor("done in")
      try first.quitAndExpectRestored()
    }
    // Now something listens there (the kernel completes handshakes into its queue).
    let listener = try listen(on: port)
    defer { close(listener) }
    let second = try TmuxScreen(arguments: ["127.0.0.1:\(port)"], stateDirectory: state.path)
    let screen = try second.waitFor("changed since the last run")
    #expect(screen.contains("reachable"))
    let detail = try second.press("Enter", until: "was: tcp port \(port): refused")
    #expect(detail.contains("fail → pass"))
    try second.quitAndExpectRestored(keys: ["q", "q"])
  }

  @Test func sigtermDuringARunRestoresTheTerminal() throws {
    // A listener that never accepts, its queue full: the probe's SYN is dropped and the run waits.
    let listener = try LoopbackTCPListener(backlog: 1, accepting: false)
    let fillers = (0..<4).map { _ in connectWithoutWaiting(to: listener.port) }
    defer { fillers.forEach { close($0) } }
    let tmux = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)", "--timeout", "20"])
    _ = try tmux.waitFor("running")
    kill(try tmux.nettriagePID(), SIGTERM)
    let status = try tmux.exitStatus()
    #expect(status == 128 + SIGTERM)
    #expect(try tmux.ttyModesRestored())
  }

  @Test(arguments: [("C-c", SIGINT), ("", SIGHUP)])
  func interruptAndHangupRestoreTheTerminal(keys: String, signal: Int32) throws {
    let listener = try LoopbackTCPListener()
    let tmux = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)"])
    _ = try tmux.waitFor("reachable")
    if keys.isEmpty { kill(try tmux.nettriagePID(), signal) } else { tmux.send([keys]) }
    #expect(try tmux.exitStatus() == 128 + signal)
    #expect(try tmux.ttyModesRestored())
  }

  @Test func closingTheWindowEndsTheProgram() throws {
    let listener = try LoopbackTCPListener()
    let tmux = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)"])
    _ = try tmux.waitFor("reachable")
    let pid = try tmux.nettriagePID()
    try tmux.tmux(["kill-server"], capturing: false)
    // Its terminal gone, it must leave rather than poll a dead descriptor.
    let deadline = ContinuousClock.now + .seconds(10)
    while kill(pid, 0) == 0, ContinuousClock.now < deadline { Thread.sleep(forTimeInterval: 0.1) }
    #expect(kill(pid, 0) != 0, "nettriage \(pid) is still running after its terminal closed")
  }

  @Test func aCrashRestoresTheTerminal() throws {
    let listener = try LoopbackTCPListener()
    let tmux = try TmuxScreen(arguments: ["127.0.0.1:\(listener.port)"])
    _ = try tmux.waitFor("reachable")
    // The same handler a Swift runtime trap or a bad access reaches; the backtracer has its say, then the process
    // ends by the signal.
    kill(try tmux.nettriagePID(), SIGSEGV)
    #expect(try tmux.exitStatus(timeout: .seconds(60)) == 128 + SIGSEGV)
    #expect(try tmux.ttyModesRestored())
  }

  /// A listening socket on 127.0.0.1 at this port.
  func listen(on port: UInt16) throws -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var one: Int32 = 1
    setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    let bound = withSockAddr(SocketAddress(.v4(127, 0, 0, 1), port: port)) { Glibc.bind(descriptor, $0, $1) }
    guard bound == 0, Glibc.listen(descriptor, 64) == 0 else { throw Errno.current }
    return descriptor
  }

  /// A connection to the listener that does not wait for the handshake.
  func connectWithoutWaiting(to port: UInt16) -> Int32 {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
    _ = withSockAddr(SocketAddress(.v4(127, 0, 0, 1), port: port)) { Glibc.connect(descriptor, $0, $1) }
    return descriptor
  }
}

/// A tmux server of its own running nettriage in a shell that records `stty -g` before and after and the exit status.
final class TmuxScreen {
  let server = "nttest-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
  let directory = TemporaryDirectory()

  static var binary: String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("nettriage").path
  }

  static var isAvailable: Bool {
    FileManager.default.isExecutableFile(atPath: binary) && FileManager.default.isExecutableFile(atPath: "/usr/bin/tmux")
  }

  /// `stateDirectory` is XDG_STATE_HOME (the run history); by default one of this session's own.
  /// `prefix` runs nettriage through another program (`ip netns exec NAME`); `environment` adds variables.
  init(arguments: [String], columns: Int = 120, rows: Int = 35, stateDirectory: String? = nil, prefix: [String] = [],
       environment: [String: String] = [:]) throws {
    let variables = environment.sorted { $0.key < $1.key }.map { Self.quoted($0.key + "=" + $0.value) }.joined(separator: " ")
    let quoted = variables + " " + (prefix + [Self.binary] + arguments).map(Self.quoted).joined(separator: " ")
    let dir = directory.path
    let state = stateDirectory ?? dir + "/state"
    // The shell survives Ctrl-C (a trap, which its child does not inherit) to write the status and modes.
    let script = """
      trap : INT HUP TERM
      stty -g > \(dir)/before; echo $$ > \(dir)/shell
      env -u NO_COLOR TERM=tmux-256color XDG_STATE_HOME=\(state) SWIFT_BACKTRACE=interactive=no \(quoted) 2> \(dir)/stderr
      echo $? > \(dir)/status.tmp; mv \(dir)/status.tmp \(dir)/status
      stty -g > \(dir)/after
      exec sleep 120
      """
    try script.write(toFile: dir + "/run.sh", atomically: true, encoding: .utf8)
    // The server forks from this client and would keep a captured stdout open: no capture here.
    try tmux(["new-session", "-d", "-x", String(columns), "-y", String(rows), "sh " + dir + "/run.sh"], capturing: false)
  }

  deinit { _ = try? tmux(["kill-server"], capturing: false) }

  /// Runs a tmux command on this server through the shell (popen, or system without output): Foundation's Process
  /// can miss the exit of a tmux client whose server it forked.
  @discardableResult
  func tmux(_ arguments: [String], capturing: Bool = true) throws -> String {
    let command = (["/usr/bin/tmux", "-L", server] + arguments).map(Self.quoted).joined(separator: " ")
    guard capturing else {
      _ = system(command + " </dev/null >/dev/null 2>&1")
      return ""
    }
    guard let pipe = popen(command + " </dev/null 2>/dev/null", "r") else { throw TmuxError.noProcess }
    var output = [UInt8]()
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = fread(&buffer, 1, buffer.count, pipe)
      if count <= 0 { break }
      output += buffer[0..<count]
    }
    pclose(pipe)
    return String(decoding: output, as: UTF8.self)
  }

  static func quoted(_ word: String) -> String {
    "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
  }

  func capture() -> String { (try? tmux(["capture-pane", "-p"])) ?? "" }

  /// The screen with its attributes as escape sequences (colours, bold).
  func captureWithAttributes() -> String { (try? tmux(["capture-pane", "-p", "-e"])) ?? "" }

  func send(_ keys: [String]) { _ = try? tmux(["send-keys"] + keys) }

  func type(_ text: String) { _ = try? tmux(["send-keys", "-l", text]) }

  func resize(columns: Int, rows: Int) { _ = try? tmux(["resize-window", "-x", String(columns), "-y", String(rows)]) }

  /// Polls the screen until it shows `text`; generous, for a loaded machine.
  func waitFor(_ text: String, timeout: Duration = .seconds(20)) throws -> String {
    let deadline = ContinuousClock.now + timeout
    var screen = capture()
    while !screen.contains(text) {
      guard ContinuousClock.now < deadline else {
        throw TmuxError.timedOut(waitingFor: text, screen: screen, stderr: stderr)
      }
      Thread.sleep(forTimeInterval: 0.1)
      screen = capture()
    }
    return screen
  }

  func press(_ key: String, until text: String) throws -> String {
    send([key])
    return try waitFor(text)
  }

  var stderr: String { (try? String(contentsOfFile: directory.path + "/stderr", encoding: .utf8)) ?? "" }

  /// The nettriage process: the shell's child.
  func nettriagePID() throws -> Int32 {
    let shell = try String(contentsOfFile: directory.path + "/shell", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
    guard let pid = children.split(separator: " ").compactMap({ Int32($0) }).first else { throw TmuxError.noProcess }
    return pid
  }

  func exitStatus(timeout: Duration = .seconds(20)) throws -> Int32 {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
      if let text = try? String(contentsOfFile: directory.path + "/status", encoding: .utf8),
         let status = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)) {
        return status
      }
      Thread.sleep(forTimeInterval: 0.1)
    }
    throw TmuxError.timedOut(waitingFor: "exit", screen: capture(), stderr: stderr)
  }

  /// `stty -g` after the run equals `stty -g` before it.
  func ttyModesRestored() throws -> Bool {
    // The shell creates the file before stty writes into it: wait for a whole line, not for the file.
    let deadline = ContinuousClock.now + .seconds(10)
    func written() -> Bool {
      (try? String(contentsOfFile: directory.path + "/after", encoding: .utf8)).map { $0.hasSuffix("\n") } ?? false
    }
    while !written(), ContinuousClock.now < deadline {
      Thread.sleep(forTimeInterval: 0.1)
    }
    let before = try String(contentsOfFile: directory.path + "/before", encoding: .utf8)
    let after = try String(contentsOfFile: directory.path + "/after", encoding: .utf8)
    return !before.isEmpty && before == after
  }

  /// Presses the keys (q by default), then expects exit status 0 and the tty modes as before.
  func quitAndExpectRestored(keys: [String] = ["q"]) throws {
    for key in keys {
      send([key])
      Thread.sleep(forTimeInterval: 0.2)
    }
    #expect(try exitStatus() == 0)
    #expect(try ttyModesRestored())
    #expect(stderr.isEmpty, "\(stderr)")
  }
}

enum TmuxError: Error, CustomStringConvertible {
  case timedOut(waitingFor: String, screen: String, stderr: String)
  case noProcess

  var description: String {
    switch self {
    case let .timedOut(text, screen, stderr): return "timed out waiting for \"\(text)\"; the screen:\n\(screen)\nstderr: \(stderr)"
    case .noProcess: return "nettriage is not running"
    }
  }
}
