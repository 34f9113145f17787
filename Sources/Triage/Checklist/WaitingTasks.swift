/// Tasks suspended until one event of an actor happens, resumed together when it does. It has no lock of its own: it
/// lives in the actor's state, which serialises `add` and `resumeAll`.
///
/// ```
/// private var finished = WaitingTasks()
/// func waitUntilFinished() async { if !isFinished { await withCheckedContinuation { finished.add($0) } } }
/// func finish() { isFinished = true; finished.resumeAll() }
/// ```
struct WaitingTasks {
  private var continuations: [CheckedContinuation<Void, Never>] = []

  /// Keeps a suspended task until `resumeAll`.
  mutating func add(_ continuation: CheckedContinuation<Void, Never>) {
    continuations.append(continuation)
  }

  /// Resumes every waiting task, once, and forgets them.
  mutating func resumeAll() {
    let waiting = continuations
    continuations = []
    for continuation in waiting { continuation.resume() }
  }
}
