/// Summary statistics of a run of probes, PsPing style: counts, loss, and the spread of answer times.
public struct ProbeStatistics: Codable, Sendable, Hashable {
  public var sent: Int
  public var answered: Int
  /// Percentage of sent probes without an answer, 0...100.
  public var lossPercent: Double
  /// Answer times in microseconds; nil when nothing answered.
  public var minimumMicroseconds: Int64?
  public var averageMicroseconds: Double?
  public var medianMicroseconds: Double?
  public var percentile95Microseconds: Double?
  public var maximumMicroseconds: Int64?
  /// Population standard deviation (as ping's mdev).
  public var standardDeviationMicroseconds: Double?
  /// Mean absolute difference between consecutive answer times.
  public var jitterMicroseconds: Double?
  /// How many probes ended each way, keyed by the outcome's raw value.
  public var outcomes: [String: Int]

  /// Summarises results; only answered probes contribute times.
  public init(_ results: [ProbeResult]) {
    self.init(outcomes: results.map(\.outcome), answerTimes: results.filter { $0.outcome.isAnswer }.map(\.answerMicroseconds))
  }

  public init(outcomes: [ProbeOutcome], answerTimes: [Int64]) {
    sent = outcomes.count
    answered = outcomes.filter(\.isAnswer).count
    lossPercent = sent == 0 ? 0 : Double(sent - answered) * 100 / Double(sent)
    var counts: [String: Int] = [:]
    for outcome in outcomes { counts[outcome.rawValue, default: 0] += 1 }
    self.outcomes = counts
    guard !answerTimes.isEmpty else { return }
    let sorted = answerTimes.sorted()
    let values = answerTimes.map(Double.init)
    let mean = values.reduce(0, +) / Double(values.count)
    minimumMicroseconds = sorted.first
    maximumMicroseconds = sorted.last
    averageMicroseconds = mean
    medianMicroseconds = ProbeStatistics.percentile(50, ofSorted: sorted)
    percentile95Microseconds = ProbeStatistics.percentile(95, ofSorted: sorted)
    standardDeviationMicroseconds = (values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count)).squareRoot()
    jitterMicroseconds = values.count < 2 ? 0 : zip(values, values.dropFirst()).map { abs($1 - $0) }.reduce(0, +) / Double(values.count - 1)
  }

  /// The p-th percentile by linear interpolation between closest ranks (the common "type 7" definition).
  public static func percentile(_ p: Double, ofSorted sorted: [Int64]) -> Double? {
    guard !sorted.isEmpty else { return nil }
    let rank = p / 100 * Double(sorted.count - 1)
    let lower = Int(rank.rounded(.down))
    let upper = min(lower + 1, sorted.count - 1)
    let fraction = rank - Double(lower)
    return Double(sorted[lower]) + (Double(sorted[upper]) - Double(sorted[lower])) * fraction
  }
}
