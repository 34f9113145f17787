import NetProbe

extension ChecklistRun {
  /// When the first connect to a routed destination is still unanswered after `patience`, a TCP traceroute to the same address and port
  /// (SYNs with rising TTLs, every TTL at once, unprivileged: the errors come back on the probes' own sockets) shows
  /// how far toward the destination the SYN gets while the connect waits out its timeout. It ends before the
  /// connect's deadline, so it costs the verdict no time. A connect that answers first cancels it unrun.
  ///
  /// The result goes into the snapshot (the screen's hop table, the text after the ladder) and the evidence (the
  /// last hop that answered, for the decision's evidence lines).
  func traceWhileTheConnectWaits(to address: SocketAddress, label: String, connectStarted: ContinuousClock.Instant) async {
    let patience = Duration.milliseconds(250)
    let remaining = options.timeout - patience
    guard remaining >= .milliseconds(200), !address.address.isLoopback else { return }
    try? await Task.sleep(until: connectStarted + patience)
    guard connectPending, !Task.isCancelled else { return }
    // On the local link there is no path to trace, and the probes would restart the ARP/ND resolution the
    // neighbour step is watching fail.
    guard let route = await routeLookup(), route.gateway != nil, connectPending, !Task.isCancelled else { return }
    detail(.pathPicture, "the connect is unanswered after \(ProbeText.milliseconds(250_000)): tracing the path to \(address)")
    let traceOptions = TraceOptions(mode: .tcp, maxHops: 16, queries: 1, timeout: min(remaining - .milliseconds(100), .seconds(1)))
    guard let result = try? await Traceroute.trace(to: address, target: label, options: traceOptions) else { return }
    state.pathTrace = result
    for line in TraceText.hopLines(result) { detail(.pathPicture, "trace " + line) }
    detail(.pathPicture, "trace: " + TraceText.conclusion(result))
    updateEvidence { $0.pathTrace = PathTraceEvidence(result) }
  }
}

/// What a traceroute run during the check showed: the finding and how far the path answered.
public struct PathTraceEvidence: Codable, Sendable, Hashable {
  public var conclusion: TraceConclusion.Kind
  /// The hop the conclusion is about (where the destination answered, the rejecting device, the last hop that
  /// answered before the silence).
  public var hop: Int
  public var address: IPAddress?
  /// The conclusion in words, for evidence lines.
  public var text: String

  public init(conclusion: TraceConclusion.Kind, hop: Int, address: IPAddress?, text: String) {
    self.conclusion = conclusion
    self.hop = hop
    self.address = address
    self.text = text
  }

  init(_ result: TraceResult) {
    self.init(conclusion: result.conclusion.kind, hop: result.conclusion.hop, address: result.conclusion.address,
              text: TraceText.conclusion(result))
  }
}
