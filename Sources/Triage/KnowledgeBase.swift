import FoundationEssentials
import FoundationEssentials

/// What nettriage tells a person about each diagnosis and each checklist step: titles, what happened on the wire,
/// causes, fixes with this run's values filled in, and the trainee's walkthrough.
///
/// The content is data (`Resources/knowledge-base.json`, embedded in the binary), checked when it loads: every
/// `DiagnosisID` and every checklist step has exactly one entry, and fix commands use only known placeholders.
public struct KnowledgeBase: Sendable {
  /// The checklist steps of DESIGN.md, in the order the screen shows them.
  public static let stepIDs = [
    "path-picture", "networking-trace", "local-stack", "neighbours", "default-gateway", "destination", "socket-state",
  ]

  /// The placeholders a fix may use, each filled from the run's finding values.
  ///
  /// `target` as typed, `host` and `port` of the target, `address` the destination address tried, `name` the DNS name,
  /// `interface`, `gateway` and `source` from the route lookup, `sender` the ICMP error's sender, `dns_server` a
  /// configured name server, `prefix` the interface's address with its prefix length (`198.18.1.10/24`), `url` the
  /// target as a curl URL (`http://host:8080/`, `https://[fd00::1]:8443/`).
  public static let placeholderNames: Set<String> = [
    "target", "host", "port", "address", "interface", "gateway", "source", "sender", "dns_server", "name", "prefix", "url",
  ]

  /// The placeholders that mean the same on another machine (the target's values): the only ones a Windows command
  /// may use, since it runs on the ticket's Windows machine, whose interface, gateway and name servers are its own.
  public static let targetPlaceholderNames: Set<String> = ["target", "host", "port", "address", "name", "url"]

  /// The embedded knowledge base, loaded once. It is checked by the tests, so a failure here is a programming error.
  public static let shared: KnowledgeBase = {
    do {
      return try KnowledgeBase(json: PackageResources.knowledge_base_json)
    } catch {
      preconditionFailure("Resources/knowledge-base.json: \(error)")
    }
  }()

  /// Every entry, in the order of `DiagnosisID.allCases`.
  public let entries: [KnowledgeEntry]
  /// Every step's guide, in checklist order.
  public let steps: [StepGuide]
  private let entriesByID: [DiagnosisID: KnowledgeEntry]

  /// Decodes and checks a knowledge base (the embedded one, or a fixture in tests).
  public init(json: [UInt8]) throws(KnowledgeBaseError) {
    let file: KnowledgeBaseFile
    do {
      file = try JSONDecoder().decode(KnowledgeBaseFile.self, from: Data(json))
    } catch {
      throw .malformed(String(describing: error))
    }

    var byID: [DiagnosisID: KnowledgeEntry] = [:]
    for entry in file.diagnoses {
      guard byID.updateValue(entry, forKey: entry.id) == nil else { throw .duplicate(entry.id.rawValue) }
      for step in entry.testedBy where !Self.stepIDs.contains(step) { throw .unknownStep(step) }
      for name in entry.placeholders where !Self.placeholderNames.contains(name) {
        throw .unknownPlaceholder(entry: entry.id.rawValue, name: name)
      }
    }
    for id in DiagnosisID.allCases where byID[id] == nil { throw .missingDiagnosis(id.rawValue) }

    var stepsByID: [String: StepGuide] = [:]
    for step in file.steps {
      guard Self.stepIDs.contains(step.id) else { throw .unknownStep(step.id) }
      guard stepsByID.updateValue(step, forKey: step.id) == nil else { throw .duplicate(step.id) }
    }
    for id in Self.stepIDs where stepsByID[id] == nil { throw .missingStep(id) }

    entriesByID = byID
    entries = DiagnosisID.allCases.compactMap { byID[$0] }
    steps = Self.stepIDs.compactMap { stepsByID[$0] }
  }

  /// The entry for a diagnosis; loading guarantees there is one for every id.
  public func entry(for id: DiagnosisID) -> KnowledgeEntry {
    guard let entry = entriesByID[id] else { preconditionFailure("knowledge base has no entry for \(id.rawValue)") }
    return entry
  }

  /// The trainee guide for a checklist step, nil for an id that is not one of `stepIDs`.
  public func step(_ id: String) -> StepGuide? {
    steps.first { $0.id == id }
  }

  /// The diagnoses a checklist step can reach or test, in vocabulary order.
  public func entries(testedBy stepID: String) -> [KnowledgeEntry] {
    entries.filter { $0.testedBy.contains(stepID) }
  }
}

/// Why the knowledge base could not load.
public enum KnowledgeBaseError: Error, Hashable, Sendable, CustomStringConvertible {
  /// Not valid JSON, a missing or unknown field, or an id that is not in the vocabulary.
  case malformed(String)
  case duplicate(String)
  case missingDiagnosis(String)
  case missingStep(String)
  case unknownStep(String)
  case unknownPlaceholder(entry: String, name: String)

