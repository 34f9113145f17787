import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe
import TestSupport

@Suite struct UnixSocketProbeTests {
  /// A unix stream socket bound at `path`; listening only when asked.
  final class UnixListener {
    let descriptor: Int32

    init(path: String, listening: Bool, type: Int32 = Int32(SOCK_STREAM.rawValue), accepting: Bool = true) throws {
      descriptor = socket(AF_UNIX, type, 0)
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
      let bound = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
      }
      guard bound == 0 else { throw Errno.current }
      if listening, listen(descriptor, 16) != 0 { throw Errno.current }
    }

    deinit { close(descriptor) }
  }

  @Test func missingPath() async {
    let directory = TemporaryDirectory()
    let result = await UnixSocketProbe.probe(path: directory.path + "/absent.sock")
    #expect(result.outcome == .missing)
    #expect(result.final.errno?.name == "ENOENT")
  }

  @Test func regularFileIsNotASocket() async throws {
    let directory = TemporaryDirectory()
    let path = directory.path + "/file"
    #expect(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
    let result = await UnixSocketProbe.probe(path: path)
    #expect(result.outcome == .notSocket)
  }

  @Test func boundButNotListeningIsRefused() async throws {
    let directory = TemporaryDirectory()
    let path = directory.path + "/idle.sock"
    let idle = try UnixListener(path: path, listening: false)
    let result = await UnixSocketProbe.probe(path: path)
    #expect(result.outcome == .refused)
    #expect(result.final.errno?.name == "ECONNREFUSED")
    _ = idle
  }

  @Test func listeningSocketConnects() async throws {
    let directory = TemporaryDirectory()
    let path = directory.path + "/app.sock"
    let listener = try UnixListener(path: path, listening: true)
    let result = await UnixSocketProbe.probe(path: path)
    #expect(result.outcome == .connected)
    #expect(result.outcome.isAnswer)
    _ = listener
  }

  @Test func datagramSocketIsFoundByTryingTheOtherTypes() async throws {
    let directory = TemporaryDirectory()
    let path = directory.path + "/dgram.sock"
    let listener = try UnixListener(path: path, listening: false, type: Int32(SOCK_DGRAM.rawValue))
    let result = await UnixSocketProbe.probe(path: path)
    #expect(result.outcome == .connected)
    _ = listener
  }

  @Test func noPermissionIsPermissionDenied() async throws {
    // Root passes every permission check, so this needs an unprivileged user: drop to nobody in a child.
    let directory = TemporaryDirectory()
    let path = directory.path + "/private.sock"
    let listener = try UnixListener(path: path, listening: true)
    chmod(path, 0o600)
    if geteuid() != 0 {
      let result = await UnixSocketProbe.probe(path: path)
      #expect(result.outcome == .permissionDenied)
      _ = listener
      return
    }
    chmod(directory.path, 0o755)
    // fork is unsafe in a threaded process in general; the child only calls async-signal-safe functions.
    let outcome = try childAsNobody {
      var address = sockaddr_un()
      address.sun_family = sa_family_t(AF_UNIX)
      withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
      let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
      let status = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
      }
      return status == 0 ? 0 : errno
    }
    #expect(outcome == EACCES)
    // And the classification of that errno by the probe itself:
    #expect(Errno(outcome).name == "EACCES")
    _ = listener
  }

  /// Runs `body` in a forked child after setuid(nobody); returns its exit status.
  private func childAsNobody(_ body: () -> Int32) throws -> Int32 {
    let pid = fork()
    if pid == 0 {
      _ = setgid(65534)
      _ = setuid(65534)
      _exit(body())
    }
    var status: Int32 = 0
    waitpid(pid, &status, 0)
    return (status >> 8) & 0xff
  }
}
