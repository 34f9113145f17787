#if canImport(Glibc)
import Glibc
#endif

/// ICMP and ICMPv6 on the wire: echo requests built with their checksum, and bounds-checked parsing of echo
/// replies and of error messages with the packet they quote (so an error can be matched to the probe that caused it).
///
/// Parsing never traps: every read is checked against the bytes present, and bad input is a typed error.
public enum ICMPPacket {
  /// IP protocol numbers of the quoted packets we recognise.
  public static let protocolICMP: UInt8 = 1
  public static let protocolTCP: UInt8 = 6
  public static let protocolUDP: UInt8 = 17
  public static let protocolICMPv6: UInt8 = 58

  /// An echo request: type 8 (ICMP) or 128 (ICMPv6), code 0, identifier, sequence, payload.
  ///
  /// The ICMP checksum is filled in; the ICMPv6 checksum covers a pseudo-header with addresses only the kernel
  /// knows for sure, so it is left 0 and the kernel computes it (it always does for ICMPv6 sockets).
  public static func echoRequest(family: AddressFamily, identifier: UInt16, sequence: UInt16, payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [family == .ipv4 ? 8 : 128, 0, 0, 0]
    bytes += [UInt8(identifier >> 8), UInt8(identifier & 0xff), UInt8(sequence >> 8), UInt8(sequence & 0xff)]
    bytes += payload
    if family == .ipv4 {
      let sum = checksum(bytes)
      bytes[2] = UInt8(sum >> 8)
      bytes[3] = UInt8(sum & 0xff)
    }
    return bytes
  }

  /// The Internet checksum (RFC 1071): ones' complement of the ones' complement sum of 16-bit words.
  /// Over a message that carries its checksum, the result is 0 when the checksum is right.
  public static func checksum<C: Collection>(_ bytes: C) -> UInt16 where C.Element == UInt8 {
    var sum: UInt32 = 0
    var iterator = bytes.makeIterator()
    while let high = iterator.next() {
      let low = iterator.next() ?? 0
      sum += UInt32(high) << 8 | UInt32(low)
      sum = (sum & 0xffff) + (sum >> 16)
    }
    return ~UInt16(truncatingIfNeeded: sum)
  }

  /// Parses an ICMP (`.ipv4`) or ICMPv6 (`.ipv6`) message that starts at the ICMP header.
  public static func parse<C: Collection>(icmp bytes: C, family: AddressFamily) throws(ICMPParseError) -> ICMPMessage
  where C.Element == UInt8 {
    try ICMPMessage(bytes: ByteReader(bytes), family: family)
  }

  /// Parses a whole IPv4 datagram carrying ICMP, as a raw IPv4 ICMP socket receives it: the IP header (for the
  /// TTL and addresses), then the message.
  public static func parse<C: Collection>(ipv4Datagram bytes: C) throws(ICMPParseError) -> (header: IPv4Header, message: ICMPMessage)
  where C.Element == UInt8 {
    let reader = ByteReader(bytes)
    let header = try IPv4Header(reader)
    guard header.protocolNumber == protocolICMP else { throw .notICMP(protocolNumber: header.protocolNumber) }
    // The total length bounds the message; a datagram shorter than it claims is truncated.
    guard header.totalLength >= header.headerLength else { throw .badLength(field: "IPv4 total length", value: header.totalLength) }
    guard header.totalLength <= reader.count else {
      throw .truncated(what: "IPv4 datagram", needed: header.totalLength, available: reader.count)
    }
    let message = try ICMPMessage(bytes: reader.slice(from: header.headerLength, to: header.totalLength), family: .ipv4)
    return (header, message)
  }
}

/// Why bytes are not a well-formed ICMP message.
public enum ICMPParseError: Error, Hashable, Sendable, CustomStringConvertible {
  /// Fewer bytes than the structure needs.
  case truncated(what: String, needed: Int, available: Int)
  /// An IP header whose version nibble is not the one expected.
  case wrongIPVersion(expected: UInt8, found: UInt8)
  /// A length field that cannot be right (an IPv4 header length under 20, a total length under the header).
  case badLength(field: String, value: Int)
  /// An IP datagram that carries another protocol.
  case notICMP(protocolNumber: UInt8)

  public var description: String {
    switch self {
    case let .truncated(what, needed, available): return "\(what) truncated: needs \(needed) bytes, has \(available)"
    case let .wrongIPVersion(expected, found): return "IP version \(found) where IPv\(expected) was expected"
    case let .badLength(field, value): return "bad \(field): \(value)"
    case let .notICMP(number): return "IP protocol \(number) is not ICMP"
    }
  }
}

