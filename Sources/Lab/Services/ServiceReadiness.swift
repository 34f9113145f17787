#if canImport(Glibc)
import Glibc
#endif

/// How a lab service tells `lab up` that it is serving: one line, "ready", on its standard output (a pipe the lab
/// reads), after which standard output points at /dev/null so nothing later can block or break on the pipe.
enum ServiceReadiness {
  static let line = "ready"

  /// Writes the ready line and lets go of the pipe. The corresponding C functions are `write(2)` and `dup2(2)`.
  static func announce() {
    let text = Array((line + "\n").utf8)
    _ = text.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
    let devNull = open("/dev/null", O_WRONLY | O_CLOEXEC)
    if devNull >= 0 {
      dup2(devNull, STDOUT_FILENO)
      close(devNull)
    }
  }

  /// Blocks forever; the lab ends the service with SIGTERM. The corresponding C function is `pause(2)`.
  static func waitForever() -> Never {
    while true { pause() }
  }
}
