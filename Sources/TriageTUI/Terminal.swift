import CNcurses
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Facts about the terminal the screen opens on.
public enum Terminal {
  /// The screen needs a terminal on both stdin and stdout.
  public static var isInteractive: Bool { isatty(STDIN_FILENO) == 1 && isatty(STDOUT_FILENO) == 1 }

  /// The linked ncurses library's version, e.g. `ncurses 6.4.20221231`.
  public static var cursesVersion: String { String(cString: nt_curses_version()) }

  /// Takes the locale from the environment (`setlocale(LC_ALL, "")`, which wide characters need) and says whether
  /// it is UTF-8; if not, the screen draws in ASCII.
  static func adoptLocale() -> Bool {
    setlocale(LC_ALL, "")
    guard let codeset = nl_langinfo(nl_item(CODESET)) else { return false }
    let name = String(cString: codeset).uppercased()
    return name == "UTF-8" || name == "UTF8"
  }

  /// NO_COLOR (https://no-color.org): set and not empty means no colours.
  static var noColorRequested: Bool {
    guard let value = getenv("NO_COLOR") else { return false }
    return value.pointee != 0
  }
}

/// The curses screen: the only place that calls ncurses. It opens and restores the terminal, draws a `Grid`
/// (only rows that changed; ncurses then sends only changed cells with wnoutrefresh/doupdate), reads keys, and
/// waits for input or a wake-up without spinning.
final class CursesScreen {
  /// Colours are used (a colour terminal and no NO_COLOR).
  let usesColor: Bool
  private var drawn: Grid?
  private var isOpen = false
  private var cellText = [wchar_t](repeating: 0, count: 5)

  /// Opens the screen: cbreak (Ctrl-C stays a signal), no echo, keypad keys decoded, a short Esc delay, the cursor
  /// hidden, input read without blocking (waiting is done with `wait`).
  init(color: Bool) {
    initscr()
    isOpen = true
    cbreak()
    noecho()
    nonl()
    keypad(nt_stdscr(), true)
    nodelay(nt_stdscr(), true)
    intrflush(nt_stdscr(), false)
    set_escdelay(25)
    curs_set(0)
    if color && has_colors() {
      start_color()
      use_default_colors()
      for (pair, foreground) in Self.pairs.enumerated() where pair > 0 {
        init_pair(Int16(pair), Int16(foreground), -1)
      }
      usesColor = true
    } else {
      usesColor = false
    }
  }

  deinit { close() }

  /// Gives the terminal back as it was (endwin restores the saved tty modes and leaves the alternate screen).
  func close() {
    guard isOpen else { return }
    isOpen = false
    curs_set(1)
    endwin()
  }

  /// The terminal's size as curses knows it (updated on KEY_RESIZE).
  var size: ScreenSize { ScreenSize(columns: Int(nt_cols()), rows: Int(nt_lines())) }

  /// Draws everything again on the next `draw` (after a resize).
  func invalidate() {
    drawn = nil
    clearok(nt_stdscr(), true)
  }

  /// Puts the grid on the terminal: rows that differ from the last frame are written to the window, then
  /// wnoutrefresh/doupdate send what changed.
  func draw(_ grid: Grid) {
    let screen = size
    guard grid.size == screen else { return }
    let previous = drawn?.size == grid.size ? drawn : nil
    if previous == nil { werase(nt_stdscr()) }
    for row in 0..<grid.size.rows where previous.map({ $0.row(row) != grid.row(row) }) ?? true {
      var column = 0
      for cell in grid.row(row) {
        defer { column += 1 }
        if cell.isContinuation { continue }
        var count = 0
        for scalar in cell.character.unicodeScalars where count < 4 {
          cellText[count] = wchar_t(bitPattern: scalar.value)
          count += 1
        }
        cellText[count] = 0
        let (attributes, pair) = appearance(cell.style)
        _ = cellText.withUnsafeBufferPointer { nt_put_cell(Int32(row), Int32(column), $0.baseAddress, attributes, pair) }
      }
    }
    if let cursor = grid.cursor {
      curs_set(1)
      wmove(nt_stdscr(), Int32(cursor.row), Int32(cursor.column))
    } else {
      curs_set(0)
    }
    wnoutrefresh(nt_stdscr())
    doupdate()
    drawn = grid
  }

  /// Keys typed since the last call (none when nothing is waiting); curses decodes escape sequences.
  func readKeys() -> [Key] {
    // doupdate is where ncurses acts on a SIGWINCH it recorded (and queues KEY_RESIZE); wget_wch in nodelay mode
    // only does so when the window needs a refresh, so a resize after a quiet frame would wait for the next key.
    doupdate()
    var keys: [Key] = []
    var value: wint_t = 0
    while keys.count < 256 {
      let result = nt_get_key(&value)
      if result == ERR { break }
      if let key = Self.decode(value, isKeyCode: result == KEY_CODE_YES) { keys.append(key) }
    }
    return keys
  }

