import NetProbe
#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import Triage

/// Recorded evidence sets → the verdict. One row per diagnosis id, and the ambiguous pairs side by side.
@Suite struct DecisionTests {
  static let server = SocketAddress(.v4(198, 18, 2, 10), port: 80)
  static let local = SocketAddress(.v4(198, 18, 1, 10), port: 40_000)
  static let router = IPAddress.v4(198, 18, 1, 1)
  static let routed = RouteEvidence(kind: .unicast, interface: "eth0", interfaceUp: true, carrier: true, gateway: router,
                                    source: local.address, gatewayFitsSubnet: true)
  static let onLink = RouteEvidence(kind: .unicast, interface: "eth0", interfaceUp: true, carrier: true, source: local.address)

  static func attempt(_ outcome: ProbeOutcome, _ microseconds: Int64 = 400, errno: Int32? = nil, icmp: ICMPReport? = nil,
                      address: SocketAddress = server) -> ProbeAttempt {
    ProbeAttempt(address: address, outcome: outcome, elapsedMicroseconds: microseconds, local: local,
                 errno: errno.map(Errno.init), icmp: icmp)
  }

  static func tcp(_ attempts: ProbeAttempt...) -> [ProbeResult] {
    attempts.map { ProbeResult(kind: .tcp, target: "lab:80", attempts: [$0]) }
  }

  static func icmp(_ type: UInt8, _ code: UInt8, from sender: IPAddress, errno: Int32) -> ICMPReport {
    ICMPReport(origin: .icmp, type: type, code: code, sender: sender, errno: Errno(errno))
  }

  static let alive = EchoEvidence(sent: 3, replies: 3, roundTripMicroseconds: [900, 950, 1000])
  static let silentEcho = EchoEvidence(sent: 3, replies: 0)

  struct Row: Sendable, CustomTestStringConvertible {
    var name: String
    var evidence: Evidence
    var expected: DiagnosisID
    var secondary: [DiagnosisID] = []
    var testDescription: String { name }
  }

