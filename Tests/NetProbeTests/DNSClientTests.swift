import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe
import TestSupport

/// The client against the project's own responder on loopback: no query leaves the machine.
@Suite struct DNSClientTests {
  static let www = try! DNSName("www.nettriage.test")
  static let zone: [DNSName: [IPAddress]] = [
    www: [.v4(198, 18, 0, 10), .v4(198, 18, 0, 11), IPAddress("fd00::10")!],
    try! DNSName("v4only.nettriage.test"): [.v4(198, 18, 0, 20)],
  ]

  static func responder(_ mode: DNSResponder.Mode = .answer, on host: String = "127.0.0.1", delay: Duration = .zero,
                        decoys: Bool = false) throws -> DNSResponder {
    try DNSResponder(address: SocketAddress(IPAddress(host)!, port: 0),
                     configuration: .init(zone: zone, aliases: [try DNSName("alias.nettriage.test"): www], mode: mode,
                                          delay: delay, sendsDecoys: decoys))
  }

  @Test(arguments: [("127.0.0.1", DNSRecordType.a), ("127.0.0.1", .aaaa), ("::1", .a), ("::1", .aaaa)])
  func answerHasTheAddressesAndTiming(host: String, type: DNSRecordType) async throws {
    let responder = try Self.responder(on: host)
    #expect(responder.port != 0)
    let result = await DNSClient.query(Self.www, type: type, server: responder.address, timeout: .seconds(3))
    #expect(result.outcome == .answer)
    let expected = type == .a ? [IPAddress.v4(198, 18, 0, 10), .v4(198, 18, 0, 11)] : [IPAddress("fd00::10")!]
    #expect(result.addresses == expected)
    #expect(result.elapsedMicroseconds > 0 && result.elapsedMicroseconds < 2_000_000)
    #expect(result.header?.id == result.id)
    #expect(result.header?.isAuthoritative == true && result.responseCode == .noError)
    #expect(result.local.map { $0.port != 0 && $0.port != responder.port } == true)
    #expect(result.ignored.isEmpty && result.errno == nil)
    #expect(responder.queriesReceived == 1)
  }

  @Test func cnameChainIsFollowed() async throws {
    let responder = try Self.responder()
    let result = await DNSClient.query(try DNSName("ALIAS.nettriage.test"), type: .a, server: responder.address)
    #expect(result.outcome == .answer)
    #expect(result.canonicalNames == [Self.www])
    #expect(result.addresses == [.v4(198, 18, 0, 10), .v4(198, 18, 0, 11)])
  }

  @Test func knownNameWithoutThatTypeIsNoData() async throws {
    let responder = try Self.responder()
    let result = await DNSClient.query(try DNSName("v4only.nettriage.test"), type: .aaaa, server: responder.address)
    #expect(result.outcome == .noData)
    #expect(result.addresses.isEmpty && result.responseCode == .noError)
    #expect(result.authorities.first?.type == .soa)
  }

  @Test(arguments: [
    (DNSResponder.Mode.answer, "missing.nettriage.test", DNSQueryOutcome.nxdomain, "NXDOMAIN"),
    (.nxdomain, "www.nettriage.test", .nxdomain, "NXDOMAIN"),
    (.servfail, "www.nettriage.test", .servfail, "SERVFAIL"),
    (.refused, "www.nettriage.test", .refused, "REFUSED"),
  ])
  func negativeAnswersAreClassified(mode: DNSResponder.Mode, name: String, outcome: DNSQueryOutcome, code: String) async throws {
    let responder = try Self.responder(mode)
    let result = await DNSClient.query(try DNSName(name), type: .a, server: responder.address)
    #expect(result.outcome == outcome)
    #expect(result.responseCode?.name == code)
    #expect(result.addresses.isEmpty)
    #expect(result.elapsedMicroseconds < 2_000_000)
  }

  @Test func silentServerTimesOutAtTheDeadline() async throws {
    let responder = try Self.responder(.silent)
    let result = await DNSClient.query(Self.www, type: .a, server: responder.address, timeout: .milliseconds(300))
    #expect(result.outcome == .timedOut)
    #expect(result.elapsedMicroseconds >= 290_000 && result.elapsedMicroseconds < 2_300_000)
    #expect(result.header == nil)
    #expect(responder.queriesReceived == 1)
  }

  @Test func truncatedAnswerIsReported() async throws {
    let responder = try Self.responder(.truncated)
    let result = await DNSClient.query(Self.www, type: .a, server: responder.address)
    #expect(result.outcome == .truncated)
    #expect(result.header?.isTruncated == true)
  }

