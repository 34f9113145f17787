import NetProbe

extension ChecklistRun {
  /// Step 7: when the listener is on this machine, is the port in LISTEN, how full is its accept queue, and do
  /// the overflow counters rise while the destination step probes it? For UDP: is a socket bound to the port, and
  /// does the kernel drop datagrams for it?
  func socketStateStep() async -> StepOutcome {
    guard let target, let internet = target.internet else {
      return .skip(target == nil ? "no target" : "a unix socket's listener is checked by connecting to it")
    }
    let udp = target.transport == .udp
    let early = countersBeforeProbes
    countersBeforeProbes = nil  // a re-run of this step alone samples afresh
    guard let lookup = await routeLookup() else { return .skip("no address for the target") }
    guard lookup.type == .local else {
      if udp {
        return .skip("the server is on another machine: look at its UDP socket there (`ss -ulnpm 'sport = :\(internet.port)'`)")
      }
      return await connectionsToTheServer(port: internet.port)
    }
    // The listener is on this machine: its counters are sampled around the destination's probes, and a rise while we
    // knock is our own packets dropped. A loopback target's "before" was read as the run started (see `run`).
    let sample = if let early { early } else { await BlockingThreads.shared.value { Self.counterSample(udp: udp) } }
    await waitUntilFinished(.destination)
    if udp { return await udpSocketState(port: internet.port, before: sample.udp) }
    let before = sample.tcp
    let table: SocketTable
    do {
      let filter = SocketFilter(listeningOnly: true, port: internet.port)
      table = try await BlockingThreads.shared.value { try SocketTable.read(filter: filter, withOwners: true) }
    } catch {
      return StepOutcome(status: .warn, summary: "could not read the socket table: \(error)")
    }
    let after = await BlockingThreads.shared.value { try? TCPCounterSample.read() }
    let counters = after.map { TCPCounters(before: before, after: $0) }
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

  /// The listener is on another machine, but this machine's own connections to it can show why transfers hang:
  /// a send queue held up by the server's zero window (its application stopped reading) or by retransmissions, or
  /// data our own application leaves unread.
  private func connectionsToTheServer(port: UInt16) async -> StepOutcome {
    let elsewhere = "the listener is on another machine: run `nettriage probe sockets --listen --port \(port)` there"
    let peers = Set(await resolvedTarget().addresses)
    guard !peers.isEmpty else { return .skip(elsewhere) }
    // After the destination's probes, so it never holds up their verdicts (run on this actor beside the first connect,
    // it held the first refused verdict back by 1-2 ms; off it, it still takes one of this machine's few cores).
    await waitUntilFinished(.destination)
    let found: PeerConnections
    do {
      found = try await BlockingThreads.shared.value { try StalledConnections.toPeers(peers) }
    } catch {
      return .skip(elsewhere + "; this machine's connections to it could not be read (\(error))")
    }
    guard found.open > 0 else { return .skip(elsewhere + "; this machine has no open connection to it") }
    let server = found.stuck.first?.connection.peer?.description ?? peers.first!.description
    let open = "\(found.open) open connection\(found.open == 1 ? "" : "s") from this machine"
    guard !found.stuck.isEmpty else {
      return StepOutcome(status: .pass, summary: "\(open) to \(server), none held up")
    }
    let lines = found.stuck.map(Self.stuckLine)
    for line in lines { detail(.socketState, line) }
    detail(.socketState, "watch them: nettriage probe sockets --stalled -i 5 --port \(port)")
    updateEvidence { $0.stuckConnections = lines }
    let causes = Set(found.stuck.flatMap { $0.stuckQueues.map(\.cause) })
    let why = causes.contains(.peerWindowClosed) ? "the server advertises a zero window: its application stopped reading"
      : causes.contains(.retransmitting) ? "segments are retransmitted and not acknowledged"
      : "our own application does not read what arrived"
    return StepOutcome(status: .warn, summary: "\(found.stuck.count) of \(open) to \(server) held up: \(why)")
  }

  /// One held-up connection, its queues and its process, in a line.
  static func stuckLine(_ stalled: StalledConnection) -> String {
    let row = stalled.connection
    let owner = row.owners.first.map { " (\(SafeText.escape($0.name)), pid \($0.pid))" } ?? ""
    let queues = stalled.stuckQueues.map { "\($0.cause.explanation) (\($0.bytesAfter) bytes queued)" }
    return "\(row.local) -> \(row.peer?.description ?? "?")\(owner): " + queues.joined(separator: "; ")
  }

  /// UDP has no LISTEN: a server is a socket bound to the port. What it cannot keep up with waits in its receive
  /// queue, and once the buffer is full the kernel drops datagrams (the socket's drop count, RcvbufErrors).
  private func udpSocketState(port: UInt16, before: UDPCounterSample?) async -> StepOutcome {
    let sockets: [UDPSocketEntry]
    do {
      sockets = try await BlockingThreads.shared.value { try UDPSockets.read(port: port) }
    } catch {
      return StepOutcome(status: .warn, summary: "could not read the UDP socket table: \(error)")
    }
    let after = await BlockingThreads.shared.value { try? UDPCounterSample.read() }
    let bufferDrops = before.flatMap { before in after.map { $0.receiveBufferErrors - before.receiveBufferErrors } }
    for socket in sockets {
      detail(.socketState, "UDP \(socket.local)" + (socket.remote.map { " connected to \($0)" } ?? "")
             + ": receive queue \(socket.receiveQueueBytes) bytes, \(socket.drops) datagrams dropped since it opened")
    }
    if let before, let after {
      detail(.socketState, "RcvbufErrors +\(after.receiveBufferErrors - before.receiveBufferErrors), NoPorts +\(after.noPorts - before.noPorts) during the run")
    }
    guard !sockets.isEmpty else {
      return StepOutcome(status: .fail, summary: "nothing is bound to UDP port \(port) on this host")
    }
    let dropping = sockets.filter { $0.drops > 0 }
    if let bufferDrops, bufferDrops > 0, !dropping.isEmpty {
      return StepOutcome(status: .fail, summary: "the socket's receive buffer is full: the kernel dropped \(bufferDrops) datagrams during the run"
                         + " (the application does not read fast enough)")
    }
    if let socket = dropping.first {
      return StepOutcome(status: .warn, summary: "UDP \(socket.local) has lost \(socket.drops) datagrams to a full receive buffer since it opened")
    }
    let socket = sockets[0]
    return StepOutcome(status: .pass, summary: "UDP \(socket.local) bound, receive queue \(socket.receiveQueueBytes) bytes")
  }
}

/// Counters read before a run's first packet, for the socket-state step's "during the run".
enum CounterSampleBeforeProbes: Sendable {
  case tcp(TCPCounterSample?)
  case udp(UDPCounterSample?)

  var tcp: TCPCounterSample? { if case let .tcp(sample) = self { sample } else { nil } }
  var udp: UDPCounterSample? { if case let .udp(sample) = self { sample } else { nil } }
}

extension ChecklistRun {
  /// This machine's TCP or UDP counters now (nil inside when /proc could not be read). Blocking: a /proc read.
  static func counterSample(udp: Bool) -> CounterSampleBeforeProbes {
    udp ? .udp(try? UDPCounterSample.read()) : .tcp(try? TCPCounterSample.read())
  }
}
