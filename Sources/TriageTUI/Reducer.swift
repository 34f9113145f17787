import NetProbe
import Triage

/// Work the run loop does for the reducer: calls into the Triage engine, the probe loop, files. The reducer only
/// says what; `TUIApplication` does it and reports back with an `Event`.
public enum Effect: Hashable, Sendable {
  /// A fresh run of the checklist on this target; `stepByStep` leaves the steps to `runStep` (trainee mode).
  case startRun(CheckTarget?, stepByStep: Bool)
  /// Run one step (again) in the run on screen.
  case runStep(StepID)
  /// Loop the probe behind this step.
  case startLoop(StepID)
  case stopLoop
  /// Look a query up in the error catalogue.
  case lookup(String)
  /// Write the Markdown and JSON reports of the run on screen to this path (a directory or a file name).
  case export(String)
  /// Append a finished run to the target's history.
  case recordRun(RunRecord)
  /// Remember a target typed into the field.
  case recordTarget(String)
  case quit
}

/// News from outside the UI: the engine, the loop, the clock, the terminal, finished effects.
public enum Event: Hashable, Sendable {
  case snapshot(RunSnapshot)
  /// A spinner tick while something runs, with the run's clock.
  case tick(clockMicroseconds: Int64?)
  case resized(ScreenSize)
  case loopResult(ProbeResult)
  case loopFailed(String)
  case lookupAnswer(LookupResult)
  case exported([String])
  case exportFailed(String)
  /// The previous run of this target, from the history on disk.
  case baseline(RunRecord?)
}

/// The UI's logic: pure functions from (state, intent or event) to a new state and the effects to carry out.
public enum Reducer {
  /// Carries out what a key asked for.
  public static func reduce(_ state: inout ScreenState, _ intent: Intent) -> [Effect] {
    var effects: [Effect] = []
    let mode = state.ui.mode
    if case .edit = intent {} else if intent != .resize { state.ui.message = nil }
    switch intent {
    case .quit:
      return state.ui.loop == nil ? [.quit] : [.stopLoop, .quit]
    case .resize:
      break
    case .back:
      return back(&state)
    case .help:
      if mode != .help { push(.help, &state) }
    case .moveUp, .moveDown, .pageUp, .pageDown, .moveToTop, .moveToBottom:
      if mode == .trainee && state.ui.isPicking { movePick(intent, &state) } else { move(intent, &state) }
    case .previousStep, .nextStep:
      select(offset: intent == .previousStep ? -1 : 1, &state)
      state.ui.scroll[.stepDetail] = 0
    case .open:
      push(.stepDetail, &state)
    case .showDiagnosis:
      push(.diagnosis, &state)
    case .rerunStep:
      guard canStartWork(&state) else { break }
      state.ui.baseline = state.snapshot.map { RunRecord($0, finishedAt: "") } ?? state.ui.baseline
      state.ui.changes = [:]
      state.ui.selectionTouched = true
      effects.append(.runStep(state.ui.selected))
    case .rerunAll:
      if let snapshot = state.snapshot, snapshot.isFinished { state.ui.baseline = RunRecord(snapshot, finishedAt: "") }
      state.ui.changes = [:]
      if state.ui.trainee != nil { state.ui.trainee = TraineeState() }
      effects.append(startRun(&state))
    case .toggleLoop:
      if mode == .loop { return back(&state) }
      guard let target = state.ui.target else {
        state.ui.message = StatusMessage("nothing to loop without a target: n types one", isError: true)
        break
      }
      let step = state.ui.selected
      let note = step == .destination ? nil : "\(step.title) has no probe of its own: looping the destination's port"
      state.ui.loop = LoopState(label: loopLabel(target), note: note, intervalMicroseconds: loopIntervalMicroseconds)
      push(.loop, &state)
      effects.append(.startLoop(step))
    case .togglePause:
      if mode == .loop, var loop = state.ui.loop {
        loop.isPaused.toggle()
        state.ui.loop = loop
        effects.append(loop.isPaused ? .stopLoop : .startLoop(state.ui.selected))
      } else {
        state.ui.isPaused.toggle()
        if !state.ui.isPaused, let held = state.heldSnapshot {
          state.heldSnapshot = nil
          effects += accept(held, &state)
        }
      }
    case .clearStatistics:
      state.ui.loop?.clear()
    case .newTarget:
      state.ui.targetField = LineEditor()
      state.ui.fieldError = nil
      state.ui.targetHistory.reset()
      push(.targetEntry, &state)
    case .lookup:
      push(.lookup, &state)
      if state.ui.lookupResult == nil || state.ui.lookupResult?.query != state.ui.lookupField.text {
        effects.append(.lookup(state.ui.lookupField.text))
      }
    case .toggleTrainee:
      if state.ui.trainee != nil {
        state.ui.trainee = nil
        state.ui.stack.removeAll { $0 == .trainee }
        state.ui.message = StatusMessage("trainee mode off: R runs the whole checklist")
      } else {
        state.ui.trainee = TraineeState()
        state.ui.selected = StepID.allCases[0]
        push(.trainee, &state)
        effects.append(startRun(&state))
      }
    case .advance:
      effects += advanceTrainee(&state)
    case .export:
      guard state.snapshot != nil else {
        state.ui.message = StatusMessage("nothing to export yet", isError: true)
        break
      }
      state.ui.exportField = LineEditor("./")
      push(.exportPrompt, &state)
    case .edit(let edit):
      effects += self.edit(edit, &state)
    case .historyPrevious, .historyNext:
      effects += walkHistory(back: intent == .historyPrevious, &state)
    case .submit:
      effects += submit(&state)
    }
    return effects
  }

