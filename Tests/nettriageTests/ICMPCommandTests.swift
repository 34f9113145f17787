import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `nettriage probe icmp` as a user runs it: root uses a raw socket; as nobody it uses a datagram socket where the
/// namespace's ping_group_range allows, and is skipped with the reason where it does not.
@Suite(.enabled(if: TestNamespace.isAvailable, "needs root for raw ICMP sockets and namespaces"))
struct ICMPCommandTests {
  static func run(_ arguments: [String], interruptAfter: Duration? = nil) throws -> CommandLineTests.Run {
    try CommandLineTests.run(["probe", "icmp"] + arguments, interruptAfter: interruptAfter)
  }

  /// Runs the binary inside `namespace`, as nobody when `asNobody`.
  static func run(in namespace: TestNamespace, asNobody: Bool, _ arguments: [String]) throws -> CommandLineTests.Run {
    let command = [CommandLineTests.binary, "probe", "icmp"] + arguments
    let result = asNobody
      ? try namespace.exec("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups"] + command, check: false)
      : try namespace.exec(command[0], Array(command.dropFirst()), check: false)
    return CommandLineTests.Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func repliesPrintALineEachAndASummary(host: String) throws {
    let run = try Self.run([host, "-n", "3", "-i", "0.05"])
    #expect(run.status == 0)
    #expect(run.lines.first == "icmp probe of \(host): \(host) (numeric address: no resolver asked)")
    #expect(run.lines.dropFirst().first == "echo requests to \(host): 56 data bytes, raw socket")
    let replies = run.lines.filter { $0.contains("reply in") }
    #expect(replies.count == 3)
    #expect(replies.allSatisfy { $0.contains("  \(host)  ") && $0.contains(host.contains(":") ? "hlim 64" : "ttl 64") && $0.hasSuffix("64 bytes") })
    #expect(run.stdout.contains("--- \(host) icmp statistics ---"))
    #expect(run.stdout.contains("3 sent, 3 answered, 0 lost (0.0% loss)"))
    #expect(run.stdout.contains("time min/avg/median/p95/max/stddev = "))
    #expect(run.stdout.contains("outcomes: reply 3"))
    #expect(run.stderr.isEmpty)
  }

  @Test func jsonIsOneObjectPerLine() throws {
    let run = try Self.run(["localhost", "-4", "-n", "2", "-i", "0", "-w", "1", "--json", "--size", "100", "--ttl", "9"])
    #expect(run.status == 0)
    let objects = try run.lines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    #expect(objects.map { $0["type"] as? String } == ["resolution", "probe", "probe", "probe", "summary"])
    #expect(objects[1]["warmup"] as? Bool == true)
    #expect(objects[2]["warmup"] as? Bool == false)
    #expect(objects[2]["outcome"] as? String == "reply")
    #expect(objects[2]["kind"] as? String == "icmp")
    #expect(objects[2]["method"] as? String == "raw")
    #expect(objects[2]["bytes"] as? Int == 108)
    #expect(objects[2]["address"] as? String == "127.0.0.1")
    #expect(objects[2]["sequence"] as? Int == 2)
    #expect(objects[2]["rttMicroseconds"] is Int)
    let statistics = try #require(objects[4]["statistics"] as? [String: Any])
    #expect(statistics["sent"] as? Int == 2)  // the warm-up is not counted
    #expect((statistics["outcomes"] as? [String: Int]) == ["reply": 2])
    #expect(objects[4]["method"] as? String == "raw")
  }

  @Test(arguments: [
    ["127.0.0.1:80"],
    ["localhost:https"],
    ["unix:/run/x.sock"],
    [""],
    ["bad::input::"],
    ["\u{1b}[2J\u{7}"],
    ["127.0.0.1", "--size", "-1"],
    ["127.0.0.1", "--size", "65508"],
    ["127.0.0.1", "--ttl", "0"],
    ["127.0.0.1", "--ttl", "256"],
    ["127.0.0.1", "--method", "icmp"],
    ["127.0.0.1", "-4", "-6"],
    ["127.0.0.1", "extra"],
  ])
  func badInputIsOneLineAndExitsTwo(arguments: [String]) throws {
    let run = try Self.run(arguments)
    #expect(run.status == 2, "\(arguments): \(run.stdout)\(run.stderr)")
    #expect(run.stdout.isEmpty)
    #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    #expect(run.stderr.hasPrefix("nettriage: "))
    #expect(!run.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
  }

