/// The diagnosis vocabulary of DESIGN.md: a contract that scripts and tests depend on.
///
/// `check --json` sets `diagnosis.id` to exactly one of these raw values; never rename one.
public enum DiagnosisID: String, Hashable, Sendable, Codable, CaseIterable {
  case reachable
  case portClosed = "port-closed"
  case portResetInPath = "port-reset-in-path"
  case portFiltered = "port-filtered"
  case noResponse = "no-response"
  case adminProhibited = "admin-prohibited"
  case neighborUnreachable = "neighbor-unreachable"
  case hostUnreachable = "host-unreachable"
  case netUnreachable = "net-unreachable"
  case noRoute = "no-route"
  case gatewayUnreachable = "gateway-unreachable"
  case gatewayOffSubnet = "gateway-off-subnet"
  case linkDown = "link-down"
  case noInterface = "no-interface"
  case localFirewall = "local-firewall"
  case sourceAddressUnavailable = "source-address-unavailable"
  case dnsNXDomain = "dns-nxdomain"
  case dnsNoAddress = "dns-no-address"
  case dnsTimeout = "dns-timeout"
  case dnsServFail = "dns-servfail"
  case dnsNoServers = "dns-no-servers"
  case listenQueueOverflow = "listen-queue-overflow"
  case packetLoss = "packet-loss"
  case highLatency = "high-latency"
  case icmpBlocked = "icmp-blocked"
  case unixSocketMissing = "unix-socket-missing"
  case unixSocketRefused = "unix-socket-refused"
  case unixSocketPermission = "unix-socket-permission"

  /// The exit status `check` uses: 0 when reachable, 1 for any diagnosed fault.
  public var exitStatus: Int32 { self == .reachable ? 0 : 1 }
}
