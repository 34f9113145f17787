import Dispatch
import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif
import NetProbe

/// The state of this machine that a ticket needs beside the verdict, gathered by the engine itself (netlink, /proc,
/// /etc; never by running `ip` or `ss`): interfaces, routes, neighbours, resolver files, sysctls, listening sockets,
/// kernel counters, the tool's version and privileges. Each part is read on its own; one that fails is recorded with
/// its reason and the rest is still there.
public struct SystemSnapshot: Codable, Sendable, Hashable {
  public var taken_at: String
  public var tool: Tool
  public var host: SnapshotPart<HostIdentity>
  public var privileges: SnapshotPart<ProcessPrivileges>
  public var interfaces: SnapshotPart<[NetworkInterface]>
  /// The main routing table of both families.
  public var routes: SnapshotPart<RoutingTable>
  public var neighbours: SnapshotPart<[Neighbour]>
  public var resolv_conf: SnapshotPart<ResolvConf>
  public var hosts: SnapshotPart<HostsLines>
  public var nsswitch_hosts: SnapshotPart<NSSwitchHosts>
  public var sysctls: [SysctlValue]
  /// TCP sockets in LISTEN, with their queues and owners.
  public var listening_sockets: SnapshotPart<SocketTable>
  public var kernel_counters: SnapshotPart<KernelCounters>

  /// The tool that took the snapshot.
  public struct Tool: Codable, Sendable, Hashable {
    public var name: String
    public var version: String
  }

  /// The machine's names and kernel (from /proc/sys/kernel).
  public struct HostIdentity: Codable, Sendable, Hashable {
    public var hostname: String
    public var domainname: String?
    public var kernel_release: String
    public var kernel_version: String?
  }

  /// /etc/resolv.conf as written, and as glibc reads it.
  public struct ResolvConf: Codable, Sendable, Hashable {
    public var path: String
    public var text: String
    public var parsed: ResolverConfiguration
  }

  /// The /etc/hosts lines that name the target (as canonical name or alias).
  public struct HostsLines: Codable, Sendable, Hashable {
    public struct Line: Codable, Sendable, Hashable {
      public var number: Int
      public var text: String
    }

    public var path: String
    /// The name looked for; nil when the target is not a name.
    public var name: String?
    public var lines: [Line]
    /// Every name on those lines (canonical names and aliases).
    public var names: [String]
  }

  /// The `hosts:` line of /etc/nsswitch.conf.
  public struct NSSwitchHosts: Codable, Sendable, Hashable {
    public var path: String
    /// The line as written; nil when the file has none (glibc's default applies).
    public var line: String?
    /// The order in effect.
    public var order: String
    public var is_default: Bool
  }

  /// One sysctl: its value as the kernel prints it, or why it could not be read.
  public struct SysctlValue: Codable, Sendable, Hashable {
    public var name: String
    public var value: String?
    public var error: String?
    public var meaning: String
  }

  /// /proc/net/netstat and /proc/net/snmp (all groups: Ip, IpExt, Icmp, Tcp, TcpExt, Udp, ...), /proc/net/snmp6,
  /// and the TCP counters the checklist watches, with their meaning.
  public struct KernelCounters: Codable, Sendable, Hashable {
    public var groups: [String: [String: Int64]]
    public var ipv6: [String: Int64]
    public var watched: TCPCounters
    /// Counter files that could not be read, with the reason.
    public var unreadable: [String]
  }

  /// Where the snapshot reads from; tests point these at fixtures.
  public struct Sources: Sendable, Hashable {
    public var resolvConf = "/etc/resolv.conf"
    public var hosts = "/etc/hosts"
    public var nsswitch = "/etc/nsswitch.conf"
    public var processStatus = "/proc/self/status"
    public var sysctlRoot = "/proc/sys"
    public var counterFiles = ["/proc/net/netstat", "/proc/net/snmp"]
    public var ipv6Counters = "/proc/net/snmp6"

    public init() {}
  }

