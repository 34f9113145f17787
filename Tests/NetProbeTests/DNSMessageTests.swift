import Foundation
import TestSupport
import Testing
@testable import NetProbe

/// Crafted packets: valid answers parse, malformed ones give typed errors and never crash or hang.
@Suite struct DNSMessageTests {
  // MARK: Building crafted packets

  /// A header: id 0x1234, the flags given, and the section counts.
  static func header(id: UInt16 = 0x1234, flags: UInt16 = 0x8180, counts: [UInt16] = [1, 1, 0, 0]) -> [UInt8] {
    var bytes: [UInt8] = [UInt8(id >> 8), UInt8(id & 0xFF), UInt8(flags >> 8), UInt8(flags & 0xFF)]
    for count in counts { bytes += [UInt8(count >> 8), UInt8(count & 0xFF)] }
    return bytes
  }

  /// A name without compression: `www.test` -> 3 www 4 test 0.
  static func name(_ text: String) -> [UInt8] {
    var bytes: [UInt8] = []
    for label in text.split(separator: ".") { bytes += [UInt8(label.utf8.count)] + Array(label.utf8) }
    return bytes + [0]
  }

  /// Type, class IN (and for records, TTL 60 and the data).
  static func question(type: UInt16) -> [UInt8] { [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1] }

  static func recordTail(type: UInt16, data: [UInt8]) -> [UInt8] {
    question(type: type) + [0, 0, 0, 60, UInt8(data.count >> 8), UInt8(data.count & 0xFF)] + data
  }

  /// The response to www.test/A with one compressed answer 198.18.0.10; the question name sits at offset 12.
  static let validA: [UInt8] = header() + name("www.test") + question(type: 1) + [0xC0, 0x0C] + recordTail(type: 1, data: [198, 18, 0, 10])

  // MARK: Valid answers

  @Test func compressedAAnswerParses() throws {
    let message = try DNSMessage(parsing: Self.validA)
    #expect(message.header.id == 0x1234)
    #expect(message.header.isResponse && message.header.recursionDesired && message.header.recursionAvailable)
    #expect(message.header.responseCode == .noError)
    #expect(message.questions == [DNSQuestion(name: try DNSName("www.test"), type: .a)])
    #expect(message.answers.count == 1)
    #expect(message.answers[0].name == (try DNSName("www.test")))
    #expect(message.answers[0].address == .v4(198, 18, 0, 10))
    #expect(message.answers[0].ttl == 60)
  }

  @Test func cnameChainAndAAAAWithPointersIntoRecordData() throws {
    // www.test CNAME web.test (web + pointer to "test" at 16); web.test (pointer to the CNAME's data) AAAA fd00::10.
    var bytes = Self.header(counts: [1, 2, 0, 0]) + Self.name("www.test") + Self.question(type: 28)
    bytes += [0xC0, 0x0C] + Self.recordTail(type: 5, data: [3] + Array("web".utf8) + [0xC0, 16])
    let cnameData = bytes.count - 6
    bytes += [0xC0, UInt8(cnameData)] + Self.recordTail(type: 28, data: [0xfd] + [UInt8](repeating: 0, count: 14) + [0x10])
    let message = try DNSMessage(parsing: bytes)
    #expect(message.answers.map(\.type) == [.cname, .aaaa])
    #expect(message.answers[0].canonicalName == (try DNSName("web.test")))
    #expect(message.answers[1].name == (try DNSName("web.test")))
    #expect(message.answers[1].address == IPAddress("fd00::10"))
    let (chain, addresses) = DNSClient.follow(try DNSName("WWW.test"), type: .aaaa, in: message.answers)
    #expect(chain == [try DNSName("web.test")])
    #expect(addresses == [IPAddress("fd00::10")!])
  }

  @Test func negativeAnswerCarriesTheSOA() throws {
    let soa = Self.name("ns.test") + Self.name("hostmaster.test") + [0, 0, 0, 7, 0, 0, 14, 16, 0, 0, 2, 88, 0, 1, 81, 128, 0, 0, 0, 30]
    let bytes = Self.header(flags: 0x8583, counts: [1, 0, 1, 0]) + Self.name("nope.test") + Self.question(type: 1)
      + Self.name("test") + Self.recordTail(type: 6, data: soa)
    let message = try DNSMessage(parsing: bytes)
    #expect(message.header.responseCode == .nameError)
    #expect(message.header.isAuthoritative)
    guard case let .startOfAuthority(record) = message.authorities.first?.data else {
      Issue.record("no SOA")
      return
    }
    #expect(record.primaryServer == (try DNSName("ns.test")))
    #expect(record.serial == 7 && record.minimum == 30)
  }

