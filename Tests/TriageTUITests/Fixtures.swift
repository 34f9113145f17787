import NetProbe
#if canImport(Glibc)
import Glibc
#endif
@testable import Triage
@testable import TriageTUI

/// Run states for the render tests, built as the engine builds them for lab addresses (198.18.0.0/15): each step's
/// summary and probe lines, the evidence, and the verdict the real decision logic draws from it.
enum Fixtures {
  static let client = IPAddress("198.18.1.10")!
  static let gateway = IPAddress("198.18.1.1")!
  static let server = IPAddress("198.18.2.10")!

  static func address(_ host: IPAddress, _ port: UInt16) -> SocketAddress { SocketAddress(host, port: port) }

  static func target(_ text: String, transport: Evidence.Transport = .tcp) -> CheckTarget {
    CheckTarget(text: text, target: try! Target.parse(text), transport: transport)
  }

  /// A step with its result and timings (microseconds from the run's start).
  static func step(_ id: StepID, _ status: StepStatus, _ summary: String, details: [String] = [], start: Int64 = 100,
                   end: Int64? = nil) -> StepState {
    var step = StepState(id: id)
    step.status = status
    step.summary = summary
    step.details = details
    step.startedMicroseconds = status == .pending ? nil : start
    step.finishedMicroseconds = status.isFinished ? (end ?? start + 500) : nil
    if status == .skip, summary.hasPrefix("skipped: ") { step.skipReason = String(summary.dropFirst(9)) }
    return step
  }

  /// A finished run: the verdict decided from the evidence, as `ChecklistRun` does at the end.
  static func finished(_ target: String?, steps: [StepState], evidence: Evidence, elapsed: Int64) -> RunSnapshot {
    var snapshot = RunSnapshot(target: target, steps: steps, elapsedMicroseconds: elapsed, isFinished: true, evidence: evidence)
    snapshot.final = TimedDiagnosis(diagnosis: Decision.diagnose(evidence), atMicroseconds: elapsed)
    return snapshot
  }

  static let routeLines = [
    "route: 198.18.2.10 via 198.18.1.1 dev eth0 src 198.18.1.10 (unicast, table main)",
    "egress eth0: UP,BROADCAST,RUNNING,LOWER_UP operstate UP, carrier",
  ]
  static let route = RouteEvidence(kind: .unicast, interface: "eth0", interfaceUp: true, carrier: true, gateway: gateway,
                                   source: client, gatewayFitsSubnet: true)

  static func commonSteps(destination: StepState, trace: StepState? = nil, path: StepState? = nil) -> [StepState] {
    [
      path ?? step(.pathPicture, .pass, "198.18.2.10 via 198.18.1.1 dev eth0 src 198.18.1.10", details: routeLines, start: 40, end: 820),
      trace ?? step(.networkingTrace, .skip, "skipped: packet capture is not built yet", start: 41, end: 55),
      step(.localStack, .pass, "loopback answers; usable: eth0 198.18.1.10/24",
           details: ["loopback self-test: connected in 0.061 ms  from 127.0.0.1:41822",
                     "lo (loopback): no global address  127.0.0.1/8 ::1/128",
                     "eth0 (ethernet): usable  198.18.1.10/24 fd00:1::10/64"], start: 42, end: 1_960),
      step(.neighbours, .skip, "skipped: the target is not on-link", start: 900, end: 910),
      step(.defaultGateway, .pass, "198.18.1.1 REACHABLE; ping 0.210 ms", details: ["neighbour 198.18.1.1 dev eth0: REACHABLE",
                                                                              "ping 198.18.1.1: 3 of 3 replies, 0.198/0.210/0.231 ms"],
           start: 910, end: 2_400),
      destination,
      step(.socketState, .skip, "skipped: the listener is not on this machine", start: 43, end: 60),
    ]
  }

  static func connected(_ port: UInt16, _ times: [Int64]) -> [ProbeResult] {
    times.enumerated().map { index, time in
      ProbeResult(kind: .tcp, target: "198.18.2.10:\(port)", attempts: [
        ProbeAttempt(address: address(server, port), outcome: .connected, elapsedMicroseconds: time,
                     local: address(client, UInt16(41_000 + index * 14)), peer: address(server, port)),
      ])
    }
  }

