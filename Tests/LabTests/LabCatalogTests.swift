import NetProbe
import Testing
@testable import Lab

/// The scenario table and the topology as data: no root needed.
@Suite struct LabCatalogTests {
  /// DESIGN.md's diagnosis vocabulary (Triage's DiagnosisID holds the same list; this target does not import Triage).
  static let vocabulary: Set<String> = [
    "reachable", "port-closed", "port-reset-in-path", "port-filtered", "no-response", "admin-prohibited",
    "neighbor-unreachable", "host-unreachable", "net-unreachable", "no-route", "gateway-unreachable",
    "gateway-off-subnet", "link-down", "no-interface", "local-firewall", "source-address-unavailable",
    "dns-nxdomain", "dns-no-address", "dns-timeout", "dns-servfail", "dns-no-servers", "listen-queue-overflow",
    "packet-loss", "high-latency", "icmp-blocked", "unix-socket-missing", "unix-socket-refused", "unix-socket-permission",
  ]

  /// The scenarios issue 4 asks for, with the diagnosis each must produce.
  static let required: [(name: String, diagnosis: String)] = [
    ("healthy", "reachable"), ("port-closed", "port-closed"), ("port-filtered", "port-filtered"),
    ("filtered-at-router", "port-filtered"), ("admin-prohibited", "admin-prohibited"),
    ("reset-in-path", "port-reset-in-path"), ("host-down-behind-router", "host-unreachable"),
    ("onlink-host-down", "neighbor-unreachable"), ("no-route", "no-route"), ("gateway-down", "gateway-unreachable"),
    ("link-down", "link-down"), ("icmp-blocked", "reachable"), ("dns-nxdomain", "dns-nxdomain"),
    ("dns-timeout", "dns-timeout"), ("dns-servfail", "dns-servfail"), ("wrong-address", "port-closed"),
    ("listen-queue-overflow", "listen-queue-overflow"), ("packet-loss", "reachable"), ("high-latency", "reachable"),
    ("local-firewall", "local-firewall"), ("stalled-connection", "reachable"), ("reachable-v6", "reachable"),
    ("port-closed-v6", "port-closed"), ("port-filtered-v6", "port-filtered"),
  ]

  @Test func prefixIsFixed() {
    #expect(LabNames.prefix == "ntlab-")
    #expect(LabNames.isLabName("ntlab-client"))
    #expect(!LabNames.isLabName("ntlab-") && !LabNames.isLabName("nttest-x") && !LabNames.isLabName("eth0"))
  }

  @Test func everyRequiredScenarioExistsWithItsDiagnosis() {
    let catalog = Scenario.catalog()
    for (name, diagnosis) in Self.required {
      let scenario = catalog.first { $0.name == name }
      #expect(scenario?.diagnosis == diagnosis, "\(name)")
    }
    #expect(Set(catalog.map(\.name)).count == catalog.count, "scenario names are unique")
    #expect(catalog.first { $0.name == "icmp-blocked" }?.secondary == ["icmp-blocked"])
    #expect(catalog.first { $0.name == "packet-loss" }?.secondary == ["packet-loss"])
    #expect(catalog.first { $0.name == "high-latency" }?.secondary == ["high-latency"])
  }

