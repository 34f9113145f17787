#if canImport(Glibc)
import Glibc
#endif

/// Runs a C call that returns -1 on failure, retrying on EINTR, and throws the typed error naming the call.
@inline(__always)
@discardableResult
func syscall<T: FixedWidthInteger>(_ name: @autoclosure () -> String, _ body: () -> T) throws(SystemCallError) -> T {
  while true {
    let result = body()
    if result != -1 { return result }
    let error = Errno.current
    if error == .interrupted { continue }
    // A bad descriptor or a bad pointer is a bug in this module, not a network finding.
    precondition(error.code != EBADF && error.code != EFAULT, "\(name()): \(error)")
    throw SystemCallError(call: name(), errno: error)
  }
}

/// Runs a C call that returns -1 on failure, retrying on EINTR, and returns the errno instead of throwing.
@inline(__always)
func syscallResult<T: FixedWidthInteger>(_ body: () -> T) -> Result<T, Errno> {
  while true {
    let result = body()
    if result != -1 { return .success(result) }
    let error = Errno.current
    if error == .interrupted { continue }
    return .failure(error)
  }
}
