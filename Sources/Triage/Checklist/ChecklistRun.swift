import NetProbe

/// One run of the checklist: steps that do not depend on each other run concurrently, and every change is
/// published as an immutable `RunSnapshot`.
///
/// ```
/// let run = ChecklistRun(target: target)
/// for await snapshot in await run.snapshots() { render(snapshot) }   // while `await run.run()` goes on
/// ```
public actor ChecklistRun {
  public let target: CheckTarget?
  public let options: CheckOptions
  let start = ContinuousClock.now
  var state: RunSnapshot
  private var subscribers: [AsyncStream<RunSnapshot>.Continuation] = []
  /// Facts several steps wait for, computed once per run.
  var resolutionTask: Task<ResolvedTarget, Never>?
  var routeTask: Task<RouteLookup?, Never>?
  var nameServerRouteTask: Task<(IPAddress, RouteLookup)?, Never>?
  /// The destination's first connect is still waiting for its answer.
  var connectPending = false
  /// Echo results so far, per address, while a ping runs.
  var liveEcho: [SocketAddress: EchoEvidence] = [:]
  /// The destination's ping has ended (all sent and answered or timed out, or it could not run).
  var destinationEchoFinished = false
  /// The last ping to an address failed in a way that no later reply undoes (no route, unreachable, prohibited).
  var echoFailures: [SocketAddress: ICMPEchoOutcome] = [:]
  /// Packet sockets kept between the destination's captures (closing one costs milliseconds).
  let captureSession = CaptureSession()
  /// The destination's connects as captured, and why nothing was captured when it was not.
  var destinationCaptures: [CapturedPackets] = []
  var captureUnavailable: CaptureUnavailable?
  /// Steps `run` or `rerun` has set going that have not finished yet: the ones `waitUntilFinished` waits for.
  private var stepsUnderway: Set<StepID> = []
  /// Steps waiting for another step to finish (the trace and socket-state steps wait for the destination's probes).
  private var finishWaiters: [StepID: WaitingTasks] = [:]
  /// The destination step starts alone; the others start once it has had its head start (see `run`).
  private var headStartOver = true
  private var headStartWaiters = WaitingTasks()
  /// The kernel's counters read before the destination's first packet, for a loopback target (see `run`).
  var countersBeforeProbes: CounterSampleBeforeProbes?

  public init(target: CheckTarget?, options: CheckOptions = .init()) {
    self.target = target
    self.options = options
    let evidence = Evidence(transport: target?.transport ?? .tcp, targetIsLoopback: target?.isLoopback ?? false,
                            targetIsName: target?.isName ?? false)
    state = RunSnapshot(target: target?.text, steps: StepID.allCases.map(StepState.init), elapsedMicroseconds: 0,
                        isFinished: false, evidence: evidence)
  }

  /// The current picture.
  public var snapshot: RunSnapshot { state }

  /// A stream of snapshots: the current one at once, then one per change, ending when the run finishes.
  public func snapshots() -> AsyncStream<RunSnapshot> {
    let (stream, continuation) = AsyncStream<RunSnapshot>.makeStream(bufferingPolicy: .bufferingNewest(64))
    continuation.yield(state)
    if state.isFinished { continuation.finish() } else { subscribers.append(continuation) }
    return stream
  }

  /// Runs every step (concurrently where they do not depend on each other) and decides the verdict.
  @discardableResult
  public func run() async -> RunSnapshot {
    headStartOver = false
    stepsUnderway.formUnion(StepID.allCases)
    // The socket-state step starts after the destination's first SYN: by then a full accept queue has already dropped
    // it, and the step's own "before" would count that drop. A loopback target's listener is on this machine (where
    // the step reads counters), so they are read first; for another address the step reads them once its route
    // lookup says the address is this host's own (missing the first SYN's drop; later SYNs still show), and not at
    // all for a server elsewhere. Read here, on this actor, as the steps' kernel reads are not: no step has started
    // yet, so none waits behind it, and the first SYN follows without a thread hop.
    if let target, target.isLoopback, target.internet != nil {
      countersBeforeProbes = Self.counterSample(udp: target.transport == .udp)
    }
    await withTaskGroup(of: Void.self) { group in
      // The first verdict waits for the destination's first packet. Started together, the other steps' kernel
      // reads (netlink dumps, /proc, the loopback self-test) held both worker threads for milliseconds before it
      // was sent; so the destination starts alone and the others once it is about to connect or waits for DNS.
      group.addTask { await self.perform(.destination) }
      await destinationHeadStart()
      for step in StepID.allCases where step != .destination {
        group.addTask { await self.perform(step) }
      }
    }
    finish()
    return state
  }

  /// Lets the other steps start (once; later calls do nothing).
  func endDestinationHeadStart() {
    guard !headStartOver else { return }
    headStartOver = true
    headStartWaiters.resumeAll()
  }

  private func destinationHeadStart() async {
    if headStartOver { return }
    await withCheckedContinuation { headStartWaiters.add($0) }
  }

  /// Runs one step again (its evidence is replaced) and decides again.
  @discardableResult
  public func rerun(_ step: StepID) async -> RunSnapshot {
    state.isFinished = false
    state.final = nil
    state.provisional = nil
    stepsUnderway.insert(step)
    if step == .destination {
      stepsUnderway.insert(.networkingTrace)
      // The trace step reads the destination's packets: new probes, new trace.
      await withTaskGroup(of: Void.self) { group in
        group.addTask { await self.perform(.destination) }
        group.addTask { await self.perform(.networkingTrace) }
      }
    } else {
      await perform(step)
    }
    finish()
    return state
  }

  func perform(_ step: StepID) async {
    clearEvidence(of: step)
    update(step) {
      $0.status = .running
      $0.summary = ""
      $0.details = []
      $0.findings = []
      $0.skipReason = nil
      $0.startedMicroseconds = self.elapsed
      $0.finishedMicroseconds = nil
    }
    let outcome: StepOutcome
    if Task.isCancelled {
      outcome = .skip("the run was cancelled")
    } else {
      switch step {
      case .pathPicture: outcome = await pathPictureStep()
      case .networkingTrace: outcome = await networkingTraceStep()
      case .localStack: outcome = await localStackStep()
      case .neighbours: outcome = await neighboursStep()
      case .defaultGateway: outcome = await defaultGatewayStep()
      case .destination: outcome = await destinationStep()
      case .socketState: outcome = await socketStateStep()
      }
    }
    update(step) {
      $0.status = outcome.status
      $0.summary = outcome.summary
      $0.skipReason = outcome.skipReason
      $0.findings += outcome.findings
      $0.finishedMicroseconds = self.elapsed
    }
    stepsUnderway.remove(step)
    if var waiting = finishWaiters.removeValue(forKey: step) { waiting.resumeAll() }
    if step == .destination { endDestinationHeadStart() }
  }

  /// Returns once `step` has finished, when `run` or `rerun` has set it going; at once when it is not underway (over
  /// already, or never asked for: a step run alone, step by step, does not wait for one nobody runs).
  func waitUntilFinished(_ step: StepID) async {
    guard stepsUnderway.contains(step) else { return }
    await withCheckedContinuation { finishWaiters[step, default: WaitingTasks()].add($0) }
  }

  /// Forgets what a step found before, so a re-run replaces its evidence rather than adding to it.
  private func clearEvidence(of step: StepID) {
    switch step {
    case .pathPicture:
      state.evidence.route = nil
      state.evidence.nameServer = nil
      state.evidence.nameServerRoute = nil
      routeTask = nil
      nameServerRouteTask = nil
    case .networkingTrace:
      state.evidence.packets = nil
      state.trace = nil
    case .localStack: state.evidence.interfaces = nil
    case .neighbours: state.evidence.targetNeighbour = nil
    case .defaultGateway:
      state.evidence.gatewayNeighbour = nil
      state.evidence.baselineRoundTripMicroseconds = nil
    case .destination:
      state.evidence.dns = nil
      state.evidence.echo = nil
      state.evidence.connects = []
      state.evidence.otherPortAnswered = nil
      resolutionTask = nil
      destinationCaptures = []
      captureUnavailable = nil
      state.evidence.pathTrace = nil
      state.pathTrace = nil
    case .socketState:
      state.evidence.localListenOverflowRising = nil
      state.evidence.stuckConnections = nil
    }
  }

  private func finish() {
    state.elapsedMicroseconds = elapsed
    // Step by step, a verdict before every step has run would judge evidence nobody gathered yet ("reachable" before
    // the destination was ever probed): no final verdict until the last step has run (the destination step's
    // provisional one stays).
    if !state.steps.contains(where: { $0.status == .pending }) {
      state.final = TimedDiagnosis(diagnosis: Decision.diagnose(state.evidence), atMicroseconds: elapsed)
    }
    state.isFinished = true
    publish()
    for subscriber in subscribers { subscriber.finish() }
    subscribers = []
    // Closing packet sockets waits for the kernel (milliseconds each): not on the verdict's path.
    let session = captureSession
    Task.detached(priority: .background) { session.close() }
  }

  // MARK: state changes, each published

  var elapsed: Int64 {
    let (seconds, attoseconds) = (ContinuousClock.now - start).components
    return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
  }

  func update(_ step: StepID, _ change: (inout StepState) -> Void) {
    guard let index = state.steps.firstIndex(where: { $0.id == step }) else { return }
    change(&state.steps[index])
    publish()
  }

  func detail(_ step: StepID, _ line: String) {
    update(step) { $0.details.append(line) }
  }

  func updateEvidence(_ change: (inout Evidence) -> Void) {
    change(&state.evidence)
    publish()
  }

  /// Publishes an early verdict, marked provisional; the final one replaces it at the end.
  func publishProvisional(_ diagnosis: Diagnosis) {
    guard state.final == nil else { return }
    state.provisional = TimedDiagnosis(diagnosis: diagnosis, atMicroseconds: elapsed)
    publish()
  }

  private func publish() {
    state.elapsedMicroseconds = elapsed
    for subscriber in subscribers { subscriber.yield(state) }
  }
}

/// How a step ended, as its body reports it.
struct StepOutcome: Sendable {
  var status: StepStatus
  var summary: String
  var skipReason: String?
  var findings: [Finding] = []

  static func skip(_ reason: String) -> StepOutcome {
    StepOutcome(status: .skip, summary: "skipped: \(reason)", skipReason: reason)
  }
}

/// The target's addresses once resolved (or why they could not be).
struct ResolvedTarget: Sendable {
  var addresses: [SocketAddress]
  var resolution: Resolution?
  var error: ResolutionError?
}
