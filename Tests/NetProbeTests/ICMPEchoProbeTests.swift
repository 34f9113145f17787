import Foundation
import Testing
import TestSupport
@testable import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// ICMP echo against the real kernel: loopback with raw sockets (root), datagram sockets inside namespaces whose
/// ping_group_range the test sets, every outcome through the lab router, and the unprivileged skip.
@Suite(.enabled(if: ICMPLab.isAvailable, "needs root (raw sockets, namespaces), iproute2 and nft"))
struct ICMPEchoProbeTests {
  @Test(arguments: ["127.0.0.1", "::1"])
  func rawEchoToLoopbackReplies(host: String) async throws {
    let address = IPAddress(host)!
    let results = try await ICMPEchoProbe.ping(SocketAddress(address, port: 0), target: host, count: 3, interval: .milliseconds(20),
                                               options: .init(timeout: .seconds(2), method: .raw))
    #expect(results.map(\.sequence) == [1, 2, 3])
    for result in results {
      #expect(result.outcome == .reply)
      #expect(result.method == .raw)
      #expect(result.from == address && result.address == address)
      #expect(result.ttl == 64)
      #expect(result.bytes == 64)  // 8-byte header and ping's default 56 data bytes
      #expect(result.rttMicroseconds >= 0 && result.rttMicroseconds < 2_000_000)
      #expect(result.icmp == nil && result.errno == nil)
    }
    let statistics = ProbeStatistics(echoes: results)
    #expect(statistics.sent == 3 && statistics.answered == 3 && statistics.lossPercent == 0)
    #expect(statistics.outcomes == ["reply": 3])
  }

  @Test(arguments: [0, 1, 1400, 9000])
  func replySizeFollowsThePayload(size: Int) throws {
    let session = try ICMPEchoProbe.open(to: SocketAddress(.v4(127, 0, 0, 1), port: 0), target: "lo",
                                         options: .init(timeout: .seconds(2), method: .raw, payloadSize: size))
    let result = session.exchange(sequence: 1)
    #expect(result.outcome == .reply)
    #expect(result.bytes == size + 8)
  }

