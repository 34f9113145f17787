import NetProbe

/// The decision logic: pure functions from the evidence to one verdict and its secondary findings.
///
/// The order matters and follows the layers: the local stack, then the name, then the route, then what the
/// packets to the application port met. A lower layer's fault explains everything above it.
public enum Decision {
  public static func diagnose(_ evidence: Evidence) -> Diagnosis {
    var context = Context(evidence)
    let primary = context.primaryFinding()
    return Diagnosis(primary: primary, secondary: context.secondaryFindings(after: primary))
  }

  /// How early before a retransmit's time a handshake may complete and still count as completed on it (timers fire
  /// on time or late, never much early), and how long after that retransmit's round trip: the kernel's timer wheel
  /// rounds each timeout up (by up to about 3% at 1 s, more for longer ones, and the rounding adds up) and a
  /// loaded machine runs late.
  static let stepEarlyMicroseconds: Int64 = 50_000
  static let stepLateMicroseconds: Int64 = 300_000
  static let stepLatePerMille: Int64 = 50
  /// Echo replies needed, none lost, before SYN drops can be blamed on the listener rather than the path: a path
  /// that loses a quarter of its packets each way still brings 3 echoes of 3 back one time in six, 8 of 8 one time
  /// in a hundred.
  static let cleanEchoReplies = 8
  /// Echo requests needed before lost replies count as packet loss (two or more lost), and before none answered
  /// counts as ICMP filtered rather than bad luck on a lossy path: the destination step tops up to this many.
  static let echoesForLoss = 8

  struct Context {
    let evidence: Evidence
    var values: [String: String] = [:]
    let attempts: [ProbeAttempt]
    let answered: [ProbeAttempt]

    init(_ evidence: Evidence) {
      self.evidence = evidence
      attempts = evidence.connects.flatMap(\.attempts).filter { $0.outcome != .cancelled }
      answered = attempts.filter { $0.outcome.isAnswer }
      if let address = attempts.first?.address {
        values["address"] = address.host
        values["port"] = String(address.port)
        values["endpoint"] = address.description  // an IPv6 address in brackets before its port
      }
      if let route = evidence.route {
        values["interface"] = route.interface
        values["gateway"] = route.gateway?.description
        values["source"] = route.source?.description
        values["prefix"] = route.prefix
      }
      if let server = evidence.dns?.server { values["dns_server"] = server }
    }

    // MARK: primary

    mutating func primaryFinding() -> Finding {
      if evidence.transport == .unix { return unixFinding() }
      if let finding = localStackFinding() { return finding }
      if let finding = nameFinding() { return finding }
      if let finding = routeFinding() { return finding }
      return connectFinding()
    }

    func finding(_ id: DiagnosisID, _ summary: String, evidence lines: [String] = [], couldNotTell: [String] = []) -> Finding {
      Finding(id: id, summary: summary, evidence: lines + dnsDisagreementLines(), couldNotTell: couldNotTell, values: values)
    }

    func unixFinding() -> Finding {
      let lines = attemptLines()
      guard let last = attempts.last else {
        return finding(.unixSocketMissing, "the socket was not probed", couldNotTell: ["nothing was probed"])
      }
      switch last.outcome {
      case .connected: return finding(.reachable, "the unix socket accepted the connection", evidence: lines)
      case .missing: return finding(.unixSocketMissing, "the socket file does not exist: the service is not running or uses another path", evidence: lines)
      case .notSocket: return finding(.unixSocketMissing, "the path exists but is not a socket: a stale file or the wrong path", evidence: lines)
      case .permissionDenied: return finding(.unixSocketPermission, "no permission to connect: the socket file or a directory above it does not allow this user", evidence: lines)
      case .backlogFull: return finding(.listenQueueOverflow, "the listener's backlog is full: it does not accept connections fast enough", evidence: lines)
      default: return finding(.unixSocketRefused, "nobody accepts on the socket: the file is left from a service that stopped", evidence: lines)
      }
    }

    func localStackFinding() -> Finding? {
      guard !evidence.targetIsLoopback, let interfaces = evidence.interfaces, interfaces.usableCount == 0 else { return nil }
      // A route through one named interface that lost its link says more: the route step names that link.
      if let route = evidence.route, route.kind == .unicast, route.interfaceUp == false || route.carrier == false { return nil }
      return finding(.noInterface, "no interface is up with carrier and an address: this machine cannot reach any network",
                     evidence: ["usable interfaces: 0"])
    }

