import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// The state of a neighbour (ARP for IPv4, ND for IPv6) entry: the kernel's NUD_* state, by its `ip neigh` name.
public enum NeighbourState: String, Codable, Sendable, Hashable, CaseIterable {
  case reachable = "REACHABLE", stale = "STALE", delay = "DELAY", probe = "PROBE", failed = "FAILED"
  case incomplete = "INCOMPLETE", permanent = "PERMANENT", noARP = "NOARP", none = "NONE"

  /// From the NUD_* bits of `ndm_state` (<linux/neighbour.h>).
  init(bits: UInt16) {
    let table: [(UInt16, NeighbourState)] = [
      (0x80, .permanent), (0x40, .noARP), (0x02, .reachable), (0x04, .stale), (0x08, .delay), (0x10, .probe),
      (0x20, .failed), (0x01, .incomplete),
    ]
    self = table.first { bits & $0.0 != 0 }?.1 ?? .none
  }

  /// The neighbour has (or had, recently enough to use) a link-layer address.
  public var hasLinkAddress: Bool { [.reachable, .stale, .delay, .probe, .permanent, .noARP].contains(self) }
  /// Resolution was tried and got no answer (FAILED), or is still waiting for one (INCOMPLETE).
  public var isUnanswered: Bool { self == .failed || self == .incomplete }
}

/// One entry of the neighbour table.
public struct Neighbour: Codable, Sendable, Hashable, CustomStringConvertible {
  public var address: IPAddress
  public var interface: String
  public var interfaceIndex: Int
  /// The link-layer address; nil while unresolved.
  public var mac: String?
  public var state: NeighbourState
  /// NTF_* names: `router`, `proxy`, `extern_learn`, ...
  public var flags: [String]

  public init(address: IPAddress, interface: String, interfaceIndex: Int, mac: String?, state: NeighbourState, flags: [String] = []) {
    self.address = address
    self.interface = interface
    self.interfaceIndex = interfaceIndex
    self.mac = mac
    self.state = state
    self.flags = flags
  }

  /// In the shape `ip neigh` prints: `198.18.1.1 dev veth0 lladdr 02:00:5e:10:00:01 router REACHABLE`.
  public var description: String {
    var parts = ["\(address) dev \(interface)"]
    if let mac { parts.append("lladdr \(mac)") }
    parts += flags
    parts.append(state.rawValue)
    return parts.joined(separator: " ")
  }
}

/// A state the active check saw, and when (microseconds since the check began).
public struct NeighbourSample: Codable, Sendable, Hashable {
  public var state: NeighbourState
  public var elapsedMicroseconds: Int64
  public var mac: String?
}

/// The active check of one address: its route, the neighbour state before and after a datagram made the kernel
/// resolve it, and what that means.
public struct NeighbourCheck: Codable, Sendable, Hashable {
  public enum Outcome: String, Codable, Sendable, Hashable {
    /// The neighbour has a link-layer address: REACHABLE, STALE, PERMANENT or NOARP.
    case resolved
    /// It had an address, and the kernel's re-confirmation (DELAY, PROBE) had not finished by the deadline.
    case unconfirmed
    /// ARP/ND got no answer: the entry ended FAILED, or stayed INCOMPLETE until the deadline.
    case noAnswer = "no-answer"
    /// The address is behind a gateway: its own ARP/ND never happens here; the gateway's does.
    case notOnLink = "not-on-link"
    /// The address is this host's own.
    case local
    /// The route is broadcast, multicast or another non-unicast type: no neighbour entry to check.
    case notUnicast = "not-unicast"
    /// No route to the address.
    case noRoute = "no-route"
    /// A reject route (blackhole, unreachable, prohibit) covers the address.
    case rejected
    /// The check was cancelled before it ended.
    case cancelled
  }

  public var address: IPAddress
  public var outcome: Outcome
  public var route: RouteLookup
  public var interface: String?
  public var interfaceIndex: Int?
  /// For `not-on-link`: the gateway whose ARP/ND to check instead.
  public var gateway: IPAddress?
  /// The entry before the check sent anything; nil when there was none.
  public var initialState: NeighbourState?
  /// The last state seen.
  public var state: NeighbourState?
  public var mac: String?
  /// Each state change the check saw, with its time.
  public var samples: [NeighbourSample]
  /// Whether the check sent its UDP datagram (to port 9, discard) to make the kernel resolve the address.
  public var datagramSent: Bool
  public var sendError: Errno?
  public var elapsedMicroseconds: Int64
  /// What happened, in plain words.
  public var summary: String

  /// The neighbour is there (or needs no neighbour resolution): exit status 0.
  public var isAnswered: Bool { [.resolved, .unconfirmed, .local].contains(outcome) }
}

