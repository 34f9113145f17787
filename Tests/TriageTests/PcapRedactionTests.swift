import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Triage

/// Packets built byte by byte with their checksums computed here (RFC 1071), independent of the rewriter.
enum CraftedPackets {
  static let client4 = IPAddress("198.18.1.10")!, server4 = IPAddress("151.101.65.69")!
  static let router4 = IPAddress("93.184.216.34")!, resolver4 = IPAddress("149.112.112.112")!
  static let client6 = IPAddress("fd00:0:18:1::10")!, server6 = IPAddress("2a04:4e42:200::323")!
  static let router6 = IPAddress("2001:4860:4860::8844")!
  static let publicAddresses = [server4, router4, resolver4, server6, router6]
  static let secrets = ["api.shop", "Host:", "shop"]

  static func be16(_ value: Int) -> [UInt8] { [UInt8((value >> 8) & 0xff), UInt8(value & 0xff)] }
  static func be32(_ value: UInt32) -> [UInt8] { [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)] }

  /// The Internet checksum of the bytes (zero when a filled-in checksum inside them is right).
  static func checksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index < bytes.count {
      sum += UInt32(bytes[index]) << 8 | (index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0)
      index += 2
    }
    while sum > 0xffff { sum = (sum & 0xffff) + (sum >> 16) }
    return ~UInt16(sum)
  }

  static func pseudoHeader(_ source: IPAddress, _ destination: IPAddress, _ number: UInt8, length: Int) -> [UInt8] {
    source.bytes + destination.bytes + (source.family == .ipv4 ? [0, number] + be16(length) : be32(UInt32(length)) + [0, 0, 0, number])
  }

  /// Where the transport checksum sits, and whether it covers a pseudo-header.
  static func checksumField(_ number: UInt8) -> (offset: Int, pseudo: Bool)? {
    switch number {
    case 6: (16, true)
    case 17: (6, true)
    case 1: (2, false)
    case 58: (2, true)
    default: nil
    }
  }

  static func withTransportChecksum(_ source: IPAddress, _ destination: IPAddress, _ number: UInt8, _ segment: [UInt8]) -> [UInt8] {
    guard let (offset, pseudo) = checksumField(number) else { return segment }
    var segment = segment
    let covered = (pseudo ? pseudoHeader(source, destination, number, length: segment.count) : []) + segment
    let value = checksum(covered)
    segment[offset...offset + 1] = ArraySlice(be16(Int(number == 17 && value == 0 ? 0xffff : value)))
    return segment
  }

  static func ipv4(_ source: IPAddress, _ destination: IPAddress, _ number: UInt8, ttl: UInt8 = 64, _ segment: [UInt8]) -> [UInt8] {
    var header: [UInt8] = [0x45, 0] + be16(20 + segment.count) + be16(0x1234) + be16(0x4000) + [ttl, number, 0, 0]
    header += source.bytes + destination.bytes
    header[10...11] = ArraySlice(be16(Int(checksum(header))))
    return header + withTransportChecksum(source, destination, number, segment)
  }

  static func ipv6(_ source: IPAddress, _ destination: IPAddress, _ number: UInt8, _ segment: [UInt8]) -> [UInt8] {
    [0x60, 0, 0, 0] + be16(segment.count) + [number, 64] + source.bytes + destination.bytes
      + withTransportChecksum(source, destination, number, segment)
  }

  static let synOptions: [UInt8] = [2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7]

  static func tcp(_ sourcePort: Int, _ destinationPort: Int, flags: UInt8, options: [UInt8] = [], payload: [UInt8] = []) -> [UInt8] {
    be16(sourcePort) + be16(destinationPort) + be32(1000) + be32(flags & 0x10 != 0 ? 5001 : 0)
      + [UInt8((20 + options.count) / 4) << 4, flags] + be16(64240) + [0, 0, 0, 0] + options + payload
  }

  static func udp(_ sourcePort: Int, _ destinationPort: Int, payload: [UInt8]) -> [UInt8] {
    be16(sourcePort) + be16(destinationPort) + be16(8 + payload.count) + [0, 0] + payload
  }

  static func icmp(type: UInt8, code: UInt8, rest: [UInt8] = [0, 0, 0, 0], body: [UInt8]) -> [UInt8] { [type, code, 0, 0] + rest + body }

  /// A DNS question for api.shop.example.net, and its answer naming the server's address.
  static let question: [UInt8] = be16(0x4242) + [1, 0] + be16(1) + be16(0) + be16(0) + be16(0)
    + [3] + Array("api".utf8) + [4] + Array("shop".utf8) + [7] + Array("example".utf8) + [3] + Array("net".utf8) + [0] + be16(1) + be16(1)
  static let answer: [UInt8] = question + [0xc0, 12] + be16(1) + be16(1) + be32(300) + be16(4) + server4.bytes

  static let syn = ipv4(client4, server4, 6, tcp(40000, 443, flags: 0x02, options: synOptions))
  static let synAck = ipv4(server4, client4, 6, ttl: 57, tcp(443, 40000, flags: 0x12, options: [2, 4, 0x05, 0xb4, 1, 1, 4, 2]))
  static let request = ipv4(client4, server4, 6, tcp(40000, 443, flags: 0x18,
                                                     payload: Array("GET / HTTP/1.1\r\nHost: api.shop.example.net\r\n\r\n".utf8)))
  static let dnsQuery = ipv4(client4, resolver4, 17, udp(53000, 53, payload: question))
  static let dnsAnswer = ipv4(resolver4, client4, 17, udp(53, 53000, payload: answer))
  /// The router says the resolver's port is closed, quoting the whole query.
  static let portUnreachable = ipv4(router4, client4, 1, ttl: 62, icmp(type: 3, code: 3, body: dnsQuery))
  /// Time exceeded quoting the SYN's IP header and first 8 TCP bytes, as an old router does.
  static let timeExceeded = ipv4(router4, client4, 1, ttl: 62, icmp(type: 11, code: 0, body: Array(syn.prefix(28))))
  static let syn6 = ipv6(client6, server6, 6, tcp(40000, 443, flags: 0x02, options: synOptions))
  /// ICMPv6 port unreachable quoting the whole SYN.
  static let unreachable6 = ipv6(router6, client6, 58, icmp(type: 1, code: 4, body: syn6))
  static let echo6 = ipv6(client6, server6, 58, icmp(type: 128, code: 0, rest: be16(7) + be16(1), body: Array("api.shop.example.net".utf8)))

  static let packets = [syn, synAck, request, dnsQuery, dnsAnswer, portUnreachable, timeExceeded, syn6, unreachable6, echo6]

  static let clientMAC: [UInt8] = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56], gatewayMAC: [UInt8] = [0x00, 0x1b, 0x21, 0xab, 0xcd, 0xef]

  /// The modified EUI-64 interface identifier of a MAC (RFC 4291 appendix A), written out here on purpose.
  static func eui64(_ mac: [UInt8]) -> [UInt8] { [mac[0] ^ 0x02, mac[1], mac[2], 0xff, 0xfe, mac[3], mac[4], mac[5]] }

  /// Addresses made from the MACs: link-local (fe80::5054:ff:fe12:3456, fe80::21b:21ff:feab:cdef), a lab ULA and a
  /// public one.
  static let clientLinkLocal = IPAddress(bytes: [0xfe, 0x80, 0, 0, 0, 0, 0, 0] + eui64(clientMAC))!
  static let gatewayLinkLocal = IPAddress(bytes: [0xfe, 0x80, 0, 0, 0, 0, 0, 0] + eui64(gatewayMAC))!
  static let clientULA = IPAddress(bytes: Array(client6.bytes.prefix(8)) + eui64(clientMAC))!
  static let clientPublic = IPAddress(bytes: Array(server6.bytes.prefix(8)) + eui64(clientMAC))!

  /// The client asks for the gateway's MAC (its own in the source link-layer option), the gateway answers with its.
  static let solicitation = ipv6(clientLinkLocal, IPAddress("ff02::1:ffab:cdef")!, 58,
                                 icmp(type: 135, code: 0, body: gatewayLinkLocal.bytes + [1, 1] + clientMAC))
  static let advertisement = ipv6(gatewayLinkLocal, clientLinkLocal, 58,
                                  icmp(type: 136, code: 0, rest: [0xe0, 0, 0, 0], body: gatewayLinkLocal.bytes + [2, 1] + gatewayMAC))
  /// A SYN from the client's EUI-64 ULA, and a router's unreachable quoting one from its public EUI-64 address.
  static let synFromULA = ipv6(clientULA, server6, 6, tcp(40001, 443, flags: 0x02))
  static let unreachableToPublic = ipv6(router6, clientPublic, 58,
                                        icmp(type: 1, code: 3, body: ipv6(clientPublic, server6, 6, tcp(40002, 443, flags: 0x02))))
  static let eui64Packets = [solicitation, advertisement, synFromULA, unreachableToPublic]

  /// The framings a pcap can hold, each with how to frame an IP packet and one record the rewriter must drop.
  enum Framing: String, CaseIterable, CustomTestStringConvertible {
    case ethernet, cooked, cookedV2, null, raw
    var testDescription: String { rawValue }

    var linkType: LinkType {
      switch self {
      case .ethernet: .ethernet
      case .cooked: .linuxSLL
      case .cookedV2: .linuxSLL2
      case .null: .null
      case .raw: .raw
      }
    }

    var headerLength: Int { linkType.headerLength }

    func frame(_ packet: [UInt8], outgoing: Bool = true, etherType: Int? = nil) -> [UInt8] {
      let type = etherType ?? (packet.first.map { $0 >> 4 == 6 } == true ? 0x86dd : 0x0800)
      let sender = outgoing ? clientMAC : gatewayMAC
      switch self {
      case .ethernet: return (outgoing ? gatewayMAC : clientMAC) + sender + be16(type) + packet
      case .cooked: return be16(outgoing ? 4 : 0) + be16(1) + be16(6) + sender + [0, 0] + be16(type) + packet
      case .cookedV2: return be16(type) + [0, 0] + be32(2) + be16(1) + [outgoing ? 4 : 0, 6] + sender + [0, 0] + packet
      case .null: return [type == 0x0800 ? 2 : 10, 0, 0, 0] + packet
      case .raw: return packet
      }
    }

    /// A record that is not IPv4/IPv6: ARP where the framing has an EtherType, else a bad IP version.
    var notIP: [UInt8] {
      let arp: [UInt8] = be16(1) + be16(0x0800) + [6, 4] + be16(1) + clientMAC + client4.bytes + [0, 0, 0, 0, 0, 0] + router4.bytes
      switch self {
      case .ethernet, .cooked, .cookedV2: return frame(arp, etherType: 0x0806)
      case .null: return [2, 0, 0, 0, 0x55] + Array(syn.dropFirst())
      case .raw: return [0x55] + Array(syn.dropFirst())
      }
    }
  }

  static func records(_ frames: [[UInt8]], _ linkType: LinkType) -> [PcapRecord] {
    frames.enumerated().map { index, frame in
      PcapRecord(timestampNanoseconds: 1_700_000_000_000_000_000 + Int64(index) * 1_000_123, interfaceIndex: 2, linkType: linkType,
                 originalLength: frame.count, bytes: frame)
    }
  }

  /// The crafted packets in `framing`, the non-IP record after the third.
  static func pcap(_ framing: Framing, precision: PcapWriter.Precision = .nanoseconds) throws -> [UInt8] {
    var frames = packets.enumerated().map { index, packet in framing.frame(packet, outgoing: index % 2 == 0) }
    frames.insert(framing.notIP, at: 3)
    return try PcapWriter(precision: precision).bytes(for: records(frames, framing.linkType))
  }
}

