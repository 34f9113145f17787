import NetProbe
import Triage

/// The detail of one step: its result, what changed, the evidence drawn where it fits (latency sparkline and
/// statistics, the handshake ladder, route and neighbour state) and each probe's line.
enum StepContent {
  static func lines(_ step: StepState, state: ScreenState, width: Int) -> [StyledLine] {
    let glyphs = state.glyphs
    var lines: [StyledLine] = [statusLine(step, state: state)]
    if !step.summary.isEmpty {
      lines += TextWrap.wrap(SafeText.escape(step.summary), width: width)
    }
    if let change = state.ui.changes[step.id] {
      lines += TextWrap.wrap("changed since the last run: \(change.old.status.rawValue) \(glyphs.arrowRight) \(change.new.status.rawValue)",
                             width: width, style: .changed, first: String(glyphs.changed) + " ", hanging: "  ")
      lines += TextWrap.wrap(SafeText.escape(change.old.summary), width: width, style: .dim, first: "  was: ", hanging: "       ")
    }
    if let snapshot = state.snapshot {
      let evidence = evidenceLines(step.id, evidence: snapshot.evidence, trace: snapshot.trace, pathTrace: snapshot.pathTrace,
                                   glyphs: glyphs, width: width)
      if !evidence.isEmpty {
        lines.append("")
        lines += evidence
      }
    }
    if !step.details.isEmpty {
      lines.append(StyledLine("Probes", .heading))
      for detail in step.details { lines += TextWrap.wrap(SafeText.escape(detail), width: width, first: "  ", hanging: "      ") }
    }
    if !step.findings.isEmpty && !state.ui.hidesVerdict {
      lines.append(StyledLine("Findings", .heading))
      for finding in step.findings {
        let style: Style = finding.id == .reachable ? .pass : (finding.severity == .primary ? .fail : .warn)
        lines += TextWrap.wrap("\(finding.id.rawValue): " + SafeText.escape(finding.summary), width: width, style: style,
                               first: "  ", hanging: "    ")
      }
    }
    return lines
  }

  /// `✔ pass in 0.312 ms`, `⠹ running for 1.2 s`, `· pending`.
  static func statusLine(_ step: StepState, state: ScreenState) -> StyledLine {
    let mark = state.glyphs.mark(step.status, frame: state.ui.spinnerFrame)
    var line = StyledLine([Span(String(mark) + " " + step.status.rawValue, step.status.style)])
    switch step.status {
    case .running:
      if let start = step.startedMicroseconds, let clock = state.ui.clockMicroseconds, clock >= start {
        line.append(" for " + Format.duration(clock - start), .dim)
      }
    case .pending:
      line.append(state.ui.stepByStep ? "  (runs when asked)" : "  (waiting to start)", .dim)
    default:
      if let duration = step.durationMicroseconds { line.append(" in " + Format.duration(duration), .dim) }
    }
    return line
  }

