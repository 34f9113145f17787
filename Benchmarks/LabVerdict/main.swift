// lab-verdict-bench: time to verdict per lab scenario for `nettriage check` and `nettriage probe tcp`, beside
// `nc -z`, `ping` and `nping` in the same run, each run inside the lab's client namespace; and the RTT that
// nettriage's TCP and ICMP probes (and ping, nping) measure through the lab's delay line against its configured
// delay. Root only; traffic stays inside the lab's namespaces. The lab is torn down at the end, on Ctrl-C too.
//
//   swift build -c release --static-swift-stdlib --product nettriage && swift build -c release --static-swift-stdlib --product lab-verdict-bench
//   flock /tmp/ntlab.lock swift run -c release --skip-build lab-verdict-bench [--runs N] [--timeout S] [--json] ...
import Foundation
import Lab
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

let usage = """
  usage: lab-verdict-bench [--runs N] [--nping-runs N] [--timeout S] [--delay-ms D] [--rtt-count N]
                           [--scenario NAME]... [--nettriage PATH] [--no-rtt] [--json]
    --runs N          timed runs of each tool per scenario, the tools taking turns (default 5)
    --nping-runs N    of those, how many include nping, which always waits out its --delay (at most 1 s) (default 1)
    --timeout S       whole seconds every tool waits: check -t, probe tcp -t, nc -w, ping -W, nping --delay (default 1,
                      the lab's design point: a failed ARP takes 0.3 s, a silent DNS server 1 s)
    --delay-ms D      the high-latency scenario's delay line, each way (default 25: a 50 ms round trip)
    --rtt-count N     probes per tool in the RTT accuracy series (default 20, 0.1 s apart)
    --scenario NAME   measure only this scenario (repeatable); `nettriage lab list` names them
    --nettriage PATH  the nettriage binary (default: the one beside this executable)
    --no-rtt          skip the RTT accuracy series
    --json            print one JSON object instead of the Markdown tables
  Root only. Build nettriage beside it first, then hold the lab lock only while it runs:
    swift build -c release --static-swift-stdlib --product nettriage && swift build -c release --static-swift-stdlib --product lab-verdict-bench
    flock /tmp/ntlab.lock swift run -c release --skip-build lab-verdict-bench
  Exit status: 0, or 1 when nettriage gave a wrong answer (listed at the end), 2 bad usage, 3 cannot run here.
  """

func fail(_ message: String, status: Int32 = 2) -> Never {
  printError("lab-verdict-bench: \(message)\n")
  if status == 2 { printError(usage + "\n") }
  exit(status)
}

var runs = 5
var npingRuns = 1
var timeoutSeconds = 1
var delayMilliseconds = 25
var rttCount = 20
var chosen: [String] = []
var nettriagePath: String?
var wantRTT = true
var wantJSON = false
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
  switch argument {
  case "--runs", "--nping-runs", "--timeout", "--delay-ms", "--rtt-count":
    guard let text = arguments.popFirst(), let value = Int(text), value >= (argument == "--nping-runs" ? 0 : 1), value <= 10_000 else {
      fail("\(argument) needs a whole number from \(argument == "--nping-runs" ? 0 : 1) to 10000")
    }
    switch argument {
    case "--runs": runs = value
    case "--nping-runs": npingRuns = value
    case "--timeout": timeoutSeconds = value
    case "--delay-ms": delayMilliseconds = value
    default: rttCount = value
    }
  case "--scenario":
    guard let name = arguments.popFirst() else { fail("--scenario needs a name") }
    chosen.append(name)
  case "--nettriage":
    guard let path = arguments.popFirst() else { fail("--nettriage needs a path") }
    nettriagePath = path
  case "--no-rtt": wantRTT = false
  case "--json": wantJSON = true
  case "-h", "--help":
    print(usage)
    exit(0)
  default: fail("unknown argument \(argument)")
  }
}
guard timeoutSeconds <= 60, delayMilliseconds <= 2000 else { fail("--timeout is at most 60 s and --delay-ms at most 2000") }

let parameters = ScenarioParameters(delayMilliseconds: delayMilliseconds, lossPercent: ScenarioParameters.standard.lossPercent)
let catalog = Scenario.catalog(parameters)
for name in chosen where !catalog.contains(where: { $0.name == name }) {
  fail("no scenario named \(name): \(catalog.map(\.name).joined(separator: ", "))")
}
let scenarios = catalog.filter { (chosen.isEmpty || chosen.contains($0.name)) && ScenarioTarget($0.target) != nil }

