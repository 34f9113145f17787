import Foundation
import Lab
import NetProbe

/// The programs timed against each scenario, each run inside the lab's client namespace.
enum Tool: String, Codable, CaseIterable, Sendable {
  case check = "nettriage check"
  case probeTCP = "nettriage probe tcp"
  case netcat = "nc -z"
  case ping = "ping"
  case nping = "nping --tcp"
}

/// Where the programs are, and the timeout every one of them gets.
struct Toolbox: Sendable {
  var nettriage: String
  var netcat: String?
  var ping: String?
  var nping: String?
  /// Seconds: check -t, probe tcp -t, nc -w, ping -W, nping --delay (nping waits this long after its probe).
  var timeoutSeconds: Int

  static let netcatPath = "/usr/bin/nc"
  static let pingPath = "/usr/bin/ping"
  static let npingPath = "/usr/bin/nping"

  init(nettriage: String, timeoutSeconds: Int) {
    self.nettriage = nettriage
    self.timeoutSeconds = timeoutSeconds
    netcat = FileManager.default.isExecutableFile(atPath: Self.netcatPath) ? Self.netcatPath : nil
    ping = FileManager.default.isExecutableFile(atPath: Self.pingPath) ? Self.pingPath : nil
    nping = FileManager.default.isExecutableFile(atPath: Self.npingPath) ? Self.npingPath : nil
  }

  /// Why a tool does not run against `target`, or nil when it does.
  func skipReason(_ tool: Tool, target: ScenarioTarget) -> String? {
    switch tool {
    case .check, .probeTCP: nil
    case .netcat: netcat == nil ? "nc not installed (apt-get install netcat-openbsd)" : nil
    case .ping: ping == nil ? "ping not installed (apt-get install iputils-ping)" : nil
    case .nping:
      if nping == nil { "nping not installed (apt-get install nmap)" }
      // nping 0.7.93 sends IPv6 TCP from "::" through its raw socket here: nothing ever answers.
      else if target.isIPv6 { "nping 0.7.93 cannot send IPv6 TCP probes here (source ::)" }
      else { nil }
    }
  }

  /// The argument vector, run as `ip netns exec ntlab-client ARGV...`.
  func arguments(_ tool: Tool, target: ScenarioTarget) -> [String] {
    let timeout = String(timeoutSeconds)
    let command: [String] = switch tool {
    case .check: [nettriage, "check", target.text, "--json", "-q", "-t", timeout]
    case .probeTCP: [nettriage, "probe", "tcp", target.text, "-n", "1", "-t", timeout, "--json"]
    case .netcat: [netcat ?? Self.netcatPath, "-z", "-w", timeout, target.host, String(target.port)]
    case .ping: [ping ?? Self.pingPath, "-c", "1", "-W", timeout, target.host]
    case .nping: [nping ?? Self.npingPath, "--tcp", "-p", String(target.port), "-c", "1", "--delay", timeout, target.host]
    }
    return InsideLab.command(command)
  }
}

/// Running a program the way a user in the client namespace would: `ip netns exec` also bind-mounts the lab's
/// /etc/netns/ntlab-client files (resolv.conf, hosts, nsswitch.conf), so names resolve through the lab's own DNS.
enum InsideLab {
  static func command(_ arguments: [String]) -> [String] {
    [LabNames.ipPath, "netns", "exec", LabHost.client.namespace] + arguments
  }
}

/// A scenario's `HOST:PORT`, split.
struct ScenarioTarget: Sendable {
  var text: String
  var host: String
  var port: UInt16
  var isIPv6: Bool

  init?(_ text: String) {
    guard case let .inet(internet)? = try? Target.parse(text) else { return nil }
    self.text = text
    port = internet.port
    switch internet.host {
    case let .name(name):
      host = name
      isIPv6 = false
    case let .address(address, _):
      host = address.description
      isIPv6 = address.family == .ipv6
    }
  }
}

/// What the right answers are for one scenario.
struct Expectation: Codable, Sendable {
  /// The diagnosis id `check` must give.
  var diagnosis: String
  /// Secondary findings `check` must also report.
  var secondary: [String]
  /// What one `probe tcp` to the target must end with: a ProbeOutcome raw value, or `resolution-error:KIND`.
  var tcpOutcome: String
  /// Whether the port answers the handshake (what nc -z and nping can say).
  var open: Bool

