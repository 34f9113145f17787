import Foundation
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `nettriage` binary (beside the test bundle, as CommandLineTests finds it) and parses its output.
enum LabRunner {
  struct Run {
    var status: Int32
    var stdout: String
    var stderr: String
    var lines: [String] { stdout.split(separator: "\n").map(String.init) }

    /// Every line of stdout that is a JSON object.
    var objects: [[String: Any]] {
      lines.compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// The first object of a given `type`.
    func object(_ type: String) -> [String: Any]? { objects.first { $0["type"] as? String == type } }

    var description: String { "exit \(status)\nstdout: \(stdout)\nstderr: \(stderr)" }
  }

  static var binary: String {
    let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return URL(fileURLWithPath: executable).deletingLastPathComponent().appendingPathComponent("nettriage").path
  }

  /// `nettriage ARGUMENTS...`
  static func run(_ arguments: [String]) throws -> Run {
    let result = try runCommand(binary, arguments, check: false)
    return Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
  }

  /// `nettriage lab exec [--host HOST] -- nettriage ARGUMENTS...`: a probe run inside a lab namespace.
  static func inLab(_ arguments: [String], host: String = "client") throws -> Run {
    try run(["lab", "exec", "--host", host, "--", "nettriage"] + arguments)
  }

  /// `nettriage lab exec [--host HOST] -- PROGRAM ARGUMENTS...`
  static func program(_ path: String, _ arguments: [String], host: String = "client") throws -> Run {
    try run(["lab", "exec", "--host", host, "--", path] + arguments)
  }

  /// The lab namespaces that exist.
  static func labNamespaces() -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: "/run/netns")) ?? []).filter { $0.hasPrefix("ntlab-") }
  }

  /// Whether a process runs (exists and is not a zombie).
  static func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
  }
}
