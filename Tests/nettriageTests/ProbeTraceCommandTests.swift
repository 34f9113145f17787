import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `probe tcp|udp --trace --pcap FILE`, run as a user would: the ladder after each result, the pcap tcpdump reads,
/// the packets in --json, and one line instead of all that without CAP_NET_RAW.
@Suite struct ProbeTraceCommandTests {
  static let tcpdump = tcpdumpPath
  static let setpriv = "/usr/bin/setpriv"
  static var isRoot: Bool { geteuid() == 0 }

  static func run(_ arguments: [String]) throws -> CommandLineTests.Run { try CommandLineTests.run(arguments) }

  /// The ladder's arrow lines, reduced to their direction and first word: "> SYN", "< SYN-ACK".
  static func arrows(_ run: CommandLineTests.Run) -> [String] {
    run.lines.compactMap { line -> String? in
      guard let start = line.firstIndex(of: "|"), line.contains("---") || line.contains("===") else { return nil }
      let body = String(line[start...])
      let label = body.trimmingCharacters(in: CharacterSet(charactersIn: "|<>-= "))
      guard let first = label.split(separator: " ").first else { return nil }
      return (body.hasPrefix("|<") ? "< " : "> ") + first
    }
  }

  @Test(.enabled(if: isRoot, "needs CAP_NET_RAW"))
  func tcpLadderAfterEachResult() throws {
    let listener = try LoopbackTCPListener()
    let run = try Self.run(["probe", "tcp", "127.0.0.1:\(listener.port)", "-n", "2", "-i", "0", "--trace"])
    #expect(run.status == 0, "\(run.stderr)")
    let arrows = Self.arrows(run)
    #expect(arrows.filter { $0 == "> SYN" }.count == 2 && arrows.filter { $0 == "< SYN-ACK" }.count == 2, "\(run.stdout)")
    #expect(Array(arrows.prefix(3)) == ["> SYN", "< SYN-ACK", "> ACK"], "\(run.stdout)")
    // Each ladder follows its probe's line.
    let lines = run.lines
    let probeLines = lines.indices.filter { lines[$0].contains("connected in") }
    #expect(probeLines.count == 2 && lines[probeLines[0] + 1].contains("packets on lo"), "\(run.stdout)")
    #expect(lines.allSatisfy { $0.count <= 80 }, "fits 80 columns: \(run.stdout)")
    #expect(run.stdout.contains("SYN-ACK  mss 65495"))
  }

