/// Quoting of this run's values in copyable fix commands. A host name or address is plain and stays as it is;
/// anything else (a name with spaces, quotes, `$`, `;`, globs) becomes one literal word of the command's shell.
public enum ShellQuoting: Sendable {
  /// Plain text, not a command.
  case none
  /// POSIX shells (the Linux commands): single quotes, a quote inside as `'\''`.
  case posix
  /// PowerShell (the Windows commands): single quotes, a quote inside doubled.
  case powerShell

  /// Characters that mean nothing to either shell inside a word: host names, addresses with zones, ports, paths.
  static func isPlain(_ value: String) -> Bool {
    !value.isEmpty && value.unicodeScalars.allSatisfy { scalar in
      switch scalar {
      case "a"..."z", "A"..."Z", "0"..."9", ".", "-", "_", ":", "/", "%", "+", "=", ",", "@": true
      default: false
      }
    }
  }

  public func quote(_ value: String) -> String {
    if case .none = self { return value }
    if Self.isPlain(value) { return value }
    switch self {
    case .none: return value
    case .posix: return "'" + value.replacing("'", with: "'\\''") + "'"
    case .powerShell:
      // PowerShell also ends a single-quoted string at the typographic quotes ‘ ’ ‚ ‛.
      var quoted = "'"
      for character in value {
        quoted.append(character)
        if "'\u{2018}\u{2019}\u{201A}\u{201B}".contains(character) { quoted.append(character) }
      }
      return quoted + "'"
    }
  }
}
