/// The kind of a route (RTN_*): where packets matching it go, or why they are refused.
public enum RouteType: String, Codable, Sendable, Hashable, CaseIterable {
  case unspecified = "unspec", unicast, local, broadcast, anycast, multicast, blackhole, unreachable, prohibit
  case `throw`, nat, externalResolve = "xresolve"

  init(code: UInt8) {
    let all: [RouteType] = [.unspecified, .unicast, .local, .broadcast, .anycast, .multicast, .blackhole, .unreachable,
                            .prohibit, .throw, .nat, .externalResolve]
    self = Int(code) < all.count ? all[Int(code)] : .unspecified
  }

  /// The types that refuse the packet instead of forwarding it.
  public var isReject: Bool { [.blackhole, .unreachable, .prohibit, .throw].contains(self) }
}

/// How a gateway fits the interface it is reached through.
public enum RouteGatewayFit: String, Codable, Sendable, Hashable {
  /// Inside a prefix of one of the interface's addresses: the network ID matches.
  case insidePrefix = "inside-prefix"
  /// An IPv6 link-local gateway: on-link on its interface by definition.
  case linkLocal = "link-local"
  /// Outside the interface's address prefixes, but inside a link-scope route through the same interface.
  case onLinkRoute = "on-link-route"
  /// Outside every prefix, accepted because the route is marked `onlink` (RTNH_F_ONLINK): the operator forced it.
  case forcedOnLink = "forced-onlink"
  /// Outside every prefix and not marked onlink: the `gateway-off-subnet` finding.
  case offSubnet = "off-subnet"
}

/// One path of a route.
public struct NextHop: Codable, Sendable, Hashable {
  public var interface: String?
  public var interfaceIndex: Int?
  public var gateway: IPAddress?
  /// RTNH_F_* names: `onlink`, `dead`, `linkdown`, `pervasive`, `offload`, `trap`, `unresolved`.
  public var flags: [String]
  /// The multipath weight (1 for a single path).
  public var weight: Int
  /// How the gateway fits its interface; nil without a gateway (an on-link route) or before the check ran.
  public var gatewayFit: RouteGatewayFit?

  public init(interface: String?, interfaceIndex: Int?, gateway: IPAddress?, flags: [String] = [], weight: Int = 1,
              gatewayFit: RouteGatewayFit? = nil) {
    self.interface = interface
    self.interfaceIndex = interfaceIndex
    self.gateway = gateway
    self.flags = flags
    self.weight = weight
    self.gatewayFit = gatewayFit
  }

  public var isOnLinkForced: Bool { flags.contains("onlink") }
}

/// One route of a routing table.
public struct Route: Codable, Sendable, Hashable, CustomStringConvertible {
  public var family: AddressFamily
  /// The destination prefix; `0.0.0.0/0` or `::/0` for a default route.
  public var destination: Subnet
  public var type: RouteType
  public var table: UInt32
  /// `main`, `local`, `default`, or the number.
  public var tableName: String
  /// Who installed it: `kernel`, `boot`, `static`, `dhcp`, `ra`, ... or the number.
  public var origin: String
  /// `global` (universe), `link`, `host`, ...
  public var scope: String
  public var preferredSource: IPAddress?
  public var metric: UInt32?
  public var nextHops: [NextHop]
  /// The nexthop object (RTA_NH_ID) when the route uses one; its gateway is not in the route itself.
  public var nextHopID: UInt32?

  public init(family: AddressFamily, destination: Subnet, type: RouteType = .unicast, table: UInt32 = 254, origin: String = "static",
              scope: String = "global", preferredSource: IPAddress? = nil, metric: UInt32? = nil, nextHops: [NextHop],
              nextHopID: UInt32? = nil) {
    self.family = family
    self.destination = destination
    self.type = type
    self.table = table
    self.tableName = Routes.tableName(table)
    self.origin = origin
    self.scope = scope
    self.preferredSource = preferredSource
    self.metric = metric
    self.nextHops = nextHops
    self.nextHopID = nextHopID
  }

  public var isDefault: Bool { destination.prefixLength == 0 }
  /// The first path's gateway (a multipath route has more in `nextHops`).
  public var gateway: IPAddress? { nextHops.first?.gateway }
  public var interface: String? { nextHops.first?.interface }

  /// `default` or the prefix.
  public var destinationText: String { isDefault ? "default" : "\(destination.network)/\(destination.prefixLength)" }