    mutating func nameFinding() -> Finding? {
      guard evidence.targetIsName, let dns = evidence.dns else { return nil }
      let time = dns.elapsedMicroseconds.map { " after \(ProbeText.milliseconds($0))" } ?? ""
      // The system resolver's word, then what each server said to our own queries (the response code, or silence).
      let queries = (dns.queries ?? []).map { "query " + $0 }
      switch dns.outcome {
      case .resolved: return nil
      case .nxdomain: return finding(.dnsNXDomain, "the name does not exist (NXDOMAIN)\(time)", evidence: ["resolver: no such name"] + queries)
      case .noAddress: return finding(.dnsNoAddress, "the name exists but has no address of the family asked for\(time)", evidence: ["resolver: no data"] + queries)
      case .timeout:
        // A lower layer first: no route or no link to the name server, or its gateway does not answer ARP/ND.
        if let finding = nameServerPathFinding(queries: queries) { return finding }
        if let gateway = evidence.gatewayNeighbour, gateway.failed {
          values["gateway"] = gateway.address.description
          return finding(.gatewayUnreachable,
                         "the gateway \(gateway.address) did not answer ARP/ND: the name servers behind it cannot be reached, so the name did not resolve"
                           + (dns.elapsedMicroseconds.map { " (the resolver gave up after \(ProbeText.milliseconds($0)))" } ?? ""),
                         evidence: neighbourLines() + ["resolver: timed out"] + queries)
        }
        let silent = dns.queries == nil ? dns.slowServers.map { "no answer from \($0)" } : []
        return finding(.dnsTimeout, "no name server answered in time\(time)", evidence: ["resolver: timed out"] + silent + queries)
      case .servfail: return finding(.dnsServFail, "the name server failed to answer (SERVFAIL or REFUSED)\(time)", evidence: ["resolver: server failure"] + queries)
      case .noServers: return finding(.dnsNoServers, "no name server is configured (resolv.conf has no nameserver)", evidence: ["resolv.conf: no nameserver lines"])
      }
    }

    /// The name timed out and the path to its name server shows why: no route, a reject route, or a dead link.
    func nameServerPathFinding(queries: [String]) -> Finding? {
      guard let server = evidence.nameServer, let route = evidence.nameServerRoute else { return nil }
      return blockedRouteFinding(route, toward: "the name server \(server)", lookup: "route lookup for \(server)",
                                 linkEnding: " (the way to the name server \(server)), so the name did not resolve",
                                 ending: ", so the name did not resolve", more: ["resolver: timed out"] + queries)
    }

    /// A route that stops packets before any leaves: none, a reject type, or an egress interface without link.
    func blockedRouteFinding(_ route: RouteEvidence, toward address: String, lookup: String = "route lookup",
                             linkEnding: String = "", ending: String = "", more: [String] = []) -> Finding? {
      switch route.kind {
      case .none:
        return finding(.noRoute, "the routing table has no route to \(address): no default gateway and no matching prefix" + ending,
                       evidence: ["\(lookup): no route (ENETUNREACH)"] + more)
      case .unreachable, .prohibit, .blackhole:
        return finding(.noRoute, "the routing table sends \(address) to a \(route.kind.rawValue) route: the kernel refuses to send" + ending,
                       evidence: ["\(lookup): type \(route.kind.rawValue)"] + more)
      case .unicast, .local:
        guard route.interfaceUp == false || route.carrier == false else { return nil }
        let name = route.interface ?? "the egress interface"
        let state = route.interfaceUp == false ? "is administratively down" : "has no carrier (cable, switch port or peer down)"
        return finding(.linkDown, "\(name) \(state)" + linkEnding,
                       evidence: ["\(lookup): via \(name)", "\(name): up=\(route.interfaceUp.map(String.init) ?? "?") carrier=\(route.carrier.map(String.init) ?? "?")"] + more)
      }
    }

    func routeFinding() -> Finding? {
      guard !evidence.targetIsLoopback, let route = evidence.route else { return nil }
      if let blocked = blockedRouteFinding(route, toward: values["address"] ?? "the destination") { return blocked }
      if route.gatewayFitsSubnet == false, let gateway = route.gateway {
        return finding(.gatewayOffSubnet, "the gateway \(gateway) is not inside any prefix of \(route.interface ?? "its interface"): the network IDs differ",
                       evidence: ["route lookup: via \(gateway) dev \(route.interface ?? "?")"])
      }
      return nil
    }

