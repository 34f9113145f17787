import Testing
#if canImport(Glibc)
import Glibc
#endif
import TestSupport
@testable import NetProbe

@Suite struct InterfaceNamingTests {
  @Test(arguments: [
    (UInt32(0x1 | 0x8 | 0x40 | 0x10000), ["UP", "LOOPBACK", "RUNNING", "LOWER_UP"]),
    (UInt32(0x2 | 0x80 | 0x1000), ["BROADCAST", "NOARP", "MULTICAST"]),
    (UInt32(0x10 | 0x20000), ["POINTOPOINT", "DORMANT"]),
    (UInt32(0), []),
  ])
  func flagNames(flags: UInt32, names: [String]) {
    #expect(Interfaces.flagNames(flags) == names)
  }

  @Test(arguments: [(UInt8?.none, "UNKNOWN"), (0, "UNKNOWN"), (1, "NOTPRESENT"), (2, "DOWN"), (3, "LOWERLAYERDOWN"),
                    (4, "TESTING"), (5, "DORMANT"), (6, "UP")] as [(UInt8?, String)])
  func operstateNames(state: UInt8?, name: String) {
    #expect(Interfaces.operstateName(state) == name)
  }

  @Test(arguments: [(UInt8(0), "global"), (200, "site"), (253, "link"), (254, "host"), (255, "nowhere"), (17, "17")])
  func scopeNames(scope: UInt8, name: String) {
    #expect(Interfaces.scopeName(scope) == name)
  }

  @Test func addressFlagNamesDependOnTheFamilyForBitZero() {
    #expect(Interfaces.addressFlagNames(0x01 | 0x40, family: .ipv4) == ["secondary", "tentative"])
    #expect(Interfaces.addressFlagNames(0x01 | 0x08 | 0x20, family: .ipv6) == ["temporary", "dadfailed", "deprecated"])
  }

  @Test(arguments: [
    // (ARPHRD type, IFF flags, link kind, wireless, expected)
    (UInt16(772), UInt32(0x8), String?.none, false, InterfaceKind.loopback),
    (1, 0, nil, false, .ethernet),
    (1, 0, nil, true, .wireless),
    (1, 0, "veth", false, .veth),
    (1, 0, "bridge", false, .bridge),
    (1, 0, "tun", false, .tap),
    (65534, 0, "tun", false, .tun),
    (65534, 0, "wireguard", false, .wireguard),
    (1, 0, "vlan", false, .vlan),
    (768, 0, "ipip", false, .tunnel),
    (776, 0, nil, false, .tunnel),
    (512, 0, nil, false, .ppp),
    (1, 0, "nlmon", false, .other),
  ] as [(UInt16, UInt32, String?, Bool, InterfaceKind)])
  func kindComesFromLinkKindThenWirelessThenHardwareType(type: UInt16, flags: UInt32, linkKind: String?, wireless: Bool,
                                                         expected: InterfaceKind) {
    let link = LinkRecord(index: 5, deviceType: type, flags: flags, name: "x", linkKind: linkKind)
    #expect(Interfaces.kind(of: link, isWireless: wireless) == expected)
  }

  @Test func macTextIsLowercaseColonHex() {
    #expect(Interfaces.macText([0x02, 0, 0x5e, 0x0a, 0xff, 1]) == "02:00:5e:0a:ff:01")
  }
}

@Suite struct InterfaceUsabilityTests {
  static let global = InterfaceAddress(address: IPAddress("198.18.3.2")!, prefixLength: 24, scope: "global")
  static let link = InterfaceAddress(address: IPAddress("fe80::1")!, prefixLength: 64, scope: "link")
  static let tentative = InterfaceAddress(address: IPAddress("fd00:3::2")!, prefixLength: 64, scope: "global", flags: ["tentative"])

