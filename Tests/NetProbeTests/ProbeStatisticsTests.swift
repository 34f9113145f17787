import Testing
@testable import NetProbe
import TestSupport

@Suite struct ProbeStatisticsTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var outcomes: [ProbeOutcome]
    var times: [Int64]
    var loss: Double
    var minimum: Int64?, maximum: Int64?
    var average: Double?, median: Double?, p95: Double?, deviation: Double?, jitter: Double?
    var testDescription: String { "\(outcomes.count) outcomes, times \(times)" }
  }

  static let cases: [Case] = [
    // Nothing answered: 100% loss and no times at all.
    Case(outcomes: [.timedOut, .refused], times: [], loss: 100),
    // One answer: every figure is that answer, no spread.
    Case(outcomes: [.connected], times: [250], loss: 0, minimum: 250, maximum: 250, average: 250, median: 250, p95: 250,
         deviation: 0, jitter: 0),
    // 1..10 ms: median 5.5, p95 by interpolation 9.55, population stddev sqrt(8.25).
    Case(outcomes: Array(repeating: .connected, count: 10), times: (1...10).map { Int64($0) * 1000 }, loss: 0,
         minimum: 1000, maximum: 10_000, average: 5500, median: 5500, p95: 9550, deviation: 2872.281323, jitter: 1000),
    // 3 of 4 answered: 25% loss; times unsorted on input.
    Case(outcomes: [.connected, .timedOut, .connected, .connected], times: [300, 100, 200], loss: 25,
         minimum: 100, maximum: 300, average: 200, median: 200, p95: 290, deviation: 81.649658, jitter: 150),
  ]

  @Test(arguments: cases)
  func summarises(_ c: Case) {
    let s = ProbeStatistics(outcomes: c.outcomes, answerTimes: c.times)
    #expect(s.sent == c.outcomes.count)
    #expect(s.answered == c.outcomes.filter(\.isAnswer).count)
    #expect(abs(s.lossPercent - c.loss) < 1e-9)
    #expect(s.minimumMicroseconds == c.minimum)
    #expect(s.maximumMicroseconds == c.maximum)
    #expect(close(s.averageMicroseconds, c.average))
    #expect(close(s.medianMicroseconds, c.median))
    #expect(close(s.percentile95Microseconds, c.p95))
    #expect(close(s.standardDeviationMicroseconds, c.deviation))
    #expect(close(s.jitterMicroseconds, c.jitter))
  }

  @Test func countsEachOutcome() {
    let s = ProbeStatistics(outcomes: [.connected, .refused, .refused, .timedOut], answerTimes: [10])
    #expect(s.outcomes == ["connected": 1, "refused": 2, "timed-out": 1])
    #expect(s.lossPercent == 75)
  }

  @Test func emptyRunHasNoLoss() {
    let s = ProbeStatistics(outcomes: [], answerTimes: [])
    #expect(s.sent == 0 && s.lossPercent == 0 && s.averageMicroseconds == nil)
  }

  @Test(arguments: [(50.0, 25.0), (0.0, 10.0), (100.0, 40.0), (95.0, 38.5), (25.0, 17.5)])
  func percentileInterpolates(p: Double, expected: Double) {
    #expect(ProbeStatistics.percentile(p, ofSorted: [10, 20, 30, 40]) == expected)
  }

  private func close(_ a: Double?, _ b: Double?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case let (a?, b?): return abs(a - b) < 1e-3
    default: return false
    }
  }
}
