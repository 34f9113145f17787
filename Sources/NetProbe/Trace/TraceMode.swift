/// What a trace sends with a limited TTL. Raw values are stable: they appear in `--json` output.
public enum TraceMode: String, Codable, Sendable, Hashable, CaseIterable {
  /// ICMP echo requests: a raw socket with CAP_NET_RAW, else an ICMP datagram socket (`ping_group_range`).
  case icmp
  /// UDP datagrams, one connected socket each; errors come back through `IP_RECVERR`, so no privilege is needed.
  case udp
  /// TCP SYNs to the application port, one nonblocking connect each: shows where a firewall drops or rejects.
  case tcp

  /// The destination port when neither the target nor the user names one: traceroute's 33434 for UDP (unlikely to be
  /// open, so the destination answers port unreachable), 80 for TCP; ICMP has no ports.
  public var defaultPort: UInt16 {
    switch self {
    case .icmp: return 0
    case .udp: return 33434
    case .tcp: return 80
    }
  }
}