  /// Takes in news from outside.
  public static func apply(_ state: inout ScreenState, _ event: Event) -> [Effect] {
    switch event {
    case .snapshot(let snapshot):
      if state.ui.isPaused {
        state.heldSnapshot = snapshot
        return []
      }
      return accept(snapshot, &state)
    case .tick(let clock):
      state.ui.spinnerFrame &+= 1
      state.ui.clockMicroseconds = clock
    case .resized(let size):
      state.ui.size = size
      for mode in Array(state.ui.scroll.keys) { clampScroll(mode, &state) }
    case .loopResult(let result):
      state.ui.loop?.append(result)
    case .loopFailed(let reason):
      state.ui.loop?.isPaused = true
      state.ui.message = StatusMessage(reason, isError: true)
    case .lookupAnswer(let result):
      state.ui.lookupResult = result
      state.ui.scroll[.lookup] = 0
    case .exported(let paths):
      state.ui.message = StatusMessage("wrote " + paths.map(SafeText.escape).joined(separator: " and "))
    case .exportFailed(let reason):
      state.ui.message = StatusMessage("export failed: " + reason, isError: true)
    case .baseline(let record):
      if state.ui.baseline == nil { state.ui.baseline = record }
    }
    return []
  }

  /// How often the loop probes.
  static let loopIntervalMicroseconds: Int64 = 1_000_000

  // MARK: views

  static func push(_ mode: Mode, _ state: inout ScreenState) {
    state.ui.stack.removeAll { $0 == mode }
    state.ui.stack.append(mode)
    state.ui.scroll[mode] = 0
  }

  static func back(_ state: inout ScreenState) -> [Effect] {
    let mode = state.ui.mode
    guard state.ui.stack.count > 1 else { return [.quit] }
    state.ui.stack.removeLast()
    switch mode {
    case .loop:
      state.ui.loop = nil
      return [.stopLoop]
    case .trainee:
      state.ui.trainee = nil
      state.ui.message = StatusMessage("trainee mode off: R runs the whole checklist")
    case .targetEntry:
      state.ui.fieldError = nil
      state.ui.targetHistory.reset()
    default:
      break
    }
    return []
  }

  /// A step re-run waits for the run on screen to end: two runs of one step would mix their evidence.
  static func canStartWork(_ state: inout ScreenState) -> Bool {
    guard state.snapshot != nil else {
      state.ui.message = StatusMessage("no run yet: n types a target", isError: true)
      return false
    }
    if state.isRunning {
      state.ui.message = StatusMessage("the checklist is still running: wait for it, or R to start again", isError: true)
      return false
    }
    return true
  }

  static func select(offset: Int, _ state: inout ScreenState) {
    state.ui.selectionTouched = true
    let steps = StepID.allCases
    let index = steps.firstIndex(of: state.ui.selected) ?? 0
    state.ui.selected = steps[min(steps.count - 1, max(0, index + offset))]
  }

