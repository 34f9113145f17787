import TestSupport
import Testing
@testable import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Crafted bytes: echo requests and replies, errors quoting TCP, UDP and echo flows in both families, and malformed
/// input that must give an error or nil, never a crash.
@Suite struct ICMPPacketTests {
  // MARK: Crafting

  static func ipv4Header(protocolNumber: UInt8, source: String, destination: String, ttl: UInt8 = 64, payloadLength: Int,
                         options: [UInt8] = []) -> [UInt8] {
    let headerLength = 20 + options.count
    let total = headerLength + payloadLength
    var header: [UInt8] = [0x40 | UInt8(headerLength / 4), 0, UInt8(total >> 8), UInt8(total & 0xff), 0x12, 0x34, 0x40, 0,
                           ttl, protocolNumber, 0, 0]
    header += IPAddress(source)!.bytes + IPAddress(destination)!.bytes + options
    let sum = ICMPPacket.checksum(header)
    header[10] = UInt8(sum >> 8)
    header[11] = UInt8(sum & 0xff)
    return header
  }

  static func ipv6Header(nextHeader: UInt8, source: String, destination: String, hopLimit: UInt8 = 64, payloadLength: Int) -> [UInt8] {
    [0x60, 0, 0, 0, UInt8(payloadLength >> 8), UInt8(payloadLength & 0xff), nextHeader, hopLimit]
      + IPAddress(source)!.bytes + IPAddress(destination)!.bytes
  }

  /// An ICMP message with its checksum (over the message alone, as ICMP computes it).
  static func icmp(type: UInt8, code: UInt8, rest: [UInt8] = [0, 0, 0, 0], body: [UInt8] = []) -> [UInt8] {
    var bytes = [type, code, 0, 0] + rest + body
    let sum = ICMPPacket.checksum(bytes)
    bytes[2] = UInt8(sum >> 8)
    bytes[3] = UInt8(sum & 0xff)
    return bytes
  }

  static func ports(_ source: UInt16, _ destination: UInt16, then rest: [UInt8] = [0xde, 0xad, 0xbe, 0xef]) -> [UInt8] {
    [UInt8(source >> 8), UInt8(source & 0xff), UInt8(destination >> 8), UInt8(destination & 0xff)] + rest
  }

  /// What a router quotes of our TCP SYN 198.18.1.2:40000 -> 198.18.2.3:443.
  static let quotedTCPv4 = ipv4Header(protocolNumber: 6, source: "198.18.1.2", destination: "198.18.2.3", ttl: 63, payloadLength: 40)
    + ports(40000, 443)
  static let quotedUDPv4 = ipv4Header(protocolNumber: 17, source: "127.0.0.1", destination: "127.0.0.1", payloadLength: 10)
    + ports(51000, 9, then: [0, 10, 0, 0])
  static let quotedEchoV4 = ipv4Header(protocolNumber: 1, source: "198.18.1.2", destination: "198.18.2.2", ttl: 1, payloadLength: 64)
    + [8, 0, 0x12, 0x34, 0xbe, 0xef, 0x00, 0x05]
  static let quotedTCPv6 = ipv6Header(nextHeader: 6, source: "fd00:1::2", destination: "fd00:2::3", payloadLength: 40)
    + ports(40000, 443)
  static let quotedEchoV6 = ipv6Header(nextHeader: 58, source: "fd00:1::2", destination: "fd00:2::2", hopLimit: 1, payloadLength: 64)
    + [128, 0, 0, 0, 0xbe, 0xef, 0x00, 0x05]

  // MARK: Building

  @Test func echoRequestCarriesAValidChecksum() {
    let bytes = ICMPPacket.echoRequest(family: .ipv4, identifier: 0x1234, sequence: 1, payload: [])
    // ~(0x0800 + 0x1234 + 0x0001) = ~0x1a35
    #expect(bytes == [8, 0, 0xe5, 0xca, 0x12, 0x34, 0x00, 0x01])
    let odd = ICMPPacket.echoRequest(family: .ipv4, identifier: 0xbeef, sequence: 0xffff, payload: [1, 2, 3])
    #expect(ICMPPacket.checksum(odd) == 0)
    // ICMPv6: the kernel fills the checksum in.
    #expect(ICMPPacket.echoRequest(family: .ipv6, identifier: 1, sequence: 2, payload: [9]) == [128, 0, 0, 0, 0, 1, 0, 2, 9])
  }

