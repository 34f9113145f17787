import Testing
import TestSupport
@testable import NetProbe

/// Netlink bytes built by hand, in host byte order as the kernel sends them, for the parser tests.
enum NetlinkFixture {
  // Numbers from <linux/netlink.h>, <linux/rtnetlink.h>, <linux/if_link.h>, <linux/if_addr.h>, <linux/neighbour.h>.
  static let done: UInt16 = 3, error: UInt16 = 2
  static let newLink: UInt16 = 16, newAddress: UInt16 = 20, newRoute: UInt16 = 24, newNeighbour: UInt16 = 28
  static let linkAddress: UInt16 = 1, linkName: UInt16 = 3, linkMTU: UInt16 = 4, linkOperstate: UInt16 = 16
  static let linkInfo: UInt16 = 18, linkCarrier: UInt16 = 33, infoKind: UInt16 = 1
  static let addressAddress: UInt16 = 1, addressLocal: UInt16 = 2, addressFlags: UInt16 = 8
  static let routeDestination: UInt16 = 1, routeOutput: UInt16 = 4, routeGateway: UInt16 = 5, routePriority: UInt16 = 6
  static let routeSource: UInt16 = 7, routeMultipath: UInt16 = 9, routeTable: UInt16 = 15
  static let neighbourDestination: UInt16 = 1, neighbourLinkAddress: UInt16 = 2

  static func bytes<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value) { Array($0) } }

  static func padded(_ bytes: [UInt8]) -> [UInt8] { bytes + [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4) }

  /// An attribute (`struct rtattr`): length, type, value, padding.
  static func attribute(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
    padded(bytes(UInt16(4 + value.count)) + bytes(type) + value)
  }

  static func string(_ type: UInt16, _ text: String) -> [UInt8] { attribute(type, Array(text.utf8) + [0]) }

  /// A whole message: `struct nlmsghdr` and the payload.
  static func message(type: UInt16, flags: UInt16 = 0, sequence: UInt32 = 1, payload: [UInt8]) -> [UInt8] {
    bytes(UInt32(16 + payload.count)) + bytes(type) + bytes(flags) + bytes(sequence) + bytes(UInt32(0)) + payload
  }

  /// `struct ifinfomsg`: family, pad, type, index, flags, change.
  static func link(index: Int32, type: UInt16 = 1, flags: UInt32, attributes: [UInt8]) -> [UInt8] {
    [0, 0] + bytes(type) + bytes(index) + bytes(flags) + bytes(UInt32(0)) + attributes
  }

  /// `struct ifaddrmsg`: family, prefix length, flags, scope, index.
  static func address(family: UInt8, prefixLength: UInt8, flags: UInt8 = 0x80, scope: UInt8, index: UInt32, attributes: [UInt8]) -> [UInt8] {
    [family, prefixLength, flags, scope] + bytes(index) + attributes
  }

  /// `struct rtmsg`: family, dst_len, src_len, tos, table, protocol, scope, type, flags.
  static func route(family: UInt8 = 2, destinationLength: UInt8, table: UInt8 = 254, origin: UInt8 = 4, scope: UInt8 = 0,
                    type: UInt8 = 1, flags: UInt32 = 0, attributes: [UInt8]) -> [UInt8] {
    [family, destinationLength, 0, 0, table, origin, scope, type] + bytes(flags) + attributes
  }

  /// `struct ndmsg`: family, 3 pad, index, state, flags, type.
  static func neighbour(family: UInt8 = 2, index: Int32, state: UInt16, flags: UInt8 = 0, attributes: [UInt8]) -> [UInt8] {
    [family, 0, 0, 0] + bytes(index) + bytes(state) + [flags, 1] + attributes
  }
}