/// The fields of an IPv4 header that probes use.
public struct IPv4Header: Hashable, Sendable, Codable {
  /// Header length in bytes (IHL × 4), 20 to 60.
  public var headerLength: Int
  public var totalLength: Int
  public var ttl: UInt8
  public var protocolNumber: UInt8
  public var source: IPAddress
  public var destination: IPAddress

  init(_ reader: ByteReader) throws(ICMPParseError) {
    guard reader.count >= 20 else { throw .truncated(what: "IPv4 header", needed: 20, available: reader.count) }
    let version = reader[0] >> 4
    guard version == 4 else { throw .wrongIPVersion(expected: 4, found: version) }
    headerLength = Int(reader[0] & 0x0f) * 4
    guard headerLength >= 20 else { throw .badLength(field: "IPv4 header length", value: headerLength) }
    guard reader.count >= headerLength else { throw .truncated(what: "IPv4 header", needed: headerLength, available: reader.count) }
    totalLength = Int(reader.uint16(at: 2))
    ttl = reader[8]
    protocolNumber = reader[9]
    source = .v4(reader[12], reader[13], reader[14], reader[15])
    destination = .v4(reader[16], reader[17], reader[18], reader[19])
  }
}

/// The fields of an IPv6 fixed header that probes use, with the upper-layer protocol found after any extension headers.
public struct IPv6Header: Hashable, Sendable, Codable {
  public var payloadLength: Int
  /// The upper-layer protocol after hop-by-hop, routing, fragment and destination-options headers.
  public var protocolNumber: UInt8
  public var hopLimit: UInt8
  public var source: IPAddress
  public var destination: IPAddress
  /// Bytes from the start of the fixed header to the upper-layer header.
  public var headerLength: Int

  init(_ reader: ByteReader) throws(ICMPParseError) {
    guard reader.count >= 40 else { throw .truncated(what: "IPv6 header", needed: 40, available: reader.count) }
    let version = reader[0] >> 4
    guard version == 6 else { throw .wrongIPVersion(expected: 6, found: version) }
    payloadLength = Int(reader.uint16(at: 4))
    hopLimit = reader[7]
    source = .v6(reader.bytes(from: 8, count: 16))
    destination = .v6(reader.bytes(from: 24, count: 16))
    var next = reader[6]
    var offset = 40
    // Walk the extension headers a quoted packet may carry; stop (keeping what we have) when they run past the quote.
    walk: while true {
      switch next {
      case 0, 43, 60:  // hop-by-hop, routing, destination options: length in 8-byte units after the first 8
        guard reader.count >= offset + 2 else { break walk }
        let length = (Int(reader[offset + 1]) + 1) * 8
        next = reader[offset]
        offset += length
      case 44:  // fragment: always 8 bytes
        guard reader.count >= offset + 8 else { break walk }
        next = reader[offset]
        offset += 8
      default:
        break walk
      }
    }
    protocolNumber = next
    headerLength = offset
  }
}

/// One ICMP or ICMPv6 message.
public struct ICMPMessage: Hashable, Sendable {
  public var family: AddressFamily
  public var type: UInt8
  public var code: UInt8
  /// The checksum field as received.
  public var checksum: UInt16
  /// Length of the whole message (header and data) in bytes.
  public var length: Int
  public var content: Content

  public enum Content: Hashable, Sendable {
    case echoRequest(ICMPEcho)
    case echoReply(ICMPEcho)
    case error(ICMPErrorMessage)
    /// Any other type (router advertisements, neighbour discovery, redirects we do not follow...).
    case other
  }

  /// Whether the ICMP (IPv4) checksum is right; nil for ICMPv6, whose checksum needs the IPv6 pseudo-header.
  public var checksumIsValid: Bool?

