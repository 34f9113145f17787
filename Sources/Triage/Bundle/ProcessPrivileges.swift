/// Who the tool ran as and what the kernel lets it do: user and group ids and the effective capability set, from
/// `/proc/self/status`.
public struct ProcessPrivileges: Codable, Sendable, Hashable {
  /// Real and effective user ids.
  public var uid: UInt32
  public var euid: UInt32
  public var gid: UInt32
  public var egid: UInt32
  /// The `CapEff:` mask as the kernel prints it (16 hex digits).
  public var effective_mask: String
  /// The effective capabilities by name (`cap_net_raw`), lowest bit first.
  public var effective: [String]
  /// What that means for the probes, in words.
  public var notes: [String]

  /// Capability names by bit (<linux/capability.h>).
  public static let capabilityNames = [
    "cap_chown", "cap_dac_override", "cap_dac_read_search", "cap_fowner", "cap_fsetid", "cap_kill", "cap_setgid",
    "cap_setuid", "cap_setpcap", "cap_linux_immutable", "cap_net_bind_service", "cap_net_broadcast", "cap_net_admin",
    "cap_net_raw", "cap_ipc_lock", "cap_ipc_owner", "cap_sys_module", "cap_sys_rawio", "cap_sys_chroot", "cap_sys_ptrace",
    "cap_sys_pacct", "cap_sys_admin", "cap_sys_boot", "cap_sys_nice", "cap_sys_resource", "cap_sys_time",
    "cap_sys_tty_config", "cap_mknod", "cap_lease", "cap_audit_write", "cap_audit_control", "cap_setfcap",
    "cap_mac_override", "cap_mac_admin", "cap_syslog", "cap_wake_alarm", "cap_block_suspend", "cap_audit_read",
    "cap_perfmon", "cap_bpf", "cap_checkpoint_restore",
  ]

  /// Parses the text of `/proc/self/status`; nil when the `Uid:`, `Gid:` or `CapEff:` line is missing.
  public init?(status text: String) {
    var fields: [String: [Substring]] = [:]
    for line in text.split(separator: "\n") {
      guard let colon = line.firstIndex(of: ":") else { continue }
      fields[String(line[..<colon])] = line[line.index(after: colon)...].split(whereSeparator: { $0 == " " || $0 == "\t" })
    }
    guard let uids = fields["Uid"], uids.count >= 2, let uid = UInt32(uids[0]), let euid = UInt32(uids[1]),
          let gids = fields["Gid"], gids.count >= 2, let gid = UInt32(gids[0]), let egid = UInt32(gids[1]),
          let maskText = fields["CapEff"]?.first, let mask = UInt64(maskText, radix: 16) else { return nil }
    self.uid = uid
    self.euid = euid
    self.gid = gid
    self.egid = egid
    effective_mask = String(maskText)
    effective = (0..<64).filter { mask & (1 << UInt64($0)) != 0 }.map {
      $0 < Self.capabilityNames.count ? Self.capabilityNames[$0] : "cap_\($0)"
    }
    var notes: [String] = []
    let raw = effective.contains("cap_net_raw")
    notes.append(raw ? "CAP_NET_RAW: raw ICMP and packet capture are possible"
                     : "no CAP_NET_RAW: no raw ICMP (ping sockets only, if net.ipv4.ping_group_range allows) and no packet capture")
    notes.append(effective.contains("cap_net_admin") ? "CAP_NET_ADMIN: may change interfaces, routes and firewall rules"
                                                     : "no CAP_NET_ADMIN")
    if euid != 0 && !effective.isEmpty { notes.append("not root, but holds capabilities (file capabilities or ambient set)") }
    self.notes = notes
  }
}
