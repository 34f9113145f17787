import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

// The rtnetlink records (links, addresses, routes, neighbours) decoded from their C headers and attributes into
// plain Swift values. Interfaces.swift, Routes.swift and Neighbours.swift build on these and never see bytes.

/// One `RTM_NEWLINK` message: `struct ifinfomsg` and the IFLA_* attributes the probes use.
struct LinkRecord: Hashable, Sendable {
  var index: Int32
  /// The ARPHRD_* hardware type (1 ethernet, 772 loopback, 65534 none, ...).
  var deviceType: UInt16
  /// The IFF_* flags.
  var flags: UInt32
  var name: String
  var mtu: UInt32?
  /// IF_OPER_* (RFC 2863 operational state).
  var operationalState: UInt8?
  /// IFLA_CARRIER: 1 when the link has carrier.
  var carrier: UInt8?
  var hardwareAddress: [UInt8]?
  /// IFLA_INFO_KIND inside IFLA_LINKINFO: `veth`, `bridge`, `tun`, `vlan`, ... (absent for physical devices).
  var linkKind: String?
  /// IFLA_MASTER: the bridge or bond this link is a port of.
  var masterIndex: Int32?

  init(index: Int32, deviceType: UInt16, flags: UInt32, name: String, mtu: UInt32? = nil, operationalState: UInt8? = nil,
       carrier: UInt8? = nil, hardwareAddress: [UInt8]? = nil, linkKind: String? = nil, masterIndex: Int32? = nil) {
    self.index = index
    self.deviceType = deviceType
    self.flags = flags
    self.name = name
    self.mtu = mtu
    self.operationalState = operationalState
    self.carrier = carrier
    self.hardwareAddress = hardwareAddress
    self.linkKind = linkKind
    self.masterIndex = masterIndex
  }

  init(_ message: NetlinkMessage) throws(NetlinkError) {
    let (header, attributes) = try Netlink.decode(ifinfomsg.self, from: message.payload, request: "RTM_GETLINK")
    self.init(index: header.ifi_index, deviceType: header.ifi_type, flags: header.ifi_flags,
              name: attributes.string(UInt16(IFLA_IFNAME)) ?? "if\(header.ifi_index)",
              mtu: attributes.uint32(UInt16(IFLA_MTU)),
              operationalState: attributes.uint8(UInt16(IFLA_OPERSTATE)),
              carrier: attributes.uint8(UInt16(IFLA_CARRIER)),
              hardwareAddress: attributes[UInt16(IFLA_ADDRESS)],
              linkKind: attributes.nested(UInt16(IFLA_LINKINFO))?.string(UInt16(IFLA_INFO_KIND)),
              masterIndex: attributes.int32(UInt16(IFLA_MASTER)))
  }
}

/// One `RTM_NEWADDR` message: `struct ifaddrmsg` and its IFA_* attributes.
struct AddressRecord: Hashable, Sendable {
  var index: UInt32
  var prefixLength: UInt8
  /// RT_SCOPE_*: 0 global, 200 site, 253 link, 254 host.
  var scope: UInt8
  /// IFA_F_* (the 32-bit IFA_FLAGS attribute when present, else the header's 8 bits).
  var flags: UInt32
  /// The interface's own address: IFA_LOCAL for IPv4 (IFA_ADDRESS is the peer on point-to-point links).
  var local: IPAddress
  /// The far end of a point-to-point link, when it differs from `local`.
  var peer: IPAddress?
  var broadcast: IPAddress?
  var label: String?
  /// Seconds; nil means forever (0xFFFFFFFF).
  var preferredLifetime: UInt32?
  var validLifetime: UInt32?

  init(index: UInt32, prefixLength: UInt8, scope: UInt8, flags: UInt32, local: IPAddress, peer: IPAddress? = nil,
       broadcast: IPAddress? = nil, label: String? = nil, preferredLifetime: UInt32? = nil, validLifetime: UInt32? = nil) {
    self.index = index
    self.prefixLength = prefixLength
    self.scope = scope
    self.flags = flags
    self.local = local
    self.peer = peer
    self.broadcast = broadcast
    self.label = label
    self.preferredLifetime = preferredLifetime
    self.validLifetime = validLifetime
  }

