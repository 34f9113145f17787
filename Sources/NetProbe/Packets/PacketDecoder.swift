/// Takes captured bytes apart: link layer (Ethernet with VLAN tags, Linux cooked v1/v2, BSD loopback, raw IP), IPv4
/// (options skipped by IHL) or IPv6 (extension headers walked, bounded), then TCP (options), UDP or ICMP/ICMPv6
/// (errors with the quoted header decoded).
///
/// Every read is bounds-checked; a packet that breaks a rule decodes as far as it can and says why in `malformed`.
public enum PacketDecoder {
  /// At most this many IPv6 extension headers are walked; a longer chain is malformed (no real packet has one).
  public static let maximumExtensionHeaders = 8
  /// At most this many stacked VLAN tags.
  public static let maximumVLANTags = 4

  /// Decodes one captured packet framed as `linkType`.
  public static func decode(_ bytes: [UInt8], linkType: LinkType) -> DecodedPacket {
    var packet = DecodedPacket()
    let reader = PacketReader(bytes)
    let network: PacketReader
    do {
      let (link, offset) = try decodeLink(reader, linkType)
      packet.link = link
      guard link.etherType == EtherType.ipv4 || link.etherType == EtherType.ipv6 else { return packet }
      network = reader.window(from: offset)
    } catch {
      packet.malformed = error.reason
      return packet
    }
    decodeNetwork(network, into: &packet)
    return packet
  }

  /// Decodes a bare IPv4 or IPv6 packet (no link layer).
  public static func decode(ipPacket bytes: [UInt8]) -> DecodedPacket { decode(bytes, linkType: .raw) }

  static func decodeNetwork(_ network: PacketReader, into packet: inout DecodedPacket) {
    let transport: PacketReader
    do {
      let (ip, payload) = try decodeIP(network, isQuote: false)
      packet.ip = ip
      if ip.isLaterFragment { return }
      transport = payload
    } catch {
      packet.malformed = error.reason
      return
    }
    guard let ip = packet.ip else { return }
    // A TCP header with a bad option, or an ICMP error with a bad quote: the layer is kept and the problem named.
    do {
      switch (ip.protocolNumber, ip.version) {
      case (6, _):
        let (tcp, problem) = try decodeTCP(transport)
        packet.tcp = tcp
        packet.malformed = problem
      case (17, _):
        packet.udp = try decodeUDP(transport, ipTruncated: ip.isTruncated)
      case (1, 4), (58, 6):
        let (icmp, problem) = try decodeICMP(transport, family: ip.family)
        packet.icmp = icmp
        packet.malformed = problem
      default: break
      }
    } catch {
      packet.malformed = error.reason
    }
  }

  // MARK: Link layer

  static func decodeLink(_ reader: PacketReader, _ type: LinkType) throws(DecodeFailure) -> (LinkLayer, Int) {
    switch type {
    case .null:
      guard let word = reader.bytes(at: 0, count: 4) else { throw .truncated("loopback header", needs: 4, has: reader.count) }
      // The family is in the writer's byte order: read both ways.
      let little = UInt32(word[0]) | UInt32(word[1]) << 8 | UInt32(word[2]) << 16 | UInt32(word[3]) << 24
      let big = UInt32(word[3]) | UInt32(word[2]) << 8 | UInt32(word[1]) << 16 | UInt32(word[0]) << 24
      let family = min(little, big)
      let etherType: UInt16 = family == 2 ? EtherType.ipv4 : [10, 24, 28, 30].contains(family) ? EtherType.ipv6 : 0
      return (LinkLayer(type: .null, etherType: etherType), 4)
    case .ethernet:
      guard reader.has(14), let destination = reader.slice(at: 0, count: 6), let source = reader.slice(at: 6, count: 6),
            var etherType = reader.uint16(at: 12) else {
        throw .truncated("Ethernet header", needs: 14, has: reader.count)
      }
      var offset = 14
      var vlans: [UInt16] = []
      while etherType == EtherType.vlan || etherType == EtherType.qinq {
        guard vlans.count < maximumVLANTags else { throw DecodeFailure("more than \(maximumVLANTags) VLAN tags") }
        guard let tag = reader.uint16(at: offset), let inner = reader.uint16(at: offset + 2) else {
          throw .truncated("802.1Q tag", needs: offset + 4, has: reader.count)
        }
        vlans.append(tag & 0x0fff)
        etherType = inner
        offset += 4
      }
      return (LinkLayer(type: .ethernet, destinationMAC: LinkLayer.mac(destination), sourceMAC: LinkLayer.mac(source),
                        vlanIDs: vlans, etherType: etherType), offset)
    case .raw:
      guard let first = reader.uint8(at: 0) else { throw .truncated("IP header", needs: 1, has: 0) }
      switch first >> 4 {
      case 4: return (LinkLayer(type: .raw, etherType: EtherType.ipv4), 0)
      case 6: return (LinkLayer(type: .raw, etherType: EtherType.ipv6), 0)
      default: throw DecodeFailure("IP version \(first >> 4) in a raw IP packet")
      }
    case .linuxSLL:
      guard reader.has(16), let packetType = reader.uint16(at: 0), let hardware = reader.uint16(at: 2),
            let addressLength = reader.uint16(at: 4), let address = reader.slice(at: 6, count: 8),
            let proto = reader.uint16(at: 14) else {
        throw .truncated("Linux cooked header", needs: 16, has: reader.count)
      }
      let source = addressLength > 0 ? LinkLayer.mac(address.prefix(Int(min(addressLength, 8)))) : nil
      return (LinkLayer(type: .linuxSLL, sourceMAC: source, etherType: proto, packetType: PacketType(code: packetType),
                        hardwareType: hardware), 16)
    case .linuxSLL2:
      guard reader.has(20), let proto = reader.uint16(at: 0), let index = reader.uint32(at: 4),
            let hardware = reader.uint16(at: 8), let packetType = reader.uint8(at: 10), let addressLength = reader.uint8(at: 11),
            let address = reader.slice(at: 12, count: 8) else {
        throw .truncated("Linux cooked v2 header", needs: 20, has: reader.count)
      }
      let source = addressLength > 0 ? LinkLayer.mac(address.prefix(Int(min(addressLength, 8)))) : nil
      return (LinkLayer(type: .linuxSLL2, sourceMAC: source, etherType: proto, packetType: PacketType(code: UInt16(packetType)),
                        hardwareType: hardware, interfaceIndex: index), 20)
    }
  }

