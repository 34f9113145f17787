import NetProbe
import Triage

/// The screen as a pure function of the state and the size: no terminal, no clock, no I/O.
///
/// ```
///  row 0     nettriage  Target 127.0.0.1:8080 (tcp)                       ⠹ running 0.4 s
///  row 1     address 127.0.0.1 (numeric) · from 127.0.0.1:41234             root, CAP_NET_RAW
///  body      ┌ Checklist ──────┐┌ Destination ──────────────────────────────────────┐
///            │ ✔ Path picture  ││ step detail: result, evidence, probes, findings     │
///            └─────────────────┘└─────────────────────────────────────────────────────┘
///            ┌ Diagnosis ───────────────────────────────────────────────────────────┐
///            │ verdict, summary, evidence, fixes with this run's values              │
///            └──────────────────────────────────────────────────────────────────────┘
///  rows-2    message row (field errors, export prompt, what changed)
///  rows-1    key bar: the keys of the view in use
/// ```
/// The step detail, the verdict in full, the loop, trainee mode and the error lookup take the whole body; the help
/// overlay is drawn over the view it describes. Below 80x24 the screen asks to be enlarged.
public enum Renderer {
  public static func render(_ state: ScreenState, size: ScreenSize) -> Grid {
    var grid = Grid(size: size, asciiOnly: state.glyphs.asciiOnly)
    guard size.columns >= ScreenSize.minimum.columns, size.rows >= ScreenSize.minimum.rows else {
      drawEnlargeMessage(&grid)
      return grid
    }
    let layout = Layout(size)
    drawHeader(&grid, state, layout)
    switch bodyMode(state.ui) {
    case .stepDetail: drawScrolled(&grid, state, mode: .stepDetail, rect: layout.body, title: stepTitle(state))
    case .diagnosis: drawScrolled(&grid, state, mode: .diagnosis, rect: layout.body, title: diagnosisTitle(state, full: true))
    case .loop: drawLoop(&grid, state, layout)
    case .trainee: drawTrainee(&grid, state, layout)
    case .lookup: drawLookup(&grid, state, layout)
    default: drawMain(&grid, state, layout)
    }
    drawMessageRow(&grid, state, layout)
    drawKeyBar(&grid, state, layout)
    if state.ui.mode == .help { drawHelp(&grid, state, layout) }
    return grid
  }

  /// Where the screen's parts go at a size (80x24 and up).
  struct Layout {
    let size: ScreenSize
    let body: Rect
    let checklist: Rect
    let detail: Rect
    let diagnosis: Rect
    var messageRow: Int { size.rows - 2 }
    var keyBarRow: Int { size.rows - 1 }

    init(_ size: ScreenSize) {
      self.size = size
      body = Rect(row: 2, column: 0, width: size.columns, height: size.rows - 4)
      let checklistWidth = min(56, max(30, size.columns * 3 / 8))
      let diagnosisHeight = max(11, body.height * 9 / 20)
      let topHeight = max(9, body.height - diagnosisHeight)
      checklist = Rect(row: body.row, column: 0, width: checklistWidth, height: topHeight)
      detail = Rect(row: body.row, column: checklistWidth, width: size.columns - checklistWidth, height: topHeight)
      diagnosis = Rect(row: body.row + topHeight, column: 0, width: size.columns, height: body.height - topHeight)
    }

    /// Trainee mode: the checklist down the left, the guide on the right.
    var traineeChecklist: Rect { Rect(row: body.row, column: 0, width: checklist.width, height: body.height) }
    var traineeGuide: Rect { Rect(row: body.row, column: checklist.width, width: size.columns - checklist.width, height: body.height) }
    /// The lookup's field sits on the body's first inner row; answers below it.
    var lookupAnswers: Rect { Rect(row: body.row + 3, column: body.column + 2, width: body.width - 4, height: body.height - 4) }
  }

  /// The view that fills the body: the topmost of the stack that has one.
  static func bodyMode(_ ui: UIState) -> Mode {
    ui.stack.last { [.checklist, .stepDetail, .diagnosis, .loop, .trainee, .lookup].contains($0) } ?? .checklist
  }

