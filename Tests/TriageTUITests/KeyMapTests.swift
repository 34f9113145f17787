import CNcurses
import Testing
@testable import Triage
@testable import TriageTUI

/// The key table: every key the help overlay lists reaches its intent, and the intent does what the help says.
@Suite struct KeyMapTests {
  /// A finished run on screen, in `mode` (on top of the checklist), with something in each field and the loop and
  /// trainee state that mode needs.
  static func state(in mode: Mode) -> ScreenState {
    var state = Fixtures.state(Fixtures.filtered, target: "198.18.2.10:8443", selected: .destination, size: RenderTests.small)
    if mode != .checklist { state.ui.stack.append(mode) }
    state.ui.targetField = LineEditor("198.18.2.10 8443")
    state.ui.targetHistory = InputHistory(["127.0.0.1:1", "127.0.0.1:2"])
    state.ui.lookupField = LineEditor("connection refused")
    state.ui.lookupHistory = InputHistory(["10061", "ETIMEDOUT"])
    state.ui.exportField = LineEditor("./reports/")
    if mode == .loop {
      state.ui.loop = Fixtures.loopState(size: RenderTests.small).ui.loop
    }
    if mode == .trainee {
      state.ui.trainee = TraineeState(stepIndex: 5, phase: .after)
      state.ui.stepByStep = true
    }
    if mode == .lookup {
      state.ui.lookupResult = LookupResult(query: "connection refused", matchCount: 1, meanings: [
        LookupMeaning(label: "ECONNREFUSED (111, Linux)", message: "Connection refused", onTheWire: String(repeating: "RST came back. ", count: 40),
                      causes: (1...12).map { "cause \($0)" }, steps: ["destination (step 6)"], fixes: (1...10).map { "fix \($0)" },
                      diagnosis: "port-closed", note: nil, alsoMatches: [], sameMeaning: ["WSAECONNREFUSED (10061, Winsock)"]),
      ], nearest: [])
    }
    // Views that scroll start one line down, so both directions show.
    if Renderer.scrollLimit(for: mode, state: state) >= 2 { state.ui.scroll[mode] = 1 }
    return state
  }

  @Test(arguments: Mode.allCases)
  func everyListedKeyReachesItsIntent(mode: Mode) {
    var seen: Set<Key> = []
    for binding in KeyMap.bindings(for: mode) {
      for key in binding.keys {
        #expect(!seen.contains(key), "\(mode): \(key) is bound twice")
        seen.insert(key)
        #expect(KeyMap.intent(for: key, mode: mode) == binding.intent, "\(mode): \(key) should mean \(binding.help)")
      }
    }
  }