  // MARK: IP

  /// The IP header and the window of its payload. In a quote (`isQuote`), a payload shorter than the header claims
  /// is normal: the quote holds only the first bytes.
  static func decodeIP(_ reader: PacketReader, isQuote: Bool) throws(DecodeFailure) -> (IPLayer, PacketReader) {
    guard let first = reader.uint8(at: 0) else { throw .truncated(isQuote ? "quoted IP header" : "IP header", needs: 1, has: 0) }
    switch first >> 4 {
    case 4: return try decodeIPv4(reader, isQuote: isQuote)
    case 6: return try decodeIPv6(reader, isQuote: isQuote)
    default: throw DecodeFailure("IP version \(first >> 4)\(isQuote ? " in the quoted header" : "")")
    }
  }

  static func decodeIPv4(_ reader: PacketReader, isQuote: Bool) throws(DecodeFailure) -> (IPLayer, PacketReader) {
    let what = isQuote ? "quoted IPv4 header" : "IPv4 header"
    guard reader.has(20), let first = reader.uint8(at: 0), let tos = reader.uint8(at: 1), let total = reader.uint16(at: 2),
          let identification = reader.uint16(at: 4), let fragment = reader.uint16(at: 6), let ttl = reader.uint8(at: 8),
          let proto = reader.uint8(at: 9), let source = reader.ipv4Address(at: 12),
          let destination = reader.ipv4Address(at: 16) else {
      throw .truncated(what, needs: 20, has: reader.count)
    }
    let headerLength = Int(first & 0x0f) * 4
    guard headerLength >= 20 else { throw DecodeFailure("\(what) length \(headerLength) is under 20") }
    guard reader.has(headerLength) else { throw .truncated(what, needs: headerLength, has: reader.count) }
    let totalLength = Int(total)
    guard totalLength >= headerLength else {
      throw DecodeFailure("\(what): total length \(totalLength) is under the header length \(headerLength)")
    }
    let ip = IPLayer(
      version: 4, source: source, destination: destination, ttl: ttl, protocolNumber: proto,
      headerLength: headerLength, totalLength: totalLength, trafficClass: tos, identification: identification,
      dontFragment: fragment & 0x4000 != 0, moreFragments: fragment & 0x2000 != 0, fragmentOffset: Int(fragment & 0x1fff) * 8,
      flowLabel: nil, extensionHeaders: [], isTruncated: totalLength > reader.count)
    // The total length trims any link-layer padding after the packet.
    return (ip, reader.window(from: headerLength, length: totalLength - headerLength))
  }

