/// Word wrapping and truncation by display width.
enum TextWrap {
  /// Breaks text into lines of at most `width` columns at spaces; a word longer than a line is cut. The first line
  /// starts with `first`, the others with `hanging` (both in `prefixStyle`).
  static func wrap(_ text: String, width: Int, style: Style = .normal, first: String = "", hanging: String = "",
                   prefixStyle: Style? = nil) -> [StyledLine] {
    let prefixStyle = prefixStyle ?? style
    var lines: [StyledLine] = []
    var prefix = first
    var current = ""
    var currentWidth = 0
    func room() -> Int { max(1, width - DisplayWidth.of(prefix)) }
    func flush() {
      lines.append(StyledLine([Span(prefix, prefixStyle), Span(current, style)].filter { !$0.text.isEmpty }))
      prefix = hanging
      current = ""
      currentWidth = 0
    }
    for word in text.split(separator: " ", omittingEmptySubsequences: true).map(String.init) {
      var word = word
      var wordWidth = DisplayWidth.of(word)
      if currentWidth > 0 && currentWidth + 1 + wordWidth > room() { flush() }
      // Here the line is empty (a word that does not fit after others went to a new line): cut long words.
      while wordWidth > room() {
        var (head, tail) = cut(word, at: room())
        if head.isEmpty { (head, tail) = (String(word.prefix(1)), String(word.dropFirst())) }
        current = head
        flush()
        word = tail
        wordWidth = DisplayWidth.of(word)
      }
      if word.isEmpty { continue }
      current += (currentWidth > 0 ? " " : "") + word
      currentWidth += (currentWidth > 0 ? 1 : 0) + wordWidth
    }
    if currentWidth > 0 || lines.isEmpty { flush() }
    return lines
  }

  /// The text cut to `width` columns, ending in the ellipsis when something was cut.
  static func truncate(_ text: String, width: Int, ellipsis: Character) -> String {
    guard width > 0 else { return "" }
    guard DisplayWidth.of(text) > width else { return text }
    let (head, _) = cut(text, at: width - 1)
    return head + String(ellipsis)
  }

  /// Blanks after the text up to `width` columns.
  static func pad(_ text: String, to width: Int) -> String {
    text + String(repeating: " ", count: max(0, width - DisplayWidth.of(text)))
  }

  /// Blanks before the text up to `width` columns.
  static func padLeft(_ text: String, to width: Int) -> String {
    String(repeating: " ", count: max(0, width - DisplayWidth.of(text))) + text
  }

  /// Splits after at most `columns` columns.
  static func cut(_ text: String, at columns: Int) -> (String, String) {
    var used = 0
    var index = text.startIndex
    while index < text.endIndex {
      let width = DisplayWidth.of(text[index])
      if used + width > columns { break }
      used += width
      index = text.index(after: index)
    }
    return (String(text[..<index]), String(text[index...]))
  }
}

extension StyledLine {
  /// The line cut to `width` columns, with the ellipsis at the end when something was cut.
  func truncated(to width: Int, ellipsis: Character) -> StyledLine {
    guard self.width > width else { return self }
    var result = StyledLine()
    var used = 0
    for span in spans {
      let spanWidth = DisplayWidth.of(span.text)
      if used + spanWidth <= width - 1 {
        result.spans.append(span)
        used += spanWidth
      } else {
        let (head, _) = TextWrap.cut(span.text, at: width - 1 - used)
        result.spans.append(Span(head + String(ellipsis), span.style))
        return result
      }
    }
    return result
  }
}