/// The neighbour table (`RTM_GETNEIGH`) and an active ARP/ND check of one address. Dumps need no privilege; the
/// check sends one UDP datagram, which needs none either.
public enum Neighbours {
  /// Every IPv4 (ARP) and IPv6 (ND) neighbour entry, by interface and address.
  public static func list() throws(NetlinkError) -> [Neighbour] {
    let socket = try NetlinkSocket()
    defer { socket.close() }
    let names = Dictionary(try socket.links().map { (Int($0.index), $0.name) }, uniquingKeysWith: { first, _ in first })
    var records: [NeighbourRecord] = []
    for family in AddressFamily.allCases { records += try socket.neighbours(family: family) }
    return records.map { neighbour(from: $0, names: names) }.sorted { left, right in
      if left.interfaceIndex != right.interfaceIndex { return left.interfaceIndex < right.interfaceIndex }
      if left.address.family != right.address.family { return left.address.family == .ipv4 }
      return left.address.bytes.lexicographicallyPrecedes(right.address.bytes)
    }
  }

  static func neighbour(from record: NeighbourRecord, names: [Int: String]) -> Neighbour {
    Neighbour(address: record.address, interface: names[Int(record.index)] ?? "if\(record.index)", interfaceIndex: Int(record.index),
              mac: record.linkAddress.flatMap { $0.isEmpty ? nil : Interfaces.macText($0) }, state: NeighbourState(bits: record.state),
              flags: flagNames(record.flags))
  }

  /// NTF_* names (<linux/neighbour.h>).
  static func flagNames(_ flags: UInt8) -> [String] {
    let bits: [(UInt8, String)] = [(0x01, "use"), (0x02, "self"), (0x04, "master"), (0x08, "proxy"), (0x10, "extern_learn"),
                                   (0x20, "offload"), (0x40, "sticky"), (0x80, "router")]
    return bits.filter { flags & $0.0 != 0 }.map(\.1)
  }

  /// How often the check reads the entry while the kernel resolves.
  static let pollInterval: Duration = .milliseconds(50)

  /// Checks one address now, blocking until the answer or `timeout`: looks up the route; for an on-link address
  /// sends one UDP datagram to its port 9 (discard) so the kernel resolves it, then reads the neighbour entry
  /// every 50 ms until it is REACHABLE, STALE or FAILED. Runs in the calling thread's network namespace.
  /// `interfaceIndex` pins the interface (the zone of a link-local IPv6 address).
  ///
  /// An entry already STALE (answered before, not confirmed lately) ends the check at once: the datagram starts the
  /// kernel's re-check, which first waits `delay_first_probe_time` (5 s). With `confirmStale` the check waits for that
  /// re-check to end REACHABLE or FAILED (give it a timeout of about 10 s).
  public static func check(_ address: IPAddress, interfaceIndex: UInt32? = nil, timeout: Duration = .seconds(5),
                           confirmStale: Bool = false, cancellation: CancellationSignal? = nil) throws(NetlinkError) -> NeighbourCheck {
    let start = ContinuousClock.now
    let deadline = start + timeout
    let route = try Routes.lookup(address, interfaceIndex: interfaceIndex)
    var result = NeighbourCheck(address: address, outcome: .noRoute, route: route, interface: route.interface,
                                interfaceIndex: route.interfaceIndex, samples: [], datagramSent: false, elapsedMicroseconds: 0,
                                summary: "")
    func finish(_ outcome: NeighbourCheck.Outcome) -> NeighbourCheck {
      result.outcome = outcome
      result.elapsedMicroseconds = microseconds(since: start)
      result.summary = summary(of: result)
      return result
    }
    switch route.status {
    case .noRoute: return finish(.noRoute)
    case .rejected: return finish(.rejected)
    case .found: break
    }
    if route.type == .local { return finish(.local) }
    guard route.type == .unicast, let index = route.interfaceIndex else { return finish(.notUnicast) }
    if let gateway = route.gateway {
      result.gateway = gateway
      return finish(.notOnLink)
    }

    let socket = try NetlinkSocket()
    defer { socket.close() }
    func read() throws(NetlinkError) -> NeighbourRecord? { try socket.neighbour(address, interfaceIndex: Int32(index)) }
    func note(_ record: NeighbourRecord?) -> NeighbourState {
      let state = record.map { NeighbourState(bits: $0.state) } ?? .none
      let mac = record?.linkAddress.flatMap { $0.isEmpty ? nil : Interfaces.macText($0) }
      if result.samples.last?.state != state || result.samples.last?.mac != mac {
        result.samples.append(NeighbourSample(state: state, elapsedMicroseconds: microseconds(since: start), mac: mac))
      }
      result.state = state
      if let mac { result.mac = mac }
      return state
    }

    let initial = try read()
    result.initialState = initial.map { NeighbourState(bits: $0.state) }
    let initialState = note(initial)
    // A fresh confirmation, a static entry, or a link without ARP/ND needs no traffic.
    if [.reachable, .permanent, .noARP].contains(initialState) { return finish(.resolved) }

    let sent = sendDatagram(to: address, interfaceIndex: UInt32(index))
    result.datagramSent = sent == nil
    result.sendError = sent
    if initialState.hasLinkAddress && !confirmStale { return finish(.resolved) }
    // An entry that had an address (STALE) goes through DELAY and PROBE to REACHABLE or FAILED; a new one goes
    // from INCOMPLETE to REACHABLE (or STALE, when the answer came unasked) or FAILED.
    let hadAddress = initialState.hasLinkAddress
    while true {
      let state = note(try read())
      switch state {
      case .reachable, .permanent, .noARP: return finish(.resolved)
      case .stale where !hadAddress: return finish(.resolved)
      case .failed: return finish(.noAnswer)
      default: break
      }
      if ContinuousClock.now >= deadline {
        return finish(state.hasLinkAddress ? .unconfirmed : .noAnswer)
      }
      if NetlinkSocket.pause(for: min(pollInterval, deadline - .now), cancellation: cancellation) {
        return finish(.cancelled)
      }
    }
  }

