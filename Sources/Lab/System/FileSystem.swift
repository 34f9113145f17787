import FoundationEssentials
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// The files the lab writes: its state, its logs, the client's resolver files, sysctls.
enum FileSystem {
  /// Writes the whole text to an existing file (a /proc/sys entry), without creating or truncating it first.
  /// The corresponding C functions are `open(2)` and `write(2)`.
  static func overwrite(_ path: String, with text: String) throws(LabError) {
    let descriptor = open(path, O_WRONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw LabError("open(\(path)): \(Errno(errno))") }
    defer { close(descriptor) }
    let bytes = Array(text.utf8)
    let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
    guard written == bytes.count else { throw LabError("write(\(path)): \(Errno(errno))") }
  }

  /// Replaces a file's contents atomically (a temporary file beside it, flushed, renamed over it), with the given
  /// mode less the umask.
  static func replace(_ path: String, with data: Data, mode: mode_t = 0o644) throws(LabError) {
    do {
      try FileAccess.writeAtomically(Array(data), to: path, mode: mode)
    } catch {
      throw LabError("cannot write \(path): \(error)")
    }
  }

  /// Creates a directory (and its parents) when it is missing.
  static func makeDirectory(_ path: String, mode: mode_t = 0o755) throws(LabError) {
    do {
      try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true,
                                              attributes: [.posixPermissions: Int(mode)])
    } catch {
      throw LabError("cannot create \(path): \(error)")
    }
  }

  static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

  /// Removes a file; a missing one is fine. The corresponding C function is `unlink(2)`.
  static func remove(_ path: String) { unlink(path) }

  /// Removes an empty directory; one that is missing or not empty stays as it is. The corresponding C function
  /// is `rmdir(2)`.
  static func removeDirectory(_ path: String) { rmdir(path) }

  /// Names in a directory; none when it is missing.
  static func list(_ path: String) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted()
  }

  /// Opens a file for appending (a service's log), close-on-exec.
  static func openLog(_ path: String) throws(LabError) -> Int32 {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw LabError("open(\(path)): \(Errno(errno))") }
    return descriptor
  }

  /// The last non-empty line of a file (a service's last complaint), if any.
  static func lastLine(of path: String) -> String? {
    guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
    return text.split(separator: "\n").last.map(String.init)
  }
}

/// An exclusive lock on a file, held while one lab command changes the lab. The corresponding C function is
/// `flock(2)`.
final class LabLock {
  private let descriptor: Int32

  /// Waits for the lock (another `lab up` or `lab down` may hold it for a few seconds).
  init(path: String) throws(LabError) {
    descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
    guard descriptor >= 0 else { throw LabError("open(\(path)): \(Errno(errno))") }
    while flock(descriptor, LOCK_EX) != 0 {
      if errno != EINTR {
        let error = Errno(errno)
        close(descriptor)
        throw LabError("flock(\(path)): \(error)")
      }
    }
  }

  deinit { close(descriptor) }
}
