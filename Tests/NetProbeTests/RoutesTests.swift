import Testing
import TestSupport
@testable import NetProbe

/// Gateway sanity on fixtures: every way a gateway can fit its interface, and the one that is the finding.
@Suite struct GatewaySanityTests {
  static let eth0 = NetworkInterface(
    name: "eth0", index: 2, kind: .ethernet, hardwareType: 1, flags: ["UP", "LOWER_UP"], operstate: "UP", carrier: true,
    addresses: [InterfaceAddress(address: IPAddress("198.18.1.2")!, prefixLength: 24, scope: "global"),
                InterfaceAddress(address: IPAddress("fd00:1::2")!, prefixLength: 64, scope: "global")])
  static let ppp0 = NetworkInterface(
    name: "ppp0", index: 3, kind: .ppp, hardwareType: 512, flags: ["UP", "LOWER_UP", "POINTOPOINT"], operstate: "UP", carrier: true,
    addresses: [InterfaceAddress(address: IPAddress("198.18.5.2")!, prefixLength: 32, scope: "global", peer: IPAddress("198.18.9.1")!)])

  static func hop(_ gateway: String, index: Int = 2, flags: [String] = []) -> NextHop {
    NextHop(interface: index == 2 ? "eth0" : "ppp0", interfaceIndex: index, gateway: IPAddress(gateway)!, flags: flags)
  }

  @Test(arguments: [
    ("198.18.1.1", 2, [String](), RouteGatewayFit.insidePrefix),
    ("198.18.1.254", 2, [], .insidePrefix),
    ("198.18.2.1", 2, [], .offSubnet),
    ("198.18.2.1", 2, ["onlink"], .forcedOnLink),
    ("fd00:1::1", 2, [], .insidePrefix),
    ("fd00:2::1", 2, [], .offSubnet),
    ("fe80::1", 2, [], .linkLocal),
    ("198.18.9.1", 3, [], .insidePrefix),  // the point-to-point peer
    ("198.18.9.2", 3, [], .offSubnet),
  ] as [(String, Int, [String], RouteGatewayFit)])
  func gatewayFitsTheInterfacePrefixOrIsForcedOnLink(gateway: String, index: Int, flags: [String], fit: RouteGatewayFit) {
    #expect(Routes.gatewayFit(of: Self.hop(gateway, index: index, flags: flags), routes: [], interfaces: [Self.eth0, Self.ppp0]) == fit)
  }

  @Test func aLinkScopeRouteThroughTheSameInterfaceCoversTheGateway() {
    let onLink = Route(family: .ipv4, destination: Subnet("198.18.64.0/18")!, origin: "static", scope: "link",
                       nextHops: [NextHop(interface: "eth0", interfaceIndex: 2, gateway: nil)])
    let fit = Routes.gatewayFit(of: Self.hop("198.18.70.1"), routes: [onLink], interfaces: [Self.eth0])
    #expect(fit == .onLinkRoute)
  }