  /// The rectangle a scrollable view shows its lines in.
  public static func viewport(for mode: Mode, size: ScreenSize) -> Rect {
    guard size.columns >= ScreenSize.minimum.columns, size.rows >= ScreenSize.minimum.rows else { return Rect(row: 0, column: 0, width: 0, height: 0) }
    let layout = Layout(size)
    switch mode {
    case .trainee: return layout.traineeGuide.content
    case .lookup: return layout.lookupAnswers
    case .help: return helpBox(lines: Int.max / 4, layout: layout).content
    default: return layout.body.content
    }
  }

  /// How far a view can scroll: its lines beyond the viewport.
  public static func scrollLimit(for mode: Mode, state: ScreenState) -> Int {
    let viewport = viewport(for: mode, size: state.ui.size)
    guard viewport.width > 0 else { return 0 }
    return max(0, content(for: mode, state: state, width: viewport.width).count - viewport.height)
  }

  /// The lines of a scrollable view.
  static func content(for mode: Mode, state: ScreenState, width: Int) -> [StyledLine] {
    switch mode {
    case .stepDetail:
      guard let snapshot = state.snapshot else { return [] }
      return StepContent.lines(snapshot.step(state.ui.selected), state: state, width: width)
    case .diagnosis: return VerdictContent.lines(state, width: width, full: true)
    case .trainee: return state.ui.trainee.map { TraineeContent.lines($0, state: state, width: width) } ?? []
    case .lookup: return LookupContent.lines(state.ui.lookupResult, query: state.ui.lookupField.text, glyphs: state.glyphs, width: width)
    case .help: return helpLines(state)
    default: return []
    }
  }

  // MARK: small screens

  static func drawEnlargeMessage(_ grid: inout Grid) {
    let size = grid.size
    let lines = [
      ("Enlarge the window", Style.warn),
      ("nettriage needs \(ScreenSize.minimum), this one is \(size).", Style.normal),
      ("q quits", Style.dim),
    ]
    let wrapped = lines.flatMap { text, style in TextWrap.wrap(text, width: max(1, size.columns), style: style) }
    let top = max(0, (size.rows - wrapped.count) / 2)
    for (index, line) in wrapped.enumerated() where top + index < size.rows {
      let column = max(0, (size.columns - line.width) / 2)
      grid.put(line, row: top + index, column: column, limit: size.columns - column)
    }
  }

  // MARK: header

  static func drawHeader(_ grid: inout Grid, _ state: ScreenState, _ layout: Layout) {
    let width = layout.size.columns
    let glyphs = state.glyphs
    let status = statusText(state)
    let statusWidth = status.width
    var used = grid.put(StyledLine(" nettriage ", .heading), row: 0, column: 0, limit: width)
    used += 1
    if state.ui.stack.contains(.targetEntry) {
      used += grid.put(StyledLine("Target ", .bold), row: 0, column: used, limit: width - used)
      let fieldWidth = max(10, width - used - statusWidth - 3)
      let (text, caret) = state.ui.targetField.visible(width: fieldWidth)
      grid.put(TextWrap.pad(text, to: fieldWidth), row: 0, column: used, style: .field, limit: fieldWidth)
      if state.ui.mode == .targetEntry { grid.cursor = GridPosition(row: 0, column: used + caret) }
    } else {
      let target = targetLine(state).truncated(to: max(10, width - used - statusWidth - 2), ellipsis: glyphs.ellipsis)
      grid.put(target, row: 0, column: used, limit: width - used)
    }
    grid.put(status, row: 0, column: width - statusWidth - 1, limit: statusWidth)

    let privileges = privilegesText(state.ui.privileges)
    let facts = factsLine(state).truncated(to: max(10, width - privileges.width - 3), ellipsis: glyphs.ellipsis)
    grid.put(facts, row: 1, column: 1, limit: width - 1)
    grid.put(privileges, row: 1, column: width - privileges.width - 1, limit: privileges.width)
  }

  /// `Target 127.0.0.1:8080 (tcp)`, with the parsed host and port when the target was a URL.
  static func targetLine(_ state: ScreenState) -> StyledLine {
    guard let target = state.ui.target else {
      return StyledLine([Span("Target ", .bold), Span("none: the local checks only (n types one)", .dim)])
    }
    var line = StyledLine([Span("Target ", .bold), Span(SafeText.escape(target.text), .bold)])
    if let internet = target.internet, internet.description != target.text.trimmingWhitespace {
      line.append(" \(state.glyphs.arrowRight) " + SafeText.escape(internet.description))
    }
    line.append(" (\(target.transport.rawValue))", .dim)
    if state.ui.practice != nil {
      line.append("  practice round", .warn)
    } else if state.ui.trainee != nil {
      line.append("  trainee mode", .warn)
    }
    return line
  }

