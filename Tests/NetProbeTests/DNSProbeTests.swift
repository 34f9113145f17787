import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe
import TestSupport

/// The comparison logic on fixture results, then whole runs against responders on loopback (getaddrinfo is not
/// asked here: it would query the host's name server; the CLI tests ask it inside namespaces).
@Suite struct DNSProbeTests {
  static let name = try! DNSName("www.nettriage.test")

  static func server(_ text: String) -> SocketAddress { SocketAddress(IPAddress(text)!, port: 53) }

  static func query(_ server: String, _ outcome: DNSQueryOutcome, _ addresses: [String] = [], type: DNSRecordType = .a,
                    ms: Int64 = 1) -> DNSQueryResult {
    let codes: [DNSQueryOutcome: DNSResponseCode] = [.answer: .noError, .noData: .noError, .nxdomain: .nameError,
                                                     .servfail: .serverFailure, .refused: .refused]
    return DNSQueryResult(server: Self.server(server), name: name, type: type, id: 1, outcome: outcome,
                          elapsedMicroseconds: ms * 1000,
                          header: codes[outcome].map { DNSHeader(id: 1, isResponse: true, responseCode: $0) },
                          addresses: addresses.map { IPAddress($0)! })
  }

  static func report(_ queries: [DNSQueryResult], types: [DNSRecordType] = [.a], hosts: [String] = [],
                     nsswitch: String = "hosts: files dns", resolvConf: String = "nameserver 198.18.0.53",
                     origin: DNSServerOrigin = .configured, system: SystemLookup = SystemLookup(skipped: "fixture"),
                     nameAsGiven: String? = nil) -> DNSProbeReport {
    var servers: [SocketAddress] = []
    for query in queries where !servers.contains(query.server) { servers.append(query.server) }
    return DNSProbeReport(
      name: name, nameAsGiven: nameAsGiven, types: types, configuration: ResolverConfiguration.parse(resolvConf, source: "/etc/resolv.conf"),
      hostsOrder: HostsLookupOrder.parse(nsswitch, source: "/etc/nsswitch.conf"), hostsSource: "/etc/hosts",
      hostsEntries: hosts.enumerated().map { HostsEntry(address: IPAddress($1)!, names: [name.description], line: $0 + 1) },
      serverOrigin: origin, servers: servers, queries: queries, system: system)
  }

  static func resolution(_ addresses: [String], ms: Int64 = 1) -> SystemLookup {
    SystemLookup(resolution: Resolution(name: name.description, addresses: addresses.map { IPAddress($0)! }, method: .getaddrinfo,
                                        elapsedMicroseconds: ms * 1000))
  }

