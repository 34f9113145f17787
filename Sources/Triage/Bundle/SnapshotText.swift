import NetProbe

/// The system snapshot as text files a person reads, one per part, in the shapes `ip`, `ss` and `sysctl` print.
/// Text from outside (names, file lines) goes through `SafeText.escape`, since a reader may `cat` the file.
public enum SnapshotText {
  /// A part's file: its name in the bundle's `snapshot/` folder, what it holds, and its text.
  public struct File: Sendable, Hashable {
    public var name: String
    public var about: String
    public var text: String
  }

  /// Every part, in the order the README lists them.
  public static func files(_ snapshot: SystemSnapshot) -> [File] {
    [
      File(name: "tool.txt", about: "nettriage's version, who it ran as and its effective capabilities; host name and kernel",
           text: tool(snapshot)),
      File(name: "interfaces.txt", about: "interfaces with state, carrier, MTU, MAC and every address (netlink RTM_GETLINK/RTM_GETADDR)",
           text: join(snapshot.interfaces.lines { $0.flatMap(InterfaceText.lines) })),
      File(name: "routes.txt", about: "the main routing table of IPv4 and IPv6, default gateways, gateway findings (RTM_GETROUTE)",
           text: join(snapshot.routes.lines(routeLines))),
      File(name: "neighbours.txt", about: "the ARP and ND tables (RTM_GETNEIGH)",
           text: join(snapshot.neighbours.lines { $0.isEmpty ? ["no neighbour entries"] : $0.map { SafeText.escape($0.description) } })),
      File(name: "resolv.conf.txt", about: "/etc/resolv.conf as written, then as glibc reads it",
           text: join(snapshot.resolv_conf.lines(resolvConfLines))),
      File(name: "hosts-lines.txt", about: "the /etc/hosts lines that name the target",
           text: join(snapshot.hosts.lines(hostsLines))),
      File(name: "nsswitch-hosts.txt", about: "the hosts: line of /etc/nsswitch.conf (which sources answer look-ups, in order)",
           text: join(snapshot.nsswitch_hosts.lines(nsswitchLines))),
      File(name: "sysctls.txt", about: "the sysctls that shape forwarding, filtering, ICMP, handshakes and queues, with their meaning",
           text: join(sysctlLines(snapshot.sysctls))),
      File(name: "listening-sockets.txt", about: "TCP sockets in LISTEN: accept queue, backlog, half-open handshakes, owner (NETLINK_SOCK_DIAG)",
           text: join(snapshot.listening_sockets.lines(socketLines))),
      File(name: "kernel-counters.txt", about: "kernel IP/ICMP/TCP/UDP counters since boot (/proc/net/netstat, snmp, snmp6), the watched TCP ones first",
           text: join(snapshot.kernel_counters.lines(counterLines))),
    ]
  }

  static func join(_ lines: [String]) -> String { lines.joined(separator: "\n") + "\n" }

  static func tool(_ snapshot: SystemSnapshot) -> String {
    var lines = ["\(snapshot.tool.name) \(snapshot.tool.version)", "snapshot taken at \(snapshot.taken_at)", ""]
    lines += snapshot.privileges.lines { privileges in
      ["uid \(privileges.uid) euid \(privileges.euid) gid \(privileges.gid) egid \(privileges.egid)",
       "effective capabilities: " + (privileges.effective.isEmpty ? "none" : privileges.effective.joined(separator: " "))
         + " (CapEff \(privileges.effective_mask))"] + privileges.notes.map { "  " + $0 }
    }
    lines.append("")
    lines += snapshot.host.lines { host in
      var lines = ["host name: \(SafeText.escape(host.hostname))"]
      if let domain = host.domainname { lines.append("NIS domain: \(SafeText.escape(domain))") }
      lines.append("kernel: \(SafeText.escape(host.kernel_release))" + (host.kernel_version.map { " \(SafeText.escape($0))" } ?? ""))
      return lines
    }
    return join(lines)
  }

  static func routeLines(_ table: RoutingTable) -> [String] {
    var lines: [String] = []
    for family in AddressFamily.allCases {
      let routes = table.routes.filter { $0.family == family }
      lines.append("\(family == .ipv4 ? "IPv4" : "IPv6") routes (main table):")
      lines += routes.isEmpty ? ["  none"] : routes.map { "  " + SafeText.escape($0.description) }
      lines.append("")
    }
    lines.append("default gateways:")
    lines += table.defaultGateways.isEmpty ? ["  none"] : table.defaultGateways.map { gateway in
      var text = "  \(gateway.family == .ipv4 ? "IPv4" : "IPv6") via \(gateway.gateway?.description ?? "(device only)")"
      if let interface = gateway.interface { text += " dev \(SafeText.escape(interface))" }
      if let metric = gateway.metric { text += " metric \(metric)" }
      if let fit = gateway.gatewayFit { text += " (\(fit.rawValue))" }
      return text
    }
    if !table.findings.isEmpty {
      lines += ["", "findings:"] + table.findings.map { "  \($0.id): \(SafeText.escape($0.message))" }
    }
    return lines
  }

