import NetProbe

/// The text a person reads for a trace: one line per hop (traceroute's shape, plainer), `*` for silence, then the
/// finding in one line and what the trace could not see. The TUI's hop table uses the same pieces.
///
/// ```
/// tcp trace to 198.18.2.2 port 443: up to 30 hops, 3 probes each, 3 s timeout, raw ICMP listener
///   1  198.18.1.1  time exceeded (ICMP 11/0)  0.061 ms  0.048 ms  0.047 ms
///   2  198.18.2.2  SYN-ACK                    0.093 ms  0.080 ms  0.078 ms
/// reached 198.18.2.2 in 2 hops (SYN-ACK: port 443 is open)
/// ```
public enum TraceText {
  /// The line before the trace runs: mode, destination, limits, and how it sees the answers.
  public static func start(mode: TraceMode, address: IPAddress, port: UInt16?, options: TraceOptions,
                           icmpMethod: ICMPMethod? = nil, rawListener: Bool? = nil,
                           listenerUnavailable: ICMPUnavailable? = nil) -> String {
    var text = "\(mode.rawValue) trace to \(address)"
    if let port, mode != .icmp { text += " port \(port)" }
    text += ": up to \(options.maxHops) \(options.maxHops == 1 ? "hop" : "hops"), \(options.queries) "
      + "\(options.queries == 1 ? "probe" : "probes") each, \(seconds(microseconds(of: options.timeout))) timeout"
    if let icmpMethod { text += ", \(icmpMethod.rawValue) socket" }
    if let rawListener {
      text += rawListener ? ", raw ICMP listener" : ", no raw ICMP listener"
      if !rawListener, listenerUnavailable != nil { text += " (needs CAP_NET_RAW)" }
    }
    return text
  }

  /// Every line after the start line: the hops, the finding, the notes.
  public static func lines(_ result: TraceResult) -> [String] {
    hopLines(result) + [conclusion(result)] + result.notes.map { "note: " + $0 }
  }

  /// One line per hop, and one more per extra responder at a hop; a silent tail of two or more hops is one line.
  public static func hopLines(_ result: TraceResult) -> [String] {
    let hops = result.hops
    let responders = hops.flatMap(\.responders)
    let addressWidth = responders.map { responderText($0).count }.max() ?? 1
    let answerWidth = responders.map { answerText($0).count }.max() ?? 0
    let silentTail = hops.reversed().prefix { $0.isSilent }.count
    let tailLabel = silentTail >= 2 ? "\(hops[hops.count - silentTail].ttl)-\(hops[hops.count - 1].ttl)" : ""
    let ttlWidth = max(3, "\(hops.last?.ttl ?? 1)".count, tailLabel.count)
    let shown = silentTail >= 2 ? hops.dropLast(silentTail) : hops[...]
    var lines: [String] = []
    for hop in shown {
      let stars = Array(repeating: "*", count: hop.unanswered)
      guard !hop.responders.isEmpty else {
        lines.append("\(ProbeText.pad("\(hop.ttl)", to: ttlWidth))  " + (stars.isEmpty ? ["*"] : stars).joined(separator: "  "))
        continue
      }
      for (position, responder) in hop.responders.enumerated() {
        let label = position == 0 ? "\(hop.ttl)" : ""
        var times = responder.rttMicroseconds.map(ProbeText.milliseconds)
        // Answers found only after the wait (raw-listener evidence read at the end) have no round trip.
        let untimed = responder.answer == .localError
          ? 0 : hop.probes.filter { TraceResponder.matches($0, responder) && $0.rttMicroseconds == nil }.count
        times += Array(repeating: "(no time)", count: untimed)
        if position == 0 { times += stars }
        let columns = [ProbeText.pad(label, to: ttlWidth), padRight(responderText(responder), to: addressWidth),
                       padRight(answerText(responder), to: answerWidth)] + times
        lines.append(columns.joined(separator: "  ").trimmingTrailingSpaces())
      }
    }
    if silentTail >= 2 {
      lines.append("\(ProbeText.pad(tailLabel, to: ttlWidth))  *  (no answer from these \(silentTail) hops)")
    }
    return lines
  }

  /// The responder's address (escaped); `this host` for what our own stack refused to send; `?` when the sender is
  /// unknown.
  public static func responderText(_ responder: TraceResponder) -> String {
    if let address = responder.address { return SafeText.escape(address.description) }
    return responder.answer == .localError ? "this host" : "?"
  }

