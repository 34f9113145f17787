import Dispatch
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// The repeat loop for probes whose results are not `ProbeResult` (ICMP echo): warm-up probes first (shown, not
/// counted), then `count` probes `interval` apart (0 = until Ctrl-C), each handed to `onEvent` as it ends.
/// Ctrl-C (or SIGTERM) stops the loop so the summary of what completed can print; a second Ctrl-C leaves at once.
///
/// `probe` gets the probe's number (from 1, warm-ups included); a result for which `isCancelled` is true ends the
/// loop without being reported or counted.
func repeatWithInterrupt<Result: Sendable>(
  _ runner: RepeatRunner,
  probe: @escaping @Sendable (Int) async -> Result,
  isCancelled: @escaping @Sendable (Result) -> Bool,
  onEvent: @escaping @Sendable (_ sequence: Int, _ isWarmup: Bool, Result) -> Void
) async -> [Result] {
  let task = Task {
    var counted: [Result] = []
    var sequence = 0
    // Probes start `interval` apart, as ping sends; a probe slower than the interval delays only the next one.
    var nextStart = ContinuousClock.now
    while !Task.isCancelled, runner.count == 0 || counted.count < runner.count {
      if sequence > 0, nextStart > .now {
        do { try await Task.sleep(until: nextStart) } catch { break }
      }
      nextStart = max(nextStart, .now) + runner.interval
      let result = await probe(sequence + 1)
      if Task.isCancelled || isCancelled(result) { break }
      sequence += 1
      let isWarmup = sequence <= runner.warmup
      onEvent(sequence, isWarmup, result)
      if !isWarmup { counted.append(result) }
    }
    return counted
  }
  let sources = [SIGINT, SIGTERM].map { number -> DispatchSourceSignal in
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    let interrupts = InterruptCount()
    source.setEventHandler {
      if interrupts.increment() > 1 { _exit(130) }
      task.cancel()
    }
    source.resume()
    return source
  }
  let results = await task.value
  sources.forEach { $0.cancel() }
  return results
}

/// How many times a signal came, counted safely from the signal source's queue.
private final class InterruptCount: @unchecked Sendable {
  private var value = 0
  private var lock = pthread_mutex_t()
  init() { pthread_mutex_init(&lock, nil) }
  func increment() -> Int {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    value += 1
    return value
  }
}