  // MARK: scenarios

  /// The handshake completes: reachable.
  static var healthy: RunSnapshot {
    let connects = connected(443, [412, 388, 455])
    let destination = step(.destination, .pass, "tcp port 443 answered in 0.388 ms", details: connects.map { result in
      "tcp 198.18.2.10:443: " + ProbeText.describe(result.final, kind: .tcp)
    }, start: 2_400, end: 3_900)
    let evidence = Evidence(transport: .tcp, interfaces: InterfaceEvidence(usableCount: 1), route: route,
                            gatewayNeighbour: NeighbourEvidence(address: gateway, state: .reachable),
                            echo: EchoEvidence(sent: 3, replies: 3, roundTripMicroseconds: [401, 398, 420]), connects: connects,
                            baselineRoundTripMicroseconds: 210)
    return finished("198.18.2.10:443", steps: commonSteps(destination: destination), evidence: evidence, elapsed: 3_950)
  }

  /// The destination answers the SYN with RST: port-closed.
  static var refused: RunSnapshot {
    let connects = (0..<3).map { index in
      ProbeResult(kind: .tcp, target: "198.18.2.10:8080", attempts: [
        ProbeAttempt(address: address(server, 8080), outcome: .refused, elapsedMicroseconds: [402, 377, 391][index],
                     errno: Errno(ECONNREFUSED)),
      ])
    }
    let destination = step(.destination, .fail, "tcp port 8080: refused", details: connects.map { result in
      "tcp 198.18.2.10:8080: " + ProbeText.describe(result.final, kind: .tcp)
    }, start: 2_400, end: 3_700)
    let evidence = Evidence(transport: .tcp, interfaces: InterfaceEvidence(usableCount: 1), route: route,
                            gatewayNeighbour: NeighbourEvidence(address: gateway, state: .reachable),
                            echo: EchoEvidence(sent: 3, replies: 3, roundTripMicroseconds: [401, 398, 420]), connects: connects,
                            baselineRoundTripMicroseconds: 210)
    return finished("198.18.2.10:8080", steps: commonSteps(destination: destination), evidence: evidence, elapsed: 3_760)
  }

