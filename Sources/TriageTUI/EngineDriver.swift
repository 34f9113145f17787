import FoundationEssentials
import NetProbe
import Triage

/// Runs the Triage engine and the probe loop for the UI thread, and posts what they publish to the inbox. Each run
/// and each loop gets a generation number, so news from one that was replaced is dropped.
final class EngineDriver {
  private let inbox: Inbox
  let options: CheckOptions
  private(set) var run: ChecklistRun?
  private(set) var generation = 0
  private(set) var loopGeneration = 0
  /// When the run on screen started: the header's clock, and the report's start time.
  private(set) var runStart = ContinuousClock.now
  private(set) var startedAt = Date()
  private var runTasks: [Task<Void, Never>] = []
  private var loopTask: Task<Void, Never>?

  init(inbox: Inbox, options: CheckOptions) {
    self.inbox = inbox
    self.options = options
  }

  /// A fresh run; without `stepByStep` the whole checklist starts at once.
  func start(_ target: CheckTarget?, stepByStep: Bool) {
    cancelRun()
    generation += 1
    let generation = generation
    let run = ChecklistRun(target: target, options: options)
    self.run = run
    runStart = .now
    startedAt = Date()
    let inbox = inbox
    // Subscribed before run() starts, so the stream carries every change until the run finishes.
    runTasks.append(Task {
      for await snapshot in await run.snapshots() { inbox.post(.snapshot(generation: generation, snapshot)) }
    })
    if !stepByStep {
      runTasks.append(Task {
        let final = await run.run()
        inbox.post(.snapshot(generation: generation, final))
      })
    }
  }

  /// Runs one step of the run on screen (again).
  func runStep(_ step: StepID) {
    guard let run else { return }
    let generation = generation
    let inbox = inbox
    let done = DoneFlag()
    runTasks.append(Task {
      let final = await run.rerun(step)
      done.set()
      inbox.post(.snapshot(generation: generation, final))
    })
    // A finished run's stream ends at once: subscribe again until the re-run has begun and ended.
    runTasks.append(Task {
      while !done.isSet && !Task.isCancelled {
        for await snapshot in await run.snapshots() { inbox.post(.snapshot(generation: generation, snapshot)) }
        if done.isSet { break }
        try? await Task.sleep(for: .milliseconds(10))
      }
    })
  }

  /// Microseconds since the run on screen started.
  var clockMicroseconds: Int64 {
    let (seconds, attoseconds) = (ContinuousClock.now - runStart).components
    return seconds * 1_000_000 + attoseconds / 1_000_000_000_000
  }

  func cancelRun() {
    for task in runTasks { task.cancel() }
    runTasks = []
  }

  /// Probes the target's port again and again, a second apart, until stopped. Addresses already found by the run
  /// are reused, so the loop asks no resolver.
  func startLoop(_ target: CheckTarget, knownAddresses: [SocketAddress]) {
    stopLoop()
    loopGeneration += 1
    let generation = loopGeneration
    let inbox = inbox
    let timeout = options.timeout
    let interval = Duration.microseconds(Reducer.loopIntervalMicroseconds)
    loopTask = Task {
      let probe: @Sendable () async -> ProbeResult
      switch target.target {
      case .unix(let path):
        probe = { await UnixSocketProbe.probe(path: path, timeout: timeout) }
      case .inet(let internet):
        var addresses = knownAddresses
        if addresses.isEmpty {
          do {
            addresses = internet.socketAddresses(try await Resolver.resolve(internet.host).addresses)
          } catch {
            inbox.post(.loopFailed(generation: generation, "the loop could not resolve \(internet.host): \((error as? ResolutionError)?.message ?? "\(error)")"))
            return
          }
        }
        let label = internet.description
        let found = addresses
        if target.transport == .udp {
          probe = { await UDPProbe.probe(found, target: label, options: .init(timeout: timeout)) }
        } else {
          probe = { await TCPConnectProbe.probe(found, target: label, options: .init(timeout: timeout)) }
        }
      }
      _ = await RepeatRunner(count: 0, interval: interval).run(probe) { event in
        inbox.post(.loopResult(generation: generation, event.result))
      }
    }
  }

  func stopLoop() {
    loopTask?.cancel()
    loopTask = nil
  }

  func stopAll() {
    cancelRun()
    stopLoop()
  }
}
