import Foundation
import Testing
import TestSupport
@testable import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Traceroute against loopback: every mode reaches 127.0.0.1 and ::1 in one hop, with the destination's own answer.
@Suite struct TraceLoopbackTests {
  static let loopbacks = [IPAddress.v4(127, 0, 0, 1), IPAddress("::1")!]

  /// Runs a trace; nil when ICMP mode cannot open a socket here (not root, no ping group): that is checked apart.
  static func trace(_ address: SocketAddress, mode: TraceMode, queries: Int = 3, maxHops: Int = 30) async throws -> TraceResult? {
    let options = TraceOptions(mode: mode, maxHops: maxHops, queries: queries, timeout: .seconds(5))
    do {
      return try await Traceroute.trace(to: address, target: address.host, options: options)
    } catch {
      #expect(mode == .icmp)
      #expect(error.reason.contains("needs CAP_NET_RAW"))
      return nil
    }
  }

  static func expectReachedInOneHop(_ result: TraceResult, address: IPAddress, answer: TraceAnswer, queries: Int = 3) {
    #expect(result.reached)
    #expect(result.conclusion == TraceConclusion(kind: .reached, hop: 1, address: address, answer: answer,
                                                 icmp: result.conclusion.icmp, errno: result.conclusion.errno))
    #expect(result.hops.count == 1)
    let hop = result.hops[0]
    #expect(hop.ttl == 1)
    #expect(hop.probes.count == queries)
    #expect(hop.probes.allSatisfy { $0.answer == answer && $0.responder == address && $0.rttMicroseconds != nil })
    #expect(hop.responders.count == 1)
    #expect(hop.responders.first?.rttMicroseconds.count == queries)
    // Nothing waited for the timeout. Loopback answers while the next probe is being sent, so the trace may stop
    // sending after hop 1's probes.
    #expect(result.elapsedMicroseconds < 4_000_000)
    #expect(result.probesSent >= queries)
  }

  @Test(arguments: loopbacks)
  func icmpReachesLoopbackInOneHop(address: IPAddress) async throws {
    guard let result = try await Self.trace(SocketAddress(address, port: 0), mode: .icmp) else { return }
    Self.expectReachedInOneHop(result, address: address, answer: .echoReply)
    #expect(result.port == nil)
    #expect(result.icmpMethod != nil)
  }

  @Test(arguments: loopbacks)
  func udpReachesLoopbackWithPortUnreachable(address: IPAddress) async throws {
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue), family: address.family)
    let result = try #require(try await Self.trace(SocketAddress(address, port: port), mode: .udp))
    Self.expectReachedInOneHop(result, address: address, answer: .portUnreachable)
    let icmp = try #require(result.hops[0].responders[0].icmp)
    #expect(icmp.isPortUnreachable && icmp.sender == address)
    #expect(result.port == port)
  }

  @Test(arguments: loopbacks)
  func udpReachesALoopbackEchoWithItsReply(address: IPAddress) async throws {
    let echo = try LoopbackUDPEcho(address: address)
    let result = try #require(try await Self.trace(SocketAddress(address, port: echo.port), mode: .udp, queries: 2))
    Self.expectReachedInOneHop(result, address: address, answer: .udpReply, queries: 2)
  }

  @Test(arguments: loopbacks)
  func tcpReachesALoopbackListenerWithSynAck(address: IPAddress) async throws {
    let listener = try LoopbackTCPListener(address: address)
    let result = try #require(try await Self.trace(listener.socketAddress, mode: .tcp))
    Self.expectReachedInOneHop(result, address: address, answer: .synAck)
    #expect(result.rawListener == nil)  // loopback answers with RST, never ICMP: no raw socket opened
    #expect(result.notes.isEmpty)
  }

  @Test(arguments: loopbacks)
  func tcpToAClosedLoopbackPortIsReachedWithReset(address: IPAddress) async throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue), family: address.family)
    let result = try #require(try await Self.trace(SocketAddress(address, port: port), mode: .tcp))
    Self.expectReachedInOneHop(result, address: address, answer: .reset)
    #expect(result.hops[0].probes.allSatisfy { $0.errno == .connectionRefused })
  }

  @Test func maxHopsOneSendsOnlyTheFirstHop() async throws {
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue))
    let result = try #require(try await Self.trace(SocketAddress(.v4(127, 0, 0, 1), port: port), mode: .udp, queries: 1, maxHops: 1))
    #expect(result.probesSent == 1)
    #expect(result.reached)
  }

  @Test func resultRoundTripsThroughJSON() async throws {
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue))
    let result = try #require(try await Self.trace(SocketAddress(.v4(127, 0, 0, 1), port: port), mode: .udp))
    let data = try JSONEncoder().encode(result)
    #expect(try JSONDecoder().decode(TraceResult.self, from: data) == result)
    let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    #expect(object["reached"] as? Bool == true)
    #expect((object["conclusion"] as? [String: Any])?["kind"] as? String == "reached")
  }

  @Test func cancellingStopsATraceWithWhatItHas() throws {
    // A silent UDP socket on loopback: the datagrams arrive and nothing comes back, so only the timeout would end it.
    let silent = try LoopbackUDPSink()
    let session = try Traceroute.open(to: SocketAddress(.v4(127, 0, 0, 1), port: silent.port), target: "127.0.0.1",
                                      options: TraceOptions(mode: .udp, maxHops: 2, queries: 1, timeout: .seconds(30)))
    let signal = CancellationSignal()
    DispatchQueue.global().asyncAfter(deadline: .now() + 0.3) { signal.fire() }
    let start = ContinuousClock.now
    let result = session.run(cancellation: signal)
    #expect(ContinuousClock.now - start < .seconds(10))
    #expect(result.conclusion.kind == .cancelled)
    #expect(result.hops.first?.probes.first?.answer == .cancelled)
    #expect(!result.reached)
  }
}

