import CNetProbe
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The result of a command a test ran.
public struct CommandResult: Sendable {
  public var status: Int32
  public var stdout: String
  public var stderr: String
}

/// Runs a program by absolute path with an argument vector (never through a shell) and waits for it.
@discardableResult
public func runCommand(_ path: String, _ arguments: [String], check: Bool = true) throws -> CommandResult {
  let process = Process()
  process.executableURL = URL(fileURLWithPath: path)
  process.arguments = arguments
  let out = Pipe(), err = Pipe()
  process.standardOutput = out
  process.standardError = err
  try process.run()
  let stdout = out.fileHandleForReading.readDataToEndOfFile()
  let stderr = err.fileHandleForReading.readDataToEndOfFile()
  process.waitUntilExit()
  let result = CommandResult(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                             stderr: String(decoding: stderr, as: UTF8.self))
  if check && result.status != 0 {
    throw CommandFailure(command: ([path] + arguments).joined(separator: " "), result: result)
  }
  return result
}

public struct CommandFailure: Error, CustomStringConvertible {
  public var command: String
  public var result: CommandResult
  public var description: String { "\(command) exited \(result.status): \(result.stderr)" }
}

/// A network namespace a test creates (root only), named `nttest-…`, deleted when the value goes away.
///
/// Set it up with `ip(...)` (iproute2 builds the topology; probes never parse its output), run code inside it
/// with `perform` (a thread that joined the namespace: sockets opened there stay in it), or run a program in it
/// with `exec`. Addresses: 198.18.0.0/15 and fd00::/8 only.
public final class TestNamespace: @unchecked Sendable {
  public static let ipPath = "/usr/sbin/ip"
  nonisolated(unsafe) private static var counter = 0
  private static let counterLock = NSLock()

  public let name: String

  /// Whether namespace tests can run here: root and iproute2.
  public static var isAvailable: Bool { geteuid() == 0 && FileManager.default.isExecutableFile(atPath: ipPath) }

  /// Creates the namespace with loopback up. `tag` says which test made it (short: names are limited).
  public init(tag: String) throws {
    TestNamespace.counterLock.lock()
    TestNamespace.counter += 1
    let serial = TestNamespace.counter
    TestNamespace.counterLock.unlock()
    name = "nttest-\(tag)-\(getpid() % 100_000)-\(serial)"
    try runCommand(TestNamespace.ipPath, ["netns", "add", name])
    try ip(["link", "set", "lo", "up"])
  }

  deinit {
    _ = try? runCommand(TestNamespace.ipPath, ["netns", "del", name], check: false)
  }

  /// Runs `ip -n NAME ARGS...`.
  @discardableResult
  public func ip(_ arguments: [String]) throws -> CommandResult {
    try runCommand(TestNamespace.ipPath, ["-n", name] + arguments)
  }

  /// Runs a program inside the namespace (`ip netns exec NAME PATH ARGS...`).
  @discardableResult
  public func exec(_ path: String, _ arguments: [String], check: Bool = true) throws -> CommandResult {
    try runCommand(TestNamespace.ipPath, ["netns", "exec", name, path] + arguments, check: check)
  }

  /// Connects this namespace to another with a veth pair: `localName` here, `remoteName` there.
  public func link(to other: TestNamespace, localName: String, remoteName: String) throws {
    try ip(["link", "add", localName, "type", "veth", "peer", "name", remoteName, "netns", other.name])
    try ip(["link", "set", localName, "up"])
    try other.ip(["link", "set", remoteName, "up"])
  }

  /// Runs `body` on a new thread that has joined this namespace; sockets it opens belong to the namespace.
  public func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) throws -> T {
    let box = ResultBox<T>()
    let path = "/run/netns/" + name
    let thread = Thread {
      let fd = open(path, O_RDONLY | O_CLOEXEC)
      guard fd >= 0, nt_setns_network(fd) == 0 else {
        box.result = .failure(NamespaceError(message: "setns(\(path)): errno \(errno)"))
        if fd >= 0 { close(fd) }
        box.semaphore.signal()
        return
      }
      close(fd)
      box.result = Result { try body() }
      box.semaphore.signal()
    }
    thread.start()
    box.semaphore.wait()
    return try box.result!.get()
  }
}

public struct NamespaceError: Error, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

private final class ResultBox<T>: @unchecked Sendable {
  var result: Result<T, any Error>?
  let semaphore = DispatchSemaphore(value: 0)
}

/// tcpdump's path: /usr/bin on current Debian, /usr/sbin on older systems. CI installs it, so tests that read a
/// pcap back with it fail (rather than pass silently) when it is missing.
public let tcpdumpPath: String = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first { access($0, X_OK) == 0 } ?? "/usr/bin/tcpdump"
