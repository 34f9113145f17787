import Testing
@testable import NetProbe
@testable import Triage

/// Ladders drawn from packet fixtures: what each arrow says, and that every line fits the width.
@Suite struct LadderTextTests {
  static let client: [UInt8] = [198, 18, 1, 10], server: [UInt8] = [198, 18, 2, 10], router: [UInt8] = [198, 18, 1, 1]
  static let flow = CaptureFlow(.tcp, remote: SocketAddress(.v4(198, 18, 2, 10), port: 80),
                                local: SocketAddress(.v4(198, 18, 1, 10), port: 40000))

  static func be16(_ value: Int) -> [UInt8] { [UInt8((value >> 8) & 0xff), UInt8(value & 0xff)] }

  static func ipv4(_ source: [UInt8], _ destination: [UInt8], _ proto: UInt8, ttl: UInt8, _ payload: [UInt8]) -> [UInt8] {
    [0x45, 0] + be16(20 + payload.count) + [0, 0, 0x40, 0, ttl, proto, 0, 0] + source + destination + payload
  }

  static func tcp(_ sourcePort: Int, _ destinationPort: Int, flags: UInt8, sequence: UInt8 = 1, options: [UInt8] = [], window: Int = 64240) -> [UInt8] {
    be16(sourcePort) + be16(destinationPort) + [0, 0, 0, sequence, 0, 0, 0, 0] + [UInt8(((20 + options.count) / 4) << 4), flags]
      + be16(window) + [0, 0, 0, 0] + options
  }

  static let mss: [UInt8] = [2, 4, 0x05, 0xb4, 1, 3, 3, 7]

  static func packet(_ milliseconds: Double, _ direction: PacketDirection, _ bytes: [UInt8]) -> CapturedPacket {
    CapturedPacket(timestampNanoseconds: 1_700_000_000_000_000_000 + Int64(milliseconds * 1_000_000), direction: direction,
                   interfaceIndex: 2, linkType: .raw, originalLength: bytes.count, bytes: bytes)
  }

  static func capture(_ packets: [CapturedPacket]) -> CapturedPackets {
    CapturedPackets(flow: flow, interface: "eth0", interfaceIndex: 2, packets: packets)
  }

  static let syn = ipv4(client, server, 6, ttl: 64, tcp(40000, 80, flags: 0x02, options: mss))