  /// What the responder sent, with the ICMP type/code: `time exceeded (ICMP 11/0)`, `SYN-ACK`, `RST`.
  public static func answerText(_ responder: TraceResponder) -> String {
    var text = words(responder.answer, icmp: responder.icmp, errno: responder.errno)
    if let icmp = responder.icmp, icmp.origin == .icmp || icmp.origin == .icmp6 {
      text += " (\(icmp.origin == .icmp ? "ICMP" : "ICMPv6") \(icmp.type)/\(icmp.code))"
    }
    return text
  }

  /// Plain words for an answer.
  public static func words(_ answer: TraceAnswer, icmp: ICMPReport? = nil, errno: Errno? = nil) -> String {
    switch answer {
    case .timeExceeded: return "time exceeded"
    case .echoReply: return "echo reply"
    case .udpReply: return "UDP reply"
    case .portUnreachable: return "port unreachable"
    case .synAck: return "SYN-ACK"
    case .reset: return "RST"
    case .adminProhibited: return "admin-prohibited"
    case .unreachable, .otherICMP: return icmp?.meaning ?? "ICMP error"
    case .unattributed: return "\(errno?.name ?? "error"), sender unknown (needs CAP_NET_RAW)"
    case .noAnswer: return "no answer"
    case .localError: return "not sent: \(errno?.name ?? "error")"
    case .cancelled: return "cancelled"
    }
  }

  /// The finding in one line: `reached 198.18.2.2 in 2 hops`, `hop 1 (198.18.1.1) rejects: admin-prohibited`,
  /// `no answer after hop 1 (198.18.1.1): something past it drops the probes`.
  public static func conclusion(_ result: TraceResult) -> String {
    let finding = result.conclusion
    let address = finding.address.map { SafeText.escape($0.description) }
    let hop = finding.hop
    let at = address.map { "hop \(hop) (\($0))" } ?? "hop \(hop)"
    switch finding.kind {
    case .reached:
      var text = "reached \(address ?? "the destination") in \(hop) \(hop == 1 ? "hop" : "hops")"
      let port = result.port.map(String.init) ?? "?"
      switch finding.answer {
      case .synAck?: text += " (SYN-ACK: port \(port) is open)"
      case .reset?: text += " (RST: nothing listens on port \(port), or a device at hop \(hop) resets on its behalf)"
      case .udpReply?: text += " (it answered on UDP port \(port))"
      case .adminProhibited?: text += "; it rejects: admin-prohibited"
      case .unreachable?, .otherICMP?: text += "; it answers: \(finding.icmp?.meaning ?? "an ICMP error")"
      default: break
      }
      return text
    case .rejected:
      return "\(at) rejects: admin-prohibited"
    case .unreachable:
      var meaning = finding.icmp?.meaning ?? words(finding.answer ?? .unreachable)
      if meaning.hasPrefix("destination unreachable: ") { meaning.removeFirst("destination unreachable: ".count) }
      if let own = finding.address, own == result.source {
        let why = finding.icmp?.isHostUnreachable == true ? ": ARP/ND for the next hop got no answer" : ""
        return "this host (\(SafeText.escape(own.description))) says \(meaning)\(why)"
      }
      return "\(at) says \(meaning): the path ends there"
    case .silent:
      guard hop > 0 else {
        return "no answer from any hop: the probes are dropped before the first router, or nothing on the path answers "
          + "\(result.mode.rawValue) probes"
      }
      return "no answer after \(at): something past it drops the probes"
    case .localError:
      return "this host did not send the probes: \(finding.errno?.description ?? "a local error")"
    case .cancelled:
      return hop > 0 ? "stopped before the trace ended (last answer from \(at))" : "stopped before any answer came"
    }
  }

  /// The line for an ICMP trace that cannot run here.
  public static func skipped(target: String, reason: ICMPUnavailable) -> String {
    "icmp trace to \(SafeText.escape(target)) skipped: \(reason.reason); --mode udp needs no privilege"
  }

  /// `3 s`, `0.25 s`.
  static func seconds(_ microseconds: Int64) -> String {
    guard microseconds % 1_000_000 != 0 else { return "\(microseconds / 1_000_000) s" }
    var text = ProbeText.decimal(Double(microseconds) / 1_000_000, places: 3)
    while text.hasSuffix("0") { text.removeLast() }
    return text + " s"
  }

  static func padRight(_ text: String, to width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - text.count))
  }
}

extension TraceResponder {
  /// Whether a probe's answer is the one this responder stands for.
  static func matches(_ probe: TraceProbe, _ responder: TraceResponder) -> Bool {
    probe.responder == responder.address && probe.answer == responder.answer && probe.icmp?.type == responder.icmp?.type
      && probe.icmp?.code == responder.icmp?.code
  }
}

extension String {
  fileprivate func trimmingTrailingSpaces() -> String {
    var text = self
    while text.last == " " { text.removeLast() }
    return text
  }
}
