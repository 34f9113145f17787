import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `nettriage check` as a user runs it: on loopback, and inside namespaces the test builds (root).
@Suite struct CheckCommandTests {
  static func diagnosis(_ run: CommandLineTests.Run) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
    return try #require(object["diagnosis"] as? [String: Any])
  }

  @Test func reachableLoopbackListener() throws {
    let listener = try LoopbackTCPListener()
    let run = try CommandLineTests.run(["check", "127.0.0.1:\(listener.port)"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("[pass]  Destination"))
    #expect(run.stdout.contains("Diagnosis: reachable"))
    // Every step printed a line.
    #expect(run.lines.filter { $0.hasPrefix("[") }.count == 7)
  }

  @Test func closedLoopbackPort() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let run = try CommandLineTests.run(["check", "localhost", "\(port)", "--json"])
    #expect(run.status == 1)
    #expect(try Self.diagnosis(run)["id"] as? String == "port-closed")
  }

  @Test func quietPrintsOneLine() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let run = try CommandLineTests.run(["check", "127.0.0.1:\(port)", "-q"])
    #expect(run.status == 1)
    #expect(run.lines.count == 1 && run.lines[0].hasPrefix("port-closed: "))
  }

  @Test func markdownReportIsWritten() throws {
    let listener = try LoopbackTCPListener()
    let directory = TemporaryDirectory()
    let path = directory.path + "/ticket.md"
    let run = try CommandLineTests.run(["check", "127.0.0.1:\(listener.port)", "--report", path, "-q"])
    #expect(run.status == 0)
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.contains("# nettriage report"))
    #expect(text.contains("## Diagnosis: `reachable`"))
    #expect(text.contains("| Destination | pass |"))
  }

  /// The networking trace as a user sees it: the ladder before the diagnosis, the RST judged by its TTL, the pcap
  /// tcpdump reads, and the ladder in the Markdown report.
  @Test(.enabled(if: geteuid() == 0, "needs CAP_NET_RAW (root) to capture"))
  func traceOfAClosedPortPrintsTheLadderAndWritesThePcap() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let directory = TemporaryDirectory()
    let pcap = directory.path + "/check.pcap", report = directory.path + "/ticket.md"
    let run = try CommandLineTests.run(["check", "127.0.0.1:\(port)", "--pcap", pcap, "--report", report])
    #expect(run.status == 1)
    let trace = try #require(run.lines.first { $0.hasPrefix("[") && $0.contains("Networking trace") })
    #expect(trace.hasPrefix("[info]") && trace.contains("RST from 127.0.0.1: TTL 64 matches"), "\(trace)")
    let ladderStart = try #require(run.lines.firstIndex(of: "Networking trace:"))
    let diagnosisStart = try #require(run.lines.firstIndex { $0.hasPrefix("Diagnosis: port-closed") })
    let ladder = run.lines[ladderStart..<diagnosisStart]
    #expect(ladder.contains { $0.contains("SYN") && $0.contains("-->|") })
    #expect(ladder.contains { $0.contains("|<--") && $0.contains("RST") })
    #expect(run.stdout.contains("capture: RST from 127.0.0.1: TTL 64 matches the destination's distance"))
    #expect(run.lines.last == "pcap: 6 packets written to \(pcap)", "\(run.stdout)")
    let read = try runCommand(tcpdumpPath, ["-nn", "-r", pcap])
    let lines = read.stdout.split(separator: "\n")
    #expect(lines.count == 6)
    #expect(lines.filter { $0.contains("> 127.0.0.1.\(port): Flags [S]") }.count == 3)
    #expect(lines.filter { $0.contains("127.0.0.1.\(port) > ") && $0.contains("Flags [R.]") }.count == 3)
    let markdown = try String(contentsOfFile: report, encoding: .utf8)
    #expect(markdown.contains("## Networking trace") && markdown.contains("RST"))
  }

  @Test(.enabled(if: geteuid() == 0, "needs CAP_NET_RAW (root) to capture"))
  func traceOfAListenerShowsTheHandshakeInJSON() throws {
    let listener = try LoopbackTCPListener()
    let run = try CommandLineTests.run(["check", "127.0.0.1:\(listener.port)", "--json"])
    #expect(run.status == 0)
    let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
    let steps = try #require(object["steps"] as? [[String: Any]])
    let trace = try #require(steps.first { $0["id"] as? String == "networking-trace" })
    #expect(trace["status"] as? String == "pass")
    #expect((trace["summary"] as? String)?.hasPrefix("SYN-ACK mss ") == true)
    let packets = try #require((object["evidence"] as? [String: Any])?["packets"] as? [String: Any])
    #expect(packets["serverMaximumSegmentSize"] as? Int == 65495)
    #expect(packets["synRetransmits"] as? Int == 0)
  }

  @Test func noTraceSkipsTheStepAndRefusesAPcap() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let run = try CommandLineTests.run(["check", "127.0.0.1:\(port)", "--no-trace"])
    #expect(run.status == 1)
    #expect(run.lines.contains { $0.hasPrefix("[skip]  Networking trace  skipped: --no-trace was given") })
    #expect(!run.stdout.contains("Networking trace:"))
    let both = try CommandLineTests.run(["check", "127.0.0.1:\(port)", "--no-trace", "--pcap", "x.pcap"])
    #expect(both.status == 2)
    #expect(both.stderr.contains("--pcap needs the networking trace"))
    let directory = TemporaryDirectory()
    for path in ["", "/nonexistent-dir/x.pcap", directory.path] {
      let bad = try CommandLineTests.run(["check", "127.0.0.1:\(port)", "--pcap", path])
      #expect(bad.status == 2, "\(path)")
      #expect(bad.stderr.split(separator: "\n").count == 1)
    }
  }

  /// Without CAP_NET_RAW the step says why it was skipped, everything else runs, and no pcap is written.
  @Test(.enabled(if: geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv"), "needs root to drop to nobody"))
  func unprivilegedCheckSkipsTheTrace() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let directory = TemporaryDirectory()
    chmod(directory.path, 0o777)
    let pcap = directory.path + "/nobody.pcap"
    let run = try runCommand("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", CommandLineTests.binary,
                                                  "check", "127.0.0.1:\(port)", "--pcap", pcap], check: false)
    #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
    #expect(run.stdout.contains("[skip]  Networking trace  skipped: needs CAP_NET_RAW"), "\(run.stdout)")
    #expect(run.stdout.contains("Diagnosis: port-closed"))
    #expect(run.stderr.contains("pcap not written: the networking trace captured nothing: needs CAP_NET_RAW."), "\(run.stderr)")
    #expect(!FileManager.default.fileExists(atPath: pcap))
  }

  @Test(arguments: [["check", "bad::input::"], ["check", "127.0.0.1:0"], ["check", "unix:/x", "--udp"], ["check", "127.0.0.1:80", "-t", "0"]])
  func badInputExitsTwo(arguments: [String]) throws {
    let run = try CommandLineTests.run(arguments)
    #expect(run.status == 2)
    #expect(run.stderr.split(separator: "\n").count == 1)
  }
}

