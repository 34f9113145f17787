import ArgumentParser
import NetProbe
import Triage

extension Probe {
  struct Sockets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "sockets",
      abstract: "Show TCP sockets and listen queues, the kernel's drop counters, and connections that stopped moving.",
      discussion: """
        Reads this host's TCP socket table from the kernel (NETLINK_SOCK_DIAG) and samples the kernel's TCP counters
        twice, --interval apart, so what rose during the sample shows. For a listener, "accept queue 3/128" is the
        connections waiting for accept() against its backlog; when the queue is full the kernel drops new handshakes
        (ListenOverflows rises). SYN_RECV counts per listener show half-open handshakes (a SYN-flood sign).
        Processes are named from /proc: other users' processes only when run as root. TIME_WAIT sockets are counted
        but listed only with --state time-wait.

        Examples:
          nettriage probe sockets                          # sockets, warnings, counters and sysctls
          nettriage probe sockets --listen --port 8080     # is anything listening on 8080? (exit 1 if not)
          nettriage probe sockets --state syn-recv -i 0    # half-open handshakes, one sample, no wait
          nettriage probe sockets --stalled -i 5           # connections whose queues hold data and do not drain
          nettriage probe sockets --port 443 --json

        Exit status: 0 normally; 1 when --listen --port N finds no listener on N, or --stalled finds a stalled
        connection; 2 for bad input; 3 when the socket table cannot be read.
        """
    )

    @Flag(help: "Only listening sockets.")
    var listen = false

    @Option(help: "Only sockets whose local or peer port is N.")
    var port: Int?

    @Option(help: "Only sockets in this state (repeatable): established, syn-sent, syn-recv, fin-wait1, fin-wait2, time-wait, close, close-wait, last-ack, listen, closing.")
    var state: [String] = []

    @Flag(help: "List established connections whose send or receive queue holds data and does not drain over --interval.")
    var stalled = false

    @Option(name: .shortAndLong, help: "Seconds between the two samples (decimals allowed); 0 takes one sample, without rates.")
    var interval: Double = 2

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
      if let port { guard (1...65_535).contains(port) else { throw ValidationError("--port must be 1-65535, not \(port)") } }
      guard interval >= 0, interval <= 3600, interval.isFinite else { throw ValidationError("--interval must be 0-3600 seconds") }
      guard !stalled || interval > 0 else { throw ValidationError("--stalled compares two samples: give an --interval above 0") }
      for name in state where TCPState(name: name) == nil {
        throw ValidationError("--state \"\(name)\" is not a TCP state: use one of \(TCPState.allCases.map(\.rawValue).joined(separator: ", "))")
      }
      if listen, !state.isEmpty, state.compactMap(TCPState.init(name:)) != [.listen] {
        throw ValidationError("--listen shows LISTEN sockets only: leave out --state, or drop --listen")
      }
    }

    func run() async throws {
      let states = state.isEmpty ? nil : Set(state.compactMap(TCPState.init(name:)))
      let filter = SocketFilter(listeningOnly: listen, port: port.map(UInt16.init), states: states)
      let output = Output(json: json)
      let duration = Duration.microseconds(Int64(interval * 1_000_000))

      let report: SocketsReport
      do {
        let before = interval > 0 ? try TCPCounterSample.read() : nil
        var stalledReport: StalledReport?
        if stalled {
          stalledReport = try await StalledConnections.find(interval: duration, filter: filter)
        } else if interval > 0 {
          try await Task.sleep(for: duration)
        }
        let after = try TCPCounterSample.read()
        var table = try SocketTable.read(filter: filter)
        // TIME_WAIT sockets can number thousands and hold no process: counted, listed only when asked for.
        let timeWaitNotListed = states == nil ? table.rows.count { $0.state == .timeWait } : 0
        if states == nil { table.rows.removeAll { $0.state == .timeWait } }
        report = SocketsReport(
          filter: filter, table: table, timeWaitNotListed: timeWaitNotListed,
          counters: TCPCounters(before: before, after: after), sysctls: TCPSysctls.read(), stalled: stalledReport,
          listening: listen && port != nil ? !table.listeners.isEmpty : nil)
      } catch let error as SocketProbeError {
        printError("cannot read the socket table: \(error)")
        throw ExitCode(3)
      }

      if json {
        output.object(type: "sockets", report)
      } else {
        for line in report.textLines(showTable: !stalled) { output.line(line) }
      }
      if report.listening == false || !(report.stalled?.stalled.isEmpty ?? true) { throw ExitCode(1) }
    }
  }
}

/// What `probe sockets` found: the one JSON object, and the text made from it.
struct SocketsReport: Encodable {
  let filter: SocketFilter
  let table: SocketTable
  /// TIME_WAIT sockets the filter matched but the table leaves out (no --state given).
  let timeWaitNotListed: Int
  let counters: TCPCounters
  let sysctls: TCPSysctls
  let stalled: StalledReport?
  /// With --listen --port N: whether anything listens on N.
  let listening: Bool?
  let warnings: [String]