do { try Lab.requireRoot() } catch { fail(error.message, status: 3) }
if let reason = SharedLabLock.acquire() { fail(reason, status: 3) }

// The binary: given, or beside this executable (`swift build -c release --product nettriage` puts it there).
let executable = Lab.currentExecutable
let nettriage = nettriagePath.map { $0.hasPrefix("/") ? $0 : FileManager.default.currentDirectoryPath + "/" + $0 }
  ?? ((executable as NSString).deletingLastPathComponent + "/nettriage")
guard FileManager.default.isExecutableFile(atPath: nettriage) else {
  fail("no nettriage binary at \(nettriage): build it first with swift build -c release --static-swift-stdlib --product nettriage "
       + "(same --scratch-path), or give --nettriage PATH", status: 3)
}
let toolbox = Toolbox(nettriage: nettriage, timeoutSeconds: timeoutSeconds)
@MainActor func progress(_ text: String) { printError(text) }

let session = LabSession(nettriage: nettriage)
session.handleSignals()
let began = ContinuousClock.now
let built = (try? FileManager.default.attributesOfItem(atPath: nettriage)[.modificationDate] as? Date).map {
  ISO8601DateFormatter().string(from: $0)
} ?? "?"
var environment = [
  "kernel": kernelRelease(),
  "cpus": String(ProcessInfo.processInfo.activeProcessorCount),
  "nettriage": nettriage + " (built \(built))",
]
for (name, path) in [("nc", toolbox.netcat), ("ping", toolbox.ping), ("nping", toolbox.nping)] {
  environment[name] = path ?? "not installed"
}
progress("lab-verdict-bench: \(scenarios.count) scenarios, \(runs) runs each, timeout \(timeoutSeconds) s; nettriage \(nettriage)\n")
for (name, path) in [("nc", toolbox.netcat), ("ping", toolbox.ping), ("nping", toolbox.nping)] where path == nil {
  progress("  \(name) not installed: its column stays empty\n")
}

var results: [ScenarioResult] = []
var rttSeries: [RTTSeries] = []
var baselineRTT: [RTTSeries] = []
var namespaceExec: Spread?
var nettriageStart: Spread?
var wrongAnswers: [String] = []
var idleCheck: IdleCheck?