  /// nil for a message with no address at all (none is expected, but the kernel's framing allows it).
  init?(_ message: NetlinkMessage) throws(NetlinkError) {
    let (header, attributes) = try Netlink.decode(ifaddrmsg.self, from: message.payload, request: "RTM_GETADDR")
    let address = attributes.address(UInt16(IFA_ADDRESS))
    guard let local = attributes.address(UInt16(IFA_LOCAL)) ?? address else { return nil }
    var preferred: UInt32?, valid: UInt32?
    if let info = attributes[UInt16(IFA_CACHEINFO)], info.count >= MemoryLayout<ifa_cacheinfo>.size {
      let cache: ifa_cacheinfo = info.loadStruct(at: 0)
      preferred = cache.ifa_prefered == UInt32.max ? nil : cache.ifa_prefered
      valid = cache.ifa_valid == UInt32.max ? nil : cache.ifa_valid
    }
    self.init(index: header.ifa_index, prefixLength: header.ifa_prefixlen, scope: header.ifa_scope,
              flags: attributes.uint32(UInt16(IFA_FLAGS)) ?? UInt32(header.ifa_flags),
              local: local, peer: address == local ? nil : address,
              broadcast: attributes.address(UInt16(IFA_BROADCAST)), label: attributes.string(UInt16(IFA_LABEL)),
              preferredLifetime: preferred, validLifetime: valid)
  }
}

/// One path of a route: the egress interface, the gateway, the RTNH_F_* flags.
struct NextHopRecord: Hashable, Sendable {
  var interfaceIndex: Int32?
  var gateway: IPAddress?
  var flags: UInt32
  var weight: Int

  init(interfaceIndex: Int32?, gateway: IPAddress?, flags: UInt32, weight: Int = 1) {
    self.interfaceIndex = interfaceIndex
    self.gateway = gateway
    self.flags = flags
    self.weight = weight
  }
}

/// One `RTM_NEWROUTE` message: `struct rtmsg` and its RTA_* attributes.
struct RouteRecord: Hashable, Sendable {
  var family: UInt8
  var destinationLength: UInt8
  var destination: IPAddress?
  /// RTN_* (1 unicast, 2 local, 6 blackhole, 7 unreachable, 8 prohibit, 9 throw, ...).
  var type: UInt8
  /// RTA_TABLE when present (tables above 255), else the header's 8-bit table.
  var table: UInt32
  /// RTPROT_* (2 kernel, 3 boot, 4 static, 9 ra, 16 dhcp, ...).
  var routingProtocol: UInt8
  var scope: UInt8
  /// rtm_flags: RTNH_F_* in the low byte (RTNH_F_ONLINK = 4), RTM_F_* above.
  var flags: UInt32
  var preferredSource: IPAddress?
  var priority: UInt32?
  /// One entry for a plain route; several for RTA_MULTIPATH.
  var nextHops: [NextHopRecord]
  /// RTA_NH_ID: the route uses a nexthop object, whose gateway the route message does not carry.
  var nextHopID: UInt32?

  init(family: UInt8, destinationLength: UInt8, destination: IPAddress?, type: UInt8, table: UInt32, routingProtocol: UInt8,
       scope: UInt8, flags: UInt32, preferredSource: IPAddress? = nil, priority: UInt32? = nil, nextHops: [NextHopRecord],
       nextHopID: UInt32? = nil) {
    self.family = family
    self.destinationLength = destinationLength
    self.destination = destination
    self.type = type
    self.table = table
    self.routingProtocol = routingProtocol
    self.scope = scope
    self.flags = flags
    self.preferredSource = preferredSource
    self.priority = priority
    self.nextHops = nextHops
    self.nextHopID = nextHopID
  }

