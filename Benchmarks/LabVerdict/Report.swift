import Foundation

/// The whole run, as `--json` prints it.
struct BenchReport: Codable, Sendable {
  var environment: [String: String]
  var runs: Int
  var timeout_s: Int
  var delay_ms: Int
  var rtt_count: Int
  /// Runs per scenario that include nping.
  var nping_runs: Int
  /// `ip netns exec ntlab-client /usr/bin/true`: the part of every wall time that is entering the namespace.
  var namespace_exec_us: Spread?
  /// `ip netns exec ntlab-client nettriage --version`: entering the namespace plus starting the Swift program.
  var nettriage_start_us: Spread?
  /// The healthy path's handshake (probe tcp, in-process median): the "one RTT" of the targets.
  var path_rtt_us: Int64
  /// `check` with no target in the lab client (measured with the healthy scenario).
  var idle_check: IdleCheck?
  var scenarios: [ScenarioResult]
  var rtt_accuracy: [RTTSeries]
  var targets: [TargetCheck]
  /// Issue 5's targets for `check`.
  var check_targets: [TargetCheck]
  /// Runs where nettriage's check or probe tcp gave the wrong answer, with the command that reproduces them.
  var wrong_answers: [String]
  var duration_s: Double
}

/// `check` with no target, timed in the lab client.
struct IdleCheck: Codable, Sendable {
  var run_us: Spread?
  var wall_us: Spread?
  var answers: [String: Int]
}