    /// No connect ran: with no target, the verdict on the local checks (interfaces, route, gateway, name servers).
    func localChecksFinding() -> Finding {
      if let gateway = evidence.gatewayNeighbour, gateway.failed {
        return finding(.gatewayUnreachable, "no target given; the default gateway \(gateway.address) did not answer ARP/ND: nothing beyond this link is reachable",
                       evidence: neighbourLines())
      }
      if let dns = evidence.dns, !evidence.targetIsName {
        switch dns.outcome {
        case .noServers:
          return finding(.dnsNoServers, "no target given; no name server is configured (resolv.conf has no nameserver)",
                         evidence: ["resolv.conf: no nameserver lines"])
        case .timeout:
          return finding(.dnsTimeout, "no target given; no configured name server answered: every name lookup will fail",
                         evidence: (dns.server.map { ["no answer from \($0)"] } ?? []))
        default: break
        }
      }
      guard evidence.route != nil || evidence.interfaces != nil || evidence.dns != nil else {
        return finding(.noResponse, "nothing was probed", couldNotTell: ["no connect attempt ran"])
      }
      var lines: [String] = []
      if let interfaces = evidence.interfaces { lines.append("usable interfaces: \(interfaces.usableCount)") }
      if let gateway = evidence.route?.gateway { lines.append("default gateway \(gateway)" + (evidence.gatewayNeighbour.map { ": \($0.state.rawValue.uppercased())" } ?? "")) }
      if let baseline = evidence.baselineRoundTripMicroseconds { lines.append("gateway round trip \(ProbeText.milliseconds(baseline))") }
      if let dns = evidence.dns, dns.outcome == .resolved {
        lines.append(dns.slowServers.isEmpty ? "name servers answer" : "silent name server(s): " + dns.slowServers.joined(separator: ", "))
      }
      return finding(.reachable, "no target given: the local checks pass (interfaces, route, gateway, name servers)", evidence: lines,
                     couldNotTell: ["whether a particular destination answers: give a target, e.g. nettriage check HOST:PORT"])
    }

    mutating func connectFinding() -> Finding {
      let lines = attemptLines()
      let address = values["address"] ?? "the destination"
      let endpoint = values["endpoint"] ?? "the destination"
      let port = values["port"] ?? "?"
      if !answered.isEmpty {
        // The address that answered, not the first tried: with a name of both families, the first may be the one
        // that never did.
        if let address = answered.first?.address {
          values["address"] = address.host
          values["endpoint"] = address.description
        }
        let endpoint = values["endpoint"] ?? endpoint
        let timing = handshakeTiming()
        let steppedLines = timing?.steppedLines() ?? []
        if evidence.localListenOverflowRising == true, answered.count < attempts.count || !steppedLines.isEmpty {
          return finding(.listenQueueOverflow,
                         "\(endpoint) answers only some handshakes, or late: its accept queue is full and the kernel drops SYNs (ListenOverflows rose)",
                         evidence: lines + steppedLines + ["ListenOverflows rising on this host"])
        }
        if let timing, let cleanPath = cleanPathLines(timing) {
          let times = timing.stepped.map { Decision.seconds($0.microseconds) }.joined(separator: ", ")
          return finding(.listenQueueOverflow,
                         "\(endpoint) answered only on SYN retransmits (\(times)) while the path loses nothing: its accept queue is full and its kernel drops SYNs",
                         evidence: lines + steppedLines + cleanPath + [timing.scheduleLine],
                         couldNotTell: [
                           "the server's own evidence: its listener's accept queue at or above its backlog and TcpExtListenOverflows rising; run `nettriage probe sockets --listen --port \(port)` on the server",
                           "a device in the path that drops SYNs alone (a SYN rate limit) would look the same from here: ping only shows that the path loses no other packets",
                         ])
        }
        // The handshake works, yet a connection already open to the server can hang: the reason transfers stop.
        let stuck = (evidence.stuckConnections ?? []).map { "held up on this machine: " + $0 }
        let heldUp = stuck.isEmpty ? ""
          : stuck.count == 1 ? ", but a connection of this machine to it is held up (see the socket-state step)"
          : ", but \(stuck.count) connections of this machine to it are held up (see the socket-state step)"
        return finding(.reachable, (evidence.transport == .udp ? "\(endpoint) replied over UDP" : "\(endpoint) completed the TCP handshake") + heldUp,
                       evidence: lines + stuck)
      }
      guard let decisive = decisiveAttempt() else { return localChecksFinding() }
      switch decisive.outcome {
      case .refused:
        return refusedFinding(decisive, lines: lines)
      case .adminProhibited:
        let sender = decisive.icmp?.sender?.description ?? "a firewall"
        values["sender"] = sender
        return finding(.adminProhibited, "\(sender) rejected the connection: ICMP administratively prohibited (a firewall rule that rejects)", evidence: lines)
      case .hostUnreachable:
        return hostUnreachableFinding(decisive, lines: lines)
      case .networkUnreachable:
        if let sender = remoteSender(decisive) {
          values["sender"] = sender.description
          return finding(.netUnreachable, "the router \(sender) has no route to \(address): ICMP network unreachable", evidence: lines)
        }
        return finding(.noRoute, "the local routing table has no route to \(address) (ENETUNREACH)", evidence: lines)
      case .notPermitted:
        return finding(.localFirewall, "this machine's own filter refused to send (EPERM/EACCES without any ICMP): a local firewall rule", evidence: lines)
      case .addressUnavailable, .addressInUse, .descriptorLimit:
        return finding(.sourceAddressUnavailable, "the local stack could not give the connection a source: \(decisive.errno?.description ?? decisive.outcome.rawValue)", evidence: lines)
      case .networkDown:
        return finding(.linkDown, "the egress interface is down (ENETDOWN)", evidence: lines)
      default:
        return silenceFinding(lines: lines)
      }
    }