  init(_ message: NetlinkMessage) throws(NetlinkError) {
    let request = "RTM_GETROUTE"
    let (header, attributes) = try Netlink.decode(rtmsg.self, from: message.payload, request: request)
    var hops: [NextHopRecord] = []
    if let multipath = attributes[UInt16(RTA_MULTIPATH.rawValue)] {
      hops = try RouteRecord.nextHops(in: multipath, routeFlags: header.rtm_flags, request: request)
    } else {
      let index = attributes.int32(UInt16(RTA_OIF.rawValue))
      let gateway = RouteRecord.gateway(in: attributes)
      if index != nil || gateway != nil {
        hops = [NextHopRecord(interfaceIndex: index, gateway: gateway, flags: header.rtm_flags & 0xFF)]
      }
    }
    self.init(family: header.rtm_family, destinationLength: header.rtm_dst_len,
              destination: attributes.address(UInt16(RTA_DST.rawValue)), type: header.rtm_type,
              table: attributes.uint32(UInt16(RTA_TABLE.rawValue)) ?? UInt32(header.rtm_table),
              routingProtocol: header.rtm_protocol, scope: header.rtm_scope, flags: header.rtm_flags,
              preferredSource: attributes.address(UInt16(RTA_PREFSRC.rawValue)),
              priority: attributes.uint32(UInt16(RTA_PRIORITY.rawValue)), nextHops: hops,
              nextHopID: attributes.uint32(UInt16(RTA_NH_ID.rawValue)))
  }

  /// RTA_GATEWAY, or RTA_VIA (`struct rtvia`: a family and an address, e.g. an IPv6 gateway for an IPv4 route).
  private static func gateway(in attributes: NetlinkAttributes) -> IPAddress? {
    if let gateway = attributes.address(UInt16(RTA_GATEWAY.rawValue)) { return gateway }
    guard let via = attributes[UInt16(RTA_VIA.rawValue)], via.count > MemoryLayout<UInt16>.size else { return nil }
    return IPAddress(bytes: Array(via.dropFirst(MemoryLayout<UInt16>.size)))
  }

  /// The `struct rtnexthop` array of RTA_MULTIPATH, each followed by its own attributes (RTA_GATEWAY).
  private static func nextHops(in bytes: [UInt8], routeFlags: UInt32, request: String) throws(NetlinkError) -> [NextHopRecord] {
    var hops: [NextHopRecord] = []
    var offset = 0
    let size = MemoryLayout<rtnexthop>.size
    while bytes.count - offset >= size {
      let hop: rtnexthop = bytes.loadStruct(at: offset)
      let length = Int(hop.rtnh_len)
      guard length >= size, length <= bytes.count - offset else {
        throw .malformed(request: request, reason: "next hop length \(length) at offset \(offset) of \(bytes.count) bytes")
      }
      let attributes = try NetlinkAttributes(parsing: Array(bytes[offset..<(offset + length)]), from: size, request: request)
      hops.append(NextHopRecord(interfaceIndex: hop.rtnh_ifindex, gateway: gateway(in: attributes),
                                flags: UInt32(hop.rtnh_flags) | (routeFlags & 0xFF), weight: Int(hop.rtnh_hops) + 1))
      offset += Int(nt_rta_align(UInt32(length)))
    }
    return hops
  }
}

/// One `RTM_NEWNEIGH` message: `struct ndmsg` and its NDA_* attributes.
struct NeighbourRecord: Hashable, Sendable {
  var index: Int32
  /// NUD_* bits (0x02 REACHABLE, 0x04 STALE, 0x20 FAILED, ...).
  var state: UInt16
  /// NTF_* (0x80 router, 0x08 proxy, ...).
  var flags: UInt8
  var address: IPAddress
  var linkAddress: [UInt8]?

  init(index: Int32, state: UInt16, flags: UInt8, address: IPAddress, linkAddress: [UInt8]?) {
    self.index = index
    self.state = state
    self.flags = flags
    self.address = address
    self.linkAddress = linkAddress
  }

  /// nil for an entry that is not an IP neighbour (no 4- or 16-byte NDA_DST).
  init?(_ message: NetlinkMessage) throws(NetlinkError) {
    let (header, attributes) = try Netlink.decode(ndmsg.self, from: message.payload, request: "RTM_GETNEIGH")
    guard let address = attributes.address(UInt16(NDA_DST)) else { return nil }
    self.init(index: header.ndm_ifindex, state: header.ndm_state, flags: header.ndm_flags, address: address,
              linkAddress: attributes[UInt16(NDA_LLADDR)])
  }
}

