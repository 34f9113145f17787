import NetProbe
import Testing
@testable import Triage

/// The run's own values reach the fix commands: the prefix for `nettriage subnet`, the name server for `dig @`.
@Suite struct FixValuesTests {
  static let server = SocketAddress(.v4(198, 18, 2, 10), port: 80)

  @Test func gatewayOffSubnetFixNamesOurPrefix() throws {
    let route = RouteEvidence(kind: .unicast, interface: "eth0", interfaceUp: true, carrier: true, gateway: .v4(198, 18, 9, 1),
                              source: .v4(198, 18, 1, 10), gatewayFitsSubnet: false, prefix: "198.18.1.10/24")
    let diagnosis = Decision.diagnose(Evidence(transport: .tcp, route: route))
    #expect(diagnosis.id == .gatewayOffSubnet)
    let knowledge = KnowledgeText.render(diagnosis)
    #expect(knowledge.fixes.contains { $0.contains("nettriage subnet 198.18.1.10/24 --gateway 198.18.9.1") })
    #expect(!knowledge.fixes.contains { $0.contains("<prefix>") })
  }

  @Test func dnsTimeoutFixAsksTheSilentServer() throws {
    let dns = DNSEvidence(outcome: .timeout, slowServers: [], server: "198.18.2.53")
    let diagnosis = Decision.diagnose(Evidence(transport: .tcp, targetIsName: true, dns: dns))
    #expect(diagnosis.id == .dnsTimeout)
    let knowledge = KnowledgeText.render(diagnosis)
    #expect(knowledge.fixes.contains { $0.contains("dig @198.18.2.53 ") })
    #expect(!knowledge.fixes.contains { $0.contains("<dns_server>") })
  }

  @Test(arguments: [
    ("www.lab.test:80", "http://www.lab.test/"), ("www.lab.test:443", "https://www.lab.test/"),
    ("198.18.2.10:8080", "http://198.18.2.10:8080/"), ("198.18.2.10:8443", "https://198.18.2.10:8443/"),
    ("[fd00:18:2::10]:80", "http://[fd00:18:2::10]/"), ("[fd00:18:2::10]:9000", "https://[fd00:18:2::10]:9000/"),
  ])
  func curlGetsAURLWithTheRightSchemeAndBrackets(target: String, url: String) throws {
    let check = try CheckTarget.parse(target, transport: .tcp)
    let internet = try #require(check.internet)
    #expect(KnowledgeText.url(internet) == url)
    let diagnosis = Decision.diagnose(Evidence(transport: .tcp, connects: [ProbeResult(kind: .tcp, target: target, attempts: [
      ProbeAttempt(address: SocketAddress(.v4(198, 18, 2, 10), port: internet.port), outcome: .connected, elapsedMicroseconds: 100),
    ])]))
    #expect(diagnosis.id == .reachable)
    let fixes = KnowledgeText.render(diagnosis, target: check).fixes
    // Brackets are glob characters to a shell: an IPv6 URL comes quoted.
    let command = url.contains("[") ? "`curl -v '\(url)'`" : "`curl -v \(url)`"
    #expect(fixes.contains { $0.contains(command) }, "\(fixes)")
  }

  @Test func egressPrefixPrefersTheRouteSource() {
    let addresses = [
      InterfaceAddress(address: .v4(198, 18, 1, 10), prefixLength: 24, scope: "global"),
      InterfaceAddress(address: .v4(198, 18, 3, 10), prefixLength: 16, scope: "global"),
    ]
    let egress = NetworkInterface(name: "eth0", index: 2, kind: .ethernet, hardwareType: 1, flags: ["UP", "LOWER_UP"],
                                  operstate: "up", carrier: true, addresses: addresses)
    #expect(ChecklistRun.egressPrefix(egress, source: .v4(198, 18, 3, 10), family: .ipv4) == "198.18.3.10/16")
    #expect(ChecklistRun.egressPrefix(egress, source: nil, family: .ipv4) == "198.18.1.10/24")
    #expect(ChecklistRun.egressPrefix(egress, source: nil, family: .ipv6) == nil)
    #expect(ChecklistRun.egressPrefix(nil, source: nil, family: .ipv4) == nil)
  }
}
