/// The counter groups of `/proc/net/netstat` or `/proc/net/snmp`: each group is a header line of names and a
/// value line with the same prefix (`TcpExt: SyncookiesSent ...` then `TcpExt: 0 ...`).
public struct ProcNetCounters: Sendable, Hashable {
  /// Group (`TcpExt`, `Tcp`, `IpExt`, ...) to counter name to value.
  public var groups: [String: [String: Int64]]

  public init(groups: [String: [String: Int64]] = [:]) { self.groups = groups }

  /// Parses any number of header/value line pairs. A pair whose lines differ in length keeps the names that
  /// have a value; a value that is not an integer is left out.
  public init(parsing text: String) {
    var groups: [String: [String: Int64]] = [:]
    var pendingHeader: (group: String, names: [Substring])?
    for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
      guard let colon = line.firstIndex(of: ":") else { pendingHeader = nil; continue }
      let group = String(line[..<colon])
      let fields = line[line.index(after: colon)...].split(separator: " ", omittingEmptySubsequences: true)
      if let header = pendingHeader, header.group == group {
        for (name, value) in zip(header.names, fields) {
          // Counters are unsigned longs, but Tcp's MaxConn is -1: accept both.
          if let number = Int64(value) ?? UInt64(value).map({ Int64(truncatingIfNeeded: $0) }) {
            groups[group, default: [:]][String(name)] = number
          }
        }
        pendingHeader = nil
      } else {
        pendingHeader = (group, fields)
      }
    }
    self.groups = groups
  }

  public subscript(group: String, name: String) -> Int64? { groups[group]?[name] }
}

/// One reading of the TCP counters the socket checks look at, with the time it was taken.
public struct TCPCounterSample: Sendable, Hashable {
  public var counters: ProcNetCounters
  public var takenAt: ContinuousClock.Instant

  public init(counters: ProcNetCounters, takenAt: ContinuousClock.Instant = .now) {
    self.counters = counters
    self.takenAt = takenAt
  }

  /// Reads `/proc/net/netstat` (TcpExt) and `/proc/net/snmp` (Tcp) of this network namespace.
  public static func read() throws(SocketProbeError) -> TCPCounterSample {
    var groups: [String: [String: Int64]] = [:]
    for path in ["/proc/net/netstat", "/proc/net/snmp"] {
      switch SocketProcFiles.read(path) {
      case let .success(text): groups.merge(ProcNetCounters(parsing: text).groups) { old, _ in old }
      case let .failure(error): throw .system(error)
      }
    }
    return TCPCounterSample(counters: ProcNetCounters(groups: groups))
  }
}

/// One kernel TCP counter: its value since boot and, over a sampling interval, its change and rate.
public struct TCPCounter: Codable, Sendable, Hashable {
  /// `TcpExt` (from /proc/net/netstat) or `Tcp` (from /proc/net/snmp).
  public var group: String
  public var name: String
  /// What the counter counts, in words.
  public var meaning: String
  public var value: Int64
  /// The rise over the interval; nil with a single sample.
  public var change: Int64?
  public var perSecond: Double?
}

/// The kernel TCP counters that show listen-queue overflows, SYN floods and retransmits.
public struct TCPCounters: Codable, Sendable, Hashable {
  public var counters: [TCPCounter]
  /// Seconds between the two samples; nil with one sample.
  public var intervalSeconds: Double?
  /// Counters this kernel does not report.
  public var missing: [String]

  /// The counters looked at, in the order they print.
  public static let watched: [(group: String, name: String, meaning: String)] = [
    ("TcpExt", "ListenOverflows", "handshakes dropped: a listener's accept queue was full"),
    ("TcpExt", "ListenDrops", "SYNs and handshakes a listener dropped (overflows included)"),
    ("TcpExt", "TCPReqQFullDrop", "SYNs dropped: the SYN queue was full and SYN cookies are off"),
    ("TcpExt", "TCPReqQFullDoCookies", "SYN queue full: answered with a SYN cookie instead"),
    ("TcpExt", "SyncookiesSent", "SYN cookies sent"),
    ("TcpExt", "SyncookiesRecv", "valid SYN cookies that came back"),
    ("TcpExt", "SyncookiesFailed", "SYN cookies that came back invalid"),
    ("TcpExt", "TCPTimeouts", "retransmission timeouts"),
    ("TcpExt", "TCPSynRetrans", "SYN and SYN-ACK retransmits"),
    ("Tcp", "RetransSegs", "segments retransmitted"),
    ("Tcp", "ActiveOpens", "connections this host opened"),
    ("Tcp", "PassiveOpens", "connections this host accepted"),
    ("Tcp", "AttemptFails", "connection attempts that failed"),
    ("Tcp", "EstabResets", "established connections reset"),
    ("Tcp", "InErrs", "segments received with errors"),
    ("Tcp", "OutRsts", "resets sent"),
  ]

  public init(counters: [TCPCounter], intervalSeconds: Double?, missing: [String]) {
    self.counters = counters
    self.intervalSeconds = intervalSeconds
    self.missing = missing
  }