/// A bound UDP socket that never answers: datagrams to it vanish, like a filtered port.
final class LoopbackUDPSink: @unchecked Sendable {
  let descriptor: Int32
  let port: UInt16

  init() throws {
    let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    let bound = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard bound == 0 else {
      close(fd)
      throw Errno.current
    }
    descriptor = fd
    port = LoopbackTCPListener.boundPort(fd)
  }

  deinit { close(descriptor) }
}

/// The schedule: TTL order, the window, and the stop at the TTL whose answer ended the trace.
@Suite struct TraceScheduleTests {
  static func probe(_ ttl: Int, _ query: Int, _ answer: TraceAnswer, from responder: IPAddress? = nil) -> TraceProbe {
    TraceProbe(ttl: ttl, query: query, answer: answer, responder: responder, rttMicroseconds: answer == .noAnswer ? nil : 100)
  }

  @Test func sendsInTTLOrderUpToTheWindow() {
    var schedule = TraceSchedule(maxHops: 4, queries: 2, window: 3)
    var sent: [TraceSchedule.Slot] = []
    while let slot = schedule.next() { sent.append(slot) }
    #expect(sent.map(\.ttl) == [1, 1, 2])
    #expect(sent.map(\.query) == [1, 2, 1])
    schedule.record(Self.probe(1, 1, .timeExceeded), at: 0)
    #expect(schedule.next()?.index == 3)
    #expect(schedule.next() == nil)
  }

  @Test func anAnswerThatEndsTheTraceStopsHigherTTLs() {
    var schedule = TraceSchedule(maxHops: 30, queries: 1, window: 4)
    while schedule.next() != nil {}
    let destination = IPAddress.v4(198, 18, 2, 2)
    schedule.record(Self.probe(3, 1, .portUnreachable, from: destination), at: 2)
    #expect(schedule.stopTTL == 3)
    #expect(schedule.next() == nil)  // TTL 5 and up are not worth sending
    #expect(schedule.awaited == [0, 1])  // TTL 4 is in flight but no longer waited for
    schedule.record(Self.probe(1, 1, .timeExceeded, from: .v4(198, 18, 1, 1)), at: 0)
    schedule.record(Self.probe(2, 1, .noAnswer), at: 1)
    #expect(schedule.isDone)
    let hops = schedule.hops()
    #expect(hops.map(\.ttl) == [1, 2, 3])
    #expect(hops[1].isSilent)
    #expect(schedule.sent == 4)
  }

