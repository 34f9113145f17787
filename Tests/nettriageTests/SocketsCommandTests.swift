import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `nettriage probe sockets`, run as a user would, against sockets the tests open on loopback.
@Suite struct SocketsCommandTests {
  func run(_ arguments: [String]) throws -> CommandLineTests.Run { try CommandLineTests.run(["probe", "sockets"] + arguments) }

  @Test func aListenerShowsItsAcceptQueueAndProcess() throws {
    let listener = try QueueListener(backlog: 7)
    let clients = try (0..<3).map { _ in try listener.connectClient() }
    defer { clients.forEach { close($0) } }
    let result = try run(["--listen", "--port", "\(listener.port)", "-i", "0"])
    #expect(result.status == 0)
    #expect(result.stderr.isEmpty)
    let row = try #require(result.lines.first { $0.hasPrefix("LISTEN") && $0.contains("127.0.0.1:\(listener.port)") })
    #expect(row.contains("accept queue 3/7"))
    #expect(row.contains("(pid \(getpid()))"))
    #expect(result.lines.contains { $0.hasPrefix("STATE") && $0.contains("RECV-Q") && $0.contains("PROCESS") })
    #expect(result.stdout.contains("something listens on port \(listener.port)"))
    #expect(result.stdout.contains("one sample, no change shown"))
    #expect(result.stdout.contains("net.core.somaxconn = "))
    #expect(!result.stdout.contains("warning:"))
  }