  @Test(arguments: [
    (["UP", "LOWER_UP"], true as Bool?, [global], [String]()),
    (["UP", "LOWER_UP"], nil, [global], []),
    (["LOWER_UP"], true, [global], ["admin down"]),
    (["UP"], false, [global], ["no carrier"]),
    (["UP"], nil, [global], ["no carrier"]),
    (["UP", "LOWER_UP"], true, [link], ["no global address"]),
    (["UP", "LOWER_UP"], true, [tentative, link], ["global address not ready (tentative or DAD failed)"]),
    ([], false, [], ["admin down", "no carrier", "no global address"]),
  ] as [([String], Bool?, [InterfaceAddress], [String])])
  func usableNeedsAdminUpCarrierAndAGlobalAddress(flags: [String], carrier: Bool?, addresses: [InterfaceAddress], problems: [String]) {
    let interface = NetworkInterface(name: "eth0", index: 2, kind: .ethernet, hardwareType: 1, flags: flags, operstate: "UP",
                                     carrier: carrier, addresses: addresses)
    #expect(interface.problems == problems)
    #expect(interface.usable == problems.isEmpty)
  }

  @Test func buildJoinsAddressesToTheirLinksIPv4First() {
    let links = [LinkRecord(index: 2, deviceType: 1, flags: 0x11043, name: "eth0", carrier: 1),
                 LinkRecord(index: 1, deviceType: 772, flags: 0x10049, name: "lo")]
    let addresses = [AddressRecord(index: 2, prefixLength: 64, scope: 0, flags: 0x80, local: IPAddress("fd00:3::2")!),
                     AddressRecord(index: 2, prefixLength: 24, scope: 0, flags: 0x80, local: IPAddress("198.18.3.2")!),
                     AddressRecord(index: 1, prefixLength: 8, scope: 254, flags: 0x80, local: IPAddress("127.0.0.1")!)]
    let interfaces = Interfaces.build(links: links, addresses: addresses)
    #expect(interfaces.map(\.name) == ["lo", "eth0"])
    #expect(interfaces[1].addresses.map(\.description) == ["198.18.3.2/24 scope global permanent", "fd00:3::2/64 scope global permanent"])
    #expect(interfaces[1].usable)
    #expect(!interfaces[0].usable)
  }
}

/// The real kernel: the host's loopback (read only), and interfaces in namespaces the tests build.
@Suite struct LoopbackInterfaceTests {
  @Test func loopbackIsIndexOneWithItsAddresses() throws {
    let loopback = try #require(try Interfaces.list().first { $0.index == 1 })
    #expect(loopback.name == "lo")
    #expect(loopback.kind == .loopback)
    #expect(loopback.flags.contains("LOOPBACK"))
    #expect(loopback.flags.contains("UP"))
    let v4 = try #require(loopback.addresses.first { $0.address == IPAddress("127.0.0.1") })
    #expect(v4.prefixLength == 8)
    #expect(v4.scope == "host")
    // IPv6 may be disabled on loopback in some containers; when it is there it is ::1/128 scope host.
    if let v6 = loopback.addresses.first(where: { $0.address.family == .ipv6 }) {
      #expect(v6.address == IPAddress("::1"))
      #expect(v6.prefixLength == 128)
      #expect(v6.scope == "host")
    }
    #expect(!loopback.usable)  // host scope only: loopback never counts as a way out
  }
}

