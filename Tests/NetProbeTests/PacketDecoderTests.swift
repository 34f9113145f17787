import Foundation
import Testing
@testable import NetProbe

/// Builds packets byte by byte for decoder, filter and pcap tests: each builder writes exactly what the RFC lays out.
enum PacketFixtures {
  static let client4: [UInt8] = [198, 18, 1, 10], server4: [UInt8] = [198, 18, 2, 10], router4: [UInt8] = [198, 18, 1, 1]
  static let client6: [UInt8] = [0xfd, 0, 0, 0x18, 0, 1] + [UInt8](repeating: 0, count: 9) + [0x10]
  static let server6: [UInt8] = [0xfd, 0, 0, 0x18, 0, 2] + [UInt8](repeating: 0, count: 9) + [0x10]

  static func be16(_ value: Int) -> [UInt8] { [UInt8((value >> 8) & 0xff), UInt8(value & 0xff)] }
  static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)] }

  static func ipv4(_ source: [UInt8], _ destination: [UInt8], protocol number: UInt8, ttl: UInt8 = 64, payload: [UInt8],
                   options: [UInt8] = [], totalLength: Int? = nil, ihl: Int? = nil, fragment: Int = 0x4000) -> [UInt8] {
    let headerLength = 20 + options.count
    var header: [UInt8] = [UInt8(0x40 | (ihl ?? headerLength / 4)), 0]
    header += be16(totalLength ?? headerLength + payload.count) + be16(0x1234) + be16(fragment)
    header += [ttl, number, 0, 0] + source + destination + options
    return header + payload
  }

  static func ipv6(_ source: [UInt8], _ destination: [UInt8], next: UInt8, hopLimit: UInt8 = 64, payload: [UInt8],
                   payloadLength: Int? = nil) -> [UInt8] {
    [0x60, 0, 0, 0] + be16(payloadLength ?? payload.count) + [next, hopLimit] + source + destination + payload
  }

  /// A Linux SYN's options: MSS, SACK permitted, timestamps, NOP, window scale.
  static let synOptions: [UInt8] = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]

  static func tcp(_ sourcePort: Int, _ destinationPort: Int, sequence: UInt32 = 1000, acknowledgment: UInt32 = 0, flags: UInt8,
                  window: Int = 64240, options: [UInt8] = [], payload: [UInt8] = [], dataOffset: Int? = nil) -> [UInt8] {
    let offset = dataOffset ?? (20 + options.count) / 4
    var segment = be16(sourcePort) + be16(destinationPort) + be32(sequence) + be32(acknowledgment)
    segment += [UInt8(offset << 4), flags] + be16(window) + [0, 0, 0, 0]
    return segment + options + payload
  }

  static func udp(_ sourcePort: Int, _ destinationPort: Int, payload: [UInt8], length: Int? = nil) -> [UInt8] {
    be16(sourcePort) + be16(destinationPort) + be16(length ?? 8 + payload.count) + [0, 0] + payload
  }

  static func icmp(type: UInt8, code: UInt8, rest: [UInt8] = [0, 0, 0, 0], body: [UInt8]) -> [UInt8] {
    [type, code, 0, 0] + rest + body
  }

  static func ethernet(etherType: Int, vlans: [Int] = [], payload: [UInt8]) -> [UInt8] {
    var frame: [UInt8] = [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1]
    for vlan in vlans { frame += be16(0x8100) + be16(vlan) }
    return frame + be16(etherType) + payload
  }

  static func cooked(packetType: Int = 0, hardwareType: Int = 1, etherType: Int, payload: [UInt8]) -> [UInt8] {
    be16(packetType) + be16(hardwareType) + be16(6) + [2, 0, 0, 0, 0, 1, 0, 0] + be16(etherType) + payload
  }

  static func cookedV2(interface: UInt32, etherType: Int, payload: [UInt8]) -> [UInt8] {
    be16(etherType) + [0, 0] + be32(interface) + be16(1) + [4, 6] + [2, 0, 0, 0, 0, 1, 0, 0] + payload
  }

  // Whole packets.
  static let syn = ipv4(client4, server4, protocol: 6, payload: tcp(40000, 80, flags: 0x02, options: synOptions))
  static let synAck = ipv4(server4, client4, protocol: 6, ttl: 63,
                           payload: tcp(80, 40000, sequence: 5000, acknowledgment: 1001, flags: 0x12, window: 65160,
                                        options: [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]))
  /// An RST in the server's name, as a device in the path forges it (TTL 64: no router crossed).
  static let rst = ipv4(server4, client4, protocol: 6, ttl: 64, payload: tcp(80, 40000, sequence: 0, acknowledgment: 1001, flags: 0x14, window: 0))
  /// ICMP administratively prohibited from the router, quoting the SYN's IP header and first 8 TCP bytes.
  static let adminProhibited = ipv4(router4, client4, protocol: 1, ttl: 64,
                                    payload: icmp(type: 3, code: 13, body: Array(syn.prefix(28))))
  static let syn6 = ipv6(client6, server6, next: 6, payload: tcp(40000, 80, flags: 0x02, options: synOptions))
  static let adminProhibited6 = ipv6([0xfd, 0, 0, 0x18, 0, 1] + [UInt8](repeating: 0, count: 9) + [1], client6, next: 58,
                                     payload: icmp(type: 1, code: 1, body: Array(syn6.prefix(48))))
  static let udpRequest = ipv4(client4, server4, protocol: 17, payload: udp(40001, 7, payload: Array("hello".utf8)))
  static let portUnreachable = ipv4(server4, client4, protocol: 1, ttl: 63, payload: icmp(type: 3, code: 3, body: udpRequest))

  /// Every fixture with its framing, for the fuzz-style tests.
  static var all: [([UInt8], LinkType)] {
    [
      (ethernet(etherType: 0x0800, payload: syn), .ethernet),
      (ethernet(etherType: 0x0800, vlans: [10, 20], payload: synAck), .ethernet),
      (cooked(etherType: 0x0800, payload: rst), .linuxSLL),
      (cookedV2(interface: 3, etherType: 0x86dd, payload: syn6), .linuxSLL2),
      (adminProhibited, .raw),
      (adminProhibited6, .raw),
      (portUnreachable, .raw),
      ([2, 0, 0, 0] + udpRequest, .null),
      (ipv6WithExtensionHeaders, .raw),
      (ipv4(client4, server4, protocol: 6, payload: tcp(1, 2, flags: 0x10, options: [1, 1, 5, 18] + be32(1) + be32(2) + be32(3) + be32(4))), .raw),
    ]
  }

  /// Hop-by-hop (8 bytes), destination options (16 bytes), a first fragment, then UDP.
  static let ipv6WithExtensionHeaders: [UInt8] = {
    let datagram = udp(5353, 53, payload: [1, 2, 3])
    let hopByHop: [UInt8] = [60, 0, 1, 4, 0, 0, 0, 0]
    let destination: [UInt8] = [44, 1, 1, 12] + [UInt8](repeating: 0, count: 12)
    let fragment: [UInt8] = [17, 0, 0, 1, 0, 0, 0x12, 0x34]  // offset 0, more fragments
    return ipv6(client6, server6, next: 0, payload: hopByHop + destination + fragment + datagram)
  }()
}

