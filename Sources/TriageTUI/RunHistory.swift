import FoundationEssentials
import Triage

/// Earlier runs per target and the targets typed, under `$XDG_STATE_HOME/nettriage` (default
/// `~/.local/state/nettriage`). Bounded: the last `runsPerTarget` runs of each target, the last `targetCapacity`
/// targets. Never fatal: a directory that cannot be read or written means no history, nothing more.
public struct RunHistory: Sendable {
  public let directory: String
  public static let runsPerTarget = 50
  public static let targetCapacity = InputHistory.capacity

  public init(directory: String) {
    self.directory = directory
  }

  /// The history of this user: `$XDG_STATE_HOME/nettriage`, or `$HOME/.local/state/nettriage`; nil without either.
  public static func standard(environment: [String: String] = ProcessInfo.processInfo.environment) -> RunHistory? {
    if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
      return RunHistory(directory: state + "/nettriage")
    }
    guard let home = environment["HOME"], home.hasPrefix("/") else { return nil }
    return RunHistory(directory: home + "/.local/state/nettriage")
  }

  /// The latest run of a target, if any was kept.
  public func lastRun(of target: String?) -> RunRecord? {
    runs(of: target).last
  }

  /// The kept runs of a target, oldest first; lines that do not decode are skipped.
  public func runs(of target: String?) -> [RunRecord] {
    guard let text = try? String(contentsOfFile: runFile(for: target), encoding: .utf8) else { return [] }
    let decoder = JSONDecoder()
    return text.split(separator: "\n").compactMap { try? decoder.decode(RunRecord.self, from: Data($0.utf8)) }
  }

  /// Appends a run, keeping the newest `runsPerTarget`; returns false when it could not be written.
  @discardableResult
  public func append(_ record: RunRecord) -> Bool {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let kept = (runs(of: record.target) + [record]).suffix(Self.runsPerTarget)
    let lines = kept.compactMap { try? encoder.encode($0) }.map { String(decoding: $0, as: UTF8.self) }
    return write(lines.joined(separator: "\n") + "\n", to: runFile(for: record.target))
  }

  /// Targets typed into the field, oldest first.
  public func targets() -> [String] {
    guard let text = try? String(contentsOfFile: directory + "/targets", encoding: .utf8) else { return [] }
    return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty }
  }

  /// Remembers a typed target (a repeat moves to the end).
  @discardableResult
  public func recordTarget(_ target: String) -> Bool {
    var history = InputHistory(targets())
    history.record(target)
    return write(history.entries.joined(separator: "\n") + "\n", to: directory + "/targets")
  }

  /// `runs/127.0.0.1_8080-5f3a9c21.jsonl`: readable, and distinct for targets that differ only in punctuation.
  func runFile(for target: String?) -> String {
    let text = target ?? "(local checks)"
    let readable = String(text.unicodeScalars.prefix(40).map { scalar -> Character in
      let value = scalar.value
      let plain = (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) || scalar == "." || scalar == "-"
      return plain ? Character(scalar) : "_"
    })
    var hash: UInt32 = 0x811C_9DC5  // FNV-1a
    for byte in text.utf8 {
      hash ^= UInt32(byte)
      hash = hash &* 0x0100_0193
    }
    let hex = String(hash, radix: 16)
    return directory + "/runs/" + readable + "-" + String(repeating: "0", count: 8 - hex.count) + hex + ".jsonl"
  }

  private func write(_ text: String, to path: String) -> Bool {
    let url = URL(fileURLWithPath: path)
    do {
      try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true,
                                              attributes: [.posixPermissions: 0o700])
      try Data(text.utf8).write(to: url, options: .atomic)
      return true
    } catch {
      return false
    }
  }
}