  private enum CodingKeys: String, CodingKey {
    case diagnosis, secondary, open
    case tcpOutcome = "tcp_outcome"
  }

  init(_ scenario: Scenario) {
    diagnosis = scenario.diagnosis
    secondary = scenario.secondary
    if scenario.probe.starts(with: ["probe", "tcp"]) {
      tcpOutcome = scenario.expectedOutcome
    } else if scenario.probe.first == "resolve" {
      tcpOutcome = "resolution-error:" + scenario.expectedOutcome
    } else {
      // packet-loss names a UDP probe; its TCP port is reachable.
      tcpOutcome = scenario.diagnosis == "reachable" ? "connected" : "?"
    }
    open = tcpOutcome == "connected"
  }
}

/// One tool's run, read: what it answered, whether that was right, and nettriage's own timings.
struct Reading: Codable, Sendable {
  var wall_us: Int64
  var exit_status: Int32
  /// The tool's answer in a few words: a diagnosis id, a probe outcome, "open", "SYN-ACK", "reply", ...
  var answer: String
  /// nil where the tool cannot answer the question (ping says nothing about a port).
  var correct: Bool?
  /// check: the secondary findings were all there.
  var secondary_correct: Bool?
  /// check: the provisional verdict's id, when one came before the final one.
  var provisional: String?
  /// check: microseconds from its start to the first verdict (provisional, else final), as the JSON records it.
  var first_verdict_us: Int64?
  /// check: to the final verdict; probe tcp: the probe's own elapsed time.
  var in_process_us: Int64?
  /// check: wall time minus the run's own duration_ms (process start, namespace entry, exit).
  var outside_run_us: Int64?
  /// check: the slowest checklist step and its duration.
  var slowest_step: String?
  var slowest_step_us: Int64?
  /// check: the sum of its steps' own times (the networking trace left out: it waits for the destination's
  /// probes and then only reads their packets), against which the run's total shows the concurrency.
  var step_sum_us: Int64?
  /// check: the run's own duration_ms.
  var run_us: Int64?
}

enum Readers {
  static func read(_ tool: Tool, _ run: TimedRun, expected: Expectation) -> Reading {
    var reading = Reading(wall_us: run.wallMicroseconds, exit_status: run.status, answer: "")
    if run.killed {
      reading.answer = "killed after the benchmark's limit"
      reading.correct = false
      return reading
    }
    switch tool {
    case .check: readCheck(run, expected: expected, into: &reading)
    case .probeTCP: readProbe(run, expected: expected, into: &reading)
    case .netcat:
      let open = run.status == 0
      reading.answer = open ? "open" : "not open (exit \(run.status), no reason given)"
      reading.correct = open == expected.open
    case .ping:
      reading.answer = pingAnswer(run)
    case .nping:
      reading.answer = npingAnswer(run)
      reading.correct = (reading.answer == "SYN-ACK") == expected.open
    }
    return reading
  }