/// Two namespaces joined by a veth pair: `host` (veth0, .2 / ::2) and `peer` (veth1, .1 / ::1), fixed MACs, an MTU
/// of 1400, optional default routes from host to peer. Addresses 198.18.N.0/24 and fd00:N::/64 only.
final class VethLab: @unchecked Sendable {
  let host: TestNamespace
  let peer: TestNamespace
  let network: Int
  var hostV4: IPAddress { IPAddress("198.18.\(network).2")! }
  var peerV4: IPAddress { IPAddress("198.18.\(network).1")! }
  var hostV6: IPAddress { IPAddress("fd00:\(network)::2")! }
  var peerV6: IPAddress { IPAddress("fd00:\(network)::1")! }
  var hostMAC: String { "02:00:5e:00:\(Interfaces.macText([UInt8(network)])):02" }
  var peerMAC: String { "02:00:5e:00:\(Interfaces.macText([UInt8(network)])):01" }

  init(tag: String, network: Int, defaultRoutes: Bool = true) throws {
    self.network = network
    host = try TestNamespace(tag: tag)
    peer = try TestNamespace(tag: tag + "p")
    try host.link(to: peer, localName: "veth0", remoteName: "veth1")
    try host.ip(["link", "set", "veth0", "address", hostMAC, "mtu", "1400"])
    try peer.ip(["link", "set", "veth1", "address", peerMAC, "mtu", "1400"])
    try host.ip(["addr", "add", "\(hostV4)/24", "dev", "veth0"])
    try host.ip(["-6", "addr", "add", "\(hostV6)/64", "dev", "veth0", "nodad"])
    try peer.ip(["addr", "add", "\(peerV4)/24", "dev", "veth1"])
    try peer.ip(["-6", "addr", "add", "\(peerV6)/64", "dev", "veth1", "nodad"])
    if defaultRoutes {
      try host.ip(["route", "add", "default", "via", "\(peerV4)"])
      try host.ip(["-6", "route", "add", "default", "via", "\(peerV6)"])
    }
  }

  /// Makes a failed ARP/ND take well under a second in the host namespace only (default: 3 tries, 1 s apart).
  func shortenNeighbourTimeouts() throws {
    for family in ["ipv4", "ipv6"] {
      try host.exec("/usr/sbin/sysctl", ["-q", "-w", "net.\(family).neigh.veth0.mcast_solicit=2"])
      try host.exec("/usr/sbin/sysctl", ["-q", "-w", "net.\(family).neigh.veth0.retrans_time_ms=200"])
    }
  }
}