/// Reads a classic pcap in either byte order (test side, independent of the rewriter).
struct PcapRecords {
  var header: [UInt8]
  var bigEndian: Bool
  var recordHeaders: [[UInt8]] = []
  var frames: [[UInt8]] = []

  init?(_ bytes: [UInt8]) {
    guard bytes.count >= 24 else { return nil }
    header = Array(bytes[0..<24])
    bigEndian = bytes[0] == 0xa1
    var offset = 24
    while offset < bytes.count {
      guard offset + 16 <= bytes.count else { return nil }
      let field = Array(bytes[(offset + 8)..<(offset + 12)])
      let length = Int(bigEndian ? field.reduce(UInt32(0)) { $0 << 8 | UInt32($1) } : field.reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
      guard offset + 16 + length <= bytes.count else { return nil }
      recordHeaders.append(Array(bytes[offset..<(offset + 16)]))
      frames.append(Array(bytes[(offset + 16)..<(offset + 16 + length)]))
      offset += 16 + length
    }
  }

  /// The same file in big-endian byte order (as a big-endian machine's tcpdump writes it).
  static func bigEndian(_ little: [UInt8]) -> [UInt8] {
    var bytes = little
    func swap(_ offset: Int, _ width: Int) { bytes[offset..<(offset + width)].reverse() }
    swap(0, 4); swap(4, 2); swap(6, 2)
    for offset in stride(from: 8, to: 24, by: 4) { swap(offset, 4) }
    var offset = 24
    while offset + 16 <= bytes.count {
      let length = Int(little[offset + 8]) | Int(little[offset + 9]) << 8 | Int(little[offset + 10]) << 16 | Int(little[offset + 11]) << 24
      for field in 0..<4 { swap(offset + field * 4, 4) }
      offset += 16 + length
    }
    return bytes
  }
}

extension [UInt8] {
  /// Whether `needle` occurs anywhere in these bytes.
  func contains(bytes needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, needle.count <= count else { return false }
    return (0...(count - needle.count)).contains { start in self[start..<(start + needle.count)].elementsEqual(needle) }
  }
}

@Suite struct PcapRedactionTests {
  typealias C = CraftedPackets
  static let tcpdump = ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"].first { FileManager.default.isExecutableFile(atPath: $0) }