  // MARK: Replies

  @Test func echoReplyInsideAnIPv4Datagram() throws {
    let reply = Self.icmp(type: 0, code: 0, rest: [0xbe, 0xef, 0x00, 0x2a], body: [UInt8](repeating: 7, count: 56))
    let datagram = Self.ipv4Header(protocolNumber: 1, source: "198.18.1.1", destination: "198.18.1.2", ttl: 61,
                                   payloadLength: reply.count, options: [1, 1, 1, 0]) + reply
    let (header, message) = try ICMPPacket.parse(ipv4Datagram: datagram)
    #expect(header.headerLength == 24)
    #expect(header.ttl == 61)
    #expect(header.source == IPAddress("198.18.1.1"))
    #expect(message.echoReply == ICMPEcho(identifier: 0xbeef, sequence: 42, payloadLength: 56))
    #expect(message.length == 64)
    #expect(message.checksumIsValid == true)
  }

  @Test func echoReplyV6() throws {
    let message = try ICMPPacket.parse(icmp: [129, 0, 0x11, 0x22, 0, 9, 1, 0, 5, 5], family: .ipv6)
    #expect(message.echoReply == ICMPEcho(identifier: 9, sequence: 256, payloadLength: 2))
    #expect(message.checksumIsValid == nil)
    // An echo request is not a reply, and an IPv4 type 0 read as ICMPv6 is nothing we know.
    #expect(try ICMPPacket.parse(icmp: [128, 0, 0, 0, 0, 9, 1, 0], family: .ipv6).echoReply == nil)
    #expect(try ICMPPacket.parse(icmp: [0, 0, 0, 0, 0, 9, 1, 0], family: .ipv6).content == .other)
  }

  // MARK: Errors and their quotes

  struct ErrorCase: CustomTestStringConvertible, Sendable {
    var name: String
    var family: AddressFamily
    var bytes: [UInt8]
    var kind: ICMPErrorMessage.Kind
    var errno: Int32
    var mtu: UInt32?
    var pointer: UInt32?
    var quotedProtocol: UInt8
    var quotedSource: String
    var quotedDestination: String
    var quotedPorts: (UInt16, UInt16)?
    var quotedEcho: (UInt16, UInt16)?
    var testDescription: String { name }
  }