@Suite struct PacketDecoderTests {
  typealias F = PacketFixtures

  @Test func linuxSYNOverEthernet() throws {
    let packet = PacketDecoder.decode(F.ethernet(etherType: 0x0800, payload: F.syn), linkType: .ethernet)
    #expect(packet.malformed == nil)
    #expect(packet.link?.destinationMAC == "02:00:00:00:00:02" && packet.link?.sourceMAC == "02:00:00:00:00:01")
    let ip = try #require(packet.ip)
    #expect(ip.version == 4 && ip.source == .v4(198, 18, 1, 10) && ip.destination == .v4(198, 18, 2, 10) && ip.ttl == 64)
    #expect(ip.dontFragment && !ip.moreFragments && ip.identification == 0x1234)
    let tcp = try #require(packet.tcp)
    #expect(tcp.sourcePort == 40000 && tcp.destinationPort == 80 && tcp.sequence == 1000 && tcp.flags == .syn)
    #expect(tcp.flags.label == "SYN" && tcp.window == 64240 && tcp.headerLength == 40 && tcp.payloadLength == 0)
    #expect(tcp.options == TCPOptions(maximumSegmentSize: 1460, windowScale: 7, sackPermitted: true,
                                      timestamp: TCPTimestamp(value: 1, echoReply: 0)))
  }

  @Test func synAckBehindTwoVLANTags() throws {
    let packet = PacketDecoder.decode(F.ethernet(etherType: 0x0800, vlans: [10, 20], payload: F.synAck), linkType: .ethernet)
    #expect(packet.malformed == nil)
    #expect(packet.link?.vlanIDs == [10, 20])
    let tcp = try #require(packet.tcp)
    #expect(tcp.flags == [.syn, .ack] && tcp.flags.label == "SYN-ACK" && tcp.acknowledgment == 1001)
    #expect(tcp.options.maximumSegmentSize == 1460 && tcp.options.windowScale == 7 && tcp.options.sackPermitted)
    #expect(packet.ip?.ttl == 63)
  }

  @Test func cookedCaptures() throws {
    let v1 = PacketDecoder.decode(F.cooked(packetType: 4, etherType: 0x0800, payload: F.rst), linkType: .linuxSLL)
    #expect(v1.malformed == nil && v1.link?.packetType == .outgoing && v1.link?.hardwareType == 1)
    #expect(v1.link?.sourceMAC == "02:00:00:00:00:01")
    #expect(v1.tcp?.flags.label == "RST-ACK")
    let v2 = PacketDecoder.decode(F.cookedV2(interface: 3, etherType: 0x86dd, payload: F.syn6), linkType: .linuxSLL2)
    #expect(v2.malformed == nil && v2.link?.interfaceIndex == 3 && v2.link?.packetType == .outgoing)
    #expect(v2.ip?.version == 6 && v2.ip?.source == IPAddress("fd00:18:1::10") && v2.tcp?.options.maximumSegmentSize == 1460)
  }

  @Test func loopbackAndRawFraming() throws {
    let little = PacketDecoder.decode([2, 0, 0, 0] + F.udpRequest, linkType: .null)
    let big = PacketDecoder.decode([0, 0, 0, 2] + F.udpRequest, linkType: .null)
    #expect(little == big && little.udp?.payloadLength == 5 && little.udp?.destinationPort == 7)
    #expect(PacketDecoder.decode(ipPacket: F.syn6).tcp?.destinationPort == 80)
  }

  @Test func icmpErrorQuotesTheFlow() throws {
    let packet = PacketDecoder.decode(ipPacket: F.adminProhibited)
    #expect(packet.malformed == nil)
    let icmp = try #require(packet.icmp)
    #expect(icmp.isError && icmp.type == 3 && icmp.code == 13)
    #expect(icmp.meaning == "destination unreachable: administratively prohibited")
    let quote = try #require(icmp.quoted)
    #expect(quote.ip.source == .v4(198, 18, 1, 10) && quote.ip.destination == .v4(198, 18, 2, 10) && quote.ip.isTruncated)
    #expect(quote.sourcePort == 40000 && quote.destinationPort == 80 && quote.tcpSequence == 1000)
    let report = try #require(icmp.report(sender: packet.ip?.source))
    #expect(report.isAdministrativelyProhibited && report.errno.code == 113 && report.sender == .v4(198, 18, 1, 1))
  }

  @Test func icmpv6ErrorQuotesTheFlow() throws {
    let packet = PacketDecoder.decode(ipPacket: F.adminProhibited6)
    #expect(packet.malformed == nil)
    let icmp = try #require(packet.icmp)
    #expect(icmp.family == .ipv6 && icmp.isError && icmp.meaning == "destination unreachable: administratively prohibited")
    #expect(icmp.quoted?.destinationPort == 80 && icmp.quoted?.ip.destination == IPAddress("fd00:18:2::10"))
    #expect(icmp.report(sender: nil)?.errno.name == "EACCES")
  }

  @Test func udpPortUnreachableQuotesTheWholeDatagram() {
    let packet = PacketDecoder.decode(ipPacket: F.portUnreachable)
    #expect(packet.malformed == nil && packet.icmp?.quoted?.destinationPort == 7 && packet.icmp?.quoted?.tcpSequence == nil)
  }

  @Test func ipv6ExtensionHeadersAreWalked() throws {
    let packet = PacketDecoder.decode(ipPacket: F.ipv6WithExtensionHeaders)
    #expect(packet.malformed == nil)
    let ip = try #require(packet.ip)
    #expect(ip.extensionHeaders == [0, 60, 44] && ip.protocolNumber == 17 && ip.headerLength == 72 && ip.moreFragments)
    #expect(packet.udp?.payloadLength == 3 && packet.udp?.destinationPort == 53)
  }

  @Test func laterFragmentsCarryNoTransportHeader() {
    let fragment: [UInt8] = [17, 0, 0x05, 0xa8, 0, 0, 0x12, 0x34]  // offset 181 × 8
    let v6 = PacketDecoder.decode(ipPacket: F.ipv6(F.client6, F.server6, next: 44, payload: fragment + [1, 2, 3, 4]))
    #expect(v6.malformed == nil && v6.ip?.fragmentOffset == 1448 && v6.udp == nil)
    let v4 = PacketDecoder.decode(ipPacket: F.ipv4(F.client4, F.server4, protocol: 17, payload: [9, 9, 9], fragment: 0x00b5))
    #expect(v4.malformed == nil && v4.ip?.fragmentOffset == 1448 && v4.udp == nil)
  }

  @Test func ipv4OptionsAreSkippedAndPaddingTrimmed() throws {
    let options: [UInt8] = [0x94, 4, 0, 0]  // router alert
    let packet = F.ipv4(F.client4, F.server4, protocol: 17, payload: F.udp(1, 2, payload: [7]), options: options)
    let decoded = PacketDecoder.decode(F.ethernet(etherType: 0x0800, payload: packet + [0, 0, 0, 0, 0, 0]), linkType: .ethernet)
    #expect(decoded.malformed == nil && decoded.ip?.headerLength == 24 && decoded.udp?.payloadLength == 1)
  }

  @Test func sackBlocksAndUnknownOptions() throws {
    let options: [UInt8] = [1, 1, 5, 18] + F.be32(100) + F.be32(200) + F.be32(300) + F.be32(400) + [30, 4, 0, 0]
    let packet = PacketDecoder.decode(ipPacket: F.ipv4(F.client4, F.server4, protocol: 6, payload: F.tcp(1, 2, flags: 0x10, options: options)))
    #expect(packet.malformed == nil)
    #expect(packet.tcp?.options.sackBlocks == [SACKBlock(left: 100, right: 200), SACKBlock(left: 300, right: 400)])
    #expect(packet.tcp?.options.otherKinds == [30])
  }

  /// Crafted bad packets: each decodes as far as it can and names what is wrong.
  @Test(arguments: [
    (F.ipv4(F.client4, F.server4, protocol: 6, payload: [], ihl: 4), "IPv4 header length 16 is under 20"),
    (F.ipv4(F.client4, F.server4, protocol: 6, payload: [], ihl: 15), "IPv4 header truncated: needs 60 bytes, has 20"),
    (F.ipv4(F.client4, F.server4, protocol: 6, payload: [], totalLength: 10), "IPv4 header: total length 10 is under the header length 20"),
    (F.ipv4(F.client4, F.server4, protocol: 6, payload: F.tcp(1, 2, flags: 2, dataOffset: 4)), "TCP data offset 16 is under 20"),
    (F.ipv4(F.client4, F.server4, protocol: 6, payload: F.tcp(1, 2, flags: 2, dataOffset: 15)), "TCP header with options truncated: needs 60 bytes, has 20"),
    (F.ipv4(F.client4, F.server4, protocol: 6, payload: F.tcp(1, 2, flags: 2, options: [2, 4, 5, 0xb4, 3, 9, 0, 0])), "TCP option 3 length 9 runs past the header"),
    (F.ipv4(F.client4, F.server4, protocol: 6, payload: F.tcp(1, 2, flags: 2, options: [2, 3, 5, 0])), "TCP option 2 has length 3"),
    (F.ipv4(F.client4, F.server4, protocol: 6, payload: Array(F.tcp(1, 2, flags: 2).prefix(12))), "TCP header truncated: needs 20 bytes, has 12"),
    (F.ipv4(F.client4, F.server4, protocol: 17, payload: F.udp(1, 2, payload: [], length: 4)), "UDP length 4 is under 8"),
    (F.ipv4(F.client4, F.server4, protocol: 17, payload: F.udp(1, 2, payload: [1], length: 200)), "UDP length 200 is more than the 9 bytes the IP packet carries"),
    (F.ipv4(F.router4, F.client4, protocol: 1, payload: F.icmp(type: 3, code: 1, body: Array(F.syn.prefix(10)))), "ICMP error quote: quoted IPv4 header truncated: needs 20 bytes, has 10"),
    (F.ipv4(F.router4, F.client4, protocol: 1, payload: [3, 1, 0, 0, 0]), "ICMP error header truncated: needs 8 bytes, has 5"),
    (F.ipv6(F.client6, F.server6, next: 0, payload: [UInt8](repeating: 0, count: 80)), "IPv6 header: more than 8 extension headers"),
    (F.ipv6(F.client6, F.server6, next: 60, payload: [6, 3, 0, 0]), "IPv6 extension header 60 truncated: needs 72 bytes, has 44"),
    ([0x50] + [UInt8](repeating: 0, count: 30), "IP version 5 in a raw IP packet"),
  ])
  func malformedPacketsSayWhy(bytes: [UInt8], reason: String) {
    #expect(PacketDecoder.decode(ipPacket: bytes).malformed == reason)
  }

  @Test func nonIPFramesAreNotMalformed() {
    let arp = PacketDecoder.decode(F.ethernet(etherType: 0x0806, payload: [UInt8](repeating: 0, count: 28)), linkType: .ethernet)
    #expect(arp.malformed == nil && arp.ip == nil && arp.link?.etherType == 0x0806)
    let tags = PacketDecoder.decode(F.ethernet(etherType: 0x0800, vlans: [1, 2, 3, 4, 5], payload: F.syn), linkType: .ethernet)
    #expect(tags.malformed == "more than 4 VLAN tags")
  }

  /// Every fixture cut at every length, and every byte set to 0x00, 0xff, its complement and pseudo-random values,
  /// decoded under every framing: the decoder returns a value each time (a trap would end the test run).
  @Test func truncatedAndMutatedPacketsNeverTrap() {
    var state: UInt64 = 0x9e37_79b9_7f4a_7c15
    func random() -> UInt8 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return UInt8(truncatingIfNeeded: state >> 33)
    }
    var decoded = 0, malformed = 0
    for (bytes, linkType) in F.all {
      for length in 0...bytes.count {
        for type in LinkType.allCases {
          let packet = PacketDecoder.decode(Array(bytes.prefix(length)), linkType: type)
          decoded += 1
          if packet.isMalformed { malformed += 1 }
        }
      }
      for index in bytes.indices {
        for value in [0x00, 0xff, ~bytes[index], random(), random(), random(), random(), random()] {
          var mutated = bytes
          mutated[index] = value
          _ = PacketDecoder.decode(mutated, linkType: linkType)
          decoded += 1
        }
      }
      // A whole field of random bytes behind the fixture's link header.
      for _ in 0..<50 {
        let noise = (0..<Int(random())).map { _ in random() }
        _ = PacketDecoder.decode(Array(bytes.prefix(linkType.headerLength)) + noise, linkType: linkType)
        decoded += 1
      }
    }
    #expect(decoded > 8_000 && malformed > 0, "\(decoded) decoded, \(malformed) malformed")
  }

  @Test func capturedPacketsRoundTripThroughJSON() throws {
    let packet = CapturedPacket(timestampNanoseconds: 1_700_000_000_123_456_789, direction: .toServer, interfaceIndex: 2,
                                linkType: .ethernet, originalLength: 74, bytes: F.ethernet(etherType: 0x0800, payload: F.syn))
    let capture = CapturedPackets(flow: CaptureFlow(.tcp, remote: SocketAddress(.v4(198, 18, 2, 10), port: 80)), packets: [packet])
    let data = try JSONEncoder().encode(capture)
    let json = String(decoding: data, as: UTF8.self)
    #expect(json.contains("\"bytes\":\"020000000002") && json.contains("\"flags\":[\"SYN\"]"))
    let back = try JSONDecoder().decode(CapturedPackets.self, from: data)
    #expect(back == capture)
  }
}
