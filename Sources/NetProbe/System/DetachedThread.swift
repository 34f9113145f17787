import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A thread of its own for work that must not share a pool thread: one that joins another network namespace
/// (setns changes the calling thread), or a loop that runs for the life of the process.
public enum DetachedThread {
  /// Starts `body` on a new detached thread (named for `top -H` and gdb, with `stackSize` bytes of stack when
  /// given); false when no thread could be made.
  @discardableResult
  public static func start(name: String? = nil, stackSize: Int? = nil, _ body: @escaping @Sendable () -> Void) -> Bool {
    var attributes = pthread_attr_t()
    pthread_attr_init(&attributes)
    pthread_attr_setdetachstate(&attributes, Int32(PTHREAD_CREATE_DETACHED))
    if let stackSize { pthread_attr_setstacksize(&attributes, stackSize) }
    defer { pthread_attr_destroy(&attributes) }
    var thread = pthread_t()
    let context = Unmanaged.passRetained(Work(body)).toOpaque()
    let status = pthread_create(&thread, &attributes, { context in
      Unmanaged<Work>.fromOpaque(context!).takeRetainedValue().body()
      return nil
    }, context)
    guard status == 0 else {
      Unmanaged<Work>.fromOpaque(context).release()
      return false
    }
    if var name {
      while name.utf8.count > 15 { name.removeLast() }  // the kernel keeps 15 bytes; cut whole characters
      _ = nt_set_thread_name(thread, name)
    }
    return true
  }

  private final class Work {
    let body: @Sendable () -> Void
    init(_ body: @escaping @Sendable () -> Void) { self.body = body }
  }
}
