/// The screen's views. The UI keeps a stack of them: the checklist at the bottom, the view in use on top.
public enum Mode: String, Hashable, Sendable, CaseIterable {
  /// The checklist, the selected step's detail and the verdict side by side.
  case checklist
  /// One step's detail over the whole body, scrollable.
  case stepDetail
  /// The verdict in full: on the wire, causes, evidence, what could not be told, every fix.
  case diagnosis
  /// Typing a target.
  case targetEntry
  /// Looking up an error code or message in the explain catalogue, live as you type.
  case lookup
  /// Typing where to export the reports.
  case exportPrompt
  /// Repeat testing: the selected probe in a loop with live statistics.
  case loop
  /// The guided walkthrough.
  case trainee
  /// The list of keys of the view below.
  case help

  /// Views where typed characters go into a field.
  public var takesText: Bool { self == .targetEntry || self == .lookup || self == .exportPrompt }

  /// The view's name in the help overlay.
  public var title: String {
    switch self {
    case .checklist: return "Checklist"
    case .stepDetail: return "Step detail"
    case .diagnosis: return "Diagnosis"
    case .targetEntry: return "Target field"
    case .lookup: return "Error lookup"
    case .exportPrompt: return "Export"
    case .loop: return "Loop"
    case .trainee: return "Trainee mode"
    case .help: return "Help"
    }
  }
}

/// One row of the key table: the keys, what the help overlay and the key bar call it, and the intent it sends.
public struct KeyBinding: Hashable, Sendable {
  public var keys: [Key]
  /// A short word for the key bar ("re-run"); nil keeps the binding out of the bar.
  public var bar: String?
  /// The line in the help overlay.
  public var help: String
  public var intent: Intent

  init(_ keys: [Key], bar: String? = nil, _ help: String, _ intent: Intent) {
    self.keys = keys
    self.bar = bar
    self.help = help
    self.intent = intent
  }

  /// `↑/k`, `q/Esc`: the keys as the help overlay lists them.
  public func keyNames(_ glyphs: Glyphs) -> String { keys.map { $0.name(glyphs) }.joined(separator: "/") }
}

/// Keys to intents, per view: the one table the run loop, the key bar and the help overlay all read.
public enum KeyMap {
  /// The intent of a key in a view, or nil when the key does nothing there.
  public static func intent(for key: Key, mode: Mode) -> Intent? {
    if key == .resize { return .resize }
    if key == .control("c") { return .quit }
    if let binding = bindings(for: mode).first(where: { $0.keys.contains(key) }) { return binding.intent }
    if mode.takesText, case .character(let character) = key { return .edit(.insert(character)) }
    return nil
  }

  /// The bindings of a view, in the order the help overlay lists them.
  public static func bindings(for mode: Mode) -> [KeyBinding] {
    switch mode {
    case .checklist: return checklist
    case .stepDetail: return stepDetail
    case .diagnosis: return diagnosis
    case .targetEntry: return targetEntry
    case .lookup: return lookup
    case .exportPrompt: return exportPrompt
    case .loop: return loop
    case .trainee: return trainee
    case .help: return help
    }
  }

  static let quitKeys = KeyBinding([.character("q"), .escape], bar: "quit", "quit (the terminal is restored)", .back)
  static let backKeys = KeyBinding([.character("q"), .escape], bar: "back", "back to the checklist", .back)
  static let helpKey = KeyBinding([.character("?")], bar: "keys", "this list of keys", .help)
  static let scroll = [
    KeyBinding([.up, .character("k")], "scroll up", .moveUp),
    KeyBinding([.down, .character("j")], "scroll down", .moveDown),
    KeyBinding([.pageUp], "scroll up a page", .pageUp),
    KeyBinding([.pageDown], "scroll down a page", .pageDown),
    KeyBinding([.home], "to the top", .moveToTop),
    KeyBinding([.end], "to the bottom", .moveToBottom),
  ]

  static let checklist: [KeyBinding] = [
    KeyBinding([.up, .character("k")], "select the step above", .moveUp),
    KeyBinding([.down, .character("j")], "select the step below", .moveDown),
    KeyBinding([.home], "select the first step", .moveToTop),
    KeyBinding([.end], "select the last step", .moveToBottom),
    KeyBinding([.enter], bar: "detail", "open the selected step's detail", .open),
    KeyBinding([.character("d")], bar: "verdict", "the verdict in full: causes, evidence, every fix", .showDiagnosis),
    KeyBinding([.character("r")], bar: "re-run", "re-run the selected step", .rerunStep),
    KeyBinding([.character("R")], bar: "all", "re-run the whole checklist", .rerunAll),
    KeyBinding([.character("l")], bar: "loop", "loop the selected step's probe with live statistics", .toggleLoop),
    KeyBinding([.character(" ")], "pause or resume updates on screen", .togglePause),
    KeyBinding([.character("n")], bar: "target", "new target (with history)", .newTarget),
    KeyBinding([.character("/")], bar: "explain", "look up an error code or message", .lookup),
    KeyBinding([.character("t")], bar: "trainee", "trainee mode: a guided walkthrough", .toggleTrainee),
    KeyBinding([.character("e")], bar: "export", "export Markdown and JSON reports", .export),
    helpKey,
    quitKeys,
  ]