  /// Checksum problems of an IP packet (and of an ICMP error's quote): empty when every checksum that the bytes
  /// hold in full is right.
  static func checksumProblems(_ packet: [UInt8]) -> [String] {
    guard let residues = checksumResidues(packet) else { return ["short IP header"] }
    return residues.filter { $0.value != 0 }.keys.sorted().map { $0 + " checksum" }
  }

  /// The ones'-complement residue of each checksum that the bytes of an IP packet (and of an ICMP error's quote)
  /// hold in full, by name: 0 when it is right, otherwise how far off it is, so a packet rewritten honestly keeps
  /// its residues. A UDP checksum of zero in IPv4 (none) has no residue. nil when the IP header is cut.
  static func checksumResidues(_ packet: [UInt8], quote: String = "") -> [String: UInt16]? {
    guard let first = packet.first else { return nil }
    var residues: [String: UInt16] = [:]
    let source: IPAddress, destination: IPAddress, number: UInt8, headerLength: Int, totalLength: Int
    if first >> 4 == 4 {
      headerLength = Int(first & 0x0f) * 4
      guard packet.count >= headerLength else { return nil }
      residues[quote + "IPv4 header"] = C.checksum(Array(packet[0..<headerLength]))
      source = IPAddress(bytes: Array(packet[12..<16]))!
      destination = IPAddress(bytes: Array(packet[16..<20]))!
      number = packet[9]
      totalLength = Int(packet[2]) << 8 | Int(packet[3])
    } else {
      guard packet.count >= 40 else { return nil }
      headerLength = 40
      source = IPAddress(bytes: Array(packet[8..<24]))!
      destination = IPAddress(bytes: Array(packet[24..<40]))!
      number = packet[6]
      totalLength = 40 + (Int(packet[4]) << 8 | Int(packet[5]))
    }
    guard totalLength <= packet.count, let (_, pseudo) = C.checksumField(number) else { return residues }
    let segment = Array(packet[headerLength..<totalLength])
    let skipped = number == 17 && segment[6] == 0 && segment[7] == 0 && first >> 4 == 4
    let covered = (pseudo ? C.pseudoHeader(source, destination, number, length: segment.count) : []) + segment
    if !skipped { residues[quote + "protocol \(number)"] = C.checksum(covered) }
    if (number == 1 && [3, 11].contains(segment[0])) || (number == 58 && segment[0] < 5) {
      residues.merge(checksumResidues(Array(segment[8...]), quote: quote + "quote: ") ?? [:]) { old, _ in old }
    }
    return residues
  }

