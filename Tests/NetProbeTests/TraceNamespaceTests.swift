import Foundation
import Testing
import TestSupport
@testable import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A client, a router and a server, each in a namespace of its own: two hops from the client to the server.
///
/// ```
///  client c0 ───────── r0 router r1 ───────── s0 server
///  198.18.1.2/24   198.18.1.1/24   198.18.2.1/24   198.18.2.2/24
///  fd00:1::2/64    fd00:1::1/64    fd00:2::1/64    fd00:2::2/64
/// ```
/// The router forwards. Router and server send ICMP errors without rate limits (inside these namespaces only): a
/// trace has every TTL in flight at once, so the server answers dozens of probes in a burst.
final class TraceLab: @unchecked Sendable {
  let client: TestNamespace
  let router: TestNamespace
  let server: TestNamespace
  static let nftPath = "/usr/sbin/nft"
  static let sysctlPath = "/usr/sbin/sysctl"

  static var isAvailable: Bool { TestNamespace.isAvailable && FileManager.default.isExecutableFile(atPath: nftPath) }

  static let routerV4 = IPAddress("198.18.1.1")!
  static let routerV6 = IPAddress("fd00:1::1")!
  static let serverV4 = IPAddress("198.18.2.2")!
  static let serverV6 = IPAddress("fd00:2::2")!

  static func router(_ family: AddressFamily) -> IPAddress { family == .ipv4 ? routerV4 : routerV6 }
  static func server(_ family: AddressFamily) -> IPAddress { family == .ipv4 ? serverV4 : serverV6 }

  init(tag: String) throws {
    client = try TestNamespace(tag: tag + "c")
    router = try TestNamespace(tag: tag + "r")
    server = try TestNamespace(tag: tag + "s")
    try client.link(to: router, localName: "c0", remoteName: "r0")
    try router.link(to: server, localName: "r1", remoteName: "s0")
    for (namespace, device, addresses) in [(client, "c0", ["198.18.1.2/24", "fd00:1::2/64"]), (router, "r0", ["198.18.1.1/24", "fd00:1::1/64"]),
                                           (router, "r1", ["198.18.2.1/24", "fd00:2::1/64"]), (server, "s0", ["198.18.2.2/24", "fd00:2::2/64"])] {
      for address in addresses {
        try namespace.ip(["addr", "add", address, "dev", device] + (address.contains(":") ? ["nodad"] : []))
      }
    }
    try client.ip(["route", "add", "default", "via", "198.18.1.1"])
    try client.ip(["-6", "route", "add", "default", "via", "fd00:1::1"])
    try server.ip(["route", "add", "default", "via", "198.18.2.1"])
    try server.ip(["-6", "route", "add", "default", "via", "fd00:2::1"])
    try router.exec(TraceLab.sysctlPath, ["-q", "-w", "net.ipv4.ip_forward=1", "net.ipv6.conf.all.forwarding=1"])
    for namespace in [router, server] {
      // Per-namespace knobs: the per-destination limit (ratelimit) and, via the masks, the global burst limit.
      try namespace.exec(TraceLab.sysctlPath, ["-q", "-w", "net.ipv4.icmp_ratelimit=0", "net.ipv6.icmp.ratelimit=0",
                                                "net.ipv4.icmp_ratemask=0", "net.ipv6.icmp.ratemask="])
    }
    try nft(["add", "table", "inet", "trace"])
    try nft(["add", "chain", "inet", "trace", "forward", "{", "type", "filter", "hook", "forward", "priority", "0", ";", "}"])
  }

  /// Runs nft inside the router.
  func nft(_ arguments: [String]) throws {
    try router.exec(TraceLab.nftPath, arguments)
  }

  /// Adds a rule to the router's forward chain, e.g. `tcp dport 443 drop`.
  func forwardRule(_ rule: String) throws {
    try nft(["add", "rule", "inet", "trace", "forward"] + rule.split(separator: " ").map(String.init))
  }

  /// Who may open ICMP datagram sockets in the client namespace ("1 0": nobody).
  func allowPing(groups: String) throws {
    try client.exec(TraceLab.sysctlPath, ["-q", "-w", "net.ipv4.ping_group_range=\(groups)"])
  }

  /// Traces from the client.
  func trace(to address: IPAddress, port: UInt16 = 0, options: TraceOptions) throws -> TraceResult {
    let destination = SocketAddress(address, port: port)
    return try client.perform { try Traceroute.open(to: destination, target: address.description, options: options).run(cancellation: nil) }
  }
}

