import NetProbe

/// What the checklist learned about one target, gathered from the probes' results: the input of the decision logic.
///
/// Every field is optional: nil means "not looked at" (skipped, not privileged, not relevant), which the decision
/// logic reports as something it could not tell, never as a pass.
public struct Evidence: Codable, Sendable, Hashable {
  public enum Transport: String, Codable, Sendable, Hashable { case tcp, udp, unix }

  public var transport: Transport
  /// The destination is loopback: nothing beyond the host is involved.
  public var targetIsLoopback: Bool
  /// The target was a name (so DNS evidence matters), not a numeric address.
  public var targetIsName: Bool

  public var interfaces: InterfaceEvidence?
  public var dns: DNSEvidence?
  public var route: RouteEvidence?
  public var gatewayNeighbour: NeighbourEvidence?
  /// For an on-link target: its own neighbour entry after an active check.
  public var targetNeighbour: NeighbourEvidence?
  public var echo: EchoEvidence?
  /// The connect (or UDP, or unix) probes to the application port, in order.
  public var connects: [ProbeResult]
  /// Another port of the same host answered (SYN-ACK or RST): the host is up.
  public var otherPortAnswered: Bool?
  /// Hop counts from packets: the RST's against the destination's (from its SYN-ACK, echo reply or a trace).
  public var packets: PacketEvidence?
  /// The listener is on this machine and its overflow counters rose during the run.
  public var localListenOverflowRising: Bool?
  /// This machine's connections to the server that are held up now (zero window, retransmitting, unread), a line
  /// each; nil when not looked at.
  public var stuckConnections: [String]?
  /// The path's baseline round trip (e.g. the gateway's echo), for judging latency.
  public var baselineRoundTripMicroseconds: Int64?
  /// When this machine's kernel retransmits an unanswered SYN (read where the connects ran); nil when not read,
  /// e.g. a recording older than the field: the decision then assumes the classic 1, 3, 7 s schedule.
  public var synRetransmits: SYNRetransmitSchedule?

  /// A traceroute toward the destination run while its connect went unanswered.
  public var pathTrace: PathTraceEvidence?
  /// When the name did not resolve: the first configured name server and the route to it, so that a dead link,
  /// route or gateway on the way is seen as the cause rather than "DNS".
  public var nameServer: IPAddress?
  public var nameServerRoute: RouteEvidence?

  public init(transport: Transport, targetIsLoopback: Bool = false, targetIsName: Bool = false, interfaces: InterfaceEvidence? = nil,
              dns: DNSEvidence? = nil, route: RouteEvidence? = nil, gatewayNeighbour: NeighbourEvidence? = nil,
              targetNeighbour: NeighbourEvidence? = nil, echo: EchoEvidence? = nil, connects: [ProbeResult] = [],
              otherPortAnswered: Bool? = nil, packets: PacketEvidence? = nil, localListenOverflowRising: Bool? = nil,
              baselineRoundTripMicroseconds: Int64? = nil, synRetransmits: SYNRetransmitSchedule? = nil) {
    self.transport = transport
    self.targetIsLoopback = targetIsLoopback
    self.targetIsName = targetIsName
    self.interfaces = interfaces
    self.dns = dns
    self.route = route
    self.gatewayNeighbour = gatewayNeighbour
    self.targetNeighbour = targetNeighbour
    self.echo = echo
    self.connects = connects
    self.otherPortAnswered = otherPortAnswered
    self.packets = packets
    self.localListenOverflowRising = localListenOverflowRising
    self.baselineRoundTripMicroseconds = baselineRoundTripMicroseconds
    self.synRetransmits = synRetransmits
  }
}

/// The local stack: how many interfaces could carry traffic.
public struct InterfaceEvidence: Codable, Sendable, Hashable {
  /// Interfaces that are admin up, have carrier and a global address (loopback excluded).
  public var usableCount: Int
  public init(usableCount: Int) { self.usableCount = usableCount }
}

/// Name resolution of the target.
public struct DNSEvidence: Codable, Sendable, Hashable {
  public enum Outcome: String, Codable, Sendable, Hashable {
    case resolved, nxdomain, noAddress = "no-address", timeout, servfail, noServers = "no-servers"
  }