@Suite struct NetlinkFramingTests {
  @Test func requestIsHeaderFamilyHeaderAndPaddedAttributes() {
    var request = NetlinkRequest(name: "RTM_GETROUTE", type: 26, header: [2, 32, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    request.attributes.append((1, [198, 18, 1, 5]))
    request.attributes.append((4, [7]))  // 5 bytes: padded to 8
    let bytes = request.encoded(flags: 1, sequence: 42)
    #expect(bytes.count == 16 + 12 + 8 + 8)
    #expect(Array(bytes[0..<4]) == NetlinkFixture.bytes(UInt32(44)))
    #expect(Array(bytes[4..<6]) == NetlinkFixture.bytes(UInt16(26)))
    #expect(Array(bytes[6..<8]) == NetlinkFixture.bytes(UInt16(1)))
    #expect(Array(bytes[8..<12]) == NetlinkFixture.bytes(UInt32(42)))
    #expect(Array(bytes[28..<36]) == NetlinkFixture.bytes(UInt16(8)) + NetlinkFixture.bytes(UInt16(1)) + [198, 18, 1, 5])
    #expect(Array(bytes[36..<44]) == NetlinkFixture.bytes(UInt16(5)) + NetlinkFixture.bytes(UInt16(4)) + [7, 0, 0, 0])
  }

  @Test func messagesSplitAtTheirAlignedLengths() throws {
    let first = NetlinkFixture.message(type: 24, payload: [1, 2, 3, 4, 5])  // 21 bytes, next starts at 24
    let buffer = first + [0, 0, 0] + NetlinkFixture.message(type: 3, payload: [0, 0, 0, 0])
    let messages = try Netlink.messages(in: buffer, request: "test")
    #expect(messages.map(\.header.nlmsg_type) == [24, 3])
    #expect(messages[0].payload == [1, 2, 3, 4, 5])
  }

  @Test(arguments: [
    ("length past the end", NetlinkFixture.bytes(UInt32(64)) + [UInt8](repeating: 0, count: 28)),
    ("length below the header", NetlinkFixture.bytes(UInt32(8)) + [UInt8](repeating: 0, count: 28)),
  ])
  func brokenMessageLengthsAreErrorsNotReads(name: String, buffer: [UInt8]) {
    #expect(throws: NetlinkError.self, "\(name)") { try Netlink.messages(in: buffer, request: "test") }
  }

  @Test func aShortTailIsIgnored() throws {
    #expect(try Netlink.messages(in: [1, 2, 3], request: "test").isEmpty)
  }

  @Test func attributesParseWithTheNestedBitMasked() throws {
    let nested = NetlinkFixture.string(NetlinkFixture.infoKind, "veth")
    let nestedType = NetlinkFixture.linkInfo | 0x8000  // NLA_F_NESTED
    let bytes = NetlinkFixture.attribute(NetlinkFixture.linkMTU, NetlinkFixture.bytes(UInt32(1400)))
      + NetlinkFixture.attribute(nestedType, nested) + NetlinkFixture.string(NetlinkFixture.linkName, "veth0")
    let attributes = try NetlinkAttributes(parsing: bytes, from: 0)
    #expect(attributes.uint32(NetlinkFixture.linkMTU) == 1400)
    #expect(attributes.string(NetlinkFixture.linkName) == "veth0")
    #expect(attributes.nested(NetlinkFixture.linkInfo)?.string(NetlinkFixture.infoKind) == "veth")
    #expect(attributes.all.count == 3)
  }

  @Test func theLastAttributeMayLackItsPadding() throws {
    let bytes = NetlinkFixture.bytes(UInt16(5)) + NetlinkFixture.bytes(UInt16(16)) + [6]
    #expect(try NetlinkAttributes(parsing: bytes, from: 0).uint8(16) == 6)
  }

  @Test(arguments: [
    ("length past the end", NetlinkFixture.bytes(UInt16(200)) + NetlinkFixture.bytes(UInt16(3)) + [1, 2, 3, 4]),
    ("length below the header", NetlinkFixture.bytes(UInt16(2)) + NetlinkFixture.bytes(UInt16(3)) + [1, 2, 3, 4]),
  ])
  func brokenAttributeLengthsAreErrors(name: String, bytes: [UInt8]) {
    #expect(throws: NetlinkError.self, "\(name)") { try NetlinkAttributes(parsing: bytes, from: 0) }
  }

  @Test func shortValuesReadAsAbsent() throws {
    let attributes = try NetlinkAttributes(parsing: NetlinkFixture.attribute(4, [1, 2]), from: 0)
    #expect(attributes.uint32(4) == nil)
    #expect(attributes.address(4) == nil)
  }

  @Test func errorMessagesCarryTheErrnoAndTheExtendedAckText() throws {
    // NLMSG_ERROR, capped, with TLVs: error -101, our request's header, then NLMSGERR_ATTR_MSG.
    let echoed = NetlinkFixture.message(type: 26, payload: [])
    let payload = NetlinkFixture.bytes(Int32(-101)) + echoed + NetlinkFixture.string(1, "Nexthop has invalid gateway")
    let buffer = NetlinkFixture.message(type: NetlinkFixture.error, flags: 0x100 | 0x200, payload: payload)
    let message = try #require(try Netlink.messages(in: buffer, request: "test").first)
    let (code, text) = try Netlink.error(in: message, request: "test")
    #expect(code == 101)
    #expect(text == "Nexthop has invalid gateway")
  }
}

@Suite struct NetlinkRecordTests {
  @Test func linkRecordReadsNameKindStateAndAddress() throws {
    let attributes = NetlinkFixture.string(NetlinkFixture.linkName, "veth0")
      + NetlinkFixture.attribute(NetlinkFixture.linkMTU, NetlinkFixture.bytes(UInt32(1400)))
      + NetlinkFixture.attribute(NetlinkFixture.linkOperstate, [6])
      + NetlinkFixture.attribute(NetlinkFixture.linkCarrier, [1])
      + NetlinkFixture.attribute(NetlinkFixture.linkAddress, [2, 0, 0x5e, 0, 1, 2])
      + NetlinkFixture.attribute(NetlinkFixture.linkInfo, NetlinkFixture.string(NetlinkFixture.infoKind, "veth"))
    let message = NetlinkMessage(type: NetlinkFixture.newLink, flags: 0,
                                 payload: NetlinkFixture.link(index: 7, flags: 0x11043, attributes: attributes))
    let record = try LinkRecord(message)
    #expect(record == LinkRecord(index: 7, deviceType: 1, flags: 0x11043, name: "veth0", mtu: 1400, operationalState: 6, carrier: 1,
                                 hardwareAddress: [2, 0, 0x5e, 0, 1, 2], linkKind: "veth"))
  }