    func refusedFinding(_ attempt: ProbeAttempt, lines: [String]) -> Finding {
      let address = values["address"] ?? "the destination"
      let port = values["port"] ?? "?"
      if evidence.transport == .udp {
        return finding(.portClosed, "\(address) answered with ICMP port unreachable: nothing listens on UDP port \(port)", evidence: lines)
      }
      if let packets = evidence.packets, let resetHops = packets.resetHops, let destinationHops = packets.destinationHops {
        let hopLines = ["RST travelled \(resetHops) hop(s); the destination is \(destinationHops) hop(s) away"]
          + (packets.resetReason.map { ["capture: " + $0] } ?? [])
        if packets.resetFromDeviceInPath ?? (resetHops < destinationHops) {
          return finding(.portResetInPath, "a device in the path, not \(address), answered the SYN with RST (it is \(resetHops) hop(s) away, the destination \(destinationHops))",
                         evidence: lines + hopLines)
        }
        return finding(.portClosed, "\(address) answered the SYN with RST: nothing listens on port \(port)", evidence: lines + hopLines)
      }
      return finding(.portClosed, "\(address) answered the SYN with RST: nothing listens on port \(port)", evidence: lines,
                     couldNotTell: ["whether the RST came from the destination or from a device in the path: that needs the packet trace's TTLs (CAP_NET_RAW)"])
    }

    mutating func hostUnreachableFinding(_ attempt: ProbeAttempt, lines: [String]) -> Finding {
      let address = values["address"] ?? "the destination"
      if let sender = remoteSender(attempt) {
        values["sender"] = sender.description
        return finding(.hostUnreachable, "the router \(sender) could not deliver to \(address): ICMP host unreachable (the host is down behind it, its ARP failed, or it has an unreachable route)",
                       evidence: lines)
      }
      let route = evidence.route
      if route?.isOnLink == true || evidence.targetNeighbour?.failed == true {
        return finding(.neighborUnreachable, "\(address) is on the local link and did not answer ARP/ND: it is down, on another VLAN, or its switch port is dead",
                       evidence: lines + neighbourLines())
      }
      if let gateway = route?.gateway {
        return finding(.gatewayUnreachable, "the default gateway \(gateway) did not answer ARP/ND: this machine cannot hand packets to it",
                       evidence: lines + neighbourLines(),
                       couldNotTell: evidence.gatewayNeighbour == nil ? ["the gateway's ARP/ND state: it was not checked"] : [])
      }
      return finding(.hostUnreachable, "the local stack reported host unreachable for \(address)", evidence: lines,
                     couldNotTell: ["which neighbour failed: the route lookup was not available"])
    }

    /// The traceroute run while the connect waited, as one evidence line.
    func pathTraceLines() -> [String] {
      evidence.pathTrace.map { ["trace toward the port: " + $0.text] } ?? []
    }