  @Test(arguments: [AddressFamily.ipv4, .ipv6])
  func receivedMessagesCarryKernelTimestampsAndHopLimits(family: AddressFamily) throws {
    let socket = try ICMPSocket(family: family, method: .raw)
    defer { socket.close() }
    socket.passOnly(types: family == .ipv4 ? [0] : [129])
    let destination = SocketAddress(family == .ipv4 ? .v4(127, 0, 0, 1) : IPAddress("::1")!, port: 0)
    let request = ICMPPacket.echoRequest(family: family, identifier: 0x5eed, sequence: 7, payload: [1, 2, 3])
    let stamp = try socket.send(request, to: destination).get()
    #expect(socket.wait(for: Int16(POLLIN), until: .now + .seconds(2), cancellation: nil) != .deadline)
    let received = try #require(socket.receive())
    let kernelTime = try #require(received.kernelTime)
    #expect(kernelTime >= stamp.realtime && kernelTime - stamp.realtime < .seconds(2))
    // Raw IPv4 hands over the IP header (the TTL is read from it); IPv6 gives the hop limit as a control message.
    #expect(received.hopLimit == (family == .ipv4 ? nil : 64))
    let message = family == .ipv4
      ? try ICMPPacket.parse(ipv4Datagram: received.bytes).message
      : try ICMPPacket.parse(icmp: received.bytes, family: .ipv6)
    #expect(message.echoReply == ICMPEcho(identifier: 0x5eed, sequence: 7, payloadLength: 3))
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func forcedDatagramSocketRepliesWhereThePingGroupRangeAllowsUs(host: String) throws {
    let namespace = try TestNamespace(tag: "dgram")
    try namespace.exec("/usr/sbin/sysctl", ["-q", "-w", "net.ipv4.ping_group_range=0 0"])
    let address = IPAddress(host)!
    let results = try namespace.perform { () -> [ICMPEchoResult] in
      let session = try ICMPEchoProbe.open(to: SocketAddress(address, port: 0), target: host,
                                           options: .init(timeout: .seconds(2), method: .datagram))
      return (1...3).map { session.exchange(sequence: $0) }
    }
    for result in results {
      #expect(result.outcome == .reply)
      #expect(result.method == .datagram)
      #expect(result.ttl == 64)  // from IP_RECVTTL / IPV6_RECVHOPLIMIT
      #expect(result.from == address)
    }
  }

  @Test func datagramSocketOutsideThePingGroupRangeSaysWhy() throws {
    let namespace = try TestNamespace(tag: "nogroup")  // a new namespace starts with "1 0": nobody
    let failure = try namespace.perform { () -> ICMPUnavailable? in
      do throws(ICMPUnavailable) {
        _ = try ICMPEchoProbe.open(to: SocketAddress(.v4(127, 0, 0, 1), port: 0), target: "lo", options: .init(method: .datagram))
        return nil
      } catch {
        return error
      }
    }
    let unavailable = try #require(failure)
    #expect(unavailable.datagramError == .permissionDenied)
    #expect(unavailable.rawError == nil)
    #expect(unavailable.pingGroupRange == "1 0")
    #expect(unavailable.reason.hasPrefix("needs a group in net.ipv4.ping_group_range"))
    #expect(unavailable.groups.first == 0)
  }

  /// Every outcome the lab can produce, with who said so, through both kinds of socket.
  @Test(arguments: ICMPMethod.allCases)
  func labOutcomesNameTheSender(method: ICMPMethod) throws {
    let lab = try ICMPLab(tag: "echo\(method == .raw ? "r" : "d")")
    try lab.client.exec("/usr/sbin/sysctl", ["-q", "-w", "net.ipv4.ping_group_range=0 0"])
    let client4 = ICMPLab.clientV4, client6 = ICMPLab.clientV6, router4 = ICMPLab.routerV4, router6 = ICMPLab.routerV6
    // Router errors from ip_error (no route, unreachable route) are sent from fresh client addresses: see ICMPLab.
    let cases: [(target: String, ttl: Int?, source: String?, outcome: ICMPEchoOutcome, from: IPAddress?)] = [
      ("198.18.1.1", nil, nil, .reply, router4),
      ("198.18.2.2", 1, nil, .timeExceeded, router4),
      ("198.18.2.3", nil, nil, .adminProhibited, router4),
      ("198.18.3.3", nil, "198.18.1.3", .hostUnreachable, router4),  // the router's unreachable route
      ("198.18.4.4", nil, "198.18.1.4", .networkUnreachable, router4),  // the router has no route
      ("198.18.1.9", nil, nil, .neighborUnreachable, client4),  // on-link, nobody answers ARP: our own stack says so
      ("198.18.2.4", nil, nil, .timedOut, nil),  // dropped
      ("fd00:1::1", nil, nil, .reply, router6),
      ("fd00:2::2", 1, nil, .timeExceeded, router6),
      ("fd00:2::3", nil, nil, .adminProhibited, router6),
      ("fd00:3::3", nil, nil, .networkUnreachable, router6),  // ICMPv6 "no route to destination"
      ("fd00:4::4", nil, nil, .networkUnreachable, router6),
      ("fd00:1::9", nil, nil, .neighborUnreachable, client6),
      ("fd00:2::4", nil, nil, .timedOut, nil),
    ]
    let results = try lab.client.perform { () -> [ICMPEchoResult] in
      try cases.map { testCase in
        let source = testCase.source.map { SocketAddress(IPAddress($0)!, port: 0) }
        let session = try ICMPEchoProbe.open(to: SocketAddress(IPAddress(testCase.target)!, port: 0), target: testCase.target,
                                             options: .init(timeout: .milliseconds(1500), method: method, ttl: testCase.ttl,
                                                            source: source))
        return session.exchange(sequence: 1)
      }
    }
    for (testCase, result) in zip(cases, results) {
      #expect(result.outcome == testCase.outcome, "\(testCase.target): \(result)")
      #expect(result.from == testCase.from, "\(testCase.target): \(result)")
      #expect(result.method == method)
      if testCase.outcome != .reply && testCase.outcome != .timedOut {
        let icmp = try #require(result.icmp, "\(testCase.target)")
        #expect(icmp.sender == testCase.from)
        #expect(icmp.origin == (result.address.family == .ipv4 ? .icmp : .icmp6))
      }
    }
  }

  @Test func localErrorsAtSendNameTheErrno() throws {
    let lab = try ICMPLab(tag: "local")
    try lab.client.ip(["route", "add", "unreachable", "198.18.5.0/24"])
    try lab.client.ip(["route", "add", "prohibit", "198.18.6.0/24"])
    let bare = try TestNamespace(tag: "bare")  // loopback only: no route anywhere
    let cases: [(namespace: TestNamespace, target: String, source: String?, outcome: ICMPEchoOutcome, errno: Errno)] = [
      (bare, "198.18.0.1", nil, .noRoute, .networkUnreachable),
      (lab.client, "198.18.5.5", nil, .noRoute, .hostUnreachable),
      (lab.client, "198.18.6.6", nil, .notPermitted, .permissionDenied),
      (lab.client, "198.18.1.1", "198.18.9.9", .addressUnavailable, .addressNotAvailable),
    ]
    for testCase in cases {
      let result = try testCase.namespace.perform { () -> ICMPEchoResult in
        let source = testCase.source.map { SocketAddress(IPAddress($0)!, port: 0) }
        let session = try ICMPEchoProbe.open(to: SocketAddress(IPAddress(testCase.target)!, port: 0), target: testCase.target,
                                             options: .init(timeout: .seconds(1), method: .raw, source: source))
        return session.exchange(sequence: 1)
      }
      #expect(result.outcome == testCase.outcome, "\(testCase.target): \(result)")
      #expect(result.errno == testCase.errno, "\(testCase.target)")
      #expect(result.icmp == nil)
    }
  }

  @Test func unrelatedICMPIsIgnored() async throws {
    let lab = try ICMPLab(tag: "mix")
    let dropped = SocketAddress(IPAddress("198.18.2.4")!, port: 0)
    let router = SocketAddress(ICMPLab.routerV4, port: 0)
    // Waiting for a reply that never comes while another socket pings the router with the same identifier and
    // sequence (so only the source tells them apart) and a third with another identifier: both raw sockets see
    // every reply, and the waiting one must take none of them.
    let (waiting, others) = try lab.client.perform { () -> (ICMPEchoResult, [ICMPEchoResult]) in
      let options = ICMPEchoProbe.Options(timeout: .milliseconds(800), method: .raw)
      let silent = try ICMPEchoSession(destination: dropped, target: "dropped", options: options, identifier: 0x0101)
      let sameIdentifier = try ICMPEchoSession(destination: router, target: "router", options: options, identifier: 0x0101)
      let otherIdentifier = try ICMPEchoSession(destination: router, target: "router", options: options, identifier: 0x0202)
      let group = DispatchGroup()
      let box = ResultsBox()
      DispatchQueue.global().async(group: group) { box.waiting = silent.exchange(sequence: 1) }
      Thread.sleep(forTimeInterval: 0.05)
      for _ in 0..<3 {
        box.others.append(sameIdentifier.exchange(sequence: 1))
        box.others.append(otherIdentifier.exchange(sequence: 1))
      }
      group.wait()
      return (box.waiting!, box.others)
    }
    #expect(waiting.outcome == .timedOut)
    #expect(others.allSatisfy { $0.outcome == .reply })
  }

  @Test func cancellationEndsTheWait() throws {
    let lab = try ICMPLab(tag: "cancel")
    let result = try lab.client.perform { () -> ICMPEchoResult in
      let session = try ICMPEchoProbe.open(to: SocketAddress(IPAddress("198.18.2.4")!, port: 0), target: "dropped",
                                           options: .init(timeout: .seconds(30), method: .raw))
      let signal = CancellationSignal()
      DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { signal.fire() }
      return session.exchange(sequence: 1, cancellation: signal)
    }
    #expect(result.outcome == .cancelled)
    #expect(result.rttMicroseconds < 10_000_000)
  }

  /// The built binary, run as nobody where ping_group_range leaves nobody out: it skips and says why.
  @Test func unprivilegedRunIsSkippedWithTheReason() throws {
    let namespace = try TestNamespace(tag: "nobody")
    let run = try namespace.exec("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups",
                                                      Self.binary, "probe", "icmp", "127.0.0.1", "-n", "1"], check: false)
    #expect(run.status == 3)
    #expect(run.stdout.contains(
      "icmp probe of 127.0.0.1 skipped: needs CAP_NET_RAW or a group in net.ipv4.ping_group_range (raw socket: EPERM; datagram socket: EACCES; net.ipv4.ping_group_range is \"1 0\", this process's groups: 65534)"),
      "\(run.stdout)\(run.stderr)")
  }

  /// The `nettriage` executable beside the test bundle.
  static var binary: String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("nettriage").path
  }
}

private final class ResultsBox: @unchecked Sendable {
  var waiting: ICMPEchoResult?
  var others: [ICMPEchoResult] = []
}

