import Triage

/// The characters the screen draws with: Unicode marks, spinner, sparkline and box lines on a UTF-8 terminal,
/// plain ASCII otherwise (a terminal whose locale is not UTF-8 silently drops a ✔).
public struct Glyphs: Hashable, Sendable {
  public var pending: Character
  public var pass: Character
  public var warn: Character
  public var fail: Character
  public var skip: Character
  public var info: Character
  /// The frames of the running mark, one per spinner tick.
  public var spinner: [Character]
  /// Sparkline levels, lowest first.
  public var levels: [Character]
  /// A probe that got no answer, in a sparkline.
  public var lost: Character
  /// A histogram bar cell.
  public var bar: Character
  public var horizontal: Character
  public var vertical: Character
  public var topLeft: Character
  public var topRight: Character
  public var bottomLeft: Character
  public var bottomRight: Character
  public var ellipsis: Character
  public var arrowRight: String
  public var arrowLeft: String
  public var enter: String
  public var upDown: String
  /// A step whose result changed since the previous run.
  public var changed: Character
  /// Only ASCII reaches the grid (text from outside included).
  public var asciiOnly: Bool

  public static let unicode = Glyphs(
    pending: "·", pass: "✔", warn: "!", fail: "✖", skip: "–", info: "i",
    spinner: ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"],
    levels: ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"], lost: "×", bar: "█",
    horizontal: "─", vertical: "│", topLeft: "┌", topRight: "┐", bottomLeft: "└", bottomRight: "┘",
    ellipsis: "…", arrowRight: "→", arrowLeft: "←", enter: "⏎", upDown: "↑↓", changed: "Δ", asciiOnly: false)

  public static let ascii = Glyphs(
    pending: ".", pass: "+", warn: "!", fail: "x", skip: "-", info: "i",
    spinner: ["|", "/", "-", "\\"],
    levels: ["_", ".", "-", "=", "+", "*", "#", "@"], lost: "x", bar: "#",
    horizontal: "-", vertical: "|", topLeft: "+", topRight: "+", bottomLeft: "+", bottomRight: "+",
    ellipsis: "~", arrowRight: "->", arrowLeft: "<-", enter: "Enter", upDown: "Up/Dn", changed: "*", asciiOnly: true)

  /// The mark for a step's status; a running step shows the spinner frame.
  public func mark(_ status: StepStatus, frame: Int) -> Character {
    switch status {
    case .pending: return pending
    case .running: return spinner[((frame % spinner.count) + spinner.count) % spinner.count]
    case .pass: return pass
    case .warn: return warn
    case .fail: return fail
    case .skip: return skip
    case .info: return info
    }
  }

  /// A sparkline of answer times (nil for a lost probe), scaled from 0 to the largest time shown.
  public func sparkline(_ values: [Int64?]) -> String {
    let top = values.compactMap { $0 }.max() ?? 0
    return String(values.map { value -> Character in
      guard let value else { return lost }
      guard top > 0 else { return levels[0] }
      let index = Int((Double(value) / Double(top)) * Double(levels.count - 1) + 0.5)
      return levels[min(levels.count - 1, max(0, index))]
    })
  }
}

extension StepStatus {
  /// The style a status is drawn in.
  var style: Style {
    switch self {
    case .pending: return .dim
    case .running: return .running
    case .pass: return .pass
    case .warn: return .warn
    case .fail: return .fail
    case .skip, .info: return .skip
    }
  }
}
