import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// The UDP probe: a datagram on a connected socket, then a wait for a reply or an ICMP error.
///
/// A reply means open; ICMP port unreachable (ECONNREFUSED on the connected socket) means closed; silence
/// means open or filtered, which UDP alone cannot tell apart.
public enum UDPProbe {
  public struct Options: Sendable, Hashable {
    public var timeout: Duration
    public var source: SocketAddress?
    /// The datagram's payload; empty by default.
    public var payload: [UInt8]

    public init(timeout: Duration = .seconds(3), source: SocketAddress? = nil, payload: [UInt8] = []) {
      self.timeout = timeout
      self.source = source
      self.payload = payload
    }
  }

  /// Probes each address in order until one replies.
  public static func probe(_ addresses: [SocketAddress], target: String, options: Options = .init()) async -> ProbeResult {
    await Blocking.run { cancellation in
      var attempts: [ProbeAttempt] = []
      for address in addresses {
        let attempt = exchange(with: address, options: options, cancellation: cancellation)
        attempts.append(attempt)
        if attempt.outcome.isAnswer || cancellation.isFired { break }
      }
      return ProbeResult(kind: .udp, target: target, attempts: attempts)
    }
  }

  /// One datagram out and the wait for what comes back.
  public static func exchange(with address: SocketAddress, options: Options, cancellation: CancellationSignal? = nil) -> ProbeAttempt {
    func failure(_ error: Errno, _ socket: Socket?, since start: ContinuousClock.Instant?) -> ProbeAttempt {
      let icmp = socket?.readErrorQueue()
      return ProbeAttempt(address: address, outcome: .classify(error, icmp: icmp),
                          elapsedMicroseconds: start.map(microseconds(since:)) ?? 0,
                          local: socket?.localAddress(), errno: error, icmp: icmp)
    }
    let socket: Socket
    do {
      socket = try Socket(domain: address.family.cValue, type: Int32(SOCK_DGRAM.rawValue))
    } catch {
      return failure(error.errno, nil, since: nil)
    }
    defer { socket.close() }
    switch address.family {
    case .ipv4: _ = socket.setOption(level: Int32(IPPROTO_IP), name: IP_RECVERR, value: 1)
    case .ipv6: _ = socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_RECVERR, value: 1)
    }
    if let source = options.source, case let .failure(error) = socket.bind(to: source) {
      return failure(error, socket, since: nil)
    }
    // Connecting a UDP socket makes the kernel report ICMP errors about this flow to it.
    if case let .failed(error) = socket.connect(to: address) { return failure(error, socket, since: nil) }

    let start = ContinuousClock.now
    if case let .failure(error) = socket.send(options.payload) { return failure(error, socket, since: start) }
    switch socket.wait(for: Int16(POLLIN), until: start + options.timeout, cancellation: cancellation) {
    case .ready:
      let elapsed = microseconds(since: start)
      // SO_ERROR first: reading the error queue clears the pending error.
      if let error = socket.pendingError() { return failure(error, socket, since: start) }
      switch socket.receive(capacity: 65_536) {
      case let .success(bytes):
        return ProbeAttempt(address: address, outcome: .reply, elapsedMicroseconds: elapsed, local: socket.localAddress(),
                            peer: socket.peerAddress(), replyBytes: bytes.count)
      case let .failure(error):
        return failure(error, socket, since: start)
      }
    case .deadline:
      return ProbeAttempt(address: address, outcome: .noReply, elapsedMicroseconds: microseconds(since: start),
                          local: socket.localAddress())
    case .cancelled:
      return ProbeAttempt(address: address, outcome: .cancelled, elapsedMicroseconds: microseconds(since: start),
                          local: socket.localAddress())
    case let .failed(error):
      return ProbeAttempt(address: address, outcome: .error, elapsedMicroseconds: microseconds(since: start), errno: error)
    }
  }
}
