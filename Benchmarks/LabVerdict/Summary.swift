import NetProbe

/// Median, p95 and range of a set of microsecond samples (p95 interpolated, as ProbeStatistics does it: with 5
/// runs it lies between the 4th and 5th fastest).
struct Spread: Codable, Sendable {
  var samples: Int
  var min: Int64
  var median: Int64
  var p95: Int64
  var max: Int64

  init?(_ values: [Int64]) {
    let sorted = values.sorted()
    guard let first = sorted.first, let last = sorted.last,
          let median = ProbeStatistics.percentile(50, ofSorted: sorted),
          let p95 = ProbeStatistics.percentile(95, ofSorted: sorted) else { return nil }
    samples = sorted.count
    min = first
    self.median = Int64(median.rounded())
    self.p95 = Int64(p95.rounded())
    max = last
  }
}

/// One tool against one scenario, over all runs.
struct ToolSummary: Codable, Sendable {
  var tool: Tool
  /// Why it did not run here.
  var skipped: String?
  var runs = 0
  /// Runs whose answer was right, of the runs that can be judged (`judged`).
  var correct = 0
  var judged = 0
  /// Each distinct answer and how often it came.
  var answers: [String: Int] = [:]
  /// From spawn to exit (includes `ip netns exec` and the program's start).
  var wall_us: Spread?
  /// check: to its first verdict (provisional, else final), in-process.
  var first_verdict_us: Spread?
  /// check: to its final verdict; probe tcp: the probe's own elapsed time. In-process.
  var in_process_us: Spread?
  /// check: wall time outside its own run (process start, namespace entry, exit).
  var outside_run_us: Spread?
  /// check: the sum of its steps' own times, and the run's duration (see `Reading.step_sum_us`).
  var step_sum_us: Spread?
  var run_us: Spread?
  /// check: runs that gave a provisional verdict first.
  var provisional_runs = 0
  /// check: runs whose secondary findings were all there.
  var secondary_correct = 0
  /// check: which step was slowest, how often.
  var slowest_steps: [String: Int] = [:]
  var readings: [Reading] = []

  init(tool: Tool, skipped: String? = nil) {
    self.tool = tool
    self.skipped = skipped
  }

  mutating func add(_ reading: Reading) {
    readings.append(reading)
    runs += 1
    answers[reading.answer, default: 0] += 1
    if let right = reading.correct {
      judged += 1
      if right { correct += 1 }
    }
    if reading.provisional != nil { provisional_runs += 1 }
    if reading.secondary_correct == true { secondary_correct += 1 }
    if let step = reading.slowest_step { slowest_steps[step, default: 0] += 1 }
    wall_us = Spread(readings.map(\.wall_us))
    first_verdict_us = Spread(readings.compactMap(\.first_verdict_us))
    in_process_us = Spread(readings.compactMap(\.in_process_us))
    outside_run_us = Spread(readings.compactMap(\.outside_run_us))
    step_sum_us = Spread(readings.compactMap(\.step_sum_us))
    run_us = Spread(readings.compactMap(\.run_us))
  }

  /// The answer given most often.
  var usualAnswer: String? { answers.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key }

  /// The median duration of the slowest step, over the runs where it was slowest.
  var slowestStep: (id: String, median: Int64)? {
    guard let id = slowest_steps.max(by: { $0.value < $1.value })?.key,
          let spread = Spread(readings.filter { $0.slowest_step == id }.compactMap(\.slowest_step_us)) else { return nil }
    return (id, spread.median)
  }
}

/// Everything measured for one scenario.
struct ScenarioResult: Codable, Sendable {
  var name: String
  var target: String
  var expected: Expectation
  var tools: [ToolSummary]
  /// Why the scenario was not measured (cannot be built here, lab up failed).
  var skipped: String?

  func summary(_ tool: Tool) -> ToolSummary? { tools.first { $0.tool == tool && $0.skipped == nil && $0.runs > 0 } }
}