  @Test func aPastedURLGivesItsHost() throws {
    let run = try Self.run(["http://127.0.0.1:8080/health", "-n", "1"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("echo requests to 127.0.0.1"))
  }

  @Test func unprivilegedOutsideThePingGroupRangeIsSkipped() throws {
    let namespace = try TestNamespace(tag: "clinobody")  // new namespaces start with ping_group_range "1 0"
    let text = try Self.run(in: namespace, asNobody: true, ["127.0.0.1", "-n", "1"])
    #expect(text.status == 3)
    #expect(text.lines.last?.hasPrefix("icmp probe of 127.0.0.1 skipped: needs CAP_NET_RAW or a group in net.ipv4.ping_group_range") == true,
            "\(text.stdout)")
    let json = try Self.run(in: namespace, asNobody: true, ["127.0.0.1", "-n", "1", "--json"])
    #expect(json.status == 3)
    let skipped = try JSONSerialization.jsonObject(with: Data(try #require(json.lines.last).utf8)) as! [String: Any]
    #expect(skipped["type"] as? String == "skipped")
    #expect(skipped["pingGroupRange"] as? String == "1 0")
    #expect(skipped["groups"] as? [Int] == [65534])
    #expect(skipped["hasNetRawCapability"] as? Bool == false)
    #expect((skipped["rawError"] as? [String: Any])?["name"] as? String == "EPERM")
    #expect((skipped["datagramError"] as? [String: Any])?["name"] as? String == "EACCES")
  }

  @Test func unprivilegedInsideThePingGroupRangeUsesADatagramSocket() throws {
    let namespace = try TestNamespace(tag: "cligroup")
    try namespace.exec("/usr/sbin/sysctl", ["-q", "-w", "net.ipv4.ping_group_range=65534 65534"])
    for host in ["127.0.0.1", "::1"] {
      let run = try Self.run(in: namespace, asNobody: true, [host, "-n", "2", "-i", "0"])
      #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
      #expect(run.stdout.contains("56 data bytes, datagram socket"))
      #expect(run.lines.filter { $0.contains("reply in") }.count == 2)
    }
    // Forcing raw as nobody names the missing capability.
    let raw = try Self.run(in: namespace, asNobody: true, ["127.0.0.1", "-n", "1", "--method", "raw"])
    #expect(raw.status == 3)
    #expect(raw.stdout.contains("skipped: needs CAP_NET_RAW for a raw ICMP socket (raw socket: EPERM)"))
  }

  @Test func timeExceededAndUnreachableNameTheRouter() throws {
    let client = try TestNamespace(tag: "cliclient")
    let router = try TestNamespace(tag: "clirouter")
    let stub = try TestNamespace(tag: "clistub")
    try client.link(to: router, localName: "c0", remoteName: "r0")
    try router.link(to: stub, localName: "r1", remoteName: "s0")
    try client.ip(["addr", "add", "198.18.1.2/24", "dev", "c0"])
    try client.ip(["addr", "add", "198.18.1.3/24", "dev", "c0"])
    try router.ip(["addr", "add", "198.18.1.1/24", "dev", "r0"])
    try router.ip(["addr", "add", "198.18.2.1/24", "dev", "r1"])
    try client.ip(["route", "add", "default", "via", "198.18.1.1"])
    try router.exec("/usr/sbin/sysctl", ["-q", "-w", "net.ipv4.ip_forward=1", "net.ipv4.icmp_ratelimit=0"])

    let hop = try Self.run(in: client, asNobody: false, ["198.18.2.2", "--ttl", "1", "-n", "2", "-i", "0"])
    #expect(hop.status == 1)
    #expect(hop.stdout.contains("echo requests to 198.18.2.2: 56 data bytes, raw socket, TTL 1"))
    let exceeded = hop.lines.filter {
      $0.contains("198.18.2.2  time exceeded after ") && $0.hasSuffix("; ICMP type 11 code 0 (time exceeded: TTL expired in transit) from 198.18.1.1")
    }
    #expect(exceeded.count == 2, "\(hop.stdout)")
    #expect(hop.stdout.contains("2 sent, 0 answered, 2 lost (100.0% loss)"))
    #expect(hop.stdout.contains("outcomes: time-exceeded 2"))

    // From a second address: the router's "no route" errors have a per-source limiter that the time exceeded
    // messages above have just emptied for 198.18.1.2.
    let unreachable = try Self.run(in: client, asNobody: false, ["198.18.9.9", "-n", "1", "--json", "--source", "198.18.1.3"])
    #expect(unreachable.status == 1)
    let probe = try JSONSerialization.jsonObject(with: Data(unreachable.lines[1].utf8)) as! [String: Any]
    #expect(probe["outcome"] as? String == "network-unreachable")
    #expect(probe["from"] as? String == "198.18.1.1")
    let icmp = try #require(probe["icmp"] as? [String: Any])
    #expect(icmp["type"] as? Int == 3 && icmp["code"] as? Int == 0)
    #expect(icmp["meaning"] as? String == "destination unreachable: network unreachable")
  }

  @Test func interruptPrintsTheSummarySoFar() throws {
    let run = try Self.run(["127.0.0.1", "-n", "0", "-i", "0.1"], interruptAfter: .milliseconds(800))
    #expect(run.status == 0)
    let summary = try #require(run.lines.first { $0.contains(" sent, ") })
    let sent = Int(summary.split(separator: " ")[0]) ?? 0
    #expect(sent >= 2)
    #expect(run.lines.filter { $0.contains("reply in") }.count == sent)
  }

  @Test func helpHasExamples() throws {
    let help = try Self.run(["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("Examples:"))
    #expect(help.stdout.contains("--method"))
    #expect(help.stdout.contains("net.ipv4.ping_group_range"))
  }
}
