/// A probe result with the packets of each attempt.
public struct TracedProbeResult: Codable, Sendable, Hashable {
  public var result: ProbeResult
  /// One capture per attempt, in the order of `result.attempts`; empty when capture was unavailable.
  public var traces: [CapturedPackets]
  /// Why nothing was captured, when it was not (e.g. "needs CAP_NET_RAW").
  public var unavailable: CaptureUnavailable?

  public init(result: ProbeResult, traces: [CapturedPackets], unavailable: CaptureUnavailable? = nil) {
    self.result = result
    self.traces = traces
    self.unavailable = unavailable
  }
}

/// Runs TCP and UDP probes with a capture around each attempt: the capture starts before the attempt's first packet
/// and stops once it has its verdict, then keeps only the attempt's own connection (by the local port it used).
///
/// Without CAP_NET_RAW the probes still run and `unavailable` says why nothing was captured. A loop passes one
/// `CaptureSession` to every call, so its captures reuse their sockets.
public enum ProbeTracer {
  /// The traced form of `TCPConnectProbe.probe`: each address in turn until one completes the handshake.
  public static func tcp(_ addresses: [SocketAddress], target: String, options: TCPConnectProbe.Options = .init(),
                         limit: CaptureLimit = .perProbe, session: CaptureSession? = nil) async -> TracedProbeResult {
    await traced(.tcp, addresses, target: target, source: options.source, limit: limit, session: session) { address in
      await TCPConnectProbe.probe([address], target: target, options: options)
    }
  }

  /// The traced form of `UDPProbe.probe`: each address in turn until one replies.
  public static func udp(_ addresses: [SocketAddress], target: String, options: UDPProbe.Options = .init(),
                         limit: CaptureLimit = .perProbe, session: CaptureSession? = nil) async -> TracedProbeResult {
    await traced(.udp, addresses, target: target, source: options.source, limit: limit, session: session) { address in
      await UDPProbe.probe([address], target: target, options: options)
    }
  }

  static func traced(_ transport: CaptureFlow.Transport, _ addresses: [SocketAddress], target: String, source: SocketAddress?,
                     limit: CaptureLimit, session: CaptureSession?, attempt: (SocketAddress) async -> ProbeResult)
    async -> TracedProbeResult {
    var attempts: [ProbeAttempt] = []
    var traces: [CapturedPackets] = []
    var unavailable: CaptureUnavailable?
    for address in addresses {
      if Task.isCancelled { break }
      var capture: PacketCapture?
      if unavailable == nil {
        do {
          capture = try PacketCapture.start(flow: CaptureFlow(transport, remote: address, local: source), limit: limit,
                                            session: session)
        } catch {
          unavailable = error
        }
      }
      let result = await attempt(address)
      attempts += result.attempts
      if let capture {
        // Loopback frames are queued as they pass; elsewhere give the frames that trail an answer (the peer's side
        // of the close) a moment, until the peer's FIN or RST shows. A failure has nothing trailing it: the RST or
        // ICMP error that ended the attempt passed the packet socket before the stack saw it, so waiting would only
        // delay the verdict. Only the attempt's own connection is kept (by its local port), as the frames are read.
        let trailing = result.outcome.isAnswer && !address.address.isLoopback
        let settle: Duration = trailing ? .milliseconds(5) : .zero
        traces.append(result.attempts.last?.local.map { capture.stop(settle: settle, restrictedToLocal: $0) }
                        ?? capture.stop(settle: settle))
      }
      if result.outcome.isAnswer || result.outcome == .cancelled { break }
    }
    if attempts.isEmpty {
      attempts.append(ProbeAttempt(address: addresses.first, outcome: Task.isCancelled ? .cancelled : .error, elapsedMicroseconds: 0))
    }
    return TracedProbeResult(result: ProbeResult(kind: transport == .tcp ? .tcp : .udp, target: target, attempts: attempts),
                             traces: traces, unavailable: unavailable)
  }
}