  static let stepDetail: [KeyBinding] = scroll + [
    KeyBinding([.left, .character("h")], bar: "prev", "the previous step", .previousStep),
    KeyBinding([.right, .tab], bar: "next", "the next step", .nextStep),
    KeyBinding([.character("r")], bar: "re-run", "re-run this step", .rerunStep),
    KeyBinding([.character("R")], bar: "all", "re-run the whole checklist", .rerunAll),
    KeyBinding([.character("l")], bar: "loop", "loop this step's probe with live statistics", .toggleLoop),
    KeyBinding([.character("d")], bar: "verdict", "the verdict in full", .showDiagnosis),
    KeyBinding([.character("e")], bar: "export", "export Markdown and JSON reports", .export),
    helpKey,
    backKeys,
  ]

  static let diagnosis: [KeyBinding] = scroll + [
    KeyBinding([.character("R")], bar: "re-run all", "re-run the whole checklist", .rerunAll),
    KeyBinding([.character("e")], bar: "export", "export Markdown and JSON reports", .export),
    KeyBinding([.character("/")], bar: "explain", "look up an error code or message", .lookup),
    helpKey,
    backKeys,
  ]

  static let editing: [KeyBinding] = [
    KeyBinding([.left], "caret left", .edit(.moveLeft)),
    KeyBinding([.right], "caret right", .edit(.moveRight)),
    KeyBinding([.home, .control("a")], "to the start", .edit(.moveToStart)),
    KeyBinding([.end, .control("e")], "to the end", .edit(.moveToEnd)),
    KeyBinding([.backspace], "delete before the caret", .edit(.deleteBackward)),
    KeyBinding([.delete, .control("d")], "delete under the caret", .edit(.deleteForward)),
    KeyBinding([.control("u")], "delete to the start", .edit(.deleteToStart)),
    KeyBinding([.control("k")], "delete to the end", .edit(.deleteToEnd)),
    KeyBinding([.control("w")], "delete the word before the caret", .edit(.deleteWordBackward)),
  ]

  static let targetEntry: [KeyBinding] = [
    KeyBinding([.enter], bar: "check it", "check this target", .submit),
    KeyBinding([.up], bar: "history", "earlier targets", .historyPrevious),
    KeyBinding([.down], "later targets, then back to what you typed", .historyNext),
  ] + editing + [
    KeyBinding([.escape], bar: "cancel", "cancel", .back),
  ]

  static let lookup: [KeyBinding] = [
    KeyBinding([.up], bar: "scroll", "scroll the answer up", .moveUp),
    KeyBinding([.down], "scroll the answer down", .moveDown),
    KeyBinding([.pageUp], "scroll up a page", .pageUp),
    KeyBinding([.pageDown], "scroll down a page", .pageDown),
    KeyBinding([.enter], "keep the query in the history", .submit),
    KeyBinding([.control("p")], "earlier queries", .historyPrevious),
    KeyBinding([.control("n")], "later queries", .historyNext),
  ] + editing + [
    KeyBinding([.escape], bar: "close", "close the lookup", .back),
  ]

  static let exportPrompt: [KeyBinding] = [
    KeyBinding([.enter], bar: "write", "write the Markdown and JSON reports there", .submit),
  ] + editing + [
    KeyBinding([.escape], bar: "cancel", "cancel", .back),
  ]

  static let loop: [KeyBinding] = [
    KeyBinding([.character(" ")], bar: "pause", "pause or resume the probes", .togglePause),
    KeyBinding([.character("l")], bar: "stop", "stop the loop and go back", .toggleLoop),
    KeyBinding([.character("c")], bar: "clear", "clear the statistics", .clearStatistics),
    helpKey,
    KeyBinding([.character("q"), .escape], bar: "back", "stop the loop and go back", .back),
  ]

  static let trainee: [KeyBinding] = [
    KeyBinding([.enter], bar: "go on", "run the step, then go on to the next (in practice: answer)", .advance),
    KeyBinding([.up, .character("k")], "scroll up (in practice: the diagnosis above)", .moveUp),
    KeyBinding([.down, .character("j")], "scroll down (in practice: the diagnosis below)", .moveDown),
    KeyBinding([.pageUp], "scroll up a page", .pageUp),
    KeyBinding([.pageDown], "scroll down a page", .pageDown),
    KeyBinding([.character("R")], bar: "again", "walk the checklist again from the first step", .rerunAll),
    KeyBinding([.character("n")], bar: "target", "new target", .newTarget),
    KeyBinding([.character("/")], bar: "explain", "look up an error code or message", .lookup),
    KeyBinding([.character("t")], bar: "leave", "leave trainee mode", .toggleTrainee),
    helpKey,
    KeyBinding([.character("q"), .escape], bar: "back", "leave trainee mode", .back),
  ]

  static let help: [KeyBinding] = [
    KeyBinding([.up, .character("k")], "scroll up", .moveUp),
    KeyBinding([.down, .character("j")], "scroll down", .moveDown),
    KeyBinding([.character("?"), .character("q"), .escape], bar: "close", "close this list", .back),
  ]
}