@Suite(.enabled(if: TestNamespace.isAvailable, "needs root and iproute2 for network namespaces"))
struct NamespaceInterfaceTests {
  @Test func vethPairIsParsedExactly() throws {
    let lab = try VethLab(tag: "ifveth", network: 31)
    let interfaces = try lab.host.perform { try Interfaces.list() }
    #expect(interfaces.map(\.name) == ["lo", "veth0"])
    let loopback = interfaces[0]
    #expect(loopback.index == 1)
    #expect(loopback.addresses.map(\.description) == ["127.0.0.1/8 scope host permanent", "::1/128 scope host permanent"])
    let veth = interfaces[1]
    #expect(veth.kind == .veth)
    #expect(veth.linkKind == "veth")
    #expect(veth.hardwareType == 1)
    #expect(veth.mtu == 1400)
    #expect(veth.mac == lab.hostMAC)
    #expect(veth.carrier == true)
    #expect(Set(["UP", "BROADCAST", "RUNNING", "MULTICAST", "LOWER_UP"]).isSubset(of: veth.flags))
    let v4 = try #require(veth.addresses.first { $0.address.family == .ipv4 })
    #expect(v4 == InterfaceAddress(address: lab.hostV4, prefixLength: 24, scope: "global", flags: ["permanent"],
                                   label: "veth0"))
    let v6 = try #require(veth.addresses.first { $0.address == lab.hostV6 })
    #expect(v6.prefixLength == 64)
    #expect(v6.scope == "global")
    #expect(v6.flags == ["nodad", "permanent"])
    #expect(veth.addresses.contains { $0.scope == "link" && $0.address.isLinkLocal })
    #expect(veth.usable)
    #expect(veth.problems.isEmpty)
  }

  @Test func peerDownMeansNoCarrierAndAdminDownIsSaid() throws {
    let lab = try VethLab(tag: "ifdown", network: 32, defaultRoutes: false)
    try lab.peer.ip(["link", "set", "veth1", "down"])
    // The kernel updates the operational state a moment after carrier (linkwatch): wait for it, briefly.
    var noCarrier = try #require(try lab.host.perform { try Interfaces.named("veth0") })
    for _ in 0..<40 where noCarrier.operstate == "UP" {
      try lab.host.perform { usleep(50_000) }
      noCarrier = try #require(try lab.host.perform { try Interfaces.named("veth0") })
    }
    #expect(noCarrier.carrier == false)
    #expect(!noCarrier.flags.contains("LOWER_UP"))
    #expect(noCarrier.problems == ["no carrier"])
    #expect(["DOWN", "LOWERLAYERDOWN"].contains(noCarrier.operstate))  // veth says DOWN; stacked links LOWERLAYERDOWN
    try lab.host.ip(["link", "set", "veth0", "down"])
    let down = try #require(try lab.host.perform { try Interfaces.named("veth0") })
    #expect(down.operstate == "DOWN")
    #expect(down.problems.first == "admin down")
    #expect(!down.usable)
  }

  @Test func addressStatesShowAsFlags() throws {
    let namespace = try TestNamespace(tag: "ifflags")
    try namespace.ip(["link", "add", "d0", "type", "veth", "peer", "name", "d1"])
    // On a link that is down, IPv6 duplicate address detection cannot run: the address stays tentative.
    try namespace.ip(["-6", "addr", "add", "fd00:33::1/64", "dev", "d0"])
    try namespace.ip(["addr", "add", "198.18.33.1/24", "dev", "d0", "preferred_lft", "0", "valid_lft", "100"])
    try namespace.ip(["addr", "add", "198.18.33.9/24", "dev", "d0"])
    let link = try #require(try namespace.perform { try Interfaces.named("d0") })
    let tentative = try #require(link.addresses.first { $0.address == IPAddress("fd00:33::1") })
    #expect(tentative.flags.contains("tentative"))
    #expect(!tentative.isUsable)
    let deprecated = try #require(link.addresses.first { $0.address == IPAddress("198.18.33.1") })
    #expect(deprecated.flags.contains("deprecated"))
    #expect(deprecated.preferredLifetimeSeconds == 0)
    #expect((1...100).contains(deprecated.validLifetimeSeconds ?? 0))
    let secondary = try #require(link.addresses.first { $0.address == IPAddress("198.18.33.9") })
    #expect(secondary.flags.contains("secondary"))
    #expect(link.problems == ["admin down", "no carrier"])
  }

  @Test func virtualDeviceKindsComeFromTheLinkKind() throws {
    // Only kinds this kernel builds in: no dummy, vlan, bond or tunnel modules here.
    let namespace = try TestNamespace(tag: "ifkind")
    try namespace.ip(["link", "add", "br0", "type", "bridge"])
    try namespace.ip(["link", "add", "vport0", "type", "veth", "peer", "name", "vport1"])
    try namespace.ip(["link", "set", "vport0", "master", "br0"])
    try namespace.ip(["link", "add", "link", "vport1", "name", "mv0", "type", "macvlan"])
    try namespace.ip(["tuntap", "add", "mode", "tun", "name", "tun0"])
    try namespace.ip(["tuntap", "add", "mode", "tap", "name", "tap0"])
    let interfaces = try namespace.perform { try Interfaces.list() }
    let kinds = Dictionary(uniqueKeysWithValues: interfaces.map { ($0.name, $0.kind) })
    #expect(kinds == ["lo": .loopback, "br0": .bridge, "vport0": .veth, "vport1": .veth, "mv0": .macvlan, "tun0": .tun, "tap0": .tap])
    #expect(interfaces.first { $0.name == "vport0" }?.master == "br0")
    #expect(interfaces.first { $0.name == "tun0" }?.mac == nil)
    #expect(interfaces.first { $0.name == "tun0" }?.flags.contains("NOARP") == true)
  }
}