  public var description: String {
    switch self {
    case .malformed(let detail): return "not a valid knowledge base: \(detail)"
    case .duplicate(let id): return "\(id) has two entries"
    case .missingDiagnosis(let id): return "no entry for diagnosis \(id)"
    case .missingStep(let id): return "no guide for checklist step \(id)"
    case .unknownStep(let id): return "\(id) is not a checklist step"
    case .unknownPlaceholder(let entry, let name): return "\(entry) uses the unknown placeholder {\(name)}"
    }
  }
}

/// What to tell a person about one diagnosis.
public struct KnowledgeEntry: Codable, Sendable, Hashable {
  public let id: DiagnosisID
  /// Short and plain: "Nothing is listening on the port".
  public let title: String
  /// What happened in packets (SYN, SYN-ACK, RST, ICMP type/code, ARP/ND, DNS rcode), in plain words.
  public let onTheWire: String
  /// Likely causes, the most likely first.
  public let causes: [String]
  /// Concrete steps, in the order to try them; commands hold `{placeholder}`s.
  public let fixes: [FixTemplate]
  /// What the tool cannot tell for this verdict, and why.
  public let cannotTell: [String]
  /// The checklist steps that reach or test this verdict (ids from `KnowledgeBase.stepIDs`).
  public let testedBy: [String]

  enum CodingKeys: String, CodingKey, CaseIterable {
    case id, title, onTheWire, causes, fixes, cannotTell, testedBy
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let container = try decoder.container(keyedBy: CodingKeys.self)
    id = try container.decode(DiagnosisID.self, forKey: .id)
    title = try container.decode(String.self, forKey: .title)
    onTheWire = try container.decode(String.self, forKey: .onTheWire)
    causes = try container.decode([String].self, forKey: .causes)
    fixes = try container.decode([FixTemplate].self, forKey: .fixes)
    cannotTell = try container.decode([String].self, forKey: .cannotTell)
    testedBy = try container.decode([String].self, forKey: .testedBy)
  }

  /// Every placeholder name the fixes use, in order of first use.
  public var placeholders: [String] {
    var seen: [String] = []
    for fix in fixes {
      for template in [fix.text, fix.linux, fix.windows].compactMap({ $0 }) {
        for name in FixPlaceholder.names(in: template) where !seen.contains(name) { seen.append(name) }
      }
    }
    return seen
  }

  /// The fixes with this run's values in place of their placeholders.
  ///
  /// Values may come from the network (names, DNS answers), so they are escaped with `SafeText.escape`. A placeholder
  /// with no value (or an empty one) stays visible as `<interface>`, so the person sees what to fill in.
  public func fixes(filledWith values: [String: String]) -> [RenderedFix] {
    fixes.map { fix in
      var unfilled: [String] = []
      func fill(_ template: String, quoting: ShellQuoting = .none) -> String {
        FixPlaceholder.fill(template, values: values, quoting: quoting) { name in
          if !unfilled.contains(name) { unfilled.append(name) }
        }
      }
      let text = fill(fix.text)
      let linux = fix.linux.map { fill($0, quoting: .posix) }
      let windows = fix.windows.map { fill($0, quoting: .powerShell) }
      return RenderedFix(text: text, linux: linux, windows: windows, unfilled: unfilled)
    }
  }
}

/// One step towards fixing a fault: what to do, and the commands that do it.
public struct FixTemplate: Codable, Sendable, Hashable {
  /// What to do and where (on the client, on the server), in plain words.
  public let text: String
  /// The Linux command (shell syntax).
  public let linux: String?
  /// The Windows equivalent (PowerShell or cmd), for tickets from Windows users.
  public let windows: String?

  enum CodingKeys: String, CodingKey, CaseIterable {
    case text, linux, windows
  }

  public init(text: String, linux: String? = nil, windows: String? = nil) {
    self.text = text
    self.linux = linux
    self.windows = windows
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let container = try decoder.container(keyedBy: CodingKeys.self)
    text = try container.decode(String.self, forKey: .text)
    linux = try container.decodeIfPresent(String.self, forKey: .linux)
    windows = try container.decodeIfPresent(String.self, forKey: .windows)
  }
}

/// A fix with this run's values filled in, ready to print.
public struct RenderedFix: Codable, Sendable, Hashable {
  public let text: String
  public let linux: String?
  public let windows: String?
  /// Placeholders this run had no value for; they show as `<name>` in the text and commands.
  public let unfilled: [String]
}

/// The trainee's guide to one checklist step.
public struct StepGuide: Codable, Sendable, Hashable {
  /// One of `KnowledgeBase.stepIDs`.
  public let id: String
  public let title: String
  /// Why the step is done.
  public let why: String
  /// What the step's probes do on the wire (or in the kernel, when nothing is sent).
  public let onTheWire: String
  /// How to read each outcome.
  public let outcomes: StepOutcomes
  /// What a result rules in or out.
  public let rulesInOrOut: [String]

