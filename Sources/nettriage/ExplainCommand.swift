import ArgumentParser
import FoundationEssentials
import Triage

struct ExplainCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "explain",
    abstract: "Explain an error number, name or message from a ticket: what happened on the wire, causes, fixes.",
    discussion: """
      QUERY is a number (111, 10061, -2, 0x274D), a symbolic name (ECONNREFUSED, WSAECONNREFUSED,
      ERROR_CONNECTION_REFUSED, EAI_NONAME, ERR_NAME_NOT_RESOLVED) or a message as the user saw it. Every meaning
      is listed, best first: Linux and macOS/BSD errno, Winsock, Windows system errors, getaddrinfo, curl exit
      codes, and the texts of Python, Java, .NET, Node.js, Go, ssh, browsers, ping, nc and telnet. Matches that
      mean the same thing share one block; --all prints each in full.

      Examples:
        nettriage explain 10060
        nettriage explain ECONNREFUSED
        nettriage explain "ssh: connect to host example.com port 22: Connection refused"
        nettriage explain -- -2
        nettriage explain 64 --json
        nettriage explain --list --system winsock

      Exit status: 0 when something matched (or --list), 1 when nothing did, 2 for bad input, 3 when the built-in
      catalogue does not load.
      """
  )

  @Argument(parsing: .allUnrecognized, help: "A number, a symbolic name or a message (quotes optional).")
  var query: [String] = []

  @Flag(help: "Print the whole catalogue, one line per entry.")
  var list = false

  @Option(help: "Only this system: linux-errno, bsd-errno, winsock, windows, getaddrinfo, curl, python, java, dotnet, node, go, ssh, browser, ping, netcat, telnet.")
  var system: String?

  @Flag(help: "Print every match in full, not one block per meaning.")
  var all = false

  @Flag(help: "Print one JSON object.")
  var json = false

  func run() throws {
    let words = try queryWords()
    let systemFilter = try parsedSystem()
    let catalogue: ErrorCatalogue
    do {
      catalogue = try ErrorCatalogue.embedded()
    } catch {
      printError("the built-in error catalogue does not load: \(error.description)")
      throw ExitCode(3)
    }
    let output = Output(json: json)
    if list {
      guard words.isEmpty else { throw UsageFailure(message: "--list takes no query: use either --list or a query") }
      printList(catalogue.entries.filter { systemFilter == nil || $0.system == systemFilter }, output: output)
      return
    }
    guard !words.isEmpty else {
      throw UsageFailure(message: "give an error number, name or message to explain, or --list (see nettriage explain --help)")
    }
    let answer = catalogue.explain(words.joined(separator: " "), system: systemFilter)
    if json {
      output.object(type: "explanation", answer)
    } else {
      printAnswer(answer, catalogue: catalogue, output: output)
    }
    if answer.matches.isEmpty { throw ExitCode(1) }
  }

  /// The query words; an unknown option (`--bogus`) is a usage error, a negative number (`-2`) is a query, and
  /// after `--` every word is a query word.
  private func queryWords() throws -> [String] {
    var words: [String] = []
    var optionsEnded = false
    for word in query {
      if !optionsEnded && word == "--" {
        optionsEnded = true
        continue
      }
      if !optionsEnded && word.hasPrefix("-") && word.count > 1 && !word.dropFirst().allSatisfy(\.isNumber) {
        throw UsageFailure(message: "unknown option \(word) (see nettriage explain --help)")
      }
      if !word.trimmingWhitespace().isEmpty { words.append(word) }
    }
    return words
  }

  private func parsedSystem() throws -> ErrorCatalogue.System? {
    guard let system else { return nil }
    guard let parsed = ErrorCatalogue.System(argument: system) else {
      let names = ErrorCatalogue.System.allCases.map(\.rawValue).joined(separator: ", ")
      throw UsageFailure(message: "--system \"\(system)\" is not one of: \(names)")
    }
    return parsed
  }

  // MARK: - Text

  private func printAnswer(_ answer: ErrorCatalogue.Answer, catalogue: ErrorCatalogue, output: Output) {
    let shown = SafeText.escape(answer.query)
    guard !answer.matches.isEmpty else {
      let hint = answer.nearest.isEmpty ? "" : "; nearest: " + answer.nearest.joined(separator: ", ")
      output.line("no match for \"\(shown)\"\(hint)")
      return
    }
    let count = answer.matches.count
    let groups = answer.groups
    let meanings = groups.count == 1 ? "1 meaning" : "\(groups.count) meanings"
    output.line("\"\(shown)\": \(count) \(count == 1 ? "match" : "matches"), \(meanings), best first")
    for group in groups {
      let blocks = all ? group.map { [$0] } : [group]
      for members in blocks {
        output.line("")
        output.line(Self.block(members, catalogue: catalogue))
      }
    }
  }

  /// The block for one meaning: the best entry in full, then the other entries that matched with the same meaning.
  static func block(_ members: [ErrorCatalogue.Match], catalogue: ErrorCatalogue) -> String {
    let entry = members[0].entry
    var lines = ["\(entry.label): \(entry.message)"]
    lines += wrap("On the wire: " + entry.onTheWire, indent: "  ", hanging: "    ")
    lines.append("  Likely causes:")
    for (number, cause) in entry.causes.enumerated() {
      lines += wrap("\(number + 1). \(cause)", indent: "    ", hanging: "       ")
    }
    let steps = entry.steps.map { "\($0.rawValue) (step \($0.number))" }.joined(separator: ", ")
    lines += wrap("Check: " + steps, indent: "  ", hanging: "    ")
    lines.append("  Fix:")
    for fix in entry.fixes {
      lines += wrap("- " + fix, indent: "    ", hanging: "      ")
    }
    lines.append("  Diagnosis: " + (entry.diagnosis?.rawValue ?? "none (no single id fits; see the note)"))
    if let note = entry.note {
      lines += wrap("Note: " + note, indent: "  ", hanging: "    ")
    }
    let others = members.dropFirst().map(\.entry)
    if !others.isEmpty {
      lines += wrap("Also matches: " + others.map(\.label).joined(separator: ", "), indent: "  ", hanging: "    ")
    }
    let elsewhere = catalogue.sameMeaning(as: entry, excluding: Array(others))
    if !elsewhere.isEmpty {
      lines += wrap("Same meaning: " + elsewhere.map(\.label).joined(separator: ", "), indent: "  ", hanging: "    ")
    }
    return lines.joined(separator: "\n")
  }

  private func printList(_ entries: [ErrorCatalogue.Entry], output: Output) {
    if json {
      output.object(type: "catalogue", Catalogue(count: entries.count, entries: entries))
      return
    }
    output.line(Self.pad("SYSTEM", 12) + Self.pad("CODE", 7, right: true) + "  " + Self.pad("NAME", 34) + Self.pad("DIAGNOSIS", 27) + "MESSAGE")
    for entry in entries {
      let code = entry.code.map(String.init) ?? "-"
      var message = entry.message
      if message.count > 70 { message = String(message.prefix(67)) + "..." }
      output.line(Self.pad(entry.system.rawValue, 12) + Self.pad(code, 7, right: true) + "  " + Self.pad(entry.name, 34)
                  + Self.pad(entry.diagnosis?.rawValue ?? "-", 27) + message)
    }
  }

  private struct Catalogue: Encodable {
    let count: Int
    let entries: [ErrorCatalogue.Entry]
  }

  /// Pads to `width` columns (at least one space after a left-aligned text).
  static func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
    if right { return String(repeating: " ", count: max(0, width - text.count)) + text }
    return text + String(repeating: " ", count: max(1, width - text.count))
  }

  /// Word-wraps at 100 columns: the first line after `indent`, the rest after `hanging`.
  static func wrap(_ text: String, indent: String, hanging: String, width: Int = 100) -> [String] {
    var lines: [String] = []
    var current = indent
    var lineHasWords = false
    for word in text.split(separator: " ") {
      if lineHasWords && current.count + 1 + word.count > width {
        lines.append(current)
        current = hanging
        lineHasWords = false
      }
      current += (lineHasWords ? " " : "") + word
      lineHasWords = true
    }
    lines.append(current)
    return lines
  }
}
