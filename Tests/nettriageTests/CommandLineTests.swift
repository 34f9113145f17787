import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `nettriage` binary as a user would, against loopback listeners the tests open.
@Suite struct CommandLineTests {
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }
  }

  static var binary: String {
    // The test bundle sits beside the products in .build/<configuration>/.
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("nettriage").path
  }

  /// Runs nettriage with `arguments`; `interruptAfter` sends SIGINT that long after the start.
  static func run(_ arguments: [String], interruptAfter: Duration? = nil) throws -> Run {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: binary)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    if let interruptAfter {
      Thread.sleep(forTimeInterval: Double(interruptAfter.components.seconds) + Double(interruptAfter.components.attoseconds) / 1e18)
      kill(process.processIdentifier, SIGINT)
    }
    let stdout = out.fileHandleForReading.readDataToEndOfFile()
    let stderr = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
               stderr: String(decoding: stderr, as: UTF8.self))
  }

  @Test func connectedProbesPrintALineEachAndASummary() throws {
    let listener = try LoopbackTCPListener()
    let run = try Self.run(["probe", "tcp", "127.0.0.1:\(listener.port)", "-n", "3", "-i", "0.05"])
    #expect(run.status == 0)
    let probeLines = run.lines.filter { $0.contains("connected in") }
    #expect(probeLines.count == 3)
    #expect(probeLines.allSatisfy { $0.contains("127.0.0.1:\(listener.port)") && $0.contains(" ms") })
    #expect(run.stdout.contains("3 sent, 3 answered, 0 lost (0.0% loss)"))
    #expect(run.stdout.contains("time min/avg/median/p95/max/stddev = "))
    #expect(run.stderr.isEmpty)
  }

  @Test func closedPortIsRefusedWithTheErrnoAndExitsOne() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let run = try Self.run(["probe", "tcp", "127.0.0.1:\(port)", "-n", "2", "-i", "0"])
    #expect(run.status == 1)
    #expect(run.lines.filter { $0.contains("refused after") && $0.contains("ECONNREFUSED (111) Connection refused") }.count == 2)
    #expect(run.stdout.contains("2 sent, 0 answered, 2 lost (100.0% loss)"))
  }

  @Test func telnetStyleAndServiceNamesWork() throws {
    let listener = try LoopbackTCPListener()
    let run = try Self.run(["probe", "tcp", "localhost", "\(listener.port)", "-n", "1", "-4"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("localhost resolved to 127.0.0.1"))
  }

  @Test(arguments: [
    ["probe", "tcp", "bad::input::"],
    ["probe", "tcp", "127.0.0.1:0"],
    ["probe", "tcp", "127.0.0.1:70000"],
    ["probe", "tcp", "localhost:htps"],
    ["probe", "tcp", "[::1:80"],
    ["probe", "tcp", "localhost"],
    ["probe", "tcp", "127.0.0.1:80", "--bogus"],
    ["probe", "tcp", "127.0.0.1:80", "-n", "-1"],
    ["probe", "tcp", "127.0.0.1:80", "-t", "0"],
    ["probe", "tcp", "127.0.0.1:80", "--source", "nonsense"],
    ["probe", "udp", "127.0.0.1:80", "--payload", "hex:zz"],
    ["probe", "unix", ""],
    ["resolve", ""],
    ["probe", "tcp", "\u{1b}[2J\u{7}:80"],
    [],
  ])
  func badInputIsOneLineAndExitsTwo(arguments: [String]) throws {
    let run = try Self.run(arguments)
    #expect(run.status == 2)
    #expect(run.stdout.isEmpty)
    let errorLines = run.stderr.split(separator: "\n")
    #expect(errorLines.count == 1, "\(run.stderr)")
    #expect(run.stderr.hasPrefix("nettriage: "))
    // Nothing typed may reach the terminal raw: no ESC, BEL or other control byte.
    #expect(!run.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
  }

  @Test func jsonIsOneObjectPerLine() throws {
    let listener = try LoopbackTCPListener()
    let run = try Self.run(["probe", "tcp", "127.0.0.1:\(listener.port)", "-n", "3", "-i", "0", "-w", "1", "--json"])
    #expect(run.status == 0)
    let objects = try run.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    #expect(objects.map { $0["type"] as? String } == ["resolution", "probe", "probe", "probe", "probe", "summary"])
    #expect(objects[1]["warmup"] as? Bool == true)
    #expect(objects[2]["outcome"] as? String == "connected")
    let attempts = try #require(objects[2]["attempts"] as? [[String: Any]])
    #expect(attempts.first?["peer"] as? String == "127.0.0.1:\(listener.port)")
    let statistics = try #require(objects[5]["statistics"] as? [String: Any])
    #expect(statistics["sent"] as? Int == 3)  // the warm-up is not counted
    #expect(statistics["lossPercent"] as? Double == 0)
  }

  @Test func jsonOfARefusalNamesTheErrnoInFull() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let run = try Self.run(["probe", "tcp", "127.0.0.1:\(port)", "-n", "1", "--json"])
    #expect(run.status == 1)
    let probe = try #require(run.lines.dropFirst().first)
    let object = try JSONSerialization.jsonObject(with: Data(probe.utf8)) as! [String: Any]
    let attempt = try #require((object["attempts"] as? [[String: Any]])?.first)
    let errno = try #require(attempt["errno"] as? [String: Any])
    #expect(errno["number"] as? Int == 111)
    #expect(errno["name"] as? String == "ECONNREFUSED")
    #expect(errno["message"] as? String == "Connection refused")
  }

  @Test func udpEchoIsOpenAndClosedPortIsClosed() throws {
    let echo = try LoopbackUDPEcho()
    let open = try Self.run(["probe", "udp", "127.0.0.1:\(echo.port)", "-n", "1", "--payload", "hex:68656c6c6f"])
    #expect(open.status == 0)
    #expect(open.stdout.contains("reply in") && open.stdout.contains("(5 bytes)"))
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue))
    let closed = try Self.run(["probe", "udp", "127.0.0.1:\(port)", "-n", "1"])
    #expect(closed.status == 1)
    #expect(closed.stdout.contains("closed (port unreachable)"))
    #expect(closed.stdout.contains("ICMP type 3 code 3"))
  }

  @Test func unixProbeOfAMissingPath() throws {
    let directory = TemporaryDirectory()
    let run = try Self.run(["probe", "unix", directory.path + "/none.sock", "-n", "1"])
    #expect(run.status == 1)
    #expect(run.stdout.contains("no such file") && run.stdout.contains("ENOENT (2)"))
  }

  @Test func interruptPrintsTheSummarySoFar() throws {
    let listener = try LoopbackTCPListener()
    let run = try Self.run(["probe", "tcp", "127.0.0.1:\(listener.port)", "-n", "0", "-i", "0.1"], interruptAfter: .milliseconds(800))
    #expect(run.status == 0)
    let summary = try #require(run.lines.first { $0.contains(" sent, ") })
    let sent = Int(summary.split(separator: " ")[0]) ?? 0
    #expect(sent >= 2)
    #expect(run.lines.filter { $0.contains("connected in") }.count == sent)
  }

  @Test func resolvePrintsTheHostsFileAnswer() throws {
    let run = try Self.run(["resolve", "localhost", "-4"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("localhost resolved to 127.0.0.1"))
    let json = try Self.run(["resolve", "127.0.0.1", "--json"])
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
    #expect(object["method"] as? String == "numeric")
  }

  @Test func subnetExplainsWhetherAGatewayFits() throws {
    let fits = try Self.run(["subnet", "198.18.1.10/24", "--gateway", "198.18.1.1"])
    #expect(fits.status == 0)
    #expect(fits.stdout.contains("network ID  198.18.1.0") && fits.stdout.contains("broadcast   198.18.1.255"))
    let off = try Self.run(["subnet", "198.18.1.10/255.255.255.0", "--gateway", "198.18.2.1"])
    #expect(off.status == 1)
    #expect(off.stdout.contains("problem: gateway 198.18.2.1 is outside 198.18.1.0/24"))
    let json = try Self.run(["subnet", "fd00:18::10/64", "--gateway", "fd00:19::1", "--json"])
    let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as! [String: Any]
    #expect((object["gateway"] as? [String: Any])?["verdict"] as? String == "gateway-off-subnet")
    #expect(object["hostBits"] as? Int == 64)
    let bad = try Self.run(["subnet", "198.18.1.10/33"])
    #expect(bad.status == 2 && bad.stderr.split(separator: "\n").count == 1)
  }

  @Test func helpAndVersion() throws {
    let version = try Self.run(["--version"])
    #expect(version.status == 0 && version.stdout.hasPrefix("0."))
    for command in [["--help"], ["probe", "tcp", "--help"], ["probe", "udp", "--help"], ["probe", "unix", "--help"], ["resolve", "--help"],
                    ["subnet", "--help"]] {
      let help = try Self.run(command)
      #expect(help.status == 0)
      #expect(help.stdout.contains("Examples:"), "\(command)")
    }
  }
}