  static let errorCases: [ErrorCase] = [
    ErrorCase(name: "admin-prohibited quoting TCP", family: .ipv4, bytes: icmp(type: 3, code: 13, body: quotedTCPv4),
              kind: .destinationUnreachable, errno: EHOSTUNREACH, quotedProtocol: 6, quotedSource: "198.18.1.2",
              quotedDestination: "198.18.2.3", quotedPorts: (40000, 443)),
    ErrorCase(name: "port unreachable quoting UDP", family: .ipv4, bytes: icmp(type: 3, code: 3, body: quotedUDPv4),
              kind: .destinationUnreachable, errno: ECONNREFUSED, quotedProtocol: 17, quotedSource: "127.0.0.1",
              quotedDestination: "127.0.0.1", quotedPorts: (51000, 9)),
    ErrorCase(name: "net unreachable quoting TCP", family: .ipv4, bytes: icmp(type: 3, code: 0, body: quotedTCPv4),
              kind: .destinationUnreachable, errno: ENETUNREACH, quotedProtocol: 6, quotedSource: "198.18.1.2",
              quotedDestination: "198.18.2.3", quotedPorts: (40000, 443)),
    ErrorCase(name: "fragmentation needed with MTU", family: .ipv4, bytes: icmp(type: 3, code: 4, rest: [0, 0, 0x05, 0x78], body: quotedTCPv4),
              kind: .destinationUnreachable, errno: EMSGSIZE, mtu: 1400, quotedProtocol: 6, quotedSource: "198.18.1.2",
              quotedDestination: "198.18.2.3", quotedPorts: (40000, 443)),
    ErrorCase(name: "time exceeded quoting echo", family: .ipv4, bytes: icmp(type: 11, code: 0, body: quotedEchoV4),
              kind: .timeExceeded, errno: EHOSTUNREACH, quotedProtocol: 1, quotedSource: "198.18.1.2",
              quotedDestination: "198.18.2.2", quotedEcho: (0xbeef, 5)),
    ErrorCase(name: "parameter problem with pointer", family: .ipv4, bytes: icmp(type: 12, code: 0, rest: [20, 0, 0, 0], body: quotedUDPv4),
              kind: .parameterProblem, errno: EPROTO, pointer: 20, quotedProtocol: 17, quotedSource: "127.0.0.1",
              quotedDestination: "127.0.0.1", quotedPorts: (51000, 9)),
    ErrorCase(name: "ICMPv6 admin-prohibited quoting TCP", family: .ipv6, bytes: icmp(type: 1, code: 1, body: quotedTCPv6),
              kind: .destinationUnreachable, errno: EACCES, quotedProtocol: 6, quotedSource: "fd00:1::2",
              quotedDestination: "fd00:2::3", quotedPorts: (40000, 443)),
    ErrorCase(name: "ICMPv6 packet too big", family: .ipv6, bytes: icmp(type: 2, code: 0, rest: [0, 0, 0x05, 0x00], body: quotedTCPv6),
              kind: .packetTooBig, errno: EMSGSIZE, mtu: 1280, quotedProtocol: 6, quotedSource: "fd00:1::2",
              quotedDestination: "fd00:2::3", quotedPorts: (40000, 443)),
    ErrorCase(name: "ICMPv6 hop limit exceeded quoting echo", family: .ipv6, bytes: icmp(type: 3, code: 0, body: quotedEchoV6),
              kind: .timeExceeded, errno: EHOSTUNREACH, quotedProtocol: 58, quotedSource: "fd00:1::2",
              quotedDestination: "fd00:2::2", quotedEcho: (0xbeef, 5)),
    ErrorCase(name: "ICMPv6 parameter problem", family: .ipv6, bytes: icmp(type: 4, code: 1, rest: [0, 0, 0, 40], body: quotedTCPv6),
              kind: .parameterProblem, errno: EPROTO, pointer: 40, quotedProtocol: 6, quotedSource: "fd00:1::2",
              quotedDestination: "fd00:2::3", quotedPorts: (40000, 443)),
    ErrorCase(name: "ICMPv6 quote with hop-by-hop and fragment headers", family: .ipv6,
              bytes: icmp(type: 1, code: 4, body: ipv6Header(nextHeader: 0, source: "fd00:1::2", destination: "fd00:2::3", payloadLength: 40)
                + [44, 0, 1, 4, 0, 0, 0, 0]  // hop-by-hop, 8 bytes, next: fragment
                + [17, 0, 0, 0, 0, 0, 0, 1]  // fragment, next: UDP
                + ports(53000, 53)),
              kind: .destinationUnreachable, errno: ECONNREFUSED, quotedProtocol: 17, quotedSource: "fd00:1::2",
              quotedDestination: "fd00:2::3", quotedPorts: (53000, 53)),
  ]

