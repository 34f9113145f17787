import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// The unix-domain probe: is the path there, is it a socket, may we connect, does anybody accept.
public enum UnixSocketProbe {
  /// Probes the socket at `path`, trying stream, then seqpacket, then datagram when the socket's type differs.
  public static func probe(path: String, timeout: Duration = .seconds(3)) async -> ProbeResult {
    await Blocking.run { cancellation in
      ProbeResult(kind: .unix, target: path, attempts: [connect(path: path, timeout: timeout, cancellation: cancellation)])
    }
  }

  public static func connect(path: String, timeout: Duration, cancellation: CancellationSignal? = nil) -> ProbeAttempt {
    let start = ContinuousClock.now
    var status = stat()
    if stat(path, &status) != 0 {
      let error = Errno.current
      let outcome: ProbeOutcome = switch error.code {
      case ENOENT, ENOTDIR: .missing
      case EACCES: .permissionDenied
      default: .error
      }
      return ProbeAttempt(address: nil, outcome: outcome, elapsedMicroseconds: microseconds(since: start), errno: error)
    }
    guard status.st_mode & S_IFMT == S_IFSOCK else {
      return ProbeAttempt(address: nil, outcome: .notSocket, elapsedMicroseconds: microseconds(since: start), errno: Errno(ENOTSOCK))
    }
    var last = ProbeAttempt(address: nil, outcome: .error, elapsedMicroseconds: 0)
    for type in [SOCK_STREAM, SOCK_SEQPACKET, SOCK_DGRAM] {
      last = attempt(path: path, type: Int32(type.rawValue), start: start, deadline: start + timeout, cancellation: cancellation)
      // EPROTOTYPE: the socket is of another type; try the next.
      if last.errno?.code != EPROTOTYPE { break }
    }
    return last
  }

  private static func attempt(path: String, type: Int32, start: ContinuousClock.Instant, deadline: ContinuousClock.Instant,
                              cancellation: CancellationSignal?) -> ProbeAttempt {
    func failed(_ error: Errno) -> ProbeAttempt {
      let outcome: ProbeOutcome = switch error.code {
      case ENOENT: .missing
      case ECONNREFUSED: .refused
      case EACCES, EPERM: .permissionDenied
      case EAGAIN: .backlogFull
      case ENOTSOCK: .notSocket
      case EMFILE, ENFILE: .descriptorLimit
      default: .error
      }
      return ProbeAttempt(address: nil, outcome: outcome, elapsedMicroseconds: microseconds(since: start), errno: error)
    }
    let socket: Socket
    do { socket = try Socket(domain: AF_UNIX, type: type) } catch { return failed(error.errno) }
    defer { socket.close() }
    switch socket.connect(unixPath: path) {
    case .connected:
      return ProbeAttempt(address: nil, outcome: .connected, elapsedMicroseconds: microseconds(since: start))
    case let .failed(error):
      return failed(error)
    case .inProgress:
      switch socket.wait(for: Int16(POLLOUT), until: deadline, cancellation: cancellation) {
      case .ready:
        if let error = socket.pendingError() { return failed(error) }
        return ProbeAttempt(address: nil, outcome: .connected, elapsedMicroseconds: microseconds(since: start))
      case .deadline:
        return ProbeAttempt(address: nil, outcome: .timedOut, elapsedMicroseconds: microseconds(since: start))
      case .cancelled:
        return ProbeAttempt(address: nil, outcome: .cancelled, elapsedMicroseconds: microseconds(since: start))
      case let .failed(error):
        return failed(error)
      }
    }
  }
}