  /// The same check off the cooperative pool; cancelling the task ends the wait. The check runs in a dispatch
  /// thread, so in the process's own network namespace.
  public static func check(_ address: IPAddress, interfaceIndex: UInt32? = nil, timeout: Duration = .seconds(5),
                           confirmStale: Bool = false) async throws(NetlinkError) -> NeighbourCheck {
    let result = await Blocking.run { cancellation in
      Result { () throws(NetlinkError) -> NeighbourCheck in
        try check(address, interfaceIndex: interfaceIndex, timeout: timeout, confirmStale: confirmStale, cancellation: cancellation)
      }
    }
    return try result.get()
  }

  /// One empty UDP datagram to port 9 (discard): the first packet to an unresolved neighbour starts ARP/ND.
  /// Returns the send error, if any (resolution may still have started).
  static func sendDatagram(to address: IPAddress, interfaceIndex: UInt32) -> Errno? {
    let socket: Socket
    do {
      socket = try Socket(domain: address.family.cValue, type: Int32(SOCK_DGRAM.rawValue))
    } catch {
      return error.errno
    }
    defer { socket.close() }
    let destination = SocketAddress(address, port: 9, scopeID: address.isLinkLocal && address.family == .ipv6 ? interfaceIndex : 0)
    if case let .failed(error) = socket.connect(to: destination) { return error }
    if case let .failure(error) = socket.send([]) { return error }
    return nil
  }

  static func summary(of check: NeighbourCheck) -> String {
    let protocolName = check.address.family == .ipv4 ? "ARP" : "ND"
    let device = check.interface.map { " on \($0)" } ?? ""
    let elapsed = durationText(check.elapsedMicroseconds)
    switch check.outcome {
    case .resolved:
      let state = check.state?.rawValue ?? "?"
      if check.state == .permanent { return "\(check.address)\(device) has a static entry (PERMANENT) \(check.mac ?? ""): no \(protocolName) needed" }
      if check.state == .noARP { return "\(check.address)\(device): the link does not use \(protocolName) (NOARP): nothing to resolve" }
      if check.initialState?.hasLinkAddress == true && check.initialState != .reachable && check.state == check.initialState {
        let recheck = check.state == .stale ? "the datagram started the kernel's re-check, which takes about 5 s more"
          : "the kernel is re-checking it now"
        return "\(check.address)\(device) has \(check.mac ?? "a link-layer address") from an earlier \(protocolName) answer (\(state): "
          + "not confirmed lately); \(recheck)"
      }
      let how = check.datagramSent ? "answered \(protocolName)" : "was already confirmed by \(protocolName)"
      return "\(check.address)\(device) \(how): \(check.mac ?? "no link-layer address") (\(state) after \(elapsed))"
    case .unconfirmed:
      return "\(check.address)\(device) had \(check.mac ?? "a link-layer address") but the kernel's re-check was still in "
        + "\(check.state?.rawValue ?? "?") after \(elapsed): not confirmed yet (try a longer timeout)"
    case .noAnswer:
      let ending = check.state == .failed ? "ended FAILED" : "stayed \(check.state?.rawValue ?? "NONE") until the deadline"
      return "ARP/ND got no answer: \(check.address)\(device) \(ending) after \(elapsed) "
        + "(host down or absent, wrong VLAN or switch port, or a firewall dropping \(protocolName))"
    case .notOnLink:
      return "\(check.address) is not on-link: it is routed via gateway \(check.gateway.map { "\($0)" } ?? "?")\(device); "
        + "check the gateway's \(protocolName) instead (nettriage probe neigh \(check.gateway.map { "\($0)" } ?? "GATEWAY"))"
    case .local:
      return "\(check.address) is this host's own address (\(check.route.type?.rawValue ?? "local") route\(device)): no \(protocolName) involved"
    case .notUnicast:
      return "\(check.address) has a \(check.route.type?.rawValue ?? "non-unicast") route\(device): no neighbour entry to check"
    case .noRoute, .rejected:
      return check.route.summary
    case .cancelled:
      return "\(check.address)\(device): check cancelled after \(elapsed) (last state \(check.state?.rawValue ?? "NONE"))"
    }
  }
}

/// Microseconds as `3.02 s` or `1.4 ms`.
func durationText(_ microseconds: Int64) -> String {
  if microseconds >= 1_000_000 {
    let hundredths = (microseconds + 5_000) / 10_000
    return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) s"
  }
  let tenths = (microseconds + 50) / 100
  return "\(tenths / 10).\(tenths % 10) ms"
}
