import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Triage

/// The checklist engine against real loopback listeners.
@Suite struct ChecklistRunTests {
  static func target(_ text: String, transport: Evidence.Transport = .tcp) throws -> CheckTarget {
    CheckTarget(text: text, target: try Target.parse(text), transport: transport)
  }

  @Test func listenerIsReachable() async throws {
    let listener = try LoopbackTCPListener()
    let run = ChecklistRun(target: try Self.target("127.0.0.1:\(listener.port)"))
    let snapshot = await run.run()
    #expect(snapshot.isFinished)
    #expect(snapshot.final?.diagnosis.id == .reachable)
    #expect(snapshot.step(.destination).status == .pass)
    #expect(snapshot.steps.allSatisfy { $0.status.isFinished })
    // Once the port answered, more probes measure loss and latency.
    #expect(snapshot.evidence.connects.count == CheckOptions().connectProbes)
    // A handshake on its first SYN is a verdict already, published while those probes run.
    let provisional = try #require(snapshot.provisional)
    #expect(provisional.diagnosis.id == .reachable)
    #expect(provisional.atMicroseconds <= (snapshot.final?.atMicroseconds ?? 0))
    #expect(provisional.diagnosis.primary.couldNotTell.contains { $0.hasPrefix("this verdict is provisional") })
  }