  enum CodingKeys: String, CodingKey, CaseIterable {
    case id, title, why, onTheWire, outcomes, rulesInOrOut
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let container = try decoder.container(keyedBy: CodingKeys.self)
    id = try container.decode(String.self, forKey: .id)
    title = try container.decode(String.self, forKey: .title)
    why = try container.decode(String.self, forKey: .why)
    onTheWire = try container.decode(String.self, forKey: .onTheWire)
    outcomes = try container.decode(StepOutcomes.self, forKey: .outcomes)
    rulesInOrOut = try container.decode([String].self, forKey: .rulesInOrOut)
  }
}

/// How to read a step's result, one text per status.
public struct StepOutcomes: Codable, Sendable, Hashable {
  public let pass: String
  public let warn: String
  public let fail: String
  public let skip: String
  /// For steps that can end with information only (no verdict).
  public let info: String?

  enum CodingKeys: String, CodingKey, CaseIterable {
    case pass, warn, fail, skip, info
  }

  public init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let container = try decoder.container(keyedBy: CodingKeys.self)
    pass = try container.decode(String.self, forKey: .pass)
    warn = try container.decode(String.self, forKey: .warn)
    fail = try container.decode(String.self, forKey: .fail)
    skip = try container.decode(String.self, forKey: .skip)
    info = try container.decodeIfPresent(String.self, forKey: .info)
  }

  /// The text for a status named as in the checklist ("pass", "warn", "fail", "skip", "info").
  public func text(for status: String) -> String? {
    switch status {
    case "pass": return pass
    case "warn": return warn
    case "fail": return fail
    case "skip": return skip
    case "info": return info
    default: return nil
    }
  }
}

/// `{name}` placeholders in fix templates: a brace, lowercase letters or underscores, a brace. Other braces (a
/// PowerShell script block, a Go template) are left alone.
enum FixPlaceholder {
  /// The names used in a template, in order, repeats included.
  static func names(in template: String) -> [String] {
    var names: [String] = []
    scan(template) { piece in
      if case .placeholder(let name) = piece { names.append(name) }
    }
    return names
  }

  /// The template with each placeholder replaced by its escaped value, or by `<name>` when there is none.
  /// In a command, a value is quoted for that command's shell unless it is plain (a copied command must run
  /// the value as one word, never as shell syntax).
  static func fill(_ template: String, values: [String: String], quoting: ShellQuoting = .none,
                   missing: (String) -> Void) -> String {
    var output = ""
    scan(template) { piece in
      switch piece {
      case .literal(let text):
        output += text
      case .placeholder(let name):
        if let value = values[name], !value.isEmpty {
          output += SafeText.escape(quoting.quote(value))
        } else {
          missing(name)
          output += "<\(name)>"
        }
      }
    }
    return output
  }

  private enum Piece {
    case literal(Substring)
    case placeholder(String)
  }

  private static func scan(_ template: String, _ visit: (Piece) -> Void) {
    let scalars = template.unicodeScalars
    var literalStart = scalars.startIndex
    var index = scalars.startIndex
    while index < scalars.endIndex {
      guard scalars[index] == "{" else {
        index = scalars.index(after: index)
        continue
      }
      var end = scalars.index(after: index)
      while end < scalars.endIndex, isNameScalar(scalars[end]) { end = scalars.index(after: end) }
      if end < scalars.endIndex, scalars[end] == "}", end > scalars.index(after: index) {
        visit(.literal(Substring(scalars[literalStart..<index])))
        visit(.placeholder(String(scalars[scalars.index(after: index)..<end])))
        index = scalars.index(after: end)
        literalStart = index
      } else {
        index = scalars.index(after: index)
      }
    }
    visit(.literal(Substring(scalars[literalStart..<scalars.endIndex])))
  }

  private static func isNameScalar(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || scalar == "_"
  }
}

/// The file's layout: a list of diagnoses and a list of step guides.
private struct KnowledgeBaseFile: Decodable {
  let diagnoses: [KnowledgeEntry]
  let steps: [StepGuide]

  enum CodingKeys: String, CodingKey, CaseIterable {
    case diagnoses, steps
  }

  init(from decoder: any Decoder) throws {
    try decoder.rejectUnknownKeys(CodingKeys.self)
    let container = try decoder.container(keyedBy: CodingKeys.self)
    diagnoses = try container.decode([KnowledgeEntry].self, forKey: .diagnoses)
    steps = try container.decode([StepGuide].self, forKey: .steps)
  }
}

/// Any key, to list what an object holds.
private struct AnyCodingKey: CodingKey {
  let stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}

extension Decoder {
  /// Fails on a key the type does not know: a misspelt optional field ("linx") would otherwise vanish unnoticed.
  fileprivate func rejectUnknownKeys<Key: CodingKey & CaseIterable>(_ known: Key.Type) throws {
    let container = try container(keyedBy: AnyCodingKey.self)
    let knownNames = Set(Key.allCases.map(\.stringValue))
    for key in container.allKeys where !knownNames.contains(key.stringValue) {
      throw DecodingError.dataCorruptedError(
        forKey: key, in: container, debugDescription: "unknown field \"\(key.stringValue)\"")
    }
  }
}
