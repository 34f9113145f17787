import CNetProbe
import Dispatch
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Runs code on a fresh thread that has joined a lab network namespace: what that thread opens under
/// /proc/sys/net, and the sockets it makes, belong to the namespace. The process itself stays where it was.
enum NamespaceThread {
  /// Runs `body` inside the namespace named `namespace` (a file in /run/netns) and returns its result.
  /// The corresponding C function is `setns(2)`.
  static func perform<T: Sendable>(in namespace: String, _ body: @escaping @Sendable () throws(LabError) -> T) throws(LabError) -> T {
    let box = ResultBox<T>()
    let path = LabNames.namespaceDirectory + "/" + namespace
    let started = DetachedThread.start {
      defer { box.done.signal() }
      let descriptor = open(path, O_RDONLY | O_CLOEXEC)
      guard descriptor >= 0 else {
        box.result = .failure(LabError("open(\(path)): \(Errno(errno))"))
        return
      }
      defer { close(descriptor) }
      guard nt_setns_network(descriptor) == 0 else {
        box.result = .failure(LabError("setns(\(path)): \(Errno(errno))"))
        return
      }
      do throws(LabError) { box.result = .success(try body()) } catch { box.result = .failure(error) }
    }
    guard started else { throw LabError("cannot start a thread to enter \(namespace)") }
    box.done.wait()
    return try box.result!.get()
  }

  /// Sets kernel parameters of one namespace by writing /proc/sys/KEY (KEY like `net/ipv4/ip_forward`).
  static func setSysctls(_ values: [(key: String, value: String)], in namespace: String) throws(LabError) {
    let pairs = values.map { [$0.key, $0.value] }
    try perform(in: namespace) { () throws(LabError) in
      for pair in pairs {
        try FileSystem.overwrite("/proc/sys/" + pair[0], with: pair[1] + "\n")
      }
    }
  }
}

private final class ResultBox<T>: @unchecked Sendable {
  var result: Result<T, LabError>?
  let done = DispatchSemaphore(value: 0)
}