  static let rows: [Row] = [
    Row(name: "handshake completes", evidence: Evidence(transport: .tcp, route: routed, echo: alive, connects: tcp(attempt(.connected))),
        expected: .reachable),
    Row(name: "RST with no TTL evidence", evidence: Evidence(transport: .tcp, route: routed, connects: tcp(attempt(.refused, errno: 111))),
        expected: .portClosed),
    Row(name: "RST from the destination's distance", evidence: Evidence(transport: .tcp, route: routed, connects: tcp(attempt(.refused, errno: 111)),
                                                            packets: PacketEvidence(resetHops: 1, destinationHops: 1)),
        expected: .portClosed),
    Row(name: "RST from nearer than the destination", evidence: Evidence(transport: .tcp, route: routed, connects: tcp(attempt(.refused, errno: 111)),
                                                             packets: PacketEvidence(resetHops: 0, destinationHops: 1)),
        expected: .portResetInPath),
    Row(name: "silence while the host answers ping", evidence: Evidence(transport: .tcp, route: routed, echo: alive,
                                                            connects: tcp(attempt(.timedOut, 1_000_000))),
        expected: .portFiltered),
    Row(name: "silence while another port answers", evidence: Evidence(transport: .tcp, route: routed, echo: silentEcho,
                                                           connects: tcp(attempt(.timedOut, 1_000_000)), otherPortAnswered: true),
        expected: .portFiltered),
    Row(name: "silence, on-link host answers ARP", evidence: Evidence(transport: .tcp, route: onLink,
                                                          targetNeighbour: NeighbourEvidence(address: server.address, state: .reachable),
                                                          connects: tcp(attempt(.timedOut, 1_000_000))),
        expected: .portFiltered),
    Row(name: "silence and no sign of life", evidence: Evidence(transport: .tcp, route: routed, echo: silentEcho,
                                                    connects: tcp(attempt(.timedOut, 1_000_000))),
        expected: .noResponse),
    Row(name: "silence with ping skipped", evidence: Evidence(transport: .tcp, route: routed,
                                                  echo: EchoEvidence(sent: 0, replies: 0, skippedReason: "needs CAP_NET_RAW"),
                                                  connects: tcp(attempt(.timedOut, 1_000_000))),
        expected: .noResponse),
    Row(name: "router rejects", evidence: Evidence(transport: .tcp, route: routed,
                                       connects: tcp(attempt(.adminProhibited, errno: 113, icmp: icmp(3, 13, from: router, errno: 113)))),
        expected: .adminProhibited),
    Row(name: "router: host unreachable", evidence: Evidence(transport: .tcp, route: routed,
                                                 connects: tcp(attempt(.hostUnreachable, 3_000_000, errno: 113, icmp: icmp(3, 1, from: router, errno: 113)))),
        expected: .hostUnreachable),
    Row(name: "own stack: on-link ARP failed", evidence: Evidence(transport: .tcp, route: onLink,
                                                      connects: tcp(attempt(.hostUnreachable, 3_000_000, errno: 113,
                                                                            icmp: icmp(3, 1, from: local.address, errno: 113)))),
        expected: .neighborUnreachable),
    Row(name: "own stack: gateway ARP failed", evidence: Evidence(transport: .tcp, route: routed,
                                                      gatewayNeighbour: NeighbourEvidence(address: router, state: .failed),
                                                      connects: tcp(attempt(.hostUnreachable, 3_000_000, errno: 113))),
        expected: .gatewayUnreachable),
    Row(name: "gateway ARP failed, connect timed out", evidence: Evidence(transport: .tcp, route: routed,
                                                              gatewayNeighbour: NeighbourEvidence(address: router, state: .failed),
                                                              connects: tcp(attempt(.timedOut, 1_000_000))),
        expected: .gatewayUnreachable),
    Row(name: "router: network unreachable", evidence: Evidence(transport: .tcp, route: routed,
                                                    connects: tcp(attempt(.networkUnreachable, errno: 101, icmp: icmp(3, 0, from: router, errno: 101)))),
        expected: .netUnreachable),
    Row(name: "local ENETUNREACH", evidence: Evidence(transport: .tcp, connects: tcp(attempt(.networkUnreachable, 10, errno: 101))),
        expected: .noRoute),
    Row(name: "route lookup finds nothing", evidence: Evidence(transport: .tcp, route: RouteEvidence(kind: .none),
                                                   connects: tcp(attempt(.networkUnreachable, 10, errno: 101))),
        expected: .noRoute),
    Row(name: "blackhole route", evidence: Evidence(transport: .tcp, route: RouteEvidence(kind: .blackhole), connects: []),
        expected: .noRoute),
    Row(name: "gateway outside the prefix", evidence: Evidence(transport: .tcp,
                                                   route: RouteEvidence(kind: .unicast, interface: "eth0", interfaceUp: true, carrier: true,
                                                                        gateway: .v4(198, 18, 9, 1), gatewayFitsSubnet: false),
                                                   connects: tcp(attempt(.hostUnreachable, errno: 113))),
        expected: .gatewayOffSubnet),
    Row(name: "egress without carrier", evidence: Evidence(transport: .tcp,
                                               route: RouteEvidence(kind: .unicast, interface: "eth0", interfaceUp: true, carrier: false, gateway: router),
                                               connects: tcp(attempt(.hostUnreachable, errno: 113))),
        expected: .linkDown),
    Row(name: "the only interface lost carrier", evidence: Evidence(transport: .tcp, interfaces: InterfaceEvidence(usableCount: 0),
                                                        route: RouteEvidence(kind: .unicast, interface: "eth0", interfaceUp: true, carrier: false),
                                                        connects: tcp(attempt(.hostUnreachable, errno: 113))),
        expected: .linkDown),
    Row(name: "ENETDOWN", evidence: Evidence(transport: .tcp, connects: tcp(attempt(.networkDown, errno: 100))), expected: .linkDown),
    Row(name: "no usable interface", evidence: Evidence(transport: .tcp, interfaces: InterfaceEvidence(usableCount: 0),
                                            connects: tcp(attempt(.networkUnreachable, errno: 101))),
        expected: .noInterface),
    Row(name: "EPERM without ICMP", evidence: Evidence(transport: .tcp, route: routed, connects: tcp(attempt(.notPermitted, 20, errno: 1))),
        expected: .localFirewall),
    Row(name: "SYNs never left", evidence: Evidence(transport: .tcp, route: routed, echo: alive, connects: tcp(attempt(.timedOut, 1_000_000)),
                                        packets: PacketEvidence(synsNeverLeft: true)),
        expected: .localFirewall),
    Row(name: "SYN-ACK seen on the wire, the socket timed out", evidence: Evidence(transport: .tcp, route: routed, echo: alive,
                                                                          connects: tcp(attempt(.timedOut, 1_000_000)),
                                                                          packets: PacketEvidence(synAckIgnored: true)),
        expected: .localFirewall),
    Row(name: "capture judged the RST from the path", evidence: Evidence(transport: .tcp, route: routed, connects: tcp(attempt(.refused, errno: 111)),
                                                              packets: PacketEvidence(resetHops: 3, destinationHops: 5, resetFromDeviceInPath: true)),
        expected: .portResetInPath),
    // A different initial TTL (255 from a router, 64 from the host) is another system, but not provably nearer.
    Row(name: "capture judged the RST from the destination", evidence: Evidence(transport: .tcp, route: routed, connects: tcp(attempt(.refused, errno: 111)),
                                                                     packets: PacketEvidence(resetHops: 0, destinationHops: 1, resetFromDeviceInPath: false)),
        expected: .portClosed),
    Row(name: "SYNs retransmitted, none answered, host up", evidence: Evidence(transport: .tcp, route: routed, echo: alive,
                                                                   connects: tcp(attempt(.timedOut, 3_000_000)),
                                                                   packets: PacketEvidence(synsNeverLeft: false, synAckIgnored: false, synRetransmits: 2)),
        expected: .portFiltered),
    Row(name: "no target, local checks pass", evidence: Evidence(transport: .tcp, interfaces: InterfaceEvidence(usableCount: 1), dns: DNSEvidence(outcome: .resolved),
                                                        route: routed, gatewayNeighbour: NeighbourEvidence(address: router, state: .reachable)),
        expected: .reachable),
    Row(name: "no target, gateway silent", evidence: Evidence(transport: .tcp, interfaces: InterfaceEvidence(usableCount: 1), dns: DNSEvidence(outcome: .resolved),
                                                     route: routed, gatewayNeighbour: NeighbourEvidence(address: router, state: .failed)),
        expected: .gatewayUnreachable),
    Row(name: "no target, name servers silent", evidence: Evidence(transport: .tcp, interfaces: InterfaceEvidence(usableCount: 1), dns: DNSEvidence(outcome: .timeout),
                                                          route: routed),
        expected: .dnsTimeout),
    Row(name: "nothing probed at all", evidence: Evidence(transport: .tcp), expected: .noResponse),
    Row(name: "EADDRNOTAVAIL", evidence: Evidence(transport: .tcp, route: routed, connects: tcp(attempt(.addressUnavailable, 5, errno: 99))),
        expected: .sourceAddressUnavailable),
    Row(name: "NXDOMAIN", evidence: Evidence(transport: .tcp, targetIsName: true, dns: DNSEvidence(outcome: .nxdomain)), expected: .dnsNXDomain),
    Row(name: "no address", evidence: Evidence(transport: .tcp, targetIsName: true, dns: DNSEvidence(outcome: .noAddress)), expected: .dnsNoAddress),
    Row(name: "DNS timeout", evidence: Evidence(transport: .tcp, targetIsName: true, dns: DNSEvidence(outcome: .timeout)), expected: .dnsTimeout),
    Row(name: "SERVFAIL", evidence: Evidence(transport: .tcp, targetIsName: true, dns: DNSEvidence(outcome: .servfail)), expected: .dnsServFail),
    Row(name: "no servers", evidence: Evidence(transport: .tcp, targetIsName: true, dns: DNSEvidence(outcome: .noServers)), expected: .dnsNoServers),
    Row(name: "DNS failure on a numeric target is ignored", evidence: Evidence(transport: .tcp, targetIsName: false, dns: DNSEvidence(outcome: .timeout),
                                                                   connects: tcp(attempt(.connected))),
        expected: .reachable),
    Row(name: "handshakes on SYN retransmit steps", evidence: Evidence(transport: .tcp, route: routed,
                                                           echo: EchoEvidence(sent: 10, replies: 10, roundTripMicroseconds: Array(repeating: 900, count: 10)),
                                                           connects: tcp(attempt(.connected, 1_001_200), attempt(.connected, 3_002_000), attempt(.connected, 800))),
        expected: .listenQueueOverflow),
    Row(name: "slow path is not queue overflow", evidence: Evidence(transport: .tcp, route: routed,
                                                        echo: EchoEvidence(sent: 3, replies: 3, roundTripMicroseconds: [1_000_000]),
                                                        connects: tcp(attempt(.connected, 1_001_200))),
        expected: .reachable, secondary: [.highLatency]),
    Row(name: "local listener overflowing", evidence: Evidence(transport: .tcp, targetIsLoopback: true, connects: tcp(attempt(.timedOut, 1_000_000)),
                                                   localListenOverflowRising: true),
        expected: .listenQueueOverflow),
    Row(name: "local listener overflowing, some handshakes pass", evidence: Evidence(transport: .tcp, targetIsLoopback: true,
                                                                          connects: tcp(attempt(.connected), attempt(.timedOut, 1_000_000)),
                                                                          localListenOverflowRising: true),
        expected: .listenQueueOverflow),
    Row(name: "reachable, ping filtered", evidence: Evidence(transport: .tcp, route: routed, echo: silentEcho, connects: tcp(attempt(.connected))),
        expected: .reachable, secondary: [.icmpBlocked]),
    Row(name: "reachable with loss", evidence: Evidence(transport: .tcp, route: routed, echo: alive,
                                             connects: tcp(attempt(.connected), attempt(.timedOut, 1_000_000), attempt(.connected), attempt(.connected))),
        expected: .reachable, secondary: [.packetLoss]),
    Row(name: "reachable but slow", evidence: Evidence(transport: .tcp, route: routed, echo: alive, connects: tcp(attempt(.connected, 150_000)),
                                            baselineRoundTripMicroseconds: 500),
        expected: .reachable, secondary: [.highLatency]),
    Row(name: "UDP port unreachable", evidence: Evidence(transport: .udp, route: routed,
                                             connects: [ProbeResult(kind: .udp, target: "lab:53", attempts: [attempt(.refused, errno: 111, icmp: icmp(3, 3, from: server.address, errno: 111))])]),
        expected: .portClosed),
    Row(name: "UDP silence, host up", evidence: Evidence(transport: .udp, route: routed, echo: alive,
                                             connects: [ProbeResult(kind: .udp, target: "lab:53", attempts: [attempt(.noReply, 1_000_000)])]),
        expected: .portFiltered),
    Row(name: "unix: missing", evidence: Evidence(transport: .unix, connects: [unix(.missing, 2)]), expected: .unixSocketMissing),
    Row(name: "unix: refused", evidence: Evidence(transport: .unix, connects: [unix(.refused, 111)]), expected: .unixSocketRefused),
    Row(name: "unix: permission", evidence: Evidence(transport: .unix, connects: [unix(.permissionDenied, 13)]), expected: .unixSocketPermission),
    Row(name: "unix: connected", evidence: Evidence(transport: .unix, connects: [unix(.connected, nil)]), expected: .reachable),
  ]

