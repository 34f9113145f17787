import CNcurses
#if canImport(Glibc)
import Glibc
#endif

/// Facts about the terminal the screen would open on; the screen itself comes with the TUI issue.
public enum Terminal {
  /// The screen needs a terminal on both stdin and stdout.
  public static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

  /// The linked ncurses library's version, e.g. `ncurses 6.4.20221231`.
  public static var cursesVersion: String { String(cString: nt_curses_version()) }
}