  @Test func handshake() {
    let lines = LadderText.render(Self.capture([
      Self.packet(0, .toServer, Self.syn),
      Self.packet(0.412, .toClient, Self.ipv4(Self.server, Self.client, 6, ttl: 63, Self.tcp(80, 40000, flags: 0x12, options: Self.mss, window: 65160))),
      Self.packet(0.431, .toServer, Self.ipv4(Self.client, Self.server, 6, ttl: 64, Self.tcp(40000, 80, flags: 0x10))),
    ]))
    #expect(lines == [
      "tcp 198.18.1.10:40000 -> 198.18.2.10:80: 3 packets on eth0",
      "    ms  client 198.18.1.10:40000                           server 198.18.2.10:80",
      " 0.000  |------------------------ SYN  mss 1460  ws 7 ------------------------>|",
      " 0.412  |<------------ SYN-ACK  mss 1460  win 65160  ws 7  ttl 63 -------------|",
      " 0.431  |-------------------------------- ACK -------------------------------->|",
    ])
    #expect(lines.allSatisfy { $0.count <= 80 })
  }

  @Test func synRetransmitsWithTheirGaps() {
    let lines = LadderText.render(Self.capture([
      Self.packet(0, .toServer, Self.syn),
      Self.packet(1003.5, .toServer, Self.syn),
      Self.packet(3019.9, .toServer, Self.syn),
    ]))
    #expect(lines[3].hasPrefix("1003.500  |") && lines[3].contains(" SYN (retransmit 1, +1.0 s) "), "\(lines)")
    #expect(lines[4].hasPrefix("3019.900  |") && lines[4].contains(" SYN (retransmit 2, +2.0 s) "), "\(lines)")
    #expect(lines.allSatisfy { $0.count <= 80 })
  }

  @Test func resetFromADeviceInThePath() {
    let capture = Self.capture([
      Self.packet(0, .toServer, Self.syn),
      Self.packet(0.3, .toClient, Self.ipv4(Self.server, Self.client, 6, ttl: 64, Self.tcp(80, 40000, flags: 0x14, window: 0))),
    ])
    let routed = LadderText.render(capture, pathLength: 2)
    #expect(routed[3].contains(" RST-ACK from a device in the path  ttl 64 "), "\(routed)")
    #expect(routed[4].contains("TTL 64 means 0 routers crossed, but the destination is at least 1"), "\(routed)")
    // Against the server's own SYN-ACK seen elsewhere (TTL 63): one router nearer.
    let reference = LadderText.render(capture, referenceTTL: 63)
    #expect(reference[3].contains("from a device in the path"))
    // On-link, or with no knowledge of the path: no claim.
    #expect(!LadderText.render(capture, pathLength: 1)[3].contains("device"))
    #expect(!LadderText.render(capture)[3].contains("device"))
  }

  @Test func icmpErrorFromTheRouter() {
    let icmp: [UInt8] = [3, 13, 0, 0, 0, 0, 0, 0] + Array(Self.syn.prefix(28))
    let lines = LadderText.render(Self.capture([
      Self.packet(0, .toServer, Self.syn),
      Self.packet(0.25, .toClient, Self.ipv4(Self.router, Self.client, 1, ttl: 64, icmp)),
    ]), width: 80)
    #expect(lines[3] == " 0.250  |<==== ICMP type 3 code 13  destination unreachable: administratively prohibited ==|"
      || lines[3].contains("ICMP type 3 code 13"), "\(lines)")
    let notes = lines.dropFirst(4).joined(separator: "\n")
    #expect(notes.contains("from 198.18.1.1 (not the server: a device in the path), ttl 64"), "\(lines)")
    #expect(lines.allSatisfy { $0.count <= 80 }, "\(lines)")
  }

  /// Every line fits, from 48 columns up; narrower asks get 48.
  @Test(arguments: [20, 48, 60, 80, 132])
  func linesFitTheWidth(width: Int) {
    let icmp: [UInt8] = [3, 13, 0, 0, 0, 0, 0, 0] + Array(Self.syn.prefix(28))
    let capture = Self.capture([
      Self.packet(0, .toServer, Self.syn),
      Self.packet(1000, .toServer, Self.syn),
      Self.packet(1000.25, .toClient, Self.ipv4(Self.router, Self.client, 1, ttl: 64, icmp)),
      Self.packet(1000.3, .toClient, Self.ipv4(Self.server, Self.client, 6, ttl: 64, Self.tcp(80, 40000, flags: 0x14))),
    ])
    let lines = LadderText.render(capture, width: width, pathLength: 3)
    let limit = max(LadderText.minimumWidth, width)
    // The heading names the flow and may run longer; the diagram itself fits.
    #expect(lines.dropFirst().allSatisfy { $0.count <= limit }, "\(lines)")
    #expect(lines.allSatisfy { $0.allSatisfy(\.isASCII) })
  }

  @Test func emptyCaptureSaysSo() {
    let lines = LadderText.render(Self.capture([]))
    #expect(lines.count == 2 && lines[1].contains("no packet of this flow was seen"))
  }

  @Test func udpAndMalformedPackets() {
    let flow = CaptureFlow(.udp, remote: SocketAddress(.v4(198, 18, 2, 10), port: 7))
    let datagram = Self.be16(40001) + Self.be16(7) + Self.be16(13) + [0, 0] + Array("hello".utf8)
    let lines = LadderText.render(CapturedPackets(flow: flow, packets: [
      Self.packet(0, .toServer, Self.ipv4(Self.client, Self.server, 17, ttl: 64, datagram)),
      Self.packet(0.1, .toClient, [0x45, 0, 0, 10]),
    ]))
    #expect(lines[0] == "udp client -> 198.18.2.10:7: 2 packets on all interfaces")
    #expect(lines[2].contains(" UDP 5 bytes "))
    #expect(lines[3].contains(" malformed ") && lines[4].contains("IPv4 header truncated"))
  }

  @Test func ttlEstimates() {
    for (ttl, initial, routers) in [(64, 64, 0), (63, 64, 1), (1, 64, 63), (128, 128, 0), (117, 128, 11), (250, 255, 5), (65, 128, 63)] {
      let estimate = TTLEstimate(ttl: UInt8(ttl))
      #expect(estimate.initialTTL == initial && estimate.routersCrossed == routers, "\(ttl)")
    }
    #expect(TTLJudgement(ttl: 64, pathLength: 3).fromDeviceInPath)
    #expect(!TTLJudgement(ttl: 62, pathLength: 3).fromDeviceInPath)
    #expect(!TTLJudgement(ttl: 64, pathLength: nil).fromDeviceInPath)
    #expect(TTLJudgement(ttl: 64, pathLength: nil, referenceTTL: 62).fromDeviceInPath)
    #expect(!TTLJudgement(ttl: 128, pathLength: nil, referenceTTL: 62).fromDeviceInPath, "another initial TTL: no claim on its place")
  }
}
