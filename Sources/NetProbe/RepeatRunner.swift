/// Runs a probe again and again, PsPing style: warm-up probes first (not counted), then `count` probes
/// `interval` apart (0 = until cancelled), each result handed over as it comes.
public struct RepeatRunner: Sendable {
  public var count: Int
  public var interval: Duration
  public var warmup: Int

  public init(count: Int, interval: Duration, warmup: Int = 0) {
    self.count = count
    self.interval = interval
    self.warmup = warmup
  }

  /// One probe's result in the stream, numbered from 1; warm-up probes are numbered too and marked.
  public struct Event: Sendable {
    public var sequence: Int
    public var isWarmup: Bool
    public var result: ProbeResult
  }

  /// Runs until `count` counted probes are done or the task is cancelled; returns the counted results.
  /// A probe cut short by cancellation is neither reported nor counted.
  public func run(_ probe: @Sendable () async -> ProbeResult, onEvent: (Event) -> Void) async -> [ProbeResult] {
    await run({ _ in await probe() }, isCancelled: { $0.outcome == .cancelled }) { sequence, isWarmup, result in
      onEvent(Event(sequence: sequence, isWarmup: isWarmup, result: result))
    }
  }

  /// The same loop for any result type: `probe` gets the probe's number (from 1, warm-ups included); a result for
  /// which `isCancelled` is true ends the loop without being reported or counted.
  public func run<Result>(_ probe: (Int) async -> Result, isCancelled: (Result) -> Bool,
                          onEvent: (_ sequence: Int, _ isWarmup: Bool, Result) -> Void) async -> [Result] {
    var counted: [Result] = []
    var sequence = 0
    // Probes start `interval` apart, as ping sends; a probe slower than the interval delays only the next one.
    var nextStart = ContinuousClock.now
    while !Task.isCancelled, count == 0 || counted.count < count {
      if sequence > 0, nextStart > .now {
        do { try await Task.sleep(until: nextStart) } catch { break }
      }
      nextStart = max(nextStart, .now) + interval
      let result = await probe(sequence + 1)
      if Task.isCancelled || isCancelled(result) { break }
      sequence += 1
      let isWarmup = sequence <= warmup
      onEvent(sequence, isWarmup, result)
      if !isWarmup { counted.append(result) }
    }
    return counted
  }
}