  /// The rewritten crafted packets in each framing: addresses, checksums, payloads, MACs, the dropped record.
  @Test(arguments: C.Framing.allCases)
  func craftedPacketsAreRedacted(framing: C.Framing) throws {
    let input = try C.pcap(framing)
    var redactor = Redactor()
    let result = try #require(PcapRedaction.redact(Data(input), redactor: &redactor))
    #expect(result.keptRecords == C.packets.count && result.droppedRecords == 1)
    let output = [UInt8](result.pcap)
    let read = try #require(PcapRecords(output))
    #expect(read.header == Array(input[0..<24]), "the file header is kept")
    let original = try #require(PcapRecords(input))
    var keptHeaders = original.recordHeaders
    keptHeaders.remove(at: 3)
    #expect(read.recordHeaders == keptHeaders, "times and lengths are kept")

    for address in C.publicAddresses { #expect(!output.contains(bytes: address.bytes), "\(address) left in the file") }
    for secret in C.secrets { #expect(!output.contains(bytes: Array(secret.utf8)), "\(secret) left in the file") }
    #expect(!output.contains(bytes: C.clientMAC) && !output.contains(bytes: C.gatewayMAC))

    for (index, frame) in read.frames.enumerated() {
      let packet = Array(frame[framing.headerLength...])
      #expect(Self.checksumProblems(packet) == [], "packet \(index)")
      let before = PacketDecoder.decode(Array(original.frames[index < 3 ? index : index + 1]), linkType: framing.linkType)
      let after = PacketDecoder.decode(frame, linkType: framing.linkType)
      #expect(after.malformed == nil, "packet \(index): \(after.malformed ?? "")")
      let ip = try #require(after.ip), ipBefore = try #require(before.ip)
      // Placeholders where the public addresses were, the private ones as they were.
      for (new, old) in [(ip.source, ipBefore.source), (ip.destination, ipBefore.destination)] {
        #expect(new == redactor.replacement(for: old))
        #expect(Redactor.isKept(old) ? new == old : RedactorTests.isPlaceholder(new), "\(old) became \(new)")
      }
      if let quoted = after.icmp?.quoted?.ip, let quotedBefore = before.icmp?.quoted?.ip {
        #expect(quoted.source == redactor.replacement(for: quotedBefore.source))
        #expect(quoted.destination == redactor.replacement(for: quotedBefore.destination))
        #expect(after.icmp?.quoted?.destinationPort == before.icmp?.quoted?.destinationPort, "ports stay")
      }
      // Headers stay, payloads are zeros of the same length.
      #expect(after.tcp?.flags == before.tcp?.flags && after.tcp?.options == before.tcp?.options && after.tcp?.sequence == before.tcp?.sequence)
      let payload = after.tcp?.payloadLength ?? after.udp?.payloadLength ?? 0
      #expect(payload == (before.tcp?.payloadLength ?? before.udp?.payloadLength ?? 0))
      #expect(frame.suffix(payload).allSatisfy { $0 == 0 }, "packet \(index): payload not zeroed")
      #expect(after.ip?.ttl == before.ip?.ttl && after.icmp?.type == before.icmp?.type && after.icmp?.code == before.icmp?.code)
    }
    // Ethernet and cooked addresses become locally administered placeholders, one per station.
    if framing == .ethernet {
      let macs = Set(read.frames.flatMap { [Array($0[0..<6]), Array($0[6..<12])] })
      #expect(macs == [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]])
    }
    if framing == .cooked {
      #expect(Set(read.frames.map { Array($0[6..<12]) }) == [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]])
    }
    // The quote of the whole DNS query: its UDP payload is zeros too, its checksums are right (checked above).
    let unreachable = read.frames[5]
    #expect(PacketDecoder.decode(unreachable, linkType: framing.linkType).icmp?.quoted?.destinationPort == 53)
    #expect(unreachable.suffix(C.question.count).allSatisfy { $0 == 0 })
  }

  /// tcpdump reads the rewritten file, shows the placeholders, and finds every checksum right.
  @Test(arguments: [C.Framing.ethernet, .cooked, .cookedV2])
  func tcpdumpReadsTheRewrittenFile(framing: C.Framing) throws {
    let tcpdump = try #require(Self.tcpdump, "tcpdump is installed here (CI installs it)")
    var redactor = Redactor()
    let pcap = try #require(PcapRedaction.rewrite(Data(try C.pcap(framing)), redactor: &redactor)).pcap
    let directory = TemporaryDirectory()
    let path = directory.path + "/redacted.pcap"
    try pcap.write(to: URL(fileURLWithPath: path))
    let read = try runCommand(tcpdump, ["-nn", "-r", path])
    let lines = read.stdout.split(separator: "\n")
    #expect(lines.count == C.packets.count, "\(read.stdout)\(read.stderr)")
    let server = redactor.replacement(for: C.server4), router = redactor.replacement(for: C.router4)
    let resolver = redactor.replacement(for: C.resolver4), server6 = redactor.replacement(for: C.server6)
    #expect(lines[0].contains("IP 198.18.1.10.40000 > \(server).443: Flags [S]"), "\(lines[0])")
    #expect(lines[3].contains("IP 198.18.1.10.53000 > \(resolver).53:"), "\(lines[3])")
    #expect(lines[5].contains("IP \(router) > 198.18.1.10: ICMP \(resolver) udp port 53 unreachable"), "\(lines[5])")
    #expect(lines[7].contains("IP6 fd00:0:18:1::10.40000 > \(server6).443: Flags [S]"), "\(lines[7])")
    for address in C.publicAddresses { #expect(!read.stdout.contains(address.description)) }
    #expect(!read.stdout.contains("shop"))

    let verbose = try runCommand(tcpdump, ["-nn", "-vv", "-r", path])
    #expect(!verbose.stdout.contains("incorrect") && !verbose.stdout.contains("bad cksum"), "\(verbose.stdout)")
    #expect(verbose.stdout.contains("cksum"), "tcpdump checked the checksums")
  }

  /// Either byte order and either time resolution: the same frames come out, in the file's own byte order.
  @Test func byteOrdersAndMagics() throws {
    var reference = Redactor()
    let little = try #require(PcapRedaction.redact(Data(try C.pcap(.ethernet)), redactor: &reference))
    let expected = try #require(PcapRecords([UInt8](little.pcap))).frames
    for input in [try C.pcap(.ethernet, precision: .microseconds), PcapRecords.bigEndian(try C.pcap(.ethernet)),
                  PcapRecords.bigEndian(try C.pcap(.ethernet, precision: .microseconds))] {
      var redactor = Redactor()
      let result = try #require(PcapRedaction.redact(Data(input), redactor: &redactor))
      let read = try #require(PcapRecords([UInt8](result.pcap)))
      #expect(read.header == Array(input[0..<24]))
      #expect(read.frames == expected)
      #expect(result.droppedRecords == 1)
    }
  }

  /// A record cut by the snap length: cut where the rewrite zeroes (a payload), or in a packet with no payload, it
  /// is the whole packet's rewrite, cut: the same bytes and the same checksums (computed afresh, or updated by the
  /// bytes that changed). Nothing public is left at any cut.
  @Test func snapLengthCutsKeepChecksumsRight() throws {
    // Each packet, the frame offset from which its cuts equal the whole rewrite's (0: every cut), and the cuts that
    // split a checksum field (its old value is not all there, so it stays as it was). A quote cut before its own
    // transport checksum cannot equal the whole rewrite either: that checksum changes, and the cut record lacks it.
    let cases: [([UInt8], Int, Set<Int>)] = [
      (C.syn, 0, [14 + 20 + 17]), (C.syn6, 0, [14 + 40 + 17]), (C.request, 14 + 20 + 20, []), (C.dnsAnswer, 14 + 20 + 8, []),
      (C.portUnreachable, 14 + 20 + 8 + 20 + 8, []), (C.timeExceeded, 0, []), (C.unreachable6, 14 + 40 + 8 + 40 + 18, []),
      (C.echo6, 14 + 40 + 8, []),
    ]
    for (packet, equalFrom, splitFields) in cases {
      let frame = C.Framing.ethernet.frame(packet)
      var whole = Redactor()
      let wholeFile = try #require(PcapRedaction.rewrite(Data(try PcapWriter().bytes(for: C.records([frame], .ethernet))), redactor: &whole)).pcap
      let wholeFrame = try #require(PcapRecords([UInt8](wholeFile))?.frames.first)
      let outerHeader = packet[0] >> 4 == 4 ? 20 : 40
      let isError = packet[0] >> 4 == 4 ? packet[9] == 1 && [3, 11].contains(packet[20]) : packet[6] == 58 && packet[40] < 5
      let quoteStart = 14 + outerHeader + 8
      for snap in 14..<frame.count {
        var redactor = Redactor()
        let input = try PcapWriter(snapLength: UInt32(snap)).bytes(for: C.records([frame], .ethernet))
        let result = try #require(PcapRedaction.redact(Data(input), redactor: &redactor))
        let output = [UInt8](result.pcap)
        for address in C.publicAddresses { #expect(!output.contains(bytes: address.bytes), "\(address) left at snap \(snap)") }
        guard result.keptRecords == 1, let cut = PcapRecords(output)?.frames.first else {
          #expect(snap < 14 + outerHeader, "only a cut inside the IP header drops the record; dropped at \(snap)")
          continue
        }
        #expect(cut.count == snap)
        if isError && snap < quoteStart + outerHeader {
          // A quote cut inside its own IP header is zeroed: its addresses cannot be read whole.
          #expect(cut.dropFirst(quoteStart).allSatisfy { $0 == 0 }, "snap \(snap)")
        } else if snap >= equalFrom && !splitFields.contains(snap) {
          #expect(Array(cut) == Array(wholeFrame.prefix(snap)), "snap \(snap) of \(packet.count + 14)")
        }
      }
    }
  }

  /// Not a pcap: nil. A file cut anywhere: no crash, the cut record dropped.
  @Test func garbageAndCutFiles() throws {
    var redactor = Redactor()
    let pcapng: [UInt8] = [0x0a, 0x0d, 0x0d, 0x0a] + [UInt8](repeating: 0, count: 28)
    for bytes in [[], [UInt8](repeating: 0xa1, count: 23), pcapng, Array("151.101.65.69 is not a pcap file at all".utf8)] {
      #expect(PcapRedaction.redact(Data(bytes), redactor: &redactor) == nil)
      #expect(PcapRedaction.rewrite(Data(bytes), redactor: &redactor) == nil)
    }
    // An unsupported link type (802.11): nil, so the bundle says why the capture is left out.
    var wifi = try C.pcap(.raw)
    wifi[20] = 105
    #expect(PcapRedaction.redact(Data(wifi), redactor: &redactor) == nil)
    // Records but none that can be rewritten: nil from `rewrite` (an empty capture would say "no packets").
    let onlyARP = try PcapWriter().bytes(for: C.records([C.Framing.ethernet.notIP], .ethernet))
    #expect(PcapRedaction.redact(Data(onlyARP), redactor: &redactor)?.droppedRecords == 1)
    #expect(PcapRedaction.rewrite(Data(onlyARP), redactor: &redactor) == nil)
    #expect(PcapRedaction.rewrite(Data(try PcapWriter().bytes(for: [PcapRecord]())), redactor: &redactor)?.pcap.count == 24)

    let file = try C.pcap(.ethernet)
    let boundaries = Set((PcapRecords(file)?.frames ?? []).reduce(into: [24]) { $0.append($0.last! + 16 + $1.count) })
    for length in 24..<file.count {
      let result = try #require(PcapRedaction.redact(Data(file.prefix(length)), redactor: &redactor))
      #expect(result.droppedRecords == (boundaries.contains(length) ? 0 : 1) + (length >= boundaries.sorted()[4] ? 1 : 0), "cut at \(length)")
      #expect(PcapRecords([UInt8](result.pcap)) != nil)
    }
  }

  /// Random bytes behind every link type, and every crafted frame cut at every length: no crash, every record
  /// either rewritten or counted as dropped, and no public address left whole.
  @Test func randomAndTruncatedFramesNeverCrash() throws {
    var generator = SeededGenerator(seed: 7)
    for framing in C.Framing.allCases {
      var frames: [[UInt8]] = []
      for _ in 0..<400 {
        let length = Int.random(in: 0..<120, using: &generator)
        var frame = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
        // Often a plausible start, so the walk gets past the first checks.
        if Bool.random(using: &generator), let packet = C.packets.randomElement(using: &generator) {
          frame = framing.frame(packet)
          let cut = Int.random(in: 0...frame.count, using: &generator)
          frame = Array(frame.prefix(cut)) + frame.dropFirst(cut).map { _ in UInt8.random(in: 0...255, using: &generator) }
        }
        frames.append(frame)
      }
      for packet in C.packets {
        let frame = framing.frame(packet)
        frames += (0...frame.count).map { Array(frame.prefix($0)) }
      }
      var redactor = Redactor()
      let input = try PcapWriter().bytes(for: C.records(frames, framing.linkType))
      let result = try #require(PcapRedaction.redact(Data(input), redactor: &redactor))
      #expect(result.keptRecords + result.droppedRecords == frames.count)
      #expect(PcapRecords([UInt8](result.pcap))?.frames.count == result.keptRecords)
    }
  }

  /// A real capture on loopback (root): a handshake, a UDP exchange with a payload, and the kernel's port
  /// unreachable quoting it. Loopback addresses stay; payloads go; every checksum is as right (or, left for
  /// checksum offload as loopback does, as unfinished) as in the capture; tcpdump reads it.
  @Test(.enabled(if: geteuid() == 0, "needs root (CAP_NET_RAW) for AF_PACKET sockets"))
  func realLoopbackCapture() throws {
    var records: [PcapRecord] = []
    for address in [IPAddress.v4(127, 0, 0, 1), IPAddress("::1")!] {
      let listener = try LoopbackTCPListener(address: address)
      let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: listener.socketAddress))
      let attempt = TCPConnectProbe.connect(to: listener.socketAddress, options: TCPConnectProbe.Options(timeout: .seconds(2), icmpEvidence: false))
      #expect(attempt.outcome == .connected)
      records += capture.stop().packets.map(\.pcapRecord)
    }
    let secret = Array("api.shop.example.net".utf8)
    let echo = try LoopbackUDPEcho()
    let exchange = try PacketCapture.start(flow: CaptureFlow(.udp, remote: echo.socketAddress))
    #expect(UDPProbe.exchange(with: echo.socketAddress, options: UDPProbe.Options(timeout: .seconds(2), payload: secret)).outcome == .reply)
    records += exchange.stop().packets.map(\.pcapRecord)
    let closed = SocketAddress(.v4(127, 0, 0, 1), port: try unusedPort(type: Int32(SOCK_DGRAM.rawValue)))
    let refusal = try PacketCapture.start(flow: CaptureFlow(.udp, remote: closed))
    #expect(UDPProbe.exchange(with: closed, options: UDPProbe.Options(timeout: .seconds(2), payload: secret)).outcome == .refused)
    records += refusal.stop().packets.map(\.pcapRecord)
    let input = try PcapWriter().bytes(for: records)
    #expect(input.contains(bytes: secret))

    var redactor = Redactor()
    let result = try #require(PcapRedaction.redact(Data(input), redactor: &redactor))
    #expect(result.keptRecords == records.count && result.droppedRecords == 0)
    let output = [UInt8](result.pcap)
    #expect(output.count == input.count && !output.contains(bytes: secret))
    let linkType = try PcapWriter().linkType(for: records)
    let frames = try #require(PcapRecords(output)).frames
    var sawQuote = false
    for (frame, record) in zip(frames, records) {
      let before = PacketDecoder.decode(record.bytes, linkType: record.linkType), after = PacketDecoder.decode(frame, linkType: linkType)
      #expect(after.ip?.source == before.ip?.source && after.ip?.destination == before.ip?.destination, "loopback stays")
      #expect(after.tcp == nil || after.tcp?.flags == before.tcp?.flags)
      #expect(Self.checksumProblems(Array(frame[linkType.headerLength...]))
        == Self.checksumProblems(Array(record.bytes[record.linkType.headerLength...])))
      if let quoted = after.icmp?.quoted {
        sawQuote = true
        #expect(quoted.ip == before.icmp?.quoted?.ip && quoted.destinationPort == closed.port)
      }
    }
    #expect(sawQuote, "the kernel's port unreachable was captured")
    #expect(redactor.replacedAddresses == 0)

    let tcpdump = try #require(Self.tcpdump, "tcpdump is installed here (CI installs it)")
    let directory = TemporaryDirectory()
    try result.pcap.write(to: URL(fileURLWithPath: directory.path + "/loopback.pcap"))
    try Data(input).write(to: URL(fileURLWithPath: directory.path + "/original.pcap"))
    let read = try runCommand(tcpdump, ["-nn", "-vv", "-r", directory.path + "/loopback.pcap"])
    let readOriginal = try runCommand(tcpdump, ["-nn", "-vv", "-r", directory.path + "/original.pcap"])
    #expect(read.stdout.contains("127.0.0.1") && read.stdout.contains("::1") && read.stdout.contains("udp port \(closed.port) unreachable"),
            "\(read.stdout)")
    // tcpdump finds the same checksums incorrect as in the capture, no more, no fewer.
    func incorrect(_ text: String) -> [Bool] { text.split(separator: "\n").map { $0.contains("incorrect") || $0.contains("bad cksum") } }
    #expect(incorrect(read.stdout) == incorrect(readOriginal.stdout), "\(readOriginal.stdout)\n\(read.stdout)")
  }