  /// The resolved address, the source address and interface.
  static func factsLine(_ state: ScreenState) -> StyledLine {
    guard let target = state.ui.target else { return StyledLine("") }
    let evidence = state.snapshot?.evidence
    var parts: [String] = []
    switch target.target {
    case .unix(let path):
      parts.append("unix socket " + SafeText.escape(path))
    case .inet(let internet):
      switch internet.host {
      case .address(let address, _):
        parts.append("address \(address) (numeric)")
      case .name(let name):
        if let dns = evidence?.dns {
          let addresses = dns.addresses.map(\.description)
          parts.append(SafeText.escape(name) + " \(state.glyphs.arrowRight) " + (addresses.isEmpty ? dns.outcome.rawValue : addresses.joined(separator: ", ")))
        } else {
          parts.append(SafeText.escape(name) + " (not resolved yet)")
        }
      }
    }
    let attempt = evidence?.connects.last?.final
    if let source = evidence?.route?.source {
      parts.append("from \(source)")
    } else if let local = attempt?.local {
      parts.append("from \(local)")
    }
    if let interface = evidence?.route?.interface {
      parts.append("via " + SafeText.escape(interface))
    }
    return StyledLine(parts.joined(separator: " · "))
  }

  static func privilegesText(_ privileges: Privileges?) -> StyledLine {
    guard let privileges else { return StyledLine("") }
    let user = privileges.user_id == 0 ? "root" : "uid \(privileges.user_id)"
    return privileges.net_raw
      ? StyledLine([Span(user + ", CAP_NET_RAW", .dim)])
      : StyledLine([Span(user + ", ", .dim), Span("no CAP_NET_RAW", .warn)])
  }

  static func statusText(_ state: ScreenState) -> StyledLine {
    guard let snapshot = state.snapshot else { return StyledLine("") }
    if state.ui.isPaused { return StyledLine("paused (Space resumes)", .warn) }
    if state.isRunning {
      let spinner = state.glyphs.mark(.running, frame: state.ui.spinnerFrame)
      let clock = max(snapshot.elapsedMicroseconds, state.ui.clockMicroseconds ?? 0)
      return StyledLine([Span(String(spinner) + " running ", .running), Span(Format.duration(clock))])
    }
    if state.ui.stepByStep && snapshot.final == nil { return StyledLine("step by step", .dim) }
    return StyledLine("done in " + Format.duration(snapshot.elapsedMicroseconds), .dim)
  }

  // MARK: the main view

  static func drawMain(_ grid: inout Grid, _ state: ScreenState, _ layout: Layout) {
    drawChecklist(&grid, state, rect: layout.checklist, selected: state.ui.selected)
    grid.box(layout.detail, title: stepTitle(state), glyphs: state.glyphs)
    if let snapshot = state.snapshot {
      let inner = layout.detail.content
      let lines = StepContent.lines(snapshot.step(state.ui.selected), state: state, width: inner.width)
      drawClipped(&grid, lines, rect: inner, more: "Enter shows all", glyphs: state.glyphs)
    }
    grid.box(layout.diagnosis, title: diagnosisTitle(state, full: false), glyphs: state.glyphs)
    let inner = layout.diagnosis.content
    drawClipped(&grid, VerdictContent.lines(state, width: inner.width, full: false), rect: inner, more: "d shows the verdict in full",
                glyphs: state.glyphs)
  }

  static func stepTitle(_ state: ScreenState) -> StyledLine {
    let index = (StepID.allCases.firstIndex(of: state.ui.selected) ?? 0) + 1
    return StyledLine("\(index) \(state.ui.selected.title)", .heading)
  }

  static func diagnosisTitle(_ state: ScreenState, full: Bool) -> StyledLine {
    var title = StyledLine(full ? "Diagnosis in full" : "Diagnosis", .heading)
    if let snapshot = state.snapshot, snapshot.final == nil, snapshot.provisional != nil { title.append(" (provisional)", .warn) }
    return title
  }

