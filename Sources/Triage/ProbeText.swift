import NetProbe

/// The text a person reads for probe runs: a line per probe, then the summary, as ping and psping print.
public enum ProbeText {
  /// `  3  127.0.0.1:8080  connected in 0.081 ms (rtt 0.043)  from 127.0.0.1:41234`
  public static func line(sequence: Int, isWarmup: Bool, result: ProbeResult) -> String {
    let label = isWarmup ? "w\(sequence)" : "\(sequence)"
    var lines: [String] = []
    for (index, attempt) in result.attempts.enumerated() {
      let prefix = index == 0 ? pad(label, to: 4) : "    "
      let endpoint = attempt.address?.description ?? SafeText.escape(result.target)
      lines.append("\(prefix)  \(endpoint)  \(describe(attempt, kind: result.kind))")
    }
    return lines.joined(separator: "\n")
  }

  /// `connected in 0.081 ms  from 127.0.0.1:41234`, `refused after 0.045 ms: ECONNREFUSED (111) Connection refused`
  public static func describe(_ attempt: ProbeAttempt, kind: ProbeKind) -> String {
    let time = milliseconds(attempt.elapsedMicroseconds)
    var text: String
    switch attempt.outcome {
    case .connected:
      text = "connected in \(time)"
      if let roundTrip = attempt.kernelRoundTripMicroseconds { text += " (rtt \(decimal(Double(roundTrip) / 1000, places: 3)))" }
      if let local = attempt.local { text += "  from \(local)" }
    case .reply:
      text = "reply in \(time)"
      if let bytes = attempt.replyBytes { text += " (\(bytes) bytes)" }
    case .noReply:
      text = "no reply after \(time) (open or filtered: UDP cannot tell without an answer)"
    case .timedOut:
      text = "timed out after \(time) (no answer)"
    case .cancelled:
      text = "cancelled after \(time)"
    default:
      text = "\(outcomeWords(attempt.outcome, kind: kind)) after \(time)"
    }
    if let errno = attempt.errno { text += ": \(errno)" }
    if let icmp = attempt.icmp, icmp.origin != .none { text += "; \(icmp)" }
    return text
  }

  /// Plain words for an outcome.
  public static func outcomeWords(_ outcome: ProbeOutcome, kind: ProbeKind) -> String {
    switch outcome {
    case .refused: return kind == .udp ? "closed (port unreachable)" : "refused"
    case .hostUnreachable: return "host unreachable"
    case .networkUnreachable: return "network unreachable"
    case .adminProhibited: return "administratively prohibited"
    case .protocolUnreachable: return "protocol unreachable"
    case .fragmentationNeeded: return "too big for the path"
    case .notPermitted: return "blocked by the local stack"
    case .addressUnavailable: return "source address unavailable"
    case .addressInUse: return "source address in use"
    case .descriptorLimit: return "out of file descriptors"
    case .networkDown: return "network down"
    case .missing: return "no such file"
    case .notSocket: return "not a socket"
    case .permissionDenied: return "permission denied"
    case .backlogFull: return "listen backlog full"
    case .noReply: return "no reply"
    case .timedOut: return "timed out"
    default: return outcome.rawValue
    }
  }

  /// The summary block after a run.
  public static func summary(kind: ProbeKind, target: String, statistics s: ProbeStatistics) -> String {
    var lines = ["--- \(SafeText.escape(target)) \(kind.rawValue) statistics ---"]
    let loss = formatPercent(s.lossPercent)
    lines.append("\(s.sent) sent, \(s.answered) answered, \(s.sent - s.answered) lost (\(loss) loss)")
    if let minimum = s.minimumMicroseconds, let average = s.averageMicroseconds, let median = s.medianMicroseconds,
       let p95 = s.percentile95Microseconds, let maximum = s.maximumMicroseconds, let deviation = s.standardDeviationMicroseconds {
      let values = [Double(minimum), average, median, p95, Double(maximum), deviation].map { decimal($0 / 1000, places: 3) }
      lines.append("time min/avg/median/p95/max/stddev = " + values.joined(separator: "/") + " ms")
    }
    let outcomes = s.outcomes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
      .map { "\($0.key) \($0.value)" }
    if !outcomes.isEmpty { lines.append("outcomes: " + outcomes.joined(separator: ", ")) }
    return lines.joined(separator: "\n")
  }

  /// `localhost resolved to 127.0.0.1, ::1 in 0.412 ms (getaddrinfo)`
  public static func resolution(_ r: Resolution) -> String {
    let addresses = r.addresses.map(\.description).joined(separator: ", ")
    switch r.method {
    case .numeric: return "\(addresses) (numeric address: no resolver asked)"
    case .getaddrinfo:
      var text = "\(SafeText.escape(r.name)) resolved to \(addresses) in \(milliseconds(r.elapsedMicroseconds)) (getaddrinfo)"
      if let canonical = r.canonicalName { text += ", canonical name \(SafeText.escape(canonical))" }
      return text
    }
  }

  /// Microseconds as milliseconds with microsecond precision: `0.081 ms`.
  public static func milliseconds(_ microseconds: Int64) -> String {
    decimal(Double(microseconds) / 1000, places: 3) + " ms"
  }

  static func formatPercent(_ value: Double) -> String { decimal(value, places: 1) + "%" }

  /// Fixed decimals without Foundation's formatters.
  static func decimal(_ value: Double, places: Int) -> String {
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int64(scaled / scale)
    let fraction = Int64(scaled - Double(whole) * scale)
    let digits = String(fraction)
    let padded = String(repeating: "0", count: max(0, places - digits.count)) + digits
    return (value < 0 && scaled > 0 ? "-" : "") + "\(whole)" + (places > 0 ? "." + padded : "")
  }

  static func pad(_ text: String, to width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
  }
}