/// Faults made real in namespaces: the client's own view decides.
@Suite(.enabled(if: TestNamespace.isAvailable, "needs root and iproute2 for network namespaces"))
struct CheckCommandNamespaceTests {
  /// client 198.18.40.2/24 ⇄ peer 198.18.40.1/24 (no services on the peer).
  static func pair() throws -> (client: TestNamespace, peer: TestNamespace) {
    let client = try TestNamespace(tag: "chk")
    let peer = try TestNamespace(tag: "chkp")
    try client.link(to: peer, localName: "veth0", remoteName: "veth1")
    try client.ip(["addr", "add", "198.18.40.2/24", "dev", "veth0"])
    try peer.ip(["addr", "add", "198.18.40.1/24", "dev", "veth1"])
    // A short ARP failure (1 solicitation, 300 ms) keeps the neighbour cases within the probe timeout.
    try client.exec("/usr/sbin/sysctl", ["-q", "-w", "net.ipv4.neigh.veth0.mcast_solicit=1", "net.ipv4.neigh.veth0.retrans_time_ms=300"])
    return (client, peer)
  }

  static func check(in namespace: TestNamespace, _ target: String) throws -> (status: Int32, id: String?) {
    let diagnosis = try report(in: namespace, target).diagnosis
    return (diagnosis.status, diagnosis.object["id"] as? String)
  }