  static func resolvConfLines(_ file: SystemSnapshot.ResolvConf) -> [String] {
    var lines = ["# \(file.path) as written:"]
    lines += file.text.split(separator: "\n", omittingEmptySubsequences: false).map { SafeText.escape(String($0)) }
    if lines.last == "" { lines.removeLast() }
    let parsed = file.parsed
    lines += ["", "# as glibc reads it:"]
    lines.append("name servers: " + (parsed.nameServers.isEmpty ? "none (glibc then asks 127.0.0.1)" : parsed.nameServers.map(\.description).joined(separator: ", ")))
    lines.append("search: " + (parsed.searchDomains.isEmpty ? "none" : parsed.searchDomains.map(SafeText.escape).joined(separator: " ")))
    lines.append("timeout \(parsed.timeoutSeconds)s, attempts \(parsed.attempts), ndots \(parsed.ndots)" + (parsed.rotate ? ", rotate" : "")
                 + ": a look-up nobody answers waits up to \(parsed.worstCaseSeconds)s")
    if !parsed.otherOptions.isEmpty { lines.append("other options: " + parsed.otherOptions.map(SafeText.escape).joined(separator: " ")) }
    lines += parsed.notes.map { "note: " + SafeText.escape($0) }
    return lines
  }

  static func hostsLines(_ hosts: SystemSnapshot.HostsLines) -> [String] {
    guard let name = hosts.name else { return ["the target is not a host name: no \(hosts.path) lines looked up"] }
    if hosts.lines.isEmpty { return ["no line of \(hosts.path) names \(SafeText.escape(name))"] }
    return ["# lines of \(hosts.path) that name \(SafeText.escape(name)):"] + hosts.lines.map { "\($0.number): \(SafeText.escape($0.text))" }
  }

  static func nsswitchLines(_ nsswitch: SystemSnapshot.NSSwitchHosts) -> [String] {
    if let line = nsswitch.line { return ["# \(nsswitch.path):", SafeText.escape(line)] }
    return ["no hosts: line in \(nsswitch.path): glibc's default applies", "hosts: \(nsswitch.order)"]
  }

  static func sysctlLines(_ sysctls: [SystemSnapshot.SysctlValue]) -> [String] {
    let width = sysctls.map { $0.name.count + ($0.value?.count ?? 1) + 3 }.max() ?? 0
    return sysctls.map { sysctl in
      let assignment = "\(sysctl.name) = \(sysctl.value ?? "?")"
      let padded = assignment + String(repeating: " ", count: max(1, width - assignment.count + 1))
      return padded + "# " + (sysctl.error.map { "could not read: \($0)" } ?? sysctl.meaning)
    }
  }

  static func socketLines(_ table: SocketTable) -> [String] {
    var lines = table.rows.isEmpty ? ["no TCP socket listens"] : table.rows.map { row in
      var parts = ["LISTEN", row.local.description]
      if let queue = row.acceptQueue, let backlog = row.backlog { parts.append("accept-queue \(queue)/\(backlog)") }
      if let synReceived = row.synReceived, synReceived > 0 { parts.append("syn-recv \(synReceived)") }
      parts.append("uid \(row.uid)")
      if !row.owners.isEmpty { parts.append(row.owners.map { "\(SafeText.escape($0.name))(pid \($0.pid))" }.joined(separator: ",")) }
      return parts.joined(separator: "  ")
    }
    if let note = table.owners.note { lines.append("note: \(note)") }
    return lines
  }

  static func counterLines(_ counters: SystemSnapshot.KernelCounters) -> [String] {
    var lines = ["# watched TCP counters:"]
    let assignments = counters.watched.counters.map { "\($0.group).\($0.name) = \($0.value)" }
    let width = (assignments.map(\.count).max() ?? 0) + 2
    for (assignment, counter) in zip(assignments, counters.watched.counters) {
      lines.append(assignment + String(repeating: " ", count: width - assignment.count) + "# " + counter.meaning)
    }
    for group in counters.groups.keys.sorted() {
      lines += ["", "# \(group):"]
      lines += counters.groups[group]!.sorted { $0.key < $1.key }.map { "\(group).\($0.key) = \($0.value)" }
    }
    if !counters.ipv6.isEmpty {
      lines += ["", "# IPv6 (/proc/net/snmp6):"]
      lines += counters.ipv6.sorted { $0.key < $1.key }.map { "\($0.key) = \($0.value)" }
    }
    if !counters.unreadable.isEmpty { lines += [""] + counters.unreadable.map { "could not read: \($0)" } }
    return lines
  }
}