  /// The sysctls that shape reachability, in the order they print, with what each means.
  public static let sysctlNames: [(name: String, meaning: String)] = [
    ("net.ipv4.ip_forward", "routes packets between interfaces (1: this host is a router)"),
    ("net.ipv6.conf.all.forwarding", "IPv6 forwarding (1: router; then router advertisements are ignored)"),
    ("net.ipv4.conf.all.rp_filter", "reverse-path filter: 1 strict drops packets from a source not routed back the same way, 2 loose"),
    ("net.ipv4.conf.default.rp_filter", "rp_filter for new interfaces (the effective value is the higher of all and the interface)"),
    ("net.ipv4.icmp_ratelimit", "ms between ICMP errors of the types in icmp_ratemask (evidence can go missing)"),
    ("net.ipv4.icmp_ratemask", "bitmask of ICMP types rate-limited"),
    ("net.ipv4.icmp_msgs_per_sec", "host-wide ICMP messages per second"),
    ("net.ipv4.icmp_msgs_burst", "host-wide ICMP burst"),
    ("net.ipv6.icmp.ratelimit", "ms between ICMPv6 errors"),
    ("net.ipv4.icmp_echo_ignore_all", "1: this host does not answer ping"),
    ("net.ipv4.icmp_echo_ignore_broadcasts", "1: no answer to broadcast ping"),
    ("net.ipv6.icmp.echo_ignore_all", "1: this host does not answer IPv6 ping"),
    ("net.ipv4.ping_group_range", "groups allowed unprivileged ICMP echo sockets (1 0: nobody)"),
    ("net.ipv4.tcp_syn_retries", "SYN retransmits before connect() gives up"),
    ("net.ipv4.tcp_synack_retries", "SYN-ACK retransmits before a half-open handshake is dropped"),
    ("net.ipv4.tcp_syncookies", "0 off, 1 when the SYN queue overflows, 2 always"),
    ("net.core.somaxconn", "cap on every listen() backlog"),
    ("net.ipv4.tcp_max_syn_backlog", "half-open handshakes kept per listener"),
    ("net.ipv4.ip_local_port_range", "ephemeral ports connect() picks from"),
    ("net.ipv4.ip_local_reserved_ports", "ports never picked as ephemeral"),
    ("net.ipv4.ip_nonlocal_bind", "1: may bind addresses this host does not have"),
    ("net.ipv4.tcp_fin_timeout", "seconds an orphaned connection stays in FIN_WAIT2"),
    ("net.ipv4.tcp_tw_reuse", "reuse of TIME-WAIT ports for new connections (2: loopback only)"),
    ("net.ipv4.tcp_timestamps", "TCP timestamps option"),
    ("net.ipv4.tcp_window_scaling", "TCP window scaling option"),
    ("net.ipv4.tcp_sack", "TCP selective acknowledgements"),
    ("net.ipv4.tcp_ecn", "explicit congestion notification (2: only when the peer asks)"),
    ("net.ipv4.tcp_mtu_probing", "packetization-layer path MTU discovery (black-hole ICMP)"),
    ("net.ipv4.ip_no_pmtu_disc", "1: path MTU discovery off"),
    ("net.ipv4.ip_default_ttl", "TTL of packets this host sends"),
    ("net.ipv6.conf.all.hop_limit", "hop limit of IPv6 packets this host sends"),
    ("net.ipv6.conf.all.disable_ipv6", "1: IPv6 off on every interface"),
    ("net.ipv4.tcp_keepalive_time", "seconds idle before TCP keepalives start"),
    ("net.ipv4.tcp_retries2", "retransmits of data before an established connection gives up"),
    ("net.ipv4.neigh.default.mcast_solicit", "ARP requests before a neighbour is FAILED"),
    ("net.ipv4.neigh.default.retrans_time_ms", "ms between ARP requests"),
    ("net.ipv4.neigh.default.gc_thresh3", "hard limit of the ARP table"),
    ("net.ipv6.neigh.default.gc_thresh3", "hard limit of the ND table"),
    ("net.ipv4.conf.all.arp_ignore", "which ARP requests are answered"),
    ("net.ipv4.conf.all.arp_announce", "which source address ARP requests use"),
    ("net.ipv4.conf.all.accept_redirects", "ICMP redirects change routes"),
    ("net.ipv4.conf.all.log_martians", "log packets with impossible addresses"),
    ("net.core.netdev_max_backlog", "packets queued per CPU before the kernel drops them"),
    ("net.netfilter.nf_conntrack_count", "connections tracked now"),
    ("net.netfilter.nf_conntrack_max", "connection tracking limit (when full, new connections are dropped)"),
  ]

