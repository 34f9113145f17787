import Foundation
import NetProbe
import TestSupport
import Testing
@testable import Triage

/// Handshakes that complete only on a SYN retransmit: a listener whose accept queue is full (listen-queue-overflow)
/// against the look-alikes from the client's side: a lossy path, a slow path, and a port that never answers.
@Suite struct ListenQueueDecisionTests {
  typealias Row = DecisionTests.Row
  static let routed = DecisionTests.routed
  /// This machine's kind of kernel: net.ipv4.tcp_syn_linear_timeouts=4, tcp_syn_retries=6.
  static let linear = SYNRetransmitSchedule(linearTimeouts: 4, retries: 6)
  /// Ten echoes, none lost: what the destination step gathers when handshakes come late.
  static let cleanEcho = EchoEvidence(sent: 10, replies: 10, roundTripMicroseconds: [310, 290, 305, 300, 298, 301, 320, 299, 305, 302])

  static func connected(_ microseconds: Int64...) -> [ProbeResult] {
    microseconds.map { ProbeResult(kind: .tcp, target: "lab:80", attempts: [DecisionTests.attempt(.connected, $0)]) }
  }

  static let rows: [Row] = [
    // The lab's listen-queue-overflow: a first connect at once, the next two on the first and second retransmit.
    Row(name: "on the linear schedule's steps, ping clean", evidence: Evidence(transport: .tcp, route: routed, echo: cleanEcho,
                                                                     connects: connected(700, 1_023_900, 2_047_700), synRetransmits: linear),
        expected: .listenQueueOverflow),
    Row(name: "every handshake late, ping clean", evidence: Evidence(transport: .tcp, route: routed, echo: cleanEcho,
                                                          connects: connected(3_000_800, 1_001_000, 1_000_700), synRetransmits: linear),
        expected: .listenQueueOverflow),
    Row(name: "late timers on a loaded machine still count", evidence: Evidence(transport: .tcp, route: routed, echo: cleanEcho,
                                                                         connects: connected(1_180_000, 2_250_000), synRetransmits: linear),
        expected: .listenQueueOverflow),
    // The same times read against the classic 1, 3, 7 s schedule: 2 s is no retransmit's time there, just slow.
    Row(name: "a 2 s handshake is off the classic schedule", evidence: Evidence(transport: .tcp, route: routed, echo: cleanEcho,
                                                                         connects: connected(700, 1_000_900, 2_001_400)),
        expected: .reachable, secondary: [.packetLoss, .highLatency]),
    // packet-loss near misses: the path loses echoes too, or only one SYN was lost.
    Row(name: "late handshakes and lost echoes: the path", evidence: Evidence(transport: .tcp, route: routed,
                                                                      echo: EchoEvidence(sent: 3, replies: 2, roundTripMicroseconds: [300, 320]),
                                                                      connects: connected(1_000_600, 900, 1_000_800), synRetransmits: linear),
        expected: .reachable, secondary: [.packetLoss]),
    Row(name: "one late handshake is ordinary loss", evidence: Evidence(transport: .tcp, route: routed, echo: cleanEcho,
                                                                 connects: connected(800, 1_000_700, 900), synRetransmits: linear),
        expected: .reachable, secondary: [.packetLoss]),
    Row(name: "late handshakes, a probe lost, echoes lost", evidence: Evidence(transport: .tcp, route: routed,
                                                                        echo: EchoEvidence(sent: 3, replies: 1, roundTripMicroseconds: [300]),
                                                                        connects: connected(2_000_500, 1_000_400)
                                                                          + DecisionTests.tcp(DecisionTests.attempt(.timedOut, 3_000_000)),
                                                                        synRetransmits: linear),
        expected: .reachable, secondary: [.packetLoss]),
    // A path losing a quarter of its packets each way brings 3 echoes of 3 back one time in six.
    Row(name: "three clean echoes are too few to clear the path", evidence: Evidence(transport: .tcp, route: routed,
                                                                              echo: EchoEvidence(sent: 3, replies: 3, roundTripMicroseconds: [300, 310, 305]),
                                                                              connects: connected(900, 1_000_600, 1_000_800), synRetransmits: linear),
        expected: .reachable, secondary: [.packetLoss]),
    Row(name: "one echo lost of ten", evidence: Evidence(transport: .tcp, route: routed,
                                                  echo: EchoEvidence(sent: 10, replies: 9, roundTripMicroseconds: Array(repeating: 300, count: 9)),
                                                  connects: connected(900, 1_000_600, 2_000_800), synRetransmits: linear),
        expected: .reachable, secondary: [.packetLoss]),
    Row(name: "late handshakes, ping could not run", evidence: Evidence(transport: .tcp, route: routed,
                                                                 echo: EchoEvidence(sent: 0, replies: 0, skippedReason: "needs CAP_NET_RAW"),
                                                                 connects: connected(900, 1_000_600, 1_000_800), synRetransmits: linear),
        expected: .reachable, secondary: [.packetLoss]),
    // high-latency near misses: slow handshakes that are slow because the far side is far.
    Row(name: "100 ms each way: no retransmit in sight", evidence: Evidence(transport: .tcp, route: routed,
                                                                     echo: EchoEvidence(sent: 3, replies: 3, roundTripMicroseconds: [200_400, 200_900, 201_000]),
                                                                     connects: connected(200_600, 200_800, 201_100), baselineRoundTripMicroseconds: 300,
                                                                     synRetransmits: linear),
        expected: .reachable, secondary: [.highLatency]),
    Row(name: "500 ms each way, gateway fast: 1 s is one round trip", evidence: Evidence(
          transport: .tcp, route: routed, echo: EchoEvidence(sent: 3, replies: 3, roundTripMicroseconds: [1_000_600, 1_000_900, 1_001_000]),
          connects: connected(1_000_700, 1_001_200, 1_000_800), baselineRoundTripMicroseconds: 300, synRetransmits: linear),
        expected: .reachable, secondary: [.highLatency]),
    Row(name: "slow handshakes on no step", evidence: Evidence(transport: .tcp, route: routed, echo: cleanEcho,
                                                        connects: connected(1_600_000, 2_500_000, 700), synRetransmits: linear),
        expected: .reachable, secondary: [.highLatency]),
    // A lossy path whose handshakes were late (the kernel's timer rounds each 1 s retransmit up to about 1.024 s):
    // the rounding is no latency of the path.
    Row(name: "late handshakes are not high latency", evidence: Evidence(transport: .tcp, route: routed,
                                                                  echo: EchoEvidence(sent: 10, replies: 6, roundTripMicroseconds: [52, 80, 80, 27, 74, 89]),
                                                                  connects: connected(109, 2_047_894, 2_047_818), baselineRoundTripMicroseconds: 19,
                                                                  synRetransmits: linear),
        expected: .reachable, secondary: [.packetLoss]),
    Row(name: "every handshake late is not high latency", evidence: Evidence(transport: .tcp, route: routed,
                                                                      echo: EchoEvidence(sent: 10, replies: 4, roundTripMicroseconds: [59, 80, 86, 76]),
                                                                      connects: connected(2_054_216, 1_023_540, 1_023_767), baselineRoundTripMicroseconds: 24,
                                                                      synRetransmits: linear),
        expected: .reachable, secondary: [.packetLoss]),
    // Never answered: a full queue that never drains is silent like a filter.
    Row(name: "never answered, ping answers", evidence: Evidence(transport: .tcp, route: routed, echo: cleanEcho,
                                                          connects: DecisionTests.tcp(DecisionTests.attempt(.timedOut, 4_000_000)), synRetransmits: linear),
        expected: .portFiltered),
    // On this host the counters speak for the server.
    Row(name: "local listener: late handshake and rising counters", evidence: Evidence(transport: .tcp, targetIsLoopback: true,
                                                                                connects: connected(1_000_100, 60),
                                                                                localListenOverflowRising: true, synRetransmits: linear),
        expected: .listenQueueOverflow),
  ]

