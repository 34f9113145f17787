import Dispatch
import Foundation
import Lab
#if canImport(Glibc)
import Glibc
#endif

/// The lab as the benchmark uses it: one scenario up at a time, always torn down at the end, on Ctrl-C and on
/// SIGTERM too. A lock keeps the signal handler and the main loop from building and tearing down at once.
final class LabSession: @unchecked Sendable {
  private let lab: Lab
  private let lock = NSLock()
  private var interrupted = false
  private var signalSources: [any DispatchSourceSignal] = []

  init(nettriage: String) {
    lab = Lab(executable: nettriage)
  }

  /// Takes SIGINT and SIGTERM: tear the lab down, then leave with 130 / 143.
  func handleSignals() {
    for signalNumber in [SIGINT, SIGTERM] {
      signal(signalNumber, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: signalNumber, queue: .global())
      source.setEventHandler { [self] in
        lock.lock()
        interrupted = true
        printError("\nlab-verdict-bench: interrupted: lab down\n")
        _ = try? lab.down()
        exit(128 + signalNumber)
      }
      source.resume()
      signalSources.append(source)
    }
  }

  /// Builds the scenario afresh (up clears the previous one first).
  func up(_ scenario: Scenario, parameters: ScenarioParameters) throws(LabError) {
    lock.lock()
    defer { lock.unlock() }
    guard !interrupted else { throw LabError("interrupted") }
    try lab.up(scenario, parameters: parameters)
  }

  func down() {
    lock.lock()
    defer { lock.unlock() }
    _ = try? lab.down()
  }
}

/// The machine-wide lab lock (`flock /tmp/ntlab.lock`): the lab is one global state, shared by every session.
enum SharedLabLock {
  static let path = "/tmp/ntlab.lock"

  /// Makes sure this process may use the lab: the lock is held by an ancestor (`flock /tmp/ntlab.lock swift run
  /// ...`), or it is free and the benchmark takes it itself until it exits. Returns why not, otherwise nil.
  static func acquire() -> String? {
    let descriptor = open(path, O_RDONLY | O_CREAT | O_CLOEXEC, 0o666)
    guard descriptor >= 0 else { return "cannot open \(path): \(String(cString: strerror(errno)))" }
    if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return nil }  // held until exit: the descriptor stays open
    close(descriptor)
    let holders = holdersOfLock()
    let ancestors = ancestorPIDs()
    if !holders.isEmpty && holders.allSatisfy(ancestors.contains) { return nil }
    return "the lab is in use (\(path) is held by pid \(holders.map(String.init).joined(separator: ", "))): "
      + "run me as flock \(path) swift run ..., which waits for it"
  }

  /// The pids /proc/locks names as holding a flock on the lock file.
  private static func holdersOfLock() -> [Int32] {
    var information = stat()
    guard stat(path, &information) == 0,
          let locks = try? String(contentsOfFile: "/proc/locks", encoding: .utf8) else { return [] }
    // "1: FLOCK  ADVISORY  WRITE 4242 00:1f:123456 0 EOF"
    return locks.split(separator: "\n").compactMap { line in
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 6, fields[1] == "FLOCK", fields[5].split(separator: ":").last == Substring(String(information.st_ino)) else { return nil }
      return Int32(fields[4])
    }
  }

  /// This process and every parent up to init.
  private static func ancestorPIDs() -> Set<Int32> {
    var pids: Set<Int32> = []
    var pid = getpid()
    while pid > 1, pids.insert(pid).inserted {
      guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")") else { break }
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      guard fields.count > 1, let parent = Int32(fields[1]) else { break }
      pid = parent
    }
    return pids
  }
}

/// Writes to standard error (fd 2) at once.
func printError(_ text: String) {
  let bytes = Array(text.utf8)
  var offset = 0
  while offset < bytes.count {
    let written = bytes.withUnsafeBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
    if written <= 0 { if written < 0 && errno == EINTR { continue }; return }
    offset += written
  }
}
