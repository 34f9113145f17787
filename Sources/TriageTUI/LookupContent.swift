import Triage

/// The `/` lookup: every meaning of an error code or message from the explain catalogue, best first.
enum LookupContent {
  /// At most this many meanings are shown; the rest are counted.
  static let meaningLimit = 4

  static func lines(_ result: LookupResult?, query: String, glyphs: Glyphs, width: Int) -> [StyledLine] {
    guard let result, !query.trimmingWhitespace.isEmpty else {
      return TextWrap.wrap("Type an error number (111, 10061, -2, 0x274D), a name (ECONNREFUSED, WSAETIMEDOUT, EAI_NONAME) or a message as the user saw it. The answer follows as you type.",
                           width: width, style: .dim)
    }
    let shown = SafeText.escape(result.query)
    guard !result.meanings.isEmpty else {
      let hint = result.nearest.isEmpty ? "" : "; nearest: " + result.nearest.map(SafeText.escape).joined(separator: ", ")
      return TextWrap.wrap("No match for \"\(shown)\"\(hint)", width: width, style: .warn)
    }
    var lines: [StyledLine] = []
    let meanings = result.meanings.count == 1 ? "1 meaning" : "\(result.meanings.count) meanings"
    lines.append(StyledLine("\"\(shown)\": \(result.matchCount) \(result.matchCount == 1 ? "match" : "matches"), \(meanings), best first", .dim)
      .truncated(to: width, ellipsis: glyphs.ellipsis))
    for meaning in result.meanings.prefix(meaningLimit) {
      lines.append("")
      lines += TextWrap.wrap(meaning.label + ": " + meaning.message, width: width, style: .bold, hanging: "  ")
      lines += TextWrap.wrap(meaning.onTheWire, width: width, first: "  On the wire: ", hanging: "    ", prefixStyle: .heading)
      if !meaning.causes.isEmpty {
        lines.append(StyledLine("  Likely causes", .heading))
        for (index, cause) in meaning.causes.enumerated() {
          lines += TextWrap.wrap(cause, width: width, first: "    \(index + 1). ", hanging: "       ")
        }
      }
      if !meaning.steps.isEmpty {
        lines += TextWrap.wrap(meaning.steps.joined(separator: ", "), width: width, first: "  Check: ", hanging: "    ", prefixStyle: .heading)
      }
      if !meaning.fixes.isEmpty {
        lines.append(StyledLine("  Fix", .heading))
        for fix in meaning.fixes { lines += TextWrap.wrap(fix, width: width, first: "    - ", hanging: "      ") }
      }
      lines.append(StyledLine([Span("  Diagnosis: ", .heading), Span(meaning.diagnosis ?? "none (no single id fits)", meaning.diagnosis == nil ? .dim : .key)]))
      if let note = meaning.note { lines += TextWrap.wrap(note, width: width, style: .dim, first: "  Note: ", hanging: "    ") }
      if !meaning.alsoMatches.isEmpty {
        lines += TextWrap.wrap(meaning.alsoMatches.joined(separator: ", "), width: width, style: .dim, first: "  Also matches: ", hanging: "    ")
      }
      if !meaning.sameMeaning.isEmpty {
        lines += TextWrap.wrap(meaning.sameMeaning.joined(separator: ", "), width: width, style: .dim, first: "  Same meaning: ", hanging: "    ")
      }
    }
    if result.meanings.count > meaningLimit {
      lines.append("")
      lines.append(StyledLine("… \(result.meanings.count - meaningLimit) more meanings: nettriage explain lists them all", .dim))
    }
    return lines
  }
}

extension LookupResult {
  /// The catalogue's answer to a query, grouped by meaning as `nettriage explain` prints it.
  public init(_ answer: ErrorCatalogue.Answer, catalogue: ErrorCatalogue) {
    let meanings = answer.groups.map { group -> LookupMeaning in
      let entry = group[0].entry
      let others = group.dropFirst().map(\.entry)
      return LookupMeaning(
        label: entry.label, message: entry.message, onTheWire: entry.onTheWire, causes: entry.causes,
        steps: entry.steps.map { "\($0.rawValue) (step \($0.number))" }, fixes: entry.fixes,
        diagnosis: entry.diagnosis?.rawValue, note: entry.note, alsoMatches: others.map(\.label),
        sameMeaning: catalogue.sameMeaning(as: entry, excluding: Array(others)).map(\.label))
    }
    self.init(query: answer.query, matchCount: answer.matches.count, meanings: meanings, nearest: answer.nearest)
  }
}