  public var outcome: Outcome
  public var addresses: [IPAddress]
  public var elapsedMicroseconds: Int64?
  /// The hosts file maps the name to addresses DNS does not give (the "wrong address" case).
  public var hostsFileDisagrees: Bool
  /// Name servers that timed out or were slow while another answered.
  public var slowServers: [String]
  /// The name server a fix should ask (address only): the first silent one, else the first configured.
  public var server: String?
  /// The direct queries to each configured server, a line each (server, type, name, response code or silence, time).
  public var queries: [String]?

  public init(outcome: Outcome, addresses: [IPAddress] = [], elapsedMicroseconds: Int64? = nil, hostsFileDisagrees: Bool = false,
              slowServers: [String] = [], server: String? = nil) {
    self.server = server
    self.outcome = outcome
    self.addresses = addresses
    self.elapsedMicroseconds = elapsedMicroseconds
    self.hostsFileDisagrees = hostsFileDisagrees
    self.slowServers = slowServers
  }
}

/// The kernel's route lookup for the destination and the state of its egress interface.
public struct RouteEvidence: Codable, Sendable, Hashable {
  public enum Kind: String, Codable, Sendable, Hashable {
    case unicast, local, unreachable, prohibit, blackhole, none
  }

  public var kind: Kind
  public var interface: String?
  public var interfaceUp: Bool?
  public var carrier: Bool?
  public var gateway: IPAddress?
  public var source: IPAddress?
  /// The gateway lies inside a prefix of its interface (or the route is marked on-link).
  public var gatewayFitsSubnet: Bool?
  /// Our address on the egress interface with its prefix length (`198.18.1.10/24`), as `nettriage subnet` takes it.
  public var prefix: String?

  /// No gateway: the destination is on the local link.
  public var isOnLink: Bool { kind == .unicast && gateway == nil }

  public init(kind: Kind, interface: String? = nil, interfaceUp: Bool? = nil, carrier: Bool? = nil, gateway: IPAddress? = nil,
              source: IPAddress? = nil, gatewayFitsSubnet: Bool? = nil, prefix: String? = nil) {
    self.prefix = prefix
    self.kind = kind
    self.interface = interface
    self.interfaceUp = interfaceUp
    self.carrier = carrier
    self.gateway = gateway
    self.source = source
    self.gatewayFitsSubnet = gatewayFitsSubnet
  }
}

/// An ARP/ND entry after an active check.
public struct NeighbourEvidence: Codable, Sendable, Hashable {
  public enum State: String, Codable, Sendable, Hashable {
    case reachable, stale, delay, probe, failed, incomplete, permanent, noarp, none
  }

  public var address: IPAddress
  public var state: State

  /// The neighbour answered ARP/ND at some point.
  public var answered: Bool { [.reachable, .stale, .delay, .probe, .permanent, .noarp].contains(state) }
  /// Resolution was tried and got no answer.
  public var failed: Bool { state == .failed || state == .incomplete }

  public init(address: IPAddress, state: State) {
    self.address = address
    self.state = state
  }
}

/// ICMP echo to the destination.
public struct EchoEvidence: Codable, Sendable, Hashable {
  public var sent: Int
  public var replies: Int
  public var roundTripMicroseconds: [Int64]
  /// An ICMP error that came back instead of a reply (with its sender).
  public var error: ICMPReport?
  /// Why echo could not run (e.g. "needs CAP_NET_RAW or a group in net.ipv4.ping_group_range").
  public var skippedReason: String?
  /// TTL (hop limit) of the first reply: a packet the destination itself sent, to judge an RST's TTL against.
  public var replyTTL: UInt8?

  public init(sent: Int, replies: Int, roundTripMicroseconds: [Int64] = [], error: ICMPReport? = nil, skippedReason: String? = nil,
              replyTTL: UInt8? = nil) {
    self.sent = sent
    self.replies = replies
    self.roundTripMicroseconds = roundTripMicroseconds
    self.error = error
    self.skippedReason = skippedReason
    self.replyTTL = replyTTL
  }
}