/// The Markdown tables.
enum Markdown {
  static func render(_ report: BenchReport) -> [String] {
    var lines: [String] = []
    lines.append("## lab-verdict-bench: time to verdict per lab scenario, and RTT accuracy under delay")
    lines.append("")
    lines.append(report.environment.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
    lines.append("\(report.runs) runs per tool per scenario (tools take turns; nping in \(report.nping_runs) of them), timeout "
                 + "\(report.timeout_s) s for every tool, delay line \(report.delay_ms) ms each way, total \(fixed(report.duration_s, 0)) s")
    lines.append("")
    if let spread = report.namespace_exec_us {
      lines.append("- `ip netns exec ntlab-client /usr/bin/true`: median \(ms(spread.median)) ms, p95 \(ms(spread.p95)) ms (inside every wall time below)")
    }
    if let spread = report.nettriage_start_us {
      lines.append("- `ip netns exec ntlab-client nettriage --version`: median \(ms(spread.median)) ms, p95 \(ms(spread.p95)) ms (starting the Swift program)")
    }
    lines.append("- healthy path RTT (probe tcp, in-process): \(ms(report.path_rtt_us)) ms")
    lines.append("")
    lines.append("### Time to verdict, ms: median / p95")
    lines.append("")
    lines.append("check first = in-process time to its first verdict (provisional if one came, else final); probe = the probe's "
                 + "own elapsed time; exit = spawn to exit, wall clock, including `ip netns exec` and process start.")
    lines.append("")
    lines.append("| scenario | expected | check first | check exit | probe | probe tcp exit | nc -z exit | ping exit | nping exit |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for result in report.scenarios {
      if let skipped = result.skipped {
        lines.append("| \(result.name) | \(result.expected.diagnosis) | skipped: \(skipped) | | | | | | |")
        continue
      }
      let cells = [
        spread(result.summary(.check)?.first_verdict_us), spread(result.summary(.check)?.wall_us),
        spread(result.summary(.probeTCP)?.in_process_us), spread(result.summary(.probeTCP)?.wall_us),
        spread(result.summary(.netcat)?.wall_us), spread(result.summary(.ping)?.wall_us), spread(result.summary(.nping)?.wall_us),
      ]
      lines.append("| \(result.name) | \(result.expected.diagnosis) | " + cells.joined(separator: " | ") + " |")
    }
    lines.append("")
    lines.append("### Answers (right / runs)")
    lines.append("")
    lines.append("check: diagnosis id (+secondary findings) against the scenario's id; probe tcp: outcome against the scenario's; "
                 + "nc -z and nping: open or not; ping answers whether the host echoes, not whether the port is open.")
    lines.append("")
    lines.append("| scenario | check | probe tcp | nc -z | ping | nping |")
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for result in report.scenarios where result.skipped == nil {
      let cells = Tool.allCases.map { tool -> String in
        guard let summary = result.tools.first(where: { $0.tool == tool }) else { return "-" }
        if let skipped = summary.skipped { return "skipped: \(skipped)" }
        return answerCell(summary)
      }
      lines.append("| \(result.name) | " + cells.joined(separator: " | ") + " |")
    }
    lines.append("")
    lines.append("### Where check takes longer than nc -z")
    lines.append("")
    lines.append("| scenario | check exit − nc exit, ms (medians) | provisional verdict first | slowest step (median ms) |")
    lines.append("| --- | ---: | --- | --- |")
    for result in report.scenarios where result.skipped == nil {
      guard let check = result.summary(.check), let checkWall = check.wall_us?.median,
            let nc = result.summary(.netcat)?.wall_us?.median else { continue }
      let step = check.slowestStep.map { "\($0.id) (\(ms($0.median)))" } ?? "-"
      lines.append("| \(result.name) | \(ms(checkWall - nc)) | \(check.provisional_runs)/\(check.runs) | \(step) |")
    }
    lines.append("")
    lines.append("### check: the whole run against the sum of its steps (issue 5)")
    lines.append("")
    lines.append("final = in-process time to the final verdict; provisional = to the provisional verdict when one came first; "
                 + "steps = the sum of the steps' own times (networking trace left out: it waits for the destination's probes, then "
                 + "reads their packets); the steps run concurrently, so the run takes about its slowest step, not the sum. "
                 + "Medians / p95, ms.")
    lines.append("")
    lines.append("| scenario | answer | final | provisional | steps summed | run ÷ sum | slowest step |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | --- |")
    for result in report.scenarios where result.skipped == nil {
      guard let check = result.summary(.check) else { continue }
      let provisional = check.provisional_runs > 0 ? spread(Spread(check.readings.filter { $0.provisional != nil }.compactMap(\.first_verdict_us))) : "-"
      var ratio = "-"
      if let run = check.run_us?.median, let sum = check.step_sum_us?.median, sum > 0 { ratio = fixed(Double(run) / Double(sum), 2) }
      let step = check.slowestStep.map { "\($0.id) (\(ms($0.median)))" } ?? "-"
      lines.append("| \(result.name) | \(check.usualAnswer ?? "-") | \(spread(check.in_process_us)) | \(provisional) | "
                   + "\(spread(check.step_sum_us)) | \(ratio) | \(step) |")
    }
    if let idle = report.idle_check {
      lines.append("")
      lines.append("`check` with no target (local checks only) in the lab client: run \(spread(idle.run_us)) ms, exit \(spread(idle.wall_us)) ms, "
                   + "answers " + idle.answers.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", "))
    }
    lines.append("")
    lines.append("| target (issue 5) | scenario | measured ms | limit ms | met |")
    lines.append("| --- | --- | ---: | ---: | --- |")
    for check in report.check_targets {
      lines.append("| \(check.target) | \(check.scenario) | \(ms(check.measured_us)) | \(ms(check.limit_us)) | \(check.met ? "yes" : "no") |")
    }
    lines.append("")
    lines.append("### RTT accuracy, high-latency (delay line \(report.delay_ms) ms each way: truth \(2 * report.delay_ms) ms) "
                 + "and the healthy path")
    lines.append("")
    lines.append("delay line adds = median − truth − the same tool's median on the healthy path; vs ping = median − ping's median on the same path.")
    lines.append("")
    lines.append("| tool | scenario | answered | median µs | truth µs | error µs | error % | delay line adds µs | vs ping µs |")
    lines.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for series in report.rtt_accuracy {
      let ping = report.rtt_accuracy.first { $0.tool == "ping" && $0.scenario == series.scenario }?.median_us
      let versusPing = series.median_us.flatMap { median in ping.map { String(median - $0) } } ?? "-"
      lines.append("| \(series.tool) | \(series.scenario) | \(series.answered)/\(series.sent) | \(series.median_us.map(String.init) ?? "-") | "
                   + "\(series.truth_us) | \(series.error_us.map(String.init) ?? "-") | \(series.error_percent.map { fixed($0, 2) } ?? "-") | "
                   + "\(series.excess_over_baseline_us.map(String.init) ?? "-") | \(versusPing) |")
    }
    lines.append("")
    lines.append("### Targets (issue 4)")
    lines.append("")
    lines.append("| target | measured | met | missed (measured > limit, ms) |")
    lines.append("| --- | --- | ---: | --- |")
    var groups: [(key: String, checks: [TargetCheck])] = []
    for check in report.targets {
      let key = "\(check.target) | \(check.target.hasPrefix("RTT") ? "RTT median" : check.tool)"
      if let index = groups.firstIndex(where: { $0.key == key }) { groups[index].checks.append(check) } else { groups.append((key, [check])) }
    }
    for group in groups {
      let misses = group.checks.filter { !$0.met }
      let missed: String
      if misses.count <= 6 {
        missed = misses.map { "\(group.key.hasPrefix("RTT") ? $0.tool : $0.scenario) (\(ms($0.measured_us)) > \(ms($0.limit_us)))" }
          .joined(separator: ", ")
      } else {
        let excess = Spread(misses.map { $0.measured_us - $0.limit_us })?.median ?? 0
        missed = "\(misses.count) scenarios, by a median of \(ms(excess)) ms"
      }
      lines.append("| \(group.key) | \(group.checks.count - misses.count)/\(group.checks.count) | \(missed.isEmpty ? "-" : missed) |")
    }
    if !report.wrong_answers.isEmpty {
      lines.append("")
      lines.append("### nettriage answers that were wrong")
      lines.append("")
      // The same wrong answer in several runs is one line, with its count.
      var counts: [String: Int] = [:]
      for answer in report.wrong_answers { counts[answer, default: 0] += 1 }
      var seen: Set<String> = []
      for answer in report.wrong_answers where seen.insert(answer).inserted {
        lines.append("- " + (counts[answer]! > 1 ? "\(counts[answer]!)× " : "") + answer)
      }
    }
    return lines
  }