  @Test func otherTypesAreKeptAsTheirLength() throws {
    let bytes = Self.header(counts: [1, 1, 0, 1]) + Self.name("www.test") + Self.question(type: 16)
      + [0xC0, 0x0C] + Self.recordTail(type: 16, data: [5] + Array("hello".utf8))
      + [0] + [0, 41, 0x04, 0xD0, 0, 0, 0, 0, 0, 0]  // an EDNS0 OPT record
    let message = try DNSMessage(parsing: bytes)
    #expect(message.answers[0].data == .other(length: 6))
    #expect(message.additionals[0].type == .opt)
  }

  @Test func chainedPointersReadTheWholeName() throws {
    let message = try DNSMessage(parsing: Self.nameThroughPointers)
    #expect(message.answers[1].name.labels.count == 3)
    #expect(message.answers[1].name.wireLength == 193)
    #expect(message.answers[1].address == .v4(198, 18, 0, 1))
  }

  @Test func headerFlagsAreRead() throws {
    // QR, opcode 0, AA, TC, RD, RA, AD, CD, rcode 2.
    let header = try DNSHeader(parsing: Self.header(flags: 0b1000_0111_1011_0010, counts: [0, 0, 0, 0]))
    #expect(header.flagNames == ["qr", "aa", "tc", "rd", "ra", "ad", "cd"])
    #expect(header.responseCode == .serverFailure)
    #expect(header.flagBits == 0b1000_0111_1011_0010)
  }

  @Test func builtMessagesRoundTrip() throws {
    let www = try DNSName("www.example.test")
    let query = DNSMessage.query(for: www, type: .aaaa, id: 4242)
    let parsedQuery = try DNSMessage(parsing: query.encoded())
    #expect(parsedQuery.header.id == 4242 && parsedQuery.header.recursionDesired && !parsedQuery.header.isResponse)
    #expect(parsedQuery.questions == query.questions)

    let response = DNSMessage(
      header: DNSHeader(id: 4242, isResponse: true, isAuthoritative: true, responseCode: .noError),
      questions: query.questions,
      answers: [DNSRecord(name: www, type: .cname, ttl: 30, data: .canonicalName(try DNSName("web.example.test"))),
                .address(IPAddress("fd00::1")!, name: try DNSName("web.example.test")),
                .address(.v4(198, 18, 0, 1), name: try DNSName("web.example.test"))],
      authorities: [DNSRecord(name: try DNSName("example.test"), type: .soa, ttl: 60, data: .startOfAuthority(
        DNSStartOfAuthority(primaryServer: try DNSName("ns.example.test"), responsibleMailbox: try DNSName("h.example.test"))))],
      additionals: [DNSRecord(name: .root, type: .opt, recordClass: 1232, ttl: 0, data: .other(length: 0))])
    let bytes = response.encoded()
    let parsed = try DNSMessage(parsing: bytes)
    #expect(parsed.answers == response.answers)
    #expect(parsed.authorities == response.authorities)
    #expect(parsed.additionals == response.additionals)
    #expect(parsed.header.answerCount == 3 && parsed.header.isAuthoritative)
    #expect(parsed.encoded() == bytes)

    // And through JSON, as reports are stored and replayed.
    let json = try JSONEncoder().encode(parsed)
    #expect(try JSONDecoder().decode(DNSMessage.self, from: json) == parsed)
    let text = String(decoding: try JSONEncoder().encode(parsed.answers[2]), as: UTF8.self)
    #expect(text.contains("\"address\":\"198.18.0.1\"") && text.contains("\"type\":\"A\""))
  }

  @Test func queryIDsAreRandom() {
    let ids = Set((0..<64).map { _ in DNSMessage.query(for: .root, type: .a).header.id })
    #expect(ids.count > 32)
  }

  // MARK: Malformed input

