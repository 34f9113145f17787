import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// The TCP connect probe: a handshake to each address in turn, each with a fresh nonblocking socket.
public enum TCPConnectProbe {
  /// Options that apply to every attempt.
  public struct Options: Sendable, Hashable {
    /// Time allowed for each address's handshake.
    public var timeout: Duration
    /// Bind to this local address (port 0 lets the kernel pick) before connecting.
    public var source: SocketAddress?

    public init(timeout: Duration = .seconds(3), source: SocketAddress? = nil) {
      self.timeout = timeout
      self.source = source
    }
  }

  /// Tries each address in order until one completes the handshake; every attempt is in the result.
  public static func probe(_ addresses: [SocketAddress], target: String, options: Options = .init()) async -> ProbeResult {
    await Blocking.run { cancellation in
      var attempts: [ProbeAttempt] = []
      for address in addresses {
        let attempt = connect(to: address, options: options, cancellation: cancellation)
        attempts.append(attempt)
        if attempt.outcome.isAnswer || cancellation.isFired { break }
      }
      return ProbeResult(kind: .tcp, target: target, attempts: attempts)
    }
  }

  /// One handshake attempt, blocking until the outcome, the deadline, or cancellation.
  public static func connect(to address: SocketAddress, options: Options, cancellation: CancellationSignal? = nil) -> ProbeAttempt {
    let socket: Socket
    do {
      socket = try Socket(domain: address.family.cValue, type: Int32(SOCK_STREAM.rawValue))
    } catch {
      return ProbeAttempt(address: address, outcome: .classify(error.errno, icmp: nil), elapsedMicroseconds: 0, errno: error.errno)
    }
    defer { socket.close() }
    // With RECVERR an ICMP error ends the attempt at once and its type, code and sender are kept.
    switch address.family {
    case .ipv4: _ = socket.setOption(level: Int32(IPPROTO_IP), name: IP_RECVERR, value: 1)
    case .ipv6: _ = socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_RECVERR, value: 1)
    }
    if let source = options.source, case let .failure(error) = socket.bind(to: source) {
      return ProbeAttempt(address: address, outcome: .classify(error, icmp: nil), elapsedMicroseconds: 0, errno: error)
    }

    let start = ContinuousClock.now
    let deadline = start + options.timeout
    switch socket.connect(to: address) {
    case .connected:
      return connected(socket, address: address, elapsed: microseconds(since: start))
    case let .failed(error):
      let elapsed = microseconds(since: start)
      let icmp = socket.readErrorQueue()
      return ProbeAttempt(address: address, outcome: .classify(error, icmp: icmp), elapsedMicroseconds: elapsed,
                          local: socket.localAddress(), errno: error, icmp: icmp)
    case .inProgress:
      break
    }

    switch socket.wait(for: Int16(POLLOUT), until: deadline, cancellation: cancellation) {
    case .ready:
      let elapsed = microseconds(since: start)
      if let error = socket.pendingError() {
        let icmp = socket.readErrorQueue()
        return ProbeAttempt(address: address, outcome: .classify(error, icmp: icmp), elapsedMicroseconds: elapsed,
                            local: socket.localAddress(), errno: error, icmp: icmp)
      }
      return connected(socket, address: address, elapsed: elapsed)
    case .deadline:
      return ProbeAttempt(address: address, outcome: .timedOut, elapsedMicroseconds: microseconds(since: start),
                          local: socket.localAddress(), icmp: socket.readErrorQueue())
    case .cancelled:
      return ProbeAttempt(address: address, outcome: .cancelled, elapsedMicroseconds: microseconds(since: start),
                          local: socket.localAddress())
    case let .failed(error):
      return ProbeAttempt(address: address, outcome: .error, elapsedMicroseconds: microseconds(since: start), errno: error)
    }
  }

  private static func connected(_ socket: Socket, address: SocketAddress, elapsed: Int64) -> ProbeAttempt {
    ProbeAttempt(address: address, outcome: .connected, elapsedMicroseconds: elapsed,
                 local: socket.localAddress(), peer: socket.peerAddress())
  }
}
