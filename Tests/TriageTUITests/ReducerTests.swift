import Foundation
import NetProbe
import Testing
@testable import Triage
@testable import TriageTUI

/// The UI's logic without a terminal: fields, runs, pause, what changed, trainee mode, the loop.
@Suite struct ReducerTests {
  static func typing(_ text: String, into state: inout ScreenState) {
    for character in text { _ = Reducer.reduce(&state, .edit(.insert(character))) }
  }

  @Test func typedTargetStartsARunAndIsRemembered() {
    var state = Fixtures.state(nil, target: nil)
    _ = Reducer.reduce(&state, .newTarget)
    #expect(state.ui.mode == .targetEntry)
    Self.typing("127.0.0.1:8080", into: &state)
    let effects = Reducer.reduce(&state, .submit)
    #expect(state.ui.mode == .checklist)
    #expect(state.ui.target?.text == "127.0.0.1:8080")
    #expect(state.ui.target?.transport == .tcp)
    #expect(effects == [.startRun(state.ui.target, stepByStep: false), .recordTarget("127.0.0.1:8080")])
    #expect(state.ui.targetHistory.entries == ["127.0.0.1:8080"])
  }

  @Test(arguments: [
    ("localhost", "missing port"),
    ("", "type a target"),
    ("127.0.0.1:99999", "port"),
    ("a b c", "words"),
  ])
  func badTargetGivesAnInlineMessageAndKeepsTheFieldUsable(input: String, words: String) {
    var state = Fixtures.state(Fixtures.healthy, target: "198.18.2.10:443")
    _ = Reducer.reduce(&state, .newTarget)
    Self.typing(input, into: &state)
    let effects = Reducer.reduce(&state, .submit)
    #expect(effects.isEmpty)
    #expect(state.ui.mode == .targetEntry)
    #expect(state.ui.fieldError?.lowercased().contains(words) == true, "\(state.ui.fieldError ?? "no message")")
    #expect(state.ui.target?.text == "198.18.2.10:443", "the run on screen stays")
    let screen = Renderer.render(state, size: RenderTests.small).text
    #expect(screen.contains(SafeText.escape(state.ui.fieldError ?? "?").prefix(40)))
    // Editing clears the message; Esc goes back to the checklist, which still works.
    _ = Reducer.reduce(&state, .edit(.deleteToStart))
    #expect(state.ui.fieldError == nil)
    _ = Reducer.reduce(&state, .back)
    #expect(state.ui.mode == .checklist)
    #expect(Reducer.reduce(&state, .moveUp).isEmpty)
  }

  @Test func udpDefaultAppliesToTypedTargets() {
    var state = Fixtures.state(nil, target: nil)
    state.ui.defaultTransport = .udp
    _ = Reducer.reduce(&state, .newTarget)
    Self.typing("127.0.0.1:53", into: &state)
    _ = Reducer.reduce(&state, .submit)
    #expect(state.ui.target?.transport == .udp)
  }

  @Test func targetHistoryWalksBackAndForthToTheDraft() {
    var state = Fixtures.state(nil, target: nil)
    state.ui.targetHistory = InputHistory(["a:1", "b:2"])
    _ = Reducer.reduce(&state, .newTarget)
    Self.typing("draft", into: &state)
    _ = Reducer.reduce(&state, .historyPrevious)
    #expect(state.ui.targetField.text == "b:2")
    _ = Reducer.reduce(&state, .historyPrevious)
    #expect(state.ui.targetField.text == "a:1")
    _ = Reducer.reduce(&state, .historyPrevious)
    #expect(state.ui.targetField.text == "a:1")
    _ = Reducer.reduce(&state, .historyNext)
    _ = Reducer.reduce(&state, .historyNext)
    #expect(state.ui.targetField.text == "draft")
  }

  @Test func pauseHoldsSnapshotsAndResumeShowsTheLatest() {
    var state = Fixtures.state(Fixtures.running, target: "198.18.2.10:443")
    _ = Reducer.reduce(&state, .togglePause)
    _ = Reducer.apply(&state, .snapshot(Fixtures.healthy))
    #expect(state.snapshot == Fixtures.running)
    #expect(Renderer.render(state, size: RenderTests.small).text.contains("paused (Space resumes)"))
    let effects = Reducer.reduce(&state, .togglePause)
    #expect(state.snapshot == Fixtures.healthy)
    #expect(effects.count == 1, "the finished run is recorded once")
  }