  init(filter: SocketFilter, table: SocketTable, timeWaitNotListed: Int, counters: TCPCounters, sysctls: TCPSysctls,
       stalled: StalledReport?, listening: Bool?) {
    self.filter = filter
    self.table = table
    self.timeWaitNotListed = timeWaitNotListed
    self.counters = counters
    self.sysctls = sysctls
    self.stalled = stalled
    self.listening = listening
    warnings = Self.warnings(table: table, counters: counters)
  }

  /// Full accept queues, SYN queues at their limit, and drop counters that rose during the sample.
  static func warnings(table: SocketTable, counters: TCPCounters) -> [String] {
    var warnings: [String] = []
    for listener in table.listeners {
      if listener.isAcceptQueueFull, let queue = listener.acceptQueue, let backlog = listener.backlog {
        warnings.append("the accept queue of \(listener.local) is full (\(queue)/\(backlog)): the application does not accept() fast enough, so new connections are dropped")
      }
      if let halfOpen = listener.synReceived, let backlog = listener.backlog, halfOpen > 0, halfOpen >= max(Int(backlog), 1) {
        warnings.append("\(listener.local) has \(halfOpen) half-open handshakes (SYN_RECV) against a backlog of \(backlog): a SYN flood sign, or clients that do not finish the handshake")
      }
    }
    let seconds = counters.intervalSeconds.map { String(format1: $0) } ?? "?"
    func rose(_ name: String) -> Int64 { max(counters[name]?.change ?? 0, 0) }
    let overflows = rose("ListenOverflows"), drops = rose("ListenDrops")
    if overflows > 0 {
      warnings.append("ListenOverflows rose by \(overflows) during the \(seconds) s sample: a listener's accept queue overflowed and handshakes were dropped")
    }
    if drops > overflows {
      warnings.append("ListenDrops rose by \(drops) during the \(seconds) s sample: listeners dropped SYNs or handshakes")
    }
    if rose("TCPReqQFullDrop") > 0 {
      warnings.append("TCPReqQFullDrop rose by \(rose("TCPReqQFullDrop")): SYNs were dropped because a SYN queue was full and SYN cookies are off")
    }
    let cookies = max(rose("SyncookiesSent"), rose("TCPReqQFullDoCookies"))
    if cookies > 0 {
      warnings.append("\(cookies) SYN cookies were sent during the sample: a SYN queue overflowed (a SYN flood, or a backlog too small)")
    }
    return warnings
  }

  // MARK: Text

  func textLines(showTable: Bool) -> [String] {
    var lines: [String] = []
    if showTable { lines += tableLines() }
    if let stalled { lines += stalledLines(stalled) }
    if let listening, let port = filter.port {
      lines.append(listening ? "something listens on port \(port)" : "nothing listens on port \(port)")
    }
    lines += warnings.map { "warning: " + $0 }
    if showTable, let note = table.owners.note { lines.append("note: " + note) }
    let unnamed = stalled?.stalled.filter { $0.connection.inode != 0 && $0.connection.owners.isEmpty }.count ?? 0
    if unnamed > 0, table.owners.processesNotReadable > 0 {
      lines.append("note: /proc hides the descriptors of \(table.owners.processesNotReadable) of \(table.owners.processesSeen) processes from this user (other users' processes); run as root to name them")
    }
    if showTable, timeWaitNotListed > 0 {
      lines.append("note: \(timeWaitNotListed) TIME_WAIT socket\(timeWaitNotListed == 1 ? "" : "s") not listed (--state time-wait lists them)")
    }
    lines.append("")
    lines += counterLines()
    lines.append("")
    lines.append("TCP sysctls:")
    lines += sysctls.entries.map { "  \($0.name) = \($0.value)" }
    return lines
  }