  /// A message whose first answer (type 99, kept as opaque data) holds `stretches`, and whose second answer's
  /// owner name is a pointer to `entry` inside them: the way to put names before a pointer without them being
  /// read as questions. `stretches` gets the absolute offset its data starts at.
  static func pointingInto(_ stretches: (Int) -> (data: [UInt8], entry: Int)) -> [UInt8] {
    let base = 12 + 1 + 10  // header, root owner name, type/class/TTL/length
    let (data, entry) = stretches(base)
    return header(counts: [0, 2, 0, 0]) + [0] + recordTail(type: 99, data: data)
      + [0xC0 | UInt8(entry >> 8), UInt8(entry & 0xFF)] + recordTail(type: 1, data: [198, 18, 0, 1])
  }

  /// 130 pointers, each to the one before it, ending at a root label.
  static let pointerChain: [UInt8] = pointingInto { base in
    var data: [UInt8] = [0]
    var previous = base
    for _ in 0..<130 {
      let here = base + data.count
      data += [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
      previous = here
    }
    return (data, previous)
  }

  /// Four 63-byte labels, each stretch ending in a pointer to the previous one: 257 bytes once expanded.
  static let longNameThroughPointers: [UInt8] = pointingInto { base in
    let label = [UInt8(63)] + [UInt8](repeating: UInt8(ascii: "a"), count: 63)
    var data = label + [0]
    var previous = base
    for _ in 0..<3 {
      let here = base + data.count
      data += label + [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
      previous = here
    }
    return (data, previous)
  }

  /// The same with three labels: 193 bytes, a valid name reached through three pointers.
  static let nameThroughPointers: [UInt8] = pointingInto { base in
    let label = [UInt8(63)] + [UInt8](repeating: UInt8(ascii: "a"), count: 63)
    var data = label + [0]
    var previous = base
    for _ in 0..<2 {
      let here = base + data.count
      data += label + [0xC0 | UInt8(previous >> 8), UInt8(previous & 0xFF)]
      previous = here
    }
    return (data, previous)
  }

  static let malformed: [(String, [UInt8], DNSMessageError.Kind)] = [
    ("empty", [], .truncatedHeader),
    ("11-byte header", Array(validA.prefix(11)), .truncatedHeader),
    ("question cut in its name", Array(validA.prefix(16)), .truncated),
    ("question without type and class", header(counts: [1, 0, 0, 0]) + name("www.test"), .truncated),
    ("record cut in its data", Array(validA.dropLast(2)), .truncated),
    ("record cut before its data length", Array(validA.dropLast(5)), .truncated),
    ("answer count larger than the data", header(counts: [1, 5, 0, 0]) + Array(validA.dropFirst(12)), .truncated),
    ("65535 questions and no data", header(counts: [65_535, 0, 0, 0]), .truncated),
    ("65535 additional records and no data", header(counts: [0, 0, 0, 65_535]), .truncated),
    ("pointer to itself", header(counts: [1, 0, 0, 0]) + [0xC0, 12] + question(type: 1), .pointerLoop),
    ("pointer back into its own name", header(counts: [1, 0, 0, 0]) + [1, UInt8(ascii: "a"), 0xC0, 12] + question(type: 1), .pointerLoop),
    ("forward pointer", header(counts: [1, 0, 0, 0]) + [0xC0, 16] + question(type: 1) + [0], .forwardPointer),
    ("pointer past the end", header(counts: [1, 0, 0, 0]) + [0xFF, 0xFF], .forwardPointer),
    ("pointer cut in half", header(counts: [1, 0, 0, 0]) + [0xC0], .truncated),
    ("label length 64", header(counts: [1, 0, 0, 0]) + [64] + [UInt8](repeating: 97, count: 64) + [0] + question(type: 1), .labelTooLong),
    ("label type 10", header(counts: [1, 0, 0, 0]) + [0x80, 0] + question(type: 1), .labelTooLong),
    ("label longer than the data", header(counts: [1, 0, 0, 0]) + [20, 97, 97], .truncated),
    ("name over 255 bytes", header(counts: [1, 0, 0, 0]) + (0..<5).flatMap { _ in [UInt8(63)] + [UInt8](repeating: 98, count: 63) } + [0] + question(type: 1), .nameTooLong),
    ("name over 255 bytes through pointers", longNameThroughPointers, .nameTooLong),
    ("a chain of 130 pointers", pointerChain, .tooManyPointers),
    ("A record of 5 bytes", header() + name("www.test") + question(type: 1) + [0xC0, 0x0C] + recordTail(type: 1, data: [1, 2, 3, 4, 5]), .badRecordLength),
    ("AAAA record of 4 bytes", header() + name("www.test") + question(type: 28) + [0xC0, 0x0C] + recordTail(type: 28, data: [1, 2, 3, 4]), .badRecordLength),
    ("CNAME whose name runs past its data", header() + name("www.test") + question(type: 5) + [0xC0, 0x0C] + recordTail(type: 5, data: [3, 97, 97]) + [97, 0], .truncated),
    ("CNAME with bytes after its name", header() + name("www.test") + question(type: 5) + [0xC0, 0x0C] + recordTail(type: 5, data: [1, 97, 0, 0]), .badRecordLength),
    ("SOA too short", header(counts: [1, 0, 1, 0]) + name("x.test") + question(type: 1) + [0xC0, 0x0C] + recordTail(type: 6, data: [0, 0, 1, 2]), .badRecordLength),
  ]

  @Test(arguments: malformed.indices)
  func malformedInputIsATypedError(index: Int) {
    let (label, bytes, kind) = Self.malformed[index]
    do {
      let message = try DNSMessage(parsing: bytes)
      Issue.record("\(label): parsed as \(message)")
    } catch {
      #expect(error.kind == kind, "\(label): \(error)")
      #expect(error.offset >= 0 && error.offset <= bytes.count, "\(label): \(error)")
    }
  }

  @Test func errorsSayWhereAndWhat() {
    #expect(throws: DNSMessageError(.truncated, offset: 42, context: "answer 2")) {
      try DNSMessage(parsing: Self.header(counts: [1, 2, 0, 0]) + Array(Self.validA.dropFirst(12)))
    }
    #expect(DNSMessageError(.pointerLoop, offset: 12, context: "question 1").description == "pointer-loop at byte 12 in question 1")
  }

  @Test func everyPrefixAndRandomCorruptionEndsCleanly() {
    // No input may crash or hang the parser: every prefix, and thousands of random byte changes.
    let samples = [Self.validA, Self.pointerChain, Self.longNameThroughPointers, Self.nameThroughPointers]
    for sample in samples {
      for length in 0...sample.count { _ = try? DNSMessage(parsing: Array(sample.prefix(length))) }
    }
    var random = SeededGenerator(seed: 0x5eed)
    for _ in 0..<5_000 {
      var bytes = samples[Int.random(in: 0..<samples.count, using: &random)]
      for _ in 0..<Int.random(in: 1...6, using: &random) {
        bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
      }
      _ = try? DNSMessage(parsing: bytes)
      _ = DNSClient.mismatch(bytes, query: DNSMessage.query(for: .root, type: .a, id: 0x1234))
    }
  }

  // MARK: Matching responses to the query

  @Test func mismatchesAreRecognised() throws {
    let query = DNSMessage.query(for: try DNSName("www.test"), type: .a, id: 0x1234)
    #expect(DNSClient.mismatch(Self.validA, query: query) == nil)
    #expect(DNSClient.mismatch(Self.validA, query: DNSMessage.query(for: try DNSName("WWW.TEST"), type: .a, id: 0x1234)) == nil)
    #expect(DNSClient.mismatch([1, 2, 3], query: query)?.contains("too short") == true)
    #expect(DNSClient.mismatch(Self.header(id: 0x4321) + Array(Self.validA.dropFirst(12)), query: query) == "a response with id 0x4321, not 0x1234")
    #expect(DNSClient.mismatch(Self.header(flags: 0x0100) + Array(Self.validA.dropFirst(12)), query: query)?.contains("QR clear") == true)
    let otherName = DNSMessage.query(for: try DNSName("mail.test"), type: .a, id: 0x1234)
    #expect(DNSClient.mismatch(Self.validA, query: otherName) == "a response for www.test/A, not mail.test/A")
    let otherType = DNSMessage.query(for: try DNSName("www.test"), type: .aaaa, id: 0x1234)
    #expect(DNSClient.mismatch(Self.validA, query: otherType)?.contains("not www.test/AAAA") == true)
    // REFUSED without a question section: matched by id alone.
    #expect(DNSClient.mismatch(Self.header(flags: 0x8185, counts: [0, 0, 0, 0]), query: query) == nil)
  }

  @Test func truncatedAndMalformedResponsesAreClassified() throws {
    let name = try DNSName("www.test")
    func classify(_ bytes: [UInt8], type: DNSRecordType = .a) -> DNSQueryResult {
      var result = DNSQueryResult(server: SocketAddress(.v4(127, 0, 0, 1), port: 53), name: name, type: type, id: 0x1234,
                                  outcome: .timedOut, elapsedMicroseconds: 1)
      DNSClient.accept(bytes, into: &result)
      return result
    }
    #expect(classify(Self.validA).outcome == .answer)
    #expect(classify(Self.validA).addresses == [.v4(198, 18, 0, 10)])
    #expect(classify(Self.validA, type: .aaaa).outcome == .noData)
    // TC set and cut inside the record: still "truncated", not "malformed".
    let cut = Self.header(flags: 0x8380) + Array(Self.validA.dropFirst(12).dropLast(3))
    #expect(classify(cut).outcome == .truncated)
    #expect(classify(cut).header?.isTruncated == true)
    let broken = classify(Array(Self.validA.dropLast(3)))
    #expect(broken.outcome == .malformed)
    #expect(broken.malformed?.kind == .truncated)
    for (flags, outcome) in [(UInt16(0x8183), DNSQueryOutcome.nxdomain), (0x8182, .servfail), (0x8185, .refused), (0x8181, .otherResponseCode)] {
      let bytes = Self.header(flags: flags, counts: [1, 0, 0, 0]) + Self.name("www.test") + Self.question(type: 1)
      #expect(classify(bytes).outcome == outcome)
    }
  }

  // MARK: Names, types, codes

  @Test(arguments: [
    ("www.example.test", 3, true),
    ("www.example.test.", 3, true),
    (".", 0, true),
    ("", 0, false),
    ("a..b", 0, false),
    (".a", 0, false),
    (String(repeating: "x", count: 63) + ".test", 2, true),
    (String(repeating: "x", count: 64) + ".test", 0, false),
    (Array(repeating: String(repeating: "y", count: 63), count: 3).joined(separator: ".") + "." + String(repeating: "z", count: 61), 4, true),
    (Array(repeating: String(repeating: "y", count: 63), count: 4).joined(separator: "."), 0, false),
    ("a\\.b.test", 2, true),
    ("tab\\009.test", 2, true),
    ("x\\256.test", 0, false),
    ("trailing\\", 0, false),
  ])
  func namesParse(text: String, labels: Int, valid: Bool) {
    do {
      let name = try DNSName(text)
      #expect(valid, "\(text) parsed")
      #expect(name.labels.count == labels)
      #expect(name.wireLength <= 255)
      #expect(try DNSName(name.description) == name, "\(name) round trip")
    } catch {
      #expect(!valid, "\(text): \(error)")
      #expect(error.description.contains("is not a valid DNS name"))
    }
  }

  @Test func namesPrintSafelyAndCompareWithoutCase() throws {
    let name = try DNSName(labels: [[0x1B, 0x5B, 0x32, 0x4A], Array("a.b".utf8), Array("Test".utf8)])
    #expect(name.description == "\\027[2J.a\\.b.Test")
    #expect(try DNSName(name.description) == name)
    #expect(try DNSName("WWW.Example.TEST") == (try DNSName("www.example.test.")))
    #expect(Set([try DNSName("A.test"), try DNSName("a.TEST")]).count == 1)
    #expect(DNSName.root.description == "." && DNSName.root.wireLength == 1)
  }

  @Test func typesAndCodesHaveNames() {
    #expect(DNSRecordType.aaaa.name == "AAAA")
    #expect(DNSRecordType(rawValue: 65_534).name == "TYPE65534")
    #expect(DNSRecordType(name: "aaaa") == .aaaa && DNSRecordType(name: "TYPE99") == DNSRecordType(rawValue: 99))
    #expect(DNSRecordType(name: "bogus") == nil)
    #expect(DNSResponseCode.nameError.name == "NXDOMAIN" && DNSResponseCode(rawValue: 12).name == "RCODE12")
  }
}