  @Test func aRerunMarksWhatChangedAndRecordsTheRunOnce() {
    var state = Fixtures.state(Fixtures.refused, target: "198.18.2.10:8080")
    #expect(Reducer.reduce(&state, .rerunStep) == [.runStep(.destination)])
    #expect(state.ui.baseline?.step(.destination)?.status == .fail)
    var healthy = Fixtures.healthy
    healthy.final?.atMicroseconds += 1
    let effects = Reducer.apply(&state, .snapshot(healthy))
    guard case .recordRun(let record)? = effects.first else {
      Issue.record("the finished run is not recorded: \(effects)")
      return
    }
    #expect(record.diagnosis == .reachable)
    let change = state.ui.changes[.destination]
    #expect(change?.old.status == .fail)
    #expect(change?.new.status == .pass)
    #expect(state.ui.changes.count == 1, "steps that only differ in timings are not marked")
    #expect(Reducer.apply(&state, .snapshot(healthy)).isEmpty, "the same finished run again is not recorded twice")
    let screen = Renderer.render(state, size: RenderTests.small).text
    #expect(screen.contains("1 step changed since the last run"))
  }

  @Test func timingsAloneDoNotCountAsAChange() {
    let old = StepRecord(id: .destination, status: .pass, summary: "tcp port 443 answered in 0.412 ms")
    let new = StepRecord(id: .destination, status: .pass, summary: "tcp port 443 answered in 12.9 ms")
    #expect(!old.differs(from: new))
    #expect(old.differs(from: StepRecord(id: .destination, status: .pass, summary: "tcp port 443 answered in 0.4 ms (1 of 3 lost)")))
  }

  @Test func aFinishedRunSelectsTheStepThatFailedUnlessTheUserMoved() {
    var state = Fixtures.state(Fixtures.running, target: "198.18.2.10:8443", selected: .pathPicture)
    _ = Reducer.apply(&state, .snapshot(Fixtures.filtered))
    #expect(state.ui.selected == .destination, "the failed step, not the one with a warning")
    var moved = Fixtures.state(Fixtures.running, target: "198.18.2.10:8443", selected: .pathPicture)
    _ = Reducer.reduce(&moved, .moveDown)
    _ = Reducer.apply(&moved, .snapshot(Fixtures.refused))
    #expect(moved.ui.selected == .networkingTrace, "the user's choice stays")
  }

  @Test func aStepIsNotRerunWhileTheChecklistRuns() {
    var state = Fixtures.state(Fixtures.running, target: "198.18.2.10:443")
    #expect(Reducer.reduce(&state, .rerunStep).isEmpty)
    #expect(state.ui.message?.isError == true)
    #expect(Reducer.reduce(&state, .rerunAll) == [.startRun(state.ui.target, stepByStep: false)])
  }