  @Test(.enabled(if: isRoot, "needs CAP_NET_RAW"))
  func closedPortLadderAndPcap() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let directory = TemporaryDirectory()
    let path = directory.path + "/closed.pcap"
    let run = try Self.run(["probe", "tcp", "127.0.0.1:\(port)", "-n", "2", "-i", "0", "--trace", "--pcap", path])
    #expect(run.status == 1)
    #expect(Self.arrows(run) == ["> SYN", "< RST-ACK", "> SYN", "< RST-ACK"], "\(run.stdout)")
    #expect(run.stdout.contains("pcap: 4 packets written to \(path)"), "\(run.stdout)")
    let file = try #require(FileManager.default.contents(atPath: path))
    #expect(file.count > 24 && Array(file.prefix(4)) == [0x4d, 0x3c, 0xb2, 0xa1])
    try #require(FileManager.default.isExecutableFile(atPath: Self.tcpdump), "tcpdump is missing: .ci/run installs it")
    let read = try runCommand(Self.tcpdump, ["-nn", "-r", path])
    let records = read.stdout.split(separator: "\n")
    #expect(records.count == 4 && records.filter { $0.contains("Flags [S]") }.count == 2
            && records.filter { $0.contains("Flags [R.]") }.count == 2, "\(read.stdout)")
    #expect(records.allSatisfy { $0.contains("127.0.0.1.\(port)") })
  }

  @Test(.enabled(if: isRoot, "needs CAP_NET_RAW"))
  func jsonCarriesTheDecodedPackets() throws {
    let listener = try LoopbackTCPListener()
    let run = try Self.run(["probe", "tcp", "127.0.0.1:\(listener.port)", "-n", "1", "--trace", "--json"])
    #expect(run.status == 0)
    let objects = run.lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    let probe = try #require(objects.first { $0["type"] as? String == "probe" })
    let traces = try #require(probe["traces"] as? [[String: Any]])
    #expect(traces.count == 1)
    let capture = try #require(traces[0]["capture"] as? [String: Any])
    let packets = try #require(capture["packets"] as? [[String: Any]])
    let flags = packets.compactMap { (($0["decoded"] as? [String: Any])?["tcp"] as? [String: Any])?["flags"] as? [String] }
    #expect(Array(flags.prefix(3)) == [["SYN"], ["SYN", "ACK"], ["ACK"]], "\(flags)")
    #expect(packets.allSatisfy { ($0["bytes"] as? String)?.isEmpty == false && $0["timestampNanoseconds"] is Int })
    let evidence = try #require(traces[0]["evidence"] as? [String: Any])
    #expect(evidence["handshakeCompleted"] as? Bool == true)
  }

  @Test(.enabled(if: isRoot, "needs CAP_NET_RAW"))
  func udpTraceAndAPcapOfTheWholeLoop() throws {
    let echo = try LoopbackUDPEcho()
    let directory = TemporaryDirectory()
    let path = directory.path + "/udp.pcap"
    let run = try Self.run(["probe", "udp", "127.0.0.1:\(echo.port)", "--payload", "hi", "-n", "3", "-i", "0", "--trace", "--pcap", path])
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    #expect(Self.arrows(run) == Array(repeating: ["> UDP", "< UDP"], count: 3).flatMap { $0 }, "\(run.stdout)")
    #expect(run.stdout.contains("pcap: 6 packets written to"))
    try #require(FileManager.default.isExecutableFile(atPath: Self.tcpdump), "tcpdump is missing: .ci/run installs it")
    let read = try runCommand(Self.tcpdump, ["-nn", "-r", path])
    #expect(read.stdout.split(separator: "\n").filter { $0.contains("UDP, length 2") }.count == 6, "\(read.stdout)")
  }

  @Test(.enabled(if: isRoot && FileManager.default.isExecutableFile(atPath: setpriv), "needs root to drop to nobody"))
  func withoutCapNetRawOneLineAndTheProbeStillRuns() throws {
    let listener = try LoopbackTCPListener()
    let directory = TemporaryDirectory()
    chmod(directory.path, 0o777)
    let path = directory.path + "/nobody.pcap"
    let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups", CommandLineTests.binary]
    let text = try runCommand(Self.setpriv, nobody + ["probe", "tcp", "127.0.0.1:\(listener.port)", "-n", "1", "--trace", "--pcap", path],
                              check: false)
    #expect(text.status == 0, "\(text.stdout)\(text.stderr)")
    #expect(text.stdout.split(separator: "\n").filter { $0.hasPrefix("trace skipped") } == ["trace skipped: needs CAP_NET_RAW (no pcap written)"])
    #expect(text.stdout.contains("connected in") && !text.stdout.contains("|---"))
    #expect(!FileManager.default.fileExists(atPath: path))
    let json = try runCommand(Self.setpriv, nobody + ["probe", "tcp", "127.0.0.1:\(listener.port)", "-n", "1", "--trace", "--json"],
                              check: false)
    #expect(json.status == 0)
    #expect(json.stdout.contains("{\"pcap\":null,\"reason\":\"needs CAP_NET_RAW\",\"type\":\"trace-skipped\"}")
            || json.stdout.contains("{\"reason\":\"needs CAP_NET_RAW\",\"type\":\"trace-skipped\"}"), "\(json.stdout)")
  }

  @Test func badPcapPathsAreUsageErrors() throws {
    let directory = TemporaryDirectory()
    for arguments in [["--pcap", directory.path], ["--pcap", "/nonexistent-dir/x.pcap"], ["--pcap", ""]] {
      let run = try Self.run(["probe", "tcp", "127.0.0.1:9", "-n", "1"] + arguments)
      #expect(run.status == 2 && run.stderr.split(separator: "\n").count == 1 && run.stdout.isEmpty, "\(arguments): \(run.stderr)")
      #expect(run.stderr.contains("--pcap"))
    }
  }

  @Test func helpNamesTheFlags() throws {
    for kind in ["tcp", "udp"] {
      let help = try Self.run(["probe", kind, "--help"])
      #expect(help.status == 0 && help.stdout.contains("--trace") && help.stdout.contains("--pcap <FILE>"))
      #expect(help.stdout.contains("CAP_NET_RAW"))
    }
  }
}