  /// What woke `wait`.
  struct Readiness {
    var input = false
    var wake = false
    /// The terminal went away (its window closed without a SIGHUP reaching us): nothing more can be read or shown.
    var hangup = false
  }

  /// Blocks until a key is waiting, `wakeDescriptor` becomes readable, or `milliseconds` pass (-1: no limit).
  func wait(wakeDescriptor: Int32, milliseconds: Int32) -> Readiness {
    var descriptors = [
      pollfd(fd: STDIN_FILENO, events: Int16(POLLIN), revents: 0),
      pollfd(fd: wakeDescriptor, events: Int16(POLLIN), revents: 0),
    ]
    guard poll(&descriptors, 2, milliseconds) > 0 else { return Readiness() }
    let gone = Int16(POLLHUP | POLLERR | POLLNVAL)
    return Readiness(input: descriptors[0].revents & Int16(POLLIN) != 0, wake: descriptors[1].revents & Int16(POLLIN) != 0,
                     hangup: descriptors[0].revents & gone != 0)
  }

  /// A key from wget_wch's result: a character, or a key code (KEY_CODE_YES).
  static func decode(_ value: wint_t, isKeyCode: Bool) -> Key? {
    let code = Int32(bitPattern: value)
    if isKeyCode {
      switch code {
      case KEY_UP: return .up
      case KEY_DOWN: return .down
      case KEY_LEFT: return .left
      case KEY_RIGHT: return .right
      case KEY_HOME: return .home
      case KEY_END: return .end
      case KEY_PPAGE: return .pageUp
      case KEY_NPAGE: return .pageDown
      case KEY_BACKSPACE: return .backspace
      case KEY_DC: return .delete
      case KEY_ENTER: return .enter
      case KEY_BTAB: return .backTab
      case KEY_RESIZE: return .resize
      case (KEY_F0 + 1)...(KEY_F0 + 24): return .function(Int(code - KEY_F0))
      default: return nil
      }
    }
    switch value {
    case 10, 13: return .enter
    case 27: return .escape
    case 8, 127: return .backspace
    case 9: return .tab
    case 1...26: return .control(Character(Unicode.Scalar(UInt8(value) + 96)))
    case 0...31: return nil
    default:
      guard let scalar = Unicode.Scalar(UInt32(value)) else { return nil }
      return .character(Character(scalar))
    }
  }

  // MARK: styles

  /// Colour pairs by number: pass green, warn yellow, fail red, running cyan, changed magenta, border blue.
  private static let pairs: [Int32] = [0, COLOR_GREEN, COLOR_YELLOW, COLOR_RED, COLOR_CYAN, COLOR_MAGENTA, COLOR_BLUE]

  /// Attributes and colour pair for a style; without colour, attributes alone keep the roles apart.
  private func appearance(_ style: Style) -> (attr_t, Int16) {
    let bold = nt_a_bold(), dim = nt_a_dim(), reverse = nt_a_reverse(), underline = nt_a_underline(), normal = nt_a_normal()
    guard usesColor else {
      switch style {
      case .normal, .border, .running: return (normal, 0)
      case .dim, .skip: return (dim, 0)
      case .bold, .heading, .pass, .warn, .key: return (bold, 0)
      case .fail, .error: return (bold | underline, 0)
      case .selected: return (reverse, 0)
      case .field: return (underline, 0)
      case .changed: return (bold | underline, 0)
      }
    }
    switch style {
    case .normal: return (normal, 0)
    case .dim, .skip: return (dim, 0)
    case .bold: return (bold, 0)
    case .heading: return (bold, 4)
    case .border: return (normal, 6)
    case .pass: return (bold, 1)
    case .warn: return (bold, 2)
    case .fail, .error: return (bold, 3)
    case .running: return (normal, 4)
    case .selected: return (reverse, 0)
    case .key: return (bold, 4)
    case .field: return (underline, 0)
    case .changed: return (bold, 5)
    }
  }
}

/// Restoring the terminal when the process is told to stop or crashes.
enum TerminalGuard {
  /// Ctrl-C, SIGTERM and SIGHUP become a call of `handler` on a global queue (the UI thread waits in poll). SIGWINCH
  /// stays with ncurses.
  static func terminationSources(_ handler: @escaping @Sendable (Int32) -> Void) -> [DispatchSourceSignal] {
    [SIGINT, SIGTERM, SIGHUP].map { number in
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { handler(number) }
      source.resume()
      return source
    }
  }