  private func tableLines() -> [String] {
    let summary = TCPState.allCases.sorted { $0.displayRank < $1.displayRank }.compactMap { state in
      table.stateCounts[state.rawValue].map { "\($0) \(state.rawValue)" }
    }
    var lines = ["TCP sockets on this host: " + (summary.isEmpty ? "none" : summary.joined(separator: ", "))]
    guard !table.rows.isEmpty else {
      lines.append("no socket matches the filter")
      return lines
    }
    let header = ["STATE", "LOCAL", "PEER", "RECV-Q", "SEND-Q", "PROCESS"]
    let cells = table.rows.map { row -> [String] in
      [row.state.rawValue, row.local.description, row.peer?.description ?? "*",
       String(row.receiveQueue), String(row.sendQueue), processText(row)]
    }
    var widths = header.indices.map { column in (cells.map { $0[column].count } + [header[column].count]).max() ?? 0 }
    // A listener's queue text spans the RECV-Q and SEND-Q columns: widen SEND-Q if it does not fit.
    let queueTexts = table.rows.map(listenerQueueText)
    let spanNeeded = queueTexts.compactMap { $0?.count }.max() ?? 0
    widths[4] = max(widths[4], spanNeeded - widths[3] - 2)
    func pad(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(width - text.count, 0)) }
    func join(_ fields: [String], _ spans: [Int]) -> String {
      zip(fields, spans).map { pad($0, $1) }.joined(separator: "  ").trailingSpacesRemoved
    }
    lines.append(join(header, widths))
    for (rowCells, queueText) in zip(cells, queueTexts) {
      if let queueText {
        lines.append(join([rowCells[0], rowCells[1], rowCells[2], queueText, rowCells[5]],
                          [widths[0], widths[1], widths[2], widths[3] + 2 + widths[4], widths[5]]))
      } else {
        lines.append(join(rowCells, widths))
      }
    }
    return lines
  }

  /// `accept queue 3/128` (and the half-open handshakes, when there are any) for a listener; nil otherwise.
  private func listenerQueueText(_ row: SocketRow) -> String? {
    guard row.state == .listen, let queue = row.acceptQueue, let backlog = row.backlog else { return nil }
    let halfOpen = (row.synReceived ?? 0) > 0 ? ", \(row.synReceived!) SYN_RECV" : ""
    return "accept queue \(queue)/\(backlog)\(halfOpen)"
  }

  /// `nginx (pid 812)`; `-` when no descriptor holds the socket (`- (awaiting accept)` in an accept queue);
  /// `? (uid 1000)` when /proc hides the process.
  private func processText(_ row: SocketRow) -> String {
    if row.awaitingAccept == true { return "- (awaiting accept)" }
    if row.inode == 0 { return "-" }
    guard let first = row.owners.first else { return "? (uid \(row.uid))" }
    let text = "\(SafeText.escape(first.name)) (pid \(first.pid))"
    return row.owners.count > 1 ? text + " +\(row.owners.count - 1) more" : text
  }

  private func stalledLines(_ report: StalledReport) -> [String] {
    let compared = "\(report.connectionsCompared) established connection\(report.connectionsCompared == 1 ? "" : "s") compared over \(String(format1: report.intervalSeconds)) s"
    guard !report.stalled.isEmpty else { return ["no stalled connection: \(compared)"] }
    var lines = ["\(report.stalled.count) stalled connection\(report.stalled.count == 1 ? "" : "s") (\(compared)):"]
    for stalled in report.stalled {
      let row = stalled.connection
      lines.append("  \(row.local) -> \(row.peer?.description ?? "*")  recv-q \(row.receiveQueue)  send-q \(row.sendQueue)  \(processText(row))")
      for queue in stalled.stuckQueues {
        lines.append("    \(queue.cause.explanation) (\(queue.bytesBefore) then \(queue.bytesAfter) bytes queued)")
      }
    }
    return lines
  }

  private func counterLines() -> [String] {
    let heading = counters.intervalSeconds.map { "Kernel TCP counters (since boot; change over \(String(format1: $0)) s):" }
      ?? "Kernel TCP counters (since boot; one sample, no change shown):"
    var lines = [heading]
    let nameWidth = counters.counters.map(\.name.count).max() ?? 0
    let valueWidth = counters.counters.map { String($0.value).count }.max() ?? 0
    let changes = counters.counters.map { counter -> String in
      guard let change = counter.change else { return "" }
      let rate = counter.perSecond.map { " (\(String(format1: $0))/s)" } ?? ""
      return (change >= 0 ? "+\(change)" : "\(change)") + rate
    }
    let changeWidth = changes.map(\.count).max() ?? 0
    for (counter, change) in zip(counters.counters, changes) {
      let name = counter.name.padded(to: nameWidth)
      let value = String(repeating: " ", count: valueWidth - String(counter.value).count) + String(counter.value)
      let changeText = changeWidth > 0 ? "  " + change.padded(to: changeWidth) : ""
      lines.append("  \(name)  \(value)\(changeText)  \(counter.meaning)")
    }
    if !counters.missing.isEmpty { lines.append("  not reported by this kernel: " + counters.missing.joined(separator: ", ")) }
    return lines
  }
}

extension String {
  /// One decimal: `2.0`, `0.5`.
  fileprivate init(format1 value: Double) {
    let tenths = (value * 10).rounded()
    guard tenths.isFinite, abs(tenths) < 1e15 else { self = String(value); return }
    let whole = Int64(tenths) / 10, fraction = abs(Int64(tenths) % 10)
    self = (tenths < 0 && whole == 0 ? "-" : "") + "\(whole).\(fraction)"
  }

  fileprivate var trailingSpacesRemoved: String {
    var text = self
    while text.last == " " { text.removeLast() }
    return text
  }
}
