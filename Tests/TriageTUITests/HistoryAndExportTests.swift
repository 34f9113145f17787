import Foundation
import TestSupport
import Testing
@testable import Triage
@testable import TriageTUI

/// The run history under XDG_STATE_HOME and the `e` export, on real files.
@Suite struct RunHistoryTests {
  @Test func keepsTheLatestRunsOfEachTargetInItsOwnFile() {
    let directory = TemporaryDirectory()
    let history = RunHistory(directory: directory.path + "/nettriage")
    #expect(history.lastRun(of: "198.18.2.10:8080") == nil)
    for index in 0..<(RunHistory.runsPerTarget + 5) {
      #expect(history.append(RunRecord(Fixtures.refused, finishedAt: "run \(index)")))
    }
    #expect(history.append(RunRecord(Fixtures.healthy, finishedAt: "other target")))
    let runs = history.runs(of: "198.18.2.10:8080")
    #expect(runs.count == RunHistory.runsPerTarget)
    #expect(runs.last?.finishedAt == "run \(RunHistory.runsPerTarget + 4)")
    #expect(history.lastRun(of: "198.18.2.10:8080")?.diagnosis == .portClosed)
    #expect(history.lastRun(of: "198.18.2.10:443")?.finishedAt == "other target")
    #expect(history.runFile(for: "a:1") != history.runFile(for: "a_1"))
  }

  @Test func anUnwritableDirectoryIsNeverFatal() {
    let history = RunHistory(directory: "/proc/self/nettriage-cannot-be-here")
    #expect(!history.append(RunRecord(Fixtures.healthy, finishedAt: "")))
    #expect(history.lastRun(of: "198.18.2.10:443") == nil)
    #expect(!history.recordTarget("127.0.0.1:80"))
    #expect(history.targets().isEmpty)
  }

  @Test func remembersTypedTargetsNewestLast() {
    let directory = TemporaryDirectory()
    let history = RunHistory(directory: directory.path)
    for target in ["a:1", "b:2", "a:1"] { history.recordTarget(target) }
    #expect(history.targets() == ["b:2", "a:1"])
  }

  @Test func standardPlaceFollowsXDG() {
    #expect(RunHistory.standard(environment: ["XDG_STATE_HOME": "/s", "HOME": "/h"])?.directory == "/s/nettriage")
    #expect(RunHistory.standard(environment: ["XDG_STATE_HOME": "relative", "HOME": "/h"])?.directory == "/h/.local/state/nettriage")
    #expect(RunHistory.standard(environment: [:]) == nil)
  }
}

@Suite struct ReportExportTests {
  static func report(_ snapshot: RunSnapshot, target: String) -> CheckReport {
    let diagnosis = snapshot.diagnosis!
    let knowledge = KnowledgeText.render(diagnosis, target: Fixtures.target(target))
    return CheckReport(snapshot: snapshot, target: Fixtures.target(target), version: "test", startedAt: Date(timeIntervalSince1970: 0),
                       privileges: Fixtures.privileges, title: knowledge.title, fixes: knowledge.fixes)
  }

  @Test func aDirectoryGetsBothReportsNamedAfterTheTarget() throws {
    let directory = TemporaryDirectory()
    let paths = try ReportExport.write(Self.report(Fixtures.refused, target: "198.18.2.10:8080"), to: directory.path,
                                       now: Date(timeIntervalSince1970: 0))
    #expect(paths.count == 2)
    #expect(paths[0].hasPrefix(directory.path + "/nettriage-198.18.2.10_8080-"))
    #expect(paths[0].hasSuffix(".md") && paths[1].hasSuffix(".json"))
    let markdown = try String(contentsOfFile: paths[0], encoding: .utf8)
    #expect(markdown.contains("port-closed"))
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: paths[1]))) as? [String: Any]
    #expect((json?["diagnosis"] as? [String: Any])?["id"] as? String == "port-closed")
  }

  @Test func aFileNameKeepsItsBase() throws {
    let directory = TemporaryDirectory()
    let paths = try ReportExport.write(Self.report(Fixtures.healthy, target: "198.18.2.10:443"), to: directory.path + "/ticket.md")
    #expect(paths == [directory.path + "/ticket.md", directory.path + "/ticket.json"])
    #expect(FileManager.default.fileExists(atPath: paths[1]))
  }

  @Test func aMissingDirectoryFailsWithAReason() {
    #expect(throws: (any Error).self) {
      try ReportExport.write(Self.report(Fixtures.healthy, target: "198.18.2.10:443"), to: "/nonexistent-dir/ticket")
    }
  }
}
