import NetProbe

/// The text a person reads for ICMP echo runs: ping's lines, with every failure named and its sender.
public enum ICMPText {
  /// `echo requests to 127.0.0.1: 56 data bytes, raw socket`
  public static func start(address: IPAddress, payloadSize: Int, method: ICMPMethod, ttl: Int?) -> String {
    var text = "echo requests to \(address): \(payloadSize) data bytes, \(method.rawValue) socket"
    if let ttl { text += ", \(address.family == .ipv4 ? "TTL" : "hop limit") \(ttl)" }
    return text
  }

  /// `   3  127.0.0.1  reply in 0.045 ms  ttl 64  64 bytes`
  public static func line(sequence: Int, isWarmup: Bool, result: ICMPEchoResult) -> String {
    let label = isWarmup ? "w\(sequence)" : "\(sequence)"
    return "\(ProbeText.pad(label, to: 4))  \(result.address)  \(describe(result))"
  }

  /// `reply in 0.045 ms  ttl 64  64 bytes`,
  /// `time exceeded after 0.210 ms; ICMP type 11 code 0 (time exceeded: TTL expired in transit) from 198.18.1.1`
  public static func describe(_ result: ICMPEchoResult) -> String {
    let time = ProbeText.milliseconds(result.rttMicroseconds)
    var text: String
    switch result.outcome {
    case .reply:
      text = "reply in \(time)"
      if let from = result.from, from != result.address { text += " from \(from)" }
      if let ttl = result.ttl { text += "  \(result.address.family == .ipv4 ? "ttl" : "hlim") \(ttl)" }
      if let bytes = result.bytes { text += "  \(bytes) bytes" }
      return text
    case .timedOut:
      return "timed out after \(time) (no reply)"
    case .cancelled:
      return "cancelled after \(time)"
    default:
      text = "\(outcomeWords(result.outcome)) after \(time)"
    }
    if let icmp = result.icmp, icmp.origin == .icmp || icmp.origin == .icmp6 {
      text += "; \(icmp)"
    } else if let errno = result.errno {
      text += ": \(errno)"
    }
    return text
  }

  /// Plain words for an outcome.
  public static func outcomeWords(_ outcome: ICMPEchoOutcome) -> String {
    switch outcome {
    case .reply: return "reply"
    case .timedOut: return "timed out"
    case .networkUnreachable: return "network unreachable"
    case .hostUnreachable: return "host unreachable"
    case .neighborUnreachable: return "destination host unreachable (our ARP/ND got no answer)"
    case .noRoute: return "no route (the local routing table)"
    case .adminProhibited: return "administratively prohibited"
    case .protocolUnreachable: return "protocol unreachable"
    case .portUnreachable: return "port unreachable"
    case .fragmentationNeeded: return "too big for the path"
    case .destinationUnreachable: return "destination unreachable"
    case .timeExceeded: return "time exceeded"
    case .parameterProblem: return "parameter problem"
    case .notPermitted: return "blocked by the local stack"
    case .addressUnavailable: return "source address unavailable"
    case .networkDown: return "network down"
    case .cancelled: return "cancelled"
    case .error: return "error"
    }
  }

  /// The summary block after a run, as the connect probes print it.
  public static func summary(target: String, statistics s: ProbeStatistics) -> String {
    var lines = ["--- \(SafeText.escape(target)) icmp statistics ---"]
    lines.append("\(s.sent) sent, \(s.answered) answered, \(s.sent - s.answered) lost (\(ProbeText.formatPercent(s.lossPercent)) loss)")
    if let minimum = s.minimumMicroseconds, let average = s.averageMicroseconds, let median = s.medianMicroseconds,
       let p95 = s.percentile95Microseconds, let maximum = s.maximumMicroseconds, let deviation = s.standardDeviationMicroseconds {
      let values = [Double(minimum), average, median, p95, Double(maximum), deviation].map { ProbeText.decimal($0 / 1000, places: 3) }
      lines.append("time min/avg/median/p95/max/stddev = " + values.joined(separator: "/") + " ms")
    }
    let outcomes = s.outcomes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { "\($0.key) \($0.value)" }
    if !outcomes.isEmpty { lines.append("outcomes: " + outcomes.joined(separator: ", ")) }
    return lines.joined(separator: "\n")
  }

  /// `icmp probe of host skipped: needs CAP_NET_RAW or a group in net.ipv4.ping_group_range (...)`
  public static func skipped(target: String, reason: ICMPUnavailable) -> String {
    "icmp probe of \(SafeText.escape(target)) skipped: \(reason.reason)"
  }
}
