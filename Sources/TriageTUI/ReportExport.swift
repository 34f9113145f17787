import FoundationEssentials
import Triage
import NetProbe

/// The `e` export: the run on screen as the Markdown report and the JSON document `check` writes.
public enum ReportExport {
  /// Writes `<base>.md` and `<base>.json`. A directory (or a path ending in `/`) gets
  /// `nettriage-<target>-<yyyymmdd-hhmmss>`; a file name keeps its own base, with `.md` or `.json` dropped.
  /// Returns the paths written.
  public static func write(_ report: CheckReport, trace: NetworkingTrace? = nil, pathTrace: TraceResult? = nil, to path: String,
                           now: Date = Date()) throws -> [String] {
    let base = basePath(path, target: report.target?.given, now: now)
    let markdown = CheckText.markdown(report, trace: trace, pathTrace: pathTrace)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let json = try encoder.encode(report) + Data("\n".utf8)
    let markdownPath = base + ".md", jsonPath = base + ".json"
    try FileAccess.writeAtomically(Array(markdown.utf8), to: markdownPath)
    try FileAccess.writeAtomically(Array(json), to: jsonPath)
    return [markdownPath, jsonPath]
  }

  static func basePath(_ typed: String, target: String?, now: Date) -> String {
    var path = typed.trimmingWhitespace
    if path.isEmpty { path = "./" }
    if path == "~" || path.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] {
      path = home + path.dropFirst()
    }
    if path.hasSuffix("/") || FileAccess.isDirectory(path) {
      return (path.hasSuffix("/") ? path : path + "/") + defaultName(target: target, now: now)
    }
    for suffix in [".md", ".json"] where path.hasSuffix(suffix) { return String(path.dropLast(suffix.count)) }
    return path
  }

  /// `nettriage-127.0.0.1_8080-20250101-120000`
  static func defaultName(target: String?, now: Date) -> String {
    let slug = String((target ?? "local").unicodeScalars.prefix(40).map { scalar -> Character in
      let value = scalar.value
      let plain = (0x30...0x39).contains(value) || (0x41...0x5A).contains(value) || (0x61...0x7A).contains(value) || scalar == "." || scalar == "-"
      return plain ? Character(scalar) : "_"
    })
    return "nettriage-\(slug)-\(CompactTimestamp.string(secondsSinceEpoch: Int64(now.timeIntervalSince1970.rounded(.down)), utc: false))"
  }
}
