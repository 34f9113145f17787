import NetProbe

extension ChecklistRun {
  /// With no target, the destination step asks whether the configured name servers answer at all: one query for
  /// the root's NS records to each, at once. Any response, even REFUSED or NXDOMAIN, shows the server is alive;
  /// silence is what breaks every name lookup.
  func nameServersCheck() async -> StepOutcome {
    let configuration = ResolverConfiguration.read(path: options.resolvConfPath)
    let servers = configuration.usedNameServers.map { $0.socketAddress(port: options.nameServerPort) }
    guard !servers.isEmpty else {
      updateEvidence { $0.dns = DNSEvidence(outcome: .noServers) }
      return StepOutcome(status: .fail, summary: "no target given; no name server is configured (resolv.conf has no nameserver)")
    }
    let timeout = min(options.timeout, .seconds(2))
    let results = await withTaskGroup(of: (Int, DNSQueryResult).self) { group in
      for (index, server) in servers.enumerated() {
        group.addTask { (index, await DNSClient.query(.root, type: .ns, server: server, timeout: timeout)) }
      }
      var results: [(Int, DNSQueryResult)] = []
      for await result in group { results.append(result) }
      return results.sorted { $0.0 < $1.0 }.map(\.1)
    }
    for result in results {
      detail(.destination, "DNS \(result.server) . NS: \(result.outcome.rawValue) in \(ProbeText.milliseconds(result.elapsedMicroseconds))")
    }
    let silent = results.filter { !$0.outcome.isResponse }
    var dns = DNSEvidence(outcome: silent.count == results.count ? .timeout : .resolved,
                          elapsedMicroseconds: results.map(\.elapsedMicroseconds).max())
    dns.server = silent.first?.server.host ?? servers.first?.host
    dns.slowServers = silent.count < results.count ? silent.map(\.server.description) : []
    updateEvidence { $0.dns = dns }
    let fastest = results.filter { $0.outcome.isResponse }.map(\.elapsedMicroseconds).min()
    if silent.isEmpty {
      return StepOutcome(status: .pass, summary: "no target given; \(servers.count == 1 ? "the name server answers" : "all \(servers.count) name servers answer")"
                         + (fastest.map { " (fastest \(ProbeText.milliseconds($0)))" } ?? ""))
    }
    let names = silent.map(\.server.description).joined(separator: ", ")
    if silent.count == results.count {
      return StepOutcome(status: .fail, summary: "no target given; no name server answers: \(names) silent for \(ProbeText.milliseconds(Int64(timeout.components.seconds) * 1_000_000 + timeout.components.attoseconds / 1_000_000_000_000))")
    }
    return StepOutcome(status: .warn, summary: "no target given; \(silent.count) of \(results.count) name servers silent: \(names) (lookups wait for them)")
  }
}