  @Test(arguments: Mode.allCases)
  func everyListedKeyDoesWhatTheHelpSays(mode: Mode) {
    for binding in KeyMap.bindings(for: mode) {
      for key in binding.keys {
        var state = Self.state(in: mode)
        let before = state
        guard let intent = KeyMap.intent(for: key, mode: mode) else { continue }
        let effects = Reducer.reduce(&state, intent)
        #expect(Self.did(intent, mode: mode, before: before, after: state, effects: effects),
                "\(mode): \(key.name(.unicode)) should \(binding.help); effects \(effects)")
      }
    }
  }

  /// Whether an intent did what its help line says.
  static func did(_ intent: Intent, mode: Mode, before: ScreenState, after: ScreenState, effects: [Effect]) -> Bool {
    let steps = StepID.allCases
    let index = steps.firstIndex(of: before.ui.selected)!
    let scrollBefore = before.ui.scroll[mode] ?? 0
    let scrollAfter = after.ui.scroll[mode] ?? 0
    let limit = Renderer.scrollLimit(for: mode, state: before)
    switch intent {
    case .moveUp:
      return mode == .checklist ? after.ui.selected == steps[index - 1] : scrollAfter == max(0, scrollBefore - 1)
    case .moveDown:
      return mode == .checklist ? after.ui.selected == steps[index + 1] : scrollAfter == min(limit, scrollBefore + 1)
    case .moveToTop:
      return mode == .checklist ? after.ui.selected == steps.first : scrollAfter == 0
    case .moveToBottom:
      return mode == .checklist ? after.ui.selected == steps.last : scrollAfter == limit
    case .pageUp:
      return scrollAfter == 0
    case .pageDown:
      return limit == 0 ? scrollAfter == 0 : scrollAfter > scrollBefore
    case .previousStep:
      return after.ui.selected == steps[index - 1]
    case .nextStep:
      return after.ui.selected == steps[index + 1]
    case .open:
      return after.ui.mode == .stepDetail
    case .showDiagnosis:
      return after.ui.mode == .diagnosis
    case .back:
      if mode == .checklist { return effects == [.quit] }
      return after.ui.stack == Array(before.ui.stack.dropLast()) && (mode != .loop || effects == [.stopLoop])
    case .quit:
      return effects.last == .quit
    case .rerunStep:
      return effects == [.runStep(before.ui.selected)]
    case .rerunAll:
      return effects == [.startRun(before.ui.target, stepByStep: before.ui.trainee != nil)]
    case .toggleLoop:
      if mode == .loop { return after.ui.mode != .loop && after.ui.loop == nil && effects == [.stopLoop] }
      return after.ui.mode == .loop && after.ui.loop != nil && effects == [.startLoop(before.ui.selected)]
    case .togglePause:
      if mode == .loop { return after.ui.loop?.isPaused == true && effects == [.stopLoop] }
      return after.ui.isPaused != before.ui.isPaused
    case .clearStatistics:
      return after.ui.loop?.totals.sent == 0 && after.ui.loop?.window.isEmpty == true
    case .newTarget:
      return after.ui.mode == .targetEntry && after.ui.targetField.text.isEmpty
    case .lookup:
      return after.ui.mode == .lookup
    case .toggleTrainee:
      return (after.ui.trainee == nil) != (before.ui.trainee == nil)
    case .advance:
      return after.ui.trainee != before.ui.trainee
    case .export:
      return after.ui.mode == .exportPrompt
    case .help:
      return after.ui.mode == .help
    case .edit(let edit):
      var expected: LineEditor
      switch mode {
      case .targetEntry: expected = before.ui.targetField
      case .lookup: expected = before.ui.lookupField
      default: expected = before.ui.exportField
      }
      expected.apply(edit)
      let field = mode == .targetEntry ? after.ui.targetField : mode == .lookup ? after.ui.lookupField : after.ui.exportField
      return field == expected
    case .historyPrevious:
      return (mode == .targetEntry ? after.ui.targetField.text : after.ui.lookupField.text)
        == (mode == .targetEntry ? "127.0.0.1:2" : "ETIMEDOUT")
    case .historyNext:
      // Down before any Up: nothing to walk back to, the field stays as typed.
      return after.ui.targetField == before.ui.targetField && after.ui.lookupField == before.ui.lookupField
    case .submit:
      switch mode {
      case .targetEntry: return after.ui.mode == .checklist && effects.contains(.recordTarget("198.18.2.10 8443"))
      case .lookup: return after.ui.lookupHistory.entries.last == "connection refused"
      default: return effects == [.export("./reports/")] && after.ui.mode == .checklist
      }
    case .resize:
      return effects.isEmpty
    }
  }

  @Test func typedCharactersGoIntoFieldsAndNowhereElse() {
    #expect(KeyMap.intent(for: .character("x"), mode: .targetEntry) == .edit(.insert("x")))
    #expect(KeyMap.intent(for: .character("q"), mode: .lookup) == .edit(.insert("q")))
    #expect(KeyMap.intent(for: .character("é"), mode: .exportPrompt) == .edit(.insert("é")))
    #expect(KeyMap.intent(for: .character("x"), mode: .checklist) == nil)
    #expect(KeyMap.intent(for: .character("q"), mode: .checklist) == .back)
    #expect(KeyMap.intent(for: .control("c"), mode: .targetEntry) == .quit)
    #expect(KeyMap.intent(for: .resize, mode: .help) == .resize)
  }

  @Test func cursesCodesDecodeToKeys() {
    let cases: [(wint_t, Bool, Key?)] = [
      (wint_t(KEY_UP), true, .up), (wint_t(KEY_DOWN), true, .down), (wint_t(KEY_LEFT), true, .left),
      (wint_t(KEY_RIGHT), true, .right), (wint_t(KEY_HOME), true, .home), (wint_t(KEY_END), true, .end),
      (wint_t(KEY_PPAGE), true, .pageUp), (wint_t(KEY_NPAGE), true, .pageDown), (wint_t(KEY_BACKSPACE), true, .backspace),
      (wint_t(KEY_DC), true, .delete), (wint_t(KEY_RESIZE), true, .resize), (wint_t(KEY_F0 + 1), true, .function(1)),
      (13, false, .enter), (10, false, .enter), (27, false, .escape), (127, false, .backspace), (8, false, .backspace),
      (9, false, .tab), (1, false, .control("a")), (23, false, .control("w")), (3, false, .control("c")),
      (0x71, false, .character("q")), (0x20, false, .character(" ")), (0xE9, false, .character("é")), (0, false, nil),
    ]
    for (value, isKeyCode, key) in cases {
      #expect(CursesScreen.decode(value, isKeyCode: isKeyCode) == key, "\(value) \(isKeyCode)")
    }
  }

  @Test func keyBarShowsTheViewsKeysAndAlwaysHelpAndQuit() {
    for mode in [Mode.checklist, .stepDetail, .loop, .trainee] {
      var state = Self.state(in: mode)
      state.ui.stack = mode == .checklist ? [.checklist] : [.checklist, mode]
      let bar = Renderer.render(state, size: RenderTests.small).lines.last ?? ""
      #expect(bar.contains("? keys"), "\(mode): \(bar)")
      #expect(bar.contains("q quit") || bar.contains("q back"), "\(mode): \(bar)")
    }
  }
}
