import Triage

/// Trainee mode: before each step, why it is done and what its probe does on the wire; after it, how to read the
/// outcome and what it rules in or out; at the end, the verdict with the chain of evidence that led there.
enum TraineeContent {
  static func lines(_ trainee: TraineeState, state: ScreenState, width: Int) -> [StyledLine] {
    let step = trainee.step
    let guide = KnowledgeBase.shared.step(step.rawValue)
    var lines: [StyledLine] = []
    if state.ui.target == nil && trainee.phase != .verdict {
      lines += TextWrap.wrap("No target yet: n types one (HOST:PORT). Without one the destination step is skipped.",
                             width: width, style: .warn)
      lines.append("")
    }
    switch trainee.phase {
    case .before:
      // The prompt first: on a small screen the guide runs below the fold.
      lines.append(prompt("Press Enter to run this step.", state))
      if let practice = state.ui.practice, trainee.stepIndex == 0 {
        lines += TextWrap.wrap("Practice round. The user says: \u{201C}\(practice.round.complaint)\u{201D}", width: width, style: .warn)
      }
      if let guide {
        lines.append(StyledLine("Why", .heading))
        lines += TextWrap.wrap(guide.why, width: width, first: "  ", hanging: "  ")
        lines.append(StyledLine("On the wire", .heading))
        lines += TextWrap.wrap(guide.onTheWire, width: width, first: "  ", hanging: "  ")
      }
    case .running:
      lines += stepResult(step, state: state, width: width)
    case .after:
      let last = trainee.stepIndex + 1 >= StepID.allCases.count
      lines.append(prompt(last ? "Press Enter for the verdict." : "Press Enter for the next step.", state))
      lines += stepResult(step, state: state, width: width)
      if let guide, let status = state.snapshot?.step(step).status, let reading = guide.outcomes.text(for: status.rawValue) {
        lines.append(StyledLine("How to read it", .heading))
        lines += TextWrap.wrap(reading, width: width, first: "  ", hanging: "  ")
      }
      if let guide, !guide.rulesInOrOut.isEmpty {
        lines.append(StyledLine("What it rules in or out", .heading))
        for rule in guide.rulesInOrOut { lines += TextWrap.wrap(rule, width: width, first: "  • ", hanging: "    ") }
      }
    case .verdict:
      if let practice = state.ui.practice {
        lines += practiceLines(practice, state: state, width: width)
        if practice.pick == nil { return lines }
      }
      lines += verdictLines(state, width: width)
    }
    return lines
  }

  /// Where the list of diagnoses starts in the picker's lines (the reducer scrolls by it).
  static let pickerFirstLine = 2

  /// The practice round's end: the list to pick from, or whether the pick was right and why.
  static func practiceLines(_ practice: PracticeState, state: ScreenState, width: Int) -> [StyledLine] {
    let glyphs = state.glyphs
    guard let pick = practice.pick else {
      var lines = [StyledLine([Span("Your diagnosis? ", .bold), Span("\(glyphs.upDown) choose, \(glyphs.enter) answer", .dim)]), ""]
      for (index, id) in DiagnosisID.allCases.enumerated() {
        let chosen = index == practice.cursor
        let line = StyledLine([Span(chosen ? "\u{25B8} " : "  ", .selected), Span(id.rawValue, chosen ? .selected : .bold),
                               Span("  " + KnowledgeBase.shared.entry(for: id).title, chosen ? .selected : .dim)])
        lines.append(line.truncated(to: width, ellipsis: glyphs.ellipsis))
      }
      lines.append("")
      lines += TextWrap.wrap("The user said: \u{201C}\(practice.round.complaint)\u{201D}", width: width, style: .dim)
      return lines
    }
    let expected = practice.round.expected
    var lines: [StyledLine] = []
    if pick == expected {
      lines.append(StyledLine("\(glyphs.pass) Right: \(pick.rawValue).", .pass))
    } else {
      lines += TextWrap.wrap("\(glyphs.fail) Not quite: you said \(pick.rawValue); the fault was \(expected.rawValue) (\(KnowledgeBase.shared.entry(for: expected).title)).",
                             width: width, style: .fail)
    }
    lines.append(StyledLine([Span("Scenario ", .heading), Span(practice.round.scenario)]))
    lines.append(StyledLine("Why", .heading))
    lines += TextWrap.wrap(practice.round.explanation, width: width, first: "  ", hanging: "  ")
    lines.append("")
    return lines
  }

