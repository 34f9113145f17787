import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `probe tcp --trace` inside the fault lab's client: the packets show what the verdict alone cannot, the SYN
/// retransmits of a silent drop, the router's ICMP, and a reset whose TTL gives away a device in the path.
///
/// Run under the lab lock: `flock /tmp/ntlab.lock swift test --filter LabTests.CaptureLabTests`.
@Suite(.serialized, .enabled(if: TestNamespace.isAvailable, "needs root and iproute2: the lab builds network namespaces"))
struct CaptureLabTests {
  /// One traced probe's decoded evidence and its text ladder.
  struct Traced {
    var json: LabRunner.Run
    var text: LabRunner.Run
    var evidence: [String: Any]
    var packets: [[String: Any]]
  }

  /// `probe tcp TARGET -n 1 -t TIMEOUT --trace` inside the client, as JSON (for the evidence) and as text (the ladder).
  static func traced(_ target: String, timeout: Double = 1) throws -> Traced {
    let json = try LabRunner.inLab(["probe", "tcp", target, "-n", "1", "-t", String(timeout), "--trace", "--json"])
    let probe = try #require(json.object("probe"), "\(json.description)")
    let trace = try #require((probe["traces"] as? [[String: Any]])?.last, "\(json.description)")
    let text = try LabRunner.inLab(["probe", "tcp", target, "-n", "1", "-t", String(timeout), "--trace"])
    print(text.stdout)
    return Traced(json: json, text: text, evidence: try #require(trace["evidence"] as? [String: Any]),
                  packets: try #require((trace["capture"] as? [String: Any])?["packets"] as? [[String: Any]]))
  }

  static func withScenario(_ name: String, _ body: () throws -> Void) throws {
    let up = try LabRunner.run(["lab", "up", name, "--json"])
    let pids = (up.object("lab-up")?["processes"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int }.map(Int32.init)
    defer { LabScenarioTests.expectCleanDown(pids: pids) }
    try #require(up.status == 0, "\(up.description)")
    try body()
  }

  /// When the client's kernel retransmits an unanswered SYN, in microseconds after the SYN: the initial RTO of 1 s,
  /// kept for `tcp_syn_linear_timeouts` more tries (Linux 6.5+, default 4; absent before: 0), then doubled each time.
  /// With 4: 1, 2, 3, 4, 5, 7, 11 s; without: 1, 3, 7, 15 s.
  static func synSchedule(retransmits: Int) throws -> [Int] {
    let read = try LabRunner.program("/bin/cat", ["/proc/sys/net/ipv4/tcp_syn_linear_timeouts"])
    let linear = read.status == 0 ? Int(read.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0 : 0
    var offsets: [Int] = [], time = 0
    for retransmit in 1...retransmits {
      time += 1_000_000 << max(0, retransmit - linear - 1)
      offsets.append(time)
    }
    return offsets
  }

  @Test func portFilteredShowsSYNRetransmitsAtTheKernelsIntervals() throws {
    try Self.withScenario("port-filtered") {
      let traced = try Self.traced("198.18.2.10:80", timeout: 3.6)
      let offsets = try #require(traced.evidence["synOffsetsMicroseconds"] as? [Int], "\(traced.evidence)")
      let expected = try Self.synSchedule(retransmits: 6).filter { $0 < 3_600_000 }
      #expect(offsets.count == expected.count + 1, "SYN times \(offsets), kernel schedule \(expected)")
      // Generous bounds: a shared machine may fire a timer late, never early.
      for (offset, planned) in zip(offsets.dropFirst(), expected) {
        #expect(offset > planned - 100_000 && offset < planned + 600_000, "SYN times \(offsets), kernel schedule \(expected)")
      }
      #expect(traced.evidence["synAck"] == nil && traced.evidence["reset"] == nil)
      #expect(traced.text.stdout.contains("SYN (retransmit 1, +1."), "\(traced.text.stdout)")
      #expect(traced.text.stdout.contains("SYN (retransmit \(expected.count), +"), "\(traced.text.stdout)")
    }
  }

  @Test(arguments: [
    ("admin-prohibited", "198.18.2.10:80", "198.18.1.1", 3, 13),
    ("admin-prohibited-v6", "[fd00:18:2::10]:80", "fd00:18:1::1", 1, 1),
  ])
  func adminProhibitedShowsTheRoutersICMP(scenario: String, target: String, router: String, type: Int, code: Int) throws {
    try Self.withScenario(scenario) {
      let traced = try Self.traced(target)
      let errors = try #require(traced.evidence["icmpErrors"] as? [[String: Any]], "\(traced.evidence)")
      let report = try #require(errors.first?["report"] as? [String: Any], "\(traced.evidence)")
      #expect(report["type"] as? Int == type && report["code"] as? Int == code && report["sender"] as? String == router, "\(report)")
      let stdout = traced.text.stdout
      #expect(stdout.contains("ICMP\(type == 1 ? "v6" : "") type \(type) code \(code)"), "\(stdout)")
      #expect(stdout.contains("administratively prohibited"), "\(stdout)")
      #expect(stdout.contains("from \(router) (not the server: a device in the path)"), "\(stdout)")
    }
  }

  @Test func resetInPathHasTheWrongTTL() throws {
    try Self.withScenario("reset-in-path") {
      let forged = try Self.traced("198.18.2.10:80")
      let reset = try #require(forged.evidence["reset"] as? [String: Any], "\(forged.evidence)")
      // Port 443 passes the router: the server's own SYN-ACK shows its distance.
      let genuine = try Self.traced("198.18.2.10:443")
      let synAck = try #require(genuine.evidence["synAck"] as? [String: Any], "\(genuine.evidence)")
      #expect(reset["ttl"] as? Int == 64 && synAck["ttl"] as? Int == 63, "RST \(reset), SYN-ACK \(synAck)")
      let judgement = try #require(forged.evidence["resetJudgement"] as? [String: Any])
      #expect(judgement["fromDeviceInPath"] as? Bool == true, "\(judgement)")
      #expect(forged.text.stdout.contains("from a device in the path  ttl 64"), "\(forged.text.stdout)")
    }
  }

  @Test func portClosedResetComesFromTheServer() throws {
    try Self.withScenario("port-closed") {
      let traced = try Self.traced("198.18.2.10:80")
      let reset = try #require(traced.evidence["reset"] as? [String: Any], "\(traced.evidence)")
      #expect(reset["ttl"] as? Int == 63)
      #expect((traced.evidence["resetJudgement"] as? [String: Any])?["fromDeviceInPath"] as? Bool == false)
      #expect(!traced.text.stdout.contains("device in the path"), "\(traced.text.stdout)")
    }
  }
}