    func silenceFinding(lines: [String]) -> Finding {
      let address = values["address"] ?? "the destination"
      let port = values["port"] ?? "?"
      if evidence.packets?.synsNeverLeft == true {
        return finding(.localFirewall, "the SYNs never left this machine: a local firewall rule drops them silently", evidence: lines + ["capture: no SYN on the egress interface"])
      }
      if evidence.packets?.synAckIgnored == true {
        return finding(.localFirewall, "\(address) answered with SYN-ACK, but the connect never completed: a rule on this machine drops the answers",
                       evidence: lines + ["capture: SYN-ACK from the server on the interface, the socket never saw it"])
      }
      if evidence.localListenOverflowRising == true {
        return finding(.listenQueueOverflow, "the listener's accept queue is full: its overflow counters rose while our SYNs went unanswered", evidence: lines + ["ListenOverflows rising"])
      }
      if let route = evidence.route, !route.isOnLink, let gateway = evidence.gatewayNeighbour, gateway.failed {
        return finding(.gatewayUnreachable, "the default gateway \(gateway.address) did not answer ARP/ND", evidence: lines + neighbourLines())
      }
      if evidence.route?.isOnLink == true, let neighbour = evidence.targetNeighbour, neighbour.failed {
        return finding(.neighborUnreachable, "\(address) is on the local link and did not answer ARP/ND", evidence: lines + neighbourLines())
      }
      let life = signsOfLife()
      if !life.isEmpty {
        let udp = evidence.transport == .udp
        return finding(.portFiltered, udp ? "\(address) is up but nothing came back from UDP port \(port): filtered, or open and silent for this payload"
                                          : "\(address) is up but never answered the SYN to port \(port): a firewall drops it silently",
                       evidence: lines + life + (evidence.packets?.synRetransmits.map { ["capture: \($0 + 1) SYN(s) left this machine, none answered"] } ?? [])
                         + pathTraceLines(),
                       couldNotTell: udp ? ["whether UDP port \(port) is open and ignores this payload or is filtered: UDP gives no handshake"]
                                         : ["whether the host's own firewall or one in the path drops the SYN: that needs a capture on both sides",
                                            "whether a listener on port \(port) has a full accept queue that never drains: its kernel drops SYNs silently too, which looks the same from here; on the server, `nettriage probe sockets --listen --port \(port)` shows the queue against its backlog and ListenOverflows"])
      }
      return finding(.noResponse, "no answer from \(address) at all: it may be down, or everything to it is filtered", evidence: lines + pathTraceLines(),
                     couldNotTell: ["whether the host is down or filtered: no ping reply, no ARP answer and no other port gave a sign of life"]
                       + (evidence.echo?.skippedReason.map { ["ping was skipped: \($0)"] } ?? []))
    }

    // MARK: secondary

    func secondaryFindings(after primary: Finding) -> [Finding] {
      var findings: [Finding] = []
      if primary.id == .reachable || primary.id == .listenQueueOverflow {
        if let echo = evidence.echo, echo.skippedReason == nil, echo.sent > 0, echo.replies == 0, evidence.transport != .unix {
          findings.append(Finding(id: .icmpBlocked, severity: .secondary, summary: "ping gets no reply but TCP reaches the host: ICMP echo is filtered",
                                  evidence: ["echo: \(echo.sent) sent, 0 replies"], values: values))
        }
        // An overflowing queue explains its own lost and late handshakes.
        if primary.id == .reachable, let loss = packetLoss() { findings.append(loss) }
        if primary.id == .reachable, let latency = highLatency() { findings.append(latency) }
      }
      if primary.id == .reachable || primary.id == .listenQueueOverflow { findings += addressesThatNeverAnswered() }
      if let dns = evidence.dns, !dns.slowServers.isEmpty, primary.id != .dnsTimeout {
        findings.append(Finding(id: .dnsTimeout, severity: .secondary,
                                summary: "a name server is dead or slow: \(dns.slowServers.joined(separator: ", ")); lookups wait for it before trying the next",
                                evidence: dns.slowServers.map { "slow or silent: \($0)" }, values: values))
      }
      return findings
    }