  /// A 64 MiB capture goes through in one linear pass (a generous bound: a debug build on a shared machine).
  @Test func largeFileIsLinear() throws {
    let frame = C.Framing.ethernet.frame(C.ipv4(C.client4, C.server4, 6, C.tcp(40000, 443, flags: 0x18, payload: [UInt8](repeating: 0x41, count: 1400))))
    var input = try PcapWriter().bytes(for: C.records([frame], .ethernet))
    let record = Array(input[24...])
    let count = (64 << 20) / record.count
    input.reserveCapacity(24 + count * record.count)
    for _ in 1..<count { input += record }
    let clock = ContinuousClock()
    var redactor = Redactor()
    var result: PcapRedaction.Result?
    let elapsed = clock.measure { result = PcapRedaction.redact(Data(input), redactor: &redactor) }
    #expect(result?.keptRecords == count && result?.pcap.count == input.count)
    #expect(elapsed < .seconds(120), "\(elapsed)")
  }

  /// The bundle keeps a redacted capture: capture.pcap, no note, the same placeholder as the report's text.
  @Test func redactedBundleKeepsTheRewrittenCapture() async throws {
    let pcap = Data(try C.pcap(.ethernet))
    let contents = try await BundleWriterTests.sensitiveContents(pcap: pcap)
    let (files, redactor) = BundleWriter.files(contents, options: BundleOptions(redact: true, pcapRewriter: PcapRedaction.rewrite))
    #expect(!files.contains { $0.name == "capture-omitted.txt" })
    let capture = try #require(files.first { $0.name == "capture.pcap" })
    for address in C.publicAddresses { #expect(!capture.bytes.contains(bytes: address.bytes), "\(address) in capture.pcap") }
    var map = try #require(redactor)
    let placeholder = map.replacement(for: C.server4)
    #expect(RedactorTests.isPlaceholder(placeholder))
    #expect(PacketDecoder.decode(try #require(PcapRecords(capture.bytes)?.frames.first), linkType: .ethernet).ip?.destination == placeholder)
    let report = BundleWriterTests.text(try #require(files.first { $0.name == "report.json" }))
    #expect(report.contains("resolved to \(placeholder) and"), "the report names the capture's placeholder")
    #expect(BundleWriterTests.text(files[0]).contains("capture.pcap"))
    // The fixture's non-IP frames cannot be rewritten: the README counts them.
    let original = try #require(PcapRecords(pcap.map { $0 })).frames.count
    let kept = try #require(PcapRecords(capture.bytes)).frames.count
    #expect(kept < original)
    #expect(BundleWriterTests.text(files[0]).contains("capture.pcap: \(kept) packets rewritten, \(original - kept) left out"))
  }

  /// Packets whose checksums arrived wrong (IPv4 header, TCP, UDP, ICMPv6, and inside an ICMP error's quote) keep
  /// exactly how wrong they were, though addresses and payloads changed under them; right ones stay right.
  @Test func wrongChecksumsStayWrongByTheSameAmount() throws {
    func corrupt(_ packet: [UInt8], at offset: Int, by delta: Int) -> [UInt8] {
      var bytes = packet
      let value = (Int(bytes[offset]) << 8 | Int(bytes[offset + 1])) &+ delta
      bytes[offset...offset + 1] = ArraySlice(C.be16(value & 0xffff))
      return bytes
    }
    let wrong = [
      corrupt(C.syn, at: 20 + 16, by: 0x0100),  // TCP
      corrupt(C.synAck, at: 10, by: 1),  // IPv4 header
      corrupt(corrupt(C.request, at: 10, by: 0x1234), at: 20 + 16, by: 7),  // both, and a payload that is zeroed
      corrupt(C.dnsAnswer, at: 20 + 6, by: 0x0042),  // UDP
      corrupt(C.syn6, at: 40 + 16, by: 0x8000),
      corrupt(C.echo6, at: 40 + 2, by: 3),  // ICMPv6
      C.ipv4(C.router4, C.client4, 1, ttl: 62, C.icmp(type: 3, code: 3, body: corrupt(C.dnsQuery, at: 20 + 6, by: 5))),  // the quote's UDP
    ]
    let right = [C.syn, C.synAck, C.request, C.dnsAnswer, C.syn6, C.echo6, C.portUnreachable, C.unreachable6]
    let packets = wrong + right
    let frames = packets.enumerated().map { C.Framing.ethernet.frame($1, outgoing: $0 % 2 == 0) }
    var redactor = Redactor()
    let result = try #require(PcapRedaction.redact(Data(try PcapWriter().bytes(for: C.records(frames, .ethernet))), redactor: &redactor))
    let output = try #require(PcapRecords([UInt8](result.pcap))).frames
    #expect(output.count == packets.count)
    for address in C.publicAddresses { #expect(![UInt8](result.pcap).contains(bytes: address.bytes), "\(address) left in the file") }
    for (index, (packet, frame)) in zip(packets, output).enumerated() {
      let before = try #require(Self.checksumResidues(packet)), after = try #require(Self.checksumResidues(Array(frame[14...])))
      #expect(after == before, "packet \(index)")
      if index < wrong.count {
        #expect(before.values.contains { $0 != 0 }, "packet \(index) was crafted wrong")
      } else {
        #expect(after.values.allSatisfy { $0 == 0 }, "packet \(index)")
      }
    }
  }

  /// What no checksum is stays so: a UDP checksum of zero (none in IPv4, forbidden in IPv6), and an outgoing packet
  /// captured before checksum offload, whose field holds the pseudo-header's sum: it holds the new pseudo-header's
  /// sum (a difference kept from the old one would keep a sum of the real addresses).
  @Test func checksumsLeftForOffloadStayUnfinished() throws {
    func withField(_ packet: [UInt8], at offset: Int, _ value: UInt16) -> [UInt8] {
      var bytes = packet
      bytes[offset...offset + 1] = ArraySlice(C.be16(Int(value)))
      return bytes
    }
    func pseudoHeaderSum(_ packet: [UInt8]) -> UInt16 {
      let v4 = packet[0] >> 4 == 4
      let header = v4 ? 20 : 40
      let source = IPAddress(bytes: Array(packet[(v4 ? 12 : 8)..<(v4 ? 16 : 24)]))!
      let destination = IPAddress(bytes: Array(packet[(v4 ? 16 : 24)..<(v4 ? 20 : 40)]))!
      return ~C.checksum(C.pseudoHeader(source, destination, packet[v4 ? 9 : 6], length: packet.count - header))
    }
    let udp6 = C.ipv6(C.client6, C.server6, 17, C.udp(53000, 53, payload: C.question))
    let packets = [
      withField(C.dnsQuery, at: 20 + 6, 0), withField(udp6, at: 40 + 6, 0),
      withField(C.syn, at: 20 + 16, pseudoHeaderSum(C.syn)), withField(C.syn6, at: 40 + 16, pseudoHeaderSum(C.syn6)),
      withField(udp6, at: 40 + 6, pseudoHeaderSum(udp6)),
    ]
    let fields = [20 + 6, 40 + 6, 20 + 16, 40 + 16, 40 + 6]
    var redactor = Redactor()
    let frames = packets.map { C.Framing.ethernet.frame($0) }
    let result = try #require(PcapRedaction.redact(Data(try PcapWriter().bytes(for: C.records(frames, .ethernet))), redactor: &redactor))
    let output = try #require(PcapRecords([UInt8](result.pcap))).frames.map { Array($0[14...]) }
    for address in C.publicAddresses { #expect(![UInt8](result.pcap).contains(bytes: address.bytes), "\(address) left in the file") }
    #expect(output[0][fields[0]...fields[0] + 1] == [0, 0] && output[1][fields[1]...fields[1] + 1] == [0, 0])
    for index in 2..<packets.count {
      let field = UInt16(output[index][fields[index]]) << 8 | UInt16(output[index][fields[index] + 1])
      #expect(field == pseudoHeaderSum(output[index]), "packet \(index)")
      #expect(field != pseudoHeaderSum(packets[index]), "packet \(index): the addresses changed")
      #expect(Self.checksumProblems(output[index]) != [], "packet \(index) still reads as unfinished")
    }
  }

  /// Neighbour discovery and traffic from addresses made from the MACs (EUI-64): each identifier becomes the one of
  /// its MAC's placeholder, as the frames, the link-layer options and the ND target show it, also inside an ICMPv6
  /// quote; no MAC and no identifier of one is left, and every checksum is right.
  @Test func eui64AddressesFollowTheirMACs() throws {
    let frames = C.eui64Packets.enumerated().map { C.Framing.ethernet.frame($1, outgoing: $0 % 2 == 0) }
    var redactor = Redactor()
    let result = try #require(PcapRedaction.redact(Data(try PcapWriter().bytes(for: C.records(frames, .ethernet))), redactor: &redactor))
    #expect(result.keptRecords == frames.count)
    let output = [UInt8](result.pcap)
    for secret in [C.clientMAC, C.gatewayMAC, C.eui64(C.clientMAC), C.eui64(C.gatewayMAC)] {
      #expect(!output.contains(bytes: secret), "\(secret) left in the file")
    }
    let read = try #require(PcapRecords(output)).frames
    let client = Array(read[0][6..<12]), gateway = Array(read[0][0..<6])
    #expect(Set([client, gateway]) == [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]])
    let solicitation = Array(read[0][14...]), advertisement = Array(read[1][14...])
    #expect(Array(solicitation[8..<24]) == [0xfe, 0x80, 0, 0, 0, 0, 0, 0] + C.eui64(client), "source")
    #expect(Array(solicitation[48..<64]) == [0xfe, 0x80, 0, 0, 0, 0, 0, 0] + C.eui64(gateway), "target")
    #expect(Array(solicitation[66..<72]) == client, "source link-layer option")
    #expect(Array(advertisement[8..<24]) == Array(solicitation[48..<64]) && Array(advertisement[66..<72]) == gateway)
    let ula = Array(read[2][14...])
    #expect(Array(ula[8..<24]) == Array(C.client6.bytes.prefix(8)) + C.eui64(client), "the ULA's prefix stays")
    let unreachable = Array(read[3][14...])
    let publicPlaceholder = Array(unreachable[24..<40])
    #expect(RedactorTests.isPlaceholder(IPAddress(bytes: publicPlaceholder)!) && publicPlaceholder.suffix(8) == C.eui64(client)[...])
    #expect(Array(unreachable[(48 + 8)..<(48 + 24)]) == publicPlaceholder, "the quote names the same placeholder")
    for (index, frame) in read.enumerated() { #expect(Self.checksumProblems(Array(frame[14...])) == [], "packet \(index)") }
    #expect(redactor.replacedMACs == 2)
  }

  /// One bundle, one map: the snapshot's interfaces and neighbours show each MAC, and each link-local address made
  /// from one, with the placeholder the capture's frames got.
  @Test func snapshotTextAgreesWithTheCapturesMACs() async throws {
    let frames = C.eui64Packets.enumerated().map { C.Framing.ethernet.frame($1, outgoing: $0 % 2 == 0) }
    let contents = try await BundleWriterTests.sensitiveContents(pcap: Data(try PcapWriter().bytes(for: C.records(frames, .ethernet))))
    let (files, _) = BundleWriter.files(contents, options: BundleOptions(redact: true, pcapRewriter: PcapRedaction.rewrite))
    let captureFile = try #require(files.first { $0.name == "capture.pcap" })
    let capture = try #require(PcapRecords(captureFile.bytes)).frames
    let client = Array(capture[0][6..<12]), gateway = Array(capture[0][0..<6])
    func text(_ mac: [UInt8]) -> String { mac.map { String(format: "%02x", $0) }.joined(separator: ":") }
    func linkLocal(_ mac: [UInt8]) -> String { IPAddress(bytes: [0xfe, 0x80, 0, 0, 0, 0, 0, 0] + C.eui64(mac))!.description }
    let interfaces = BundleWriterTests.text(try #require(files.first { $0.name == "snapshot/interfaces.txt" }))
    #expect(interfaces.contains("mac \(text(client))"), "\(interfaces)")
    #expect(interfaces.contains("inet6 \(linkLocal(client))/64 scope link"), "\(interfaces)")
    let neighbours = BundleWriterTests.text(try #require(files.first { $0.name == "snapshot/neighbours.txt" }))
    #expect(neighbours.contains("\(linkLocal(gateway)) dev eth9 lladdr \(text(gateway)) router REACHABLE"), "\(neighbours)")
    let report = BundleWriterTests.text(try #require(files.first { $0.name == "report.md" }))
    #expect(report.contains("gateway \(linkLocal(gateway)) lladdr \(text(gateway))"))
  }
}