  /// Ends the process by a termination signal, as if it had not been caught (the shell sees 128 + number):
  /// the default action, unblocked (libdispatch's signal sources may block it), raised again.
  static func endProcess(by number: Int32) -> Never {
    signal(number, SIG_DFL)
    var set = sigset_t()
    sigemptyset(&set)
    sigaddset(&set, number)
    pthread_sigmask(SIG_UNBLOCK, &set, nil)
    raise(number)
    _exit(128 + number)
  }

  /// The last resort when the UI thread does not answer a termination signal: restore from this thread and leave.
  static func restoreAndExit(_ number: Int32) -> Never {
    endwin()
    _exit(128 + number)
  }

  /// The signals a crash arrives as: a Swift runtime trap (SIGILL/SIGTRAP), a bad access, an abort.
  static let crashSignals = [SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGABRT, SIGFPE]

  /// On a crash, endwin first (so the message and the shell after it are readable), then the handler that was there
  /// before (the Swift runtime's backtracer), then the default action: the process ends by the signal.
  static func installCrashHandlers() {
    for number in crashSignals {
      var action = sigaction()
      action.__sigaction_handler.sa_sigaction = { number, info, context in
        endwin()
        let previous = crashPreviousActions[Int(number)]
        if previous.sa_flags & SA_SIGINFO != 0, let handler = previous.__sigaction_handler.sa_sigaction {
          handler(number, info, context)
        } else if let handler = previous.__sigaction_handler.sa_handler, unsafeBitCast(handler, to: Int.self) > 1 {
          handler(number)  // not SIG_DFL (0) or SIG_IGN (1)
        }
        TerminalGuard.endProcess(by: number)
      }
      sigemptyset(&action.sa_mask)
      action.sa_flags = SA_SIGINFO | SA_ONSTACK
      sigaction(number, &action, crashPreviousActions + Int(number))
    }
  }

  /// Puts the handlers that were there before back.
  static func removeCrashHandlers() {
    for number in crashSignals { sigaction(number, crashPreviousActions + Int(number), nil) }
  }

  /// Wakes the UI thread's poll on SIGWINCH, then lets ncurses' own handler record the resize (so KEY_RESIZE comes
  /// even when the signal lands on another thread).
  static func chainResizeWakeUp(to descriptor: Int32) {
    resizeWakeDescriptor = descriptor
    var action = sigaction()
    action.__sigaction_handler.sa_handler = { number in
      // ncurses records the resize first, so the UI thread finds it when the byte wakes it.
      if let previous = resizePreviousAction.pointee.__sigaction_handler.sa_handler,
         unsafeBitCast(previous, to: Int.self) > 1 {  // not SIG_DFL (0) or SIG_IGN (1)
        previous(number)
      }
      let saved = errno
      var byte: UInt8 = 0x57
      _ = write(resizeWakeDescriptor, &byte, 1)
      errno = saved
    }
    sigemptyset(&action.sa_mask)
    action.sa_flags = SA_RESTART
    sigaction(SIGWINCH, &action, resizePreviousAction)
  }

  static func removeResizeWakeUp() {
    sigaction(SIGWINCH, resizePreviousAction, nil)
  }
}

// Read by signal handlers, which can capture nothing: written once before the handlers are installed.
nonisolated(unsafe) private let crashPreviousActions = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
nonisolated(unsafe) private let resizePreviousAction = UnsafeMutablePointer<sigaction>.allocate(capacity: 1)
nonisolated(unsafe) private var resizeWakeDescriptor: Int32 = -1

/// A pipe whose read end wakes the UI thread's poll: engine snapshots, loop results and signals write a byte.
final class WakePipe: @unchecked Sendable {
  let readDescriptor: Int32
  let writeDescriptor: Int32

  /// The corresponding C functions are `pipe(2)`, then `fcntl(2)` for O_NONBLOCK and FD_CLOEXEC on both ends.
  init?() {
    var descriptors: [Int32] = [-1, -1]
    guard pipe(&descriptors) == 0 else { return nil }
    for descriptor in descriptors {
      _ = fcntl(descriptor, F_SETFL, fcntl(descriptor, F_GETFL) | O_NONBLOCK)
      _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
    }
    readDescriptor = descriptors[0]
    writeDescriptor = descriptors[1]
  }

  deinit {
    Glibc.close(readDescriptor)
    Glibc.close(writeDescriptor)
  }

  /// Wakes the reader; a full pipe already will.
  func wake() {
    var byte: UInt8 = 0x21
    _ = write(writeDescriptor, &byte, 1)
  }

  /// Empties the pipe.
  func drain() {
    var buffer = [UInt8](repeating: 0, count: 256)
    while read(readDescriptor, &buffer, buffer.count) > 0 {}
  }
}
