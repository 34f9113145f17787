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
    let result = try Self.check(in: client, "198.18.40.1:81")
    #expect(result.id == "port-closed")
    #expect(result.status == 1)
    _ = peer
  }

  @Test func absentOnLinkHost() throws {
    let (client, peer) = try Self.pair()
    let result = try Self.check(in: client, "198.18.40.77:80")
    #expect(result.id == "neighbor-unreachable")
    _ = peer
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

  @Test func egressWithoutCarrier() throws {
    let (client, peer) = try Self.pair()
    try peer.ip(["link", "set", "veth1", "down"])
    let result = try Self.check(in: client, "198.18.40.1:80")
    #expect(result.id == "link-down")
  }
}