  private static func readCheck(_ run: TimedRun, expected: Expectation, into reading: inout Reading) {
    guard let document = jsonObject(run.stdout) ?? run.lines.reversed().lazy.compactMap(jsonObject).first,
          let diagnosis = document["diagnosis"] as? [String: Any], let id = diagnosis["id"] as? String else {
      reading.answer = "no JSON (exit \(run.status)): " + firstLine(run.stderr)
      reading.correct = false
      return
    }
    let secondary = (diagnosis["secondary"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
    reading.answer = id + (secondary.isEmpty ? "" : " +" + secondary.joined(separator: ",+"))
    reading.correct = id == expected.diagnosis
    reading.secondary_correct = Set(expected.secondary).isSubset(of: Set(secondary))
    let final = microseconds(milliseconds: diagnosis["final_at_ms"])
    reading.in_process_us = final
    if let provisional = diagnosis["provisional_id"] as? String, let at = microseconds(milliseconds: diagnosis["provisional_at_ms"]) {
      reading.provisional = provisional
      reading.first_verdict_us = at
    } else {
      reading.first_verdict_us = final
    }
    if let duration = microseconds(milliseconds: document["duration_ms"]) {
      reading.outside_run_us = run.wallMicroseconds - duration
      reading.run_us = duration
    }
    let steps = (document["steps"] as? [[String: Any]] ?? []).compactMap { step -> (String, Int64)? in
      guard let id = step["id"] as? String, let duration = microseconds(milliseconds: step["duration_ms"]) else { return nil }
      return (id, duration)
    }
    reading.step_sum_us = steps.filter { $0.0 != "networking-trace" }.reduce(0) { $0 + $1.1 }
    // The networking trace waits for the destination's probes: it is never the step that holds the run up.
    if let slowest = steps.filter({ $0.0 != "networking-trace" }).max(by: { $0.1 < $1.1 }) {
      reading.slowest_step = slowest.0
      reading.slowest_step_us = slowest.1
    }
  }

  private static func readProbe(_ run: TimedRun, expected: Expectation, into reading: inout Reading) {
    let objects = run.lines.compactMap(jsonObject)
    if let probe = objects.first(where: { $0["type"] as? String == "probe" }), let outcome = probe["outcome"] as? String {
      reading.answer = outcome
      reading.in_process_us = (probe["elapsedMicroseconds"] as? NSNumber)?.int64Value
    } else if let failure = objects.first(where: { $0["type"] as? String == "resolution-error" }) {
      reading.answer = "resolution-error:" + (failure["kind"] as? String ?? "?")
      reading.in_process_us = (failure["elapsedMicroseconds"] as? NSNumber)?.int64Value
    } else {
      reading.answer = "no JSON (exit \(run.status)): " + firstLine(run.stderr)
    }
    reading.correct = reading.answer == expected.tcpOutcome
  }

  /// ping's answer: a reply, an ICMP error and who sent it, a local error, or nothing.
  static func pingAnswer(_ run: TimedRun) -> String {
    if run.status == 0 { return "reply" }
    // "From 198.18.1.1 icmp_seq=1 Destination Host Unreachable"
    if let line = run.lines.first(where: { $0.hasPrefix("From ") }) {
      let words = line.split(separator: " ")
      let sender = words.count > 1 ? String(words[1]) : "?"
      let message = words.drop { !$0.hasPrefix("icmp_seq=") }.dropFirst().joined(separator: " ")
      return "\(message) from \(sender)"
    }
    // "/usr/bin/ping: www.lab.test: Name or service not known", "ping: connect: Network is unreachable"
    var complaint = Substring(firstLine(run.stderr))
    for prefix in ["\(Toolbox.pingPath): ", "ping: "] where complaint.hasPrefix(prefix) { complaint = complaint.dropFirst(prefix.count) }
    return complaint.isEmpty ? "no reply" : String(complaint)
  }

  /// nping's answer to its one SYN: SYN-ACK, RST, an ICMP error (type/code and sender), or nothing.
  static func npingAnswer(_ run: TimedRun) -> String {
    for line in run.lines where line.hasPrefix("RCVD") {
      let words = line.split(separator: " ").map(String.init)
      if let icmp = words.firstIndex(of: "ICMP") {
        let sender = icmp + 1 < words.count ? words[icmp + 1].trimmingCharacters(in: CharacterSet(charactersIn: "[")) : "?"
        let code = words.first { $0.hasPrefix("(type=") }?.trimmingCharacters(in: CharacterSet(charactersIn: "()")) ?? "?"
        return "ICMP \(code) from \(sender)"
      }
      if words.contains("SA") { return "SYN-ACK" }
      if words.contains("RA") || words.contains("R") { return "RST" }
    }
    if run.stdout.contains("Rcvd: 0") { return "nothing" }
    // "Failed to resolve given hostname/IP: www.lab.test.  Note that you can't use '/mask' ...": the first sentence.
    let output = run.stderr.isEmpty ? run.lines.filter { !$0.hasPrefix("Starting Nping") }.joined(separator: "\n") : run.stderr
    let complaint = firstLine(output).components(separatedBy: ".  ")[0]
    return complaint.isEmpty ? "nothing (exit \(run.status))" : complaint
  }

  static func jsonObject(_ text: String) -> [String: Any]? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
  }

  static func firstLine(_ text: String) -> String {
    String(text.split(separator: "\n").first { !$0.trimmingCharacters(in: .whitespaces).isEmpty } ?? "").prefix(120)
      .trimmingCharacters(in: .whitespaces)
  }

  private static func microseconds(milliseconds value: Any?) -> Int64? {
    (value as? NSNumber).map { Int64(($0.doubleValue * 1000).rounded()) }
  }
}