  @Test func aLowerEndingTTLMovesTheStopDown() {
    var schedule = TraceSchedule(maxHops: 10, queries: 1, window: 10)
    while schedule.next() != nil {}
    schedule.record(Self.probe(5, 1, .echoReply), at: 4)
    schedule.record(Self.probe(2, 1, .adminProhibited), at: 1)
    #expect(schedule.stopTTL == 2)
    schedule.record(Self.probe(1, 1, .timeExceeded), at: 0)
    #expect(schedule.isDone)
    #expect(schedule.hops().count == 2)
  }

  @Test func probesWithoutAnOutcomeShowAsMissing() {
    var schedule = TraceSchedule(maxHops: 2, queries: 2, window: 8)
    while schedule.next() != nil {}
    schedule.record(Self.probe(1, 1, .timeExceeded), at: 0)
    let hops = schedule.hops(missing: .cancelled)
    #expect(hops.count == 2)
    #expect(hops[0].probes.map(\.answer) == [.timeExceeded, .cancelled])
    #expect(hops[1].unanswered == 2)
  }

  @Test func aRecordedProbeIsNotRecordedTwice() {
    var schedule = TraceSchedule(maxHops: 1, queries: 1, window: 1)
    _ = schedule.next()
    schedule.record(Self.probe(1, 1, .timeExceeded), at: 0)
    schedule.record(Self.probe(1, 1, .echoReply), at: 0)
    #expect(schedule.stopTTL == nil)
    #expect(schedule.hops()[0].probes[0].answer == .timeExceeded)
  }

  @Test(arguments: [([3], "hop 3"), ([2, 3, 4, 5], "hops 2-5"), ([2, 4, 5, 6], "hops 2, 4-6"), ([7, 1], "hops 1, 7")])
  func hopListsReadAsRanges(ttls: [Int], expected: String) {
    #expect(TraceSession.hopList(ttls) == expected)
  }
}

/// The finding a trace's hops lead to, on fixtures.
@Suite struct TraceConclusionTests {
  static let router = IPAddress.v4(198, 18, 1, 1)
  static let destination = IPAddress.v4(198, 18, 2, 2)
  static let timeExceeded = ICMPReport(origin: .icmp, type: 11, code: 0, sender: router, errno: .hostUnreachable)
  static let adminProhibited = ICMPReport(origin: .icmp, type: 3, code: 13, sender: router, errno: .hostUnreachable)
  static let hostUnreachable = ICMPReport(origin: .icmp, type: 3, code: 1, sender: router, errno: .hostUnreachable)

  static func hop(_ ttl: Int, _ answers: [(TraceAnswer, IPAddress?, ICMPReport?)]) -> TraceHop {
    TraceHop(ttl: ttl, probes: answers.enumerated().map { index, answer in
      TraceProbe(ttl: ttl, query: index + 1, answer: answer.0, responder: answer.1, rttMicroseconds: answer.0 == .noAnswer ? nil : 50,
                 icmp: answer.2)
    })
  }

  static let routerHop = hop(1, [(.timeExceeded, router, timeExceeded), (.timeExceeded, router, timeExceeded)])
  static let silentHop2 = hop(2, [(.noAnswer, nil, nil), (.noAnswer, nil, nil)])

  @Test func theDestinationsAnswerIsReached() {
    let hops = [Self.routerHop, Self.hop(2, [(.synAck, Self.destination, nil), (.synAck, Self.destination, nil)])]
    let conclusion = TraceConclusion(hops: hops, destination: Self.destination)
    #expect(conclusion == TraceConclusion(kind: .reached, hop: 2, address: Self.destination, answer: .synAck))
  }

  @Test func aRejectNamesTheHopWhereTheRejectingAddressFirstAnswered() {
    let hops = [Self.routerHop, Self.hop(2, [(.adminProhibited, Self.router, Self.adminProhibited), (.noAnswer, nil, nil)])]
    let conclusion = TraceConclusion(hops: hops, destination: Self.destination)
    #expect(conclusion.kind == .rejected)
    #expect(conclusion.hop == 1)
    #expect(conclusion.address == Self.router)
    #expect(conclusion.icmp == Self.adminProhibited)
  }

  @Test func aRejectFromAnAddressNotSeenBeforeNamesItsOwnTTL() {
    let other = IPAddress.v4(198, 18, 9, 9)
    let report = ICMPReport(origin: .icmp, type: 3, code: 13, sender: other, errno: .hostUnreachable)
    let hops = [Self.routerHop, Self.hop(2, [(.adminProhibited, other, report)])]
    #expect(TraceConclusion(hops: hops, destination: Self.destination).hop == 2)
  }

