import NetProbe

extension ChecklistRun {
  /// The kernel's route lookup for the target's first address, computed once per run and shared.
  func routeLookup() async -> RouteLookup? {
    if let task = routeTask { return await task.value }
    let task = Task { () -> RouteLookup? in
      guard let address = await self.resolvedTarget().addresses.first else { return nil }
      return try? await BlockingThreads.shared.value {
        try Routes.lookup(address.address, interfaceIndex: address.scopeID == 0 ? nil : address.scopeID)
      }
    }
    routeTask = task
    return await task.value
  }

  /// Step 1: egress interface, source address, gateway, on-link or routed.
  func pathPictureStep() async -> StepOutcome {
    guard let target else { return await defaultRoutesPicture() }
    if case .unix = target.target { return .skip("a unix socket does not cross the network") }
    let resolved = await resolvedTarget()
    guard !resolved.addresses.isEmpty else { return await nameServerPathPicture() }
    guard let lookup = await routeLookup() else {
      return StepOutcome(status: .warn, summary: "the kernel's route lookup failed: path unknown")
    }
    detail(.pathPicture, "route: " + lookup.summary)
    let interfaces = (try? await BlockingThreads.shared.value { try Interfaces.list() }) ?? []
    let egress = interfaces.first { $0.name == lookup.interface }
    if let egress {
      detail(.pathPicture, "egress \(egress.name): \(egress.flags.joined(separator: ",")) operstate \(egress.operstate)"
             + (egress.carrier.map { $0 ? ", carrier" : ", NO CARRIER" } ?? ""))
    }
    let evidence = Self.routeEvidence(lookup, egress: egress)
    updateEvidence { $0.route = evidence }
    if let blocked = Self.blockedPath(lookup, evidence) { return StepOutcome(status: .fail, summary: blocked) }
    if lookup.gatewayFit == .offSubnet {
      return StepOutcome(status: .fail, summary: "gateway \(lookup.gateway.map(String.init(describing:)) ?? "?") is outside \(lookup.interface ?? "the interface")'s prefixes")
    }
    let placement = lookup.type == .local ? "this host" : lookup.gateway.map { "via gateway \($0)" } ?? "on-link"
    return StepOutcome(status: .pass, summary: "\(lookup.destination) \(placement) dev \(lookup.interface ?? "?")"
                       + (lookup.preferredSource.map { " src \($0)" } ?? ""))
  }

  /// The name did not resolve: the path to the first name server instead, as the reason may lie on the way there.
  private func nameServerPathPicture() async -> StepOutcome {
    guard let (server, lookup) = await routeToFirstNameServer() else {
      return .skip("the name did not resolve, and no name server is configured to picture the path to")
    }
    detail(.pathPicture, "the name did not resolve: the path to its name server \(server) instead")
    detail(.pathPicture, "route: " + lookup.summary)
    let interfaces = (try? await BlockingThreads.shared.value { try Interfaces.list() }) ?? []
    let route = Self.routeEvidence(lookup, egress: interfaces.first { $0.name == lookup.interface })
    updateEvidence {
      $0.nameServer = server
      $0.nameServerRoute = route
    }
    let prefix = "the name did not resolve; its name server \(server): "
    if let blocked = Self.blockedPath(lookup, route) { return StepOutcome(status: .fail, summary: prefix + blocked) }
    let placement = lookup.type == .local ? "this host" : lookup.gateway.map { "via gateway \($0)" } ?? "on-link"
    return StepOutcome(status: .info, summary: prefix + "\(placement) dev \(lookup.interface ?? "?")")
  }

  /// The first configured name server and the kernel's route to it (found or not); nil without a name server.
  /// Looked up once per run: the path picture and the gateway step both ask.
  func routeToFirstNameServer() async -> (IPAddress, RouteLookup)? {
    if let task = nameServerRouteTask { return await task.value }
    let path = options.resolvConfPath
    let task = Task {
      await BlockingThreads.shared.value { () -> (IPAddress, RouteLookup)? in
        guard let server = ResolverConfiguration.read(path: path).nameServers.first?.address,
              let lookup = try? Routes.lookup(server) else { return nil }
        return (server, lookup)
      }
    }
    nameServerRouteTask = task
    return await task.value
  }

  /// What stops packets on this path before any leaves, in words; nil when nothing does.
  static func blockedPath(_ lookup: RouteLookup, _ route: RouteEvidence) -> String? {
    switch lookup.status {
    case .noRoute: return "no route to \(lookup.destination)"
    case .rejected: return "a \(lookup.type?.rawValue ?? "reject") route refuses \(lookup.destination)"
    case .found: break
    }
    if route.interfaceUp == false || route.carrier == false { return "egress \(lookup.interface ?? "?") is down or has no carrier" }
    return nil
  }

  static func routeEvidence(_ lookup: RouteLookup, egress: NetworkInterface?) -> RouteEvidence {
    let kind: RouteEvidence.Kind = switch (lookup.status, lookup.type) {
    case (.noRoute, _): .none
    case (.rejected, .blackhole?): .blackhole
    case (.rejected, .prohibit?): .prohibit
    case (.rejected, _): .unreachable
    case (.found, .local?): .local
    case (.found, _): .unicast
    }
    return RouteEvidence(kind: kind, interface: lookup.interface, interfaceUp: egress?.isUp,
                         carrier: egress.flatMap { $0.carrier ?? ($0.flags.contains("LOWER_UP") ? true : nil) },
                         gateway: lookup.gateway, source: lookup.preferredSource,
                         gatewayFitsSubnet: lookup.gateway == nil ? nil : lookup.gatewayFit != .offSubnet,
                         prefix: egressPrefix(egress, source: lookup.preferredSource, family: lookup.destination.family))
  }

  /// Our address on the egress interface with its prefix: the route's preferred source, else the first usable
  /// address of the destination's family.
  static func egressPrefix(_ egress: NetworkInterface?, source: IPAddress?, family: AddressFamily) -> String? {
    guard let addresses = egress?.addresses else { return nil }
    let chosen = addresses.first { $0.address == source }
      ?? addresses.first { $0.address.family == family && $0.isUsable }
      ?? addresses.first { $0.address.family == family }
    return chosen.map { "\($0.address)/\($0.prefixLength)" }
  }

  /// Without a target: the default gateways of both families and the gateway sanity findings.
  private func defaultRoutesPicture() async -> StepOutcome {
    guard let table = try? await BlockingThreads.shared.value({ try Routes.mainTable() }) else {
      return StepOutcome(status: .warn, summary: "could not read the routing table")
    }
    for gateway in table.defaultGateways {
      detail(.pathPicture, "default \(gateway.family.rawValue): " + (gateway.gateway.map { "via \($0)" } ?? "on-link")
             + (gateway.interface.map { " dev \($0)" } ?? ""))
    }
    for finding in table.findings { detail(.pathPicture, finding.message) }
    if !table.findings.isEmpty {
      return StepOutcome(status: .fail, summary: table.findings[0].message)
    }
    guard !table.defaultGateways.isEmpty else {
      return StepOutcome(status: .warn, summary: "no default route: only directly attached networks are reachable")
    }
    return StepOutcome(status: .pass, summary: table.defaultGateways.map { "\($0.family.rawValue) via \($0.gateway.map(String.init(describing:)) ?? "on-link")" }.joined(separator: ", "))
  }
}