  @Test(arguments: rows)
  func decides(_ row: Row) {
    let diagnosis = Decision.diagnose(row.evidence)
    #expect(diagnosis.id == row.expected, "\(diagnosis.primary.summary) \(diagnosis.primary.evidence)")
    #expect(diagnosis.secondary.map(\.id) == row.secondary, "\(diagnosis.secondary.map(\.summary))")
  }

  @Test func overflowEvidenceNamesTheRetransmitsAndTheCleanPath() throws {
    let evidence = Evidence(transport: .tcp, route: Self.routed, echo: Self.cleanEcho, connects: Self.connected(700, 1_000_900, 2_001_400),
                            synRetransmits: Self.linear)
    let finding = Decision.diagnose(evidence).primary
    try #require(finding.id == .listenQueueOverflow)
    #expect(finding.evidence.contains("connected after 1.001 s: on the kernel's first SYN retransmit (sent at 1 s); the SYN before it got no answer"),
            "\(finding.evidence)")
    #expect(finding.evidence.contains("connected after 2.001 s: on the kernel's second SYN retransmit (sent at 2 s); the 2 SYNs before it got no answer"))
    #expect(finding.evidence.contains { $0.hasPrefix("ping: 10 of 10 echo replies, fastest 0.290 ms: the path lost none")
                                        && $0.hasSuffix("3 of the 5 SYNs of those handshakes got no answer") },
            "\(finding.evidence)")
    #expect(finding.evidence.contains("this kernel retransmits an unanswered SYN after 1, 2, 3, 4, 5, 7 s (net.ipv4.tcp_syn_linear_timeouts=4, tcp_syn_retries=6)"))
    #expect(finding.couldNotTell.contains { $0.contains("nettriage probe sockets --listen --port 80") })
    #expect(finding.couldNotTell.contains { $0.contains("SYN rate limit") })
  }

  @Test func withoutARecordedScheduleTheClassicOneIsAssumed() throws {
    let evidence = Evidence(transport: .tcp, route: Self.routed, echo: Self.cleanEcho, connects: Self.connected(1_000_900, 3_001_100))
    let finding = Decision.diagnose(evidence).primary
    try #require(finding.id == .listenQueueOverflow)
    #expect(finding.evidence.contains { $0.contains("second SYN retransmit (sent at 3 s)") }, "\(finding.evidence)")
    #expect(finding.evidence.contains { $0.hasPrefix("SYN retransmits assumed at 1, 3, 7, 15, 31, 63 s") }, "\(finding.evidence)")
  }

  @Test func aLossyPathSaysWhatItCouldNotTell() throws {
    let evidence = Evidence(transport: .tcp, route: Self.routed, echo: EchoEvidence(sent: 3, replies: 2, roundTripMicroseconds: [300, 320]),
                            connects: Self.connected(1_000_600, 900, 1_000_800), synRetransmits: Self.linear)
    let loss = try #require(Decision.diagnose(evidence).secondary.first)
    #expect(loss.summary == "2 of 3 handshakes completed only on a SYN retransmit: a SYN or its SYN-ACK was lost", "\(loss.summary)")
    #expect(loss.evidence.contains("ping: 2 of 3 echo replies"), "\(loss.evidence)")
    #expect(loss.couldNotTell.contains { $0.contains("full accept queue") })
  }

  @Test func aSilentPortMayBeAQueueThatNeverDrains() {
    let evidence = Evidence(transport: .tcp, route: Self.routed, echo: Self.cleanEcho,
                            connects: DecisionTests.tcp(DecisionTests.attempt(.timedOut, 4_000_000)))
    let finding = Decision.diagnose(evidence).primary
    #expect(finding.id == .portFiltered)
    #expect(finding.couldNotTell.contains { $0.contains("full accept queue that never drains") && $0.contains("looks the same from here") },
            "\(finding.couldNotTell)")
  }

  @Test(arguments: [
    (SYNRetransmitSchedule(linearTimeouts: 4, retries: 6), [1, 2, 3, 4, 5, 7]),
    (SYNRetransmitSchedule.classic, [1, 3, 7, 15, 31, 63]),
    (SYNRetransmitSchedule(linearTimeouts: 2, retries: 5), [1, 2, 3, 5, 9]),
    (SYNRetransmitSchedule(linearTimeouts: 0, retries: 0), []),
  ])
  func retransmitTimes(schedule: SYNRetransmitSchedule, seconds: [Int64]) {
    #expect(schedule.retransmitMicroseconds == seconds.map { $0 * 1_000_000 })
  }

  @Test func scheduleIsReadFromSysctls() throws {
    let root = TemporaryDirectory()
    let directory = root.path + "/net/ipv4"
    try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    // A kernel before 6.7: no tcp_syn_linear_timeouts, so exponential backoff.
    try "5\n".write(toFile: directory + "/tcp_syn_retries", atomically: true, encoding: .utf8)
    #expect(SYNRetransmitSchedule.read(root: root.path) == SYNRetransmitSchedule(linearTimeouts: 0, retries: 5))
    try "4\n".write(toFile: directory + "/tcp_syn_linear_timeouts", atomically: true, encoding: .utf8)
    #expect(SYNRetransmitSchedule.read(root: root.path) == SYNRetransmitSchedule(linearTimeouts: 4, retries: 5))
    // Nothing readable: the classic schedule.
    #expect(SYNRetransmitSchedule.read(root: root.path + "/nowhere") == .classic)
  }

  @Test func olderRecordingsDecodeWithoutASchedule() throws {
    let recorded = Evidence(transport: .tcp, connects: Self.connected(700))
    var object = try #require(try JSONSerialization.jsonObject(with: JSONEncoder().encode(recorded)) as? [String: Any])
    object["synRetransmits"] = nil
    let decoded = try JSONDecoder().decode(Evidence.self, from: JSONSerialization.data(withJSONObject: object))
    #expect(decoded.synRetransmits == nil && decoded == recorded)
  }
}
