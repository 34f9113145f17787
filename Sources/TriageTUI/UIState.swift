import NetProbe
import Triage

/// Everything the screen shows: the engine's latest snapshot and the UI's own state. `Renderer.render` is a pure
/// function of this and a size; `Reducer` changes it.
public struct ScreenState: Hashable, Sendable {
  /// The run on screen, nil before the first one starts.
  public var snapshot: RunSnapshot?
  /// A snapshot that arrived while updates were paused; shown on resume.
  public var heldSnapshot: RunSnapshot?
  public var ui: UIState
  public var glyphs: Glyphs

  public init(snapshot: RunSnapshot? = nil, ui: UIState = UIState(), glyphs: Glyphs = .unicode) {
    self.snapshot = snapshot
    self.ui = ui
    self.glyphs = glyphs
  }

  /// Something of the run on screen is still going on: the whole checklist, or (step by step) one step.
  public var isRunning: Bool {
    guard let snapshot, !snapshot.isFinished else { return false }
    return !ui.stepByStep || snapshot.steps.contains { $0.status == .running }
  }
}

/// The UI's own state: the view stack, the selection, fields, the loop and trainee walkthrough, messages.
public struct UIState: Hashable, Sendable {
  /// Views, the checklist at the bottom; the last one takes the keys.
  public var stack: [Mode] = [.checklist]
  public var mode: Mode { stack.last ?? .checklist }
  /// The selected step in the checklist.
  public var selected: StepID = .destination
  /// The user moved the selection during this run; until then a finished run selects the step that failed.
  public var selectionTouched = false
  /// Scroll offsets (in lines) of the scrollable views.
  public var scroll: [Mode: Int] = [:]
  /// The screen's size, for scroll limits and layout.
  public var size = ScreenSize.minimum

  /// The target of the run on screen (nil: the local checks only).
  public var target: CheckTarget?
  /// The run on screen goes step by step (trainee mode): nothing runs until a step is asked for.
  public var stepByStep = false
  /// The transport a typed target is tested with (from `--udp`).
  public var defaultTransport: Evidence.Transport = .tcp
  public var targetField = LineEditor()
  public var targetHistory = InputHistory()
  /// Why the typed target was not taken, shown under the field until the next edit.
  public var fieldError: String?

  public var lookupField = LineEditor()
  public var lookupHistory = InputHistory()
  public var lookupResult: LookupResult?

  public var exportField = LineEditor()

  /// A one-line note on the message row ("wrote report.md", "no target yet").
  public var message: StatusMessage?
  /// Updates on screen are held while paused (the engine goes on).
  public var isPaused = false
  public var spinnerFrame = 0
  /// Microseconds since the run on screen started, while it runs (the header's clock).
  public var clockMicroseconds: Int64?
  /// Who runs the tool and with which capabilities (the header).
  public var privileges: Privileges?

  public var loop: LoopState?
  public var trainee: TraineeState?
  /// A practice round on the fault lab: the verdict stays hidden until the trainee picks one.
  public var practice: PracticeState?

  /// The previous run's results, to mark what changed; from this session or the run history on disk.
  public var baseline: RunRecord?
  /// Steps whose result changed since the baseline, after the latest run ended.
  public var changes: [StepID: StepChange] = [:]
  /// The final verdict's time of the last run recorded, so a run is recorded once.
  public var recordedFinish: Int64?

  public init() {}
}

/// A note on the message row.
public struct StatusMessage: Hashable, Sendable {
  public var text: String
  public var isError: Bool

  public init(_ text: String, isError: Bool = false) {
    self.text = text
    self.isError = isError
  }
}

/// The guided walkthrough: which step, and where in it the trainee is.
public struct TraineeState: Hashable, Sendable {
  public enum Phase: Hashable, Sendable {
    /// Why the step is done and what goes on the wire; Enter runs it.
    case before
    /// The step runs.
    case running
    /// How to read the outcome and what it rules in or out; Enter goes on.
    case after
    /// All steps done: the verdict and the reasoning chain.
    case verdict
  }

  public var stepIndex: Int
  public var phase: Phase

  public init(stepIndex: Int = 0, phase: Phase = .before) {
    self.stepIndex = stepIndex
    self.phase = phase
  }

  public var step: StepID { StepID.allCases[min(stepIndex, StepID.allCases.count - 1)] }
}

/// One step's result, as the run history keeps it.
public struct StepRecord: Codable, Hashable, Sendable {
  public var id: StepID
  public var status: StepStatus
  public var summary: String