    /// Addresses of the target that failed every attempt while another of its addresses answered (most often the
    /// IPv6 address of a dual-stack name): the connection works here because the probe falls back, but a client
    /// that tries that address first waits for its timeout, or fails where it does not fall back.
    func addressesThatNeverAnswered() -> [Finding] {
      guard let working = answered.first?.address else { return [] }
      var order: [SocketAddress] = []
      var byAddress: [SocketAddress: [ProbeAttempt]] = [:]
      for attempt in attempts {
        guard let address = attempt.address else { continue }
        if byAddress[address] == nil { order.append(address) }
        byAddress[address, default: []].append(attempt)
      }
      return order.compactMap { address -> Finding? in
        let tries = byAddress[address] ?? []
        guard !tries.contains(where: { $0.outcome.isAnswer }) else { return nil }
        guard let decisive = Self.decisive(among: tries) else { return nil }
        let (id, what): (DiagnosisID, String) = switch decisive.outcome {
        case .refused: (.portClosed, "was refused (RST)")
        case .adminProhibited: (.adminProhibited, "was rejected: ICMP administratively prohibited from \(decisive.icmp?.sender?.description ?? "a firewall")")
        case .hostUnreachable: (.hostUnreachable, "got host unreachable" + (decisive.icmp?.sender.map { " from \($0)" } ?? ""))
        case .networkUnreachable: (.netUnreachable, "got network unreachable" + (decisive.icmp?.sender.map { " from \($0)" } ?? ""))
        case .notPermitted: (.localFirewall, "was stopped by this machine's own filter (EPERM/EACCES)")
        case .timedOut, .noReply: (evidence.transport == .udp ? .noResponse : .portFiltered, "got no answer (timed out)")
        default: (.noResponse, "failed: \(decisive.outcome.rawValue)")
        }
        let family = { (address: SocketAddress) in address.family == .ipv6 ? "IPv6" : "IPv4" }
        let count = tries.count == 1 ? "the attempt" : "every attempt (\(tries.count))"
        var findingValues = values
        findingValues["address"] = address.host
        findingValues["endpoint"] = address.description
        let lines = attemptLines { $0.address == address && $0.outcome != .cancelled }
        return Finding(id: id, severity: .secondary,
                       summary: "\(count) to \(address) (\(family(address))) \(what), while \(working) (\(family(working))) answered: "
                         + "a client that tries \(address.host) first waits for its timeout, or fails if it does not fall back"
                         + (address.family != working.family
                            ? "; fix \(family(address)) to it (route, firewall, the service listening on it) or take the name's "
                              + (address.family == .ipv6 ? "AAAA" : "A") + " record away"
                            : ""),
                       evidence: lines, values: findingValues)
      }
    }

    /// Probes that got no answer, and handshakes that completed only on a SYN retransmit: a SYN or its SYN-ACK was
    /// lost on the way (the path, or a listener too busy to take it: see `cleanPathLines`).
    func packetLoss() -> Finding? {
      let probes = evidence.connects.filter { $0.outcome != .cancelled }
      let lost = probes.filter { !$0.outcome.isAnswer }.count
      let timing = handshakeTiming()
      let late = timing?.stepped.count ?? 0
      // Echoes lost while others came back (enough sent): the path loses packets, whatever the handshakes met.
      // None back at all is ICMP filtered, not loss.
      let echoLost = evidence.echo.flatMap { echo -> (lost: Int, sent: Int)? in
        guard echo.skippedReason == nil, echo.sent >= Decision.echoesForLoss, echo.replies > 0, echo.sent - echo.replies >= 2 else { return nil }
        return (echo.sent - echo.replies, echo.sent)
      }
      guard (probes.count >= 2 && lost > 0) || late > 0 || echoLost != nil else { return nil }
      var parts: [String] = []
      if lost > 0 {
        parts.append("\(lost) of \(probes.count) probes got no answer (\(ProbeText.decimal(Double(lost) * 100 / Double(probes.count), places: 1))% loss)")
      }
      if late > 0 {
        parts.append("\(late) of \(answered.count) handshakes completed only on a SYN retransmit: a SYN or its SYN-ACK was lost")
      }
      if let echoLost {
        parts.append("\(echoLost.lost) of \(echoLost.sent) echo requests got no reply (\(ProbeText.decimal(Double(echoLost.lost) * 100 / Double(echoLost.sent), places: 1))% loss)")
      }
      var couldNotTell: [String] = []
      if late > 0 {
        couldNotTell.append("whether the path or a listener with a full accept queue dropped those SYNs: blaming the listener needs at least \(Decision.cleanEchoReplies) echo replies with none lost and two late handshakes")
      }
      return Finding(id: .packetLoss, severity: .secondary, summary: parts.joined(separator: "; "),
                     evidence: ["probes: \(probes.count) sent, \(probes.count - lost) answered"] + (timing?.steppedLines() ?? []) + echoLossLines(),
                     couldNotTell: couldNotTell, values: values)
    }

    func echoLossLines() -> [String] {
      guard let echo = evidence.echo, echo.skippedReason == nil, echo.sent > 0, echo.replies < echo.sent else { return [] }
      return ["ping: \(echo.replies) of \(echo.sent) echo replies"]
    }