  /// The host answers ping and another port, the SYNs to 8443 get no answer: port-filtered, with the hop trace
  /// and the packet ladder.
  static var filtered: RunSnapshot {
    let connects = [ProbeResult(kind: .tcp, target: "198.18.2.10:8443", attempts: [
      ProbeAttempt(address: address(server, 8443), outcome: .timedOut, elapsedMicroseconds: 3_000_412),
    ])]
    let path = step(.pathPicture, .pass, "198.18.2.10 via 198.18.1.1 dev eth0 src 198.18.1.10 (2 hops)", details: routeLines + [
      "trace (TCP SYN to 8443): hop 1 198.18.1.1 0.231 ms; hop 2 no answer; hop 3 no answer",
      "trace (ICMP): hop 1 198.18.1.1 0.229 ms; hop 2 198.18.2.10 0.402 ms",
    ], start: 40, end: 2_100_300)
    let trace = step(.networkingTrace, .warn, "3 SYNs left on eth0, nothing came back", details: [
      "0.000 s  198.18.1.10:41022 > 198.18.2.10:8443  SYN",
      "1.011 s  198.18.1.10:41022 > 198.18.2.10:8443  SYN (retransmit)",
      "2.034 s  198.18.1.10:41022 > 198.18.2.10:8443  SYN (retransmit)",
      "no SYN-ACK, RST or ICMP error for this flow",
      "198.18.2.10 answers ping with TTL 63 (2 hops) and port 443 with SYN-ACK",
    ], start: 41, end: 3_001_000)
    let destination = step(.destination, .fail, "tcp port 8443: timed out", details: [
      "ping 198.18.2.10: 3 of 3 replies, 0.398/0.406/0.420 ms",
      "tcp 198.18.2.10:8443: " + ProbeText.describe(connects[0].final, kind: .tcp),
      "tcp 198.18.2.10:443 (another port): connected in 0.412 ms",
    ], start: 2_400, end: 3_003_100)
    let evidence = Evidence(transport: .tcp, interfaces: InterfaceEvidence(usableCount: 1), route: route,
                            gatewayNeighbour: NeighbourEvidence(address: gateway, state: .reachable),
                            echo: EchoEvidence(sent: 3, replies: 3, roundTripMicroseconds: [398, 401, 420]), connects: connects,
                            otherPortAnswered: true, packets: PacketEvidence(destinationHops: 2),
                            baselineRoundTripMicroseconds: 210)
    var snapshot = finished("198.18.2.10:8443", steps: commonSteps(destination: destination, trace: trace, path: path),
                            evidence: evidence, elapsed: 3_003_200)
    // What the networking-trace step and the path trace hold in a real run: the SYNs as captured, the hops.
    let flow = CaptureFlow(.tcp, remote: address(server, 8443), local: address(client, 41022))
    let syns = [Int64(0), 1_011_000_000, 2_034_000_000].map { offset in
      CapturedPacket(timestampNanoseconds: 1_764_000_000_000_000_000 + offset, direction: .toServer, interfaceIndex: 2,
                     linkType: .raw, originalLength: 44, bytes: tcpSYN(from: address(client, 41022), to: address(server, 8443)))
    }
    snapshot.trace = NetworkingTrace(captures: [CapturedPackets(flow: flow, interface: "eth0", interfaceIndex: 2, packets: syns)],
                                     pathLength: 2, referenceTTL: 63, outcome: .timedOut)
    let hops = [TraceHop(ttl: 1, probes: [TraceProbe(ttl: 1, query: 0, answer: .timeExceeded, responder: gateway, rttMicroseconds: 231)])]
      + (2...16).map { TraceHop(ttl: $0, probes: [TraceProbe(ttl: $0, query: 0, answer: .noAnswer)]) }
    snapshot.pathTrace = TraceResult(target: "198.18.2.10:8443", address: server, port: 8443, mode: .tcp, maxHops: 16, queries: 1,
                                     timeoutMicroseconds: 1_000_000, hops: hops,
                                     conclusion: TraceConclusion(kind: .silent, hop: 1, address: gateway), probesSent: 16,
                                     elapsedMicroseconds: 1_000_400)
    return snapshot
  }

  /// An IPv4 TCP SYN with an MSS option, as a raw IP packet (checksums left zero: the decoder does not need them).
  static func tcpSYN(from source: SocketAddress, to destination: SocketAddress, ttl: UInt8 = 64) -> [UInt8] {
    func be16(_ value: UInt16) -> [UInt8] { [UInt8(value >> 8), UInt8(value & 0xff)] }
    guard case let .v4(a, b, c, d) = source.address, case let .v4(e, f, g, h) = destination.address else { return [] }
    let ip: [UInt8] = [0x45, 0, 0, 44, 0x12, 0x34, 0x40, 0, ttl, 6, 0, 0, a, b, c, d, e, f, g, h]
    let tcp: [UInt8] = be16(source.port) + be16(destination.port) + [0, 0, 0, 1, 0, 0, 0, 0, 0x60, 0x02] + be16(64_240)
      + [0, 0, 0, 0, 2, 4, 0x05, 0xb4]
    return ip + tcp
  }

  /// The name does not exist: dns-nxdomain; nothing was connected.
  static var dnsFailure: RunSnapshot {
    let destination = step(.destination, .fail, "the name did not resolve: nothing to connect to",
                           details: ["DNS: EAI_NONAME (-2) Name or service not known after 4.756 ms"], start: 30, end: 4_900)
    let steps = [
      step(.pathPicture, .skip, "skipped: the name did not resolve: no address to look up", start: 30, end: 4_910),
      step(.networkingTrace, .skip, "skipped: packet capture is not built yet", start: 31, end: 40),
      step(.localStack, .pass, "loopback answers; usable: eth0 198.18.1.10/24", start: 32, end: 1_900),
      step(.neighbours, .skip, "skipped: no route to the target", start: 4_910, end: 4_920),
      step(.defaultGateway, .skip, "skipped: no route to the target", start: 4_910, end: 4_925),
      destination,
      step(.socketState, .skip, "skipped: the listener is not on this machine", start: 33, end: 45),
    ]
    let evidence = Evidence(transport: .tcp, targetIsName: true, interfaces: InterfaceEvidence(usableCount: 1),
                            dns: DNSEvidence(outcome: .nxdomain, elapsedMicroseconds: 4_756))
    return finished("intranet.example:443", steps: steps, evidence: evidence, elapsed: 4_930)
  }