  static func move(_ intent: Intent, _ state: inout ScreenState) {
    let mode = state.ui.mode
    if mode == .checklist {
      switch intent {
      case .moveUp: select(offset: -1, &state)
      case .moveDown: select(offset: 1, &state)
      case .moveToTop, .pageUp: select(offset: -StepID.allCases.count, &state)
      default: select(offset: StepID.allCases.count, &state)
      }
      return
    }
    let page = max(1, Renderer.viewport(for: mode, size: state.ui.size).height - 1)
    let current = state.ui.scroll[mode] ?? 0
    switch intent {
    case .moveUp: state.ui.scroll[mode] = current - 1
    case .moveDown: state.ui.scroll[mode] = current + 1
    case .pageUp: state.ui.scroll[mode] = current - page
    case .pageDown: state.ui.scroll[mode] = current + page
    case .moveToTop: state.ui.scroll[mode] = 0
    default: state.ui.scroll[mode] = Int.max / 2
    }
    clampScroll(mode, &state)
  }

  static func clampScroll(_ mode: Mode, _ state: inout ScreenState) {
    let limit = Renderer.scrollLimit(for: mode, state: state)
    state.ui.scroll[mode] = min(limit, max(0, state.ui.scroll[mode] ?? 0))
  }

  // MARK: the engine's snapshots

  /// Shows a snapshot: moves the trainee on when its step ended, marks changes and records the run when it ended.
  static func accept(_ snapshot: RunSnapshot, _ state: inout ScreenState) -> [Effect] {
    state.snapshot = snapshot
    if var trainee = state.ui.trainee, trainee.phase == .running, snapshot.step(trainee.step).status.isFinished,
       snapshot.isFinished {
      trainee.phase = .after
      state.ui.trainee = trainee
    }
    guard snapshot.isFinished, let final = snapshot.final, state.ui.recordedFinish != final.atMicroseconds else { return [] }
    state.ui.recordedFinish = final.atMicroseconds
    state.ui.clockMicroseconds = nil
    if !state.ui.selectionTouched && state.ui.trainee == nil {
      // Show the step that explains the verdict: the first that failed, else the first with a warning.
      let notable = snapshot.steps.first { $0.status == .fail } ?? snapshot.steps.first { $0.status == .warn }
      state.ui.selected = notable?.id ?? (state.ui.target == nil ? .localStack : .destination)
    }
    var changes: [StepID: StepChange] = [:]
    if let baseline = state.ui.baseline {
      for step in snapshot.steps where step.status.isFinished {
        let new = StepRecord(id: step.id, status: step.status, summary: step.summary)
        if let old = baseline.step(step.id), old.status.isFinished, old.differs(from: new) {
          changes[step.id] = StepChange(old: old, new: new)
        }
      }
    }
    state.ui.changes = changes
    // A trainee's walk records only once the whole checklist has run.
    if state.ui.trainee != nil && snapshot.steps.contains(where: { $0.status == .pending }) { return [] }
    return [.recordRun(RunRecord(snapshot, finishedAt: ""))]
  }

  // MARK: trainee

  static func advanceTrainee(_ state: inout ScreenState) -> [Effect] {
    guard var trainee = state.ui.trainee else { return [] }
    var effects: [Effect] = []
    switch trainee.phase {
    case .before:
      guard state.snapshot != nil, !state.isRunning else {
        state.ui.message = StatusMessage("wait for the step that runs to end", isError: true)
        return []
      }
      trainee.phase = .running
      effects.append(.runStep(trainee.step))
    case .running:
      state.ui.message = StatusMessage("the step is still running")
    case .after:
      if trainee.stepIndex + 1 < StepID.allCases.count {
        trainee.stepIndex += 1
        trainee.phase = .before
      } else {
        trainee.phase = .verdict
      }
    case .verdict:
      if var practice = state.ui.practice, practice.pick == nil {
        let pick = DiagnosisID.allCases[practice.cursor]
        practice.pick = pick
        state.ui.practice = practice
        state.ui.message = StatusMessage(pick == practice.round.expected ? "right: \(pick.rawValue)" : "not quite: it was \(practice.round.expected.rawValue)",
                                         isError: pick != practice.round.expected)
      } else {
        state.ui.message = StatusMessage("that was the last step: R walks it again, t leaves trainee mode")
      }
    }
    state.ui.trainee = trainee
    state.ui.selected = trainee.step
    state.ui.scroll[.trainee] = 0
    return effects
  }

