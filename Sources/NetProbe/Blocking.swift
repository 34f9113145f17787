import Dispatch

/// Runs a blocking probe body on a thread of its own (`BlockingThreads`), so it never holds a cooperative-pool
/// thread nor waits behind other blocking calls, and wakes it through a `CancellationSignal` when the calling task is
/// cancelled.
enum Blocking {
  static func run<T: Sendable>(_ body: @escaping @Sendable (CancellationSignal) -> T) async -> T {
    let signal = CancellationSignal()
    let value = await withTaskCancellationHandler {
      await BlockingThreads.shared.value { body(signal) }
    } onCancel: {
      signal.fire()
    }
    signal.close()
    return value
  }
}