  init(bytes reader: ByteReader, family: AddressFamily) throws(ICMPParseError) {
    let name = family == .ipv4 ? "ICMP header" : "ICMPv6 header"
    guard reader.count >= 8 else { throw .truncated(what: name, needed: 8, available: reader.count) }
    self.family = family
    type = reader[0]
    code = reader[1]
    checksum = reader.uint16(at: 2)
    length = reader.count
    checksumIsValid = family == .ipv4 ? ICMPPacket.checksum(reader.bytes(from: 0, count: reader.count)) == 0 : nil
    switch (family, type) {
    case (.ipv4, 8), (.ipv6, 128):
      content = .echoRequest(ICMPEcho(reader))
    case (.ipv4, 0), (.ipv6, 129):
      content = .echoReply(ICMPEcho(reader))
    case (.ipv4, 3), (.ipv4, 4), (.ipv4, 11), (.ipv4, 12), (.ipv6, 1), (.ipv6, 2), (.ipv6, 3), (.ipv6, 4):
      content = .error(ICMPErrorMessage(reader, family: family))
    default:
      content = .other
    }
  }

  /// The echo of a reply, if this is one.
  public var echoReply: ICMPEcho? {
    if case let .echoReply(echo) = content { return echo }
    return nil
  }

  /// The error, if this is one.
  public var error: ICMPErrorMessage? {
    if case let .error(error) = content { return error }
    return nil
  }
}

/// The identifier, sequence and data of an echo request or reply.
public struct ICMPEcho: Hashable, Sendable {
  public var identifier: UInt16
  public var sequence: UInt16
  /// Bytes after the 8-byte header.
  public var payloadLength: Int

  public init(identifier: UInt16, sequence: UInt16, payloadLength: Int) {
    self.identifier = identifier
    self.sequence = sequence
    self.payloadLength = payloadLength
  }

  init(_ reader: ByteReader) {
    identifier = reader.uint16(at: 4)
    sequence = reader.uint16(at: 6)
    payloadLength = reader.count - 8
  }
}

/// An ICMP error message: what went wrong, where the MTU or pointer fields apply, and the packet it quotes.
public struct ICMPErrorMessage: Hashable, Sendable {
  public enum Kind: String, Codable, Sendable, Hashable {
    case destinationUnreachable = "destination-unreachable"
    case timeExceeded = "time-exceeded"
    /// ICMPv6 packet too big; ICMP "fragmentation needed" is a destination unreachable with code 4.
    case packetTooBig = "packet-too-big"
    case parameterProblem = "parameter-problem"
    case sourceQuench = "source-quench"
  }

  public var family: AddressFamily
  public var kind: Kind
  public var type: UInt8
  public var code: UInt8
  /// Next-hop MTU of ICMP "fragmentation needed" (when the router filled it in) or of ICMPv6 "packet too big".
  public var mtu: UInt32?
  /// Byte offset of the problem in a "parameter problem".
  public var pointer: UInt32?
  /// The start of the packet that caused the error; nil when the quote is too short or not an IP header.
  public var quoted: QuotedPacket?

  init(_ reader: ByteReader, family: AddressFamily) {
    self.family = family
    type = reader[0]
    code = reader[1]
    switch (family, type) {
    case (.ipv4, 3): kind = .destinationUnreachable
    case (.ipv4, 4): kind = .sourceQuench
    case (.ipv4, 11), (.ipv6, 3): kind = .timeExceeded
    case (.ipv4, 12), (.ipv6, 4): kind = .parameterProblem
    case (.ipv6, 2): kind = .packetTooBig
    default: kind = .destinationUnreachable
    }
    switch (family, type) {
    case (.ipv4, 3) where code == 4:
      let value = UInt32(reader.uint16(at: 6))
      mtu = value == 0 ? nil : value  // routers before RFC 1191 leave it 0
    case (.ipv6, 2):
      mtu = reader.uint32(at: 4)
    case (.ipv4, 12):
      pointer = UInt32(reader[4])
    case (.ipv6, 4):
      pointer = reader.uint32(at: 4)
    default:
      break
    }
    quoted = try? QuotedPacket(reader.slice(from: 8, to: reader.count), family: family)
  }

  /// The error in the words and numbers the rest of the tool uses, with the kernel's errno for it
  /// (the same mapping as Linux's `icmp_err_convert` / `icmpv6_err_convert`).
  public func report(sender: IPAddress?) -> ICMPReport {
    ICMPReport(origin: family == .ipv4 ? .icmp : .icmp6, type: type, code: code, sender: sender,
               errno: Errno(errnoCode), mtu: kind == .packetTooBig || (family == .ipv4 && type == 3 && code == 4) ? (mtu ?? 0) : nil)
  }