  /// The steps in order with their marks; the selected one highlighted.
  static func drawChecklist(_ grid: inout Grid, _ state: ScreenState, rect: Rect, selected: StepID) {
    let glyphs = state.glyphs
    grid.box(rect, title: StyledLine("Checklist", .heading), glyphs: glyphs)
    let inner = rect.inner
    let showSummary = inner.width >= 40
    for (index, id) in StepID.allCases.enumerated() where index < inner.height {
      let step = state.snapshot?.step(id) ?? StepState(id: id)
      let row = inner.row + index
      let mark = glyphs.mark(step.status, frame: state.ui.spinnerFrame)
      let right = stepTime(step, state: state)
      let changed = state.ui.changes[id] != nil
      let rightWidth = DisplayWidth.of(right) + (changed ? 2 : 0) + 1
      let pointer = id == selected ? "▸" : " "
      var line = StyledLine([Span(pointer, .selected), Span(String(mark) + " ", step.status.style),
                             Span(showSummary ? TextWrap.pad(id.title, to: 17) : id.title)])
      let room = inner.width - line.width - rightWidth - 1
      if showSummary, !step.summary.isEmpty, room > 4 {
        line.append(TextWrap.truncate(SafeText.escape(step.summary), width: room, ellipsis: glyphs.ellipsis), .dim)
      }
      // The time (and the changed mark) keep their place at the right; a long title gives way to them.
      grid.put(line, row: row, column: inner.column, limit: inner.width - rightWidth)
      var column = inner.column + inner.width - rightWidth
      if changed {
        grid.put(String(glyphs.changed), row: row, column: column, style: .changed)
        column += 2
      }
      grid.put(right, row: row, column: column, style: step.status == .running ? .running : .dim)
      if id == selected { grid.restyle(row: row, column: inner.column + 3, width: inner.width - 3, style: .selected) }
      if id == selected { grid.restyle(row: row, column: inner.column, width: 1, style: .selected) }
    }
    // Room below the steps (larger screens): the verdict in a word and a legend of the marks.
    let below = inner.height - StepID.allCases.count
    if below >= 3, !state.ui.hidesVerdict, let diagnosis = state.snapshot?.diagnosis,
       state.ui.target != nil || VerdictContent.localDiagnoses.contains(diagnosis.id) {
      let good = diagnosis.id == .reachable
      grid.put(StyledLine([Span(" verdict ", .dim), Span(diagnosis.id.rawValue, good ? .pass : .fail)]),
               row: inner.row + StepID.allCases.count + 1, column: inner.column, limit: inner.width)
    }
    if below >= 5 {
      var legend = StyledLine([
        Span(" \(glyphs.pass) pass ", .pass), Span("\(glyphs.warn) warn ", .warn), Span("\(glyphs.fail) fail ", .fail),
        Span("\(glyphs.skip) skip", .skip),
      ])
      if legend.width + 10 <= inner.width { legend.append("  \(glyphs.pending) pending", .dim) }
      if legend.width <= inner.width { grid.put(legend, row: inner.row + inner.height - 1, column: inner.column, limit: inner.width) }
    }
  }

  /// The right-hand column of a step's row: its time, or what it waits for.
  static func stepTime(_ step: StepState, state: ScreenState) -> String {
    switch step.status {
    case .pending: return ""
    case .running:
      guard let start = step.startedMicroseconds, let clock = state.ui.clockMicroseconds, clock >= start else { return "" }
      return Format.duration(clock - start)
    case .skip: return "skip"
    default: return step.durationMicroseconds.map(Format.duration) ?? ""
    }
  }

  /// Lines from the top of a rectangle; when they overflow, the last row says how many more and where to see them.
  static func drawClipped(_ grid: inout Grid, _ lines: [StyledLine], rect: Rect, more: String, glyphs: Glyphs) {
    guard rect.height > 0 else { return }
    let overflow = lines.count > rect.height
    let shown = overflow ? rect.height - 1 : lines.count
    for index in 0..<shown {
      grid.put(lines[index].truncated(to: rect.width, ellipsis: glyphs.ellipsis), row: rect.row + index, column: rect.column, limit: rect.width)
    }
    if overflow {
      let note = "\(glyphs.ellipsis) \(lines.count - shown) more line\(lines.count - shown == 1 ? "" : "s"): \(more)"
      grid.put(StyledLine(note, .dim).truncated(to: rect.width, ellipsis: glyphs.ellipsis), row: rect.row + shown, column: rect.column, limit: rect.width)
    }
  }