    func highLatency() -> Finding? {
      // A handshake that completed on a SYN retransmit says nothing of the path's round trip: the kernel's timers
      // round the retransmit's time up by tens of milliseconds.
      let times = (handshakeTiming()?.unstepped ?? answered.map(\.elapsedMicroseconds)).sorted()
      guard !times.isEmpty else { return nil }
      let median = times[times.count / 2]
      let threshold: Int64
      if let baseline = evidence.baselineRoundTripMicroseconds {
        threshold = baseline + max(20_000, 4 * baseline)
      } else {
        threshold = 200_000
      }
      guard median > threshold else { return nil }
      return Finding(id: .highLatency, severity: .secondary,
                     summary: evidence.baselineRoundTripMicroseconds.map {
                       "round trips of \(ProbeText.milliseconds(median)) are well above the path's baseline (\(ProbeText.milliseconds($0)) to the gateway): the delay is past it"
                     } ?? "round trips of \(ProbeText.milliseconds(median)) are above 200 ms",
                     evidence: ["median handshake \(ProbeText.milliseconds(median))"] + (evidence.baselineRoundTripMicroseconds.map { ["baseline \(ProbeText.milliseconds($0))"] } ?? []),
                     values: values)
    }

    // MARK: helpers

    /// The attempt that says most: an error with meaning beats a timeout.
    func decisiveAttempt() -> ProbeAttempt? { Self.decisive(among: attempts) }

    static func decisive(among attempts: [ProbeAttempt]) -> ProbeAttempt? {
      let precedence: [ProbeOutcome] = [.adminProhibited, .notPermitted, .networkDown, .addressUnavailable, .addressInUse, .descriptorLimit,
                                         .hostUnreachable, .networkUnreachable, .refused]
      for outcome in precedence {
        if let attempt = attempts.first(where: { $0.outcome == outcome }) { return attempt }
      }
      return attempts.last
    }

    /// The answered handshakes' times against the kernel's SYN retransmit schedule; nil where they cannot say
    /// anything about retransmits: not TCP, nothing answered, or no round trip to the destination well under the
    /// first retransmit's time (a slow path makes every handshake slow, on a step or not).
    func handshakeTiming() -> HandshakeTiming? {
      guard evidence.transport == .tcp, !answered.isEmpty else { return nil }
      let schedule = evidence.synRetransmits ?? .classic
      let retransmits = schedule.retransmitMicroseconds
      guard let first = retransmits.first else { return nil }
      // The destination's own round trip: its fastest echo reply or handshake. Not the gateway's baseline: a slow
      // far side would then make every handshake look like a retransmit.
      let times = answered.map(\.elapsedMicroseconds)
      let echoTimes = evidence.echo?.roundTripMicroseconds ?? []
      guard let roundTrip = (times + echoTimes).min(), roundTrip * 4 < first else { return nil }
      var timing = HandshakeTiming(schedule: schedule, scheduleWasRead: evidence.synRetransmits != nil, roundTrip: roundTrip)
      for time in times {
        if time < first - Decision.stepEarlyMicroseconds {
          timing.unstepped.append(time)
        } else if let index = retransmits.firstIndex(where: { time >= $0 - Decision.stepEarlyMicroseconds && time <= $0 + roundTrip + Decision.stepLateMicroseconds + $0 * Decision.stepLatePerMille / 1000 }) {
          timing.stepped.append((time, index + 1))
        } else {
          timing.offStep.append(time)
          timing.unstepped.append(time)
        }
      }
      return timing
    }

    /// Why the SYN drops are the listener's and not the path's, or nil when the evidence does not show it: at
    /// least two handshakes completed on a retransmit (one lost SYN is ordinary loss), none was slow off the
    /// schedule, and ping got several replies with none lost (a lossy path loses echoes too; an overflowing
    /// listener drops only SYNs to its port).
    func cleanPathLines(_ timing: HandshakeTiming) -> [String]? {
      guard timing.stepped.count >= 2, timing.offStep.isEmpty,
            let echo = evidence.echo, echo.skippedReason == nil, echo.replies >= Decision.cleanEchoReplies, echo.replies == echo.sent
      else { return nil }
      let unanswered = timing.stepped.reduce(0) { $0 + $1.retransmit }
      let sent = timing.stepped.count + unanswered
      return ["ping: \(echo.replies) of \(echo.sent) echo replies, fastest \(ProbeText.milliseconds(echo.roundTripMicroseconds.min() ?? 0)): "
              + "the path lost none, while \(unanswered) of the \(sent) SYNs of those handshakes got no answer"]
    }

    /// The sender of an ICMP error when it is not this machine's own stack.
    func remoteSender(_ attempt: ProbeAttempt) -> IPAddress? {
      guard let icmp = attempt.icmp, icmp.origin == .icmp || icmp.origin == .icmp6, let sender = icmp.sender else { return nil }
      if sender == attempt.local?.address || sender == evidence.route?.source { return nil }
      return sender
    }