  static func prompt(_ text: String, _ state: ScreenState) -> StyledLine {
    StyledLine([Span(state.glyphs.enter + " ", .key), Span(text, .bold)])
  }

  static func stepResult(_ step: StepID, state: ScreenState, width: Int) -> [StyledLine] {
    guard let snapshot = state.snapshot else { return [] }
    let result = snapshot.step(step)
    var lines = [StyledLine("Result", .heading)]
    lines += StepContent.lines(result, state: state, width: width - 2).map { StyledLine([Span("  ")]) + $0 }
    return lines
  }

  /// The verdict, then the chain: each step's result in order, the evidence behind the verdict, and the verdict.
  static func verdictLines(_ state: ScreenState, width: Int) -> [StyledLine] {
    guard let snapshot = state.snapshot, let diagnosis = snapshot.diagnosis else {
      return [StyledLine("No verdict: the steps did not run.", .dim)]
    }
    let glyphs = state.glyphs
    let entry = KnowledgeBase.shared.entry(for: diagnosis.id)
    var lines: [StyledLine] = [StyledLine("The verdict", .heading)]
    let isGood = diagnosis.id == .reachable
    lines.append(StyledLine([Span("  " + String(isGood ? glyphs.pass : glyphs.fail) + " " + diagnosis.id.rawValue, isGood ? .pass : .fail),
                             Span("  " + entry.title, .bold)]).truncated(to: width, ellipsis: glyphs.ellipsis))
    lines += TextWrap.wrap(SafeText.escape(diagnosis.primary.summary), width: width, first: "  ", hanging: "  ")
    lines.append(StyledLine("How the evidence led there", .heading))
    for step in snapshot.steps where step.status.isFinished {
      let mark = glyphs.mark(step.status, frame: 0)
      lines += TextWrap.wrap("\(step.title): " + SafeText.escape(step.summary), width: width, style: step.status == .skip ? .dim : .normal,
                             first: "  \(mark) ", hanging: "    ")
    }
    if !diagnosis.primary.evidence.isEmpty {
      lines.append(StyledLine("  The evidence the verdict rests on:", .bold))
      for line in diagnosis.primary.evidence {
        lines += TextWrap.wrap(SafeText.escape(line), width: width, first: "  • ", hanging: "    ")
      }
    }
    lines += TextWrap.wrap("so: \(diagnosis.id.rawValue), " + SafeText.escape(diagnosis.primary.summary), width: width,
                           style: isGood ? .pass : .fail, first: "  \(glyphs.arrowRight) ", hanging: "    ")
    lines.append(StyledLine("On the wire", .heading))
    lines += TextWrap.wrap(entry.onTheWire, width: width, first: "  ", hanging: "  ")
    let couldNotTell = diagnosis.primary.couldNotTell.map(SafeText.escape)
    if !couldNotTell.isEmpty {
      lines.append(StyledLine("What the tool could not tell", .heading))
      for line in couldNotTell { lines += TextWrap.wrap(line, width: width, style: .dim, first: "  • ", hanging: "    ") }
    }
    let fixes = entry.fixes(filledWith: VerdictContent.fixValues(diagnosis, target: state.ui.target))
    if !fixes.isEmpty {
      lines.append(StyledLine(isGood ? "Next" : "Fix", .heading))
      lines += VerdictContent.fixLines(fixes, width: width, windows: false)
    }
    lines.append("")
    lines.append(StyledLine("R walks the checklist again; t leaves trainee mode.", .dim))
    return lines
  }
}