  static func answerCell(_ summary: ToolSummary) -> String {
    let answers = summary.answers.sorted { $0.value > $1.value || ($0.value == $1.value && $0.key < $1.key) }
      .map { summary.answers.count == 1 ? $0.key : "\($0.key) ×\($0.value)" }.joined(separator: "; ")
    let escaped = answers.replacingOccurrences(of: "|", with: "\\|")
    guard summary.judged > 0 else { return escaped }
    var cell = "\(escaped) (\(summary.correct)/\(summary.judged))"
    if summary.tool == .check && summary.secondary_correct < summary.runs { cell += " secondary missing \(summary.runs - summary.secondary_correct)×" }
    return cell
  }

  static func spread(_ spread: Spread?) -> String {
    guard let spread else { return "-" }
    return "\(ms(spread.median)) / \(ms(spread.p95))"
  }

  /// Microseconds as milliseconds, one decimal (two under 10 ms).
  static func ms(_ microseconds: Int64) -> String {
    let value = Double(microseconds) / 1000
    return fixed(value, abs(value) < 10 ? 2 : 1)
  }
}

/// Fixed-point text: `fixed(3.14159, 2) == "3.14"`.
func fixed(_ value: Double, _ decimals: Int) -> String {
  String(format: "%.\(decimals)f", value)
}