  /// In the shape `ip route` prints: `default via 198.18.1.1 dev veth0 proto static metric 100`.
  public var description: String {
    var parts: [String] = []
    if type != .unicast { parts.append(type.rawValue) }
    parts.append(destinationText)
    for hop in nextHops {
      if nextHops.count > 1 { parts.append("nexthop") }
      if let gateway = hop.gateway { parts.append("via \(gateway)") }
      if let interface = hop.interface { parts.append("dev \(interface)") }
      if nextHops.count > 1 { parts.append("weight \(hop.weight)") }
      parts += hop.flags
    }
    if let nextHopID { parts.append("nhid \(nextHopID)") }
    if table != 254 { parts.append("table \(tableName)") }
    parts.append("proto \(origin)")
    if scope != "global" { parts.append("scope \(scope)") }
    if let preferredSource { parts.append("src \(preferredSource)") }
    if let metric { parts.append("metric \(metric)") }
    return parts.joined(separator: " ")
  }
}

/// A default route's gateway for one family.
public struct DefaultGateway: Codable, Sendable, Hashable {
  public var family: AddressFamily
  /// nil for a device-only default route (point-to-point links, VPNs).
  public var gateway: IPAddress?
  public var interface: String?
  public var metric: UInt32?
  public var gatewayFit: RouteGatewayFit?
}

/// A fault found in the routing table, with an id from the diagnosis vocabulary (DESIGN.md).
public struct RouteFinding: Codable, Sendable, Hashable {
  /// `gateway-off-subnet`.
  public var id: String
  /// The route as `ip route` prints it.
  public var route: String
  public var gateway: IPAddress
  public var interface: String?
  /// The prefixes of the interface that the gateway lies outside of.
  public var interfacePrefixes: [Subnet]
  /// What is wrong and what to do, in words.
  public var message: String
}

/// The main routing table of both families, the default gateways, and what looks wrong.
public struct RoutingTable: Codable, Sendable, Hashable {
  public var routes: [Route]
  public var defaultGateways: [DefaultGateway]
  public var findings: [RouteFinding]

  /// The default gateways of one family, lowest metric first.
  public func defaultGateways(_ family: AddressFamily) -> [DefaultGateway] { defaultGateways.filter { $0.family == family } }
}

/// The answer to "which route does the kernel use for this destination" (`ip route get`).
public struct RouteLookup: Codable, Sendable, Hashable {
  public enum Status: String, Codable, Sendable, Hashable {
    /// A route matched: packets go out (unicast) or stay on this host (local).
    case found
    /// No route matched (ENETUNREACH): the `no-route` case.
    case noRoute = "no-route"
    /// A reject route matched (blackhole, unreachable, prohibit, or a throw with nothing behind it).
    case rejected
  }

  public var destination: IPAddress
  public var status: Status
  public var type: RouteType?
  public var interface: String?
  public var interfaceIndex: Int?
  public var gateway: IPAddress?
  /// The source address the kernel picks (RTA_PREFSRC).
  public var preferredSource: IPAddress?
  public var table: UInt32?
  public var tableName: String?
  /// The table route behind the answer, from the table dump: the reject or throw route of a refused lookup, or
  /// the route whose flags (onlink) decide a gateway's fit.
  public var matchedRoute: Route?
  /// The kernel's errno for `no-route` and `rejected` (ENETUNREACH, EHOSTUNREACH, EACCES, EINVAL).
  public var errno: Errno?
  public var flags: [String]
  public var gatewayFit: RouteGatewayFit?

  public init(destination: IPAddress, status: Status, type: RouteType? = nil, interface: String? = nil, interfaceIndex: Int? = nil,
              gateway: IPAddress? = nil, preferredSource: IPAddress? = nil, table: UInt32? = nil, matchedRoute: Route? = nil,
              errno: Errno? = nil, flags: [String] = [], gatewayFit: RouteGatewayFit? = nil) {
    self.destination = destination
    self.status = status
    self.type = type
    self.interface = interface
    self.interfaceIndex = interfaceIndex
    self.gateway = gateway
    self.preferredSource = preferredSource
    self.table = table
    self.tableName = table.map(Routes.tableName)
    self.matchedRoute = matchedRoute
    self.errno = errno
    self.flags = flags
    self.gatewayFit = gatewayFit
  }

  /// Packets to the destination leave (unicast) or stay on this host (local).
  public var reaches: Bool { status == .found && (type == .unicast || type == .local) }
  /// The destination is on a directly attached network: no gateway in between, ARP/ND resolves it directly.
  public var isOnLink: Bool { status == .found && type == .unicast && gateway == nil }

