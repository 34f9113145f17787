/// What kind of device an interface is, from the link kind the kernel reports (IFLA_INFO_KIND), the wireless
/// entries in `/sys/class/net`, or else the hardware type (ARPHRD_*).
public enum InterfaceKind: String, Codable, Sendable, Hashable, CaseIterable {
  case loopback, ethernet, wireless, veth, bridge, bond, team, vlan, macvlan, ipvlan, vxlan, geneve, tun, tap, dummy
  case wireguard, tunnel, vrf, ppp, infiniband, can, other
}

/// One address of an interface, with its prefix, scope and state flags.
public struct InterfaceAddress: Codable, Sendable, Hashable, CustomStringConvertible {
  public var address: IPAddress
  public var prefixLength: Int
  /// `global`, `site`, `link`, `host`, `nowhere`, or the number for any other scope.
  public var scope: String
  /// IFA_F_* names: `tentative`, `dadfailed`, `deprecated`, `permanent`, `secondary` (IPv4) / `temporary` (IPv6), ...
  public var flags: [String]
  /// The far end of a point-to-point link.
  public var peer: IPAddress?
  public var broadcast: IPAddress?
  /// The IPv4 label (`eth0:1`), when it differs from the interface name.
  public var label: String?
  /// Seconds left; nil means forever.
  public var preferredLifetimeSeconds: UInt32?
  public var validLifetimeSeconds: UInt32?

  public init(address: IPAddress, prefixLength: Int, scope: String, flags: [String] = [], peer: IPAddress? = nil,
              broadcast: IPAddress? = nil, label: String? = nil, preferredLifetimeSeconds: UInt32? = nil,
              validLifetimeSeconds: UInt32? = nil) {
    self.address = address
    self.prefixLength = prefixLength
    self.scope = scope
    self.flags = flags
    self.peer = peer
    self.broadcast = broadcast
    self.label = label
    self.preferredLifetimeSeconds = preferredLifetimeSeconds
    self.validLifetimeSeconds = validLifetimeSeconds
  }

  /// The prefix the address sits in (`198.18.1.2/24`).
  public var subnet: Subnet { Subnet(address: address, prefixLength: prefixLength) ?? Subnet(address: address, prefixLength: address.bitCount)! }

  /// The prefixes reachable on-link through this address: its own, and a point-to-point peer's.
  public var onLinkPrefixes: [Subnet] {
    var prefixes = [subnet]
    if let peer, let peerPrefix = Subnet(address: peer, prefixLength: prefixLength) { prefixes.append(peerPrefix) }
    return prefixes
  }

  /// A global-scope address the stack can send from: duplicate address detection neither pending nor failed.
  public var isUsable: Bool { scope == "global" && !flags.contains("tentative") && !flags.contains("dadfailed") }

  /// `198.18.1.2/24 scope global` plus any flags.
  public var description: String {
    var text = "\(address)/\(prefixLength)"
    if let peer { text += " peer \(peer)" }
    text += " scope \(scope)"
    if !flags.isEmpty { text += " " + flags.joined(separator: " ") }
    return text
  }
}

/// A network interface: identity, kind, state and addresses, and whether the stack can use it.
public struct NetworkInterface: Codable, Sendable, Hashable {
  public var name: String
  public var index: Int
  public var kind: InterfaceKind
  /// The kernel's own link kind (IFLA_INFO_KIND: `veth`, `bridge`, `wireguard`, ...); nil for physical devices.
  public var linkKind: String?
  /// The ARPHRD_* hardware type number (1 ethernet, 772 loopback, 65534 none).
  public var hardwareType: Int
  /// IFF_* names: `UP`, `BROADCAST`, `LOOPBACK`, `POINTOPOINT`, `RUNNING`, `NOARP`, `MULTICAST`, `LOWER_UP`, ...
  public var flags: [String]
  /// IFLA_OPERSTATE: `UP`, `DOWN`, `LOWERLAYERDOWN`, `DORMANT`, `TESTING`, `NOTPRESENT`, `UNKNOWN`.
  public var operstate: String
  /// IFLA_CARRIER; nil when the kernel did not say.
  public var carrier: Bool?
  public var mtu: Int?
  /// The hardware address as colon-separated hex; nil when the link has none (tun, wireguard).
  public var mac: String?
  /// The bridge or bond this interface is a port of.
  public var master: String?
  public var addresses: [InterfaceAddress]
  /// Admin up, carrier, and a usable global address.
  public var usable: Bool
  /// Why it is not usable, in words (`admin down`, `no carrier`, `no global address`); empty when usable.
  public var problems: [String]