  @Test func anotherUnreachableIsUnreachable() {
    let hops = [Self.hop(1, [(.unreachable, Self.router, Self.hostUnreachable)])]
    let conclusion = TraceConclusion(hops: hops, destination: Self.destination)
    #expect(conclusion.kind == .unreachable && conclusion.hop == 1 && conclusion.address == Self.router)
  }

  @Test func silenceAfterARouterIsSilentAfterThatHop() {
    let conclusion = TraceConclusion(hops: [Self.routerHop, Self.silentHop2], destination: Self.destination)
    #expect(conclusion == TraceConclusion(kind: .silent, hop: 1, address: Self.router, answer: .timeExceeded, icmp: Self.timeExceeded))
  }

  @Test func silenceEverywhereIsSilentAtHopZero() {
    let conclusion = TraceConclusion(hops: [Self.hop(1, [(.noAnswer, nil, nil)]), Self.silentHop2], destination: Self.destination)
    #expect(conclusion == TraceConclusion(kind: .silent, hop: 0))
  }

  @Test func theDestinationWinsOverARouterErrorAtTheSameHop() {
    let hops = [Self.hop(1, [(.unreachable, Self.router, Self.hostUnreachable), (.echoReply, Self.destination, nil)])]
    #expect(TraceConclusion(hops: hops, destination: Self.destination).kind == .reached)
  }

  @Test func aLocalErrorSaysSo() {
    let hop = TraceHop(ttl: 1, probes: [TraceProbe(ttl: 1, query: 1, answer: .localError, errno: .networkUnreachable)])
    let conclusion = TraceConclusion(hops: [hop], destination: Self.destination)
    #expect(conclusion.kind == .localError && conclusion.errno == .networkUnreachable)
  }

  @Test func unattributedErrorsDoNotEndTheTrace() {
    let hop = TraceHop(ttl: 1, probes: [TraceProbe(ttl: 1, query: 1, answer: .unattributed, rttMicroseconds: 40, errno: .hostUnreachable)])
    let conclusion = TraceConclusion(hops: [hop, Self.silentHop2], destination: Self.destination)
    #expect(conclusion.kind == .silent && conclusion.hop == 1 && conclusion.address == nil)
  }

  @Test func cancelledKeepsTheLastHopThatAnswered() {
    let conclusion = TraceConclusion(hops: [Self.routerHop, Self.silentHop2], destination: Self.destination, cancelled: true)
    #expect(conclusion.kind == .cancelled && conclusion.hop == 1)
  }

  @Test(arguments: [
    (ICMPReport(origin: .icmp, type: 11, code: 0, sender: nil, errno: .hostUnreachable), TraceAnswer.timeExceeded),
    (ICMPReport(origin: .icmp6, type: 3, code: 0, sender: nil, errno: .hostUnreachable), .timeExceeded),
    (ICMPReport(origin: .icmp, type: 3, code: 3, sender: nil, errno: .connectionRefused), .portUnreachable),
    (ICMPReport(origin: .icmp6, type: 1, code: 4, sender: nil, errno: .connectionRefused), .portUnreachable),
    (ICMPReport(origin: .icmp, type: 3, code: 13, sender: nil, errno: .hostUnreachable), .adminProhibited),
    (ICMPReport(origin: .icmp6, type: 1, code: 1, sender: nil, errno: .permissionDenied), .adminProhibited),
    (ICMPReport(origin: .icmp, type: 3, code: 1, sender: nil, errno: .hostUnreachable), .unreachable),
    (ICMPReport(origin: .icmp6, type: 1, code: 0, sender: nil, errno: .networkUnreachable), .unreachable),
    (ICMPReport(origin: .icmp, type: 12, code: 0, sender: nil, errno: Errno(EPROTO)), .otherICMP),
    (ICMPReport(origin: .local, type: 0, code: 0, sender: nil, errno: .networkUnreachable), .localError),
  ])
  func icmpReportsAreNamed(report: ICMPReport, expected: TraceAnswer) {
    #expect(TraceAnswer.classify(report) == expected)
  }
}