  public init(id: StepID, status: StepStatus, summary: String) {
    self.id = id
    self.status = status
    self.summary = summary
  }

  /// Whether another result differs in what matters: the status, or the summary's words (timings aside).
  public func differs(from other: StepRecord) -> Bool {
    status != other.status || Self.withoutNumbers(summary) != Self.withoutNumbers(other.summary)
  }

  static func withoutNumbers(_ text: String) -> String {
    String(text.filter { !$0.isNumber && $0 != "." })
  }
}

/// A finished run as the history keeps it: per target, newest last.
public struct RunRecord: Codable, Hashable, Sendable {
  public var target: String?
  /// ISO 8601, when the run ended.
  public var finishedAt: String
  public var diagnosis: DiagnosisID?
  public var steps: [StepRecord]

  public init(target: String?, finishedAt: String, diagnosis: DiagnosisID?, steps: [StepRecord]) {
    self.target = target
    self.finishedAt = finishedAt
    self.diagnosis = diagnosis
    self.steps = steps
  }

  public init(_ snapshot: RunSnapshot, finishedAt: String) {
    self.init(target: snapshot.target, finishedAt: finishedAt, diagnosis: snapshot.diagnosis?.id,
              steps: snapshot.steps.map { StepRecord(id: $0.id, status: $0.status, summary: $0.summary) })
  }

  public func step(_ id: StepID) -> StepRecord? { steps.first { $0.id == id } }
}

/// A step whose result changed since the previous run.
public struct StepChange: Hashable, Sendable {
  public var old: StepRecord
  public var new: StepRecord
}

/// An answer of the error catalogue, ready to show: one block per meaning, best first.
public struct LookupResult: Hashable, Sendable {
  public var query: String
  public var matchCount: Int
  public var meanings: [LookupMeaning]
  /// When nothing matched: the nearest names.
  public var nearest: [String]

  public init(query: String, matchCount: Int, meanings: [LookupMeaning], nearest: [String]) {
    self.query = query
    self.matchCount = matchCount
    self.meanings = meanings
    self.nearest = nearest
  }
}

/// One meaning of a looked-up error.
public struct LookupMeaning: Hashable, Sendable {
  public var label: String
  public var message: String
  public var onTheWire: String
  public var causes: [String]
  public var steps: [String]
  public var fixes: [String]
  public var diagnosis: String?
  public var note: String?
  /// Other entries that matched with the same meaning, and the same error in other systems.
  public var alsoMatches: [String]
  public var sameMeaning: [String]

  public init(label: String, message: String, onTheWire: String, causes: [String], steps: [String], fixes: [String],
              diagnosis: String?, note: String?, alsoMatches: [String], sameMeaning: [String]) {
    self.label = label
    self.message = message
    self.onTheWire = onTheWire
    self.causes = causes
    self.steps = steps
    self.fixes = fixes
    self.diagnosis = diagnosis
    self.note = note
    self.alsoMatches = alsoMatches
    self.sameMeaning = sameMeaning
  }
}

/// A fault the lab built and hid, for a practice round: what the user complains of, and the right answer.
public struct PracticeRound: Hashable, Sendable {
  /// What the user at the lab client reports.
  public var complaint: String
  /// The diagnosis the scenario is built to produce.
  public var expected: DiagnosisID
  /// Why: how the fault was made and what gives it away.
  public var explanation: String
  /// The scenario's name, shown once the trainee has answered.
  public var scenario: String

  public init(complaint: String, expected: DiagnosisID, explanation: String, scenario: String) {
    self.complaint = complaint
    self.expected = expected
    self.explanation = explanation
    self.scenario = scenario
  }
}

/// Where the trainee is in a practice round: choosing, or answered.
public struct PracticeState: Hashable, Sendable {
  public var round: PracticeRound
  /// The highlighted entry of the diagnosis list (an index into `DiagnosisID.allCases`).
  public var cursor = 0
  public var pick: DiagnosisID?

  public init(round: PracticeRound) { self.round = round }

  /// Until the trainee answers, the tool's verdict is not shown anywhere.
  public var hidesVerdict: Bool { pick == nil }
}

extension UIState {
  /// The verdict is hidden (a practice round before the answer).
  var hidesVerdict: Bool { practice?.hidesVerdict ?? false }

  /// The trainee is at the end of the walk and has to pick a diagnosis.
  var isPicking: Bool { trainee?.phase == .verdict && hidesVerdict }
}