/// What the networking trace saw on the wire: hop counts read from packet TTLs (initial TTL 64, 128 or 255 minus the
/// TTL seen) and the packets the socket alone cannot show.
public struct PacketEvidence: Codable, Sendable, Hashable {
  /// Hops the RST travelled.
  public var resetHops: Int?
  /// Hops from the destination itself (its SYN-ACK on another port, its echo reply, or the trace).
  public var destinationHops: Int?
  /// The RST's TTL says a device nearer than the destination sent it (same initial TTL, fewer hops).
  public var resetFromDeviceInPath: Bool?
  /// The TTL reasoning in words ("TTL 64 means 0 routers crossed, the destination's own packets cross 1 (TTL 63)").
  public var resetReason: String?
  /// The probe's SYNs never reached the egress interface while the socket kept sending (a silent local drop).
  public var synsNeverLeft: Bool?
  /// A SYN-ACK reached the interface but the connect never completed: something on this machine dropped it.
  public var synAckIgnored: Bool?
  /// SYNs the kernel sent again for lack of an answer.
  public var synRetransmits: Int?
  /// What the server offered in its SYN-ACK.
  public var serverMaximumSegmentSize: UInt16?
  public var serverWindow: UInt16?

  public init(resetHops: Int? = nil, destinationHops: Int? = nil, resetFromDeviceInPath: Bool? = nil, resetReason: String? = nil,
              synsNeverLeft: Bool? = nil, synAckIgnored: Bool? = nil, synRetransmits: Int? = nil,
              serverMaximumSegmentSize: UInt16? = nil, serverWindow: UInt16? = nil) {
    self.resetHops = resetHops
    self.destinationHops = destinationHops
    self.resetFromDeviceInPath = resetFromDeviceInPath
    self.resetReason = resetReason
    self.synsNeverLeft = synsNeverLeft
    self.synAckIgnored = synAckIgnored
    self.synRetransmits = synRetransmits
    self.serverMaximumSegmentSize = serverMaximumSegmentSize
    self.serverWindow = serverWindow
  }

  /// Hops a packet with this TTL travelled, assuming the common initial TTLs.
  public static func hops(fromTTL ttl: Int) -> Int {
    let initial = [64, 128, 255].first { $0 >= ttl } ?? 255
    return initial - ttl
  }
}

/// When the kernel sends the retransmits of an unanswered SYN: the first after the initial timeout (1 s), then
/// `linearTimeouts` more at that same spacing (net.ipv4.tcp_syn_linear_timeouts, Linux 6.7 and later), then each
/// gap doubles; `retries` retransmits in all (net.ipv4.tcp_syn_retries). A handshake that completes one round trip
/// after one of these times completed on that retransmit: the SYNs before it got no answer.
public struct SYNRetransmitSchedule: Codable, Sendable, Hashable {
  public var linearTimeouts: Int
  public var retries: Int
  public var initialTimeoutMicroseconds: Int64

  /// Kernels without tcp_syn_linear_timeouts (before 6.7): retransmits after 1, 3, 7, 15, 31, 63 s.
  public static let classic = SYNRetransmitSchedule(linearTimeouts: 0, retries: 6)

  public init(linearTimeouts: Int, retries: Int, initialTimeoutMicroseconds: Int64 = 1_000_000) {
    self.linearTimeouts = max(0, linearTimeouts)
    self.retries = max(0, retries)
    self.initialTimeoutMicroseconds = initialTimeoutMicroseconds
  }

  /// Microseconds after the first SYN at which each retransmit leaves: `[1 s, 2 s, 3 s, 4 s, 5 s, 7 s]` for
  /// linear timeouts 4 and 6 retries, `[1 s, 3 s, 7 s, ...]` for the classic schedule.
  public var retransmitMicroseconds: [Int64] {
    var times: [Int64] = [], time: Int64 = 0
    for retransmit in stride(from: 1, through: retries, by: 1) {
      // The gap stays at the initial timeout for the linear retransmits, then doubles (capped well above any probe).
      time += initialTimeoutMicroseconds << Int64(min(20, max(0, retransmit - linearTimeouts - 1)))
      times.append(time)
    }
    return times
  }

  /// The schedule of the network namespace this process runs in, from /proc/sys (under `root`); a kernel without
  /// tcp_syn_linear_timeouts retransmits exponentially, and an unreadable tcp_syn_retries counts as the default 6.
  public static func read(root: String = "/proc/sys") -> SYNRetransmitSchedule {
    func integer(_ name: String) -> Int? {
      guard case let .success(text) = FileAccess.readText(root + "/net/ipv4/" + name) else { return nil }
      return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first.flatMap { Int($0) }
    }
    return SYNRetransmitSchedule(linearTimeouts: integer("tcp_syn_linear_timeouts") ?? 0, retries: integer("tcp_syn_retries") ?? 6)
  }
}
