import Testing
@testable import NetProbe
import TestSupport

@Suite struct RepeatRunnerTests {
  static func fake(_ outcome: ProbeOutcome, _ microseconds: Int64 = 100) -> ProbeResult {
    ProbeResult(kind: .tcp, target: "fake", attempts: [ProbeAttempt(address: nil, outcome: outcome, elapsedMicroseconds: microseconds)])
  }

  @Test func warmupProbesAreShownButNotCounted() async {
    let runner = RepeatRunner(count: 3, interval: .zero, warmup: 2)
    var events: [(Int, Bool)] = []
    let counted = await runner.run({ Self.fake(.connected) }) { events.append(($0.sequence, $0.isWarmup)) }
    #expect(events.map(\.0) == [1, 2, 3, 4, 5])
    #expect(events.map(\.1) == [true, true, false, false, false])
    #expect(counted.count == 3)
  }

  @Test func untilCancelledStopsWithWhatCompleted() async throws {
    let runner = RepeatRunner(count: 0, interval: .milliseconds(10))
    let task = Task { await runner.run({ Self.fake(.refused) }) { _ in } }
    try await Task.sleep(for: .milliseconds(200))
    task.cancel()
    let counted = await task.value
    #expect(counted.count >= 2)
    #expect(counted.allSatisfy { $0.outcome == .refused })
  }

  @Test func aCancelledProbeIsNotCounted() async {
    let runner = RepeatRunner(count: 5, interval: .zero)
    var calls = 0
    let counted = await runner.run({ Self.fake(.cancelled) }) { _ in calls += 1 }
    #expect(counted.isEmpty)
    #expect(calls == 0)
  }

  @Test func probesStartAnIntervalApart() async {
    let runner = RepeatRunner(count: 4, interval: .milliseconds(50))
    let started = ContinuousClock.now
    _ = await runner.run({ Self.fake(.connected) }) { _ in }
    // Three gaps of 50 ms at least; the upper bound is loose: a shared machine may be slow.
    #expect(ContinuousClock.now - started >= .milliseconds(150))
  }
}
