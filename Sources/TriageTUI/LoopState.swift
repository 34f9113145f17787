import NetProbe
import Triage

/// Repeat testing: one probe in a loop, a rolling window of its latest results and running totals since the start.
public struct LoopState: Hashable, Sendable {
  /// What is probed: `tcp 127.0.0.1:8080`.
  public var label: String
  /// Why this probe (when the selected step has none of its own).
  public var note: String?
  public var intervalMicroseconds: Int64
  public var isPaused = false
  /// The latest results, oldest first, at most `windowCapacity`.
  public private(set) var window: [LoopSample] = []
  public private(set) var totals = LoopTotals()
  /// Numbering of the probes since the loop started (or was cleared).
  public private(set) var sequence = 0
  public static let windowCapacity = 200

  public init(label: String, note: String? = nil, intervalMicroseconds: Int64) {
    self.label = label
    self.note = note
    self.intervalMicroseconds = intervalMicroseconds
  }

  public mutating func append(_ result: ProbeResult) {
    sequence += 1
    let sample = LoopSample(sequence: sequence, outcome: result.outcome, microseconds: result.answerMicroseconds,
                            text: ProbeText.describe(result.final, kind: result.kind))
    window.append(sample)
    if window.count > Self.windowCapacity { window.removeFirst(window.count - Self.windowCapacity) }
    totals.add(sample)
  }

  /// Forgets the results and starts counting again.
  public mutating func clear() {
    window = []
    totals = LoopTotals()
    sequence = 0
  }

  /// Statistics of the window (the last `count` results).
  public func windowStatistics(last count: Int? = nil) -> ProbeStatistics {
    let samples = count.map { Array(window.suffix($0)) } ?? window
    return ProbeStatistics(outcomes: samples.map(\.outcome), answerTimes: samples.filter(\.answered).map(\.microseconds))
  }
}

/// One probe of the loop.
public struct LoopSample: Hashable, Sendable {
  public var sequence: Int
  public var outcome: ProbeOutcome
  public var microseconds: Int64
  /// `connected in 0.081 ms  from 127.0.0.1:41234`
  public var text: String

  public var answered: Bool { outcome.isAnswer }
}

/// Running totals over every probe of the loop, kept in constant space however long it runs.
public struct LoopTotals: Hashable, Sendable {
  public private(set) var sent = 0
  public private(set) var answered = 0
  public private(set) var minimumMicroseconds: Int64?
  public private(set) var maximumMicroseconds: Int64?
  private var sumMicroseconds: Double = 0
  private var jitterSum: Double = 0
  private var lastAnswer: Int64?
  public private(set) var outcomes: [ProbeOutcome: Int] = [:]

  public var lossPercent: Double { sent == 0 ? 0 : Double(sent - answered) * 100 / Double(sent) }
  public var averageMicroseconds: Double? { answered == 0 ? nil : sumMicroseconds / Double(answered) }
  /// Mean absolute difference between consecutive answer times.
  public var jitterMicroseconds: Double? { answered < 2 ? nil : jitterSum / Double(answered - 1) }

  mutating func add(_ sample: LoopSample) {
    sent += 1
    outcomes[sample.outcome, default: 0] += 1
    guard sample.answered else { return }
    answered += 1
    let time = sample.microseconds
    minimumMicroseconds = min(minimumMicroseconds ?? time, time)
    maximumMicroseconds = max(maximumMicroseconds ?? time, time)
    sumMicroseconds += Double(time)
    if let lastAnswer { jitterSum += Double(abs(time - lastAnswer)) }
    lastAnswer = time
  }
}
