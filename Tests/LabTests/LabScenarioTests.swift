import Foundation
import Lab
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Every scenario on the real kernel: `lab up`, the relevant probes inside the client namespace (run as a user
/// would, through `lab exec`), their outcomes asserted, `lab down`, and nothing of the lab left behind.
///
/// The lab is one global thing per machine, so the suite is serialized; probes use `-t 1` to keep it short.
@Suite(.serialized, .enabled(if: TestNamespace.isAvailable, "needs root and iproute2: the lab builds network namespaces"))
struct LabScenarioTests {
  /// The scenario-specific assertions, run while the scenario is up.
  static let checks: [String: @Sendable () throws -> Void] = [
    "healthy": {
      let probe = try tcp("www.lab.test:80")
      expect(probe, "connected")
      let resolution = try #require(probe.run.object("resolution"))
      #expect((resolution["addresses"] as? [String]).map(Set.init) == ["198.18.2.10", "fd00:18:2::10"])
      let echo = try LabRunner.inLab(["probe", "udp", "198.18.2.10:7", "--payload", "hello", "-n", "1", "-t", "1", "--json"])
      #expect(echo.status == 0, "\(echo.description)")
      #expect(firstAttempt(echo)?["replyBytes"] as? Int == 5)
    },
    "port-closed": {
      let probe = try tcp("198.18.2.10:80")
      expect(probe, "refused", errno: ECONNREFUSED)
      #expect(probe.attempt["icmp"] == nil)
      expect(try tcp("198.18.2.10:443"), "connected")  // the host is up
    },
    "port-filtered": {
      expect(try tcp("198.18.2.10:80"), "timed-out")
      expect(try tcp("198.18.2.10:443"), "connected")
    },
    "filtered-at-router": {
      expect(try tcp("198.18.2.10:80"), "timed-out")
      expect(try tcp("198.18.2.10:443"), "connected")
    },
    "admin-prohibited": {
      let probe = try tcp("198.18.2.10:80")
      expect(probe, "admin-prohibited", errno: EHOSTUNREACH)
      expectICMP(probe, origin: "icmp", type: 3, code: 13, sender: "198.18.1.1")
      #expect(probe.elapsedMicroseconds < 500_000, "an ICMP error ends the connect at once")
    },
    "reset-in-path": {
      let probe = try tcp("198.18.2.10:80")
      expect(probe, "refused", errno: ECONNREFUSED)
      expect(try tcp("198.18.2.10:443"), "connected")
    },
    "host-down-behind-router": {
      let probe = try tcp("198.18.2.99:80")
      expect(probe, "host-unreachable", errno: EHOSTUNREACH)
      expectICMP(probe, origin: "icmp", type: 3, code: 1, sender: "198.18.1.1")
    },
    "onlink-host-down": {
      let probe = try tcp("198.18.1.99:80")
      expect(probe, "host-unreachable", errno: EHOSTUNREACH)
      // Our own stack raised it after its ARP failed: the report names the client's own address.
      expectICMP(probe, origin: "icmp", type: 3, code: 1, sender: "198.18.1.10")
    },
    "no-route": {
      let probe = try tcp("198.18.2.10:80")
      expect(probe, "network-unreachable", errno: ENETUNREACH)
      #expect(probe.elapsedMicroseconds < 100_000, "no route fails before any packet is sent")
      expect(try tcp("[fd00:18:2::10]:80"), "network-unreachable", errno: ENETUNREACH)
    },
    "gateway-down": {
      let probe = try tcp("198.18.2.10:80")
      expect(probe, "host-unreachable", errno: EHOSTUNREACH)
      expectICMP(probe, origin: "icmp", type: 3, code: 1, sender: "198.18.1.10")
      expect(try tcp("198.18.1.20:7"), "refused", errno: ECONNREFUSED)  // the subnet itself works: client2 answers
    },
    "link-down": {
      let carrier = try LabRunner.program("/bin/cat", ["/sys/class/net/ntlab-eth0/carrier"])
      #expect(carrier.stdout == "0\n", "\(carrier.description)")
      let operstate = try LabRunner.program("/bin/cat", ["/sys/class/net/ntlab-eth0/operstate"])
      #expect(operstate.stdout == "down\n", "a veth whose peer is down: admin up, no carrier, operstate down")
      let probe = try tcp("198.18.2.10:80")
      #expect(["host-unreachable", "timed-out"].contains(probe.outcome), "\(probe.run.description)")
    },
    "icmp-blocked": {
      expect(try tcp("198.18.2.10:80"), "connected")
      let ping = try LabRunner.inLab(["probe", "icmp", "198.18.2.10", "-n", "1", "-t", "1", "--json"])
      if ping.stderr.contains("not built yet") { return }
      #expect(ping.status == 1, "\(ping.description)")
      #expect(firstProbe(ping)?["outcome"] as? String == "timed-out", "\(ping.description)")
    },
    "dns-nxdomain": {
      let resolution = try resolve("www.lab.test")
      #expect(resolution.status == 1)
      let error = try #require(resolution.object("resolution-error"), "\(resolution.description)")
      #expect(error["kind"] as? String == "no-name" && error["code"] as? Int == -2, "\(resolution.description)")
    },
    "dns-timeout": {
      let resolution = try resolve("www.lab.test")
      let error = try #require(resolution.object("resolution-error"), "\(resolution.description)")
      #expect(error["kind"] as? String == "try-again", "\(resolution.description)")
      let elapsed = error["elapsedMicroseconds"] as? Int ?? 0
      #expect(elapsed >= 900_000 && elapsed < 4_000_000, "resolv.conf's 1 s x 1 attempt: \(elapsed) us")
    },
    "dns-servfail": {
      let resolution = try resolve("www.lab.test")
      let error = try #require(resolution.object("resolution-error"), "\(resolution.description)")
      #expect(["try-again", "failure"].contains(error["kind"] as? String ?? ""), "\(resolution.description)")
      #expect((error["elapsedMicroseconds"] as? Int ?? .max) < 900_000, "SERVFAIL comes back at once")
    },
    "wrong-address": {
      let resolution = try resolve("www.lab.test")
      #expect(resolution.object("resolution")?["addresses"] as? [String] == ["198.18.2.20"], "\(resolution.description)")
      let probe = try tcp("www.lab.test:80")
      expect(probe, "refused", errno: ECONNREFUSED)
      #expect(probe.attempt["address"] as? String == "198.18.2.20:80")
    },
    "listen-queue-overflow": {
      let before = try listenOverflows()
      // Back to back: each connect after the first finds the place its predecessor took (until the next accept, 750
      // ms apart), so it completes only on a SYN retransmit: about 1, 2 or 3 s on this kernel's schedule.
      let run = try LabRunner.inLab(["probe", "tcp", "198.18.2.10:80", "-n", "3", "-i", "0", "-t", "4", "--json"])
      let probes = run.objects.filter { $0["type"] as? String == "probe" }
      #expect(probes.count == 3 && probes.allSatisfy { $0["outcome"] as? String == "connected" }, "\(run.description)")
      let times = probes.compactMap { $0["elapsedMicroseconds"] as? Int }
      #expect(times.dropFirst().allSatisfy { $0 > 900_000 && $0 < 3_800_000 }, "connect times \(times)")
      let after = try listenOverflows()
      #expect(after > before, "ListenOverflows in the server's namespace: \(before) -> \(after)")
      let other = try tcp("198.18.2.10:443")
      expect(other, "connected")
      #expect(other.elapsedMicroseconds < 500_000, "another port of the same host answers at once")
    },
    "packet-loss": {
      let run = try LabRunner.inLab(["probe", "udp", "198.18.2.10:7", "--payload", "x", "-n", "40", "-i", "0", "-t", "0.3", "--json"])
      let statistics = try #require(run.object("summary")?["statistics"] as? [String: Any], "\(run.description)")
      let answered = statistics["answered"] as? Int ?? -1
      #expect(answered > 0 && answered < 40, "25% loss each way: about 56% of round trips survive, got \(answered)/40")
    },
    "high-latency": {
      let run = try LabRunner.inLab(["probe", "tcp", "198.18.2.10:80", "-n", "3", "-i", "0", "-t", "2", "--json"])
      let times = run.objects.filter { $0["type"] as? String == "probe" }.compactMap { $0["elapsedMicroseconds"] as? Int }
      #expect(times.count == 3, "\(run.description)")
      // 100 ms each way: the handshake's round trip is about 200 ms (generous bounds: a shared machine).
      #expect(times.allSatisfy { $0 >= 195_000 && $0 < 800_000 }, "\(times)")
    },
    "local-firewall": {
      expect(try tcp("198.18.2.10:80"), "timed-out")
      expect(try tcp("198.18.2.10:443"), "connected")
      let rules = try LabRunner.program(LabNames.nftPath, ["list", "table", "inet", "ntlab"])
      #expect(rules.stdout.contains("tcp dport 80 counter packets") && !rules.stdout.contains("counter packets 0 "), "\(rules.stdout)")
    },
    "stalled-connection": {
      expect(try tcp("198.18.2.10:8080"), "connected")
      // The sender's connection to port 8080 fills its send queue, which then stops moving: the window is closed
      // (/proc/net/tcp in the client). Sampled until two samples agree: the queue may still be filling at first.
      var samples = [try stalledSendQueue()]
      while samples.count < 15 && !(samples.count >= 2 && samples.last! > 0 && samples.last! == samples[samples.count - 2]) {
        Thread.sleep(forTimeInterval: 0.3)
        samples.append(try stalledSendQueue())
      }
      #expect(samples.count >= 2 && samples.last! > 0 && samples.last! == samples[samples.count - 2], "send queue samples \(samples)")
      // The socket-state probe names it: exit status 1 when --stalled finds a stalled connection.
      let sockets = try LabRunner.inLab(["probe", "sockets", "--stalled", "-i", "1", "--port", "8080"])
      #expect(sockets.status == 1, "\(sockets.description)")
    },
    "reachable-v6": {
      let probe = try tcp("[fd00:18:2::10]:80")
      expect(probe, "connected")
      #expect((probe.attempt["local"] as? String)?.hasPrefix("[fd00:18:1::10]:") == true)
    },
    "port-closed-v6": {
      expect(try tcp("[fd00:18:2::10]:80"), "refused", errno: ECONNREFUSED)
    },
    "port-filtered-v6": {
      expect(try tcp("[fd00:18:2::10]:80"), "timed-out")
      expect(try tcp("198.18.2.10:80"), "connected")  // IPv4 to the same port works: the host is up
    },
    "admin-prohibited-v6": {
      let probe = try tcp("[fd00:18:2::10]:80")
      // DESIGN.md: an ICMPv6 administratively-prohibited surfaces as EACCES.
      expect(probe, "admin-prohibited", errno: EACCES)
      expectICMP(probe, origin: "icmp6", type: 1, code: 1, sender: "fd00:18:1::1")
    },
  ]

  /// Every available scenario, or only those named in NETTRIAGE_LAB_SCENARIOS (comma-separated), so that one
  /// scenario can be run again and again: `NETTRIAGE_LAB_SCENARIOS=listen-queue-overflow swift test --filter scenario`.
  static var selected: [String] {
    let names = Scenario.catalog().filter(\.isAvailable).map(\.name)
    guard let wanted = ProcessInfo.processInfo.environment["NETTRIAGE_LAB_SCENARIOS"]?.split(separator: ",").map(String.init),
          !wanted.isEmpty else { return names }
    return names.filter(wanted.contains)
  }

  @Test(arguments: selected)
  func scenario(_ name: String) throws {
    let up = try LabRunner.run(["lab", "up", name, "--json"])
    let report = up.object("lab-up")
    let pids = (report?["processes"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int }.map(Int32.init)
    defer { Self.expectCleanDown(pids: pids) }
    try #require(up.status == 0 && report != nil, "\(up.description)")
    #expect(Set(LabRunner.labNamespaces()) == Set(LabHost.allCases.map(\.namespace)))
    #expect(!pids.isEmpty && pids.allSatisfy(LabRunner.isRunning))
    let check = try #require(Self.checks[name])
    try check()
    try Self.expectCheckDiagnosis(of: try #require(Scenario.named(name)))
  }

  /// Scenarios whose diagnosis `nettriage check` does not give yet (its steps are still being wired in): their
  /// mismatch is a known issue. When check gets one right, the run says so: remove it from this list.
  /// packet-loss is here for good: its drops are random, and check sends three handshakes and a few pings. At 25%
  /// each way a handshake gets through at once 56% of the time, so about one run in six sees no loss at all (all
  /// three at once), and one in thirty loses every SYN of its first connect within its 4 s (port-filtered).
  static let checkGaps: Set<String> = ["packet-loss"]

  /// `nettriage check TARGET --json` inside the client gives the scenario's diagnosis id and secondary findings,
  /// and exits 0 for reachable, 1 for a fault.
  static func expectCheckDiagnosis(of scenario: Scenario) throws {
    let run = try LabRunner.inLab(["check", scenario.target, "--json", "-t", String(scenario.checkTimeoutSeconds)])
    let report = try #require(try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any], "\(run.description)")
    let diagnosis = try #require(report["diagnosis"] as? [String: Any], "\(run.description)")
    let id = diagnosis["id"] as? String ?? "none"
    let secondary = (diagnosis["secondary"] as? [Any] ?? []).compactMap { ($0 as? String) ?? ($0 as? [String: Any])?["id"] as? String }
    let matches = id == scenario.diagnosis && Set(scenario.secondary).isSubset(of: secondary)
      && run.status == (scenario.diagnosis == "reachable" ? 0 : 1)
    if scenario.name == "filtered-at-router" {
      // While the connect waited, a TCP trace toward the port found the router at hop 1 and silence past it.
      let trace = ((report["evidence"] as? [String: Any])?["pathTrace"] as? [String: Any]) ?? [:]
      #expect(trace["conclusion"] as? String == "silent" && trace["hop"] as? Int == 1, "\(report["evidence"] ?? "")")
      #expect((diagnosis["evidence"] as? [String] ?? []).contains { $0.hasPrefix("trace toward the port: no answer after hop 1 (198.18.1.1)") })
    }
    if scenario.name == "stalled-connection" {
      // The handshake works (reachable), but this machine's upload to the server is held up by its zero window: the
      // socket-state step says so, and the verdict's evidence names the connection.
      let steps = report["steps"] as? [[String: Any]] ?? []
      let socketState = steps.first { $0["id"] as? String == "socket-state" } ?? [:]
      #expect(socketState["status"] as? String == "warn", "\(socketState)")
      #expect((socketState["summary"] as? String ?? "").contains("zero window"), "\(socketState)")
      #expect((diagnosis["evidence"] as? [String] ?? []).contains { $0.hasPrefix("held up on this machine: 198.18.1.10:") && $0.contains("zero window") },
              "\(diagnosis)")
    }
    if ["local-firewall", "port-filtered", "filtered-at-router"].contains(scenario.name) {
      // The provisional verdict (ping answered, the SYN did not) already tells a rule on this machine, which keeps
      // the SYNs from the wire, from a filter out there, which lets them leave.
      #expect(diagnosis["provisional_id"] as? String == scenario.diagnosis, "\(diagnosis)")
    }
    if checkGaps.contains(scenario.name) {
      if matches && scenario.name != "packet-loss" {
        print("lab: check now diagnoses \(scenario.name) correctly: remove it from LabScenarioTests.checkGaps")
      }
      withKnownIssue("check does not diagnose \(scenario.name) yet", isIntermittent: true) {
        #expect(matches, "check gave \(id) \(secondary), expected \(scenario.diagnosis) \(scenario.secondary)")
      }
    } else {
      #expect(matches, "check gave \(id) \(secondary) (exit \(run.status)), expected \(scenario.diagnosis) \(scenario.secondary)")
    }
  }

  @Test func statusPracticeAndReveal() throws {
    defer { Self.expectCleanDown(pids: []) }
    _ = try LabRunner.run(["lab", "down"])
    let nothing = try LabRunner.run(["lab", "status"])
    #expect(nothing.status == 1 && nothing.stdout.contains("no lab is up"))

    let practice = try LabRunner.run(["lab", "practice"])
    #expect(practice.status == 0, "\(practice.description)")
    #expect(practice.stdout.contains("The user on ntlab-client says"))
    let status = try LabRunner.run(["lab", "status", "--json"])
    #expect(status.status == 0, "\(status.description)")
    let object = try #require(status.object("lab-status"))
    #expect(object["hidden"] as? Bool == true && object["scenario"] == nil)
    let names = Scenario.catalog().map(\.name)
    // Neither up's output nor status names the scenario.
    for name in names where name.count > 9 {
      #expect(!practice.stdout.contains(name) && !status.stdout.contains("\"\(name)\""), "\(name) leaked")
    }

    let reveal = try LabRunner.run(["lab", "reveal", "--json"])
    #expect(reveal.status == 0, "\(reveal.description)")
    let revealed = try #require((reveal.object("lab-reveal")?["scenario"] as? [String: Any])?["name"] as? String)
    #expect(names.contains(revealed) && revealed != "healthy")
    let after = try LabRunner.run(["lab", "status", "--json"])
    #expect(after.object("lab-status")?["scenario"] as? String == revealed)
  }

  @Test func upReplacesThePreviousScenario() throws {
    defer { Self.expectCleanDown(pids: []) }
    let first = try LabRunner.run(["lab", "up", "port-closed", "--json"])
    #expect(first.status == 0, "\(first.description)")
    let firstPids = (first.object("lab-up")?["processes"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int }.map(Int32.init)
    let second = try LabRunner.run(["lab", "up", "healthy"])
    #expect(second.status == 0, "\(second.description)")
    #expect(second.stdout.contains("cleared the previous lab"))
    #expect(!firstPids.isEmpty && !firstPids.contains(where: LabRunner.isRunning), "the first scenario's services ended")
    let status = try LabRunner.run(["lab", "status", "--json"])
    #expect(status.status == 0 && status.object("lab-status")?["scenario"] as? String == "healthy")
  }

  /// A crash leaves namespaces and services without a usable state file: down still finds them by prefix and
  /// by the namespace each process lives in.
  @Test func downCleansUpAfterALostStateFile() throws {
    let netnsDirectoryExisted = FileManager.default.fileExists(atPath: LabNames.netnsConfigurationDirectory)
    let up = try LabRunner.run(["lab", "up", "healthy", "--json"])
    #expect(up.status == 0, "\(up.description)")
    let pids = (up.object("lab-up")?["processes"] as? [[String: Any]] ?? []).compactMap { $0["pid"] as? Int }.map(Int32.init)
    // A stray process in the client namespace, as a trainee's shell would be.
    let stray = Process()
    stray.executableURL = URL(fileURLWithPath: LabNames.ipPath)
    stray.arguments = ["netns", "exec", "ntlab-client", "/bin/sleep", "300"]
    try stray.run()
    Thread.sleep(forTimeInterval: 0.3)
    try "{ not json".write(toFile: LabNames.stateFile, atomically: true, encoding: .utf8)
    let status = try LabRunner.run(["lab", "status"])
    #expect(status.stdout.contains("leftovers"), "\(status.description)")
    Self.expectCleanDown(pids: pids)
    // Only the state file knew the lab made /etc/netns itself; without it down leaves that (empty) directory.
    if !netnsDirectoryExisted { rmdir(LabNames.netnsConfigurationDirectory) }
    stray.waitUntilExit()
    #expect(stray.terminationReason == .uncaughtSignal)
  }

  /// A `lab up` killed at any moment leaves a state file that `lab down` can finish from.
  @Test(arguments: [0.05, 0.2, 0.4])
  func downCleansUpAfterAKilledUp(after seconds: Double) throws {
    let up = Process()
    up.executableURL = URL(fileURLWithPath: LabRunner.binary)
    up.arguments = ["lab", "up", "high-latency"]
    up.standardOutput = FileHandle.nullDevice
    try up.run()
    Thread.sleep(forTimeInterval: seconds)
    kill(up.processIdentifier, SIGKILL)
    up.waitUntilExit()
    let pids = (LabState.load()?.processes ?? []).map(\.pid)
    Self.expectCleanDown(pids: pids)
  }

  /// A service that cannot start fails `up` with its reason, and the partial lab is removed at once.
  @Test func aFailedUpRemovesWhatItBuilt() throws {
    let lab = Lab(executable: "/nonexistent/nettriage")
    let scenario = try #require(Scenario.named("healthy"))
    #expect(throws: LabError.self) { try lab.up(scenario) }
    do {
      try lab.up(scenario)
    } catch {
      #expect(error.message.hasPrefix("service tcp-listeners in ntlab-server failed: "), "\(error.message)")
      #expect(error.message.hasSuffix("(the partial lab was removed)"))
    }
    #expect(LabRunner.labNamespaces().isEmpty)
    #expect(!FileManager.default.fileExists(atPath: LabNames.stateFile))
  }

  @Test func execRunsInsideTheChosenNamespace() throws {
    defer { Self.expectCleanDown(pids: []) }
    #expect(try LabRunner.run(["lab", "up", "healthy"]).status == 0)
    let client = try LabRunner.program("/bin/cat", ["/proc/sys/net/ipv4/ip_forward"])
    let router = try LabRunner.program("/bin/cat", ["/proc/sys/net/ipv4/ip_forward"], host: "router")
    #expect(client.stdout == "0\n" && router.stdout == "1\n")
    let exitStatus = try LabRunner.program("/bin/sh", ["-c", "exit 7"])
    #expect(exitStatus.status == 7, "the command's exit status passes through")
    let resolv = try LabRunner.program("/bin/cat", ["/etc/resolv.conf"])
    #expect(resolv.stdout.contains("nameserver 198.18.2.10"))
    let badHost = try LabRunner.run(["lab", "exec", "--host", "nowhere", "--", "true"])
    #expect(badHost.status == 2 && badHost.stderr.split(separator: "\n").count == 1)
  }

  @Test func withoutRootTheLabRefusesInOneLine() throws {
    for arguments in [["lab", "up", "healthy"], ["lab", "down"], ["lab", "status"], ["lab", "exec", "--", "true"],
                      ["lab", "practice"], ["lab", "reveal"]] {
      let result = try runCommand("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", LabRunner.binary] + arguments,
                                  check: false)
      #expect(result.status == 2, "\(arguments)")
      #expect(result.stdout.isEmpty && result.stderr == "nettriage: the lab needs root (it creates network namespaces, links and firewall rules): run it with sudo\n")
    }
    let list = try runCommand("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", LabRunner.binary, "lab", "list"])
    #expect(list.stdout.contains("listen-queue-overflow"))
  }

  @Test func unknownScenarioIsAUsageError() throws {
    let run = try LabRunner.run(["lab", "up", "no-such-fault"])
    #expect(run.status == 2 && run.stderr.contains("nettriage lab list"))
  }

  /// `lab down` succeeds and leaves no lab namespace, no lab process and no lab file.
  static func expectCleanDown(pids: [Int32]) {
    let down = try? LabRunner.run(["lab", "down"])
    #expect(down?.status == 0, "\(down?.description ?? "lab down did not run")")
    #expect(LabRunner.labNamespaces().isEmpty, "left: \(LabRunner.labNamespaces())")
    #expect(!pids.contains(where: LabRunner.isRunning), "a lab process survived down")
    #expect(!FileManager.default.fileExists(atPath: LabNames.configurationDirectory(of: "ntlab-client")))
    #expect(!FileManager.default.fileExists(atPath: LabNames.stateFile))
    let links = (try? runCommand(LabNames.ipPath, ["-o", "link", "show"]).stdout) ?? ""
    #expect(!links.contains("ntlab-"), "a lab link in the machine's own namespace")
  }
}

/// One TCP probe's decisive attempt.
struct TCPProbe {
  var run: LabRunner.Run
  var attempt: [String: Any]
  var outcome: String { run.objects.first { $0["type"] as? String == "probe" }?["outcome"] as? String ?? "none" }
  var elapsedMicroseconds: Int { attempt["elapsedMicroseconds"] as? Int ?? .max }
}

/// `nettriage probe tcp TARGET -n 1 -t TIMEOUT --json` inside the client.
func tcp(_ target: String, timeout: Double = 1) throws -> TCPProbe {
  let run = try LabRunner.inLab(["probe", "tcp", target, "-n", "1", "-t", String(timeout), "--json"])
  let attempts = try #require(firstProbe(run)?["attempts"] as? [[String: Any]], "\(run.description)")
  return TCPProbe(run: run, attempt: try #require(attempts.last))
}

func firstProbe(_ run: LabRunner.Run) -> [String: Any]? { run.objects.first { $0["type"] as? String == "probe" } }

func firstAttempt(_ run: LabRunner.Run) -> [String: Any]? { (firstProbe(run)?["attempts"] as? [[String: Any]])?.first }

func expect(_ probe: TCPProbe, _ outcome: String, errno: Int32? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
  #expect(probe.outcome == outcome, "\(probe.run.description)", sourceLocation: sourceLocation)
  #expect(probe.run.status == (outcome == "connected" ? 0 : 1), sourceLocation: sourceLocation)
  if let errno {
    #expect((probe.attempt["errno"] as? [String: Any])?["number"] as? Int == Int(errno), "\(probe.attempt)", sourceLocation: sourceLocation)
  }
}

func expectICMP(_ probe: TCPProbe, origin: String, type: Int, code: Int, sender: String,
                sourceLocation: SourceLocation = #_sourceLocation) {
  let icmp = probe.attempt["icmp"] as? [String: Any]
  #expect(icmp?["origin"] as? String == origin && icmp?["type"] as? Int == type && icmp?["code"] as? Int == code
          && icmp?["sender"] as? String == sender, "\(probe.attempt)", sourceLocation: sourceLocation)
}

/// `nettriage resolve NAME --json` inside the client.
func resolve(_ name: String) throws -> LabRunner.Run {
  try LabRunner.inLab(["resolve", name, "-t", "5", "--json"])
}

/// The server namespace's TcpExt ListenOverflows counter.
func listenOverflows() throws -> Int {
  let netstat = try LabRunner.program("/bin/cat", ["/proc/net/netstat"], host: "server").lines
  let rows = netstat.filter { $0.hasPrefix("TcpExt:") }.map { $0.split(separator: " ").map(String.init) }
  let names = try #require(rows.first), values = try #require(rows.last)
  let index = try #require(names.firstIndex(of: "ListenOverflows"))
  return Int(values[index]) ?? -1
}

/// The send queue of the client's established connection to port 8080 (hex fields of /proc/net/tcp and tcp6).
func stalledSendQueue() throws -> Int {
  var largest = 0
  for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
    for line in try LabRunner.program("/bin/cat", [file]).lines.dropFirst() {
      let fields = line.split(separator: " ")
      guard fields.count > 4, fields[2].hasSuffix(":1F90"), fields[3] == "01" else { continue }
      let queues = fields[4].split(separator: ":")
      largest = max(largest, Int(queues[0], radix: 16) ?? 0)
    }
  }
  return largest
}

/// Says loudly that the lab suite did not run, so a green run without root is not mistaken for a tested lab.
@Suite struct LabSkipNotice {

  @Test func sayWhenTheLabSuiteIsSkipped() {
    guard !TestNamespace.isAvailable else { return }
    let banner = String(repeating: "!", count: 78)
    print("\(banner)\n!!! LabScenarioTests SKIPPED: not root (or no /usr/sbin/ip). The fault lab was NOT tested.\n"
          + "!!! Run as root: swift test --no-parallel --filter LabTests\n\(banner)")
  }
}
