import Dispatch
import FoundationEssentials
import NetProbe
import Triage
#if canImport(Glibc)
import Glibc
#endif

/// The troubleshooting screen: opens the terminal, runs the checklist and shows it live, and always gives the
/// terminal back as it was (q, Esc, Ctrl-C, SIGTERM, SIGHUP, a crash).
public enum TUIApplication {
  public struct Configuration: Sendable {
    /// What to check at once; nil runs the local checks and focuses the target field.
    public var target: CheckTarget?
    public var options: CheckOptions
    /// The transport a typed target is tested with.
    public var transport: Evidence.Transport
    /// Start in trainee mode.
    public var trainee: Bool
    /// The tool's version, for the exported reports.
    public var version: String
    /// A practice round on the fault lab's hidden scenario (trainee mode, the verdict hidden until answered).
    public var practice: PracticeRound?

    public init(target: CheckTarget?, options: CheckOptions = .init(), transport: Evidence.Transport = .tcp,
                trainee: Bool = false, version: String, practice: PracticeRound? = nil) {
      self.target = target
      self.options = options
      self.transport = transport
      self.trainee = trainee || practice != nil
      self.version = version
      self.practice = practice
    }
  }

  /// Runs the screen on a thread of its own (it blocks in poll, which a Swift concurrency thread must not) until
  /// the user quits; returns the exit status. A SIGINT, SIGTERM or SIGHUP ends the process with that signal after
  /// the terminal is restored.
  public static func run(_ configuration: Configuration) async -> Int32 {
    await withCheckedContinuation { continuation in
      let started = DetachedThread.start(name: "nettriage-tui", stackSize: 8 << 20) {
        let status = Session(configuration).run()
        continuation.resume(returning: status)
      }
      if !started { continuation.resume(returning: 3) }
    }
  }
}

/// The run loop: the only code that touches the terminal. Keys become intents through `KeyMap`, intents and
/// events go through `Reducer`, effects are carried out here, and `Renderer` draws the result.
final class Session {
  private let configuration: TUIApplication.Configuration
  private var state: ScreenState
  private let history = RunHistory.standard()
  private var catalogue: ErrorCatalogue?
  private var exitSignal: Int32?
  private var quitRequested = false
  /// The spinner ticks this often while something runs; nothing ticks when all is still.
  private let tickInterval = Duration.milliseconds(100)

  init(_ configuration: TUIApplication.Configuration) {
    self.configuration = configuration
    var ui = UIState()
    ui.target = configuration.target
    ui.defaultTransport = configuration.transport
    ui.privileges = Privileges.current()
    ui.practice = configuration.practice.map(PracticeState.init)
    state = ScreenState(ui: ui)
  }

  func run() -> Int32 {
    let unicode = Terminal.adoptLocale()
    state.glyphs = unicode ? .unicode : .ascii
    guard let pipe = WakePipe() else { return 3 }
    let inbox = Inbox(pipe: pipe)
    let engine = EngineDriver(inbox: inbox, options: configuration.options)

    let screen = CursesScreen(color: !Terminal.noColorRequested)
    TerminalGuard.installCrashHandlers()
    TerminalGuard.chainResizeWakeUp(to: pipe.writeDescriptor)
    let signalSources = TerminalGuard.terminationSources { number in
      inbox.post(.terminate(number))
      // If the UI thread does not get to it (stuck), restore from here and leave.
      DispatchQueue.global().asyncAfter(deadline: .now() + 2) { TerminalGuard.restoreAndExit(number) }
    }
    defer {
      engine.stopAll()
      screen.close()
      TerminalGuard.removeResizeWakeUp()
      TerminalGuard.removeCrashHandlers()
      for source in signalSources { source.cancel() }
    }

    state.ui.size = screen.size
    state.ui.targetHistory = InputHistory(history?.targets() ?? [])
    var startup: [Effect] = []
    if configuration.trainee {
      startup += Reducer.reduce(&state, .toggleTrainee)
    } else {
      startup.append(Reducer.startRun(&state))
    }
    if configuration.target == nil { startup += Reducer.reduce(&state, .newTarget) }
    perform(startup, engine: engine)

    var nextTick = ContinuousClock.now + tickInterval
    var needsDraw = true
    while !quitRequested {
      if needsDraw {
        screen.draw(Renderer.render(state, size: state.ui.size))
        needsDraw = false
      }
      let ticking = isTicking
      var timeout: Int32 = -1
      if ticking {
        let (seconds, attoseconds) = max(.zero, nextTick - .now).components
        timeout = Int32(seconds * 1000 + attoseconds / 1_000_000_000_000_000)
      }
      let ready = screen.wait(wakeDescriptor: pipe.readDescriptor, milliseconds: timeout)
      if ready.hangup {
        // Polling a terminal that is gone returns at once forever: leave as a hangup would.
        exitSignal = SIGHUP
        break
      }
      if ready.input || ready.wake {
        for key in screen.readKeys() {
          if key == .resize {
            screen.invalidate()
            _ = Reducer.apply(&state, .resized(screen.size))
          }
          guard let intent = KeyMap.intent(for: key, mode: state.ui.mode) else { continue }
          perform(Reducer.reduce(&state, intent), engine: engine)
          needsDraw = true
        }
      }
      if ready.wake {
        for item in inbox.take() {
          needsDraw = receive(item, engine: engine) || needsDraw
        }
      }
      if isTicking && ContinuousClock.now >= nextTick {
        perform(Reducer.apply(&state, .tick(clockMicroseconds: state.isRunning ? engine.clockMicroseconds : nil)), engine: engine)
        nextTick = ContinuousClock.now + tickInterval
        needsDraw = true
      } else if !ticking {
        nextTick = ContinuousClock.now + tickInterval
      }
    }

    if let signal = exitSignal {
      engine.stopAll()
      screen.close()
      TerminalGuard.endProcess(by: signal)
    }
    return 0
  }