  /// In words: `198.18.1.5 via 198.18.1.1 dev veth0 src 198.18.1.2 (unicast, table main)`.
  public var summary: String {
    switch status {
    case .noRoute:
      if let matchedRoute, type == .throw {
        return "\(destination): no route (\(errno?.name ?? "ENETUNREACH")): throw route \(matchedRoute.destinationText) in table "
          + "\(matchedRoute.tableName) sends the lookup on, and no other table has a route"
      }
      return "\(destination): no route (\(errno?.name ?? "ENETUNREACH")): no route in the table covers it and no default route applies"
    case .rejected:
      let kind = type?.rawValue ?? "reject"
      guard let matchedRoute else {
        return "\(destination): refused as \(kind) (\(errno?.name ?? "?")) by a routing rule or a route in another table"
      }
      return "\(destination): refused by \(kind) route \(matchedRoute.destinationText) in table \(matchedRoute.tableName) (\(errno?.name ?? "?"))"
    case .found:
      var parts = ["\(destination)"]
      if let gateway { parts.append("via \(gateway)") }
      if let interface { parts.append("dev \(interface)") }
      if let preferredSource { parts.append("src \(preferredSource)") }
      let placement = type == .local ? "this host's own address" : gateway == nil ? "on-link" : "routed through the gateway"
      parts.append("(\(type?.rawValue ?? "?"), table \(tableName ?? "?"), \(placement))")
      return parts.joined(separator: " ")
    }
  }
}

/// Routing tables and route lookups from the kernel (`RTM_GETROUTE`); none needs privilege.
public enum Routes {
  /// The main table of both families, with the default gateways and the gateway sanity findings.
  public static func mainTable() throws(NetlinkError) -> RoutingTable {
    let socket = try NetlinkSocket()
    defer { socket.close() }
    let interfaces = Interfaces.build(links: try socket.links(), addresses: try socket.addresses())
    var records: [RouteRecord] = []
    for family in AddressFamily.allCases { records += try socket.routes(family: family) }
    let main = records.filter { $0.table == 254 && $0.flags & 0x200 == 0 }  // RT_TABLE_MAIN, not RTM_F_CLONED
    return table(routes: main.map { route(from: $0, interfaces: interfaces) }, interfaces: interfaces)
  }

  /// Assembles a table: the gateway fit of every path, the default gateways, the findings.
  public static func table(routes: [Route], interfaces: [NetworkInterface]) -> RoutingTable {
    let checked = checkGateways(routes, interfaces: interfaces)
    let defaults = checked.filter { $0.isDefault && $0.type == .unicast }
      .sorted { ($0.family == .ipv4 ? 0 : 1, $0.metric ?? 0) < ($1.family == .ipv4 ? 0 : 1, $1.metric ?? 0) }
      .flatMap { route in
        route.nextHops.map { DefaultGateway(family: route.family, gateway: $0.gateway, interface: $0.interface, metric: route.metric,
                                            gatewayFit: $0.gatewayFit) }
      }
    return RoutingTable(routes: checked, defaultGateways: defaults, findings: findings(in: checked, interfaces: interfaces))
  }

