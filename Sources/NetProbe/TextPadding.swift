/// The two string chores the tool needs from Foundation, without linking all of Foundation (and ICU) for them:
/// FoundationEssentials has neither.
extension StringProtocol {
  /// Without leading and trailing whitespace (spaces, tabs, line ends).
  public func trimmingWhitespace() -> SubSequence {
    let start = firstIndex { !$0.isWhitespace } ?? endIndex
    let end = lastIndex { !$0.isWhitespace }.map(index(after:)) ?? start
    return self[start..<end]
  }

  /// Left-aligned in a column `width` characters wide: spaces added on the right, never cut.
  public func padded(to width: Int) -> String {
    String(self) + String(repeating: " ", count: Swift.max(0, width - count))
  }
}
