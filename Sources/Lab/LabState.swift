import FoundationEssentials
import NetProbe

/// What the lab has created, written to /run/nettriage-lab/state.json before each thing is made, so `lab down`
/// can remove all of it even after a crash or a killed `lab up`.
public struct LabState: Codable, Sendable, Hashable {
  /// The scenario that is (being) built.
  public var scenario: String
  /// A practice run: status and up's output do not name the scenario until `lab reveal`.
  public var hidden: Bool
  public var parameters: ScenarioParameters
  public var startedAt: Date
  /// Whether `lab up` finished; false while it runs or when it died half-way.
  public var complete: Bool
  /// Namespaces, in the order they were made.
  public var namespaces: [String]
  /// Files the lab wrote (under /etc/netns/ntlab-* and its own directory).
  public var files: [String]
  /// Directories the lab made under /etc/netns, removed on down when empty.
  public var directories: [String]
  public var processes: [LabProcess]

  public init(scenario: String, hidden: Bool, parameters: ScenarioParameters, startedAt: Date = Date()) {
    self.scenario = scenario
    self.hidden = hidden
    self.parameters = parameters
    self.startedAt = startedAt
    complete = false
    namespaces = []
    files = []
    directories = []
    processes = []
  }

  /// Reads the state file; nil when there is none or it cannot be read (down then goes by names alone).
  public static func load(from path: String = LabNames.stateFile) -> LabState? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    return try? decoder.decode(LabState.self, from: data)
  }

  /// Writes the state file atomically, readable by root only (a practice run's name is in it).
  func save(to path: String = LabNames.stateFile) throws(LabError) {
    let data: Data
    do { data = try Self.encoder.encode(self) } catch { throw LabError("cannot encode the lab state: \(error)") }
    try FileSystem.replace(path, with: data, mode: 0o600)
  }

  private static var encoder: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return encoder
  }

  private static var decoder: JSONDecoder {
    let decoder = JSONDecoder()
    decoder.dateDecodingStrategy = .iso8601
    return decoder
  }
}

/// A background program the lab started, named by pid and start time (a pid alone may be reused).
public struct LabProcess: Codable, Sendable, Hashable {
  public var role: String
  public var host: LabHost
  public var pid: Int32
  /// Clock ticks after boot when the process started (/proc/PID/stat field 22).
  public var startTime: UInt64
  public var arguments: [String]
  public var log: String

  /// Whether this very process still runs.
  public var isRunning: Bool { ProcessTable.isRunning(pid, startedAt: startTime) }
}