  /// A boxed view over a rectangle showing its lines from the scroll offset, with a scroll position in the corner.
  static func drawScrolled(_ grid: inout Grid, _ state: ScreenState, mode: Mode, rect: Rect, title: StyledLine) {
    grid.box(rect, title: title, glyphs: state.glyphs)
    let inner = rect.content
    let lines = content(for: mode, state: state, width: inner.width)
    drawWindow(&grid, lines, rect: inner, scroll: state.ui.scroll[mode] ?? 0, glyphs: state.glyphs, boxBottom: rect.row + rect.height - 1)
  }

  static func drawWindow(_ grid: inout Grid, _ lines: [StyledLine], rect: Rect, scroll: Int, glyphs: Glyphs, boxBottom: Int?) {
    let limit = max(0, lines.count - rect.height)
    let offset = min(limit, max(0, scroll))
    for index in 0..<min(rect.height, lines.count - offset) {
      grid.put(lines[offset + index].truncated(to: rect.width, ellipsis: glyphs.ellipsis), row: rect.row + index, column: rect.column, limit: rect.width)
    }
    if limit > 0, let boxBottom {
      let position = " \(offset + 1)-\(min(lines.count, offset + rect.height)) of \(lines.count) "
      grid.put(position, row: boxBottom, column: rect.column + rect.width - DisplayWidth.of(position) - 1, style: .dim)
    }
  }

  // MARK: loop, trainee, lookup

  static func drawLoop(_ grid: inout Grid, _ state: ScreenState, _ layout: Layout) {
    guard let loop = state.ui.loop else { return drawMain(&grid, state, layout) }
    let glyphs = state.glyphs
    var title = StyledLine("Loop ", .heading)
    title.append(loop.label)
    title.append(" every " + Format.duration(loop.intervalMicroseconds), .dim)
    if loop.isPaused {
      title.append("  paused", .warn)
    } else {
      title.append("  " + String(glyphs.mark(.running, frame: state.ui.spinnerFrame)), .running)
    }
    grid.box(layout.body, title: title, glyphs: glyphs)
    let inner = layout.body.content
    let lines = LoopContent.lines(loop, glyphs: glyphs, width: inner.width, height: inner.height)
    drawClipped(&grid, lines, rect: inner, more: "", glyphs: glyphs)
  }

  static func drawTrainee(_ grid: inout Grid, _ state: ScreenState, _ layout: Layout) {
    guard let trainee = state.ui.trainee else { return drawMain(&grid, state, layout) }
    drawChecklist(&grid, state, rect: layout.traineeChecklist, selected: trainee.step)
    let index = trainee.stepIndex + 1
    let title: StyledLine = trainee.phase == .verdict
      ? StyledLine(state.ui.isPicking ? "Practice: your diagnosis" : "Trainee: the verdict", .heading)
      : StyledLine([Span("Trainee: step \(index) of \(StepID.allCases.count), ", .heading), Span(trainee.step.title, .bold)])
    drawScrolled(&grid, state, mode: .trainee, rect: layout.traineeGuide, title: title)
  }

  static func drawLookup(_ grid: inout Grid, _ state: ScreenState, _ layout: Layout) {
    let glyphs = state.glyphs
    grid.box(layout.body, title: StyledLine("Look up an error code or message", .heading), glyphs: glyphs)
    let inner = layout.body.content
    let label = "Error: "
    grid.put(label, row: inner.row, column: inner.column, style: .bold)
    let fieldWidth = inner.width - DisplayWidth.of(label)
    let (text, caret) = state.ui.lookupField.visible(width: fieldWidth)
    grid.put(TextWrap.pad(text, to: fieldWidth), row: inner.row, column: inner.column + DisplayWidth.of(label), style: .field, limit: fieldWidth)
    if state.ui.mode == .lookup { grid.cursor = GridPosition(row: inner.row, column: inner.column + DisplayWidth.of(label) + caret) }
    let answers = layout.lookupAnswers
    let lines = content(for: .lookup, state: state, width: answers.width)
    drawWindow(&grid, lines, rect: answers, scroll: state.ui.scroll[.lookup] ?? 0, glyphs: glyphs, boxBottom: layout.body.row + layout.body.height - 1)
  }

  // MARK: message row and key bar