  /// The evidence a step gathered, drawn as it is best read.
  static func evidenceLines(_ step: StepID, evidence: Evidence, trace: NetworkingTrace? = nil, pathTrace: TraceResult? = nil,
                            glyphs: Glyphs, width: Int) -> [StyledLine] {
    switch step {
    case .pathPicture:
      guard let route = evidence.route else { return [] }
      var text = "route: \(route.kind.rawValue)"
      if let gateway = route.gateway { text += " via \(gateway)" }
      if let interface = route.interface { text += " dev " + SafeText.escape(interface) }
      if let source = route.source { text += " src \(source)" }
      text += route.isOnLink ? " (on-link)" : (route.gateway != nil ? " (routed)" : "")
      var lines = TextWrap.wrap(text, width: width)
      if route.interfaceUp == false || route.carrier == false {
        lines.append(StyledLine("interface: up=\(route.interfaceUp.map(String.init) ?? "?") carrier=\(route.carrier.map(String.init) ?? "?")", .fail))
      }
      if route.gatewayFitsSubnet == false { lines.append(StyledLine("the gateway is outside every prefix of its interface", .fail)) }
      if let pathTrace {
        lines.append(StyledLine("Hops toward the destination (traced while the connect waited)", .heading))
        lines += TraceText.hopLines(pathTrace).map { StyledLine("  " + $0, $0.contains("*") ? .warn : .normal) }
        lines += TextWrap.wrap(TraceText.conclusion(pathTrace), width: width, style: pathTrace.reached ? .pass : .warn)
      }
      return lines
    case .networkingTrace:
      var lines: [StyledLine] = []
      if let packets = evidence.packets {
        if let reset = packets.resetHops { lines.append(StyledLine("RST travelled \(reset) hop(s)")) }
        if let destination = packets.destinationHops { lines.append(StyledLine("the destination is \(destination) hop(s) away")) }
        if packets.synsNeverLeft == true { lines.append(StyledLine("the SYNs never reached the egress interface", .fail)) }
        if packets.synAckIgnored == true { lines.append(StyledLine("a SYN-ACK arrived but the socket never saw it", .fail)) }
      }
      if let trace {
        lines.append(StyledLine("Packets (captured)", .heading))
        lines += capturedLadder(trace, width: width)
      }
      return lines
    case .localStack:
      guard let interfaces = evidence.interfaces else { return [] }
      return [StyledLine("usable interfaces (up, carrier, global address): \(interfaces.usableCount)",
                         interfaces.usableCount == 0 ? .fail : .normal)]
    case .neighbours:
      return evidence.targetNeighbour.map { [neighbourLine("destination", $0)] } ?? []
    case .defaultGateway:
      var lines: [StyledLine] = []
      if let gateway = evidence.gatewayNeighbour { lines.append(neighbourLine("gateway", gateway)) }
      if let baseline = evidence.baselineRoundTripMicroseconds { lines.append(StyledLine("round trip: " + Format.duration(baseline))) }
      return lines
    case .destination:
      return destinationLines(evidence, trace: trace, glyphs: glyphs, width: width)
    case .socketState:
      guard let rising = evidence.localListenOverflowRising else { return [] }
      return [StyledLine(rising ? "the listener's overflow counters rose during the run" : "the listener's overflow counters did not rise",
                         rising ? .fail : .normal)]
    }
  }

  static func neighbourLine(_ role: String, _ neighbour: NeighbourEvidence) -> StyledLine {
    let style: Style = neighbour.failed ? .fail : (neighbour.answered ? .pass : .normal)
    return StyledLine([Span("\(role) \(neighbour.address): "), Span(neighbour.state.rawValue.uppercased(), style)])
  }

  static func destinationLines(_ evidence: Evidence, trace: NetworkingTrace? = nil, glyphs: Glyphs, width: Int) -> [StyledLine] {
    var lines: [StyledLine] = []
    if let dns = evidence.dns {
      var text = "DNS: \(dns.outcome.rawValue)"
      if !dns.addresses.isEmpty { text += " " + dns.addresses.map(\.description).joined(separator: ", ") }
      if let time = dns.elapsedMicroseconds { text += " in " + Format.duration(time) }
      lines += TextWrap.wrap(text, width: width, style: dns.outcome == .resolved ? .normal : .fail)
    }
    if let echo = evidence.echo {
      let text = echo.skippedReason.map { "ping: skipped (\(SafeText.escape($0)))" } ?? "ping: \(echo.replies) of \(echo.sent) replies"
      lines += TextWrap.wrap(text, width: width, style: echo.replies > 0 || echo.skippedReason != nil ? .normal : .warn)
    }
    let results = evidence.connects
    let answered = results.filter { $0.outcome.isAnswer }
    if !answered.isEmpty {
      let statistics = ProbeStatistics(results)
      lines += latencyLines(statistics, samples: results.map { $0.outcome.isAnswer ? $0.answerMicroseconds : nil },
                            glyphs: glyphs, width: width)
    }
    if let trace, trace.decisive != nil {
      lines.append(StyledLine("Handshake (captured packets)", .heading))
      lines += capturedLadder(trace, width: width)
    } else if let first = results.first, evidence.transport != .unix {
      let attempt = first.final
      lines.append(StyledLine("Handshake (read from the socket's outcome)", .heading))
      lines += ladder(attempt, transport: evidence.transport, glyphs: glyphs, width: width)
    }
    return lines
  }

  /// The networking trace's ladder at the pane's width: RSTs and ICMP errors in the fail colour, the answer in pass.
  static func capturedLadder(_ trace: NetworkingTrace, width: Int) -> [StyledLine] {
    trace.ladder(width: width).map { line in
      let style: Style = line.contains("RST") || line.contains("ICMP") || line.contains("device in the path") ? .fail
        : (line.contains("SYN-ACK") || line.contains("reply") ? .pass : .normal)
      return StyledLine(line, style)
    }
  }