  static func unix(_ outcome: ProbeOutcome, _ errno: Int32?) -> ProbeResult {
    ProbeResult(kind: .unix, target: "/run/app.sock",
                attempts: [ProbeAttempt(address: nil, outcome: outcome, elapsedMicroseconds: 30, errno: errno.map(Errno.init))])
  }

  @Test(arguments: rows)
  func decides(_ row: Row) {
    let diagnosis = Decision.diagnose(row.evidence)
    #expect(diagnosis.id == row.expected, "\(diagnosis.primary.summary)")
    #expect(diagnosis.secondary.map(\.id) == row.secondary)
    #expect(!diagnosis.primary.summary.isEmpty)
  }

  @Test func everyPrimaryIdHasARow() {
    let secondaryOnly: Set<DiagnosisID> = [.packetLoss, .highLatency, .icmpBlocked]
    let covered = Set(Self.rows.map(\.expected))
    let missing = DiagnosisID.allCases.filter { !covered.contains($0) && !secondaryOnly.contains($0) }
    #expect(missing.isEmpty, "no row for \(missing.map(\.rawValue))")
  }

  @Test func adminProhibitedNamesTheSender() {
    let evidence = Evidence(transport: .tcp, route: Self.routed,
                            connects: Self.tcp(Self.attempt(.adminProhibited, errno: 113, icmp: Self.icmp(3, 13, from: Self.router, errno: 113))))
    let finding = Decision.diagnose(evidence).primary
    #expect(finding.summary.contains("198.18.1.1"))
    #expect(finding.values["sender"] == "198.18.1.1")
    #expect(finding.evidence.contains { $0.contains("ICMP type 3 code 13") })
  }