  static func report(in namespace: TestNamespace, _ target: String, timeout: String = "2") throws -> (diagnosis: (status: Int32, object: [String: Any]), full: [String: Any]) {
    let result = try namespace.exec(CommandLineTests.binary, ["check", target, "--json", "-t", timeout], check: false)
    let object = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
    return ((result.status, object["diagnosis"] as? [String: Any] ?? [:]), object)
  }

  /// Runs nft inside the namespace: each rule is an argument vector.
  static func nft(_ namespace: TestNamespace, _ commands: [[String]]) throws {
    for command in commands { try namespace.exec("/usr/sbin/nft", command) }
  }

  static let inputChain = [["add", "table", "inet", "t"],
                           ["add", "chain", "inet", "t", "input", "{", "type", "filter", "hook", "input", "priority", "0", ";", "}"]]

  @Test func silentlyDroppedPortWhileThePeerAnswersPing() throws {
    let (client, peer) = try Self.pair()
    try Self.nft(peer, Self.inputChain + [["add", "rule", "inet", "t", "input", "tcp", "dport", "81", "drop"]])
    let report = try Self.report(in: client, "198.18.40.1:81", timeout: "3")
    #expect(report.diagnosis.object["id"] as? String == "port-filtered")
    // Ping answered at once, so a provisional verdict came long before the 3 s deadline.
    #expect(report.diagnosis.object["provisional_id"] as? String == "port-filtered")
    let provisionalAt = try #require(report.diagnosis.object["provisional_at_ms"] as? Double)
    let finalAt = try #require(report.diagnosis.object["final_at_ms"] as? Double)
    #expect(provisionalAt < finalAt)
    #expect(finalAt >= 2_900)
    // The peer is on the local link: no path to trace (the lab's filtered-at-router scenario checks the routed case).
    #expect((report.full["evidence"] as? [String: Any])?["pathTrace"] == nil)
  }