  @Test func closedPortIsPortClosed() async throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let snapshot = await ChecklistRun(target: try Self.target("127.0.0.1:\(port)")).run()
    #expect(snapshot.final?.diagnosis.id == .portClosed)
    #expect(snapshot.step(.destination).status == .fail)
    #expect(snapshot.final?.diagnosis.primary.evidence.contains { $0.contains("ECONNREFUSED (111)") } == true)
  }

  @Test func localhostIsResolvedFromTheHostsFile() async throws {
    let listener = try LoopbackTCPListener()
    let snapshot = await ChecklistRun(target: try Self.target("localhost:\(listener.port)")).run()
    #expect(snapshot.evidence.dns?.outcome == .resolved)
    #expect(snapshot.final?.diagnosis.id == .reachable)
  }

  @Test func missingUnixSocket() async throws {
    let directory = TemporaryDirectory()
    let snapshot = await ChecklistRun(target: try Self.target("unix:\(directory.path)/none.sock", transport: .unix)).run()
    #expect(snapshot.final?.diagnosis.id == .unixSocketMissing)
  }

  @Test func udpEchoIsReachable() async throws {
    let echo = try LoopbackUDPEcho()
    let snapshot = await ChecklistRun(target: try Self.target("127.0.0.1:\(echo.port)", transport: .udp)).run()
    #expect(snapshot.final?.diagnosis.id == .reachable)
  }

  /// Step 7 for UDP: the echo's socket is found by its port; a port nothing is bound to fails the step.
  @Test func udpSocketStateFindsTheBoundSocket() async throws {
    let echo = try LoopbackUDPEcho()
    let snapshot = await ChecklistRun(target: try Self.target("127.0.0.1:\(echo.port)", transport: .udp)).run()
    let step = snapshot.step(.socketState)
    #expect(step.status == .pass, "\(step.summary)")
    #expect(step.summary.contains("UDP 127.0.0.1:\(echo.port) bound"))
    #expect(step.details.contains { $0.contains("RcvbufErrors +") })

    let closed = try unusedPort(type: Int32(SOCK_DGRAM.rawValue))
    let nothing = await ChecklistRun(target: try Self.target("127.0.0.1:\(closed)", transport: .udp)).run()
    #expect(nothing.step(.socketState).status == .fail)
    #expect(nothing.step(.socketState).summary == "nothing is bound to UDP port \(closed) on this host")
  }

  @Test func snapshotsStreamEveryChangeAndEndWithTheVerdict() async throws {
    let listener = try LoopbackTCPListener()
    let run = ChecklistRun(target: try Self.target("127.0.0.1:\(listener.port)"))
    let collector = Task {
      var seen: [RunSnapshot] = []
      for await snapshot in await run.snapshots() { seen.append(snapshot) }
      return seen
    }
    await run.run()
    let seen = await collector.value
    #expect(seen.count > 2)
    #expect(seen.first?.final == nil)
    #expect(seen.last?.isFinished == true)
    #expect(seen.last?.final?.diagnosis.id == .reachable)
    // Elapsed time never goes backwards across snapshots.
    #expect(zip(seen, seen.dropFirst()).allSatisfy { $0.elapsedMicroseconds <= $1.elapsedMicroseconds })
    #expect(seen.contains { $0.step(.destination).status == .running })
  }

  @Test func rerunningAStepDecidesAgain() async throws {
    var listener: LoopbackTCPListener? = try LoopbackTCPListener()
    let port = listener!.port
    let run = ChecklistRun(target: try Self.target("127.0.0.1:\(port)"))
    #expect(await run.run().final?.diagnosis.id == .reachable)
    listener = nil  // the service stops
    _ = listener
    // A re-run replaces the step's evidence: the old handshakes no longer count.
    let again = await run.rerun(.destination)
    #expect(again.final?.diagnosis.id == .portClosed)
    #expect(again.evidence.connects.allSatisfy { $0.outcome == .refused })
  }

  /// The networking-trace step waits for the destination's probes, then holds their packets: SYN and RST from the
  /// destination itself, judged by TTL. A re-run of the destination takes a new trace.
  @Test(.enabled(if: geteuid() == 0, "needs CAP_NET_RAW (root) to capture"))
  func traceStepCapturesTheDestinationProbes() async throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let run = ChecklistRun(target: try Self.target("127.0.0.1:\(port)"))
    let snapshot = await run.run()
    let step = snapshot.step(.networkingTrace)
    #expect(step.status == .info, "\(step.summary)")
    #expect(try #require(step.finishedMicroseconds) >= (snapshot.step(.destination).finishedMicroseconds ?? .max))
    let trace = try #require(snapshot.trace)
    #expect(trace.captures.count == snapshot.evidence.connects.count)
    let flow = try #require(trace.flow)
    #expect(flow.synOffsetsMicroseconds.count == 1)
    #expect(flow.reset?.ttl == 64 && flow.reset?.flags.contains(.rst) == true)
    #expect(snapshot.evidence.packets?.resetFromDeviceInPath == false)
    #expect(snapshot.evidence.packets?.synsNeverLeft == nil)
    #expect(trace.ladder(width: 80).contains { $0.contains("RST") })
    #expect(snapshot.final?.diagnosis.id == .portClosed)

    let listener = try LoopbackTCPListener(port: port)
    let again = await run.rerun(.destination)
    #expect(again.final?.diagnosis.id == .reachable)
    #expect(again.trace?.flow?.synAck != nil && again.trace?.flow?.reset == nil)
    #expect(again.step(.networkingTrace).status == .pass)
    _ = listener
  }

  @Test func traceCanBeTurnedOff() async throws {
    let listener = try LoopbackTCPListener()
    let snapshot = await ChecklistRun(target: try Self.target("127.0.0.1:\(listener.port)"), options: CheckOptions(trace: false)).run()
    #expect(snapshot.step(.networkingTrace).status == .skip)
    #expect(snapshot.step(.networkingTrace).skipReason == "--no-trace was given")
    #expect(snapshot.trace == nil && snapshot.evidence.packets == nil)
    #expect(snapshot.final?.diagnosis.id == .reachable)
  }

  @Test func theFirstSYNsDropByAFullQueueCountsInSocketState() async throws {
    // A queue that is full before the run: the destination's first SYN is dropped at once, before the socket-state
    // step would start. A timeout under the first retransmit (1 s) leaves that SYN the only one dropped.
    let listener = try LoopbackTCPListener(backlog: 0, accepting: false)
    for _ in 0..<3 { _ = TCPConnectProbe.connect(to: listener.socketAddress, options: .init(timeout: .milliseconds(100))) }
    let options = CheckOptions(timeout: .milliseconds(400), connectProbes: 1, echoCount: 1, trace: false)
    let snapshot = await ChecklistRun(target: try Self.target("127.0.0.1:\(listener.port)"), options: options).run()
    let details = snapshot.step(.socketState).details
    let rise = details.first { $0.hasPrefix("ListenOverflows +") }.flatMap { Int($0.dropFirst("ListenOverflows +".count).prefix { $0.isNumber }) }
    #expect((rise ?? 0) >= 1, "\(details)")
    #expect(snapshot.evidence.localListenOverflowRising == true)
    #expect(snapshot.step(.socketState).status == .fail)
  }

  /// The socket-state step of a loopback check reads the listener once the destination's probes are over, and
  /// starts reading as soon as they are (it used to wait on a 10 ms poll). Its reads take what they take: the step may
  /// end that long after the destination, with a little room for the machine.
  @Test func loopbackSocketStateEndsPromptlyAfterTheDestination() async throws {
    let listener = try LoopbackTCPListener()
    let options = CheckOptions(connectProbes: 1, echoCount: 1, trace: false)
    var gaps: [Int64] = [], reads: [Int64] = []
    for _ in 0..<5 {
      let snapshot = await ChecklistRun(target: try Self.target("127.0.0.1:\(listener.port)"), options: options).run()
      let destination = try #require(snapshot.step(.destination).finishedMicroseconds)
      let socketState = try #require(snapshot.step(.socketState).finishedMicroseconds)
      #expect(socketState >= destination)
      #expect(snapshot.step(.socketState).status == .pass, "\(snapshot.step(.socketState).summary)")
      gaps.append(socketState - destination)
      // What the step reads after the destination, timed here.
      let started = ContinuousClock.now
      _ = try SocketTable.read(filter: SocketFilter(listeningOnly: true, port: listener.port), withOwners: true)
      _ = try TCPCounterSample.read()
      reads.append(microseconds(since: started))
    }
    // Medians: a 10 ms poll adds 5 ms on average. The /proc walk that names the owners varies from one call to the
    // next with what else runs (60 ms or more in the full suite, where a poll's few ms are lost in it anyway).
    let (gap, read) = (gaps.sorted()[2], reads.sorted()[2])
    #expect(gap <= read + max(2_000, read / 4), "socket state ended \(gaps) µs after the destination; its reads take \(reads) µs")
  }

  /// Step by step (trainee mode), each step runs alone when asked, in the screen's order: the trace step comes before
  /// the destination and the socket-state step may be asked for first. None waits for a step nobody runs.
  @Test func stepByStepEveryStepEnds() async throws {
    let listener = try LoopbackTCPListener()
    let run = ChecklistRun(target: try Self.target("127.0.0.1:\(listener.port)"), options: CheckOptions(connectProbes: 1, echoCount: 1))
    let alone = await Self.value(within: .seconds(3)) { await run.rerun(.socketState) }
    #expect(alone?.step(.socketState).status == .pass, "\(alone?.step(.socketState).summary ?? "did not end in 3 s")")
    for step in StepID.allCases {
      let snapshot = await Self.value(within: .seconds(3)) { await run.rerun(step) }
      #expect(snapshot?.step(step).status.isFinished == true, "\(step) did not end in 3 s")
    }
    let last = await run.snapshot
    #expect(last.final?.diagnosis.id == .reachable)
    #expect(last.steps.allSatisfy { $0.status.isFinished })
  }

  /// Step by step, no verdict comes before every step has run: the evidence of steps not yet run is missing, not
  /// clean (a closed port judged before its destination step ran came out "reachable"). The trace step, asked for
  /// before the destination, says that it fills in with that step's probes.
  @Test func stepByStepGivesNoVerdictUntilEveryStepHasRun() async throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let run = ChecklistRun(target: try Self.target("127.0.0.1:\(port)"), options: CheckOptions(connectProbes: 1, echoCount: 1))
    var snapshot = await run.rerun(.pathPicture)
    #expect(snapshot.final == nil && snapshot.diagnosis == nil)
    snapshot = await run.rerun(.networkingTrace)
    #expect(snapshot.step(.networkingTrace).status == .skip)
    #expect(snapshot.step(.networkingTrace).summary.contains("destination step"), "\(snapshot.step(.networkingTrace).summary)")
    for step in [StepID.localStack, .neighbours, .defaultGateway] {
      snapshot = await run.rerun(step)
      #expect(snapshot.final == nil, "a final verdict after \(step), before the destination step ran")
    }
    snapshot = await run.rerun(.destination)
    #expect(snapshot.final == nil, "the socket-state step has not run yet")
    #expect(snapshot.diagnosis?.id == .portClosed, "the destination's own provisional verdict shows")
    snapshot = await run.rerun(.socketState)
    #expect(snapshot.final?.diagnosis.id == .portClosed)
  }

  /// Re-running the socket-state step alone, after a run and before any (for a server elsewhere too: it looks at this
  /// machine's connections to it, without waiting for a destination step that is not running).
  @Test func socketStateStepReRunsAlone() async throws {
    let listener = try LoopbackTCPListener()
    let run = ChecklistRun(target: try Self.target("127.0.0.1:\(listener.port)"), options: CheckOptions(connectProbes: 1, echoCount: 1))
    await run.run()
    let again = await Self.value(within: .seconds(3)) { await run.rerun(.socketState) }
    #expect(again?.step(.socketState).status == .pass, "\(again?.step(.socketState).summary ?? "did not end in 3 s")")
    #expect(again?.final?.diagnosis.id == .reachable)

    // A lab address (no packet is sent: the step only looks up the route and this machine's own connections).
    let elsewhere = ChecklistRun(target: try Self.target("198.18.0.1:9"))
    let remote = await Self.value(within: .seconds(3)) { await elsewhere.rerun(.socketState) }
    #expect(remote?.step(.socketState).status.isFinished == true, "the socket-state step for a server elsewhere did not end in 3 s")
  }

  /// The steps' kernel reads run off the run's actor: while the socket-state step walks /proc for the listener's
  /// owner (made slow here by thousands of open descriptors), the run still answers at once. On the actor the walk
  /// held every other step's updates, and anyone asking for a snapshot, for its whole length.
  @Test func slowKernelReadsDoNotHoldTheRun() async throws {
    let listener = try LoopbackTCPListener()
    let extra = (0..<8_000).map { _ in open("/dev/null", O_RDONLY) }.filter { $0 >= 0 }
    defer { for descriptor in extra { close(descriptor) } }
    let started = ContinuousClock.now
    _ = try SocketTable.read(filter: SocketFilter(listeningOnly: true, port: listener.port), withOwners: true)
    let walk = microseconds(since: started)

    let run = ChecklistRun(target: try Self.target("127.0.0.1:\(listener.port)"), options: CheckOptions(connectProbes: 1, echoCount: 1, trace: false))
    let running = Task { await run.run() }
    var longest: Int64 = 0
    while true {
      let asked = ContinuousClock.now
      let snapshot = await run.snapshot
      longest = max(longest, microseconds(since: asked))
      if snapshot.isFinished { break }
      try await Task.sleep(for: .milliseconds(1))
    }
    let snapshot = await running.value
    #expect(snapshot.step(.socketState).status == .pass, "\(snapshot.step(.socketState).summary)")
    #expect(longest < walk / 2, "the run took up to \(longest) µs to answer; the owner walk takes \(walk) µs")
  }

  /// `body`'s value, or nil when it has not returned within `limit` (a body that never returns is left behind).
  static func value<T: Sendable>(within limit: Duration, _ body: @escaping @Sendable () async -> T) async -> T? {
    let (stream, continuation) = AsyncStream<T?>.makeStream()
    let work = Task { continuation.yield(await body()) }
    let timer = Task {
      try? await Task.sleep(for: limit)
      continuation.yield(nil)
    }
    var iterator = stream.makeAsyncIterator()
    let first = await iterator.next() ?? nil
    timer.cancel()
    _ = work
    return first
  }

  @Test func cancelledRunEndsPromptly() async throws {
    let listener = try LoopbackTCPListener(backlog: 0, accepting: false)
    for _ in 0..<3 { _ = TCPConnectProbe.connect(to: listener.socketAddress, options: .init(timeout: .milliseconds(100))) }
    let run = ChecklistRun(target: try Self.target("127.0.0.1:\(listener.port)"), options: CheckOptions(timeout: .seconds(30)))
    let started = ContinuousClock.now
    let task = Task { await run.run() }
    try await Task.sleep(for: .milliseconds(300))
    task.cancel()
    let snapshot = await task.value
    #expect(snapshot.isFinished)
    #expect(ContinuousClock.now - started < .seconds(10))
  }
}