  /// The kernel's route for `destination`, as `ip route get` asks. No route is a `.noRoute` result, a reject
  /// route a `.rejected` one (the kernel answers those with an errno; the table dump names the route).
  public static func lookup(_ destination: IPAddress, interfaceIndex: UInt32? = nil) throws(NetlinkError) -> RouteLookup {
    let socket = try NetlinkSocket()
    defer { socket.close() }
    let interfaces = Interfaces.build(links: try socket.links(), addresses: try socket.addresses())
    let record: RouteRecord
    do {
      record = try socket.route(to: destination, interfaceIndex: interfaceIndex)
    } catch let error {
      guard case let .kernel(_, errno, message) = error else { throw error }
      // The kernel answers a reject route with the errno its type maps to (fib_props in net/ipv4/fib_semantics.c).
      let rejectType: RouteType? = switch errno.code {
      case 22: .blackhole  // EINVAL
      case 113: .unreachable  // EHOSTUNREACH
      case 13: .prohibit  // EACCES
      case 101: .throw  // ENETUNREACH: a throw route, or no route at all
      default: nil
      }
      guard let rejectType else { throw error }
      let candidates = try socket.routes(family: destination.family).map { route(from: $0, interfaces: interfaces) }
      let matched = longestMatch(for: destination, in: candidates.filter { $0.type == rejectType })
      if rejectType == .throw {
        // A throw route ends the lookup in its table; with no other table to go on to, there is no route.
        return RouteLookup(destination: destination, status: .noRoute, type: matched == nil ? nil : .throw,
                           table: matched?.table, matchedRoute: matched, errno: errno)
      }
      // An EINVAL the kernel explains in words is about our request, not a blackhole route.
      if errno.code == 22 && matched == nil && message != nil { throw error }
      // Without a matching route (a reject rule rather than a route) the errno alone names the type.
      return RouteLookup(destination: destination, status: .rejected, type: rejectType, interface: matched?.interface,
                         table: matched?.table, matchedRoute: matched, errno: errno)
    }
    let resolved = route(from: record, interfaces: interfaces)
    let hop = resolved.nextHops.first
    var lookup = RouteLookup(destination: destination, status: .found, type: resolved.type, interface: hop?.interface,
                             interfaceIndex: hop?.interfaceIndex, gateway: hop?.gateway, preferredSource: resolved.preferredSource,
                             table: resolved.table, flags: hop?.flags ?? [])
    if let hop, let gateway = hop.gateway, var fit = gatewayFit(of: hop, routes: [], interfaces: interfaces) {
      if fit == .offSubnet {
        // The lookup's answer does not carry RTNH_F_ONLINK: take the flags from the table route that matched, and
        // let a link-scope route of the same table cover the gateway.
        let sameTable = try socket.routes(family: destination.family).filter { $0.table == resolved.table }
          .map { route(from: $0, interfaces: interfaces) }
        let matched = longestMatch(for: destination, in: sameTable.filter { route in
          route.type == .unicast && route.nextHops.contains { $0.gateway == gateway }
        })
        var tableHop = hop
        if let matchedHop = matched?.nextHops.first(where: { $0.gateway == gateway }) {
          tableHop.flags = Array(Set(hop.flags + matchedHop.flags)).sorted()
          lookup.flags = tableHop.flags
        }
        lookup.matchedRoute = matched
        fit = gatewayFit(of: tableHop, routes: sameTable, interfaces: interfaces) ?? fit
      }
      lookup.gatewayFit = fit
    }
    return lookup
  }

  /// The most specific route containing `address`, lowest metric first among equals.
  static func longestMatch(for address: IPAddress, in routes: [Route]) -> Route? {
    routes.filter { $0.destination.contains(address) }
      .max { ($0.destination.prefixLength, -Int64($0.metric ?? 0)) < ($1.destination.prefixLength, -Int64($1.metric ?? 0)) }
  }

  /// Sets `gatewayFit` on every path with a gateway.
  public static func checkGateways(_ routes: [Route], interfaces: [NetworkInterface]) -> [Route] {
    routes.map { route in
      var route = route
      route.nextHops = route.nextHops.map { hop in
        var hop = hop
        hop.gatewayFit = gatewayFit(of: hop, routes: routes.filter { $0.table == route.table }, interfaces: interfaces)
        return hop
      }
      return route
    }
  }

  /// How a path's gateway fits its egress interface; nil when it has no gateway. `routes` are the other routes of
  /// the same table: a link-scope route through the same interface also makes a gateway reachable.
  public static func gatewayFit(of hop: NextHop, routes: [Route], interfaces: [NetworkInterface]) -> RouteGatewayFit? {
    guard let gateway = hop.gateway else { return nil }
    let interface = interfaces.first { $0.index == hop.interfaceIndex } ?? interfaces.first { $0.name == hop.interface }
    if interface?.onLinkPrefixes.contains(where: { $0.contains(gateway) }) == true { return .insidePrefix }
    if gateway.family == .ipv6 && gateway.isLinkLocal { return .linkLocal }
    if hop.isOnLinkForced { return .forcedOnLink }
    let onLinkRoute = routes.contains { route in
      route.type == .unicast && route.destination.contains(gateway) && !route.isDefault
        && route.nextHops.contains { $0.gateway == nil && ($0.interfaceIndex == hop.interfaceIndex || $0.interface == hop.interface) }
    }
    return onLinkRoute ? .onLinkRoute : .offSubnet
  }

