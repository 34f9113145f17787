/// The kernel's UDP counters for both families (`Udp:` in /proc/net/snmp, `Udp6*` in /proc/net/snmp6), summed:
/// what a check compares before and after its probes of a local UDP port.
public struct UDPCounterSample: Codable, Sendable, Hashable {
  /// Datagrams dropped because the socket's receive buffer was full (`RcvbufErrors`).
  public var receiveBufferErrors: Int64
  /// Datagrams to a port nothing was bound to (`NoPorts`): each one got an ICMP port unreachable.
  public var noPorts: Int64
  /// Datagrams that could not be delivered for any reason, receive-buffer drops included (`InErrors`).
  public var inErrors: Int64

  public init(receiveBufferErrors: Int64, noPorts: Int64, inErrors: Int64) {
    self.receiveBufferErrors = receiveBufferErrors
    self.noPorts = noPorts
    self.inErrors = inErrors
  }

  /// Reads both files of this network namespace; a kernel without IPv6 gives the IPv4 counters alone.
  public static func read() throws(SocketProbeError) -> UDPCounterSample {
    let snmp: String
    switch SocketProcFiles.read("/proc/net/snmp") {
    case let .success(text): snmp = text
    case let .failure(error): throw .system(error)
    }
    let snmp6 = (try? SocketProcFiles.read("/proc/net/snmp6").get()) ?? ""
    return parse(snmp: snmp, snmp6: snmp6)
  }

  /// `Udp: InDatagrams NoPorts InErrors ...` / `Udp: 5 1 0 ...` and `Udp6RcvbufErrors   0` lines.
  static func parse(snmp: String, snmp6: String) -> UDPCounterSample {
    let v4 = ProcNetCounters(parsing: snmp)
    var v6: [String: Int64] = [:]
    for line in snmp6.split(separator: "\n") {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      if fields.count == 2, fields[0].hasPrefix("Udp6"), let value = Int64(fields[1]) { v6[String(fields[0].dropFirst(4))] = value }
    }
    func total(_ name: String) -> Int64 { (v4["Udp", name] ?? 0) + (v6[name] ?? 0) }
    return UDPCounterSample(receiveBufferErrors: total("RcvbufErrors"), noPorts: total("NoPorts"), inErrors: total("InErrors"))
  }
}
