#if canImport(Glibc)
import Glibc
#endif

/// Whole-file reads (/proc, /sys, /etc) and atomic writes (reports, pcaps, bundles): the one place that does file
/// I/O for the probes, the resolver configuration, the socket table and the data-collection bundle.
public enum FileAccess {
  /// The text of a small file, read until EOF (a /proc or /sys file reports size 0), at most `limit` bytes.
  /// The corresponding C functions are `open(2)`, `read(2)` and `close(2)`.
  public static func readText(_ path: String, limit: Int = 4 << 20) -> Result<String, SystemCallError> {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return .failure(SystemCallError(call: "open(\(path))", errno: .current)) }
    defer { close(descriptor) }
    var content: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 16_384)
    while content.count < limit {
      let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
      if count == 0 { return .success(String(decoding: content, as: UTF8.self)) }
      if count < 0 {
        if errno == EINTR { continue }
        return .failure(SystemCallError(call: "read(\(path))", errno: .current))
      }
      content += buffer[0..<count]
    }
    return .failure(SystemCallError(call: "read(\(path))", errno: Errno(EFBIG)))
  }

  /// Whether the path names an existing directory. The corresponding C function is `stat(2)`.
  public static func isDirectory(_ path: String) -> Bool {
    var status = stat()
    return stat(path, &status) == 0 && (status.st_mode & S_IFMT) == S_IFDIR
  }

  /// Replaces `path` with `bytes` so that a reader sees the old file or the whole new one, never a part: the bytes
  /// go to a new temporary file in the same directory, are flushed to the disk, and the file is renamed over `path`.
  /// Any failure removes the temporary file and leaves `path` as it was.
  ///
  /// The corresponding C functions are `open(2)` (`O_CREAT|O_EXCL`), `write(2)`, `fsync(2)`, `rename(2)` and
  /// `unlink(2)`; the mode is filtered by the umask as for any new file.
  public static func writeAtomically(_ bytes: [UInt8], to path: String, mode: mode_t = 0o644) throws(SystemCallError) {
    let directory = directoryName(of: path)
    let (temporary, descriptor) = try createTemporary(beside: path, mode: mode)
    var closed = false
    do throws(SystemCallError) {
      try writeAll(bytes, to: descriptor, path: temporary)
      guard fsync(descriptor) == 0 else { throw SystemCallError(call: "fsync(\(temporary))", errno: .current) }
      closed = true
      guard close(descriptor) == 0 else { throw SystemCallError(call: "close(\(temporary))", errno: .current) }
      guard rename(temporary, path) == 0 else { throw SystemCallError(call: "rename(\(temporary), \(path))", errno: .current) }
    } catch {
      if !closed { close(descriptor) }
      unlink(temporary)
      throw error
    }
    // The rename itself reaches the disk with the directory; a failure here loses nothing already written.
    let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    if directoryDescriptor >= 0 {
      fsync(directoryDescriptor)
      close(directoryDescriptor)
    }
  }

  /// `/a/b/c.tar.gz` → `/a/b`; `c.tar.gz` → `.`; `/c` → `/`.
  public static func directoryName(of path: String) -> String {
    guard let slash = path.lastIndex(of: "/") else { return "." }
    let directory = String(path[..<slash])
    return directory.isEmpty ? "/" : directory
  }

  /// A new file `.NAME.XXXXXX.tmp` beside `path`, created exclusively (a name already taken is tried again).
  private static func createTemporary(beside path: String, mode: mode_t) throws(SystemCallError) -> (String, Int32) {
    let directory = directoryName(of: path)
    let base = path.split(separator: "/").last.map(String.init) ?? "bundle"
    for _ in 0..<16 {
      let suffix = String(UInt32.random(in: 0...UInt32.max), radix: 36)
      let temporary = (directory == "/" ? "" : directory) + "/." + base + "." + suffix + ".tmp"
      let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
      if descriptor >= 0 { return (temporary, descriptor) }
      if errno != EEXIST { throw SystemCallError(call: "open(\(temporary))", errno: .current) }
    }
    throw SystemCallError(call: "open(\(directory)/.\(base).*.tmp)", errno: Errno(EEXIST))
  }

  /// Writes every byte, retrying short writes and EINTR.
  private static func writeAll(_ bytes: [UInt8], to descriptor: Int32, path: String) throws(SystemCallError) {
    var offset = 0
    while offset < bytes.count {
      let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
      if written < 0 {
        if errno == EINTR { continue }
        throw SystemCallError(call: "write(\(path))", errno: .current)
      }
      offset += written
    }
  }
}
