import NetProbe

/// One DNS query's outcome in a line, for `probe dns` and for the check's DNS evidence. Names from the answer are
/// escaped: they come from the network.
public enum DNSQueryText {
  /// `198.18.0.10 in 0.412 ms (aa rd)`, `NXDOMAIN in 0.3 ms: the name does not exist`, `timed out after 3000.000 ms`
  public static func describe(_ query: DNSQueryResult) -> String {
    let time = ProbeText.milliseconds(query.elapsedMicroseconds)
    let flagNames = query.header?.flagNames.filter { $0 != "qr" } ?? []
    let flags = flagNames.isEmpty ? "" : " (\(flagNames.joined(separator: " ")))"
    var text: String
    switch query.outcome {
    case .answer:
      text = query.addresses.map(\.description).joined(separator: ", ") + " in \(time)"
      if !query.canonicalNames.isEmpty {
        text += " via CNAME " + query.canonicalNames.map { SafeText.escape($0.description) }.joined(separator: " -> ")
      }
      text += flags
    case .noData: text = "no \(query.type) record (NOERROR, no data) in \(time)\(flags)"
    case .nxdomain: text = "NXDOMAIN in \(time)\(flags): the name does not exist"
    case .servfail: text = "SERVFAIL in \(time)\(flags): the server could not get an answer"
    case .refused: text = "REFUSED in \(time)\(flags): the server will not answer this client"
    case .otherResponseCode: text = "\(query.responseCode?.name ?? "error") in \(time)\(flags)"
    case .truncated: text = "truncated in \(time)\(flags): TC set, the answer needs TCP (not tried)"
    case .malformed: text = "malformed response in \(time): \(query.malformed?.description ?? "unreadable")"
    case .timedOut: text = "timed out after \(time) (no answer)"
    case .portClosed: text = "server refused (port closed) after \(time)"
    case .networkError: text = "network error after \(time)"
    case .cancelled: text = "cancelled after \(time)"
    }
    if let errno = query.errno { text += ": \(errno)" }
    if let icmp = query.icmp, icmp.origin != .none { text += "; \(icmp)" }
    if let first = query.ignored.first {
      text += "; ignored \(query.ignored.count) datagram\(query.ignored.count == 1 ? "" : "s") that did not match (\(first)\(query.ignored.count > 1 ? ", ..." : ""))"
    }
    return text
  }

  /// `198.18.2.10:53 A www.lab.test: timed out after 1000.512 ms (no answer)`
  public static func line(_ query: DNSQueryResult) -> String {
    "\(query.server) \(query.type.name) \(SafeText.escape(query.name.description)): \(describe(query))"
  }
}