  /// Moves the highlight in the practice round's list of diagnoses, scrolling to keep it in view.
  static func movePick(_ intent: Intent, _ state: inout ScreenState) {
    guard var practice = state.ui.practice else { return }
    let last = DiagnosisID.allCases.count - 1
    let page = max(1, Renderer.viewport(for: .trainee, size: state.ui.size).height - 3)
    switch intent {
    case .moveUp: practice.cursor -= 1
    case .moveDown: practice.cursor += 1
    case .pageUp: practice.cursor -= page
    case .pageDown: practice.cursor += page
    case .moveToTop: practice.cursor = 0
    default: practice.cursor = last
    }
    practice.cursor = min(last, max(0, practice.cursor))
    state.ui.practice = practice
    let line = TraineeContent.pickerFirstLine + practice.cursor
    let height = max(1, Renderer.viewport(for: .trainee, size: state.ui.size).height)
    let scroll = state.ui.scroll[.trainee] ?? 0
    if line < scroll + TraineeContent.pickerFirstLine { state.ui.scroll[.trainee] = max(0, line - TraineeContent.pickerFirstLine) }
    if line >= scroll + height { state.ui.scroll[.trainee] = line - height + 1 }
  }

  // MARK: fields

  static func edit(_ edit: LineEdit, _ state: inout ScreenState) -> [Effect] {
    switch state.ui.mode {
    case .targetEntry:
      state.ui.targetField.apply(edit)
      state.ui.fieldError = nil
    case .lookup:
      let before = state.ui.lookupField.text
      state.ui.lookupField.apply(edit)
      if state.ui.lookupField.text != before { return [.lookup(state.ui.lookupField.text)] }
    case .exportPrompt:
      state.ui.exportField.apply(edit)
    default:
      break
    }
    return []
  }

  static func walkHistory(back: Bool, _ state: inout ScreenState) -> [Effect] {
    switch state.ui.mode {
    case .targetEntry:
      let current = state.ui.targetField.text
      let entry = back ? state.ui.targetHistory.previous(current: current) : state.ui.targetHistory.next()
      if let entry { state.ui.targetField = LineEditor(entry) }
      state.ui.fieldError = nil
    case .lookup:
      let current = state.ui.lookupField.text
      let entry = back ? state.ui.lookupHistory.previous(current: current) : state.ui.lookupHistory.next()
      if let entry {
        state.ui.lookupField = LineEditor(entry)
        return [.lookup(entry)]
      }
    default:
      break
    }
    return []
  }

  static func submit(_ state: inout ScreenState) -> [Effect] {
    switch state.ui.mode {
    case .targetEntry:
      let text = state.ui.targetField.text.trimmingWhitespace
      switch TargetInput.parse(text, transport: state.ui.defaultTransport) {
      case .failure(let problem):
        state.ui.fieldError = problem.message
        return []
      case .success(let target):
        state.ui.targetHistory.record(text)
        state.ui.target = target
        state.ui.fieldError = nil
        state.ui.stack.removeLast()
        state.ui.baseline = nil
        state.ui.changes = [:]
        state.ui.selected = state.ui.trainee == nil ? .destination : StepID.allCases[0]
        if state.ui.trainee != nil { state.ui.trainee = TraineeState() }
        state.snapshot = nil
        state.heldSnapshot = nil
        return [startRun(&state), .recordTarget(text)]
      }
    case .lookup:
      state.ui.lookupHistory.record(state.ui.lookupField.text)
    case .exportPrompt:
      let path = state.ui.exportField.text.trimmingWhitespace
      state.ui.stack.removeLast()
      return [.export(path.isEmpty ? "./" : path)]
    default:
      break
    }
    return []
  }

  /// A fresh run on the current target: step by step in trainee mode.
  static func startRun(_ state: inout ScreenState) -> Effect {
    state.ui.stepByStep = state.ui.trainee != nil
    state.ui.selectionTouched = false
    state.ui.clockMicroseconds = nil
    return .startRun(state.ui.target, stepByStep: state.ui.stepByStep)
  }

  static func loopLabel(_ target: CheckTarget) -> String {
    switch target.target {
    case .unix(let path): return "unix " + SafeText.escape(path)
    case .inet(let internet): return "\(target.transport.rawValue) " + SafeText.escape(internet.description)
    }
  }
}

/// A target typed into the field, parsed as `check` parses its argument.
public enum TargetInput {
  public struct Problem: Error, Hashable, Sendable {
    public var message: String
  }

  public static func parse(_ text: String, transport: Evidence.Transport) -> Result<CheckTarget, Problem> {
    guard !text.isEmpty else {
      return .failure(Problem(message: "type a target: HOST:PORT, [IPv6]:PORT, HOST PORT, a URL or unix:/path"))
    }
    do {
      return .success(try CheckTarget.parse(text, transport: transport))
    } catch {
      return .failure(Problem(message: error.message))
    }
  }
}
