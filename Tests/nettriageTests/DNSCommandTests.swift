import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `nettriage probe dns` as a user runs it. On the host every run passes --server with a responder on loopback
/// (without it the probe would ask the host's name server); runs without --server happen inside namespaces
/// whose resolv.conf and hosts file the test writes (`ip netns exec` mounts /etc/netns/NAME/* over /etc).
@Suite struct DNSCommandTests {
  static let www = try! DNSName("www.nettriage.test")

  static func responder(_ mode: DNSResponder.Mode = .answer, zone: [DNSName: [IPAddress]]? = nil,
                        delay: Duration = .zero) throws -> DNSResponder {
    try DNSResponder(address: SocketAddress(.v4(127, 0, 0, 1), port: 0),
                     configuration: .init(zone: zone ?? [www: [.v4(198, 18, 0, 10), IPAddress("fd00::10")!]], mode: mode, delay: delay))
  }

  @Test func answeringServerIsConsistentAndExitsZero() throws {
    let responder = try Self.responder()
    let run = try CommandLineTests.run(["probe", "dns", "www.nettriage.test", "--server", "127.0.0.1:\(responder.port)"])
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    #expect(run.lines.first == "dns probe of www.nettriage.test (A, AAAA): 1 server given with --server")
    #expect(run.lines.contains { $0.contains("127.0.0.1:\(responder.port)  A     198.18.0.10 in ") && $0.hasSuffix("(aa rd)") })
    #expect(run.lines.contains { $0.contains("127.0.0.1:\(responder.port)  AAAA  fd00::10 in ") })
    #expect(run.stdout.contains("getaddrinfo   skipped: --server given"))
    #expect(run.lines.last == "result: www.nettriage.test resolves consistently to 198.18.0.10, fd00::10")
    #expect(run.stderr.isEmpty)
    #expect(responder.queriesReceived == 2)
  }

  @Test func nxdomainAndDeadServerExitOne() throws {
    let missing = try Self.responder(.nxdomain)
    let nx = try CommandLineTests.run(["probe", "dns", "www.nettriage.test", "--server", "127.0.0.1:\(missing.port)", "--type", "a"])
    #expect(nx.status == 1)
    #expect(nx.stdout.contains("NXDOMAIN in "))
    #expect(nx.stdout.contains("FAIL dns-nxdomain: DNS server 127.0.0.1:\(missing.port) says www.nettriage.test does not exist (NXDOMAIN)"))
    #expect(nx.lines.last == "result: problems found (1 fail, 0 warn)")
    #expect(missing.queriesReceived == 1)

    let good = try Self.responder()
    let silent = try Self.responder(.silent)
    let dead = try CommandLineTests.run(["probe", "dns", "www.nettriage.test", "--type", "AAAA", "-t", "0.5",
                                         "--server", "127.0.0.1:\(silent.port)", "--server", "127.0.0.1:\(good.port)"])
    #expect(dead.status == 1)
    #expect(dead.stdout.contains("timed out after 5"))
    #expect(dead.stdout.contains("WARN dns-server-down: DNS server 127.0.0.1:\(silent.port) did not answer"))
    #expect(good.queriesReceived == 1 && silent.queriesReceived == 1)
  }

  @Test func hostsFileDisagreementIsTheWrongAddressCase() throws {
    // The host's hosts file maps localhost to 127.0.0.1 (read only); the test's server says otherwise.
    guard HostsFile.entries(matching: "localhost", in: (try? String(contentsOfFile: "/etc/hosts", encoding: .utf8)) ?? "")
      .contains(where: { $0.address == .v4(127, 0, 0, 1) }) else { return }
    let liar = try Self.responder(zone: [try DNSName("localhost"): [.v4(198, 18, 0, 7)]])
    let run = try CommandLineTests.run(["probe", "dns", "localhost", "--type", "A", "--server", "127.0.0.1:\(liar.port)"])
    #expect(run.status == 1)
    #expect(run.stdout.contains("FAIL dns-disagreement: hosts file maps localhost to 127.0.0.1 but DNS server 127.0.0.1:\(liar.port) says 198.18.0.7"))
    #expect(liar.queriesReceived == 1)
  }