  @Test func truncatedFamilyHeaderIsAnError() {
    #expect(throws: NetlinkError.self) { try LinkRecord(NetlinkMessage(type: 16, flags: 0, payload: [0, 0, 1, 0])) }
  }

  @Test func addressRecordPrefersLocalAndTheThirtyTwoBitFlags() throws {
    let attributes = NetlinkFixture.attribute(NetlinkFixture.addressAddress, [198, 18, 9, 1])
      + NetlinkFixture.attribute(NetlinkFixture.addressLocal, [198, 18, 9, 2])
      + NetlinkFixture.attribute(NetlinkFixture.addressFlags, NetlinkFixture.bytes(UInt32(0x80 | 0x20)))
    let message = NetlinkMessage(type: NetlinkFixture.newAddress, flags: 0,
                                 payload: NetlinkFixture.address(family: 2, prefixLength: 32, scope: 0, index: 3, attributes: attributes))
    let record = try #require(try AddressRecord(message))
    #expect(record.local == IPAddress("198.18.9.2"))
    #expect(record.peer == IPAddress("198.18.9.1"))
    #expect(record.flags == 0xA0)
    #expect(Interfaces.addressFlagNames(record.flags, family: .ipv4) == ["deprecated", "permanent"])
  }

  @Test func routeRecordReadsGatewayTableAndMultipath() throws {
    let hop1 = NetlinkFixture.attribute(NetlinkFixture.routeGateway, [198, 18, 1, 1])
    let hop2 = NetlinkFixture.attribute(NetlinkFixture.routeGateway, [198, 18, 2, 1])
    // struct rtnexthop: length, flags, hops (weight - 1), ifindex; then its attributes.
    let multipath = NetlinkFixture.bytes(UInt16(8 + hop1.count)) + [0, 0] + NetlinkFixture.bytes(Int32(2)) + hop1
      + NetlinkFixture.bytes(UInt16(8 + hop2.count)) + [4, 2] + NetlinkFixture.bytes(Int32(3)) + hop2
    let attributes = NetlinkFixture.attribute(NetlinkFixture.routeTable, NetlinkFixture.bytes(UInt32(1000)))
      + NetlinkFixture.attribute(NetlinkFixture.routeMultipath, multipath)
      + NetlinkFixture.attribute(NetlinkFixture.routePriority, NetlinkFixture.bytes(UInt32(100)))
    let message = NetlinkMessage(type: NetlinkFixture.newRoute, flags: 0,
                                 payload: NetlinkFixture.route(destinationLength: 0, table: 252, attributes: attributes))
    let record = try RouteRecord(message)
    #expect(record.table == 1000)
    #expect(record.priority == 100)
    #expect(record.destination == nil)
    #expect(record.nextHops == [
      NextHopRecord(interfaceIndex: 2, gateway: IPAddress("198.18.1.1"), flags: 0, weight: 1),
      NextHopRecord(interfaceIndex: 3, gateway: IPAddress("198.18.2.1"), flags: 4, weight: 3),
    ])
  }

  @Test func brokenNextHopLengthIsAnError() {
    let multipath = NetlinkFixture.bytes(UInt16(200)) + [0, 0] + NetlinkFixture.bytes(Int32(2))
    let message = NetlinkMessage(type: NetlinkFixture.newRoute, flags: 0, payload: NetlinkFixture.route(
      destinationLength: 0, attributes: NetlinkFixture.attribute(NetlinkFixture.routeMultipath, multipath)))
    #expect(throws: NetlinkError.self) { try RouteRecord(message) }
  }

  @Test func neighbourRecordReadsStateAndLinkAddress() throws {
    let attributes = NetlinkFixture.attribute(NetlinkFixture.neighbourDestination, [198, 18, 1, 1])
      + NetlinkFixture.attribute(NetlinkFixture.neighbourLinkAddress, [2, 0, 0x5e, 0, 1, 1])
    let record = try #require(try NeighbourRecord(NetlinkMessage(
      type: NetlinkFixture.newNeighbour, flags: 0, payload: NetlinkFixture.neighbour(index: 2, state: 0x02, flags: 0x80, attributes: attributes))))
    let neighbour = Neighbours.neighbour(from: record, names: [2: "veth0"])
    #expect(neighbour == Neighbour(address: IPAddress("198.18.1.1")!, interface: "veth0", interfaceIndex: 2, mac: "02:00:5e:00:01:01",
                                   state: .reachable, flags: ["router"]))
    #expect(neighbour.description == "198.18.1.1 dev veth0 lladdr 02:00:5e:00:01:01 router REACHABLE")
  }
}

