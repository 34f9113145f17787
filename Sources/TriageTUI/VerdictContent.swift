import NetProbe
import Triage

/// The diagnosis pane: the verdict in plain words, its evidence and the fixes with this run's values, compact in the
/// main view and in full (on the wire, causes, what could not be told, Windows commands) in its own view.
enum VerdictContent {
  /// Diagnoses a run without a target can reach: faults of this machine, not of a destination.
  static let localDiagnoses: Set<DiagnosisID> = [
    .noInterface, .noRoute, .linkDown, .gatewayUnreachable, .gatewayOffSubnet, .dnsNoServers,
  ]

  static func lines(_ state: ScreenState, width: Int, full: Bool) -> [StyledLine] {
    let glyphs = state.glyphs
    if state.ui.hidesVerdict {
      return TextWrap.wrap("Practice round: the verdict stays hidden until you pick yours at the end of the walk (t, then Enter through the steps).",
                           width: width, style: .dim)
    }
    guard let snapshot = state.snapshot else {
      if state.ui.target == nil {
        return TextWrap.wrap("No target yet. Type one with n (HOST:PORT, a URL or unix:/path) to test a connection.", width: width)
      }
      return [StyledLine("Starting the checklist…", .dim)]
    }
    guard let diagnosis = snapshot.diagnosis else {
      let spinner = glyphs.mark(.running, frame: state.ui.spinnerFrame)
      if state.ui.stepByStep && !state.isRunning {
        return TextWrap.wrap("The verdict comes once the steps have run: Enter runs the next one.", width: width, style: .dim)
      }
      return [StyledLine([Span(String(spinner) + " ", .running), Span("Waiting for the steps to end…", .dim)])]
    }
    if state.ui.target == nil && !localDiagnoses.contains(diagnosis.id) {
      return TextWrap.wrap("No target: only the local checks ran, and they found no fault. Type a target with n to test a connection.",
                           width: width)
    }

    let entry = KnowledgeBase.shared.entry(for: diagnosis.id)
    let isGood = diagnosis.id == .reachable
    var lines: [StyledLine] = []
    var head = StyledLine([Span(String(isGood ? glyphs.pass : glyphs.fail) + " " + diagnosis.id.rawValue, isGood ? .pass : .fail),
                           Span("  " + entry.title, .bold)])
    if snapshot.final == nil { head.append("  (provisional)", .warn) }
    lines.append(head.truncated(to: width, ellipsis: glyphs.ellipsis))
    lines += TextWrap.wrap(SafeText.escape(diagnosis.primary.summary), width: width)
    if full, let provisional = snapshot.provisional, let final = snapshot.final {
      lines.append(StyledLine("provisional verdict \(provisional.diagnosis.id.rawValue) at \(ProbeText.milliseconds(provisional.atMicroseconds)), final at \(ProbeText.milliseconds(final.atMicroseconds))", .dim))
    }

    let values = fixValues(diagnosis, target: state.ui.target)
    let fixes = entry.fixes(filledWith: values)
    let evidence = diagnosis.primary.evidence.map(SafeText.escape)
    if full {
      lines.append("")
      lines.append(StyledLine("On the wire", .heading))
      lines += TextWrap.wrap(entry.onTheWire, width: width, first: "  ", hanging: "  ")
      if !evidence.isEmpty {
        lines.append(StyledLine("Evidence", .heading))
        for line in evidence { lines += TextWrap.wrap(line, width: width, first: "  • ", hanging: "    ") }
      }
      if !diagnosis.secondary.isEmpty {
        lines.append(StyledLine("Also found", .heading))
        for finding in diagnosis.secondary {
          lines += TextWrap.wrap("\(finding.id.rawValue): " + SafeText.escape(finding.summary), width: width, style: .warn, first: "  • ", hanging: "    ")
        }
      }
      if !entry.causes.isEmpty && !isGood {
        lines.append(StyledLine("Likely causes", .heading))
        for (index, cause) in entry.causes.enumerated() {
          lines += TextWrap.wrap(cause, width: width, first: "  \(index + 1). ", hanging: "     ")
        }
      }
      let couldNotTell = diagnosis.primary.couldNotTell.map(SafeText.escape) + entry.cannotTell
      if !couldNotTell.isEmpty {
        lines.append(StyledLine("Could not tell", .heading))
        for line in couldNotTell { lines += TextWrap.wrap(line, width: width, style: .dim, first: "  • ", hanging: "    ") }
      }
      if !fixes.isEmpty {
        lines.append(StyledLine(isGood ? "Next" : "Fix", .heading))
        lines += fixLines(fixes, width: width, windows: true)
      }
      return lines
    }

    // Compact: a line of evidence, then each fix's words on one line and its command in full (the part to copy).
    if let first = evidence.first {
      let more = evidence.count > 1 ? " (+\(evidence.count - 1))" : ""
      lines.append(StyledLine([Span("Evidence: ", .heading), Span(first + more)]).truncated(to: width, ellipsis: glyphs.ellipsis))
    }
    for finding in diagnosis.secondary {
      lines.append(StyledLine([Span("Also: ", .heading), Span("\(finding.id.rawValue): " + SafeText.escape(finding.summary), .warn)])
        .truncated(to: width, ellipsis: glyphs.ellipsis))
    }
    if !fixes.isEmpty {
      lines.append(StyledLine(isGood ? "Next" : "Fix", .heading))
      for (index, fix) in fixes.enumerated() {
        lines.append(StyledLine(" \(index + 1). " + fix.text).truncated(to: width, ellipsis: glyphs.ellipsis))
        if let linux = fix.linux {
          lines += TextWrap.wrap(linux, width: width, style: .key, first: "    $ ", hanging: "      ", prefixStyle: .dim)
        }
      }
    }
    return lines
  }

  /// Numbered fixes, each with its commands on their own lines.
  static func fixLines(_ fixes: [RenderedFix], width: Int, windows: Bool) -> [StyledLine] {
    var lines: [StyledLine] = []
    for (index, fix) in fixes.enumerated() {
      lines += TextWrap.wrap(fix.text, width: width, first: " \(index + 1). ", hanging: "    ")
      if let linux = fix.linux {
        lines += TextWrap.wrap(linux, width: width, style: .key, first: "    $ ", hanging: "      ", prefixStyle: .dim)
      }
      if windows, let command = fix.windows {
        lines += TextWrap.wrap(command, width: width, style: .key, first: "    PS> ", hanging: "        ", prefixStyle: .dim)
      }
    }
    return lines
  }

  /// The values a fix's placeholders take: the finding's own, then the target's (as `check` fills them).
  static func fixValues(_ diagnosis: Diagnosis, target: CheckTarget?) -> [String: String] {
    KnowledgeText.values(for: diagnosis, target: target)
  }
}