  @Test func jsonIsOneObject() throws {
    let responder = try Self.responder(.truncated)
    let run = try CommandLineTests.run(["probe", "dns", "www.nettriage.test", "--server", "127.0.0.1:\(responder.port)", "--json"])
    #expect(run.status == 1)
    #expect(run.lines.count == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    #expect(object["type"] as? String == "dns")
    #expect(object["name"] as? String == "www.nettriage.test")
    #expect(object["serverOrigin"] as? String == "given")
    #expect(object["isConsistent"] as? Bool == false)
    let queries = try #require(object["queries"] as? [[String: Any]])
    #expect(queries.map { $0["outcome"] as? String } == ["truncated", "truncated"])
    #expect(queries.map { $0["type"] as? String } == ["A", "AAAA"])
    #expect(queries.allSatisfy { ($0["elapsedMicroseconds"] as? Int ?? -1) >= 0 })
    let findings = try #require(object["findings"] as? [[String: Any]])
    #expect(findings.first?["id"] as? String == "dns-truncated")
    #expect((object["system"] as? [String: Any])?["skipped"] != nil)
    #expect(responder.queriesReceived == 2)
  }

  @Test(arguments: [
    ["probe", "dns"],
    ["probe", "dns", ""],
    ["probe", "dns", "a..b"],
    ["probe", "dns", String(repeating: "x", count: 64) + ".test"],
    ["probe", "dns", "198.18.0.1"],
    ["probe", "dns", "fe80::1%lo"],
    ["probe", "dns", "https://www.nettriage.test/"],
    ["probe", "dns", "www.nettriage.test", "--type", "MX"],
    ["probe", "dns", "www.nettriage.test", "--server", "nonsense"],
    ["probe", "dns", "www.nettriage.test", "--server", "127.0.0.1:0"],
    ["probe", "dns", "www.nettriage.test", "--server", "fe80::1%nosuchif0"],
    ["probe", "dns", "www.nettriage.test", "--server", "127.0.0.1:53", "-t", "0"],
    ["probe", "dns", "\u{1b}[2J.test", "--server", "127.0.0.1:53", "-t", "-1"],
  ])
  func badInputIsOneLineAndExitsTwo(arguments: [String]) throws {
    let run = try CommandLineTests.run(arguments)
    #expect(run.status == 2, "\(arguments): \(run.stdout)")
    #expect(run.stdout.isEmpty)
    #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    #expect(run.stderr.hasPrefix("nettriage: "))
    #expect(!run.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
  }