  @Test func dnsFindingsShowWhatEachServerSaid() {
    var dns = DNSEvidence(outcome: .servfail, server: "198.18.2.10")
    dns.queries = ["198.18.2.10:53 A www.lab.test: SERVFAIL in 0.299 ms (rd): the server could not get an answer"]
    let finding = Decision.diagnose(Evidence(transport: .tcp, targetIsName: true, dns: dns)).primary
    #expect(finding.id == .dnsServFail)
    #expect(finding.evidence == ["resolver: server failure", "query 198.18.2.10:53 A www.lab.test: SERVFAIL in 0.299 ms (rd): the server could not get an answer"])
    // Without the direct queries (an older recording), a timeout still names the silent servers.
    let silent = DNSEvidence(outcome: .timeout, slowServers: ["198.18.2.53:53"])
    #expect(Decision.diagnose(Evidence(transport: .tcp, targetIsName: true, dns: silent)).primary.evidence == ["resolver: timed out", "no answer from 198.18.2.53:53"])
  }

  @Test func aHeldUpConnectionToAReachableServerIsNamed() {
    var evidence = Evidence(transport: .tcp, route: Self.routed, connects: Self.tcp(Self.attempt(.connected)))
    #expect(!Decision.diagnose(evidence).primary.summary.contains("held up"))
    let line = "198.18.1.10:48044 -> 198.18.2.10:80 (uploader, pid 7): send queue not draining: the peer advertises a zero window"
    evidence.stuckConnections = [line]
    let finding = Decision.diagnose(evidence).primary
    #expect(finding.id == .reachable)  // the handshake works: the vocabulary has no id for a stalled transfer
    #expect(finding.summary == "198.18.2.10:80 completed the TCP handshake, but a connection of this machine to it is held up (see the socket-state step)")
    #expect(finding.evidence.last == "held up on this machine: " + line)
  }