  @Test func traineeWalksStepByStepToTheVerdict() throws {
    var state = Fixtures.state(nil, target: "198.18.2.10:443")
    let effects = Reducer.reduce(&state, .toggleTrainee)
    #expect(effects == [.startRun(state.ui.target, stepByStep: true)])
    #expect(state.ui.mode == .trainee)
    // The fresh run: every step pending, nothing running.
    let fresh = RunSnapshot(target: "198.18.2.10:443", steps: StepID.allCases.map(StepState.init), elapsedMicroseconds: 0,
                            isFinished: false, evidence: Evidence(transport: .tcp))
    _ = Reducer.apply(&state, .snapshot(fresh))
    #expect(!state.isRunning)
    let screen = Renderer.render(state, size: RenderTests.small).text
    #expect(screen.contains("Why"))
    #expect(screen.contains("Press Enter to run this step."))

    var snapshot = Fixtures.healthy
    for (index, step) in StepID.allCases.enumerated() {
      #expect(state.ui.trainee == TraineeState(stepIndex: index, phase: .before))
      #expect(Reducer.reduce(&state, .advance) == [.runStep(step)])
      #expect(state.ui.trainee?.phase == .running)
      // The step's result arrives (others still pending), then Enter goes on.
      var partial = Fixtures.healthy
      for later in StepID.allCases.dropFirst(index + 1) {
        let position = partial.steps.firstIndex { $0.id == later }!
        partial.steps[position] = StepState(id: later)
      }
      partial.final?.atMicroseconds = Int64(index)
      snapshot = partial
      let recorded = Reducer.apply(&state, .snapshot(partial))
      #expect(state.ui.trainee?.phase == .after)
      #expect(recorded.isEmpty == (index < StepID.allCases.count - 1), "the walk is recorded once every step ran")
      #expect(Renderer.render(state, size: RenderTests.large).text.contains("How to read it"))
      _ = Reducer.reduce(&state, .advance)
    }
    #expect(state.ui.trainee?.phase == .verdict)
    let verdict = Renderer.render(state, size: RenderTests.large).text
    #expect(verdict.contains("How the evidence led there"))
    #expect(verdict.contains("reachable"))
    #expect(snapshot.isFinished)
  }

  @Test func practiceHidesTheVerdictUntilTheTraineeAnswers() throws {
    var state = Fixtures.practiceState(size: RenderTests.small)
    let hidden = Renderer.render(state, size: RenderTests.small).text
    #expect(hidden.contains("Your diagnosis?"))
    #expect(!hidden.contains("\u{2716} port-closed"), "the list shows every id; nothing marks the answer")
    // The main view hides it too.
    var main = state
    main.ui.stack = [.checklist]
    let mainScreen = Renderer.render(main, size: RenderTests.large).text
    #expect(mainScreen.contains("the verdict stays hidden"))
    #expect(!mainScreen.contains("verdict port-closed"))

    let target = try #require(DiagnosisID.allCases.firstIndex(of: .portClosed))
    for _ in 0..<target { _ = Reducer.reduce(&state, .moveDown) }
    #expect(state.ui.practice?.cursor == target)
    #expect(Renderer.render(state, size: RenderTests.small).text.contains("\u{25B8} port-closed"), "the highlight stays in view")
    _ = Reducer.reduce(&state, .advance)
    #expect(state.ui.practice?.pick == .portClosed)
    let answered = Renderer.render(state, size: RenderTests.large).text
    #expect(answered.contains("Right: port-closed."))
    #expect(answered.contains("How the evidence led there"))

    var wrong = Fixtures.practiceState(size: RenderTests.small)
    _ = Reducer.reduce(&wrong, .advance)
    #expect(wrong.ui.practice?.pick == DiagnosisID.allCases[0])
    #expect(Renderer.render(wrong, size: RenderTests.large).text.contains("Not quite: you said reachable; the fault was port-closed"))
  }

  @Test func loopKeepsAWindowAndTotals() {
    var loop = LoopState(label: "tcp 127.0.0.1:80", intervalMicroseconds: 1_000_000)
    for index in 0..<(LoopState.windowCapacity + 10) {
      let outcome: ProbeOutcome = index % 10 == 0 ? .timedOut : .connected
      loop.append(ProbeResult(kind: .tcp, target: "127.0.0.1:80", attempts: [
        ProbeAttempt(address: nil, outcome: outcome, elapsedMicroseconds: Int64(100 + index)),
      ]))
    }
    #expect(loop.window.count == LoopState.windowCapacity)
    #expect(loop.window.first?.sequence == 11)
    #expect(loop.totals.sent == LoopState.windowCapacity + 10)
    #expect(loop.totals.answered == loop.totals.sent - 21)
    #expect(loop.totals.minimumMicroseconds == 101)
    #expect(loop.totals.maximumMicroseconds == 309)
    #expect(loop.totals.jitterMicroseconds != nil)
    loop.clear()
    #expect(loop.totals.sent == 0 && loop.window.isEmpty)
  }

  @Test func loopNeedsATarget() {
    var state = Fixtures.state(nil, target: nil)
    #expect(Reducer.reduce(&state, .toggleLoop).isEmpty)
    #expect(state.ui.mode == .checklist)
    #expect(state.ui.message?.isError == true)
  }