  /// `Latency ▂▅█▃  3 probes, 0.0% loss` and `min/avg/p95/max 0.052/0.081/0.120/0.231 ms, jitter 0.020 ms`.
  static func latencyLines(_ s: ProbeStatistics, samples: [Int64?], glyphs: Glyphs, width: Int) -> [StyledLine] {
    var lines: [StyledLine] = []
    let spark = glyphs.sparkline(Array(samples.suffix(max(1, width - 30))))
    lines.append(StyledLine([Span("Latency ", .heading), Span(spark, .running),
                             Span("  \(s.sent) probe\(s.sent == 1 ? "" : "s"), \(Format.percent(s.lossPercent)) loss", s.lossPercent > 0 ? .warn : .normal)]))
    if let minimum = s.minimumMicroseconds, let average = s.averageMicroseconds, let p95 = s.percentile95Microseconds,
       let maximum = s.maximumMicroseconds {
      let values = [Double(minimum), average, p95, Double(maximum)].map(Format.milliseconds).joined(separator: "/")
      var text = "min/avg/p95/max \(values) ms"
      if let jitter = s.jitterMicroseconds { text += ", jitter \(Format.milliseconds(jitter)) ms" }
      lines += TextWrap.wrap(text, width: width, first: "  ", hanging: "  ")
    }
    return lines
  }

  /// The packets a connect outcome implies, as a ladder between this host and the destination.
  static func ladder(_ attempt: ProbeAttempt, transport: Evidence.Transport, glyphs: Glyphs, width: Int) -> [StyledLine] {
    // Room for the label (10 columns), the arrow, and a note such as "  to 198.18.2.10:8080".
    let span = max(8, min(30, width - 32))
    let line = String(repeating: glyphs.horizontal, count: span)
    let right = glyphs.asciiOnly ? ">" : "▶"
    let left = glyphs.asciiOnly ? "<" : "◀"
    func out(_ label: String, _ note: String = "", style: Style = .normal) -> StyledLine {
      StyledLine([Span("  " + TextWrap.pad(label, to: 8), style), Span(String(line.dropLast()) + right, .border), Span(note.isEmpty ? "" : "  " + note, .dim)])
    }
    func back(_ label: String, _ note: String = "", style: Style) -> StyledLine {
      StyledLine([Span("  " + TextWrap.pad("", to: 8)), Span(left + String(line.dropLast()), .border), Span(" " + label, style),
                  Span(note.isEmpty ? "" : "  " + note, .dim)])
    }
    let time = Format.duration(attempt.elapsedMicroseconds)
    let peer = attempt.address.map { "to \($0)" } ?? ""
    if transport == .udp {
      switch attempt.outcome {
      case .reply: return [out("datagram", peer), back("reply", time, style: .pass)]
      case .refused: return [out("datagram", peer), back("ICMP port unreachable", time, style: .fail)]
      case .noReply, .timedOut: return [out("datagram", peer), StyledLine("  no answer in \(time): open or filtered", .warn)]
      default: return [out("datagram", peer), StyledLine("  " + ProbeText.outcomeWords(attempt.outcome, kind: .udp) + " after " + time, .fail)]
      }
    }
    switch attempt.outcome {
    case .connected:
      return [out("SYN", peer), back("SYN-ACK", time, style: .pass), out("ACK", "handshake complete")]
    case .refused:
      return [out("SYN", peer), back("RST", time, style: .fail)]
    case .timedOut:
      return [out("SYN", peer), out("SYN", "retransmits (1 s, 2 s, 3 s, …)", style: .dim),
              StyledLine("  no answer in \(time)", .warn)]
    default:
      if let icmp = attempt.icmp, icmp.origin != .none {
        let sender = icmp.sender.map { " from \($0)" } ?? ""
        return [out("SYN", peer), back("ICMP \(icmp.type)/\(icmp.code)\(sender)", time, style: .fail)]
      }
      return [out("SYN", peer), StyledLine("  " + ProbeText.outcomeWords(attempt.outcome, kind: .tcp) + " after " + time, .fail)]
    }
  }
}