  @Test func anIPv6EndpointIsBracketedInTheSummary() {
    let attempt = ProbeAttempt(address: SocketAddress(IPAddress("fd00:18:2::10")!, port: 80), outcome: .connected, elapsedMicroseconds: 300)
    let finding = Decision.diagnose(Evidence(transport: .tcp, route: Self.routed, connects: [ProbeResult(kind: .tcp, target: "t", attempts: [attempt])])).primary
    #expect(finding.summary == "[fd00:18:2::10]:80 completed the TCP handshake")
    #expect(finding.values["address"] == "fd00:18:2::10")  // fix commands take the bare address
  }

  @Test func closedPortWithoutTTLsSaysWhatItCouldNotTell() {
    let finding = Decision.diagnose(Evidence(transport: .tcp, route: Self.routed, connects: Self.tcp(Self.attempt(.refused, errno: 111)))).primary
    #expect(finding.couldNotTell.contains { $0.contains("device in the path") })
    #expect(finding.values["address"] == "198.18.2.10" && finding.values["port"] == "80")
    #expect(finding.values["gateway"] == "198.18.1.1" && finding.values["interface"] == "eth0")
  }

  @Test func hostsFileDisagreementIsShownAsEvidence() {
    let evidence = Evidence(transport: .tcp, targetIsName: true,
                            dns: DNSEvidence(outcome: .resolved, addresses: [.v4(198, 18, 2, 99)], hostsFileDisagrees: true),
                            route: Self.routed, echo: Self.silentEcho, connects: Self.tcp(Self.attempt(.timedOut, 1_000_000)))
    let finding = Decision.diagnose(evidence).primary
    #expect(finding.id == .noResponse)
    #expect(finding.evidence.contains { $0.contains("hosts file") })
  }

