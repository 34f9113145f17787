import NetProbe

/// The packets of the destination step's probes, captured by the networking-trace step (checklist step 2), with what
/// is needed to judge them: how far the destination is and a packet it sent itself.
///
/// Renderers draw `ladder(width:)` at their own width (80 columns in `check`, the detail pane in the screen); the
/// decision logic reads `packetEvidence(for:)`.
public struct NetworkingTrace: Codable, Sendable, Hashable {
  /// One capture per connect attempt of the destination step, in order.
  public var captures: [CapturedPackets]
  /// Hops to the destination as traceroute counts them, a lower bound from the route: 1 on-link, 2 through a gateway.
  public var pathLength: Int?
  /// TTL of the destination's echo reply, when ping got one.
  public var referenceTTL: UInt8?
  /// How the decisive connect ended: explains an empty capture.
  public var outcome: ProbeOutcome?

  public init(captures: [CapturedPackets], pathLength: Int? = nil, referenceTTL: UInt8? = nil, outcome: ProbeOutcome? = nil) {
    self.captures = captures
    self.pathLength = pathLength
    self.referenceTTL = referenceTTL
    self.outcome = outcome
  }

  /// Why the decisive capture is empty, from how its connect ended; nil when it is not empty.
  public var emptyReason: String? {
    guard let decisive, decisive.packets.isEmpty else { return nil }
    switch outcome {
    case .hostUnreachable?:
      return "no SYN left: the kernel sends it only once the next hop's MAC is known (ARP/ND), and no answer came"
    case .networkUnreachable?, .notPermitted?, .addressUnavailable?, .networkDown?:
      return "no SYN left: this machine's own stack refused to send it"
    default:
      return "no SYN reached the interface: this machine dropped its own packets (a local firewall rule), or they went another way"
    }
  }

  /// The first connection's capture: the one the verdict rests on (later probes only measure loss and latency).
  public var decisive: CapturedPackets? { captures.first }

  /// What the decisive capture shows.
  public var flow: FlowEvidence? {
    decisive.map { FlowEvidence($0, pathLength: pathLength, referenceTTL: referenceTTL) }
  }

  /// Every packet of every capture, in capture order (for the pcap).
  public var packets: [CapturedPacket] { captures.flatMap(\.packets) }

  /// The ladder of the decisive connection, then a line on the others.
  public func ladder(width: Int) -> [String] {
    guard let decisive else { return ["no packets were captured"] }
    var lines = LadderText.render(decisive, width: width, pathLength: pathLength, referenceTTL: referenceTTL)
    if let emptyReason, lines.count == 2 { lines[1] = "  " + emptyReason }
    if captures.count > 1 {
      let packets = captures.dropFirst().reduce(0) { $0 + $1.packets.count }
      lines.append("\(captures.count - 1) more connection\(captures.count == 2 ? "" : "s") captured (\(packets) packets; every one goes into --pcap and --bundle)")
    }
    return lines
  }

  /// The facts the decision logic takes from the decisive capture, given how its connect ended.
  public func packetEvidence(connectOutcome: ProbeOutcome?) -> PacketEvidence? {
    guard let decisive, let flow else { return nil }
    var evidence = PacketEvidence()
    if decisive.flow.transport == .tcp {
      evidence.synRetransmits = flow.synRetransmits
      evidence.serverMaximumSegmentSize = flow.synAck?.maximumSegmentSize
      evidence.serverWindow = flow.synAck?.window
      if let reset = flow.reset, let judgement = flow.resetJudgement {
        evidence.resetHops = judgement.estimate.routersCrossed
        evidence.destinationHops = judgement.expectedRoutersCrossed
        evidence.resetFromDeviceInPath = judgement.fromDeviceInPath
        evidence.resetReason = "RST from \(reset.sender): " + judgement.reason
      }
      // Both facts need the connect to have waited in vain: a refused or answered connect explains itself.
      if connectOutcome == .timedOut {
        evidence.synsNeverLeft = flow.synOffsetsMicroseconds.isEmpty && flow.reset == nil && flow.icmpErrors.isEmpty
        evidence.synAckIgnored = flow.synAck != nil
      }
    }
    return evidence
  }
}