  @Test(arguments: [AddressFamily.ipv4, .ipv6])
  func closedPortIsServerRefused(family: AddressFamily) async throws {
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue), family: family)
    let server = SocketAddress(family == .ipv4 ? .v4(127, 0, 0, 1) : IPAddress("::1")!, port: port)
    let result = await DNSClient.query(Self.www, type: .a, server: server, timeout: .seconds(2))
    #expect(result.outcome == .portClosed)
    #expect(result.errno == .connectionRefused)
    #expect(result.icmp?.isPortUnreachable == true)
    #expect(result.elapsedMicroseconds < 1_000_000)
  }

  @Test func decoysAreIgnoredAndTheRightAnswerWins() async throws {
    let responder = try Self.responder(decoys: true)
    let result = await DNSClient.query(Self.www, type: .a, server: responder.address)
    #expect(result.outcome == .answer)
    #expect(result.addresses == [.v4(198, 18, 0, 10), .v4(198, 18, 0, 11)])
    #expect(result.ignored.count == 3)
    #expect(result.ignored.contains { $0.contains("too short") })
    #expect(result.ignored.contains { $0.hasPrefix("a response with id") })
    #expect(result.ignored.contains { $0.contains("www.nettriage.test/TXT, not www.nettriage.test/A") })
  }

  @Test func onlyMismatchesMeansTimeout() async throws {
    // An echo sends our own query back: our id, but QR clear. The client keeps waiting to the deadline.
    let echo = try LoopbackUDPEcho()
    let result = await DNSClient.query(Self.www, type: .a, server: echo.socketAddress, timeout: .milliseconds(300))
    #expect(result.outcome == .timedOut)
    #expect(result.ignored == ["a query (QR clear) with our id"])
  }

  @Test func lateAnswerIsTimedAndStillAccepted() async throws {
    let responder = try Self.responder(delay: .milliseconds(300), decoys: true)
    let result = await DNSClient.query(Self.www, type: .a, server: responder.address, timeout: .seconds(3))
    #expect(result.outcome == .answer)
    #expect(result.elapsedMicroseconds >= 290_000 && result.elapsedMicroseconds < 2_500_000)
  }

  @Test func manyQueriesAtOnceEachGetTheirOwnAnswer() async throws {
    let responder = try Self.responder()
    let results = await withTaskGroup(of: DNSQueryResult.self) { group in
      for index in 0..<24 {
        group.addTask { await DNSClient.query(Self.www, type: index % 2 == 0 ? .a : .aaaa, server: responder.address) }
      }
      return await group.reduce(into: []) { $0.append($1) }
    }
    #expect(results.count == 24)
    #expect(results.allSatisfy { $0.outcome == .answer && $0.ignored.isEmpty })
    #expect(responder.queriesReceived == 24)
  }

  @Test func cancellationEndsTheWait() async throws {
    let responder = try Self.responder(.silent)
    let start = ContinuousClock.now
    let task = Task { await DNSClient.query(Self.www, type: .a, server: responder.address, timeout: .seconds(20)) }
    try await Task.sleep(for: .milliseconds(100))
    task.cancel()
    let result = await task.value
    #expect(result.outcome == .cancelled)
    #expect(ContinuousClock.now - start < .seconds(10))
  }

  @Test func stoppedResponderClosesItsPortAndModesChangeLive() async throws {
    let responder = try Self.responder()
    #expect(await DNSClient.query(Self.www, type: .a, server: responder.address).outcome == .answer)
    responder.configuration.mode = .servfail
    #expect(await DNSClient.query(Self.www, type: .a, server: responder.address).outcome == .servfail)
    responder.stop()
    responder.stop()  // a second stop does nothing
    let after = await DNSClient.query(Self.www, type: .a, server: responder.address, timeout: .seconds(2))
    #expect(after.outcome == .portClosed)
  }

  @Test func responderAnswersFromItsTable() throws {
    let configuration = DNSResponder.Configuration(zone: Self.zone, aliases: [try DNSName("alias.nettriage.test"): Self.www])
    let query = DNSMessage.query(for: try DNSName("alias.nettriage.test"), type: .aaaa, id: 7)
    let response = try #require(DNSResponder.response(to: query, configuration: configuration))
    #expect(response.header.id == 7 && response.header.isResponse && response.header.isAuthoritative)
    #expect(response.answers.map(\.type) == [.cname, .aaaa])
    #expect(response.questions == query.questions)
    var silent = configuration
    silent.mode = .silent
    #expect(DNSResponder.response(to: query, configuration: silent) == nil)
  }
}
