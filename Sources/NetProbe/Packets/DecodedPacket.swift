/// A packet taken apart layer by layer: link, IP, then TCP, UDP or ICMP.
///
/// Decoding never traps. When a header is short or a length field lies, decoding stops there: the layers below
/// it are kept and `malformed` says what was wrong ("TCP header truncated: needs 20 bytes, has 12"). A packet
/// that is neither IPv4 nor IPv6 (ARP, LLDP) has only its link layer and is not malformed.
public struct DecodedPacket: Codable, Sendable, Hashable {
  public var link: LinkLayer?
  public var ip: IPLayer?
  public var tcp: TCPLayer?
  public var udp: UDPLayer?
  public var icmp: ICMPLayer?
  /// Why decoding stopped short, or what in the packet breaks the rules; nil when every layer decoded.
  public var malformed: String?

  public init(link: LinkLayer? = nil, ip: IPLayer? = nil, tcp: TCPLayer? = nil, udp: UDPLayer? = nil, icmp: ICMPLayer? = nil,
              malformed: String? = nil) {
    self.link = link
    self.ip = ip
    self.tcp = tcp
    self.udp = udp
    self.icmp = icmp
    self.malformed = malformed
  }

  /// A packet that could not be decoded at all, with the reason.
  public static func malformed(_ reason: String) -> DecodedPacket { DecodedPacket(malformed: reason) }

  public var isMalformed: Bool { malformed != nil }
}

/// An IPv4 or IPv6 header; for IPv6 the upper-layer protocol is the one after the extension headers.
public struct IPLayer: Codable, Sendable, Hashable {
  /// 4 or 6.
  public var version: UInt8
  public var source: IPAddress
  public var destination: IPAddress
  /// The TTL (IPv4) or hop limit (IPv6) as the packet arrived.
  public var ttl: UInt8
  /// The upper-layer protocol: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6; for IPv6 after the extension headers.
  public var protocolNumber: UInt8
  /// Bytes from the start of the IP header to the upper-layer header (IPv6: extension headers included).
  public var headerLength: Int
  /// The length the header claims for the whole packet (IPv4 total length; IPv6 40 + payload length).
  public var totalLength: Int
  /// IPv4 TOS byte or IPv6 traffic class.
  public var trafficClass: UInt8
  /// IPv4 identification.
  public var identification: UInt16?
  public var dontFragment: Bool
  public var moreFragments: Bool
  /// Offset of a fragment in bytes; a non-zero offset carries no transport header.
  public var fragmentOffset: Int
  /// IPv6 flow label.
  public var flowLabel: UInt32?
  /// IPv6 extension headers walked, in order (0 hop-by-hop, 43 routing, 44 fragment, 51 AH, 60 destination options).
  public var extensionHeaders: [UInt8]
  /// Fewer bytes are present than the length fields claim: a capture snap length or an ICMP quote.
  public var isTruncated: Bool

  public var family: AddressFamily { version == 4 ? .ipv4 : .ipv6 }
  /// A fragment other than the first: its transport header is in the first fragment.
  public var isLaterFragment: Bool { fragmentOffset != 0 }
}

/// TCP header flags.
public struct TCPFlags: OptionSet, Codable, Sendable, Hashable, CustomStringConvertible {
  public let rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  public static let fin = TCPFlags(rawValue: 0x01)
  public static let syn = TCPFlags(rawValue: 0x02)
  public static let rst = TCPFlags(rawValue: 0x04)
  public static let psh = TCPFlags(rawValue: 0x08)
  public static let ack = TCPFlags(rawValue: 0x10)
  public static let urg = TCPFlags(rawValue: 0x20)
  public static let ece = TCPFlags(rawValue: 0x40)
  public static let cwr = TCPFlags(rawValue: 0x80)

  private static let names: [(TCPFlags, String)] = [
    (.syn, "SYN"), (.fin, "FIN"), (.rst, "RST"), (.psh, "PSH"), (.ack, "ACK"), (.urg, "URG"), (.ece, "ECE"), (.cwr, "CWR"),
  ]

  /// The flags set, e.g. `["SYN", "ACK"]`.
  public var names: [String] { Self.names.filter { contains($0.0) }.map(\.1) }

  /// How a ladder names the segment: SYN, SYN-ACK, RST, RST-ACK, FIN-ACK, PSH-ACK, ACK; "none" for no flags.
  public var label: String {
    let main = names.filter { $0 != "ECE" && $0 != "CWR" }
    return main.isEmpty ? "none" : main.joined(separator: "-")
  }

  public var description: String { label }