/// The socket against the real kernel: dumps, a plain request, and the kernel's errors.
@Suite struct NetlinkSocketTests {
  @Test func linkDumpHasLoopbackAtIndexOne() throws {
    let socket = try NetlinkSocket()
    let links = try socket.links()
    let loopback = try #require(links.first { $0.index == 1 })
    #expect(loopback.name == "lo")
    #expect(loopback.deviceType == 772)
  }

  @Test func routeRequestForLoopbackAnswersLocal() throws {
    let socket = try NetlinkSocket()
    let record = try socket.route(to: IPAddress("127.0.0.1")!)
    #expect(record.type == 2)  // RTN_LOCAL
    #expect(record.nextHops.first?.interfaceIndex == 1)
    #expect(record.preferredSource == IPAddress("127.0.0.1"))
  }

  @Test func aMissingNeighbourEntryIsNil() throws {
    let socket = try NetlinkSocket()
    #expect(try socket.neighbour(IPAddress("198.19.255.254")!, interfaceIndex: 1) == nil)
  }

  @Test func repeatedRequestsOnOneSocketStayInStep() throws {
    let socket = try NetlinkSocket()
    for _ in 0..<20 {
      #expect(try socket.links().contains { $0.name == "lo" })
      #expect(try socket.route(to: IPAddress("::1")!).type == 2)
    }
  }
}

@Suite(.enabled(if: TestNamespace.isAvailable, "needs root and iproute2 for network namespaces"))
struct NetlinkNamespaceTests {
  @Test func theKernelsNoRouteErrorArrivesWithItsErrno() throws {
    let namespace = try TestNamespace(tag: "nlerr")
    let error = try namespace.perform { () -> NetlinkError? in
      do throws(NetlinkError) {
        _ = try NetlinkSocket().route(to: IPAddress("198.18.200.1")!)
        return nil
      } catch {
        return error
      }
    }
    let kernelError = try #require(error)
    guard case let .kernel(request, errno, _) = kernelError else {
      Issue.record("expected a kernel error, got \(kernelError)")
      return
    }
    #expect(request == "RTM_GETROUTE")
    #expect(errno.name == "ENETUNREACH")
  }

  @Test func aSocketOpenedInsideSeesOnlyTheNamespace() throws {
    let lab = try VethLab(tag: "nlns", network: 41, defaultRoutes: false)
    let names = try lab.host.perform { try NetlinkSocket().links().map(\.name) }
    #expect(names == ["lo", "veth0"])
  }
}