  /// Per-interface sysctls, read for every interface besides loopback.
  public static let interfaceSysctlNames: [(template: String, meaning: String)] = [
    ("net.ipv4.conf.%s.rp_filter", "reverse-path filter of this interface"),
    ("net.ipv6.conf.%s.disable_ipv6", "1: IPv6 off on this interface"),
  ]

  /// Gathers every part now. Blocking (netlink dumps, a walk of /proc for socket owners): call it off the
  /// cooperative pool, or use `gather(targetName:toolVersion:sources:)` from async code.
  public static func gatherNow(targetName: String?, toolVersion: String, sources: Sources = Sources(), now: Date = Date()) -> SystemSnapshot {
    let interfaces = SnapshotPart.reading { try Interfaces.list() }
    let interfaceNames = (interfaces.value ?? []).filter { !$0.isLoopback }.map(\.name)
    return SystemSnapshot(
      taken_at: now.formatted(.iso8601),
      tool: Tool(name: "nettriage", version: toolVersion),
      host: readHost(sysctlRoot: sources.sysctlRoot),
      privileges: readPrivileges(path: sources.processStatus),
      interfaces: interfaces,
      routes: SnapshotPart.reading { try Routes.mainTable() },
      neighbours: SnapshotPart.reading { try Neighbours.list() },
      resolv_conf: SnapshotPart(FileAccess.readText(sources.resolvConf).map {
        ResolvConf(path: sources.resolvConf, text: $0, parsed: ResolverConfiguration.parse($0, source: sources.resolvConf))
      }),
      hosts: readHostsLines(name: targetName, path: sources.hosts),
      nsswitch_hosts: SnapshotPart(FileAccess.readText(sources.nsswitch).map { nsswitchHosts(text: $0, path: sources.nsswitch) }),
      sysctls: readSysctls(root: sources.sysctlRoot, interfaces: interfaceNames),
      listening_sockets: SnapshotPart.reading { try SocketTable.read(filter: SocketFilter(listeningOnly: true)) },
      kernel_counters: readCounters(files: sources.counterFiles, ipv6: sources.ipv6Counters))
  }

  /// Gathers every part on a thread of its own, so the blocking reads never hold a cooperative-pool thread.
  public static func gather(targetName: String?, toolVersion: String, sources: Sources = Sources()) async -> SystemSnapshot {
    await BlockingThreads.shared.value { gatherNow(targetName: targetName, toolVersion: toolVersion, sources: sources) }
  }

  // MARK: - Parts

  static func readHost(sysctlRoot: String) -> SnapshotPart<HostIdentity> {
    func read(_ name: String) -> Result<String, SystemCallError> {
      FileAccess.readText(sysctlRoot + "/kernel/" + name).map { String($0.trimmingWhitespace()) }
    }
    do {
      let hostname = try read("hostname").get()
      let release = try read("osrelease").get()
      let domain = try? read("domainname").get()
      return SnapshotPart(value: HostIdentity(hostname: hostname, domainname: domain == "(none)" ? nil : domain, kernel_release: release,
                                              kernel_version: try? read("version").get()))
    } catch {
      return SnapshotPart(error: "\(error)")
    }
  }