for scenario in scenarios {
  let target = ScenarioTarget(scenario.target)!
  let expected = Expectation(scenario)
  var result = ScenarioResult(name: scenario.name, target: scenario.target, expected: expected, tools: [])
  if let reason = scenario.unavailable {
    result.skipped = reason
    results.append(result)
    continue
  }
  progress("\(scenario.name): up")
  do {
    try session.up(scenario, parameters: parameters)
  } catch {
    progress(" failed: \(error.message)\n")
    result.skipped = "lab up failed: \(error.message)"
    results.append(result)
    continue
  }
  let tools = Tool.allCases.filter { toolbox.skipReason($0, target: target) == nil }
  result.tools = Tool.allCases.map { ToolSummary(tool: $0, skipped: toolbox.skipReason($0, target: target)) }
  if results.isEmpty {
    // The first scenario also warms the page cache for every program (untimed) and times entering the namespace.
    for tool in tools { _ = TimedProcess.run(toolbox.arguments(tool, target: target)) }
    namespaceExec = Spread((0..<20).map { _ in TimedProcess.run(InsideLab.command(["/usr/bin/true"])).wallMicroseconds })
    nettriageStart = Spread((0..<20).map { _ in TimedProcess.run(InsideLab.command([nettriage, "--version"])).wallMicroseconds })
  }
  let limit = Duration.seconds(timeoutSeconds * 3 + 15)
  for round in 0..<runs {
    // Rotate the order, so that whatever the first program of a round pays (a cold neighbour entry) is shared.
    let turn = round < npingRuns ? tools : tools.filter { $0 != .nping }
    for offset in 0..<turn.count {
      let tool = turn[(offset + round) % turn.count]
      // A scenario whose fault shows only after a longer wait (listen-queue-overflow: SYN retransmits at 1-3 s)
      // gives every tool that longer timeout, so they are still compared on equal terms.
      var scenarioToolbox = toolbox
      scenarioToolbox.timeoutSeconds = max(timeoutSeconds, scenario.checkTimeoutSeconds)
      let argv = scenarioToolbox.arguments(tool, target: target)
      let reading = Readers.read(tool, TimedProcess.run(argv, limit: limit), expected: expected)
      result.tools[Tool.allCases.firstIndex(of: tool)!].add(reading)
      if (tool == .check || tool == .probeTCP) && reading.correct == false {
        wrongAnswers.append("\(scenario.name): \(tool.rawValue) answered \(reading.answer), expected "
          + (tool == .check ? expected.diagnosis : expected.tcpOutcome) + " (reproduce: nettriage lab up \(scenario.name); "
          + "nettriage lab exec -- nettriage " + argv.dropFirst(5).joined(separator: " ")
          + ")")
      } else if tool == .check && reading.secondary_correct == false {
        wrongAnswers.append("\(scenario.name): check answered \(reading.answer), missing the secondary finding(s) "
          + expected.secondary.joined(separator: ", ") + " (reproduce: nettriage lab up \(scenario.name); nettriage lab exec -- nettriage "
          + argv.dropFirst(5).joined(separator: " ") + ")")
      }
    }
    progress(".")
  }
  if scenario.name == "healthy" {
    // `check` with no target: the local checks alone (interfaces, routes, the lab router as gateway, the lab's DNS
    // server), what a technician gets by typing just `nettriage check`.
    progress(" idle")
    var runTimes: [Int64] = [], wallTimes: [Int64] = [], answers: [String: Int] = [:]
    for _ in 0..<runs {
      let run = TimedProcess.run(InsideLab.command([nettriage, "check", "--json"]), limit: .seconds(30))
      wallTimes.append(run.wallMicroseconds)
      let document = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any]
      if let duration = (document?["duration_ms"] as? NSNumber)?.doubleValue { runTimes.append(Int64(duration * 1000)) }
      let id = (document?["diagnosis"] as? [String: Any])?["id"] as? String ?? "no JSON (exit \(run.status))"
      answers[id, default: 0] += 1
    }
    idleCheck = IdleCheck(run_us: Spread(runTimes), wall_us: Spread(wallTimes), answers: answers)
  }
  if wantRTT && scenario.name == "healthy" {
    progress(" rtt")
    baselineRTT = RTTAccuracy.measure(scenario: scenario.name, truthMicroseconds: 0, count: rttCount, toolbox: toolbox)
  }
  if wantRTT && scenario.name == "high-latency" {
    progress(" rtt")
    rttSeries += RTTAccuracy.measure(scenario: scenario.name, truthMicroseconds: Int64(2 * delayMilliseconds) * 1000,
                                     count: rttCount, toolbox: toolbox, baseline: baselineRTT)
  }
  progress(" \(fixed(Double(microseconds(ContinuousClock.now - began)) / 1e6, 0)) s\n")
  results.append(result)
}
session.down()
progress("lab down\n")

// "One RTT": the healthy path's handshake as nettriage's probe timed it (else the baseline series').
let pathRTT = results.first { $0.name == "healthy" }?.summary(.probeTCP)?.in_process_us?.median
  ?? baselineRTT.first?.median_us ?? 0
let report = BenchReport(environment: environment, runs: runs, timeout_s: timeoutSeconds, delay_ms: delayMilliseconds,
                         rtt_count: rttCount, nping_runs: min(npingRuns, runs), namespace_exec_us: namespaceExec,
                         nettriage_start_us: nettriageStart, path_rtt_us: pathRTT, idle_check: idleCheck, scenarios: results,
                         rtt_accuracy: baselineRTT + rttSeries,
                         targets: Targets.evaluate(results, rtt: rttSeries, pathRTT: pathRTT, timeoutSeconds: timeoutSeconds),
                         check_targets: Targets.evaluateCheck(results, idle: idleCheck, timeoutSeconds: timeoutSeconds),
                         wrong_answers: wrongAnswers, duration_s: Double(microseconds(ContinuousClock.now - began)) / 1e6)
if wantJSON {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
  print(String(decoding: try encoder.encode(report), as: UTF8.self))
} else {
  Markdown.render(report).forEach { print($0) }
}
exit(wrongAnswers.isEmpty ? 0 : 1)