  /// The watched counters of `after`, with their change since `before` when there is one.
  public init(before: TCPCounterSample?, after: TCPCounterSample) {
    let elapsed = before.map { Self.seconds(after.takenAt - $0.takenAt) }
    var counters: [TCPCounter] = []
    var missing: [String] = []
    for (group, name, meaning) in Self.watched {
      guard let value = after.counters[group, name] else {
        missing.append(name)
        continue
      }
      let change = before?.counters[group, name].map { value - $0 }
      let perSecond = change.flatMap { change in elapsed.flatMap { $0 > 0 ? Double(change) / $0 : nil } }
      counters.append(TCPCounter(group: group, name: name, meaning: meaning, value: value, change: change, perSecond: perSecond))
    }
    self.init(counters: counters, intervalSeconds: elapsed, missing: missing)
  }

  public subscript(name: String) -> TCPCounter? { counters.first { $0.name == name } }

  /// A duration in seconds, as a Double.
  static func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
  }
}

/// The sysctls that size listen queues and shape handshakes, read from `/proc/sys`; nil when unreadable.
public struct TCPSysctls: Codable, Sendable, Hashable {
  /// net.core.somaxconn: the cap on every listen() backlog.
  public var somaxconn: Int?
  /// net.ipv4.tcp_max_syn_backlog: half-open handshakes kept per listener when SYN cookies are off.
  public var tcpMaxSynBacklog: Int?
  /// net.ipv4.tcp_syncookies: 0 off, 1 when the SYN queue overflows, 2 always.
  public var tcpSyncookies: Int?
  /// net.ipv4.tcp_syn_retries: SYN retransmits before connect() gives up.
  public var tcpSynRetries: Int?
  /// net.ipv4.tcp_synack_retries: SYN-ACK retransmits before a half-open handshake is dropped.
  public var tcpSynackRetries: Int?
  /// net.ipv4.ip_local_port_range: the ephemeral ports connect() picks from.
  public var ipLocalPortRange: PortRange?
  /// net.ipv4.tcp_fin_timeout: seconds an orphaned connection stays in FIN_WAIT2.
  public var tcpFinTimeout: Int?

  /// The first and last ephemeral port.
  public struct PortRange: Codable, Sendable, Hashable {
    public var low: Int
    public var high: Int
  }

  public init(somaxconn: Int? = nil, tcpMaxSynBacklog: Int? = nil, tcpSyncookies: Int? = nil, tcpSynRetries: Int? = nil,
              tcpSynackRetries: Int? = nil, ipLocalPortRange: PortRange? = nil, tcpFinTimeout: Int? = nil) {
    self.somaxconn = somaxconn
    self.tcpMaxSynBacklog = tcpMaxSynBacklog
    self.tcpSyncookies = tcpSyncookies
    self.tcpSynRetries = tcpSynRetries
    self.tcpSynackRetries = tcpSynackRetries
    self.ipLocalPortRange = ipLocalPortRange
    self.tcpFinTimeout = tcpFinTimeout
  }

  /// Reads each sysctl from `/proc/sys`; one that cannot be read stays nil.
  public static func read() -> TCPSysctls {
    func text(_ name: String) -> String? {
      // net.core.somaxconn is the file /proc/sys/net/core/somaxconn.
      try? SocketProcFiles.read("/proc/sys/" + String(name.map { $0 == "." ? "/" : $0 })).get()
    }
    return TCPSysctls(
      somaxconn: text("net.core.somaxconn").flatMap(integer),
      tcpMaxSynBacklog: text("net.ipv4.tcp_max_syn_backlog").flatMap(integer),
      tcpSyncookies: text("net.ipv4.tcp_syncookies").flatMap(integer),
      tcpSynRetries: text("net.ipv4.tcp_syn_retries").flatMap(integer),
      tcpSynackRetries: text("net.ipv4.tcp_synack_retries").flatMap(integer),
      ipLocalPortRange: text("net.ipv4.ip_local_port_range").flatMap(portRange),
      tcpFinTimeout: text("net.ipv4.tcp_fin_timeout").flatMap(integer))
  }

  /// A sysctl file's single number (`4096\n`).
  static func integer(_ text: String) -> Int? {
    Int(text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first ?? "")
  }

  /// `32768\t60999\n`
  static func portRange(_ text: String) -> PortRange? {
    let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" })
    guard fields.count == 2, let low = Int(fields[0]), let high = Int(fields[1]) else { return nil }
    return PortRange(low: low, high: high)
  }

  /// Each sysctl by its name with its value as text ("?" when unreadable), in the order they print.
  public var entries: [(name: String, value: String)] {
    func show(_ value: Int?) -> String { value.map(String.init) ?? "?" }
    return [
      ("net.core.somaxconn", show(somaxconn)),
      ("net.ipv4.tcp_max_syn_backlog", show(tcpMaxSynBacklog)),
      ("net.ipv4.tcp_syncookies", show(tcpSyncookies)),
      ("net.ipv4.tcp_syn_retries", show(tcpSynRetries)),
      ("net.ipv4.tcp_synack_retries", show(tcpSynackRetries)),
      ("net.ipv4.ip_local_port_range", ipLocalPortRange.map { "\($0.low) \($0.high)" } ?? "?"),
      ("net.ipv4.tcp_fin_timeout", show(tcpFinTimeout)),
    ]
  }
}