  static func decodeIPv6(_ reader: PacketReader, isQuote: Bool) throws(DecodeFailure) -> (IPLayer, PacketReader) {
    let what = isQuote ? "quoted IPv6 header" : "IPv6 header"
    guard reader.has(40), let word = reader.uint32(at: 0), let payload = reader.uint16(at: 4), var next = reader.uint8(at: 6),
          let hopLimit = reader.uint8(at: 7), let source = reader.bytes(at: 8, count: 16),
          let destination = reader.bytes(at: 24, count: 16) else {
      throw .truncated(what, needs: 40, has: reader.count)
    }
    // A zero payload length with a hop-by-hop header is a jumbogram: the length is in an option; use what is present.
    let totalLength = payload == 0 && next == 0 ? reader.count : 40 + Int(payload)
    let packet = reader.window(from: 0, length: totalLength)
    var offset = 40
    var chain: [UInt8] = []
    var fragmentOffset = 0, moreFragments = false
    walk: while true {
      switch next {
      case 0, 43, 60, 51:  // hop-by-hop, routing, destination options: 8-byte units; AH: 4-byte units
        guard chain.count < maximumExtensionHeaders else {
          throw DecodeFailure("\(what): more than \(maximumExtensionHeaders) extension headers")
        }
        guard let nextHeader = packet.uint8(at: offset), let units = packet.uint8(at: offset + 1) else {
          if isQuote { break walk }
          throw .truncated("IPv6 extension header \(next)", needs: offset + 2, has: packet.count)
        }
        let length = next == 51 ? (Int(units) + 2) * 4 : (Int(units) + 1) * 8
        guard packet.has(length, at: offset) else {
          if isQuote { break walk }
          throw .truncated("IPv6 extension header \(next)", needs: offset + length, has: packet.count)
        }
        chain.append(next)
        next = nextHeader
        offset += length
      case 44:  // fragment: 8 bytes
        guard chain.count < maximumExtensionHeaders else {
          throw DecodeFailure("\(what): more than \(maximumExtensionHeaders) extension headers")
        }
        guard let nextHeader = packet.uint8(at: offset), let field = packet.uint16(at: offset + 2), packet.has(8, at: offset) else {
          if isQuote { break walk }
          throw .truncated("IPv6 fragment header", needs: offset + 8, has: packet.count)
        }
        chain.append(next)
        next = nextHeader
        fragmentOffset = Int(field >> 3) * 8
        moreFragments = field & 1 != 0
        offset += 8
        if fragmentOffset != 0 { break walk }
      default:  // an upper-layer protocol, 59 (no next header) or ESP: the walk ends
        break walk
      }
    }
    let ip = IPLayer(
      version: 6, source: .v6(source), destination: .v6(destination), ttl: hopLimit, protocolNumber: next, headerLength: offset,
      totalLength: totalLength, trafficClass: UInt8(truncatingIfNeeded: word >> 20), identification: nil, dontFragment: false,
      moreFragments: moreFragments, fragmentOffset: fragmentOffset, flowLabel: word & 0x000f_ffff, extensionHeaders: chain,
      isTruncated: totalLength > reader.count)
    return (ip, packet.window(from: offset))
  }

  // MARK: Transport

  /// The TCP header, and the problem in its options if there is one.
  static func decodeTCP(_ reader: PacketReader) throws(DecodeFailure) -> (TCPLayer, String?) {
    guard reader.has(20), let sourcePort = reader.uint16(at: 0), let destinationPort = reader.uint16(at: 2),
          let sequence = reader.uint32(at: 4), let acknowledgment = reader.uint32(at: 8), let offsetAndFlags = reader.uint16(at: 12),
          let window = reader.uint16(at: 14), let checksum = reader.uint16(at: 16), let urgent = reader.uint16(at: 18) else {
      throw .truncated("TCP header", needs: 20, has: reader.count)
    }
    let headerLength = Int(offsetAndFlags >> 12) * 4
    guard headerLength >= 20 else { throw DecodeFailure("TCP data offset \(headerLength) is under 20") }
    guard reader.has(headerLength) else { throw .truncated("TCP header with options", needs: headerLength, has: reader.count) }
    let (options, problem) = decodeTCPOptions(reader.window(from: 20, length: headerLength - 20))
    let tcp = TCPLayer(sourcePort: sourcePort, destinationPort: destinationPort, sequence: sequence, acknowledgment: acknowledgment,
                       headerLength: headerLength, flags: TCPFlags(rawValue: offsetAndFlags & 0x00ff), window: window,
                       checksum: checksum, urgentPointer: urgent, options: options, payloadLength: reader.count - headerLength)
    return (tcp, problem)
  }

