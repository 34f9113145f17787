import NetProbe

extension ChecklistRun {
  /// The target's addresses, resolved once per run and shared by every step that needs them.
  func resolvedTarget() async -> ResolvedTarget {
    if let task = resolutionTask { return await task.value }
    let target = self.target
    let task = Task { await Self.resolve(target) }
    resolutionTask = task
    return await task.value
  }

  static func resolve(_ target: CheckTarget?) async -> ResolvedTarget {
    guard let internet = target?.internet else { return ResolvedTarget(addresses: []) }
    do {
      let resolution = try await Resolver.resolve(internet.host)
      return ResolvedTarget(addresses: internet.socketAddresses(resolution.addresses), resolution: resolution)
    } catch {
      return ResolvedTarget(addresses: [], error: error)
    }
  }

  /// Step 6: name resolution, then the application port (TCP handshake, UDP exchange or unix connect). With no
  /// target: whether the configured name servers answer.
  func destinationStep() async -> StepOutcome {
    // Only a numeric address connects at once; anything else waits (for DNS, or has nothing to race) with the
    // other steps running.
    if target?.internet == nil || target?.isName == true { endDestinationHeadStart() }
    guard let target else { return await nameServersCheck() }
    if case let .unix(path) = target.target { return await unixDestination(path) }

    // For a name (not this host's own), ask each configured server directly, beside getaddrinfo: it tells
    // SERVFAIL from silence, a dead server from a slow one, and the hosts file from DNS.
    let direct: Task<DNSProbeReport?, Never>? = target.isName && !target.isLoopback ? Task {
      guard case let .name(text)? = target.internet?.host, let name = try? DNSName(text) else { return nil }
      // As long as the system resolver itself waits for one server (resolv.conf's timeout × attempts), at most
      // the check's timeout and 2 s: a server slower than that fails the application's lookups just the same.
      let configuration = ResolverConfiguration.read(path: self.options.resolvConfPath)
      let resolverBudget = Duration.seconds(max(1, configuration.timeoutSeconds * configuration.attempts))
      let timeout = min(self.options.timeout, .seconds(2), resolverBudget)
      var probeOptions = DNSProbe.Options(timeout: timeout, skipSystemResolver: "asked by the destination step itself")
      probeOptions.resolvConfPath = self.options.resolvConfPath
      probeOptions.nameServerPort = self.options.nameServerPort
      return await DNSProbe.run(name, nameAsGiven: text, options: probeOptions)
    } : nil
    let resolved = await resolvedTarget()
    if target.isName {
      var dns = Self.dnsEvidence(resolved)
      if let direct {
        // A failed lookup waits for the servers' answers; a good one gives them a moment only.
        let report = resolved.addresses.isEmpty ? await direct.value : await Self.value(of: direct, within: .milliseconds(300))
        if let report {
          Self.refine(&dns, with: report)
          for query in report.queries {
            detail(.destination, "DNS \(query.server) \(query.type): \(query.outcome.rawValue) in \(ProbeText.milliseconds(query.elapsedMicroseconds))"
                   + (query.addresses.isEmpty ? "" : ": " + query.addresses.map(\.description).joined(separator: ", ")))
          }
          for finding in report.findings where finding.severity != .info {
            detail(.destination, "DNS \(finding.id): \(SafeText.escape(finding.message))")
          }
        }
      }
      updateEvidence { $0.dns = dns }
      if let resolution = resolved.resolution {
        detail(.destination, "DNS: " + ProbeText.resolution(resolution))
      } else if let error = resolved.error {
        detail(.destination, "DNS: \(error.symbol) (\(error.code)) \(error.message) after \(ProbeText.milliseconds(error.elapsedMicroseconds))")
      }
    }
    guard !resolved.addresses.isEmpty else {
      return StepOutcome(status: .fail, summary: "the name did not resolve: nothing to connect to")
    }

    // Handshake times are read against the SYN retransmit schedule of the namespace the connects run in.
    if target.transport == .tcp { updateEvidence { $0.synRetransmits = SYNRetransmitSchedule.read() } }
    // Ping runs beside the connect: a reply within milliseconds while the SYN goes unanswered is what lets a
    // provisional "filtered" verdict come out long before the connect's deadline.
    let connectStarted = ContinuousClock.now
    connectPending = true
    let echoAddress = resolved.addresses[0]
    destinationEchoFinished = false
    echoFailures[echoAddress] = nil
    let echoTask = Task {
      let echo = await self.echo(echoAddress, step: .destination, count: self.options.echoCount, interval: .milliseconds(200),
                                 timeout: self.options.timeout) { rtt in
        await self.provisionalVerdictAfterEcho(rtt: rtt, connectStarted: connectStarted)
      }
      await self.markDestinationEchoFinished()
      return echo
    }
    let traceTask = Task {
      await self.traceWhileTheConnectWaits(to: echoAddress, label: target.internet?.description ?? target.text,
                                           connectStarted: connectStarted)
    }
    endDestinationHeadStart()
    let first = await connectOnce(resolved.addresses, target: target)
    connectPending = false
    await provisionalVerdictAfterFirstConnect(first)
    // A trace that started ends before a timed-out connect's deadline; one that has not started never will, and
    // one a late answer overtook ends with what it has.
    traceTask.cancel()
    await traceTask.value
    var results = [first]
    // Once the port answered, a few more probes measure loss and latency; a silent port is not asked again.
    if first.outcome.isAnswer || first.outcome == .refused {
      for _ in 1..<max(1, options.connectProbes) where !Task.isCancelled {
        results.append(await connectOnce(resolved.addresses, target: target))
      }
      // The port answered: one echo reply is all ping can add. Without one, give it a fair chance (ten
      // handshakes, at least 200 ms) rather than the full timeout before calling ICMP blocked.
      let fastest = results.map(\.elapsedMicroseconds).min() ?? 0
      let graceEnds = ContinuousClock.now + .microseconds(max(200_000, 10 * fastest))
      while ContinuousClock.now < graceEnds, destinationPingMayStillAnswer(echoAddress), !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(5))
      }
      echoTask.cancel()
      var echo = await echoTask.value
      // Handshakes that completed only on a SYN retransmit mean lost SYNs: on a lossy path, or at a listener whose
      // accept queue is full. Echoes tell them apart (a lossy path loses some of them too), so ping tops up to 10
      // requests, 20 ms apart, each given 250 ms. Lost echo replies while the port answers mean either a lossy path
      // or ICMP filtered: three requests cannot tell (a path losing a quarter each way loses all three one time in
      // twelve), eight can (one time in 750); with the handshakes' round trip known, each gets three of them (at
      // least 20 ms), so only the final verdict waits, and little.
      let firstRetransmit = state.evidence.synRetransmits?.retransmitMicroseconds.first ?? 1_000_000
      let retransmitted = results.contains(where: { $0.outcome.isAnswer && $0.elapsedMicroseconds >= firstRetransmit - 50_000 })
      let wanted = retransmitted ? 10 : Decision.echoesForLoss
      if echo.skippedReason == nil, echo.sent < wanted, retransmitted || echo.replies < echo.sent {
        let (interval, wait): (Duration, Duration) = retransmitted
          ? (.milliseconds(20), .milliseconds(250))
          : (.milliseconds(5), .microseconds(max(20_000, 3 * fastest)))
        let more = await self.echo(echoAddress, step: .destination, count: wanted - echo.sent, interval: interval,
                                   timeout: min(options.timeout, wait))
        echo.sent += more.sent
        echo.replies += more.replies
        echo.roundTripMicroseconds += more.roundTripMicroseconds
        if echo.error == nil { echo.error = more.error }
        if echo.replyTTL == nil { echo.replyTTL = more.replyTTL }
      }
      updateEvidence { $0.echo = echo }
    } else {
      // No handshake: the verdict rests on the connect's error or silence; ping only adds signs of life. It gets
      // until 250 ms after the connect started (or its first reply), not its whole schedule: a silent host's
      // last request would otherwise hold the verdict for another timeout.
      let graceEnds = connectStarted + .milliseconds(250)
      while ContinuousClock.now < graceEnds, destinationPingMayStillAnswer(echoAddress), !Task.isCancelled {
        try? await Task.sleep(for: .milliseconds(5))
      }
      echoTask.cancel()
      let echo = await echoTask.value
      updateEvidence { $0.echo = echo }
    }
    let answered = results.filter { $0.outcome.isAnswer }
    let port = target.internet.map { String($0.port) } ?? "?"
    if let best = answered.map(\.answerMicroseconds).min() {
      return StepOutcome(status: .pass, summary: "\(target.transport.rawValue) port \(port) answered in \(ProbeText.milliseconds(best))"
                         + (answered.count < results.count ? " (\(results.count - answered.count) of \(results.count) lost)" : ""))
    }
    let words = ProbeText.outcomeWords(first.outcome, kind: first.kind)
    return StepOutcome(status: .fail, summary: "\(target.transport.rawValue) port \(port): \(words)")
  }

  /// No reply yet, and one may still come: the destination's ping is still running and no ICMP error said the host
  /// cannot be reached.
  func destinationPingMayStillAnswer(_ address: SocketAddress) -> Bool {
    let live = liveEcho[address]
    return (live?.replies ?? 0) == 0 && live?.error == nil && echoFailures[address] == nil && !destinationEchoFinished
  }

  func markDestinationEchoFinished() { destinationEchoFinished = true }

  /// A first connect that failed with an answer (RST, an ICMP error, a local error) already decides the verdict in
  /// almost every case: publish it now, marked provisional, with the packets captured so far judged against the
  /// route, while the remaining probes (more connects, ping, the socket table) finish.
  func provisionalVerdictAfterFirstConnect(_ first: ProbeResult) async {
    switch first.outcome {
    case .connected where first.final.kernelRoundTripMicroseconds != nil:
      // A handshake that completed on its first SYN (the kernel has a clean round trip): the port is reachable.
      // The probes still running can only add to it (loss, latency, ICMP blocked). One that needed a SYN
      // retransmit waits for them: a full accept queue looks like that.
      var diagnosis = Decision.diagnose(state.evidence)
      diagnosis.primary.couldNotTell.append("this verdict is provisional: the remaining probes (more connects, ping) measure loss and latency")
      publishProvisional(diagnosis)
      return
    case .connected, .reply, .timedOut, .noReply, .cancelled, .error: return
    default: break
    }
    // The route (a lookup of a few milliseconds) says who could have answered: on-link, a gateway, no route.
    await waitUntilFinished(.pathPicture)
    var evidence = state.evidence
    if let route = evidence.route, !destinationCaptures.isEmpty {
      let pathLength = target?.isLoopback == true || route.gateway == nil ? 1 : 2
      let trace = NetworkingTrace(captures: destinationCaptures, pathLength: pathLength, outcome: first.outcome)
      evidence.packets = trace.packetEvidence(connectOutcome: first.outcome)
    }
    var diagnosis = Decision.diagnose(evidence)
    diagnosis.primary.couldNotTell.append("this verdict is provisional: the remaining probes (more connects, ping, the socket table) had not finished")
    publishProvisional(diagnosis)
  }

  /// The host answered ping fast; if the SYN is still unanswered after several of its round trips, say
  /// "filtered" now, marked provisional, and let the deadline firm it up.
  func provisionalVerdictAfterEcho(rtt: Int64, connectStarted: ContinuousClock.Instant) async {
    let patience = Duration.microseconds(max(250_000, 8 * rtt))
    let wait = connectStarted + patience - .now
    if wait > .zero { try? await Task.sleep(for: wait) }
    guard connectPending, !Task.isCancelled else { return }
    var evidence = state.evidence
    evidence.echo = EchoEvidence(sent: 1, replies: 1, roundTripMicroseconds: [rtt])
    let label = target?.internet?.description ?? "target"
    let pendingAttempt = ProbeAttempt(address: nil, outcome: .timedOut, elapsedMicroseconds: microseconds(since: connectStarted))
    evidence.connects.append(ProbeResult(kind: target?.transport == .udp ? .udp : .tcp, target: label, attempts: [pendingAttempt]))
    // The waiting connect's packets so far: a SYN that never reached the interface (or a SYN-ACK the socket never
    // saw) is a rule on this machine, not a filter out there, and can be told now rather than at the deadline.
    if options.trace, let live = captureSession.capturesInFlight().first, target?.transport != .udp {
      evidence.packets = NetworkingTrace(captures: [live], outcome: .timedOut).packetEvidence(connectOutcome: .timedOut)
    }
    var diagnosis = Decision.diagnose(evidence)
    diagnosis.primary.couldNotTell.append("this verdict is provisional: the connect's deadline has not passed yet")
    publishProvisional(diagnosis)
  }

  /// One probe of the application port; its result is evidence at once.
  private func connectOnce(_ addresses: [SocketAddress], target: CheckTarget) async -> ProbeResult {
    let label = target.internet?.description ?? target.text
    let result: ProbeResult
    if options.trace {
      // The networking-trace step reads these captures once this step is over.
      let traced = switch target.transport {
      case .udp: await ProbeTracer.udp(addresses, target: label, options: .init(timeout: options.timeout), session: captureSession)
      default: await ProbeTracer.tcp(addresses, target: label, options: .init(timeout: options.timeout), session: captureSession)
      }
      result = traced.result
      destinationCaptures += traced.traces
      if captureUnavailable == nil { captureUnavailable = traced.unavailable }
    } else {
      switch target.transport {
      case .udp:
        result = await UDPProbe.probe(addresses, target: label, options: .init(timeout: options.timeout))
      default:
        result = await TCPConnectProbe.probe(addresses, target: label, options: .init(timeout: options.timeout))
      }
    }
    for attempt in result.attempts {
      let endpoint = attempt.address?.description ?? label
      detail(.destination, "\(result.kind.rawValue) \(endpoint): \(ProbeText.describe(attempt, kind: result.kind))")
    }
    updateEvidence { $0.connects.append(result) }
    return result
  }

  private func unixDestination(_ path: String) async -> StepOutcome {
    let result = await UnixSocketProbe.probe(path: path, timeout: options.timeout)
    detail(.destination, "unix \(SafeText.escape(path)): \(ProbeText.describe(result.final, kind: .unix))")
    updateEvidence { $0.connects.append(result) }
    return result.outcome.isAnswer
      ? StepOutcome(status: .pass, summary: "the socket accepted in \(ProbeText.milliseconds(result.elapsedMicroseconds))")
      : StepOutcome(status: .fail, summary: "unix socket: \(ProbeText.outcomeWords(result.outcome, kind: .unix))")
  }

  /// The task's value, or nil (and the task cancelled) when it takes longer than `limit`.
  static func value<T: Sendable>(of task: Task<T?, Never>, within limit: Duration) async -> T? {
    let timer = Task {
      try? await Task.sleep(for: limit)
      task.cancel()
    }
    let value = await task.value
    timer.cancel()
    return value
  }

  /// What the direct queries add: which failure it was, dead or slow servers, a hosts file that disagrees.
  static func refine(_ dns: inout DNSEvidence, with report: DNSProbeReport) {
    let outcomes = report.queries.map(\.outcome)
    if dns.outcome != .resolved {
      if report.servers.isEmpty && report.hostsEntries.isEmpty {
        dns.outcome = .noServers
      } else if outcomes.contains(.nxdomain) {
        dns.outcome = .nxdomain
      } else if !outcomes.contains(.answer), outcomes.contains(where: { $0 == .servfail || $0 == .refused }) {
        dns.outcome = .servfail
      } else if outcomes.contains(.noData), !outcomes.contains(.answer) {
        dns.outcome = .noAddress
      } else if !outcomes.isEmpty, outcomes.allSatisfy({ $0 == .timedOut || $0 == .portClosed || $0 == .networkError }) {
        dns.outcome = .timeout
      }
    }
    if report.findings.contains(where: { $0.id == "dns-disagreement" && $0.sources.contains("hosts-file") }) {
      dns.hostsFileDisagrees = true
    }
    dns.queries = report.queries.filter { $0.outcome != .cancelled }.map(DNSQueryText.line)
    let silentServers = report.queries.filter { !$0.outcome.isResponse && $0.outcome != .cancelled }.map { $0.server.host }
    dns.server = silentServers.first ?? report.servers.first?.host
    let answered = report.queries.contains { $0.outcome.isResponse }
    if answered {
      let silent = report.queries.filter { !$0.outcome.isResponse && $0.outcome != .cancelled }.map { $0.server.description }
      dns.slowServers = Array(Set(silent)).sorted()
    }
  }

  static func dnsEvidence(_ resolved: ResolvedTarget) -> DNSEvidence {
    if let resolution = resolved.resolution {
      return DNSEvidence(outcome: .resolved, addresses: resolution.addresses, elapsedMicroseconds: resolution.elapsedMicroseconds)
    }
    guard let error = resolved.error else { return DNSEvidence(outcome: .timeout) }
    let outcome: DNSEvidence.Outcome = switch error.kind {
    case .noName: .nxdomain
    case .noData, .noAddressOfFamily: .noAddress
    case .failure: .servfail
    case .tryAgain, .timedOut, .system, .other: .timeout
    }
    return DNSEvidence(outcome: outcome, elapsedMicroseconds: error.elapsedMicroseconds)
  }
}