extension NetlinkSocket {
  /// Every link (`RTM_GETLINK` dump).
  func links() throws(NetlinkError) -> [LinkRecord] {
    var header = ifinfomsg()
    header.ifi_family = UInt8(AF_UNSPEC)
    let request = NetlinkRequest(name: "RTM_GETLINK", type: UInt16(RTM_GETLINK), header: Netlink.bytes(of: header))
    var records: [LinkRecord] = []
    for message in try dump(request) where message.type == UInt16(RTM_NEWLINK) {
      records.append(try LinkRecord(message))
    }
    return records
  }

  /// Every IPv4 and IPv6 address (`RTM_GETADDR` dump).
  func addresses() throws(NetlinkError) -> [AddressRecord] {
    var header = ifaddrmsg()
    header.ifa_family = UInt8(AF_UNSPEC)
    let request = NetlinkRequest(name: "RTM_GETADDR", type: UInt16(RTM_GETADDR), header: Netlink.bytes(of: header))
    var records: [AddressRecord] = []
    for message in try dump(request) where message.type == UInt16(RTM_NEWADDR) {
      if let record = try AddressRecord(message) { records.append(record) }
    }
    return records
  }

  /// Every route of one family in every table (`RTM_GETROUTE` dump); callers pick the table.
  func routes(family: AddressFamily) throws(NetlinkError) -> [RouteRecord] {
    var header = rtmsg()
    header.rtm_family = UInt8(family.cValue)
    let request = NetlinkRequest(name: "RTM_GETROUTE", type: UInt16(RTM_GETROUTE), header: Netlink.bytes(of: header))
    var records: [RouteRecord] = []
    for message in try dump(request) where message.type == UInt16(RTM_NEWROUTE) {
      records.append(try RouteRecord(message))
    }
    return records
  }

  /// The kernel's route for one destination, as `ip route get` asks (`RTM_GETROUTE` with RTA_DST, no dump).
  /// `interfaceIndex` (RTA_OIF) pins the egress interface, for link-local IPv6 with a zone.
  func route(to destination: IPAddress, interfaceIndex: UInt32? = nil) throws(NetlinkError) -> RouteRecord {
    var header = rtmsg()
    header.rtm_family = UInt8(destination.family.cValue)
    header.rtm_dst_len = UInt8(destination.bitCount)
    // Report the table the lookup matched in, not the cache's default (IPv6 always does).
    header.rtm_flags = UInt32(RTM_F_LOOKUP_TABLE)
    var request = NetlinkRequest(name: "RTM_GETROUTE", type: UInt16(RTM_GETROUTE), header: Netlink.bytes(of: header))
    request.attributes.append((UInt16(RTA_DST.rawValue), destination.bytes))
    if let interfaceIndex {
      var index = interfaceIndex
      request.attributes.append((UInt16(RTA_OIF.rawValue), withUnsafeBytes(of: &index) { Array($0) }))
    }
    return try RouteRecord(get(request))
  }

  /// Every neighbour entry of one family (`RTM_GETNEIGH` dump).
  func neighbours(family: AddressFamily) throws(NetlinkError) -> [NeighbourRecord] {
    var header = ndmsg()
    header.ndm_family = UInt8(family.cValue)
    let request = NetlinkRequest(name: "RTM_GETNEIGH", type: UInt16(RTM_GETNEIGH), header: Netlink.bytes(of: header))
    var records: [NeighbourRecord] = []
    for message in try dump(request) where message.type == UInt16(RTM_NEWNEIGH) {
      if let record = try NeighbourRecord(message) { records.append(record) }
    }
    return records
  }

  /// The neighbour entry for one address on one interface; nil when the kernel has none (ENOENT).
  func neighbour(_ address: IPAddress, interfaceIndex: Int32) throws(NetlinkError) -> NeighbourRecord? {
    var header = ndmsg()
    header.ndm_family = UInt8(address.family.cValue)
    header.ndm_ifindex = interfaceIndex
    var request = NetlinkRequest(name: "RTM_GETNEIGH", type: UInt16(RTM_GETNEIGH), header: Netlink.bytes(of: header))
    request.attributes.append((UInt16(NDA_DST), address.bytes))
    do {
      return try NeighbourRecord(get(request))
    } catch let error where error.errno?.code == ENOENT {
      return nil
    }
  }
}