  /// Something moves on screen: a run, or a loop that is not paused.
  private var isTicking: Bool {
    state.isRunning || (state.ui.loop.map { !$0.isPaused } ?? false)
  }

  /// Takes in one item of news; returns whether the screen changed.
  private func receive(_ item: Inbox.Item, engine: EngineDriver) -> Bool {
    switch item {
    case .terminate(let signal):
      exitSignal = signal
      quitRequested = true
      return false
    case .snapshot(let generation, let snapshot):
      guard generation == engine.generation else { return false }
      perform(Reducer.apply(&state, .snapshot(snapshot)), engine: engine)
    case .loopResult(let generation, let result):
      guard generation == engine.loopGeneration else { return false }
      perform(Reducer.apply(&state, .loopResult(result)), engine: engine)
    case .loopFailed(let generation, let reason):
      guard generation == engine.loopGeneration else { return false }
      perform(Reducer.apply(&state, .loopFailed(reason)), engine: engine)
    }
    return true
  }

  /// Carries out effects; those that produce news feed it back through the reducer.
  private func perform(_ effects: [Effect], engine: EngineDriver) {
    for effect in effects {
      switch effect {
      case .quit:
        quitRequested = true
      case .startRun(let target, let stepByStep):
        engine.stopLoop()
        engine.start(target, stepByStep: stepByStep)
        perform(Reducer.apply(&state, .baseline(history?.lastRun(of: target?.text))), engine: engine)
      case .runStep(let step):
        engine.runStep(step)
      case .startLoop:
        guard let target = state.ui.target else { continue }
        let known = state.snapshot?.evidence.connects.flatMap(\.attempts).compactMap(\.address) ?? []
        var unique: [SocketAddress] = []
        for address in known where !unique.contains(address) { unique.append(address) }
        engine.startLoop(target, knownAddresses: unique)
      case .stopLoop:
        engine.stopLoop()
      case .lookup(let query):
        perform(Reducer.apply(&state, .lookupAnswer(lookup(query))), engine: engine)
      case .export(let path):
        perform(Reducer.apply(&state, export(to: path, engine: engine)), engine: engine)
      case .recordRun(var record):
        record.finishedAt = Date().formatted(.iso8601)
        history?.append(record)
      case .recordTarget(let text):
        history?.recordTarget(text)
      }
    }
  }

  private func lookup(_ query: String) -> LookupResult {
    if catalogue == nil { catalogue = try? ErrorCatalogue.embedded() }
    guard let catalogue else {
      return LookupResult(query: query, matchCount: 0, meanings: [], nearest: ["(the built-in error catalogue does not load)"])
    }
    guard !query.trimmingWhitespace.isEmpty else { return LookupResult(query: query, matchCount: 0, meanings: [], nearest: []) }
    return LookupResult(catalogue.explain(query), catalogue: catalogue)
  }

  private func export(to path: String, engine: EngineDriver) -> Event {
    guard let snapshot = state.snapshot else { return .exportFailed("nothing to export yet") }
    let diagnosis = snapshot.diagnosis ?? Decision.diagnose(snapshot.evidence)
    let knowledge = KnowledgeText.render(diagnosis, target: state.ui.target)
    let report = CheckReport(
      snapshot: snapshot, target: state.ui.target, version: configuration.version, startedAt: engine.startedAt,
      privileges: state.ui.privileges ?? .current(), title: knowledge.title, fixes: knowledge.fixes)
    do {
      return .exported(try ReportExport.write(report, trace: snapshot.trace, pathTrace: snapshot.pathTrace, to: path))
    } catch {
      return .exportFailed("\(error)")
    }
  }
}
