import Testing
@testable import Triage

@Suite struct DiagnosisIDTests {
  @Test func vocabularyMatchesDesign() {
    // The ids are a contract with scripts: pin every raw value.
    let expected = [
      "reachable", "port-closed", "port-reset-in-path", "port-filtered", "no-response", "admin-prohibited",
      "neighbor-unreachable", "host-unreachable", "net-unreachable", "no-route", "gateway-unreachable",
      "gateway-off-subnet", "link-down", "no-interface", "local-firewall", "source-address-unavailable",
      "dns-nxdomain", "dns-no-address", "dns-timeout", "dns-servfail", "dns-no-servers",
      "listen-queue-overflow", "packet-loss", "high-latency", "icmp-blocked",
      "unix-socket-missing", "unix-socket-refused", "unix-socket-permission",
    ]
    #expect(DiagnosisID.allCases.map(\.rawValue) == expected)
  }

  @Test func exitStatusIsZeroOnlyWhenReachable() {
    for id in DiagnosisID.allCases {
      #expect(id.exitStatus == (id == .reachable ? 0 : 1), "\(id.rawValue)")
    }
  }
}