  @Test func slowNameServerIsASecondaryFinding() {
    let evidence = Evidence(transport: .tcp, targetIsName: true,
                            dns: DNSEvidence(outcome: .resolved, addresses: [.v4(198, 18, 2, 10)], slowServers: ["198.18.2.53"]),
                            route: Self.routed, echo: Self.alive, connects: Self.tcp(Self.attempt(.connected)))
    let diagnosis = Decision.diagnose(evidence)
    #expect(diagnosis.id == .reachable)
    #expect(diagnosis.secondary.map(\.id) == [.dnsTimeout])
  }

  /// A dual-stack name whose IPv6 address never answers while IPv4 does: reachable, named by the address that
  /// answered (not the first tried), with the silent address as a secondary finding of its own kind.
  @Test func anAddressThatNeverAnsweredBesideOneThatDidIsASecondaryFinding() {
    let v6 = SocketAddress(.v6([0xfd, 0, 0, 0x18, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10]), port: 80)
    let probe = { ProbeResult(kind: .tcp, target: "www.lab.test:80", attempts: [Self.attempt(.timedOut, 1_000_000, errno: ETIMEDOUT, address: v6),
                                                                              Self.attempt(.connected)]) }
    let evidence = Evidence(transport: .tcp, route: Self.routed, echo: Self.alive, connects: [probe(), probe(), probe()])
    let diagnosis = Decision.diagnose(evidence)
    #expect(diagnosis.id == .reachable)
    #expect(diagnosis.primary.summary.hasPrefix("198.18.2.10:80 completed"), "\(diagnosis.primary.summary)")
    let silent = diagnosis.secondary.first { $0.id == .portFiltered }
    #expect(silent?.summary.contains("every attempt (3) to [fd00:18:2::10]:80 (IPv6) got no answer") == true, "\(silent?.summary ?? "none")")
    #expect(silent?.evidence.count == 3)
    #expect(silent?.summary.hasSuffix("fix IPv6 to it (route, firewall, the service listening on it) or take the name's AAAA record away") == true)
    #expect(silent?.values["endpoint"] == "[fd00:18:2::10]:80")

    // Refused on one address, connected on the other: port-closed for that address. One that answered once is fine.
    let refusedThenConnected = ProbeResult(kind: .tcp, target: "www.lab.test:80",
                                           attempts: [Self.attempt(.refused, errno: ECONNREFUSED, address: v6), Self.attempt(.connected)])
    let mixed = Evidence(transport: .tcp, route: Self.routed, echo: Self.alive, connects: [refusedThenConnected])
    #expect(Decision.diagnose(mixed).secondary.map(\.id) == [.portClosed])
    let onceAnswered = Evidence(transport: .tcp, route: Self.routed, echo: Self.alive,
                                connects: [refusedThenConnected, ProbeResult(kind: .tcp, target: "www.lab.test:80", attempts: [Self.attempt(.connected, address: v6)])])
    #expect(Decision.diagnose(onceAnswered).secondary.isEmpty)
  }