  @Test func lookupAsksAsYouType() {
    var state = Fixtures.state(Fixtures.healthy, target: "198.18.2.10:443")
    #expect(Reducer.reduce(&state, .lookup) == [.lookup("")])
    #expect(Reducer.reduce(&state, .edit(.insert("1"))) == [.lookup("1")])
    #expect(Reducer.reduce(&state, .edit(.moveLeft)).isEmpty, "moving the caret asks nothing")
  }

  @Test func lookupShowsTheCataloguesAnswer() throws {
    let catalogue = try ErrorCatalogue.embedded()
    let result = LookupResult(catalogue.explain("ECONNREFUSED"), catalogue: catalogue)
    #expect(!result.meanings.isEmpty)
    var state = Fixtures.state(Fixtures.healthy, target: "198.18.2.10:443")
    _ = Reducer.reduce(&state, .lookup)
    Self.typing("ECONNREFUSED", into: &state)
    _ = Reducer.apply(&state, .lookupAnswer(result))
    let screen = Renderer.render(state, size: RenderTests.large).text
    #expect(screen.contains("ECONNREFUSED"))
    #expect(screen.contains("On the wire"))
    #expect(screen.contains("Diagnosis: port-closed"))
  }

  @Test func exportAsksWhereAndSaysWhatItWrote() {
    var state = Fixtures.state(Fixtures.healthy, target: "198.18.2.10:443")
    _ = Reducer.reduce(&state, .export)
    #expect(state.ui.mode == .exportPrompt)
    #expect(state.ui.exportField.text == "./")
    Self.typing("ticket", into: &state)
    #expect(Reducer.reduce(&state, .submit) == [.export("./ticket")])
    _ = Reducer.apply(&state, .exported(["./ticket.md", "./ticket.json"]))
    #expect(Renderer.render(state, size: RenderTests.small).text.contains("wrote ./ticket.md and ./ticket.json"))
  }

  @Test func resizeClampsScrolling() {
    var state = Fixtures.state(Fixtures.filtered, target: "198.18.2.10:8443", size: RenderTests.small)
    _ = Reducer.reduce(&state, .showDiagnosis)
    _ = Reducer.reduce(&state, .moveToBottom)
    let bottom = state.ui.scroll[.diagnosis] ?? 0
    #expect(bottom > 0)
    _ = Reducer.apply(&state, .resized(ScreenSize(columns: 200, rows: 80)))
    #expect((state.ui.scroll[.diagnosis] ?? 0) < bottom)
  }
}

@Suite struct LineEditorTests {
  @Test(arguments: [
    ("hello world", [LineEdit.deleteWordBackward], "hello ", 6),
    ("hello world  ", [.deleteWordBackward], "hello ", 6),
    ("hello world", [.moveToStart, .deleteForward], "ello world", 0),
    ("hello world", [.moveLeft, .moveLeft, .deleteToStart], "ld", 0),
    ("hello world", [.moveToStart, .moveRight, .deleteToEnd], "h", 1),
    ("hello", [.deleteBackward, .insert("p"), .insert("!")], "hellp!", 6),
    ("", [.deleteBackward, .moveLeft, .deleteWordBackward, .deleteForward], "", 0),
    ("ab", [.moveToStart, .insert("x"), .moveToEnd, .insert("y")], "xaby", 4),
  ])
  func editsLikeReadline(start: String, edits: [LineEdit], text: String, caret: Int) {
    var editor = LineEditor(start)
    for edit in edits { editor.apply(edit) }
    #expect(editor.text == text)
    #expect(editor.caret == caret)
  }

  @Test func longTextScrollsToKeepTheCaretVisible() {
    var editor = LineEditor(String(repeating: "a", count: 30) + "bcdef")
    var (shown, caret) = editor.visible(width: 10)
    #expect(shown == "aaaabcdef")
    #expect(caret == 9)
    editor.apply(.moveToStart)
    (shown, caret) = editor.visible(width: 10)
    #expect(shown == "aaaaaaaaaa")
    #expect(caret == 0)
  }
}