  @Test func offSubnetGatewayIsTheFindingWithTheNetworkIDsInWords() {
    let routes = [
      Route(family: .ipv4, destination: Subnet("0.0.0.0/0")!, nextHops: [Self.hop("198.18.7.1")]),
      Route(family: .ipv4, destination: Subnet("198.18.50.0/24")!, nextHops: [Self.hop("198.18.60.1", flags: ["onlink"])]),
      Route(family: .ipv4, destination: Subnet("198.18.1.0/24")!, origin: "kernel", scope: "link",
            nextHops: [NextHop(interface: "eth0", interfaceIndex: 2, gateway: nil)]),
    ]
    let table = Routes.table(routes: routes, interfaces: [Self.eth0])
    #expect(table.findings.count == 1)
    let finding = table.findings[0]
    #expect(finding.id == "gateway-off-subnet")
    #expect(finding.gateway == IPAddress("198.18.7.1"))
    #expect(finding.interface == "eth0")
    #expect(finding.interfacePrefixes == [Subnet("198.18.1.2/24")!])
    #expect(finding.route == "default via 198.18.7.1 dev eth0 proto static")
    #expect(finding.message.contains("198.18.1.2/24 has network ID 198.18.1.0, the gateway's would be 198.18.7.0"))
    #expect(table.routes[1].nextHops[0].gatewayFit == .forcedOnLink)
    #expect(table.defaultGateways == [DefaultGateway(family: .ipv4, gateway: IPAddress("198.18.7.1"), interface: "eth0",
                                                     gatewayFit: .offSubnet)])
  }

  @Test func parsedRouteMessagesGoThroughTheSameCheck() throws {
    // What the kernel would send for `default via 198.18.7.1 dev eth0` (it refuses to create one without onlink),
    // and for the same route with RTNH_F_ONLINK in rtm_flags.
    func message(flags: UInt32) -> NetlinkMessage {
      let attributes = NetlinkFixture.attribute(NetlinkFixture.routeTable, NetlinkFixture.bytes(UInt32(254)))
        + NetlinkFixture.attribute(NetlinkFixture.routeGateway, [198, 18, 7, 1])
        + NetlinkFixture.attribute(NetlinkFixture.routeOutput, NetlinkFixture.bytes(Int32(2)))
      return NetlinkMessage(type: NetlinkFixture.newRoute, flags: 0,
                            payload: NetlinkFixture.route(destinationLength: 0, flags: flags, attributes: attributes))
    }
    let plain = Routes.route(from: try RouteRecord(message(flags: 0)), interfaces: [Self.eth0])
    let forced = Routes.route(from: try RouteRecord(message(flags: 4)), interfaces: [Self.eth0])
    #expect(plain.isDefault)
    #expect(plain.gateway == IPAddress("198.18.7.1"))
    #expect(plain.interface == "eth0")
    #expect(forced.nextHops[0].flags == ["onlink"])
    #expect(Routes.findings(in: [plain], interfaces: [Self.eth0]).map(\.id) == ["gateway-off-subnet"])
    #expect(Routes.findings(in: [forced], interfaces: [Self.eth0]).isEmpty)
  }

  @Test(arguments: [(UInt8(1), RouteType.unicast), (2, .local), (3, .broadcast), (6, .blackhole), (7, .unreachable), (8, .prohibit),
                    (9, .throw), (200, .unspecified)] as [(UInt8, RouteType)])
  func routeTypeCodes(code: UInt8, type: RouteType) {
    #expect(RouteType(code: code) == type)
  }

  @Test func longestMatchPrefersTheLongerPrefix() {
    let routes = [Route(family: .ipv4, destination: Subnet("198.18.0.0/16")!, type: .blackhole, nextHops: []),
                  Route(family: .ipv4, destination: Subnet("198.18.99.0/24")!, type: .blackhole, nextHops: [])]
    #expect(Routes.longestMatch(for: IPAddress("198.18.99.7")!, in: routes)?.destination.prefixLength == 24)
    #expect(Routes.longestMatch(for: IPAddress("198.19.0.1")!, in: routes) == nil)
  }
}

/// Route lookups on the host's loopback: no traffic, only the kernel's answer.
@Suite struct LoopbackRouteTests {
  @Test(arguments: ["127.0.0.1", "::1"])
  func loopbackLookupIsLocalViaLo(address: String) throws {
    let lookup = try Routes.lookup(IPAddress(address)!)
    #expect(lookup.status == .found)
    #expect(lookup.type == .local)
    #expect(lookup.interface == "lo")
    #expect(lookup.gateway == nil)
    #expect(lookup.preferredSource == IPAddress(address))
    #expect(lookup.reaches)
  }
}

