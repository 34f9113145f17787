/// A size in terminal cells.
public struct ScreenSize: Hashable, Sendable, CustomStringConvertible {
  public var columns: Int
  public var rows: Int

  public init(columns: Int, rows: Int) {
    self.columns = columns
    self.rows = rows
  }

  /// The smallest screen the layout is made for.
  public static let minimum = ScreenSize(columns: 80, rows: 24)

  public var description: String { "\(columns)x\(rows)" }
}

/// What a cell means; the terminal maps each role to colours and attributes (attributes alone under NO_COLOR).
public enum Style: UInt8, Hashable, Sendable, CaseIterable {
  case normal, dim, bold, heading, border, pass, warn, fail, skip, running, selected, key, field, error, changed
}

/// One terminal cell: a character (one grapheme) and its style. A double-width character fills its cell and
/// the next one, which is then a continuation cell that draws nothing.
public struct Cell: Hashable, Sendable {
  public var character: Character
  public var style: Style
  public var isContinuation: Bool

  public init(_ character: Character = " ", style: Style = .normal, isContinuation: Bool = false) {
    self.character = character
    self.style = style
    self.isContinuation = isContinuation
  }
}

/// A position on the screen, row first.
public struct GridPosition: Hashable, Sendable {
  public var row: Int
  public var column: Int

  public init(row: Int, column: Int) {
    self.row = row
    self.column = column
  }
}

/// A rectangle of cells on the screen.
public struct Rect: Hashable, Sendable {
  public var row: Int
  public var column: Int
  public var width: Int
  public var height: Int

  public init(row: Int, column: Int, width: Int, height: Int) {
    self.row = row
    self.column = column
    self.width = max(0, width)
    self.height = max(0, height)
  }

  /// The inside of a box drawn on this rectangle's edge.
  public var inner: Rect { Rect(row: row + 1, column: column + 1, width: width - 2, height: height - 2) }

  /// The inside of a box with a blank column each side: where a pane's text goes.
  public var content: Rect { Rect(row: row + 1, column: column + 2, width: width - 4, height: height - 2) }
}

/// The whole screen as cells: what `Renderer.render` produces and the terminal draws.
public struct Grid: Hashable, Sendable {
  public let size: ScreenSize
  public private(set) var cells: [Cell]
  /// Where the terminal cursor shows (an input field's caret), or nil for a hidden cursor.
  public var cursor: GridPosition?
  /// Whether characters outside ASCII are replaced (a terminal whose locale is not UTF-8 would drop them).
  public let asciiOnly: Bool

  public init(size: ScreenSize, asciiOnly: Bool = false) {
    self.size = size
    self.asciiOnly = asciiOnly
    cells = Array(repeating: Cell(), count: max(0, size.columns) * max(0, size.rows))
  }

  public subscript(row: Int, column: Int) -> Cell {
    get { cells[row * size.columns + column] }
    set { cells[row * size.columns + column] = newValue }
  }

  /// The cells of one row.
  public func row(_ row: Int) -> ArraySlice<Cell> {
    cells[(row * size.columns)..<((row + 1) * size.columns)]
  }

  /// Writes text from a position, clipped at `limit` columns (and at the screen's edge); returns the columns used.
  /// Control characters never reach the grid: callers pass escaped text, and anything left is shown as `?`.
  @discardableResult
  public mutating func put(_ text: String, row: Int, column: Int, style: Style = .normal, limit: Int? = nil) -> Int {
    guard row >= 0, row < size.rows, column >= 0 else { return 0 }
    let end = min(size.columns, column + (limit ?? size.columns))
    var x = column
    for character in text {
      let shown = displayable(character)
      let width = DisplayWidth.of(shown)
      if width == 0 { continue }
      if x + width > end { break }
      self[row, x] = Cell(shown, style: style)
      if width == 2 { self[row, x + 1] = Cell(" ", style: style, isContinuation: true) }
      x += width
    }
    return x - column
  }

  /// Writes styled spans one after another.
  @discardableResult
  public mutating func put(_ line: StyledLine, row: Int, column: Int, limit: Int) -> Int {
    var used = 0
    for span in line.spans where used < limit {
      used += put(span.text, row: row, column: column + used, style: span.style, limit: limit - used)
    }
    return used
  }

  /// Sets the style of a run of cells (a selection bar) without changing their characters.
  public mutating func restyle(row: Int, column: Int, width: Int, style: Style) {
    guard row >= 0, row < size.rows else { return }
    for x in max(0, column)..<min(size.columns, column + width) { cells[row * size.columns + x].style = style }
  }

  /// Fills a rectangle with blanks.
  public mutating func clear(_ rect: Rect, style: Style = .normal) {
    for y in max(0, rect.row)..<min(size.rows, rect.row + rect.height) {
      for x in max(0, rect.column)..<min(size.columns, rect.column + rect.width) { self[y, x] = Cell(" ", style: style) }
    }
  }