  @Test(arguments: errorCases)
  func errorsNameTheirQuotedFlow(_ testCase: ErrorCase) throws {
    let message = try ICMPPacket.parse(icmp: testCase.bytes, family: testCase.family)
    let error = try #require(message.error)
    #expect(error.kind == testCase.kind)
    #expect(error.mtu == testCase.mtu)
    #expect(error.pointer == testCase.pointer)
    let quoted = try #require(error.quoted)
    #expect(quoted.protocolNumber == testCase.quotedProtocol)
    #expect(quoted.source == IPAddress(testCase.quotedSource))
    #expect(quoted.destination == IPAddress(testCase.quotedDestination))
    #expect(quoted.sourcePort == testCase.quotedPorts?.0 && quoted.destinationPort == testCase.quotedPorts?.1)
    #expect(quoted.echoIdentifier == testCase.quotedEcho?.0 && quoted.echoSequence == testCase.quotedEcho?.1)
    let report = error.report(sender: IPAddress("198.18.1.1"))
    #expect(report.errno.code == testCase.errno)
    #expect(report.origin == (testCase.family == .ipv4 ? .icmp : .icmp6))
    #expect(report.sender == IPAddress("198.18.1.1"))
    if let mtu = testCase.mtu { #expect(report.mtu == mtu && report.isFragmentationNeeded) }
    if testCase.family == .ipv4 { #expect(message.checksumIsValid == true) }
  }

  @Test func tcpQuoteKeepsTheSequenceNumberAndTTL() throws {
    let quoted = try #require(try ICMPPacket.parse(icmp: Self.icmp(type: 3, code: 13, body: Self.quotedTCPv4), family: .ipv4).error?.quoted)
    #expect(quoted.tcpSequence == 0xdead_beef)
    #expect(quoted.ttl == 63)
  }

  // MARK: Flows

  @Test func flowMatchingTable() throws {
    let tcpQuote = try #require(try ICMPPacket.parse(icmp: Self.icmp(type: 3, code: 13, body: Self.quotedTCPv4), family: .ipv4).error?.quoted)
    let echoQuote = try #require(try ICMPPacket.parse(icmp: Self.icmp(type: 11, code: 0, body: Self.quotedEchoV4), family: .ipv4).error?.quoted)
    let remote = SocketAddress(IPAddress("198.18.2.3")!, port: 443)
    let cases: [(ICMPFlow, QuotedPacket, Bool)] = [
      (ICMPFlow(.tcp, remote: remote), tcpQuote, true),
      (ICMPFlow(.tcp, remote: remote, local: SocketAddress(IPAddress("198.18.1.2")!, port: 40000)), tcpQuote, true),
      (ICMPFlow(.tcp, remote: remote, local: SocketAddress(IPAddress("0.0.0.0")!, port: 0)), tcpQuote, true),
      (ICMPFlow(.tcp, remote: remote, local: SocketAddress(IPAddress("198.18.1.2")!, port: 40001)), tcpQuote, false),
      (ICMPFlow(.tcp, remote: remote, local: SocketAddress(IPAddress("198.18.1.3")!, port: 0)), tcpQuote, false),
      (ICMPFlow(.udp, remote: remote), tcpQuote, false),
      (ICMPFlow(.tcp, remote: SocketAddress(remote.address, port: 80)), tcpQuote, false),
      (ICMPFlow(.tcp, remote: SocketAddress(IPAddress("198.18.2.4")!, port: 443)), tcpQuote, false),
      (ICMPFlow(.tcp, remote: SocketAddress(IPAddress("fd00:2::3")!, port: 443)), tcpQuote, false),
      (ICMPFlow(.icmp, remote: SocketAddress(IPAddress("198.18.2.2")!, port: 0)), echoQuote, true),
      (ICMPFlow(.icmp, remote: SocketAddress(IPAddress("198.18.2.2")!, port: 0), local: SocketAddress(IPAddress("198.18.1.2")!, port: 0xbeef)), echoQuote, true),
      (ICMPFlow(.icmp, remote: SocketAddress(IPAddress("198.18.2.2")!, port: 0), local: SocketAddress(IPAddress("198.18.1.2")!, port: 1)), echoQuote, false),
      (ICMPFlow(.tcp, remote: SocketAddress(IPAddress("198.18.2.2")!, port: 0)), echoQuote, false),
    ]
    for (index, (flow, quote, expected)) in cases.enumerated() {
      #expect(flow.matches(quote) == expected, "case \(index): \(flow)")
    }
  }

  // MARK: Outcomes

  @Test func echoOutcomeClassificationTable() {
    let router = IPAddress("198.18.1.1")
    let cases: [(ICMPReport, Bool, ICMPEchoOutcome)] = [
      (ICMPReport(origin: .icmp, type: 3, code: 1, sender: router, errno: .hostUnreachable), false, .hostUnreachable),
      (ICMPReport(origin: .icmp, type: 3, code: 1, sender: router, errno: .hostUnreachable), true, .neighborUnreachable),
      (ICMPReport(origin: .icmp, type: 3, code: 0, sender: router, errno: .networkUnreachable), false, .networkUnreachable),
      (ICMPReport(origin: .icmp, type: 3, code: 13, sender: router, errno: .hostUnreachable), false, .adminProhibited),
      (ICMPReport(origin: .icmp, type: 3, code: 3, sender: router, errno: .connectionRefused), false, .portUnreachable),
      (ICMPReport(origin: .icmp, type: 3, code: 4, sender: router, errno: Errno(EMSGSIZE), mtu: 1400), false, .fragmentationNeeded),
      (ICMPReport(origin: .icmp, type: 3, code: 5, sender: router, errno: Errno(EOPNOTSUPP)), false, .destinationUnreachable),
      (ICMPReport(origin: .icmp, type: 11, code: 0, sender: router, errno: .hostUnreachable), false, .timeExceeded),
      (ICMPReport(origin: .icmp, type: 12, code: 0, sender: router, errno: Errno(EPROTO)), false, .parameterProblem),
      (ICMPReport(origin: .icmp6, type: 1, code: 1, sender: router, errno: .permissionDenied), false, .adminProhibited),
      (ICMPReport(origin: .icmp6, type: 1, code: 3, sender: router, errno: .hostUnreachable), true, .neighborUnreachable),
      (ICMPReport(origin: .icmp6, type: 1, code: 0, sender: router, errno: .networkUnreachable), false, .networkUnreachable),
      (ICMPReport(origin: .icmp6, type: 2, code: 0, sender: router, errno: Errno(EMSGSIZE), mtu: 1280), false, .fragmentationNeeded),
      (ICMPReport(origin: .icmp6, type: 3, code: 0, sender: router, errno: .hostUnreachable), false, .timeExceeded),
      (ICMPReport(origin: .local, type: 0, code: 0, sender: nil, errno: Errno(EMSGSIZE)), false, .fragmentationNeeded),
    ]
    for (report, ownStack, expected) in cases {
      #expect(ICMPEchoOutcome.classify(report, fromOwnStack: ownStack) == expected, "\(report)")
    }
    #expect(ICMPEchoOutcome.classifyLocal(.networkUnreachable) == .noRoute)
    #expect(ICMPEchoOutcome.classifyLocal(.notPermitted) == .notPermitted)
    #expect(ICMPEchoOutcome.neighborUnreachable.probeOutcome == .hostUnreachable)
    #expect(ICMPEchoOutcome.reply.probeOutcome.isAnswer)
  }

  @Test func statisticsKeepTheEchoOutcomeNames() {
    func result(_ outcome: ICMPEchoOutcome, _ rtt: Int64) -> ICMPEchoResult {
      ICMPEchoResult(sequence: 1, target: "t", address: .v4(198, 18, 0, 1), outcome: outcome, rttMicroseconds: rtt, method: .raw)
    }
    let statistics = ProbeStatistics(echoes: [result(.reply, 100), result(.reply, 300), result(.timeExceeded, 50), result(.timedOut, 3_000_000)])
    #expect(statistics.sent == 4 && statistics.answered == 2 && statistics.lossPercent == 50)
    #expect(statistics.minimumMicroseconds == 100 && statistics.maximumMicroseconds == 300)
    #expect(statistics.outcomes == ["reply": 2, "time-exceeded": 1, "timed-out": 1])
  }

  // MARK: Malformed input

  @Test(arguments: [
    ([UInt8](), AddressFamily.ipv4),
    ([8, 0, 0, 0, 0, 0, 0], .ipv4),
    ([129], .ipv6),
  ])
  func shortMessagesAreTruncated(bytes: [UInt8], family: AddressFamily) {
    #expect(throws: ICMPParseError.truncated(what: family == .ipv4 ? "ICMP header" : "ICMPv6 header", needed: 8, available: bytes.count)) {
      try ICMPPacket.parse(icmp: bytes, family: family)
    }
  }

  @Test func malformedIPv4DatagramsAreTypedErrors() {
    let reply = Self.icmp(type: 0, code: 0, rest: [0, 1, 0, 1])
    let good = Self.ipv4Header(protocolNumber: 1, source: "127.0.0.1", destination: "127.0.0.1", payloadLength: reply.count) + reply
    var shortIHL = good
    shortIHL[0] = 0x44
    var longIHL = good
    longIHL[0] = 0x4f  // 60-byte header in a 28-byte datagram
    var version6 = good
    version6[0] = 0x65
    var tooLong = good
    tooLong[3] = 200
    var underHeader = good
    underHeader[2] = 0
    underHeader[3] = 10
    var tcp = good
    tcp[9] = 6
    let cases: [([UInt8], ICMPParseError)] = [
      (Array(good.prefix(19)), .truncated(what: "IPv4 header", needed: 20, available: 19)),
      (shortIHL, .badLength(field: "IPv4 header length", value: 16)),
      (longIHL, .truncated(what: "IPv4 header", needed: 60, available: 28)),
      (version6, .wrongIPVersion(expected: 4, found: 6)),
      (tooLong, .truncated(what: "IPv4 datagram", needed: 200, available: 28)),
      (underHeader, .badLength(field: "IPv4 total length", value: 10)),
      (tcp, .notICMP(protocolNumber: 6)),
      (Array(good.prefix(24)), .truncated(what: "IPv4 datagram", needed: 28, available: 24)),
    ]
    for (bytes, expected) in cases {
      #expect(throws: expected) { try ICMPPacket.parse(ipv4Datagram: bytes) }
    }
  }

  @Test func errorsWithBadQuotesKeepTheErrorAndDropTheQuote() throws {
    let cases: [([UInt8], AddressFamily)] = [
      (Self.icmp(type: 3, code: 1), .ipv4),  // nothing quoted
      (Self.icmp(type: 3, code: 1, body: Array(Self.quotedTCPv4.prefix(12))), .ipv4),  // IP header cut short
      (Self.icmp(type: 3, code: 1, body: [0x6f] + Self.quotedTCPv4.dropFirst()), .ipv4),  // IPv6 version in an ICMP quote
      (Self.icmp(type: 3, code: 1, body: [0x4f] + Self.quotedTCPv4.dropFirst()), .ipv4),  // header length past the quote
      (Self.icmp(type: 1, code: 4, body: Array(Self.quotedTCPv6.prefix(39))), .ipv6),
    ]
    for (bytes, family) in cases {
      let error = try #require(try ICMPPacket.parse(icmp: bytes, family: family).error)
      #expect(error.quoted == nil)
    }
    // A quote that stops inside the transport header names the addresses but no ports.
    let short = try ICMPPacket.parse(icmp: Self.icmp(type: 3, code: 3, body: Array(Self.quotedUDPv4.prefix(22))), family: .ipv4)
    let quoted = try #require(short.error?.quoted)
    #expect(quoted.destination == IPAddress("127.0.0.1") && quoted.sourcePort == nil && quoted.destinationPort == nil)
    // Extension headers that run past the quote leave the protocol as the last one reached.
    let cut = Self.ipv6Header(nextHeader: 0, source: "fd00:1::2", destination: "fd00:2::3", payloadLength: 40) + [44, 200]
    let deep = try #require(try ICMPPacket.parse(icmp: Self.icmp(type: 1, code: 4, body: cut), family: .ipv6).error?.quoted)
    #expect(deep.protocolNumber == 44 && deep.sourcePort == nil)
  }

  @Test func wrongChecksumIsParsedAndFlagged() throws {
    var reply = Self.icmp(type: 0, code: 0, rest: [0, 1, 0, 2], body: [1, 2, 3, 4])
    reply[3] ^= 0xff
    let message = try ICMPPacket.parse(icmp: reply, family: .ipv4)
    #expect(message.checksumIsValid == false)
    #expect(message.echoReply?.sequence == 2)
  }

  /// Every prefix and many random corruptions of every valid message: errors or values, never a trap.
  @Test func prefixesAndCorruptionsNeverCrash() {
    var generator = SeededGenerator(seed: 0x1c3b)
    let samples: [([UInt8], AddressFamily)] = Self.errorCases.map { ($0.bytes, $0.family) } + [
      (Self.icmp(type: 0, code: 0, rest: [0, 1, 0, 1], body: [1, 2]), .ipv4),
      ([129, 0, 0, 0, 0, 1, 0, 1], .ipv6),
    ]
    var parsed = 0
    for (bytes, family) in samples {
      for length in 0...bytes.count {
        if (try? ICMPPacket.parse(icmp: bytes.prefix(length), family: family)) != nil { parsed += 1 }
        _ = try? ICMPPacket.parse(ipv4Datagram: bytes.prefix(length))
      }
      for _ in 0..<300 {
        var corrupted = bytes
        for _ in 0..<Int.random(in: 1...6, using: &generator) {
          corrupted[Int.random(in: 0..<corrupted.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
        }
        _ = try? ICMPPacket.parse(icmp: corrupted, family: family)
        _ = try? ICMPPacket.parse(icmp: corrupted, family: family == .ipv4 ? .ipv6 : .ipv4)
        _ = try? ICMPPacket.parse(ipv4Datagram: corrupted)
      }
    }
    for _ in 0..<2000 {
      let random = (0..<Int.random(in: 0...80, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
      _ = try? ICMPPacket.parse(ipv4Datagram: random)
      _ = try? ICMPPacket.parse(icmp: random, family: .ipv6)
    }
    #expect(parsed > 0)
  }
}
