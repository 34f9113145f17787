import NetProbe

/// One step's state at a moment of the run.
public struct StepState: Codable, Sendable, Hashable {
  public var id: StepID
  public var title: String
  public var status: StepStatus
  /// One line: what the step found ("eth0 up, 198.18.1.10/24", "skipped: target is not on-link").
  public var summary: String
  /// Why the step was skipped, when it was.
  public var skipReason: String?
  /// What each probe of the step reported, a line each, as they complete.
  public var details: [String]
  /// Findings of this step (ids from the diagnosis vocabulary).
  public var findings: [Finding]
  /// Microseconds from the start of the run.
  public var startedMicroseconds: Int64?
  public var finishedMicroseconds: Int64?

  public init(id: StepID) {
    self.id = id
    self.title = id.title
    self.status = .pending
    self.summary = ""
    self.details = []
    self.findings = []
  }

  public var durationMicroseconds: Int64? {
    guard let start = startedMicroseconds, let end = finishedMicroseconds else { return nil }
    return end - start
  }
}

/// A verdict and when it was reached.
public struct TimedDiagnosis: Codable, Sendable, Hashable {
  public var diagnosis: Diagnosis
  /// Microseconds from the start of the run.
  public var atMicroseconds: Int64
}

/// An immutable picture of a run: what the TUI, the text printer and the JSON writer all render.
public struct RunSnapshot: Codable, Sendable, Hashable {
  public var target: String?
  public var steps: [StepState]
  /// The early verdict published before the deadline, when the evidence already pointed one way.
  public var provisional: TimedDiagnosis?
  /// The verdict at the end of the run.
  public var final: TimedDiagnosis?
  public var elapsedMicroseconds: Int64
  public var isFinished: Bool
  /// The evidence gathered so far (the decision logic's input).
  public var evidence: Evidence
  /// The destination probes' packets, once the networking-trace step has them.
  public var trace: NetworkingTrace?
  /// The traceroute run while the destination's connect went unanswered (the screen's hop table).
  public var pathTrace: TraceResult?

  /// The best verdict so far: final, else provisional.
  public var diagnosis: Diagnosis? { final?.diagnosis ?? provisional?.diagnosis }

  public func step(_ id: StepID) -> StepState { steps.first { $0.id == id } ?? StepState(id: id) }
}
