import Foundation
import Testing
import TestSupport
@testable import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A client and a router in namespaces of their own, for ICMP errors that come from somewhere else than the target.
///
/// ```
///  client c0 ───────── r0 router r1 ───────── s0 stub (no address: what lies behind answers nothing)
///  198.18.1.2/24   198.18.1.1/24   198.18.2.1/24
///  fd00:1::2/64    fd00:1::1/64    fd00:2::1/64
/// ```
/// The router forwards, sends ICMP errors without rate limit, rejects 198.18.2.3 / fd00:2::3 with
/// admin-prohibited, drops 198.18.2.4 / fd00:2::4, has an unreachable route for 198.18.3.0/24 / fd00:3::/64
/// and no route at all for the rest. The client's ARP/ND gives up after one 200 ms try.
///
/// The client also has 198.18.1.3 and 198.18.1.4 to send from: a router's "no route" and "unreachable route" errors
/// (`ip_error`) have their own per-source limiter (net.ipv4.route.error_cost, one a second, global, not per
/// namespace), and every ICMP error sent under icmp_ratelimit=0 empties it for that source; a fresh source address
/// gets a full bucket.
final class ICMPLab: @unchecked Sendable {
  let client: TestNamespace
  let router: TestNamespace
  let stub: TestNamespace
  static let nftPath = "/usr/sbin/nft"

  static var isAvailable: Bool { TestNamespace.isAvailable && FileManager.default.isExecutableFile(atPath: nftPath) }

  init(tag: String) throws {
    client = try TestNamespace(tag: tag + "c")
    router = try TestNamespace(tag: tag + "r")
    stub = try TestNamespace(tag: tag + "s")
    try client.link(to: router, localName: "c0", remoteName: "r0")
    try router.link(to: stub, localName: "r1", remoteName: "s0")
    try client.ip(["addr", "add", "198.18.1.2/24", "dev", "c0"])
    try client.ip(["addr", "add", "fd00:1::2/64", "dev", "c0", "nodad"])
    try client.ip(["addr", "add", "198.18.1.3/24", "dev", "c0"])
    try client.ip(["addr", "add", "198.18.1.4/24", "dev", "c0"])
    try router.ip(["addr", "add", "198.18.1.1/24", "dev", "r0"])
    try router.ip(["addr", "add", "fd00:1::1/64", "dev", "r0", "nodad"])
    try router.ip(["addr", "add", "198.18.2.1/24", "dev", "r1"])
    try router.ip(["addr", "add", "fd00:2::1/64", "dev", "r1", "nodad"])
    try router.ip(["route", "add", "unreachable", "198.18.3.0/24"])
    try router.ip(["-6", "route", "add", "unreachable", "fd00:3::/64"])
    try client.ip(["route", "add", "default", "via", "198.18.1.1"])
    try client.ip(["-6", "route", "add", "default", "via", "fd00:1::1"])
    try router.exec("/usr/sbin/sysctl", ["-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1",
                                         "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0"])
    try client.exec("/usr/sbin/sysctl", ["-q", "-w", "net.ipv4.neigh.c0.mcast_solicit=1", "net.ipv4.neigh.c0.retrans_time_ms=200",
                                         "net.ipv6.neigh.c0.mcast_solicit=1", "net.ipv6.neigh.c0.retrans_time_ms=200"])
    try nft(["add", "table", "inet", "lab"])
    try nft(["add", "chain", "inet", "lab", "forward", "{", "type", "filter", "hook", "forward", "priority", "0", ";", "}"])
    try nft(["add", "rule", "inet", "lab", "forward", "ip", "daddr", "198.18.2.3", "reject", "with", "icmp", "type", "admin-prohibited"])
    try nft(["add", "rule", "inet", "lab", "forward", "ip6", "daddr", "fd00:2::3", "reject", "with", "icmpv6", "type", "admin-prohibited"])
    try nft(["add", "rule", "inet", "lab", "forward", "ip", "daddr", "198.18.2.4", "drop"])
    try nft(["add", "rule", "inet", "lab", "forward", "ip6", "daddr", "fd00:2::4", "drop"])
  }

  /// Runs nft inside the router.
  func nft(_ arguments: [String]) throws {
    try router.exec(ICMPLab.nftPath, arguments)
  }

  static let routerV4 = IPAddress("198.18.1.1")!
  static let routerV6 = IPAddress("fd00:1::1")!
  static let clientV4 = IPAddress("198.18.1.2")!
  static let clientV6 = IPAddress("fd00:1::2")!
}