  public init(name: String, index: Int, kind: InterfaceKind, linkKind: String? = nil, hardwareType: Int, flags: [String],
              operstate: String, carrier: Bool?, mtu: Int? = nil, mac: String? = nil, master: String? = nil,
              addresses: [InterfaceAddress]) {
    self.name = name
    self.index = index
    self.kind = kind
    self.linkKind = linkKind
    self.hardwareType = hardwareType
    self.flags = flags
    self.operstate = operstate
    self.carrier = carrier
    self.mtu = mtu
    self.mac = mac
    self.master = master
    self.addresses = addresses
    var problems: [String] = []
    if !flags.contains("UP") { problems.append("admin down") }
    if carrier == false || (carrier == nil && !flags.contains("LOWER_UP")) { problems.append("no carrier") }
    if !addresses.contains(where: \.isUsable) {
      problems.append(addresses.contains { $0.scope == "global" } ? "global address not ready (tentative or DAD failed)" : "no global address")
    }
    self.problems = problems
    self.usable = problems.isEmpty
  }

  public var isUp: Bool { flags.contains("UP") }
  public var isLoopback: Bool { kind == .loopback || flags.contains("LOOPBACK") }

  /// Every prefix reachable on-link through this interface's addresses.
  public var onLinkPrefixes: [Subnet] { addresses.flatMap(\.onLinkPrefixes) }
}

/// The interface list from the kernel (`RTM_GETLINK` and `RTM_GETADDR` dumps); needs no privilege.
public enum Interfaces {
  /// Every interface of the caller's network namespace, by index, each with its addresses.
  public static func list() throws(NetlinkError) -> [NetworkInterface] {
    let socket = try NetlinkSocket()
    defer { socket.close() }
    let links = try socket.links()
    let addresses = try socket.addresses()
    return build(links: links, addresses: addresses) { name, index in NetlinkSysfs.isWireless(name: name, index: index) }
  }

  /// The interface with this name; nil when there is none.
  public static func named(_ name: String) throws(NetlinkError) -> NetworkInterface? {
    try list().first { $0.name == name }
  }

