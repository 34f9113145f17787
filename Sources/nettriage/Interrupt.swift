import Dispatch
import NetProbe
import Triage
#if canImport(Glibc)
import Glibc
#endif

/// Runs the repeat loop, printing each probe as it ends; Ctrl-C (or SIGTERM) stops it so the summary of what
/// completed can print. A second Ctrl-C leaves at once.
func runWithInterrupt(_ runner: RepeatRunner, output: Output,
                      probe: @escaping @Sendable () async -> ProbeResult) async -> [ProbeResult] {
  let json = output.json
  let task = Task {
    await runner.run(probe) { event in
      if json {
        output.object(type: "probe", ProbeEvent(sequence: event.sequence, warmup: event.isWarmup, result: event.result))
      } else {
        output.line(ProbeText.line(sequence: event.sequence, isWarmup: event.isWarmup, result: event.result))
      }
    }
  }
  return await withInterrupt(cancelling: task)
}

/// Waits for `task`; Ctrl-C, SIGTERM or SIGHUP cancel it (so it can finish with what it has), a second one leaves.
func withInterrupt<T: Sendable>(cancelling task: Task<T, Never>) async -> T {
  let interrupts = Counter()
  let sources = [SIGINT, SIGTERM, SIGHUP].map { number -> DispatchSourceSignal in
    signal(number, SIG_IGN)
    let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
    source.setEventHandler {
      if interrupts.increment() > 1 { _exit(130) }
      task.cancel()
    }
    source.resume()
    return source
  }
  let value = await task.value
  sources.forEach { $0.cancel() }
  return value
}

/// A thread-safe counter for the signal handler.
private final class Counter: @unchecked Sendable {
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