  /// Encodes as the list of names, e.g. `["SYN", "ACK"]`.
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(names)
  }

  public init(from decoder: any Decoder) throws {
    let names = try decoder.singleValueContainer().decode([String].self)
    self = TCPFlags(Self.names.filter { names.contains($0.1) }.map(\.0))
  }
}

/// A SACK block: the receiver holds bytes `left` up to (not including) `right`.
public struct SACKBlock: Codable, Sendable, Hashable {
  public var left: UInt32
  public var right: UInt32
}

/// The TCP timestamps option (RFC 7323).
public struct TCPTimestamp: Codable, Sendable, Hashable {
  public var value: UInt32
  public var echoReply: UInt32
}

/// The TCP options a troubleshooter reads: what the sender offers (MSS, window scale, SACK, timestamps).
public struct TCPOptions: Codable, Sendable, Hashable {
  /// Maximum segment size the sender can receive (SYN and SYN-ACK only).
  public var maximumSegmentSize: UInt16?
  /// Window scale shift count (SYN and SYN-ACK only).
  public var windowScale: UInt8?
  public var sackPermitted: Bool
  public var sackBlocks: [SACKBlock]
  public var timestamp: TCPTimestamp?
  /// Kinds of other options present (e.g. 30 MPTCP, 34 TFO).
  public var otherKinds: [UInt8]

  public init(maximumSegmentSize: UInt16? = nil, windowScale: UInt8? = nil, sackPermitted: Bool = false, sackBlocks: [SACKBlock] = [],
              timestamp: TCPTimestamp? = nil, otherKinds: [UInt8] = []) {
    self.maximumSegmentSize = maximumSegmentSize
    self.windowScale = windowScale
    self.sackPermitted = sackPermitted
    self.sackBlocks = sackBlocks
    self.timestamp = timestamp
    self.otherKinds = otherKinds
  }
}

/// A TCP header.
public struct TCPLayer: Codable, Sendable, Hashable {
  public var sourcePort: UInt16
  public var destinationPort: UInt16
  public var sequence: UInt32
  public var acknowledgment: UInt32
  /// Header length in bytes (data offset × 4), options included.
  public var headerLength: Int
  public var flags: TCPFlags
  /// The receive window as sent (before any window scaling).
  public var window: UInt16
  public var checksum: UInt16
  public var urgentPointer: UInt16
  public var options: TCPOptions
  /// Payload bytes present after the header.
  public var payloadLength: Int
}

/// A UDP header.
public struct UDPLayer: Codable, Sendable, Hashable {
  public var sourcePort: UInt16
  public var destinationPort: UInt16
  /// The UDP length field: header and payload.
  public var length: Int
  public var checksum: UInt16
  /// Payload bytes present after the header.
  public var payloadLength: Int
}

/// An ICMP or ICMPv6 message; an error carries the start of the packet that caused it.
public struct ICMPLayer: Codable, Sendable, Hashable {
  public var family: AddressFamily
  public var type: UInt8
  public var code: UInt8
  /// The type and code in words, as `ICMPReport` names them ("destination unreachable: administratively prohibited").
  public var meaning: String
  /// Destination unreachable, time exceeded, parameter problem, packet too big, source quench.
  public var isError: Bool
  /// Echo request or reply: identifier and sequence.
  public var echoIdentifier: UInt16?
  public var echoSequence: UInt16?
  /// "Fragmentation needed" / "packet too big": the next-hop MTU.
  public var mtu: UInt32?
  /// The packet the error quotes (its IP header and the first bytes of its transport header).
  public var quoted: ICMPQuote?

  /// The report the rest of the tool uses for this error, with the kernel's errno for it; nil for non-errors.
  public func report(sender: IPAddress?) -> ICMPReport? {
    guard isError else { return nil }
    var bytes: [UInt8] = [type, code, 0, 0, 0, 0, 0, 0]
    if let mtu {
      bytes[4] = UInt8(truncatingIfNeeded: mtu >> 24)
      bytes[5] = UInt8(truncatingIfNeeded: mtu >> 16)
      bytes[6] = UInt8(truncatingIfNeeded: mtu >> 8)
      bytes[7] = UInt8(truncatingIfNeeded: mtu)
    }
    guard let message = try? ICMPPacket.parse(icmp: bytes, family: family), let error = message.error else { return nil }
    return error.report(sender: sender)
  }
}

/// The start of the packet an ICMP error quotes: enough to name the flow it is about.
public struct ICMPQuote: Codable, Sendable, Hashable {
  public var ip: IPLayer
  /// TCP or UDP ports, when the quote reaches them.
  public var sourcePort: UInt16?
  public var destinationPort: UInt16?
  /// The quoted TCP segment's sequence number.
  public var tcpSequence: UInt32?
}