  /// Walks the option bytes; a bad length ends the walk, keeping what came before, and is named.
  static func decodeTCPOptions(_ reader: PacketReader) -> (options: TCPOptions, problem: String?) {
    var options = TCPOptions()
    var offset = 0
    while let kind = reader.uint8(at: offset) {
      if kind == 0 { break }  // end of options
      if kind == 1 {  // no-operation padding
        offset += 1
        continue
      }
      guard let lengthByte = reader.uint8(at: offset + 1) else { return (options, "TCP option \(kind) has no length byte") }
      let length = Int(lengthByte)
      guard length >= 2, reader.has(length, at: offset) else {
        return (options, "TCP option \(kind) length \(length) runs past the header")
      }
      func wrongLength() -> (TCPOptions, String?) { (options, "TCP option \(kind) has length \(length)") }
      switch kind {
      case 2:
        guard length == 4, let value = reader.uint16(at: offset + 2) else { return wrongLength() }
        options.maximumSegmentSize = value
      case 3:
        guard length == 3, let value = reader.uint8(at: offset + 2) else { return wrongLength() }
        options.windowScale = value
      case 4:
        guard length == 2 else { return wrongLength() }
        options.sackPermitted = true
      case 5:
        guard (length - 2) % 8 == 0, length > 2 else { return wrongLength() }
        for block in 0..<((length - 2) / 8) {
          guard let left = reader.uint32(at: offset + 2 + block * 8), let right = reader.uint32(at: offset + 6 + block * 8) else {
            return wrongLength()
          }
          options.sackBlocks.append(SACKBlock(left: left, right: right))
        }
      case 8:
        guard length == 10, let value = reader.uint32(at: offset + 2), let echo = reader.uint32(at: offset + 6) else {
          return wrongLength()
        }
        options.timestamp = TCPTimestamp(value: value, echoReply: echo)
      default:
        options.otherKinds.append(kind)
      }
      offset += length
    }
    return (options, nil)
  }

  static func decodeUDP(_ reader: PacketReader, ipTruncated: Bool) throws(DecodeFailure) -> UDPLayer {
    guard reader.has(8), let sourcePort = reader.uint16(at: 0), let destinationPort = reader.uint16(at: 2),
          let length = reader.uint16(at: 4), let checksum = reader.uint16(at: 6) else {
      throw .truncated("UDP header", needs: 8, has: reader.count)
    }
    guard length >= 8 else { throw DecodeFailure("UDP length \(length) is under 8") }
    guard Int(length) <= reader.count || ipTruncated else {
      throw DecodeFailure("UDP length \(length) is more than the \(reader.count) bytes the IP packet carries")
    }
    return UDPLayer(sourcePort: sourcePort, destinationPort: destinationPort, length: Int(length), checksum: checksum,
                    payloadLength: min(Int(length), reader.count) - 8)
  }

  /// The ICMP header, and for an error whose quote does not decode, why.
  static func decodeICMP(_ reader: PacketReader, family: AddressFamily) throws(DecodeFailure) -> (ICMPLayer, String?) {
    let name = family == .ipv4 ? "ICMP" : "ICMPv6"
    guard let type = reader.uint8(at: 0), let code = reader.uint8(at: 1), reader.has(4) else {
      throw .truncated("\(name) header", needs: 4, has: reader.count)
    }
    let isError = family == .ipv4 ? [3, 4, 11, 12].contains(type) : (1...4).contains(type)
    var icmp = ICMPLayer(family: family, type: type, code: code,
                         meaning: ICMPReport.meaning(origin: family == .ipv4 ? .icmp : .icmp6, type: type, code: code),
                         isError: isError)
    let isEcho = family == .ipv4 ? type == 0 || type == 8 : type == 128 || type == 129
    if isEcho || isError {
      guard reader.has(8) else { throw .truncated("\(name) \(isEcho ? "echo" : "error") header", needs: 8, has: reader.count) }
    }
    if isEcho {
      icmp.echoIdentifier = reader.uint16(at: 4)
      icmp.echoSequence = reader.uint16(at: 6)
    }
    if family == .ipv4, type == 3, code == 4, let mtu = reader.uint16(at: 6), mtu != 0 { icmp.mtu = UInt32(mtu) }
    if family == .ipv6, type == 2 { icmp.mtu = reader.uint32(at: 4) }
    guard isError else { return (icmp, nil) }
    do {
      icmp.quoted = try decodeQuote(reader.window(from: 8))
      return (icmp, nil)
    } catch {
      return (icmp, "\(name) error quote: \(error.reason)")
    }
  }

  /// The quoted packet's IP header and, as far as the quote reaches, its ports and TCP sequence number.
  static func decodeQuote(_ reader: PacketReader) throws(DecodeFailure) -> ICMPQuote {
    let (ip, transport) = try decodeIP(reader, isQuote: true)
    var quote = ICMPQuote(ip: ip)
    guard !ip.isLaterFragment, ip.protocolNumber == 6 || ip.protocolNumber == 17 else { return quote }
    quote.sourcePort = transport.uint16(at: 0)
    quote.destinationPort = transport.uint16(at: 2)
    if ip.protocolNumber == 6 { quote.tcpSequence = transport.uint32(at: 4) }
    return quote
  }
}

/// Why a layer did not decode.
struct DecodeFailure: Error {
  let reason: String
  init(_ reason: String) { self.reason = reason }

  static func truncated(_ what: String, needs: Int, has: Int) -> DecodeFailure {
    DecodeFailure("\(what) truncated: needs \(needs) bytes, has \(has)")
  }
}