  static func readPrivileges(path: String) -> SnapshotPart<ProcessPrivileges> {
    switch FileAccess.readText(path) {
    case let .success(text):
      guard let privileges = ProcessPrivileges(status: text) else { return SnapshotPart(error: "\(path): no Uid, Gid or CapEff line") }
      return SnapshotPart(value: privileges)
    case let .failure(error):
      return SnapshotPart(error: "\(error)")
    }
  }

  /// The lines of the hosts file that name `name`, as written.
  static func readHostsLines(name: String?, path: String) -> SnapshotPart<HostsLines> {
    guard let name else { return SnapshotPart(value: HostsLines(path: path, name: nil, lines: [], names: [])) }
    return SnapshotPart(FileAccess.readText(path).map { hostsLines(name: name, text: $0, path: path) })
  }

  static func hostsLines(name: String, text: String, path: String) -> HostsLines {
    let entries = HostsFile.entries(matching: name, in: text)
    let rawLines = text.split(separator: "\n", omittingEmptySubsequences: false)
    let lines = entries.map { HostsLines.Line(number: $0.line, text: String(rawLines[$0.line - 1])) }
    var names: [String] = []
    for entry in entries { for alias in entry.names where !names.contains(alias) { names.append(alias) } }
    return HostsLines(path: path, name: name, lines: lines, names: names)
  }

  static func nsswitchHosts(text: String, path: String) -> NSSwitchHosts {
    let order = HostsLookupOrder.parse(text, source: path)
    let line = text.split(separator: "\n").first {
      $0.drop { $0 == " " || $0 == "\t" }.hasPrefix("hosts:")
    }.map { String($0.trimmingWhitespace()) }
    return NSSwitchHosts(path: path, line: line, order: order.line, is_default: order.isDefault)
  }

  static func readSysctls(root: String, interfaces: [String]) -> [SysctlValue] {
    var wanted = sysctlNames
    for interface in interfaces {
      // An interface name with a dot (a VLAN, eth0.10) is written with a slash in sysctl names.
      let component = interface.replacing(".", with: "/")
      wanted += interfaceSysctlNames.map { ($0.template.replacing("%s", with: component), $0.meaning) }
    }
    return wanted.map { name, meaning in
      let path = root + "/" + name.replacing(".", with: "/")
      switch FileAccess.readText(path) {
      case let .success(text):
        let value = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
        return SysctlValue(name: name, value: value, error: nil, meaning: meaning)
      case let .failure(error):
        return SysctlValue(name: name, value: nil, error: error.errno.code == ENOENT ? "not on this kernel (\(error))" : "\(error)",
                           meaning: meaning)
      }
    }
  }

  static func readCounters(files: [String], ipv6: String) -> SnapshotPart<KernelCounters> {
    var groups: [String: [String: Int64]] = [:]
    var unreadable: [String] = []
    for path in files {
      switch FileAccess.readText(path) {
      case let .success(text): groups.merge(ProcNetCounters(parsing: text).groups) { old, _ in old }
      case let .failure(error): unreadable.append("\(error)")
      }
    }
    var ipv6Counters: [String: Int64] = [:]
    switch FileAccess.readText(ipv6) {
    case let .success(text): ipv6Counters = parseSNMP6(text)
    case let .failure(error): unreadable.append("\(error)")
    }
    if groups.isEmpty && ipv6Counters.isEmpty { return SnapshotPart(error: unreadable.joined(separator: "; ")) }
    let watched = TCPCounters(before: nil, after: TCPCounterSample(counters: ProcNetCounters(groups: groups)))
    return SnapshotPart(value: KernelCounters(groups: groups, ipv6: ipv6Counters, watched: watched, unreadable: unreadable))
  }

  /// /proc/net/snmp6: one `Name value` pair per line (`Ip6InReceives 1234`).
  static func parseSNMP6(_ text: String) -> [String: Int64] {
    var counters: [String: Int64] = [:]
    for line in text.split(separator: "\n") {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      if fields.count == 2, let value = Int64(fields[1]) { counters[String(fields[0])] = value }
    }
    return counters
  }
}