  static func drawMessageRow(_ grid: inout Grid, _ state: ScreenState, _ layout: Layout) {
    let row = layout.messageRow
    let width = layout.size.columns
    let glyphs = state.glyphs
    if state.ui.mode == .exportPrompt {
      let label = " Export to: "
      let hint = "  .md and .json"
      grid.put(label, row: row, column: 0, style: .bold)
      let start = DisplayWidth.of(label)
      let fieldWidth = max(10, width - start - DisplayWidth.of(hint) - 1)
      let (text, caret) = state.ui.exportField.visible(width: fieldWidth)
      grid.put(TextWrap.pad(text, to: fieldWidth), row: row, column: start, style: .field, limit: fieldWidth)
      grid.put(hint, row: row, column: start + fieldWidth, style: .dim)
      grid.cursor = GridPosition(row: row, column: start + caret)
      return
    }
    var line: StyledLine
    if state.ui.stack.contains(.targetEntry), let error = state.ui.fieldError {
      line = StyledLine([Span(" " + String(glyphs.fail) + " ", .error), Span(SafeText.escape(error), .error)])
    } else if state.ui.mode == .targetEntry {
      line = StyledLine(" HOST:PORT, [IPv6]:PORT, HOST PORT, a URL or unix:/path; \(Key.up.name(glyphs)) earlier targets", .dim)
    } else if let message = state.ui.message {
      line = StyledLine(" " + message.text, message.isError ? .error : .normal)
    } else if !state.ui.changes.isEmpty {
      let count = state.ui.changes.count
      line = StyledLine(" \(glyphs.changed) \(count) step\(count == 1 ? "" : "s") changed since the last run", .changed)
    } else {
      line = StyledLine("")
    }
    grid.put(line.truncated(to: width, ellipsis: glyphs.ellipsis), row: row, column: 0, limit: width)
  }

  static func drawKeyBar(_ grid: inout Grid, _ state: ScreenState, _ layout: Layout) {
    let glyphs = state.glyphs
    let width = layout.size.columns - 1
    let items = KeyMap.bindings(for: state.ui.mode).compactMap { binding -> StyledLine? in
      guard let label = binding.bar, let key = binding.keys.first else { return nil }
      return StyledLine([Span(key.name(glyphs), .key), Span(" " + label)])
    }
    // The last two (keys, and back or quit) always show; the others while they fit.
    let kept = Array(items.suffix(2))
    var line = StyledLine(" ")
    let reserved = kept.reduce(0) { $0 + $1.width + 2 }
    for item in items.dropLast(2) where line.width + item.width + 2 + reserved <= width {
      line = line + item + StyledLine("  ")
    }
    for item in kept { line = line + item + StyledLine("  ") }
    grid.put(line, row: layout.keyBarRow, column: 0, limit: layout.size.columns)
  }

  // MARK: help

  /// The view the help overlay describes: the one under it.
  static func describedMode(_ ui: UIState) -> Mode {
    ui.stack.count >= 2 ? ui.stack[ui.stack.count - 2] : .checklist
  }

  static func helpLines(_ state: ScreenState) -> [StyledLine] {
    let glyphs = state.glyphs
    let described = describedMode(state.ui)
    let bindings = KeyMap.bindings(for: described)
    let keyWidth = min(22, (bindings.map { DisplayWidth.of($0.keyNames(glyphs)) }.max() ?? 8) + 2)
    var lines: [StyledLine] = []
    for binding in bindings {
      lines.append(StyledLine([Span("  " + TextWrap.pad(binding.keyNames(glyphs), to: keyWidth), .key), Span(binding.help)]))
    }
    if described.takesText {
      lines.append(StyledLine([Span("  " + TextWrap.pad("any other key", to: keyWidth), .key), Span("goes into the field")]))
    }
    lines.append("")
    lines.append(StyledLine("  Ctrl-C quits from anywhere; the terminal is always restored.", .dim))
    return lines
  }

  /// Centred over the body when the screen is wide; the whole body on a narrow one, so no box edges cross.
  static func helpBox(lines: Int, layout: Layout) -> Rect {
    let width = layout.size.columns < 100 ? layout.size.columns : 80
    let height = min(layout.body.height, lines + 2)
    return Rect(row: layout.body.row + max(0, (layout.body.height - height) / 2), column: (layout.size.columns - width) / 2,
                width: width, height: height)
  }

  static func drawHelp(_ grid: inout Grid, _ state: ScreenState, _ layout: Layout) {
    let lines = helpLines(state)
    let box = helpBox(lines: lines.count, layout: layout)
    grid.clear(box)
    grid.cursor = nil
    let title = StyledLine([Span("Keys: \(describedMode(state.ui).title)", .heading), Span("  (? or Esc closes)", .dim)])
    drawScrolled(&grid, state, mode: .help, rect: box, title: title)
  }
}