  /// Draws a box on the rectangle's edge with a title in its top border.
  public mutating func box(_ rect: Rect, title: StyledLine? = nil, glyphs: Glyphs, style: Style = .border) {
    guard rect.width >= 2, rect.height >= 2 else { return }
    let right = rect.column + rect.width - 1
    let bottom = rect.row + rect.height - 1
    let horizontal = String(repeating: glyphs.horizontal, count: rect.width - 2)
    put(String(glyphs.topLeft) + horizontal + String(glyphs.topRight), row: rect.row, column: rect.column, style: style)
    put(String(glyphs.bottomLeft) + horizontal + String(glyphs.bottomRight), row: bottom, column: rect.column, style: style)
    for y in (rect.row + 1)..<bottom {
      put(String(glyphs.vertical), row: y, column: rect.column, style: style)
      put(String(glyphs.vertical), row: y, column: right, style: style)
    }
    if let title, rect.width > 6 {
      let titled = StyledLine([Span(" ")]) + title + StyledLine([Span(" ")])
      put(titled, row: rect.row, column: rect.column + 2, limit: rect.width - 4)
    }
  }

  /// The screen as text, a line per row without trailing blanks: what render tests compare.
  public var text: String { lines.joined(separator: "\n") }

  public var lines: [String] {
    (0..<size.rows).map { y in
      var line = ""
      for cell in row(y) where !cell.isContinuation { line.append(cell.character) }
      while line.last == " " { line.removeLast() }
      return line
    }
  }

  private func displayable(_ character: Character) -> Character {
    if character.unicodeScalars.contains(where: { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }) { return "?" }
    if asciiOnly && !character.isASCII { return Self.asciiFallback[character] ?? "?" }
    return character
  }

  /// Typographic characters of the screen's own texts, as ASCII for a terminal that is not UTF-8.
  static let asciiFallback: [Character: Character] = [
    "–": "-", "—": "-", "…": ".", "→": ">", "←": "<", "•": "*", "·": ".", "×": "x", "▶": ">", "◀": "<", "─": "-",
    "│": "|", "Δ": "*", "✔": "+", "✖": "x", "↑": "^", "↓": "v", "▸": ">", "\u{201C}": "\"", "\u{201D}": "\"",
  ]
}

/// A run of text in one style.
public struct Span: Hashable, Sendable {
  public var text: String
  public var style: Style

  public init(_ text: String, _ style: Style = .normal) {
    self.text = text
    self.style = style
  }
}

/// A line of styled spans, before it is placed on the grid.
public struct StyledLine: Hashable, Sendable, ExpressibleByStringLiteral {
  public var spans: [Span]

  public init(_ spans: [Span] = []) { self.spans = spans }
  public init(_ text: String, _ style: Style = .normal) { spans = [Span(text, style)] }
  public init(stringLiteral value: String) { spans = [Span(value)] }

  public var text: String { spans.map(\.text).joined() }
  public var width: Int { DisplayWidth.of(text) }

  public static func + (lhs: StyledLine, rhs: StyledLine) -> StyledLine { StyledLine(lhs.spans + rhs.spans) }

  public mutating func append(_ text: String, _ style: Style = .normal) { spans.append(Span(text, style)) }
}

/// Terminal columns a character takes: 2 for East Asian wide and emoji, 0 for controls, 1 otherwise.
///
/// A small table rather than wcwidth(3): rendering stays pure and gives the same grid under any locale.
public enum DisplayWidth {
  public static func of(_ character: Character) -> Int {
    guard let scalar = character.unicodeScalars.first else { return 0 }
    let value = scalar.value
    if value < 0x20 || (0x7F...0x9F).contains(value) { return 0 }
    if value < 0x1100 { return 1 }
    if character.unicodeScalars.contains(where: { $0.value == 0xFE0F }) { return 2 }  // emoji presentation
    for range in wideRanges where range.contains(value) { return 2 }
    return 1
  }

  public static func of(_ text: String) -> Int { text.reduce(0) { $0 + of($1) } }

  private static let wideRanges: [ClosedRange<UInt32>] = [
    0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x23E9...0x23EC, 0x23F0...0x23F0, 0x23F3...0x23F3,
    0x25FD...0x25FE, 0x2614...0x2615, 0x2648...0x2653, 0x267F...0x267F, 0x2693...0x2693, 0x26A1...0x26A1,
    0x26AA...0x26AB, 0x26BD...0x26BE, 0x26C4...0x26C5, 0x26CE...0x26CE, 0x26D4...0x26D4, 0x26EA...0x26EA,
    0x26F2...0x26F3, 0x26F5...0x26F5, 0x26FA...0x26FA, 0x26FD...0x26FD, 0x2705...0x2705, 0x270A...0x270B,
    0x2728...0x2728, 0x274C...0x274C, 0x274E...0x274E, 0x2753...0x2755, 0x2757...0x2757, 0x2795...0x2797,
    0x27B0...0x27B0, 0x27BF...0x27BF, 0x2B1B...0x2B1C, 0x2B50...0x2B50, 0x2B55...0x2B55, 0x2E80...0x303E,
    0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3,
    0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
    0x1F680...0x1F6FF, 0x1F900...0x1F9FF, 0x1FA70...0x1FAFF, 0x20000...0x2FFFD, 0x30000...0x3FFFD,
  ]
}