@Suite(.enabled(if: TraceLab.isAvailable, "needs root, iproute2 and nft for network namespaces and raw sockets"))
struct TraceNamespaceTests {
  static let families = [AddressFamily.ipv4, .ipv6]

  /// Hop 1 is the router (time exceeded), hop 2 the server with the mode's answer, and the trace stops there.
  static func expectTwoHops(_ result: TraceResult, family: AddressFamily, answer: TraceAnswer) {
    #expect(result.reached, "\(result.conclusion)")
    #expect(result.hops.count == 2)
    #expect(result.conclusion.hop == 2 && result.conclusion.address == TraceLab.server(family) && result.conclusion.answer == answer)
    guard result.hops.count == 2 else { return }
    let router = result.hops[0].responders
    #expect(router.count == 1)
    #expect(router.first?.address == TraceLab.router(family))
    #expect(router.first?.answer == .timeExceeded)
    #expect(router.first?.icmp?.type == (family == .ipv4 ? 11 : 3) && router.first?.icmp?.code == 0)
    #expect(router.first?.rttMicroseconds.count == result.queries)
    let server = result.hops[1].responders
    #expect(server.count == 1)
    #expect(server.first?.address == TraceLab.server(family))
    #expect(server.first?.answer == answer)
    #expect(server.first?.rttMicroseconds.count == result.queries)
  }

  @Test("traceroute through a router namespace", arguments: families)
  func tracerouteThroughARouterNamespace(family: AddressFamily) throws {
    let lab = try TraceLab(tag: "trhop")
    let listener = try lab.server.perform { try LoopbackTCPListener(address: TraceLab.server(family)) }
    let options = { (mode: TraceMode) in TraceOptions(mode: mode, timeout: .seconds(3)) }

    let udp = try lab.trace(to: TraceLab.server(family), port: 33434, options: options(.udp))
    Self.expectTwoHops(udp, family: family, answer: .portUnreachable)

    let icmp = try lab.trace(to: TraceLab.server(family), options: options(.icmp))
    Self.expectTwoHops(icmp, family: family, answer: .echoReply)
    #expect(icmp.icmpMethod == .raw)

    let tcp = try lab.trace(to: TraceLab.server(family), port: listener.port, options: options(.tcp))
    Self.expectTwoHops(tcp, family: family, answer: .synAck)
    #expect(tcp.rawListener == true)

    let closed = try lab.trace(to: TraceLab.server(family), port: 443, options: options(.tcp))
    Self.expectTwoHops(closed, family: family, answer: .reset)

    // Nothing waited for a timeout. Answers read between sends stop the sending once hop 2 has answered (veth
    // delivers at once here), so the TTLs past it may never go out.
    for result in [udp, icmp, tcp, closed] {
      #expect(result.elapsedMicroseconds < 2_500_000)
      #expect(result.probesSent >= 2 * result.queries)
    }
  }

  @Test(arguments: families)
  func icmpModeWorksThroughADatagramSocket(family: AddressFamily) throws {
    let lab = try TraceLab(tag: "trdgram")
    try lab.allowPing(groups: "0 0")
    let result = try lab.trace(to: TraceLab.server(family), options: TraceOptions(mode: .icmp, timeout: .seconds(3), icmpMethod: .datagram))
    Self.expectTwoHops(result, family: family, answer: .echoReply)
    #expect(result.icmpMethod == .datagram)
  }