  /// (label, report, expected finding ids with severities)
  static let scenarios: [(String, DNSProbeReport, [String])] = [
    ("two servers agree", report([query("198.18.0.53", .answer, ["198.18.0.10"]), query("198.18.1.53", .answer, ["198.18.0.10"])]), []),
    ("hosts file and getaddrinfo agree with DNS",
     report([query("198.18.0.53", .answer, ["198.18.0.10"])], hosts: ["198.18.0.10"], system: resolution(["198.18.0.10"])), []),
    ("hosts file says another address",
     report([query("198.18.0.53", .answer, ["198.18.0.10"])], hosts: ["198.18.0.9"]), ["fail dns-disagreement"]),
    ("first server dead, second answers",
     report([query("198.18.0.53", .timedOut, ms: 3000), query("198.18.1.53", .answer, ["198.18.0.10"])]), ["warn dns-server-down"]),
    ("port closed on one server",
     report([query("198.18.0.53", .portClosed), query("198.18.1.53", .answer, ["198.18.0.10"])]), ["warn dns-server-down"]),
    ("every server silent", report([query("198.18.0.53", .timedOut, ms: 3000), query("198.18.1.53", .portClosed)]), ["fail dns-timeout"]),
    ("NXDOMAIN", report([query("198.18.0.53", .nxdomain)]), ["fail dns-nxdomain"]),
    ("NXDOMAIN but in the hosts file", report([query("198.18.0.53", .nxdomain)], hosts: ["198.18.0.9"]), ["warn dns-nxdomain"]),
    ("no address of the type", report([query("198.18.0.53", .noData, type: .aaaa)], types: [.aaaa]), ["fail dns-no-address"]),
    ("SERVFAIL", report([query("198.18.0.53", .servfail)]), ["fail dns-servfail"]),
    ("REFUSED", report([query("198.18.0.53", .refused)]), ["fail dns-servfail"]),
    ("SERVFAIL from one server only",
     report([query("198.18.0.53", .servfail), query("198.18.1.53", .answer, ["198.18.0.10"])]), ["warn dns-server-failing"]),
    ("slow server", report([query("198.18.0.53", .answer, ["198.18.0.10"], ms: 800)]), ["warn dns-server-slow"]),
    ("servers disagree",
     report([query("198.18.0.53", .answer, ["198.18.0.10"]), query("198.18.1.53", .answer, ["198.18.0.66"])]), ["warn dns-disagreement"]),
    ("one server says NXDOMAIN, the other answers",
     report([query("198.18.0.53", .nxdomain), query("198.18.1.53", .answer, ["198.18.0.10"])]), ["warn dns-disagreement"]),
    ("getaddrinfo slow behind a dead first server",
     report([query("198.18.0.53", .timedOut, ms: 3000), query("198.18.1.53", .answer, ["198.18.0.10"])],
            system: resolution(["198.18.0.10"], ms: 5012)),
     ["warn dns-server-down", "warn dns-slow-lookup"]),
    ("getaddrinfo matches no source",
     report([query("198.18.0.53", .answer, ["198.18.0.10"])], system: resolution(["198.18.0.77"])), ["warn dns-disagreement"]),
    ("getaddrinfo ignores the hosts file it should read first",
     report([query("198.18.0.53", .answer, ["198.18.0.10"])], hosts: ["198.18.0.9"], system: resolution(["198.18.0.10"])),
     ["fail dns-disagreement", "warn dns-disagreement"]),
    ("getaddrinfo fails while DNS answers",
     report([query("198.18.0.53", .answer, ["198.18.0.10"])],
            system: SystemLookup(error: ResolutionError(code: -2, name: "www.nettriage.test", elapsedMicroseconds: 10, errno: nil))),
     ["warn dns-system-failure"]),
    ("no nameserver line, nothing on 127.0.0.1",
     report([query("127.0.0.1", .portClosed)], resolvConf: "", origin: .implicitDefault), ["fail dns-no-servers", "fail dns-timeout"]),
    ("truncated only", report([query("198.18.0.53", .truncated)]), ["fail dns-truncated", "info dns-truncated"]),
    ("search list first (info only)",
     report([query("198.18.0.53", .answer, ["198.18.0.10"])], resolvConf: "nameserver 198.18.0.53\nsearch corp.example\noptions ndots:5"),
     ["info dns-search-first"]),
    ("hosts file has only IPv4, DNS has IPv6 too",
     report([query("198.18.0.53", .answer, ["198.18.0.9"], type: .a), query("198.18.0.53", .answer, ["fd00::9"], type: .aaaa)],
            types: [.a, .aaaa], hosts: ["198.18.0.9"]),
     ["info dns-hosts-shadow"]),
    ("nsswitch without dns",
     report([query("198.18.0.53", .answer, ["198.18.0.10"])], nsswitch: "hosts: files"), ["info nsswitch-no-dns"]),
    ("four name servers configured",
     report([query("198.18.0.53", .answer, ["198.18.0.10"])],
            resolvConf: (1...4).map { "nameserver 198.18.0.\($0)" }.joined(separator: "\n")), ["info resolver-config"]),
  ]

  @Test(arguments: scenarios.indices)
  func findingsForFixtures(index: Int) {
    let (label, report, expected) = Self.scenarios[index]
    let findings = DNSProbe.analyze(report)
    #expect(findings.map { "\($0.severity.rawValue) \($0.id)" } == expected, "\(label): \(findings.map(\.message))")
    #expect(findings.allSatisfy { !$0.message.isEmpty })
  }

