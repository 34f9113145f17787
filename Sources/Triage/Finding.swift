import NetProbe

/// One conclusion the checklist drew, with the evidence behind it and what it could not tell.
public struct Finding: Codable, Sendable, Hashable {
  public enum Severity: String, Codable, Sendable, Hashable {
    /// The verdict: why the connection fails (or that it works).
    case primary
    /// Something else worth knowing (loss, latency, ICMP filtered) beside the verdict.
    case secondary
  }

  public var id: DiagnosisID
  public var severity: Severity
  /// The verdict in plain words with this run's values, e.g. "198.18.2.10 answered the SYN with RST: nothing listens on port 81".
  public var summary: String
  /// The facts behind it, a line each (errno, ICMP type/code and sender, neighbour state, timings).
  public var evidence: [String]
  /// What the tool could not tell, and why.
  public var couldNotTell: [String]
  /// Values for the knowledge base's fix commands: interface, gateway, sender, address, port, ...
  public var values: [String: String]

  private enum CodingKeys: String, CodingKey {
    case id, severity, summary, evidence, values
    case couldNotTell = "could_not_tell"
  }

  public init(id: DiagnosisID, severity: Severity = .primary, summary: String, evidence: [String] = [],
              couldNotTell: [String] = [], values: [String: String] = [:]) {
    self.id = id
    self.severity = severity
    self.summary = summary
    self.evidence = evidence
    self.couldNotTell = couldNotTell
    self.values = values
  }
}

/// The decision: one primary finding (its id is `diagnosis.id`) and any secondary ones.
public struct Diagnosis: Codable, Sendable, Hashable {
  public var primary: Finding
  public var secondary: [Finding]

  public var id: DiagnosisID { primary.id }

  public init(primary: Finding, secondary: [Finding] = []) {
    self.primary = primary
    self.secondary = secondary
  }
}