  @Test(arguments: Scenario.catalog())
  func scenarioIsWellFormed(scenario: Scenario) throws {
    #expect(Self.vocabulary.contains(scenario.diagnosis))
    #expect(scenario.secondary.allSatisfy(Self.vocabulary.contains))
    #expect(!scenario.summary.isEmpty && !scenario.summary.contains("\n"))
    #expect(!scenario.explanation.isEmpty && !scenario.complaint.isEmpty)
    // The expected outcome is a value the probe can print.
    switch scenario.probe.first {
    case "probe":
      #expect(ProbeOutcome(rawValue: scenario.expectedOutcome) != nil)
    case "resolve":
      #expect(scenario.expectedOutcome == "resolved" || ResolutionError.Kind(rawValue: scenario.expectedOutcome) != nil)
    default:
      Issue.record("unknown probe \(scenario.probe)")
    }
    for service in scenario.services {
      #expect(["serve-tcp", "serve-udp-echo", "serve-dns", "serve-backlog", "serve-stall", "stall-sender", "delay-line"]
        .contains(service.arguments.first ?? ""))
    }
    for step in scenario.setup { try Self.checkSafety(of: step) }
  }

  /// Every step stays inside the lab: namespaced `ip` calls on ntlab- things, rules in ntlab- namespaces, files in
  /// ntlab- /etc/netns directories, addresses from 198.18.0.0/15 or fd00::/8.
  @Test func topologyStepsStayInsideTheLab() throws {
    let steps = LabTopology.buildSteps
    #expect(steps.filter { if case .namespace = $0 { true } else { false } }.count == LabHost.allCases.count)
    for step in steps { try Self.checkSafety(of: step) }
  }

  @Test func addressesAndNamesFitTheRules() throws {
    let v4 = try #require(Subnet("198.18.0.0/15")), v6 = try #require(Subnet("fd00::/8"))
    var addresses = LabTopology.links.flatMap { [$0.ipv4, $0.ipv6, $0.gateway4, $0.gateway6] }
    addresses += [LabTopology.absentServerSide4, LabTopology.absentServerSide6, LabTopology.absentClientSide4]
    addresses += LabTopology.dnsZone.flatMap { $0.addresses.map(\.description) }
    for text in addresses {
      let address = try #require(IPAddress(text), "\(text)")
      #expect(v4.contains(address) || v6.contains(address), "\(text) is outside the lab ranges")
    }
    var names = LabTopology.links.map(\.routerPort) + [LabTopology.hostInterface, LabTopology.clientBridge, LabTopology.serverBridge]
    names += LabHost.allCases.map(\.namespace)
    for name in names {
      #expect(LabNames.isLabName(name), "\(name)")
      #expect(name.utf8.count <= LabNames.maximumInterfaceNameLength, "\(name) is longer than 15 bytes")
    }
    #expect(LabTopology.dnsZone.allSatisfy { $0.name.hasSuffix("." + LabTopology.dnsZoneName) })
    #expect(LabTopology.clientResolvConf.contains("nameserver \(LabTopology.server4)"))
    #expect(LabTopology.clientNsswitch.contains("hosts: files dns"))
  }

  /// The integration suite has assertions for every scenario (it runs as root; this check does not need it).
  @Test func everyScenarioHasIntegrationChecks() {
    let names = Set(Scenario.catalog().filter(\.isAvailable).map(\.name))
    #expect(names == Set(LabScenarioTests.checks.keys))
    #expect(LabScenarioTests.checkGaps.isSubset(of: names))
  }

  @Test func practiceNeverPicksABaseline() {
    var generator = SystemRandomNumberGenerator()
    let picks = Set((0..<200).map { _ in Lab.practiceScenario(using: &generator).name })
    #expect(!picks.contains("healthy") && !picks.contains("reachable-v6"))
    #expect(picks.count > 10)
  }

  @Test func parametersReachTheirScenarios() throws {
    let parameters = ScenarioParameters(delayMilliseconds: 25, lossPercent: 10)
    let latency = try #require(Scenario.named("high-latency", parameters: parameters))
    #expect(latency.services.contains { $0.arguments == ["delay-line", "--device", "ntlab-delay", "--delay-ms", "25"] })
    let loss = try #require(Scenario.named("packet-loss", parameters: parameters))
    #expect(loss.setup.contains { if case let .nftables(_, rules) = $0 { rules.contains("numgen random mod 100 < 10") } else { false } })
  }

  @Test func stepsPrintAsCommands() {
    #expect(LabStep.ip(["-n", "ntlab-client", "route", "del", "default"]).commandLine == "ip -n ntlab-client route del default")
    #expect(LabStep.sysctl(namespace: "ntlab-router", [SysctlSetting("net/ipv4/ip_forward", "1")]).commandLine
      == "ip netns exec ntlab-router sysctl -w net.ipv4.ip_forward=1")
    let rule = Scenario.nft(.server, hook: "input", ["tcp dport 80 counter drop"])
    #expect(rule.commandLine == "ip netns exec ntlab-server nft: tcp dport 80 counter drop")
  }

  static func checkSafety(of step: LabStep) throws {
    let lab = try #require(Subnet("198.18.0.0/15")), lab6 = try #require(Subnet("fd00::/8"))
    switch step {
    case let .namespace(name):
      #expect(LabNames.isLabName(name))
    case let .ip(arguments):
      #expect(arguments.count > 2 && arguments[0] == "-n" && LabNames.isLabName(arguments[1]), "\(arguments)")
      for argument in arguments {
        let host = argument.split(separator: "/").first.map(String.init) ?? argument
        if let address = IPAddress(host) { #expect(lab.contains(address) || lab6.contains(address), "\(argument)") }
      }
      // Interface names the step names are the lab's (after dev, master, name, peer name, iif).
      for (index, argument) in arguments.enumerated() where ["dev", "master", "name", "iif"].contains(argument) {
        if index + 1 < arguments.count { #expect(LabNames.isLabName(arguments[index + 1]), "\(arguments)") }
      }
    case let .sysctl(namespace, settings):
      #expect(LabNames.isLabName(namespace))
      #expect(settings.allSatisfy { $0.key.hasPrefix("net/") && !$0.key.contains("..") })
    case let .nftables(namespace, ruleset):
      #expect(LabNames.isLabName(namespace))
      #expect(ruleset.hasPrefix("table inet ntlab {"))
    case let .file(path, _):
      #expect(path.hasPrefix(LabNames.netnsConfigurationDirectory + "/" + LabNames.prefix))
    }
  }
}