  @Test func theWrongAddressCaseSaysWhoSaysWhat() {
    let findings = DNSProbe.analyze(Self.report([Self.query("198.18.0.53", .answer, ["198.18.0.10"])], hosts: ["198.18.0.9"]))
    #expect(findings.first?.message
      == "hosts file maps www.nettriage.test to 198.18.0.9 but DNS server 198.18.0.53 says 198.18.0.10 (the hosts file comes first, so programs get 198.18.0.9)")
    #expect(findings.first?.sources == ["hosts-file", "198.18.0.53:53"])
  }

  @Test func slowLookupNamesTheDeadServer() {
    let report = Self.scenarios.first { $0.0 == "getaddrinfo slow behind a dead first server" }!.1
    let slow = DNSProbe.analyze(report).first { $0.id == "dns-slow-lookup" }
    #expect(slow?.message.contains("getaddrinfo took 5012.000 ms") == true)
    #expect(slow?.message.contains("DNS server 198.18.0.53 does not answer, and glibc waits timeout:5 s on it (attempts:2)") == true)
  }

  // MARK: Whole runs on loopback

  static let zone: [DNSName: [IPAddress]] = [name: [.v4(198, 18, 0, 10), IPAddress("fd00::10")!]]

  @Test func runComparesServersAndTheHostsFileConcurrently() async throws {
    let good = try DNSResponder(address: SocketAddress(.v4(127, 0, 0, 1), port: 0), configuration: .init(zone: Self.zone))
    let dead = try DNSResponder(address: SocketAddress(.v4(127, 0, 0, 1), port: 0), configuration: .init(mode: .silent))
    let directory = TemporaryDirectory()
    try "198.18.0.9 www.nettriage.test\n".write(toFile: directory.path + "/hosts", atomically: true, encoding: .utf8)
    try "hosts: files dns\n".write(toFile: directory.path + "/nsswitch.conf", atomically: true, encoding: .utf8)
    let options = DNSProbe.Options(
      servers: [dead.address, good.address], timeout: .milliseconds(500), skipSystemResolver: "test",
      resolvConfPath: directory.path + "/resolv.conf", hostsPath: directory.path + "/hosts",
      nsswitchPath: directory.path + "/nsswitch.conf")
    let report = await DNSProbe.run(Self.name, options: options)
    #expect(report.serverOrigin == .given)
    #expect(report.queries.map(\.outcome) == [.timedOut, .timedOut, .answer, .answer])
    #expect(report.queries.map(\.type) == [.a, .aaaa, .a, .aaaa])
    #expect(report.hostsEntries.map(\.address) == [.v4(198, 18, 0, 9)])
    #expect(report.system.skipped == "test")
    let ids = report.findings.map { "\($0.severity.rawValue) \($0.id)" }
    #expect(ids == ["fail dns-disagreement", "warn dns-server-down", "info dns-hosts-shadow"], "\(report.findings.map(\.message))")
    #expect(!report.isConsistent)
    #expect(report.addresses == [.v4(198, 18, 0, 9)])  // the hosts file comes first
    // Four queries in parallel: about one timeout, not four.
    #expect(report.elapsedMicroseconds < 1_800_000)
    // The report is a plain value: it survives JSON.
    let decoded = try JSONDecoder().decode(DNSProbeReport.self, from: try JSONEncoder().encode(report))
    #expect(decoded == report)
  }

  @Test func configuredServersComeFromResolvConf() async throws {
    let good = try DNSResponder(address: SocketAddress(.v4(127, 0, 0, 1), port: 0), configuration: .init(zone: Self.zone))
    let directory = TemporaryDirectory()
    try "nameserver 127.0.0.1\noptions timeout:1\n".write(toFile: directory.path + "/resolv.conf", atomically: true, encoding: .utf8)
    let options = DNSProbe.Options(
      types: [.aaaa], skipSystemResolver: "test", resolvConfPath: directory.path + "/resolv.conf",
      hostsPath: directory.path + "/hosts", nsswitchPath: directory.path + "/nsswitch.conf", nameServerPort: good.port)
    let report = await DNSProbe.run(Self.name, options: options)
    #expect(report.serverOrigin == .configured)
    #expect(report.servers == [good.address])
    #expect(report.configuration.timeoutSeconds == 1)
    #expect(report.hostsReadError == .noSuchFileOrDirectory)
    #expect(report.hostsOrder.isDefault)
    #expect(report.queries.map(\.outcome) == [.answer])
    #expect(report.findings.isEmpty && report.isConsistent, "\(report.findings.map(\.message))")
    #expect(report.addresses == [IPAddress("fd00::10")!])
  }

  @Test func noNameServerLineFallsBackToLocalhost() async throws {
    let directory = TemporaryDirectory()
    try "search nettriage.test\n".write(toFile: directory.path + "/resolv.conf", atomically: true, encoding: .utf8)
    let closed = try unusedPort(type: Int32(SOCK_DGRAM.rawValue))
    let options = DNSProbe.Options(
      types: [.a], skipSystemResolver: "test", resolvConfPath: directory.path + "/resolv.conf",
      hostsPath: directory.path + "/hosts", nsswitchPath: directory.path + "/nsswitch.conf", nameServerPort: closed)
    let report = await DNSProbe.run(Self.name, options: options)
    #expect(report.serverOrigin == .implicitDefault)
    #expect(report.servers == [SocketAddress(.v4(127, 0, 0, 1), port: closed)])
    #expect(report.queries.map(\.outcome) == [.portClosed])
    #expect(report.findings.map(\.id) == ["dns-no-servers", "dns-timeout"])
  }
}
