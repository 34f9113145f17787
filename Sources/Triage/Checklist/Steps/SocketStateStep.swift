import NetProbe

extension ChecklistRun {
  /// Step 7: when the listener is on this machine, is the port in LISTEN, how full is its accept queue, and do
  /// the overflow counters rise while the destination step probes it?
  func socketStateStep() async -> StepOutcome {
    guard let target, let internet = target.internet else {
      return .skip(target == nil ? "no target" : "a unix socket's listener is checked by connecting to it")
    }
    let before = try? TCPCounterSample.read()
    guard let lookup = await routeLookup() else { return .skip("no address for the target") }
    guard lookup.type == .local else {
      return .skip("the listener is on another machine: run `nettriage probe sockets --listen --port \(internet.port)` there")
    }
    guard target.transport == .tcp else { return .skip("the socket table covers TCP listeners") }
    // Sample the counters around the destination's probes: a rise while we knock is our own SYNs being dropped.
    let waitEnds = ContinuousClock.now + options.timeout * max(1, options.connectProbes) + .seconds(1)
    while !state.step(.destination).status.isFinished, ContinuousClock.now < waitEnds, !Task.isCancelled {
      try? await Task.sleep(for: .milliseconds(10))
    }
    let table: SocketTable
    do {
      table = try SocketTable.read(filter: SocketFilter(listeningOnly: true, port: internet.port), withOwners: true)
    } catch {
      return StepOutcome(status: .warn, summary: "could not read the socket table: \(error)")
    }
    let counters = (try? TCPCounterSample.read()).map { TCPCounters(before: before, after: $0) }
    let overflows = counters?["ListenOverflows"]?.change ?? 0
    let listeners = table.rows.filter { $0.state == .listen }
    for row in listeners {
      detail(.socketState, "LISTEN \(row.local): accept queue \(row.acceptQueue ?? 0)/\(row.backlog ?? 0)")
    }
    if let counters, let change = counters["ListenOverflows"]?.change {
      detail(.socketState, "ListenOverflows +\(change) during the run")
    }
    guard !listeners.isEmpty else {
      return StepOutcome(status: .fail, summary: "nothing listens on port \(internet.port) on this host")
    }
    let full = listeners.contains { row in
      guard let queue = row.acceptQueue, let backlog = row.backlog else { return false }
      return queue >= backlog
    }
    updateEvidence { $0.localListenOverflowRising = overflows > 0 && full }
    if full {
      return StepOutcome(status: overflows > 0 ? .fail : .warn,
                         summary: "the accept queue is full" + (overflows > 0 ? " and ListenOverflows rose by \(overflows)" : ""))
    }
    let row = listeners[0]
    return StepOutcome(status: .pass, summary: "LISTEN \(row.local), accept queue \(row.acceptQueue ?? 0)/\(row.backlog ?? 0)")
  }
}
