import NetProbe

extension ChecklistRun {
  /// Step 4: for an on-link destination, does it answer ARP/ND?
  func neighboursStep() async -> StepOutcome {
    guard let target else { return .skip("no target: the gateway step checks the gateway's ARP/ND") }
    if case .unix = target.target { return .skip("a unix socket has no neighbours") }
    if target.isLoopback { return .skip("the target is this host") }
    guard let lookup = await routeLookup() else { return .skip("the name did not resolve: no address to look up") }
    guard lookup.status == .found else { return .skip("no route to the target") }
    guard lookup.isOnLink else {
      return .skip("the target is not on-link: it is routed via \(lookup.gateway.map(String.init(describing:)) ?? "a gateway")")
    }
    let check = await neighbourCheck(lookup.destination, interfaceIndex: lookup.interfaceIndex, step: .neighbours)
    guard let check else { return StepOutcome(status: .warn, summary: "could not read the neighbour table") }
    updateEvidence { $0.targetNeighbour = Self.neighbourEvidence(check) }
    return Self.neighbourOutcome(check)
  }

  /// Step 5: the gateway answers ARP/ND (and, when allowed, ping: the path's baseline round trip).
  func defaultGatewayStep() async -> StepOutcome {
    let gateway: IPAddress
    let interfaceIndex: Int?
    var towardNameServer = false
    if let target {
      if case .unix = target.target { return .skip("a unix socket does not use a gateway") }
      if target.isLoopback { return .skip("the target is this host: no gateway on the path") }
      if let lookup = await routeLookup() {
        guard lookup.status == .found else { return .skip("no route to the target") }
        guard let routed = lookup.gateway else { return .skip("the target is on-link: no gateway on the path") }
        gateway = routed
        interfaceIndex = lookup.interfaceIndex
      } else {
        // The name did not resolve: the gateway on the way to the name server may be why (a dead gateway leaves every
        // name unresolved before any connect). Not when a server answered (no such name, a server failure): its path works.
        let unanswered: Set<ResolutionError.Kind> = [.tryAgain, .timedOut, .system]
        guard let kind = await resolvedTarget().error?.kind, unanswered.contains(kind) else {
          return .skip("the name did not resolve, but a name server answered: the path to it works")
        }
        guard let (server, lookup) = await routeToFirstNameServer() else { return .skip("the name did not resolve, and no name server is configured") }
        guard lookup.status == .found else { return .skip("the name did not resolve, and there is no route to its name server \(server)") }
        guard let routed = lookup.gateway else { return .skip("the name did not resolve; the name server \(server) is on-link: no gateway on its path") }
        detail(.defaultGateway, "the name did not resolve: checking the gateway on the way to the name server \(server)")
        towardNameServer = true
        gateway = routed
        interfaceIndex = lookup.interfaceIndex
      }
    } else {
      guard let table = try? await BlockingThreads.shared.value({ try Routes.mainTable() }),
            let first = table.defaultGateways.first(where: { $0.gateway != nil && $0.family == .ipv4 }) ?? table.defaultGateways.first(where: { $0.gateway != nil }),
            let address = first.gateway else {
        return .skip("no default gateway is configured")
      }
      gateway = address
      interfaceIndex = nil
    }
    guard let check = await neighbourCheck(gateway, interfaceIndex: interfaceIndex, step: .defaultGateway) else {
      return StepOutcome(status: .warn, summary: "could not read the neighbour table")
    }
    updateEvidence { $0.gatewayNeighbour = Self.neighbourEvidence(check) }
    var outcome = Self.neighbourOutcome(check)
    // The gateway's echo is the path's baseline round trip: what "high latency" is measured against (with no
    // address to connect to, there is nothing to measure against it).
    if check.isAnswered && !towardNameServer {
      let echo = await echo(SocketAddress(gateway, port: 0), step: .defaultGateway, count: 2, interval: .milliseconds(10),
                            timeout: .seconds(1))
      if let baseline = echo.roundTripMicroseconds.min() {
        updateEvidence { $0.baselineRoundTripMicroseconds = baseline }
        outcome.summary += "; ping \(ProbeText.milliseconds(baseline))"
      } else if echo.skippedReason == nil {
        outcome.summary += "; no ping reply (ICMP may be filtered: ARP answered)"
      }
    }
    return outcome
  }

  private func neighbourCheck(_ address: IPAddress, interfaceIndex: Int?, step: StepID) async -> NeighbourCheck? {
    let timeout = max(options.timeout, .seconds(1))
    guard let check = try? await Neighbours.check(address, interfaceIndex: interfaceIndex.map(UInt32.init), timeout: timeout) else {
      return nil
    }
    detail(step, check.summary)
    return check
  }

  static func neighbourEvidence(_ check: NeighbourCheck) -> NeighbourEvidence {
    let state: NeighbourEvidence.State = switch check.state {
    case .reachable?: .reachable
    case .stale?: .stale
    case .delay?: .delay
    case .probe?: .probe
    case .failed?: .failed
    case .incomplete?: .incomplete
    case .permanent?: .permanent
    case .noARP?: .noarp
    case .none?, nil: check.outcome == .noAnswer ? .failed : .none
    }
    return NeighbourEvidence(address: check.address, state: state)
  }

  static func neighbourOutcome(_ check: NeighbourCheck) -> StepOutcome {
    switch check.outcome {
    case .resolved, .local: return StepOutcome(status: .pass, summary: check.summary)
    case .unconfirmed: return StepOutcome(status: .warn, summary: check.summary)
    case .noAnswer: return StepOutcome(status: .fail, summary: check.summary)
    case .cancelled: return .skip("cancelled")
    default: return StepOutcome(status: .info, summary: check.summary)
    }
  }
}
