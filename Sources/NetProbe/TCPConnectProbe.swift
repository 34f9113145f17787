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
    /// With CAP_NET_RAW, listen for ICMP errors about the probe's flow (type, code and who sent them).
    public var icmpEvidence: Bool

    public init(timeout: Duration = .seconds(3), source: SocketAddress? = nil, icmpEvidence: Bool = true) {
      self.timeout = timeout
      self.source = source
      self.icmpEvidence = icmpEvidence
    }
  }

  /// Tries each address in order until one completes the handshake; every attempt is in the result.
  ///
  /// A handshake that is over by the time `connect` returns (loopback, a local refusal) is read at once on the
  /// calling task; only one still in flight moves to a blocking wait, so fast outcomes cost no thread hop.
  public static func probe(_ addresses: [SocketAddress], target: String, options: Options = .init()) async -> ProbeResult {
    var attempts: [ProbeAttempt] = []
    for address in addresses {
      if Task.isCancelled { break }
      let attempt: ProbeAttempt
      switch start(address, options: options) {
      case let .finished(finished):
        attempt = finished
      case let .pending(pending):
        attempt = await Blocking.run { cancellation in pending.finish(cancellation: cancellation) }
      }
      attempts.append(attempt)
      if attempt.outcome.isAnswer || attempt.outcome == .cancelled { break }
    }
    if attempts.isEmpty {
      attempts.append(ProbeAttempt(address: addresses.first, outcome: Task.isCancelled ? .cancelled : .error, elapsedMicroseconds: 0))
    }
    return ProbeResult(kind: .tcp, target: target, attempts: attempts)
  }

  /// One handshake attempt, blocking until the outcome, the deadline, or cancellation.
  public static func connect(to address: SocketAddress, options: Options, cancellation: CancellationSignal? = nil) -> ProbeAttempt {
    switch start(address, options: options) {
    case let .finished(attempt): return attempt
    case let .pending(pending): return pending.finish(cancellation: cancellation)
    }
  }

  enum Start {
    case finished(ProbeAttempt)
    case pending(PendingConnect)
  }

  /// Opens the socket and sends the SYN; reads the outcome at once when the handshake is already over.
  static func start(_ address: SocketAddress, options: Options) -> Start {
    let socket: Socket
    do {
      socket = try Socket(domain: address.family.cValue, type: Int32(SOCK_STREAM.rawValue))
    } catch {
      return .finished(ProbeAttempt(address: address, outcome: .classify(error.errno, icmp: nil), elapsedMicroseconds: 0, errno: error.errno))
    }
    // With RECVERR an ICMP error ends the attempt at once and its type, code and sender are kept.
    switch address.family {
    case .ipv4: _ = socket.setOption(level: Int32(IPPROTO_IP), name: IP_RECVERR, value: 1)
    case .ipv6: _ = socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_RECVERR, value: 1)
    }
    if let source = options.source, case let .failure(error) = socket.bind(to: source) {
      socket.close()
      return .finished(ProbeAttempt(address: address, outcome: .classify(error, icmp: nil), elapsedMicroseconds: 0, errno: error))
    }
    // With CAP_NET_RAW a raw ICMP listener catches the error a router sends about this flow, whether or not TCP
    // queues it for MSG_ERRQUEUE (it does for some errors in SYN_SENT on recent kernels, not for all). Loopback
    // answers with RST, never ICMP, so it is not worth a raw socket there.
    let listener = options.icmpEvidence && !address.address.isLoopback
      ? try? ICMPErrorListener.start(for: ICMPFlow(.tcp, remote: address, local: options.source)) : nil
    let pending = PendingConnect(socket: socket, address: address, start: .now, timeout: options.timeout, icmpListener: listener)
    switch socket.connect(to: address) {
    case .connected:
      return .finished(pending.connected())
    case let .failed(error):
      return .finished(pending.failed(error))
    case .inProgress:
      // On loopback the handshake is usually complete already: look without waiting.
      if case let .ready(events) = socket.wait(for: Int16(POLLOUT), until: .now, cancellation: nil, pollOnce: true) {
        return .finished(pending.ready(events))
      }
      return .pending(pending)
    }
  }
}

/// A handshake in flight: owns its socket until `finish` (on whichever thread waits for it) closes it.
final class PendingConnect: @unchecked Sendable {
  let socket: Socket
  let address: SocketAddress
  let start: ContinuousClock.Instant
  let deadline: ContinuousClock.Instant
  let icmpListener: ICMPErrorListener?

  init(socket: Socket, address: SocketAddress, start: ContinuousClock.Instant, timeout: Duration,
       icmpListener: ICMPErrorListener? = nil) {
    self.socket = socket
    self.address = address
    self.start = start
    self.deadline = start + timeout
    self.icmpListener = icmpListener
  }

  /// Adds what the ICMP listener caught to an attempt that failed or timed out without a report of its own,
  /// re-classifying a failure by it (EHOSTUNREACH + admin-prohibited -> admin-prohibited); stops the listener.
  func withICMPEvidence(_ attempt: ProbeAttempt) -> ProbeAttempt {
    defer { icmpListener?.stop() }
    guard attempt.outcome != .connected, attempt.icmp == nil,
          let report = icmpListener?.lastReport(local: attempt.local) else { return attempt }
    var attempt = attempt
    attempt.icmp = report
    if let errno = attempt.errno { attempt.outcome = .classify(errno, icmp: report) }
    return attempt
  }

  /// Blocks until the handshake ends, the deadline passes or `cancellation` fires; closes the socket.
  func finish(cancellation: CancellationSignal?) -> ProbeAttempt {
    switch socket.wait(for: Int16(POLLOUT), until: deadline, cancellation: cancellation) {
    case let .ready(events):
      return ready(events)
    case .deadline:
      defer { socket.close() }
      return withICMPEvidence(ProbeAttempt(address: address, outcome: .timedOut, elapsedMicroseconds: microseconds(since: start),
                                           local: socket.localAddress(), icmp: socket.readErrorQueue()))
    case .cancelled:
      defer { socket.close() }
      return ProbeAttempt(address: address, outcome: .cancelled, elapsedMicroseconds: microseconds(since: start),
                          local: socket.localAddress())
    case let .failed(error):
      defer { socket.close() }
      return ProbeAttempt(address: address, outcome: .error, elapsedMicroseconds: microseconds(since: start), errno: error)
    }
  }

  /// The socket became writable: the handshake completed or failed (SO_ERROR says which).
  func ready(_ events: Int16) -> ProbeAttempt {
    let elapsed = microseconds(since: start)
    if let error = socket.pendingError() { return failed(error, elapsed: elapsed) }
    icmpListener?.stop()
    defer { socket.close() }
    return ProbeAttempt(address: address, outcome: .connected, elapsedMicroseconds: elapsed,
                        local: socket.localAddress(), peer: socket.peerAddress(),
                        kernelRoundTripMicroseconds: socket.handshakeRoundTripMicroseconds())
  }

  func connected() -> ProbeAttempt { ready(Int16(POLLOUT)) }

  func failed(_ error: Errno, elapsed: Int64? = nil) -> ProbeAttempt {
    defer { socket.close() }
    let elapsed = elapsed ?? microseconds(since: start)
    let icmp = socket.readErrorQueue()
    return withICMPEvidence(ProbeAttempt(address: address, outcome: .classify(error, icmp: icmp), elapsedMicroseconds: elapsed,
                                         local: socket.localAddress(), errno: error, icmp: icmp))
  }
}