/// The raw ICMP listener that gives connect probes their ICMP evidence: the error that quotes the probe's own flow,
/// with who sent it; errors about other flows are left out.
@Suite(.enabled(if: ICMPLab.isAvailable, "needs root, iproute2 and nft for network namespaces and raw sockets"))
struct ICMPErrorListenerTests {
  @Test(arguments: [
    ("198.18.2.3", "198.18.1.1", Errno.hostUnreachable),
    ("fd00:2::3", "fd00:1::1", Errno.permissionDenied),  // ICMPv6 admin-prohibited surfaces as EACCES
  ])
  func tcpConnectGetsTheRoutersAdminProhibited(target: String, router: String, expectedErrno: Errno) throws {
    let lab = try ICMPLab(tag: "lstcp")
    let remote = SocketAddress(IPAddress(target)!, port: 443)
    let (attempt, reports) = try lab.client.perform { () -> (ProbeAttempt, [ICMPReport]) in
      let listener = try ICMPErrorListener.start(for: ICMPFlow(.tcp, remote: remote))
      defer { listener.stop() }
      let attempt = TCPConnectProbe.connect(to: remote, options: .init(timeout: .seconds(5)))
      return (attempt, listener.collect(local: attempt.local))
    }
    // Linux ends a connect in SYN_SENT at once on the ICMP error; the socket alone says only the errno.
    #expect(attempt.errno == expectedErrno)
    #expect(attempt.elapsedMicroseconds < 4_000_000)
    let report = try #require(reports.last)
    #expect(reports.count == 1)
    #expect(report.isAdministrativelyProhibited)
    #expect(report.sender == IPAddress(router))
    #expect(report.errno == expectedErrno)
    #expect(report.origin == (remote.family == .ipv4 ? .icmp : .icmp6))
    // With the report, the connect outcome names the firewall rather than a bare unreachable.
    #expect(ProbeOutcome.classify(attempt.errno!, icmp: report) == .adminProhibited)
    #expect(report.description.hasSuffix("(destination unreachable: administratively prohibited) from \(router)"))
  }

  @Test func errorsAboutAnotherFlowAreLeftOut() throws {
    let lab = try ICMPLab(tag: "lsother")
    let probed = SocketAddress(IPAddress("198.18.2.3")!, port: 443)
    let (forProbe, forOtherPort, forOtherAddress, forOtherLocalPort) = try lab.client.perform {
      () -> ([ICMPReport], [ICMPReport], [ICMPReport], [ICMPReport]) in
      let listener = try ICMPErrorListener.start(for: ICMPFlow(.tcp, remote: probed))
      let otherPort = try ICMPErrorListener.start(for: ICMPFlow(.tcp, remote: SocketAddress(probed.address, port: 444)))
      let otherAddress = try ICMPErrorListener.start(for: ICMPFlow(.tcp, remote: SocketAddress(IPAddress("198.18.2.5")!, port: 443)))
      let attempt = TCPConnectProbe.connect(to: probed, options: .init(timeout: .seconds(5)))
      var elsewhere = try #require(attempt.local)
      elsewhere.port = elsewhere.port == 65535 ? 1024 : elsewhere.port + 1
      return (listener.collect(local: attempt.local), otherPort.collect(), otherAddress.collect(), listener.collect(local: elsewhere))
    }
    #expect(forProbe.count == 1)
    #expect(forOtherPort.isEmpty)
    #expect(forOtherAddress.isEmpty)
    #expect(forOtherLocalPort.isEmpty)
  }

  @Test func tcpTimeoutBehindARouterThatDropsHasNoEvidence() throws {
    let lab = try ICMPLab(tag: "lsdrop")
    let remote = SocketAddress(IPAddress("198.18.2.4")!, port: 443)
    let (attempt, reports) = try lab.client.perform { () -> (ProbeAttempt, [ICMPReport]) in
      let listener = try ICMPErrorListener.start(for: ICMPFlow(.tcp, remote: remote))
      let attempt = TCPConnectProbe.connect(to: remote, options: .init(timeout: .milliseconds(500)))
      return (attempt, listener.collect(local: attempt.local))
    }
    #expect(attempt.outcome == .timedOut)
    #expect(reports.isEmpty)
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func udpPortUnreachableOnLoopback(host: String) throws {
    let address = IPAddress(host)!
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue), family: address.family)
    let remote = SocketAddress(address, port: port)
    let listener = try ICMPErrorListener.start(for: ICMPFlow(.udp, remote: remote))
    let tcpListener = try ICMPErrorListener.start(for: ICMPFlow(.tcp, remote: remote))
    defer { listener.stop() }
    let attempt = UDPProbe.exchange(with: remote, options: .init(timeout: .seconds(2), payload: Array("hi".utf8)))
    #expect(attempt.outcome == .refused)
    let reports = listener.collect(local: attempt.local)
    let report = try #require(reports.first)
    #expect(reports.count == 1)
    #expect(report.isPortUnreachable)
    #expect(report.sender == address)
    #expect(report.errno == .connectionRefused)
    // What the listener saw is what IP_RECVERR queued for the UDP socket itself.
    #expect(attempt.icmp?.type == report.type && attempt.icmp?.code == report.code && attempt.icmp?.sender == report.sender)
    // The same error does not match a TCP flow to the same port.
    #expect(tcpListener.collect().isEmpty)
  }

  @Test func collectAfterStopReturnsWhatWasSeen() throws {
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue))
    let remote = SocketAddress(.v4(127, 0, 0, 1), port: port)
    let listener = try ICMPErrorListener.start(for: ICMPFlow(.udp, remote: remote))
    _ = UDPProbe.exchange(with: remote, options: .init(timeout: .seconds(2)))
    #expect(listener.collect().count == 1)
    listener.stop()
    #expect(listener.collect().count == 1)
  }
}