  /// Mid-run: the local steps done, the destination still connecting, no verdict yet.
  static var running: RunSnapshot {
    var steps = healthy.steps
    steps[5] = step(.destination, .running, "", details: [], start: 2_400)
    steps[4] = step(.defaultGateway, .running, "", start: 910)
    var snapshot = RunSnapshot(target: "198.18.2.10:443", steps: steps, elapsedMicroseconds: 2_600, isFinished: false,
                               evidence: Evidence(transport: .tcp, interfaces: InterfaceEvidence(usableCount: 1), route: route))
    snapshot.final = nil
    return snapshot
  }

  // MARK: screens

  static let privileges = Privileges(user_id: 0, net_raw: true, net_admin: true)

  /// The state the screen shows for a snapshot, with the selection on `selected`.
  static func state(_ snapshot: RunSnapshot?, target: String?, selected: StepID = .destination, glyphs: Glyphs = .unicode,
                    size: ScreenSize = .minimum) -> ScreenState {
    var ui = UIState()
    ui.target = target.map { self.target($0) }
    ui.privileges = privileges
    ui.selected = selected
    ui.size = size
    return ScreenState(snapshot: snapshot, ui: ui, glyphs: glyphs)
  }

  /// The loop view after twelve probes, one of them lost.
  static func loopState(size: ScreenSize) -> ScreenState {
    var state = state(healthy, target: "198.18.2.10:443", size: size)
    var loop = LoopState(label: "tcp 198.18.2.10:443", intervalMicroseconds: 1_000_000)
    let times: [Int64?] = [412, 388, 455, 401, 1_210, 395, nil, 420, 433, 398, 2_050, 405]
    for (index, time) in times.enumerated() {
      let attempt = time.map {
        ProbeAttempt(address: address(server, 443), outcome: .connected, elapsedMicroseconds: $0,
                     local: address(client, UInt16(42_000 + index * 2)), peer: address(server, 443))
      } ?? ProbeAttempt(address: address(server, 443), outcome: .timedOut, elapsedMicroseconds: 3_000_000)
      loop.append(ProbeResult(kind: .tcp, target: "198.18.2.10:443", attempts: [attempt]))
    }
    state.ui.loop = loop
    state.ui.stack = [.checklist, .loop]
    state.ui.spinnerFrame = 3
    return state
  }

  /// Trainee mode after the destination step ran.
  static func traineeState(size: ScreenSize) -> ScreenState {
    var state = state(refused, target: "198.18.2.10:8080", size: size)
    state.ui.trainee = TraineeState(stepIndex: 5, phase: .after)
    state.ui.selected = .destination
    state.ui.stepByStep = true
    state.ui.stack = [.checklist, .trainee]
    return state
  }

  /// A practice round at the end of the walk, the trainee about to pick.
  static func practiceState(size: ScreenSize) -> ScreenState {
    var state = traineeState(size: size)
    state.ui.trainee = TraineeState(stepIndex: StepID.allCases.count - 1, phase: .verdict)
    state.ui.practice = PracticeState(round: PracticeRound(
      complaint: "The web page at 198.18.2.10 does not load at all.", expected: .portClosed,
      explanation: "The server is up, but nothing listens on port 8080: its kernel answers the SYN with RST.",
      scenario: "port-closed"))
    return state
  }

  /// The help overlay over the checklist.
  static func helpState(size: ScreenSize) -> ScreenState {
    var state = state(healthy, target: "198.18.2.10:443", size: size)
    state.ui.stack = [.checklist, .help]
    return state
  }
}