  @Test func nothingListeningExitsOne() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let result = try run(["--listen", "--port", "\(port)", "-i", "0"])
    #expect(result.status == 1)
    #expect(result.stdout.contains("nothing listens on port \(port)"))
    // Without --listen the same question is not asked: exit 0.
    #expect(try run(["--port", "\(port)", "-i", "0"]).status == 0)
  }

  @Test func jsonIsOneObject() throws {
    let listener = try QueueListener(backlog: 7)
    let result = try run(["--listen", "--port", "\(listener.port)", "-i", "0.2", "--json"])
    #expect(result.status == 0)
    #expect(result.lines.count == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(object["type"] as? String == "sockets")
    #expect(object["listening"] as? Bool == true)
    let rows = try #require((object["table"] as? [String: Any])?["rows"] as? [[String: Any]])
    let row = try #require(rows.first { $0["local"] as? String == "127.0.0.1:\(listener.port)" })
    #expect(row["state"] as? String == "LISTEN")
    #expect(row["backlog"] as? Int == 7)
    #expect(row["acceptQueue"] as? Int == 0)
    #expect((row["owners"] as? [[String: Any]])?.contains { $0["pid"] as? Int == Int(getpid()) } == true)
    let counters = try #require((object["counters"] as? [String: Any])?["counters"] as? [[String: Any]])
    let overflows = try #require(counters.first { $0["name"] as? String == "ListenOverflows" })
    #expect(overflows["change"] is Int && overflows["perSecond"] is Double)
    #expect((object["sysctls"] as? [String: Any])?["somaxconn"] is Int)
    #expect(object["warnings"] is [String])
  }

  @Test func aFullAcceptQueueAndOverflowsDuringTheSampleWarn() throws {
    let listener = try QueueListener(backlog: 1)
    let queued = try (0..<2).map { _ in try listener.connectClient() }
    defer { queued.forEach { close($0) } }
    // More connects while the command samples: their SYNs overflow the full queue.
    let overflowing = OverflowingClients(to: listener, after: .milliseconds(300), count: 4)
    defer { overflowing.close() }
    let result = try run(["--listen", "--port", "\(listener.port)", "-i", "1.5"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("accept queue 2/1"))
    #expect(result.stdout.contains("warning: the accept queue of 127.0.0.1:\(listener.port) is full (2/1)"))
    #expect(result.stdout.contains("warning: ListenOverflows rose by"))
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func stalledConnectionsNameTheStuckSideAndExitOne(host: String) throws {
    let pair = try StuckPair(address: IPAddress(host)!)
    let result = try run(["--stalled", "--port", "\(pair.port)", "-i", "0.5"])
    #expect(result.status == 1)
    #expect(result.stdout.contains("2 stalled connections"))
    #expect(result.stdout.contains("send queue not draining: the peer advertises a zero window"))
    #expect(result.stdout.contains("receive queue not draining: the local application does not read"))
    #expect(result.stdout.contains("(pid \(getpid()))"))

    let json = try run(["--stalled", "--port", "\(pair.port)", "-i", "0.5", "--json"])
    #expect(json.status == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
    let stalled = try #require((object["stalled"] as? [String: Any])?["stalled"] as? [[String: Any]])
    let sides = stalled.compactMap { ($0["stuckQueues"] as? [[String: Any]])?.first?["side"] as? String }.sorted()
    #expect(sides == ["receive", "send"])
  }

  @Test func nothingStalledExitsZero() throws {
    let listener = try QueueListener(backlog: 4)
    let client = try listener.connectClient()
    defer { close(client) }
    let result = try run(["--stalled", "--port", "\(listener.port)", "-i", "0.2"])
    #expect(result.status == 0)
    #expect(result.stdout.contains("no stalled connection: 2 established connections compared over"))
  }

  @Test func stateFilterAndTimeWait() throws {
    let listener = try QueueListener(backlog: 4)
    let result = try run(["--state", "listen", "--port", "\(listener.port)", "-i", "0"])
    #expect(result.status == 0)
    #expect(result.lines.contains { $0.hasPrefix("LISTEN") && $0.contains(":\(listener.port)") })
    let none = try run(["--state", "fin-wait2", "--port", "\(listener.port)", "-i", "0"])
    #expect(none.stdout.contains("no socket matches the filter"))
  }

  /// Unprivileged, /proc hides the descriptors of this (root) test process: the listener is still found,
  /// its process is not, and the output says why.
  @Test(.enabled(if: getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root to drop to nobody"))
  func unprivilegedUsersAreToldWhatProcHides() throws {
    let listener = try QueueListener(backlog: 7)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
    process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", CommandLineTests.binary,
                         "probe", "sockets", "--listen", "--port", "\(listener.port)", "-i", "0"]
    let out = Pipe()
    process.standardOutput = out
    process.standardError = Pipe()
    try process.run()
    let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(stdout.contains("accept queue 0/7"))
    #expect(stdout.contains("? (uid 0)"))
    #expect(stdout.contains("/proc hides the descriptors of"))
    #expect(stdout.contains("run as root to see it"))
  }

  @Test(arguments: [
    ["--port", "0"], ["--port", "70000"], ["--state", "open"], ["--stalled", "-i", "0"], ["--interval", "-1"],
    ["--listen", "--state", "established"], ["--bogus"],
  ])
  func badInputIsOneLineAndExitsTwo(arguments: [String]) throws {
    let result = try run(arguments)
    #expect(result.status == 2)
    #expect(result.stdout.isEmpty)
    #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
  }

  @Test func helpHasExamples() throws {
    let help = try run(["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("Examples:") && help.stdout.contains("--stalled"))
  }
}

// MARK: - Raw-socket setup

/// A loopback listener that never accepts.
private final class QueueListener {
  let descriptor: Int32
  let port: UInt16
  let address: IPAddress

  init(address: IPAddress = .v4(127, 0, 0, 1), backlog: Int32, receiveBuffer: Int32? = nil) throws {
    let fd = socket(address.family.constant, Int32(SOCK_STREAM.rawValue), 0)
    if var size = receiveBuffer { setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
    guard withSockAddr(SocketAddress(address, port: 0), { bind(fd, $0, $1) }) == 0, listen(fd, backlog) == 0 else {
      let error = Errno.current
      close(fd)
      throw error
    }
    descriptor = fd
    port = LoopbackTCPListener.boundPort(fd)
    self.address = address
  }

  /// A blocking connect: the kernel finishes the handshake and queues the connection.
  func connectClient(sendBuffer: Int32? = nil) throws -> Int32 {
    let fd = socket(address.family.constant, Int32(SOCK_STREAM.rawValue), 0)
    if var size = sendBuffer { setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size)) }
    guard withSockAddr(SocketAddress(address, port: port), { connect(fd, $0, $1) }) == 0 else {
      let error = Errno.current
      close(fd)
      throw error
    }
    return fd
  }

  deinit { close(descriptor) }
}

/// Nonblocking connects started from another thread after a delay, so they land inside the command's sample.
private final class OverflowingClients: @unchecked Sendable {
  private var descriptors: [Int32] = []
  private let done = DispatchSemaphore(value: 0)

  init(to listener: QueueListener, after delay: Duration, count: Int) {
    let address = SocketAddress(listener.address, port: listener.port)
    Thread { [self] in
      usleep(UInt32(delay.components.seconds * 1_000_000 + delay.components.attoseconds / 1_000_000_000_000))
      for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        _ = withSockAddr(address) { connect(fd, $0, $1) }
        descriptors.append(fd)
      }
      done.signal()
    }.start()
  }

  func close() {
    done.wait()
    descriptors.forEach { Glibc.close($0) }
  }
}

/// A loopback pair whose receiver never reads while the sender wrote until EAGAIN, with small buffers.
private final class StuckPair {
  let listener: QueueListener
  let sender: Int32
  let receiver: Int32

  init(address: IPAddress) throws {
    listener = try QueueListener(address: address, backlog: 4, receiveBuffer: 4096)
    sender = try listener.connectClient(sendBuffer: 4096)
    receiver = accept(listener.descriptor, nil, nil)
    guard receiver >= 0 else { throw Errno.current }
    _ = fcntl(sender, F_SETFL, fcntl(sender, F_GETFL) | O_NONBLOCK)
    let chunk = [UInt8](repeating: 0x61, count: 65_536)
    for _ in 0..<5 {
      while send(sender, chunk, chunk.count, Int32(MSG_NOSIGNAL)) > 0 {}
      guard errno == EAGAIN || errno == EWOULDBLOCK else { throw Errno.current }
      usleep(20_000)
    }
  }

  var port: UInt16 { listener.port }

  deinit {
    close(sender)
    close(receiver)
  }
}