  /// A `gateway-off-subnet` finding for every path whose gateway fits no prefix of its interface and is not onlink.
  public static func findings(in routes: [Route], interfaces: [NetworkInterface]) -> [RouteFinding] {
    var result: [RouteFinding] = []
    for route in routes {
      for hop in route.nextHops {
        guard let gateway = hop.gateway,
              (hop.gatewayFit ?? gatewayFit(of: hop, routes: routes, interfaces: interfaces)) == .offSubnet else { continue }
        let interface = interfaces.first { $0.index == hop.interfaceIndex } ?? interfaces.first { $0.name == hop.interface }
        let prefixes = (interface?.addresses ?? []).filter { $0.address.family == gateway.family }.map(\.subnet)
        result.append(RouteFinding(id: "gateway-off-subnet", route: route.description, gateway: gateway, interface: hop.interface,
                                   interfacePrefixes: prefixes, message: offSubnetMessage(gateway: gateway, interface: hop.interface, prefixes: prefixes)))
      }
    }
    return result
  }

  static func offSubnetMessage(gateway: IPAddress, interface: String?, prefixes: [Subnet]) -> String {
    let name = interface ?? "its interface"
    guard !prefixes.isEmpty else {
      return "gateway \(gateway) is reached through \(name), which has no \(gateway.family == .ipv4 ? "IPv4" : "IPv6") address: "
        + "the gateway cannot be resolved on that link; give \(name) an address in the gateway's network or fix the gateway"
    }
    let comparisons = prefixes.map { prefix -> String in
      let gatewayNetwork = Subnet(address: gateway, prefixLength: prefix.prefixLength)!.network
      return "\(prefix) has network ID \(prefix.network), the gateway's would be \(gatewayNetwork)"
    }
    return "gateway \(gateway) is outside every prefix of \(name) (\(comparisons.joined(separator: "; "))): "
      + "the network ID does not match, so the kernel cannot reach the gateway on that link; "
      + "fix the address, prefix length or gateway so they share a network"
  }

  static func route(from record: RouteRecord, interfaces: [NetworkInterface]) -> Route {
    let family: AddressFamily = record.family == 10 ? .ipv6 : .ipv4  // AF_INET6
    let zero = IPAddress(bytes: [UInt8](repeating: 0, count: family == .ipv4 ? 4 : 16))!
    let destination = Subnet(address: record.destination ?? zero, prefixLength: Int(record.destinationLength))
      ?? Subnet(address: zero, prefixLength: 0)!
    let names = Dictionary(interfaces.map { ($0.index, $0.name) }, uniquingKeysWith: { first, _ in first })
    let hops = record.nextHops.map { hop in
      NextHop(interface: hop.interfaceIndex.flatMap { names[Int($0)] ?? "if\($0)" }, interfaceIndex: hop.interfaceIndex.map(Int.init),
              gateway: hop.gateway, flags: nextHopFlagNames(hop.flags), weight: hop.weight)
    }
    return Route(family: family, destination: destination, type: RouteType(code: record.type), table: record.table,
                 origin: originName(record.routingProtocol), scope: Interfaces.scopeName(record.scope),
                 preferredSource: record.preferredSource, metric: record.priority, nextHops: hops, nextHopID: record.nextHopID)
  }

  /// RTNH_F_* names (from <linux/rtnetlink.h>).
  static func nextHopFlagNames(_ flags: UInt32) -> [String] {
    let bits: [(UInt32, String)] = [(1, "dead"), (2, "pervasive"), (4, "onlink"), (8, "offload"), (16, "linkdown"),
                                    (32, "unresolved"), (64, "trap")]
    return bits.filter { flags & $0.0 != 0 }.map(\.1)
  }

  /// RT_TABLE_* names.
  static func tableName(_ table: UInt32) -> String {
    switch table {
    case 253: return "default"
    case 254: return "main"
    case 255: return "local"
    default: return String(table)
    }
  }

  /// RTPROT_* names, as /etc/iproute2/rt_protos has them.
  static func originName(_ code: UInt8) -> String {
    let names: [UInt8: String] = [
      0: "unspec", 1: "redirect", 2: "kernel", 3: "boot", 4: "static", 8: "gated", 9: "ra", 10: "mrt", 11: "zebra", 12: "bird",
      13: "dnrouted", 14: "xorp", 15: "ntk", 16: "dhcp", 17: "mrouted", 18: "keepalived", 42: "babel", 99: "openr", 186: "bgp",
      187: "isis", 188: "ospf", 189: "rip", 192: "eigrp",
    ]
    return names[code] ?? String(code)
  }
}