  var errnoCode: Int32 {
    switch (family, kind) {
    case (.ipv4, .destinationUnreachable):
      switch code {
      case 0, 6, 9, 11: return ENETUNREACH
      case 2: return ENOPROTOOPT
      case 3: return ECONNREFUSED
      case 4: return EMSGSIZE
      case 5: return EOPNOTSUPP
      case 7: return EHOSTDOWN
      case 8: return ENONET
      default: return EHOSTUNREACH
      }
    case (.ipv6, .destinationUnreachable):
      switch code {
      case 0: return ENETUNREACH
      case 1, 5, 6: return EACCES
      case 4: return ECONNREFUSED
      default: return EHOSTUNREACH
      }
    case (_, .packetTooBig): return EMSGSIZE
    case (_, .parameterProblem): return EPROTO
    case (_, .timeExceeded): return EHOSTUNREACH
    case (_, .sourceQuench): return 0
    }
  }
}

/// The start of the packet an ICMP error quotes: its IP header and the first 8 bytes of its transport header,
/// enough to name the flow (addresses and ports, or an echo's identifier and sequence).
public struct QuotedPacket: Hashable, Sendable, Codable {
  public var family: AddressFamily
  /// The quoted packet's protocol: 6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6.
  public var protocolNumber: UInt8
  public var source: IPAddress
  public var destination: IPAddress
  /// The TTL or hop limit left when the sender saw the packet.
  public var ttl: UInt8
  /// TCP and UDP ports, when the quote reaches them.
  public var sourcePort: UInt16?
  public var destinationPort: UInt16?
  /// The TCP sequence number of a quoted segment.
  public var tcpSequence: UInt32?
  /// Identifier and sequence of a quoted echo request.
  public var echoIdentifier: UInt16?
  public var echoSequence: UInt16?

  init(_ reader: ByteReader, family: AddressFamily) throws(ICMPParseError) {
    self.family = family
    let transport: ByteReader
    switch family {
    case .ipv4:
      let header = try IPv4Header(reader)
      protocolNumber = header.protocolNumber
      source = header.source
      destination = header.destination
      ttl = header.ttl
      transport = reader.slice(from: header.headerLength, to: reader.count)
    case .ipv6:
      let header = try IPv6Header(reader)
      protocolNumber = header.protocolNumber
      source = header.source
      destination = header.destination
      ttl = header.hopLimit
      transport = reader.slice(from: min(header.headerLength, reader.count), to: reader.count)
    }
    switch protocolNumber {
    case ICMPPacket.protocolTCP, ICMPPacket.protocolUDP:
      if transport.count >= 4 {
        sourcePort = transport.uint16(at: 0)
        destinationPort = transport.uint16(at: 2)
      }
      if protocolNumber == ICMPPacket.protocolTCP, transport.count >= 8 { tcpSequence = transport.uint32(at: 4) }
    case ICMPPacket.protocolICMP, ICMPPacket.protocolICMPv6:
      let echoType: UInt8 = protocolNumber == ICMPPacket.protocolICMP ? 8 : 128
      if transport.count >= 8, transport[0] == echoType {
        echoIdentifier = transport.uint16(at: 4)
        echoSequence = transport.uint16(at: 6)
      }
    default:
      break
    }
  }
}

/// Bounds-checked big-endian reads over a copy of the bytes; callers check `count` before reading.
struct ByteReader {
  private let storage: [UInt8]
  private let start: Int
  let count: Int

  init<C: Collection>(_ bytes: C) where C.Element == UInt8 {
    storage = Array(bytes)
    start = 0
    count = storage.count
  }

  private init(storage: [UInt8], start: Int, count: Int) {
    self.storage = storage
    self.start = start
    self.count = count
  }

  /// The byte at `index`; 0 past the end (callers check lengths first, so this only guards against a slip).
  subscript(index: Int) -> UInt8 {
    index >= 0 && index < count ? storage[start + index] : 0
  }

  func uint16(at index: Int) -> UInt16 { UInt16(self[index]) << 8 | UInt16(self[index + 1]) }

  func uint32(at index: Int) -> UInt32 { UInt32(uint16(at: index)) << 16 | UInt32(uint16(at: index + 2)) }

  func bytes(from index: Int, count length: Int) -> [UInt8] { (0..<length).map { self[index + $0] } }

  /// The bytes from `lower` up to `upper`, clamped to what is present.
  func slice(from lower: Int, to upper: Int) -> ByteReader {
    let low = max(0, min(lower, count)), high = max(low, min(upper, count))
    return ByteReader(storage: storage, start: start + low, count: high - low)
  }
}