  @Test(arguments: families)
  func aFirewallThatDropsTheTCPPortLeavesTheHopsPastTheRouterSilent(family: AddressFamily) throws {
    let lab = try TraceLab(tag: "trdrop")
    try lab.forwardRule("tcp dport 443 drop")
    let options = TraceOptions(mode: .tcp, maxHops: 8, queries: 2, timeout: .seconds(1))
    let start = ContinuousClock.now
    let result = try lab.trace(to: TraceLab.server(family), port: 443, options: options)
    // Seven silent hops cost one timeout, not seven: they were all in flight at once.
    #expect(ContinuousClock.now - start < .seconds(4))
    #expect(result.probesSent == 16)
    #expect(!result.reached)
    #expect(result.hops.count == 8)
    #expect(result.hops.first?.responders.first?.address == TraceLab.router(family))
    #expect(result.hops.dropFirst().allSatisfy { $0.isSilent })
    #expect(result.conclusion == TraceConclusion(kind: .silent, hop: 1, address: TraceLab.router(family), answer: .timeExceeded,
                                                 icmp: result.hops[0].responders[0].icmp))
    #expect(result.notes.isEmpty)  // the raw listener ran: the silence is real
    // Without the raw listener the trace says which hops it could not be sure of, and why.
    let blind = try lab.trace(to: TraceLab.server(family), port: 443,
                              options: TraceOptions(mode: .tcp, maxHops: 3, queries: 1, timeout: .milliseconds(500), rawListener: false))
    #expect(blind.notes.count == 1)
    #expect(blind.notes.first?.hasPrefix("hops 2-3 silent: without CAP_NET_RAW a TCP trace sees a router only when") == true)
    // The rule is for TCP only: a UDP trace still reaches the server.
    let udp = try lab.trace(to: TraceLab.server(family), port: 33434, options: TraceOptions(mode: .udp, queries: 1, timeout: .seconds(2)))
    #expect(udp.reached && udp.hops.count == 2)
  }

  @Test(arguments: families)
  func aFirewallThatRejectsIsNamedAtItsHop(family: AddressFamily) throws {
    let lab = try TraceLab(tag: "trrej")
    try lab.forwardRule("tcp dport 443 reject with icmpx type admin-prohibited")
    let result = try lab.trace(to: TraceLab.server(family), port: 443, options: TraceOptions(mode: .tcp, timeout: .seconds(3)))
    #expect(!result.reached)
    #expect(result.conclusion.kind == .rejected)
    #expect(result.conclusion.hop == 1)
    #expect(result.conclusion.address == TraceLab.router(family))
    #expect(result.conclusion.icmp?.isAdministrativelyProhibited == true)
    #expect(result.hops.count == 2)
    #expect(result.hops.last?.responders.map(\.answer) == [.adminProhibited])
    #expect(result.elapsedMicroseconds < 2_500_000)
  }

  /// What the brief expected to need CAP_NET_RAW for: this kernel queues a router's ICMP error on the connecting TCP
  /// socket itself (IP_RECVERR), so without the raw listener the trace still names the router.
  @Test(arguments: families)
  func tcpWithoutTheRawListenerStillSeesTheRouterThroughTheErrorQueue(family: AddressFamily) throws {
    let lab = try TraceLab(tag: "trnoraw")
    try lab.forwardRule("tcp dport 443 reject with icmpx type admin-prohibited")
    let result = try lab.trace(to: TraceLab.server(family), port: 443,
                               options: TraceOptions(mode: .tcp, timeout: .seconds(3), rawListener: false))
    #expect(result.rawListener == false)
    #expect(result.hops.first?.responders.first?.address == TraceLab.router(family))
    #expect(result.conclusion.kind == .rejected && result.conclusion.hop == 1)
  }

  /// The built binary as an unprivileged user (nobody) in the client namespace: UDP and TCP need no privilege,
  /// ICMP takes the datagram socket when ping_group_range allows nobody's group, and is skipped (exit 3) when not.
  @Test func unprivilegedTracesFromTheBinary() throws {
    let lab = try TraceLab(tag: "trnobody")
    let listener = try lab.server.perform { try LoopbackTCPListener(address: TraceLab.serverV4) }
    // The test bundle sits beside the products in .build/<configuration>/.
    let executable = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")
    let binary = URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("nettriage").path
    func run(_ arguments: [String]) throws -> CommandResult {
      try lab.client.exec("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "probe", "trace"] + arguments,
                          check: false)
    }
    let udp = try run(["198.18.2.2", "-q", "1"])
    #expect(udp.status == 0, "\(udp.stdout)\(udp.stderr)")
    #expect(udp.stdout.contains("reached 198.18.2.2 in 2 hops"))

    let tcp = try run(["198.18.2.2:\(listener.port)", "--mode", "tcp", "-q", "1"])
    #expect(tcp.status == 0, "\(tcp.stdout)\(tcp.stderr)")
    #expect(tcp.stdout.contains("no raw ICMP listener (needs CAP_NET_RAW)"))
    #expect(tcp.stdout.contains("198.18.1.1  time exceeded (ICMP 11/0)"))
    #expect(tcp.stdout.contains("reached 198.18.2.2 in 2 hops (SYN-ACK: port \(listener.port) is open)"))

    try lab.allowPing(groups: "1 0")
    let skipped = try run(["198.18.2.2", "--mode", "icmp"])
    #expect(skipped.status == 3)
    #expect(skipped.stdout.contains("skipped: needs CAP_NET_RAW or a group in net.ipv4.ping_group_range"))

    try lab.allowPing(groups: "65534 65534")
    let icmp = try run(["fd00:2::2", "--mode", "icmp", "-q", "1"])
    #expect(icmp.status == 0, "\(icmp.stdout)\(icmp.stderr)")
    #expect(icmp.stdout.contains("datagram socket"))
    #expect(icmp.stdout.contains("reached fd00:2::2 in 2 hops"))
  }
}