@Suite(.enabled(if: TestNamespace.isAvailable, "needs root and iproute2 for network namespaces"))
struct NamespaceRouteTests {
  @Test func mainTableAndDefaultGatewaysAreParsedExactly() throws {
    let lab = try VethLab(tag: "rtmain", network: 21)
    let table = try lab.host.perform { try Routes.mainTable() }
    let v4 = table.routes.filter { $0.family == .ipv4 }
    #expect(v4.map(\.description) == [
      "default via 198.18.21.1 dev veth0 proto boot",
      "198.18.21.0/24 dev veth0 proto kernel scope link src 198.18.21.2",
    ])
    let connected = v4[1]
    #expect(connected.destination == Subnet("198.18.21.0/24"))
    #expect(connected.type == .unicast)
    #expect(connected.tableName == "main")
    let v6 = table.routes.filter { $0.family == .ipv6 }
    #expect(v6.contains { $0.description == "fd00:21::/64 dev veth0 proto kernel metric 256" })
    #expect(v6.contains { $0.description == "default via fd00:21::1 dev veth0 proto boot metric 1024" })
    #expect(table.defaultGateways == [
      DefaultGateway(family: .ipv4, gateway: lab.peerV4, interface: "veth0", metric: nil, gatewayFit: .insidePrefix),
      DefaultGateway(family: .ipv6, gateway: lab.peerV6, interface: "veth0", metric: 1024, gatewayFit: .insidePrefix),
    ])
    #expect(table.findings.isEmpty)
  }

  @Test func lookupsGiveInterfaceGatewayAndSource() throws {
    let lab = try VethLab(tag: "rtget", network: 22)
    let (onLink, routed, routed6, own) = try lab.host.perform {
      (try Routes.lookup(lab.peerV4), try Routes.lookup(IPAddress("198.19.22.5")!), try Routes.lookup(IPAddress("fd00:99::5")!),
       try Routes.lookup(lab.hostV4))
    }
    #expect(onLink == RouteLookup(destination: lab.peerV4, status: .found, type: .unicast, interface: "veth0", interfaceIndex: 2,
                                  preferredSource: lab.hostV4, table: 254))
    #expect(onLink.isOnLink)
    #expect(routed.gateway == lab.peerV4)
    #expect(routed.interface == "veth0")
    #expect(routed.preferredSource == lab.hostV4)
    #expect(routed.gatewayFit == .insidePrefix)
    #expect(!routed.isOnLink)
    #expect(routed6.gateway == lab.peerV6)
    #expect(routed6.preferredSource == lab.hostV6)
    #expect(own.type == .local)
    #expect(own.interface == "lo")
  }

  @Test func offSubnetGatewayForcedOnLinkIsAcceptedAndSaidSo() throws {
    let lab = try VethLab(tag: "rtonl", network: 23)
    // Without onlink the kernel refuses this route ("Nexthop has invalid gateway").
    let refused = try runCommand(TestNamespace.ipPath, ["-n", lab.host.name, "route", "add", "198.18.50.0/24", "via", "198.18.60.1",
                                                         "dev", "veth0"], check: false)
    #expect(refused.status != 0)
    try lab.host.ip(["route", "add", "198.18.50.0/24", "via", "198.18.60.1", "dev", "veth0", "onlink"])
    let (table, lookup) = try lab.host.perform { (try Routes.mainTable(), try Routes.lookup(IPAddress("198.18.50.7")!)) }
    let route = try #require(table.routes.first { $0.destination == Subnet("198.18.50.0/24") })
    #expect(route.nextHops[0].flags == ["onlink"])
    #expect(route.nextHops[0].gatewayFit == .forcedOnLink)
    #expect(route.description == "198.18.50.0/24 via 198.18.60.1 dev veth0 onlink proto boot")
    #expect(table.findings.isEmpty)
    #expect(lookup.gateway == IPAddress("198.18.60.1"))
    #expect(lookup.gatewayFit == .forcedOnLink)
    #expect(lookup.matchedRoute?.destination == Subnet("198.18.50.0/24"))
  }

  @Test(arguments: [("blackhole", RouteType.blackhole, "EINVAL"), ("unreachable", .unreachable, "EHOSTUNREACH"),
                    ("prohibit", .prohibit, "EACCES")])
  func rejectRoutesAreReportedWithTheirType(keyword: String, type: RouteType, errno: String) throws {
    let lab = try VethLab(tag: "rtrej", network: 24)
    try lab.host.ip(["route", "add", keyword, "198.18.99.0/24"])
    try lab.host.ip(["-6", "route", "add", keyword, "fd00:99::/64"])
    let (table, lookup, lookup6) = try lab.host.perform {
      (try Routes.mainTable(), try Routes.lookup(IPAddress("198.18.99.1")!), try Routes.lookup(IPAddress("fd00:99::1")!))
    }
    let listed = try #require(table.routes.first { $0.destination == Subnet("198.18.99.0/24") })
    #expect(listed.type == type)
    #expect(listed.description.hasPrefix("\(keyword) 198.18.99.0/24"))
    for result in [lookup, lookup6] {
      #expect(result.status == .rejected)
      #expect(result.type == type)
      #expect(result.errno?.name == errno)
      #expect(result.matchedRoute?.type == type)
      #expect(!result.reaches)
    }
    #expect(lookup.summary == "198.18.99.1: refused by \(keyword) route 198.18.99.0/24 in table main (\(errno))")
  }

  @Test func anAddressWithNoRouteIsNoRouteNotAnError() throws {
    let lab = try VethLab(tag: "rtnone", network: 25, defaultRoutes: false)
    try lab.host.ip(["route", "add", "throw", "198.18.98.0/24"])
    let (none, none6, thrown, table) = try lab.host.perform {
      (try Routes.lookup(IPAddress("198.19.25.1")!), try Routes.lookup(IPAddress("fd00:98::1")!),
       try Routes.lookup(IPAddress("198.18.98.1")!), try Routes.mainTable())
    }
    for result in [none, none6] {
      #expect(result.status == .noRoute)
      #expect(result.errno?.name == "ENETUNREACH")
      #expect(result.type == nil)
    }
    #expect(thrown.status == .noRoute)
    #expect(thrown.type == .throw)
    #expect(thrown.matchedRoute?.destination == Subnet("198.18.98.0/24"))
    #expect(table.defaultGateways.isEmpty)
  }
}
