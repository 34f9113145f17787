/// An editing key's meaning in a one-line text field (readline's keys).
public enum LineEdit: Hashable, Sendable {
  case insert(Character)
  /// Backspace: the character before the caret.
  case deleteBackward
  /// Delete: the character under the caret.
  case deleteForward
  case moveLeft, moveRight
  /// Home or Ctrl-A.
  case moveToStart
  /// End or Ctrl-E.
  case moveToEnd
  /// Ctrl-U: everything before the caret.
  case deleteToStart
  /// Ctrl-K: everything from the caret on.
  case deleteToEnd
  /// Ctrl-W: the word before the caret (and the blanks after it).
  case deleteWordBackward
}

/// A one-line text field: the text and the caret, edited by `LineEdit`s.
public struct LineEditor: Hashable, Sendable {
  public private(set) var characters: [Character]
  /// The caret, 0...characters.count.
  public private(set) var caret: Int
  /// Input longer than this is not taken (a target or an error message is short).
  public static let maximumLength = 512

  public init(_ text: String = "") {
    characters = Array(text)
    caret = characters.count
  }

  public var text: String { String(characters) }

  public mutating func apply(_ edit: LineEdit) {
    switch edit {
    case .insert(let character):
      guard characters.count < Self.maximumLength else { return }
      characters.insert(character, at: caret)
      caret += 1
    case .deleteBackward:
      guard caret > 0 else { return }
      characters.remove(at: caret - 1)
      caret -= 1
    case .deleteForward:
      guard caret < characters.count else { return }
      characters.remove(at: caret)
    case .moveLeft: caret = max(0, caret - 1)
    case .moveRight: caret = min(characters.count, caret + 1)
    case .moveToStart: caret = 0
    case .moveToEnd: caret = characters.count
    case .deleteToStart:
      characters.removeFirst(caret)
      caret = 0
    case .deleteToEnd:
      characters.removeLast(characters.count - caret)
    case .deleteWordBackward:
      var start = caret
      while start > 0, characters[start - 1].isWhitespace { start -= 1 }
      while start > 0, !characters[start - 1].isWhitespace { start -= 1 }
      characters.removeSubrange(start..<caret)
      caret = start
    }
  }

  /// The part of the text to show in a field `width` columns wide, scrolled so the caret stays visible, and the
  /// caret's column inside it.
  public func visible(width: Int) -> (text: String, caretColumn: Int) {
    guard width > 1 else { return ("", 0) }
    let before = characters[..<caret]
    var start = 0
    var used = DisplayWidth.of(String(before))
    while used > width - 1, start < caret {
      used -= DisplayWidth.of(characters[start])
      start += 1
    }
    var shown = ""
    var total = 0
    for character in characters[start...] {
      let width1 = DisplayWidth.of(character)
      if total + width1 > width { break }
      shown.append(character)
      total += width1
    }
    return (shown, used)
  }
}

/// Earlier entries of a field, newest last; Up and Down walk through them and back to what was being typed.
public struct InputHistory: Hashable, Sendable {
  public private(set) var entries: [String]
  /// Which entry is shown, nil while editing the draft.
  public private(set) var position: Int?
  private var draft: String = ""
  public static let capacity = 50

  public init(_ entries: [String] = []) {
    self.entries = Array(entries.suffix(Self.capacity))
  }

  /// Remembers an entry (moving a repeat to the newest place) and goes back to the draft.
  public mutating func record(_ entry: String) {
    let trimmed = entry.trimmingWhitespace
    guard !trimmed.isEmpty else { return }
    entries.removeAll { $0 == trimmed }
    entries.append(trimmed)
    if entries.count > Self.capacity { entries.removeFirst(entries.count - Self.capacity) }
    position = nil
  }

  /// The entry before the one shown (Up); `current` is saved as the draft when leaving it.
  public mutating func previous(current: String) -> String? {
    guard !entries.isEmpty else { return nil }
    switch position {
    case nil:
      draft = current
      position = entries.count - 1
    case let index? where index > 0:
      position = index - 1
    default:
      return nil
    }
    return entries[position!]
  }

  /// The entry after the one shown (Down), or the draft after the newest.
  public mutating func next() -> String? {
    guard let index = position else { return nil }
    if index + 1 < entries.count {
      position = index + 1
      return entries[index + 1]
    }
    position = nil
    return draft
  }

  /// Leaves the walk without changing the entries.
  public mutating func reset() { position = nil }
}

extension String {
  var trimmingWhitespace: String {
    var text = Substring(self)
    while text.first?.isWhitespace == true { text.removeFirst() }
    while text.last?.isWhitespace == true { text.removeLast() }
    return String(text)
  }
}
