/// A key as the screen sees it, decoded from curses (`Terminal.readKey`) or built by tests.
public enum Key: Hashable, Sendable {
  /// A printable character (letters, digits, punctuation, space, anything typed).
  case character(Character)
  /// Ctrl with a letter: `.control("a")` is Ctrl-A.
  case control(Character)
  case up, down, left, right, home, end, pageUp, pageDown
  case enter, escape, backspace, delete, tab, backTab
  /// The window changed size (curses' KEY_RESIZE).
  case resize
  case function(Int)

  /// The key's name in the help overlay and the key bar.
  public func name(_ glyphs: Glyphs) -> String {
    switch self {
    case .character(" "): return "Space"
    case .character(let character): return String(character)
    case .control(let letter): return "Ctrl-" + String(letter).uppercased()
    case .up: return glyphs.asciiOnly ? "Up" : "↑"
    case .down: return glyphs.asciiOnly ? "Down" : "↓"
    case .left: return glyphs.asciiOnly ? "Left" : "←"
    case .right: return glyphs.asciiOnly ? "Right" : "→"
    case .home: return "Home"
    case .end: return "End"
    case .pageUp: return "PgUp"
    case .pageDown: return "PgDn"
    case .enter: return glyphs.enter
    case .escape: return "Esc"
    case .backspace: return "Backspace"
    case .delete: return "Del"
    case .tab: return "Tab"
    case .backTab: return "Shift-Tab"
    case .resize: return "resize"
    case .function(let number): return "F\(number)"
    }
  }
}

/// What a key asks for. Keys map to intents through `KeyMap` (one table); `Reducer.reduce` carries them out.
public enum Intent: Hashable, Sendable {
  case moveUp, moveDown, pageUp, pageDown, moveToTop, moveToBottom
  /// The step before or after the one shown (in a step's detail).
  case previousStep, nextStep
  /// Enter on the checklist: the selected step's detail.
  case open
  /// The verdict in full: what happened on the wire, causes, every fix.
  case showDiagnosis
  /// Close the view on top, or quit from the checklist.
  case back
  /// Quit from anywhere (Ctrl-C).
  case quit
  case rerunStep, rerunAll
  /// Start or stop looping the selected step's probe.
  case toggleLoop
  /// Pause or resume (the loop's probes, or the checklist's updates on screen).
  case togglePause
  /// Forget the loop's statistics and start counting again.
  case clearStatistics
  case newTarget
  case lookup
  case toggleTrainee
  /// Trainee mode: run the step now, or go on to the next one.
  case advance
  case export
  case help
  case edit(LineEdit)
  case historyPrevious, historyNext
  /// Enter in a field: use what was typed.
  case submit
  /// The window changed size: draw again at the new size.
  case resize
}
