import Dispatch

/// Runs a blocking probe body on a dispatch thread, so it never holds a cooperative-pool thread, and wakes it
/// through a `CancellationSignal` when the calling task is cancelled.
enum Blocking {
  static func run<T: Sendable>(_ body: @escaping @Sendable (CancellationSignal) -> T) async -> T {
    let signal = CancellationSignal()
    let value = await withTaskCancellationHandler {
      await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: body(signal)) }
      }
    } onCancel: {
      signal.fire()
    }
    signal.close()
    return value
  }
}