    func signsOfLife() -> [String] {
      var lines: [String] = []
      if let echo = evidence.echo, echo.replies > 0 {
        lines.append("ping: \(echo.replies) of \(echo.sent) echo replies" + (echo.roundTripMicroseconds.min().map { ", fastest \(ProbeText.milliseconds($0))" } ?? ""))
      }
      if evidence.route?.isOnLink == true, let neighbour = evidence.targetNeighbour, neighbour.answered {
        lines.append("ARP/ND: \(neighbour.address) is \(neighbour.state.rawValue.uppercased())")
      }
      if evidence.otherPortAnswered == true { lines.append("another port of the host answered") }
      return lines
    }

    /// A line per connect attempt (those `include` keeps).
    func attemptLines(_ include: (ProbeAttempt) -> Bool = { _ in true }) -> [String] {
      evidence.connects.flatMap { result in
        result.attempts.filter(include).map { attempt in
          let endpoint = attempt.address?.description ?? SafeText.escape(result.target)
          return "\(result.kind.rawValue) \(endpoint): \(ProbeText.describe(attempt, kind: result.kind))"
        }
      }
    }

    func neighbourLines() -> [String] {
      [evidence.gatewayNeighbour.map { "gateway \($0.address) ARP/ND: \($0.state.rawValue.uppercased())" },
       evidence.targetNeighbour.map { "\($0.address) ARP/ND: \($0.state.rawValue.uppercased())" }].compactMap { $0 }
    }

    func dnsDisagreementLines() -> [String] {
      guard let dns = evidence.dns, dns.hostsFileDisagrees else { return [] }
      return ["the hosts file maps the name to \(dns.addresses.map(\.description).joined(separator: ", ")), which DNS does not give: the connection went to the hosts-file address"]
    }
  }

  /// `1.003 s`
  static func seconds(_ microseconds: Int64, places: Int = 3) -> String {
    ProbeText.decimal(Double(microseconds) / 1_000_000, places: places) + " s"
  }

  /// The answered handshakes sorted by what their times say: at once, on a SYN retransmit, or slow for no
  /// retransmit of the schedule.
  struct HandshakeTiming {
    var schedule: SYNRetransmitSchedule
    /// The schedule came from the evidence (the kernel's sysctls), not the classic default.
    var scheduleWasRead: Bool
    /// The destination's fastest round trip (echo or handshake).
    var roundTrip: Int64
    /// Handshakes that completed one round trip after retransmit number `retransmit` (1 is the first).
    var stepped: [(microseconds: Int64, retransmit: Int)] = []
    /// Slow handshakes on no retransmit's time.
    var offStep: [Int64] = []
    /// The times of the handshakes that did not complete on a retransmit (at once, or off the schedule).
    var unstepped: [Int64] = []

    init(schedule: SYNRetransmitSchedule, scheduleWasRead: Bool, roundTrip: Int64) {
      self.schedule = schedule
      self.scheduleWasRead = scheduleWasRead
      self.roundTrip = roundTrip
    }

    /// "connected after 1.003 s: on the kernel's first SYN retransmit (sent at 1 s); the SYN before it got no answer"
    func steppedLines() -> [String] {
      let retransmits = schedule.retransmitMicroseconds
      return stepped.map { time, retransmit in
        let sentAt = Decision.seconds(retransmits[retransmit - 1], places: 0)
        let before = retransmit == 1 ? "the SYN before it" : "the \(retransmit) SYNs before it"
        return "connected after \(Decision.seconds(time)): on the kernel's \(Self.ordinal(retransmit)) SYN retransmit (sent at \(sentAt)); \(before) got no answer"
      }
    }

    /// The schedule the times were held against, and where it came from.
    var scheduleLine: String {
      let times = schedule.retransmitMicroseconds.map { ProbeText.decimal(Double($0) / 1_000_000, places: 0) }.joined(separator: ", ")
      guard scheduleWasRead else { return "SYN retransmits assumed at \(times) s (the classic schedule: this kernel's sysctls were not recorded)" }
      let source = schedule.linearTimeouts > 0 ? "net.ipv4.tcp_syn_linear_timeouts=\(schedule.linearTimeouts), tcp_syn_retries=\(schedule.retries)"
                                                : "exponential backoff, tcp_syn_retries=\(schedule.retries)"
      return "this kernel retransmits an unanswered SYN after \(times) s (\(source))"
    }

    static func ordinal(_ number: Int) -> String {
      let words = ["first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth"]
      return number >= 1 && number <= words.count ? words[number - 1] : "#\(number)"
    }
  }
}
