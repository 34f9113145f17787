import Foundation
import NetProbe
import Testing
@testable import Triage
@testable import TriageTUI

/// The screen for recorded run states, compared as text with the reviewed expectations in Expected/Screens.swift.
///
/// After a deliberate change to the screen, record again and review the difference before committing:
/// `NETTRIAGE_RECORD_SCREENS=1 swift test --filter RenderTests` rewrites Expected/Screens.swift.
@Suite struct RenderTests {
  static let small = ScreenSize(columns: 80, rows: 24)
  static let large = ScreenSize(columns: 132, rows: 43)

  /// Every screen under test: a name (the expectation's key) and the state at its size.
  static var screens: [(name: String, size: ScreenSize, state: ScreenState)] {
    var screens: [(String, ScreenSize, ScreenState)] = []
    for size in [small, large] {
      let suffix = "-\(size)"
      screens.append(("healthy" + suffix, size, Fixtures.state(Fixtures.healthy, target: "198.18.2.10:443", size: size)))
      screens.append(("refused" + suffix, size, Fixtures.state(Fixtures.refused, target: "198.18.2.10:8080", size: size)))
      screens.append(("filtered-trace" + suffix, size,
                      Fixtures.state(Fixtures.filtered, target: "198.18.2.10:8443", selected: .networkingTrace, size: size)))
      screens.append(("dns-failure" + suffix, size, Fixtures.state(Fixtures.dnsFailure, target: "intranet.example:443", size: size)))
      screens.append(("loop" + suffix, size, Fixtures.loopState(size: size)))
      screens.append(("trainee" + suffix, size, Fixtures.traineeState(size: size)))
      screens.append(("help" + suffix, size, Fixtures.helpState(size: size)))
    }
    var running = Fixtures.state(Fixtures.running, target: "198.18.2.10:443", size: small)
    running.ui.spinnerFrame = 2
    running.ui.clockMicroseconds = 1_250_000
    screens.append(("running-80x24", small, running))

    var start = Fixtures.state(nil, target: nil, size: small)
    start.ui.stack = [.checklist, .targetEntry]
    start.ui.targetField = LineEditor("localhost")
    start.ui.fieldError = "missing port in \"localhost\": add one, e.g. localhost:443 or localhost 443"
    screens.append(("target-field-error-80x24", small, start))

    var detail = Fixtures.state(Fixtures.filtered, target: "198.18.2.10:8443", selected: .pathPicture, size: small)
    detail.ui.stack = [.checklist, .stepDetail]
    screens.append(("step-detail-80x24", small, detail))

    var verdict = Fixtures.state(Fixtures.refused, target: "198.18.2.10:8080", size: large)
    verdict.ui.stack = [.checklist, .diagnosis]
    screens.append(("diagnosis-full-132x43", large, verdict))

    var changed = Fixtures.state(Fixtures.healthy, target: "198.18.2.10:443", size: small)
    let previous = RunRecord(Fixtures.refused, finishedAt: "")
    changed.ui.changes[.destination] = StepChange(old: previous.step(.destination)!, new: RunRecord(Fixtures.healthy, finishedAt: "").step(.destination)!)
    screens.append(("changed-since-last-run-80x24", small, changed))

    screens.append(("practice-pick-80x24", small, Fixtures.practiceState(size: small)))
    var answered = Fixtures.practiceState(size: large)
    answered.ui.practice?.pick = .portFiltered
    screens.append(("practice-answered-132x43", large, answered))

    screens.append(("ascii-healthy-80x24", small, Fixtures.state(Fixtures.healthy, target: "198.18.2.10:443", glyphs: .ascii, size: small)))
    screens.append(("enlarge-60x20", ScreenSize(columns: 60, rows: 20), Fixtures.state(Fixtures.healthy, target: "198.18.2.10:443")))
    return screens
  }

  @Test func screensMatchTheReviewedExpectations() throws {
    var recorded: [(String, String)] = []
    for screen in Self.screens {
      let text = Renderer.render(screen.state, size: screen.size).text
      recorded.append((screen.name, text))
      if ProcessInfo.processInfo.environment["NETTRIAGE_RECORD_SCREENS"] != nil { continue }
      let expected = try #require(ExpectedScreens.all[screen.name], "no expectation for \(screen.name): record them")
      #expect(text == expected, "\(screen.name) differs from the expectation:\n\(text)")
    }
    if ProcessInfo.processInfo.environment["NETTRIAGE_RECORD_SCREENS"] != nil {
      try Self.write(recorded)
    }
  }

  @Test func everyScreenFillsItsSizeExactly() {
    for screen in Self.screens {
      let grid = Renderer.render(screen.state, size: screen.size)
      #expect(grid.lines.count == screen.size.rows, "\(screen.name)")
      for (row, line) in grid.lines.enumerated() {
        #expect(DisplayWidth.of(line) <= screen.size.columns, "\(screen.name) row \(row) is too wide: \(line)")
      }
    }
  }

  @Test func asciiFallbackDrawsOnlyASCII() {
    for screen in Self.screens where screen.state.glyphs.asciiOnly {
      let text = Renderer.render(screen.state, size: screen.size).text
      #expect(text.unicodeScalars.allSatisfy { $0.isASCII }, "\(screen.name)")
    }
    var state = Fixtures.state(Fixtures.healthy, target: "198.18.2.10:443", glyphs: .ascii)
    state.ui.loop = Fixtures.loopState(size: RenderTests.small).ui.loop
    state.ui.stack = [.checklist, .loop]
    #expect(Renderer.render(state, size: RenderTests.small).text.unicodeScalars.allSatisfy { $0.isASCII })
  }

  @Test func textFromOutsideIsEscaped() {
    var snapshot = Fixtures.healthy
    snapshot.steps[5].summary = "banner \u{1B}[31mred\u{1B}[0m \u{202E}txt"
    snapshot.steps[5].details = ["evil \u{07}\u{1B}]0;title\u{07}"]
    let text = Renderer.render(Fixtures.state(snapshot, target: "198.18.2.10:443", size: RenderTests.large), size: RenderTests.large).text
    #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 || $0.value == 0x202E })
    #expect(text.contains("banner \\u{1b}[31mred"))
  }

  @Test func fullFrameRenderIsQuickAt200x60() {
    let state = Fixtures.state(Fixtures.filtered, target: "198.18.2.10:8443", size: ScreenSize(columns: 200, rows: 60))
    let clock = ContinuousClock()
    let elapsed = clock.measure {
      for _ in 0..<20 { _ = Renderer.render(state, size: ScreenSize(columns: 200, rows: 60)) }
    }
    // Generous: a debug build on a shared machine; the benchmark measures the release figure.
    #expect(elapsed < .seconds(10))
  }

  /// Writes Expected/Screens.swift from the screens rendered now.
  static func write(_ screens: [(String, String)]) throws {
    var source = """
      // The screens RenderTests expects, one per run state and size. Generated with
      // `NETTRIAGE_RECORD_SCREENS=1 swift test --filter RenderTests`, then reviewed by a person: the diff of this
      // file is the review of a screen change.

      enum ExpectedScreens {
        static let all: [String: String] = [

      """
    for (name, text) in screens {
      source += "    \"\(name)\": ##\"\"\"\n"
      for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
        source += line.isEmpty ? "\n" : "    " + line + "\n"
      }
      source += "    \"\"\"##,\n"
    }
    source += "  ]\n}\n"
    let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Expected/Screens.swift")
    try Data(source.utf8).write(to: path, options: .atomic)
  }
}