  /// Joins links and addresses; `isWireless` answers for ethernet-type links without a link kind.
  static func build(links: [LinkRecord], addresses: [AddressRecord],
                    isWireless: (String, Int) -> Bool = { _, _ in false }) -> [NetworkInterface] {
    let names = Dictionary(links.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
    return links.sorted { $0.index < $1.index }.map { link in
      let own = addresses.filter { Int32(bitPattern: $0.index) == link.index }
        .sorted { ($0.local.family == .ipv4 ? 0 : 1) < ($1.local.family == .ipv4 ? 0 : 1) }
      return NetworkInterface(
        name: link.name, index: Int(link.index),
        kind: kind(of: link, isWireless: isWireless(link.name, Int(link.index))),
        linkKind: link.linkKind, hardwareType: Int(link.deviceType), flags: flagNames(link.flags),
        operstate: operstateName(link.operationalState),
        carrier: link.carrier.map { $0 != 0 }, mtu: link.mtu.map(Int.init),
        mac: link.hardwareAddress.flatMap { $0.isEmpty ? nil : macText($0) },
        master: link.masterIndex.flatMap { names[$0] },
        addresses: own.map(address(from:)))
    }
  }

  static func address(from record: AddressRecord) -> InterfaceAddress {
    InterfaceAddress(address: record.local, prefixLength: Int(record.prefixLength), scope: scopeName(record.scope),
                     flags: addressFlagNames(record.flags, family: record.local.family), peer: record.peer,
                     broadcast: record.broadcast, label: record.label, preferredLifetimeSeconds: record.preferredLifetime,
                     validLifetimeSeconds: record.validLifetime)
  }

  static func kind(of link: LinkRecord, isWireless: Bool) -> InterfaceKind {
    if link.deviceType == 772 || link.flags & 0x8 != 0 { return .loopback }  // ARPHRD_LOOPBACK, IFF_LOOPBACK
    if let linkKind = link.linkKind {
      switch linkKind {
      case "veth": return .veth
      case "bridge": return .bridge
      case "bond": return .bond
      case "team": return .team
      case "vlan": return .vlan
      case "macvlan", "macvtap": return .macvlan
      case "ipvlan", "ipvtap": return .ipvlan
      case "vxlan": return .vxlan
      case "geneve": return .geneve
      case "tun": return link.deviceType == 1 ? .tap : .tun  // a tap carries ethernet frames
      case "dummy": return .dummy
      case "wireguard": return .wireguard
      case "vrf": return .vrf
      case "ipip", "sit", "gre", "gretap", "ip6gre", "ip6gretap", "ip6tnl", "vti", "vti6", "erspan", "ip6erspan", "xfrm":
        return .tunnel
      default: break
      }
    }
    if isWireless { return .wireless }
    switch link.deviceType {
    case 1: return link.linkKind == nil ? .ethernet : .other  // ARPHRD_ETHER
    case 512: return .ppp  // ARPHRD_PPP
    case 768, 769, 776, 778, 823: return .tunnel  // ARPHRD_TUNNEL, TUNNEL6, SIT, IPGRE, IP6GRE
    case 32: return .infiniband  // ARPHRD_INFINIBAND
    case 280: return .can  // ARPHRD_CAN
    case 801...804: return .wireless  // ARPHRD_IEEE80211*
    default: return .other
    }
  }

  /// IFF_* bit names in bit order (from <linux/if.h>).
  static let flagBits: [(bit: UInt32, name: String)] = [
    (0x1, "UP"), (0x2, "BROADCAST"), (0x4, "DEBUG"), (0x8, "LOOPBACK"), (0x10, "POINTOPOINT"), (0x20, "NOTRAILERS"),
    (0x40, "RUNNING"), (0x80, "NOARP"), (0x100, "PROMISC"), (0x200, "ALLMULTI"), (0x400, "MASTER"), (0x800, "SLAVE"),
    (0x1000, "MULTICAST"), (0x2000, "PORTSEL"), (0x4000, "AUTOMEDIA"), (0x8000, "DYNAMIC"), (0x10000, "LOWER_UP"),
    (0x20000, "DORMANT"), (0x40000, "ECHO"),
  ]

  static func flagNames(_ flags: UInt32) -> [String] { flagBits.filter { flags & $0.bit != 0 }.map(\.name) }

  /// IF_OPER_* names (RFC 2863), as `ip link` prints them.
  static func operstateName(_ state: UInt8?) -> String {
    switch state {
    case 1: return "NOTPRESENT"
    case 2: return "DOWN"
    case 3: return "LOWERLAYERDOWN"
    case 4: return "TESTING"
    case 5: return "DORMANT"
    case 6: return "UP"
    default: return "UNKNOWN"
    }
  }

  /// RT_SCOPE_* names.
  static func scopeName(_ scope: UInt8) -> String {
    switch scope {
    case 0: return "global"
    case 200: return "site"
    case 253: return "link"
    case 254: return "host"
    case 255: return "nowhere"
    default: return String(scope)
    }
  }

  /// IFA_F_* names (from <linux/if_addr.h>); bit 0x01 is `secondary` for IPv4 and `temporary` for IPv6.
  static func addressFlagNames(_ flags: UInt32, family: AddressFamily) -> [String] {
    let bits: [(UInt32, String)] = [
      (0x01, family == .ipv4 ? "secondary" : "temporary"), (0x02, "nodad"), (0x04, "optimistic"), (0x08, "dadfailed"),
      (0x10, "homeaddress"), (0x20, "deprecated"), (0x40, "tentative"), (0x80, "permanent"), (0x100, "mngtmpaddr"),
      (0x200, "noprefixroute"), (0x400, "autojoin"), (0x800, "stable-privacy"),
    ]
    return bits.filter { flags & $0.0 != 0 }.map(\.1)
  }

  /// `02:00:5e:10:00:01`
  static func macText(_ bytes: [UInt8]) -> String {
    bytes.map { byte in
      let digits = String(byte, radix: 16)
      return digits.count == 1 ? "0" + digits : digits
    }.joined(separator: ":")
  }
}
