import NetProbe

extension ChecklistRun {
  /// Step 2: the packets of the destination's probes, captured around each connect (AF_PACKET, needs CAP_NET_RAW),
  /// read once the destination step is over: the ladder, the RST's TTL against the path, SYNs that never left, a
  /// SYN-ACK the socket never saw.
  func networkingTraceStep() async -> StepOutcome {
    guard options.trace else { return .skip("--no-trace was given") }
    guard let target else { return .skip("no target given: no probe to capture") }
    if case .unix = target.target { return .skip("a unix socket sends no packets to capture") }
    await waitUntilFinished(.destination)
    if let unavailable = captureUnavailable { return .skip(unavailable.reason) }
    guard !destinationCaptures.isEmpty else {
      // Step by step, this step comes before the destination's: its capture is taken around those probes.
      if state.step(.destination).status == .pending {
        return .skip("nothing to show yet: the capture is taken around the destination step's probes, and this step fills in when that step runs")
      }
      return .skip(state.evidence.connects.isEmpty ? "no connect was made: nothing to capture" : "no capture was taken")
    }
    let route = await routeLookup()
    let pathLength: Int? = switch route?.status {
    case .found?: target.isLoopback ? 1 : (route?.gateway == nil ? 1 : 2)
    default: nil
    }
    let firstOutcome = state.evidence.connects.first?.attempts.last?.outcome
    let trace = NetworkingTrace(captures: destinationCaptures, pathLength: pathLength,
                                referenceTTL: state.evidence.echo?.replyTTL, outcome: firstOutcome)
    let packets = trace.packetEvidence(connectOutcome: firstOutcome)
    state.trace = trace
    updateEvidence { $0.packets = packets }

    for capture in trace.captures.prefix(1) {
      let count = capture.packets.count
      detail(.networkingTrace, "\(capture.flow.transport.rawValue) \(capture.flow.remote): \(count) packet\(count == 1 ? "" : "s")"
             + (capture.interface.map { " on \(SafeText.escape($0))" } ?? ""))
    }
    return Self.traceOutcome(trace: trace, packets: packets, transport: target.transport) { self.detail(.networkingTrace, $0) }
  }

  /// The step's status and one-line summary from what the packets show; each fact also becomes a detail line.
  static func traceOutcome(trace: NetworkingTrace, packets: PacketEvidence?, transport: Evidence.Transport,
                           detail: (String) -> Void) -> StepOutcome {
    guard let flow = trace.flow else { return StepOutcome(status: .info, summary: "no packets captured") }
    var facts: [String] = []
    var status = StepStatus.info
    if let emptyReason = trace.emptyReason {
      facts.append(emptyReason)
      if packets?.synsNeverLeft == true { status = .fail }
    }
    if let packets {
      if packets.synAckIgnored == true {
        facts.append("a SYN-ACK arrived but the connect never completed: dropped on this machine")
        status = .fail
      }
      if let reason = packets.resetReason {
        facts.append(packets.resetFromDeviceInPath == true ? reason + ": a device in the path, not the destination, reset the connection" : reason)
        if packets.resetFromDeviceInPath == true { status = .fail }
      }
      if let retransmits = packets.synRetransmits, retransmits > 0 {
        let times = flow.synOffsetsMicroseconds.dropFirst().map { ProbeText.milliseconds($0) }.joined(separator: ", ")
        facts.append("\(retransmits) SYN retransmit\(retransmits == 1 ? "" : "s") (at \(times)): no answer in time")
        if status == .info { status = .warn }
      }
      if flow.synAck != nil, packets.synAckIgnored != true {
        var offer = "SYN-ACK"
        if let mss = packets.serverMaximumSegmentSize { offer += " mss \(mss)" }
        if let window = packets.serverWindow { offer += " win \(window)" }
        facts.append(offer + (flow.handshakeCompleted ? ", handshake completed" : ""))
        if status == .info { status = .pass }
      }
    }
    for error in flow.icmpErrors {
      facts.append("ICMP type \(error.report.type) code \(error.report.code) (\(error.report.meaning))"
                   + (error.report.sender.map { " from \($0)" } ?? ""))
    }
    if transport == .udp {
      facts.append("\(flow.datagramsSent) datagram\(flow.datagramsSent == 1 ? "" : "s") sent, \(flow.datagramsReceived) received")
    }
    for fact in facts { detail(fact) }
    let summary = facts.first ?? "\(flow.packetCount) packet\(flow.packetCount == 1 ? "" : "s"), nothing unusual"
    return StepOutcome(status: status, summary: summary)
  }
}