  @Test func helpHasExamples() throws {
    let help = try CommandLineTests.run(["probe", "dns", "--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("Examples:"))
    #expect(help.stdout.contains("--server"))
  }
}

/// Runs without --server, inside namespaces with their own resolv.conf and hosts file: getaddrinfo and the
/// configured servers are the test's responders on the namespace's loopback.
@Suite(.enabled(if: TestNamespace.isAvailable, "needs root and iproute2 for network namespaces"), .serialized)
struct DNSCommandNamespaceTests {
  /// A namespace with /etc/netns/NAME/{resolv.conf,hosts}, removed at the end.
  final class ResolverNamespace {
    let namespace: TestNamespace
    let directory: String
    private let createdNetnsDirectory: Bool

    init(tag: String, resolvConf: String, hosts: String) throws {
      namespace = try TestNamespace(tag: tag)
      createdNetnsDirectory = !FileManager.default.fileExists(atPath: "/etc/netns")
      directory = "/etc/netns/" + namespace.name
      try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
      try resolvConf.write(toFile: directory + "/resolv.conf", atomically: true, encoding: .utf8)
      try hosts.write(toFile: directory + "/hosts", atomically: true, encoding: .utf8)
    }

    deinit {
      try? FileManager.default.removeItem(atPath: directory)
      // Leave /etc/netns alone unless this test made it and nothing else is in it now.
      if createdNetnsDirectory, (try? FileManager.default.contentsOfDirectory(atPath: "/etc/netns"))?.isEmpty == true {
        rmdir("/etc/netns")
      }
    }

    /// A responder on ADDRESS:53 inside the namespace.
    func responder(_ address: IPAddress, _ configuration: DNSResponder.Configuration) throws -> DNSResponder {
      try namespace.perform { try DNSResponder(address: SocketAddress(address, port: 53), configuration: configuration) }
    }

    func run(_ arguments: [String]) throws -> CommandResult {
      try namespace.exec(CommandLineTests.binary, arguments, check: false)
    }
  }

  static let zone: [DNSName: [IPAddress]] = [try! DNSName("www.nettriage.test"): [.v4(198, 18, 0, 10)]]
  static let baseHosts = "127.0.0.1 localhost\n"

  @Test func consistentNameExitsZeroAndGetaddrinfoAskedOurServer() throws {
    let lab = try ResolverNamespace(tag: "dnsok", resolvConf: "nameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
                                    hosts: Self.baseHosts)
    let server = try lab.responder(.v4(127, 0, 0, 1), .init(zone: Self.zone))
    let run = try lab.run(["probe", "dns", "www.nettriage.test", "--type", "A"])
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    #expect(run.stdout.contains("1 server from /etc/resolv.conf"))
    #expect(run.stdout.contains("nameserver 127.0.0.1; no search list; options timeout:1 attempts:1 ndots:1"))
    #expect(run.stdout.contains("no entry for www.nettriage.test in /etc/hosts"))
    #expect(run.stdout.contains("getaddrinfo   198.18.0.10 in "))
    #expect(run.stdout.contains("result: www.nettriage.test resolves consistently to 198.18.0.10"))
    // Our direct query and getaddrinfo's.
    #expect(server.queriesReceived >= 2)
  }

  @Test func deadFirstServerMakesLookupsSlow() throws {
    let lab = try ResolverNamespace(tag: "dnsdead", resolvConf: "nameserver 127.0.0.2\nnameserver 127.0.0.1\noptions timeout:1 attempts:1\n",
                                    hosts: Self.baseHosts)
    let dead = try lab.responder(.v4(127, 0, 0, 2), .init(mode: .silent))
    let good = try lab.responder(.v4(127, 0, 0, 1), .init(zone: Self.zone))
    let run = try lab.run(["probe", "dns", "www.nettriage.test", "--type", "A", "-t", "1", "--json"])
    #expect(run.status == 1)
    let object = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    let findings = try #require(object["findings"] as? [[String: Any]])
    let ids = findings.compactMap { $0["id"] as? String }
    #expect(ids == ["dns-server-down", "dns-slow-lookup"], "\(findings)")
    let slow = findings.first { $0["id"] as? String == "dns-slow-lookup" }?["message"] as? String ?? ""
    #expect(slow.contains("DNS server 127.0.0.2 does not answer, and glibc waits timeout:1 s on it"))
    let system = try #require((object["system"] as? [String: Any])?["resolution"] as? [String: Any])
    #expect(system["addresses"] as? [String] == ["198.18.0.10"])
    #expect((system["elapsedMicroseconds"] as? Int ?? 0) >= 900_000)
    #expect(dead.queriesReceived >= 2 && good.queriesReceived >= 2)
  }

  @Test func hostsFileMapsTheNameElsewhere() throws {
    let lab = try ResolverNamespace(tag: "dnshosts", resolvConf: "nameserver 127.0.0.1\n",
                                    hosts: Self.baseHosts + "198.18.0.9 www.nettriage.test www\n")
    let server = try lab.responder(.v4(127, 0, 0, 1), .init(zone: Self.zone))
    let run = try lab.run(["probe", "dns", "www.nettriage.test", "--type", "A"])
    #expect(server.queriesReceived == 1)  // getaddrinfo found the name in the hosts file
    #expect(run.status == 1)
    #expect(run.stdout.contains("hosts file    198.18.0.9  www.nettriage.test www  (/etc/hosts line 2)"))
    #expect(run.stdout.contains("getaddrinfo   198.18.0.9 in "))
    #expect(run.stdout.contains(
      "FAIL dns-disagreement: hosts file maps www.nettriage.test to 198.18.0.9 but DNS server 127.0.0.1 says 198.18.0.10 (the hosts file comes first, so programs get 198.18.0.9)"))
  }

  @Test func noNameServerLineFallsBackToLocalhost() throws {
    let lab = try ResolverNamespace(tag: "dnsnone", resolvConf: "# no servers\n", hosts: Self.baseHosts)
    let server = try lab.responder(.v4(127, 0, 0, 1), .init(zone: Self.zone))
    let run = try lab.run(["probe", "dns", "www.nettriage.test", "--type", "A"])
    #expect(server.queriesReceived >= 2)
    #expect(run.status == 1)
    #expect(run.stdout.contains("1 server the default (no nameserver line in /etc/resolv.conf)"))
    #expect(run.stdout.contains("WARN dns-no-servers: no nameserver line in /etc/resolv.conf: glibc falls back to a name server on this machine (127.0.0.1:53), which answered"))
  }
}
