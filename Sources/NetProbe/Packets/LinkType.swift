/// The framing in front of the IP header, as pcap names it (the `LINKTYPE_*` numbers of tcpdump.org).
public enum LinkType: UInt32, Codable, Sendable, Hashable, CaseIterable {
  /// BSD loopback: a 4-byte address family in the writer's byte order (`LINKTYPE_NULL`).
  case null = 0
  /// Ethernet II, with any 802.1Q / 802.1ad tags (`LINKTYPE_ETHERNET`).
  case ethernet = 1
  /// A bare IPv4 or IPv6 packet (`LINKTYPE_RAW`).
  case raw = 101
  /// Linux "cooked" capture v1: a 16-byte header from the packet socket's address (`LINKTYPE_LINUX_SLL`).
  case linuxSLL = 113
  /// Linux "cooked" capture v2: a 20-byte header that also names the interface (`LINKTYPE_LINUX_SLL2`).
  case linuxSLL2 = 276

  /// The header length in front of the network layer; Ethernet's grows with each VLAN tag.
  public var headerLength: Int {
    switch self {
    case .null: return 4
    case .ethernet: return 14
    case .raw: return 0
    case .linuxSLL: return 16
    case .linuxSLL2: return 20
    }
  }
}

/// How the kernel saw a captured packet pass (`sll_pkttype` of `struct sockaddr_ll`).
public enum PacketType: UInt16, Codable, Sendable, Hashable {
  /// Addressed to this host (`PACKET_HOST`).
  case host = 0
  case broadcast = 1
  case multicast = 2
  /// Addressed to another host, seen in promiscuous mode (`PACKET_OTHERHOST`).
  case otherHost = 3
  /// Sent by this host (`PACKET_OUTGOING`).
  case outgoing = 4
  case loopback = 5
  case user = 6
  case kernel = 7
  case unknown = 0xffff

  public init(code: UInt16) { self = PacketType(rawValue: code) ?? .unknown }
}

/// The link-layer header of a decoded packet: Ethernet addresses and VLAN tags, or the Linux cooked header.
public struct LinkLayer: Codable, Sendable, Hashable {
  public var type: LinkType
  /// Ethernet: the destination MAC; cooked capture has none.
  public var destinationMAC: String?
  /// Ethernet: the source MAC; cooked capture: the sender's link address when the kernel gave one.
  public var sourceMAC: String?
  /// 802.1Q / 802.1ad VLAN IDs, outermost first.
  public var vlanIDs: [UInt16]
  /// The EtherType of the network layer (0x0800 IPv4, 0x86dd IPv6).
  public var etherType: UInt16
  /// Cooked capture: how the packet passed (sent, received for us, broadcast...).
  public var packetType: PacketType?
  /// Cooked capture: the ARPHRD_* type of the interface (1 Ethernet, 772 loopback, 65534 none).
  public var hardwareType: UInt16?
  /// Cooked capture v2: the interface index.
  public var interfaceIndex: UInt32?

  public init(type: LinkType, destinationMAC: String? = nil, sourceMAC: String? = nil, vlanIDs: [UInt16] = [], etherType: UInt16,
              packetType: PacketType? = nil, hardwareType: UInt16? = nil, interfaceIndex: UInt32? = nil) {
    self.type = type
    self.destinationMAC = destinationMAC
    self.sourceMAC = sourceMAC
    self.vlanIDs = vlanIDs
    self.etherType = etherType
    self.packetType = packetType
    self.hardwareType = hardwareType
    self.interfaceIndex = interfaceIndex
  }

  /// `aa:bb:cc:dd:ee:ff`. Built byte by byte: every captured frame is decoded, and `String(radix:)` + `joined` was
  /// half the decoder's time.
  static func mac<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
    guard !bytes.isEmpty else { return "" }
    // The loopback device's (and a tunnel's) address: a literal, so the frames of a loopback probe build no string.
    if bytes.count == 6, bytes.allSatisfy({ $0 == 0 }) { return "00:00:00:00:00:00" }
    return String(unsafeUninitializedCapacity: bytes.count * 3 - 1) { text in
      var offset = 0
      for (index, byte) in bytes.enumerated() {
        if index > 0 { text[offset] = 0x3a; offset += 1 }  // ":"
        text[offset] = hexDigits[Int(byte >> 4)]
        text[offset + 1] = hexDigits[Int(byte & 0x0f)]
        offset += 2
      }
      return offset
    }
  }

  private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)
}

/// EtherType values the decoder follows.
enum EtherType {
  static let ipv4: UInt16 = 0x0800
  static let ipv6: UInt16 = 0x86dd
  static let vlan: UInt16 = 0x8100
  static let qinq: UInt16 = 0x88a8
}