  /// A name that times out because the gateway toward the name servers is dead: the lower layer is the verdict.
  @Test func aDeadGatewayExplainsANameThatTimesOut() {
    let dns = DNSEvidence(outcome: .timeout, elapsedMicroseconds: 310_000)
    var evidence = Evidence(transport: .tcp, targetIsName: true, dns: dns)
    #expect(Decision.diagnose(evidence).id == .dnsTimeout)
    evidence.gatewayNeighbour = NeighbourEvidence(address: Self.router, state: .failed)
    let diagnosis = Decision.diagnose(evidence)
    #expect(diagnosis.id == .gatewayUnreachable)
    #expect(diagnosis.primary.summary.contains("198.18.1.1 did not answer ARP/ND: the name servers behind it"), "\(diagnosis.primary.summary)")
    #expect(diagnosis.primary.values["gateway"] == "198.18.1.1")
    evidence.gatewayNeighbour = NeighbourEvidence(address: Self.router, state: .reachable)
    #expect(Decision.diagnose(evidence).id == .dnsTimeout)
  }

  /// The same for a name server the routing table cannot reach, or whose link is down.
  @Test func noRouteOrNoLinkToTheNameServerExplainsANameThatTimesOut() {
    var evidence = Evidence(transport: .tcp, targetIsName: true, dns: DNSEvidence(outcome: .timeout, elapsedMicroseconds: 200))
    evidence.nameServer = .v4(198, 18, 2, 10)
    evidence.nameServerRoute = RouteEvidence(kind: .none)
    #expect(Decision.diagnose(evidence).id == .noRoute)
    #expect(Decision.diagnose(evidence).primary.summary.contains("no route to the name server 198.18.2.10"))
    evidence.nameServerRoute = RouteEvidence(kind: .unicast, interface: "eth0", interfaceUp: true, carrier: false, gateway: Self.router)
    #expect(Decision.diagnose(evidence).id == .linkDown)
    evidence.nameServerRoute = RouteEvidence(kind: .unicast, interface: "eth0", interfaceUp: true, carrier: true, gateway: Self.router)
    #expect(Decision.diagnose(evidence).id == .dnsTimeout)
    // A server that answered with a failure is reachable: its path is not the cause.
    evidence.dns = DNSEvidence(outcome: .servfail)
    evidence.nameServerRoute = RouteEvidence(kind: .none)
    #expect(Decision.diagnose(evidence).id == .dnsServFail)
  }

  /// Echo replies lost while the port answers: with enough requests, some lost is packet loss (even when every
  /// handshake came through at once), none back is ICMP filtered, and a few requests say nothing.
  @Test func lostEchoRepliesBesideWorkingHandshakesArePacketLossOnlyWithEnoughRequests() {
    let handshakes = Self.tcp(Self.attempt(.connected), Self.attempt(.connected), Self.attempt(.connected))
    func diagnosis(sent: Int, replies: Int) -> Diagnosis {
      let echo = EchoEvidence(sent: sent, replies: replies, roundTripMicroseconds: Array(repeating: 900, count: replies))
      return Decision.diagnose(Evidence(transport: .tcp, route: Self.routed, echo: echo, connects: handshakes))
    }
    let lossy = diagnosis(sent: Decision.echoesForLoss, replies: Decision.echoesForLoss - 3)
    #expect(lossy.id == .reachable)
    #expect(lossy.secondary.map(\.id) == [.packetLoss])
    #expect(lossy.secondary.first?.summary == "3 of 8 echo requests got no reply (37.5% loss)")
    #expect(diagnosis(sent: Decision.echoesForLoss, replies: Decision.echoesForLoss - 1).secondary.isEmpty, "one lost reply is noise")
    #expect(diagnosis(sent: 3, replies: 1).secondary.isEmpty, "three requests say nothing")
    #expect(diagnosis(sent: Decision.echoesForLoss, replies: 0).secondary.map(\.id) == [.icmpBlocked])
  }
}