  @Test func pingBlockedButTheServiceAnswers() throws {
    let (client, peer) = try Self.pair()
    try Self.nft(peer, Self.inputChain + [["add", "rule", "inet", "t", "input", "icmp", "type", "echo-request", "drop"]])
    let listener = try peer.perform { try LoopbackTCPListener(address: .v4(198, 18, 40, 1)) }
    let report = try Self.report(in: client, "198.18.40.1:\(listener.port)")
    #expect(report.diagnosis.object["id"] as? String == "reachable")
    let secondary = (report.diagnosis.object["secondary"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
    #expect(secondary == ["icmp-blocked"])
  }

  @Test func closedPortOnThePeer() throws {
    let (client, peer) = try Self.pair()
    let report = try Self.report(in: client, "198.18.40.1:81")
    #expect(report.diagnosis.object["id"] as? String == "port-closed")
    #expect(report.diagnosis.status == 1)
    // The RST came at once: no trace was needed, and the verdict was out (provisionally) before the other probes.
    #expect((report.full["evidence"] as? [String: Any])?["pathTrace"] == nil)
    #expect(report.diagnosis.object["provisional_id"] as? String == "port-closed")
    let provisionalAt = try #require(report.diagnosis.object["provisional_at_ms"] as? Double)
    #expect(provisionalAt <= (report.diagnosis.object["final_at_ms"] as? Double ?? 0))
    _ = peer
  }

  @Test func absentOnLinkHost() throws {
    let (client, peer) = try Self.pair()
    let report = try Self.report(in: client, "198.18.40.77:80")
    #expect(report.diagnosis.object["id"] as? String == "neighbor-unreachable")
    // The capture is empty, and the trace step says why: the SYN waits for ARP.
    #expect(Self.stepSummary(report.full, "networking-trace")?.hasPrefix("no SYN left: the kernel sends it only once the next hop's MAC is known") == true)
    _ = peer
  }

  static func stepSummary(_ report: [String: Any], _ id: String) -> String? {
    ((report["steps"] as? [[String: Any]])?.first { $0["id"] as? String == id })?["summary"] as? String
  }

  @Test func deadGateway() throws {
    let (client, peer) = try Self.pair()
    try client.ip(["route", "add", "default", "via", "198.18.40.9"])
    let result = try Self.check(in: client, "198.18.41.5:80")
    #expect(result.id == "gateway-unreachable")
    _ = peer
  }

  @Test func noRoute() throws {
    let (client, peer) = try Self.pair()
    let result = try Self.check(in: client, "198.18.41.5:80")
    #expect(result.id == "no-route")
    _ = peer
  }

  @Test func blackholeRoute() throws {
    let (client, peer) = try Self.pair()
    try client.ip(["route", "add", "blackhole", "198.18.42.0/24"])
    let result = try Self.check(in: client, "198.18.42.5:80")
    #expect(result.id == "no-route")
    _ = peer
  }

  static let outputChain = [["add", "table", "inet", "t"],
                            ["add", "chain", "inet", "t", "output", "{", "type", "filter", "hook", "output", "priority", "0", ";", "}"]]

  /// A silent drop in this machine's own output hook: the SYNs never reach the wire, and the capture shows it.
  @Test func ownOutputRuleDropsTheSYNs() throws {
    let (client, peer) = try Self.pair()
    try Self.nft(client, Self.outputChain + [["add", "rule", "inet", "t", "output", "tcp", "dport", "81", "drop"]])
    let report = try Self.report(in: client, "198.18.40.1:81", timeout: "1")
    #expect(report.diagnosis.object["id"] as? String == "local-firewall", "\(report.full)")
    let packets = (report.full["evidence"] as? [String: Any])?["packets"] as? [String: Any]
    #expect(packets?["synsNeverLeft"] as? Bool == true)
    #expect(Self.stepSummary(report.full, "networking-trace")?.hasPrefix("no SYN reached the interface: this machine dropped its own packets") == true)
    _ = peer
  }

  /// The server answers, but this machine's input hook drops the SYN-ACK: the capture sees it, the socket never does.
  @Test func ownInputRuleDropsTheSynAck() throws {
    let (client, peer) = try Self.pair()
    let listener = try peer.perform { try LoopbackTCPListener(address: .v4(198, 18, 40, 1)) }
    try Self.nft(client, Self.inputChain + [["add", "rule", "inet", "t", "input", "tcp", "sport", "\(listener.port)", "drop"]])
    let report = try Self.report(in: client, "198.18.40.1:\(listener.port)", timeout: "1")
    #expect(report.diagnosis.object["id"] as? String == "local-firewall", "\(report.full)")
    let packets = (report.full["evidence"] as? [String: Any])?["packets"] as? [String: Any]
    #expect(packets?["synAckIgnored"] as? Bool == true)
  }

  /// `check` with no target inside the client: the local checks and the name servers of its resolv.conf (the one
  /// `ip netns exec` mounts from /etc/netns/NAME/), a responder on the peer answering or silent.
  @Test(arguments: [DNSResponder.Mode.refused, .silent])
  func noTargetChecksTheNameServers(mode: DNSResponder.Mode) throws {
    let (client, peer) = try Self.pair()
    let directory = "/etc/netns/" + client.name
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: directory) }
    try "nameserver 198.18.40.1\n".write(toFile: directory + "/resolv.conf", atomically: true, encoding: .utf8)
    let responder = try peer.perform { try DNSResponder(address: SocketAddress(.v4(198, 18, 40, 1), port: 53), configuration: .init(mode: mode)) }
    let result = try client.exec(CommandLineTests.binary, ["check", "--json", "-t", "1"], check: false)
    let report = try #require(try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)\(result.stderr)")
    let id = (report["diagnosis"] as? [String: Any])?["id"] as? String
    let destination = Self.stepSummary(report, "destination") ?? ""
    if mode == .silent {
      #expect(id == "dns-timeout" && result.status == 1, "\(report)")
      #expect(destination.hasPrefix("no target given; no name server answers: 198.18.40.1:53 silent"), "\(destination)")
    } else {
      // REFUSED is an answer: the server is alive.
      #expect(id == "reachable" && result.status == 0, "\(report)")
      #expect(destination.hasPrefix("no target given; the name server answers"), "\(destination)")
    }
    _ = responder
  }

  @Test func egressWithoutCarrier() throws {
    let (client, peer) = try Self.pair()
    try peer.ip(["link", "set", "veth1", "down"])
    let result = try Self.check(in: client, "198.18.40.1:80")
    #expect(result.id == "link-down")
  }
}
