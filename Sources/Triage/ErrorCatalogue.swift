import FoundationEssentials
#if canImport(Glibc)
import Glibc
#endif

/// The error catalogue behind `nettriage explain`: every meaning of an error number, symbolic name or message text
/// that a ticket may bring (Linux and macOS/BSD errno, Winsock, Windows system errors, getaddrinfo, curl, and the
/// texts of common clients), each with what happened on the wire, the likely causes, the checklist steps that test
/// it, the fixes and a diagnosis id.
///
/// The entries are data (`Resources/error-catalogue.json`, embedded in the binary); this type loads and searches them.
public struct ErrorCatalogue: Sendable {
  /// Every entry, in catalogue order (the order ties are listed in).
  public let entries: [Entry]

  /// One meaning of an error as one system reports it.
  public struct Entry: Codable, Sendable, Hashable {
    /// Which system or client reports it.
    public let system: System
    /// The number, when the system has one (errno 111, Winsock 10061, getaddrinfo -2, curl exit code 7).
    public let code: Int?
    /// The symbolic name (`ECONNREFUSED`, `WSAECONNREFUSED`, `java.net.ConnectException`).
    public let name: String
    /// The canonical text the system prints for it.
    public let message: String
    /// Other spellings and texts of the same error; `*` stands for any words (a host name, a port).
    public let aliases: [String]
    /// The POSIX (or getaddrinfo) name of the same meaning, linking the entries of all systems that mean it.
    public let family: String?
    /// What happened at the TCP/IP level, in plain words (SYN, RST, ICMP, ARP, DNS).
    public let onTheWire: String
    /// Likely causes, the most likely first.
    public let causes: [String]
    /// The checklist steps that test it, the most direct first.
    public let steps: [ChecklistStep]
    /// Short, concrete fixes.
    public let fixes: [String]
    /// The diagnosis this error points to, or nil when no single id fits (the note says why).
    public let diagnosis: DiagnosisID?
    /// What the error alone cannot tell, or why there is no diagnosis.
    public let note: String?

    /// `WSAECONNREFUSED (10061, Winsock)`, `java.net.ConnectException (Java)`.
    public var label: String {
      if let code { return "\(name) (\(code), \(system.title))" }
      return "\(name) (\(system.title))"
    }
  }

  /// The systems and clients the catalogue covers.
  public enum System: String, Codable, Sendable, Hashable, CaseIterable {
    case linuxErrno = "linux-errno"
    case bsdErrno = "bsd-errno"
    case winsock
    case windows
    case getaddrinfo
    case curl
    case python
    case java
    case dotnet
    case node
    case go
    case ssh
    case browser
    case ping
    case netcat
    case telnet

    /// The name a person reads: `Linux`, `macOS/BSD`, `.NET`.
    public var title: String {
      switch self {
      case .linuxErrno: return "Linux"
      case .bsdErrno: return "macOS/BSD"
      case .winsock: return "Winsock"
      case .windows: return "Windows"
      case .getaddrinfo: return "getaddrinfo"
      case .curl: return "curl"
      case .python: return "Python"
      case .java: return "Java"
      case .dotnet: return ".NET"
      case .node: return "Node.js"
      case .go: return "Go"
      case .ssh: return "ssh"
      case .browser: return "browser"
      case .ping: return "ping"
      case .netcat: return "netcat"
      case .telnet: return "telnet"
      }
    }

    /// Systems whose entries are numbered codes rather than a client's message.
    public var isCodeSystem: Bool {
      switch self {
      case .linuxErrno, .bsdErrno, .winsock, .windows, .getaddrinfo: return true
      default: return false
      }
    }

    /// Parses a `--system` value: a raw value or a common short name (`linux`, `macos`, `.net`), any case.
    public init?(argument: String) {
      let lowered = argument.lowercased()
      if let system = System(rawValue: lowered) {
        self = system
        return
      }
      switch lowered {
      case "linux", "errno": self = .linuxErrno
      case "bsd", "macos", "darwin", "freebsd": self = .bsdErrno
      case "wsa": self = .winsock
      case "win32", "win": self = .windows
      case "eai", "dns": self = .getaddrinfo
      case ".net", "net", "csharp": self = .dotnet
      case "nodejs", "node.js": self = .node
      case "golang", "kubectl": self = .go
      case "chrome", "chromium", "edge", "firefox": self = .browser
      case "nc", "ncat": self = .netcat
      default: return nil
      }
    }
  }

  /// The checklist steps of DESIGN.md, by the names the catalogue uses.
  public enum ChecklistStep: String, Codable, Sendable, Hashable, CaseIterable {
    case pathPicture = "path picture"
    case networkingTrace = "networking trace"
    case localStack = "local stack"
    case neighbours
    case defaultGateway = "default gateway"
    case destination
    case socketState = "socket state"

    /// The step's number in the checklist (1-7).
    public var number: Int { Self.allCases.firstIndex(of: self)! + 1 }
  }

  /// Why the catalogue did not load.
  public struct LoadError: Error, CustomStringConvertible {
    public let description: String
  }

  /// Validates the entries: names and texts present; an entry without a diagnosis says why in its note.
  public init(entries: [Entry]) throws(LoadError) {
    for (index, entry) in entries.enumerated() {
      let place = "entry \(index + 1) (\(entry.name))"
      if entry.name.isEmpty || entry.message.isEmpty || entry.onTheWire.isEmpty {
        throw LoadError(description: "\(place): name, message and onTheWire must not be empty")
      }
      if entry.causes.isEmpty || entry.fixes.isEmpty || entry.steps.isEmpty {
        throw LoadError(description: "\(place): causes, fixes and steps must not be empty")
      }
      if entry.diagnosis == nil && (entry.note ?? "").isEmpty {
        throw LoadError(description: "\(place): an entry without a diagnosis needs a note saying why")
      }
    }
    self.entries = entries
    self.index = SearchIndex(entries: entries)
  }

  /// Decodes a catalogue from its JSON text (an array of entries); a diagnosis or step outside the vocabulary fails.
  public init(json: Data) throws(LoadError) {
    let decoded: [Entry]
    do {
      decoded = try JSONDecoder().decode([Entry].self, from: json)
    } catch {
      throw LoadError(description: "error-catalogue.json does not decode: \(error)")
    }
    try self.init(entries: decoded)
  }

  /// The catalogue embedded in the binary, decoded once.
  public static func embedded() throws(LoadError) -> ErrorCatalogue {
    try embeddedResult.get()
  }

  private static let embeddedResult: Result<ErrorCatalogue, LoadError> = {
    do throws(LoadError) {
      return .success(try ErrorCatalogue(json: Data(PackageResources.error_catalogue_json)))
    } catch {
      return .failure(error)
    }
  }()

  private let index: SearchIndex

  // MARK: - Queries

  /// How a query was read.
  public enum QueryKind: String, Codable, Sendable {
    /// A number (decimal, negative, hex, or an HRESULT wrapping a Win32 code): every entry with that code.
    case number
    /// A symbolic name (`ECONNREFUSED`, `WSAECONNREFUSED`, `ConnectException`): names, prefixes and families.
    case name
    /// A message or free text: phrases and word overlap.
    case text
  }

  /// One entry that matches a query, with how well (1 is an exact match).
  public struct Match: Sendable, Hashable, Encodable {
    public let entry: Entry
    public let score: Double

    private enum Key: String, CodingKey { case score }

    public func encode(to encoder: any Encoder) throws {
      try entry.encode(to: encoder)
      var container = encoder.container(keyedBy: Key.self)
      try container.encode((score * 1000).rounded() / 1000, forKey: .score)
    }
  }

  /// The matches of one query, best first, grouped by meaning.
  public struct Answer: Sendable, Encodable {
    /// The query as given.
    public let query: String
    public let kind: QueryKind
    /// Every match, best first.
    public let matches: [Match]
    /// When nothing matched: the nearest names, for a "did you mean".
    public let nearest: [String]

    /// The matches grouped by meaning (same family and diagnosis), in the order of each group's best match.
    public var groups: [[Match]] {
      var order: [String] = []
      var members: [String: [Match]] = [:]
      for (position, match) in matches.enumerated() {
        let key = match.entry.family.map { "\($0)/\(match.entry.diagnosis?.rawValue ?? "-")" } ?? "#\(position)"
        if members[key] == nil { order.append(key) }
        members[key, default: []].append(match)
      }
      return order.map { members[$0]! }
    }
  }

  /// Finds every meaning of `query`, best first; `system` keeps only that system's entries.
  public func explain(_ query: String, system: System? = nil) -> Answer {
    let trimmed = String(query.trimmingWhitespace())
    let allowed = entries.indices.filter { system == nil || entries[$0].system == system }
    let words = QueryWords(trimmed)

    if let numbers = words.numberQuery {
      let hits = allowed.filter { entries[$0].code.map(numbers.contains) ?? false }
      let matches = hits.map { Match(entry: entries[$0], score: 1) }
      let nearest = matches.isEmpty ? nearestCodes(to: numbers[0], among: allowed) : []
      return Answer(query: trimmed, kind: .number, matches: matches, nearest: nearest)
    }

    let nameScores = words.isSymbol ? self.nameScores(for: trimmed, among: allowed) : [:]
    let kind: QueryKind = nameScores.values.contains { $0 >= 0.85 } ? .name : .text
    let textWeight = kind == .name ? 0.8 : 1.0
    let queryTokens = index.tokens(of: trimmed)
    var scored: [(index: Int, score: Double)] = []
    var faint: [(index: Int, score: Double)] = []
    for entryIndex in allowed {
      var score = max(nameScores[entryIndex] ?? 0, textWeight * index.textScore(queryTokens, entry: entryIndex))
      if score > 0, let code = entries[entryIndex].code, words.numbers.contains(code) {
        score += 0.05  // "[Errno 113]", "(10061)": the number in the text confirms this system's entry
      }
      if score > 0 { faint.append((entryIndex, score)) }
      scored.append((entryIndex, score))
    }
    let best = scored.map(\.score).max() ?? 0
    let kept = scored
      .filter { $0.score >= Self.minimumScore && $0.score >= best * Self.relativeCut }
      .sorted { Self.sameScore($0.score, $1.score) ? $0.index < $1.index : $0.score > $1.score }
    let matches = kept.map { Match(entry: entries[$0.index], score: min(1, $0.score)) }
    var nearest: [String] = []
    if matches.isEmpty {
      let hinted = faint.sorted { Self.sameScore($0.score, $1.score) ? $0.index < $1.index : $0.score > $1.score }.map { entries[$0.index].name }
      nearest = hinted.isEmpty ? nearestNames(to: trimmed, among: allowed) : Array(unique(hinted).prefix(3))
    }
    return Answer(query: trimmed, kind: kind, matches: matches, nearest: nearest)
  }

  /// Entries of the code systems (errno, Winsock, Windows, getaddrinfo) with the same meaning as `entry` but not in
  /// `excluding`: "10060 is ETIMEDOUT (110) on Linux".
  public func sameMeaning(as entry: Entry, excluding: [Entry] = []) -> [Entry] {
    guard let family = entry.family else { return [] }
    return entries.filter {
      $0.family == family && $0.system.isCodeSystem && $0.code != nil && $0 != entry && !excluding.contains($0)
    }
  }

  /// A match needs at least this score, and at least this share of the best score.
  static let minimumScore = 0.4
  static let relativeCut = 0.5

  /// Scores that differ only by rounding are a tie, which the catalogue's order breaks (the same answer every run).
  static func sameScore(_ a: Double, _ b: Double) -> Bool { abs(a - b) < 1e-9 }

  // MARK: - Names

  /// Scores by symbolic name: the name itself (1), the name without its WSA/ERROR_/EAI_ prefix (0.95), a symbolic
  /// alias (0.9), and the rest of the family of the names found (0.85).
  private func nameScores(for query: String, among allowed: [Int]) -> [Int: Double] {
    let raw = Self.plainName(query)
    let key = Self.symbolKey(query)
    var scores: [Int: Double] = [:]
    for entryIndex in allowed {
      let entry = entries[entryIndex]
      var score = 0.0
      if Self.isSymbol(entry.name) {
        if Self.plainName(entry.name) == raw { score = 1 } else if Self.symbolKey(entry.name) == key { score = 0.95 }
      }
      if score == 0, entry.aliases.contains(where: { Self.isSymbol($0) && Self.symbolKey($0) == key }) {
        score = 0.9
      }
      if score > 0 { scores[entryIndex] = score }
    }
    // The rest of the family joins only when the name means one thing (ECONNREFUSED), not for a class name that
    // several meanings share (java.net.ConnectException: refused or timed out).
    let named = scores.filter { $0.value >= 0.95 }.map { entries[$0.key].family.map(Self.symbolKey) }
    var families = Set(named.compactMap { $0 })
    if families.count > 1 || named.contains(nil) { families = [] }
    families.insert(key)
    for entryIndex in allowed where scores[entryIndex] == nil {
      if let family = entries[entryIndex].family, families.contains(Self.symbolKey(family)) {
        scores[entryIndex] = 0.85
      }
    }
    return scores
  }

  /// Whether a text is one symbolic word: `ECONNREFUSED`, `net::ERR_NAME_NOT_RESOLVED`, `java.net.ConnectException`.
  static func isSymbol(_ text: String) -> Bool {
    guard let first = text.unicodeScalars.first, first == "_" || isASCIILetter(first) else { return false }
    return text.unicodeScalars.allSatisfy { isASCIILetter($0) || ("0"..."9").contains($0) || "_.:".unicodeScalars.contains($0) }
  }

  /// The comparable core of a name: upper case, without `net::`, package path and the WSA/ERROR_/ERR_/EAI_/CURLE_
  /// prefix, so WSAECONNREFUSED and ECONNREFUSED, ERROR_CONNECTION_REFUSED and ERR_CONNECTION_REFUSED meet.
  static func symbolKey(_ name: String) -> String {
    var key = plainName(name)
    if let dot = key.lastIndex(of: "."), key.index(after: dot) < key.endIndex { key = String(key[key.index(after: dot)...]) }
    for prefix in ["WSA", "ERROR_", "ERR_", "EAI_", "CURLE_"] where key.hasPrefix(prefix) && key.count > prefix.count + 1 {
      key.removeFirst(prefix.count)
      break
    }
    return key
  }

  /// A name as compared exactly: upper case, without Chrome's `net::`.
  static func plainName(_ name: String) -> String {
    let upper = name.uppercased()
    return upper.hasPrefix("NET::") ? String(upper.dropFirst(5)) : upper
  }

  private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
    ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
  }

  // MARK: - Nearest

  private func nearestCodes(to number: Int, among allowed: [Int]) -> [String] {
    let coded = allowed.compactMap { index in entries[index].code.map { (index, $0) } }
      .sorted { abs($0.1 - number) != abs($1.1 - number) ? abs($0.1 - number) < abs($1.1 - number) : $0.0 < $1.0 }
    return Array(unique(coded.map { "\(entries[$0.0].name) (\($0.1))" }).prefix(3))
  }

  private func nearestNames(to query: String, among allowed: [Int]) -> [String] {
    if query.contains(" ") {
      // A message: the entries whose message is closest in spelling.
      let text = String(query.lowercased().prefix(200))
      let ranked = allowed.map { (entries[$0].name, Self.editDistance(text, entries[$0].message.lowercased())) }
        .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
      return Array(unique(ranked.map(\.0)).prefix(3))
    }
    // A word: the names closest in spelling, or whose message has a word closest in spelling ("refusd").
    let key = Self.symbolKey(query)
    let word = query.lowercased()
    let ranked = allowed.map { index -> (String, Int) in
      let entry = entries[index]
      let byName = Self.isSymbol(entry.name) ? Self.editDistance(key, Self.symbolKey(entry.name)) : Int.max
      let byMessage = SearchIndex.words(entry.message).map { Self.editDistance(word, $0) }.min() ?? Int.max
      return (entry.name, min(byName, byMessage))
    }
    .sorted { $0.1 != $1.1 ? $0.1 < $1.1 : $0.0 < $1.0 }
    return Array(unique(ranked.map(\.0)).prefix(3))
  }

  /// Levenshtein distance over characters.
  static func editDistance(_ a: String, _ b: String) -> Int {
    let a = Array(a), b = Array(b)
    if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
    var previous = Array(0...b.count)
    for i in 1...a.count {
      var current = [i] + Array(repeating: 0, count: b.count)
      for j in 1...b.count {
        current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
      }
      previous = current
    }
    return previous[b.count]
  }
}

private func unique(_ items: [String]) -> [String] {
  var seen = Set<String>()
  return items.filter { seen.insert($0).inserted }
}

// MARK: - Reading a query

extension ErrorCatalogue {
  /// The numbers and words of a query: whether it is a number ("10061", "-2", "0x274D", "error 10061", "[Errno 111]")
  /// and which numbers appear in it.
  struct QueryWords {
    /// Every number in the query, with an HRESULT (0x8007xxxx) also read as its Win32 code.
    let numbers: [Int]
    /// The query is a number, perhaps with words like "error" or "errno" around it: the numbers to look up.
    let numberQuery: [Int]?
    /// The query is one symbolic word.
    let isSymbol: Bool

    /// Words that may stand next to a bare number without making it text: "error 53", "exit code 7", "WinError 10061".
    static let numberWords: Set<String> = [
      "error", "errno", "err", "code", "exit", "status", "winerror", "rc", "return", "returned", "system", "socket",
      "wsa", "win", "hresult", "curl", "has", "occurred", "value", "number", "no",
    ]

    init(_ query: String) {
      var numbers: [Int] = []
      var others: [String] = []
      var numberTokens = 0
      for token in Self.tokens(query) {
        if let value = Self.number(token) {
          numbers.append(value)
          numberTokens += 1
          if let win32 = Self.win32Code(inHRESULT: value), !numbers.contains(win32) { numbers.append(win32) }
        } else {
          others.append(token)
        }
      }
      self.numbers = numbers
      if numberTokens == 1, others.allSatisfy(Self.numberWords.contains) {
        numberQuery = numbers
      } else {
        numberQuery = nil
      }
      isSymbol = !query.contains(" ") && ErrorCatalogue.isSymbol(query)
    }

    /// Lower-case runs of letters, and numbers with their sign or 0x prefix.
    static func tokens(_ text: String) -> [String] {
      var tokens: [String] = []
      let scalars = Array(text.lowercased().unicodeScalars)
      var position = 0
      while position < scalars.count {
        let scalar = scalars[position]
        let startsNumber = isDigit(scalar) || (scalar == "-" && position + 1 < scalars.count && isDigit(scalars[position + 1])
          && (position == 0 || !isAlphanumeric(scalars[position - 1])))
        if startsNumber {
          var end = position + 1
          if scalar == "0", end < scalars.count, scalars[end] == "x", end + 1 < scalars.count, isHexDigit(scalars[end + 1]) {
            end += 1
            while end < scalars.count, isHexDigit(scalars[end]) { end += 1 }
          } else {
            while end < scalars.count, isDigit(scalars[end]) { end += 1 }
          }
          tokens.append(String(String.UnicodeScalarView(scalars[position..<end])))
          position = end
        } else if isLetter(scalar) {
          var end = position + 1
          while end < scalars.count, isLetter(scalars[end]) { end += 1 }
          tokens.append(String(String.UnicodeScalarView(scalars[position..<end])))
          position = end
        } else {
          position += 1
        }
      }
      return tokens
    }

    static func number(_ token: String) -> Int? {
      if token.hasPrefix("0x") { return Int(token.dropFirst(2), radix: 16) }
      guard let first = token.unicodeScalars.first, first == "-" || isDigit(first) else { return nil }
      return Int(token)
    }

    /// HRESULT_FROM_WIN32 undone: 0x80072746 (or its signed form) is Win32/Winsock 10054.
    static func win32Code(inHRESULT value: Int) -> Int? {
      let bits: UInt32
      if value < 0, value >= Int(Int32.min) {
        bits = UInt32(bitPattern: Int32(value))
      } else if value > 0xFFFF, value <= Int(UInt32.max) {
        bits = UInt32(value)
      } else {
        return nil
      }
      return bits & 0xFFFF_0000 == 0x8007_0000 ? Int(bits & 0xFFFF) : nil
    }

    static func isDigit(_ scalar: Unicode.Scalar) -> Bool { ("0"..."9").contains(scalar) }
    static func isHexDigit(_ scalar: Unicode.Scalar) -> Bool { isDigit(scalar) || ("a"..."f").contains(scalar) }
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool { scalar.properties.isAlphabetic }
    static func isAlphanumeric(_ scalar: Unicode.Scalar) -> Bool { isDigit(scalar) || isLetter(scalar) }
  }
}

// MARK: - Text search

extension ErrorCatalogue {
  /// Word statistics over the catalogue for message search: each entry's texts as word lists, and a weight per word
  /// that is high for words few entries use ("refused") and low for common ones ("connection").
  struct SearchIndex: Sendable {
    /// A text to match: its word lists between `*` wildcards.
    struct Pattern: Sendable {
      let segments: [[String]]
      let words: [String]
      let wordSet: Set<String>
      /// A class name several entries share (`java.net.ConnectException`) says little alone: word overlap only.
      var overlapOnly = false
      var hasWildcard: Bool { segments.count > 1 }

      init(_ text: String) {
        segments = text.split(separator: "*", omittingEmptySubsequences: false).map { SearchIndex.words(String($0)) }.filter { !$0.isEmpty }
        words = segments.flatMap { $0 }
        wordSet = Set(words)
      }
    }

    let patterns: [[Pattern]]
    let weights: [String: Double]
    /// Per entry, every word its meaning uses: the words of all entries of its family (or its own, without one).
    let vocabularies: [Set<String>]

    /// Words that carry no meaning in error texts.
    static let stopWords: Set<String> = [
      "a", "an", "the", "to", "of", "on", "in", "by", "is", "it", "was", "be", "or", "and", "for", "at", "with", "this",
      "that", "has", "have", "been", "your", "you", "please", "see", "its", "from", "into",
    ]

    init(entries: [ErrorCatalogue.Entry]) {
      var nameCounts: [String: Int] = [:]
      for entry in entries { nameCounts[entry.name.lowercased(), default: 0] += 1 }
      patterns = entries.map { entry in
        var name = Pattern(entry.name)
        name.overlapOnly = nameCounts[entry.name.lowercased(), default: 0] > 1
        return [name] + ([entry.message, entry.name + " " + entry.message] + entry.aliases).map(Pattern.init)
      }
      var documentFrequency: [String: Int] = [:]
      for entryPatterns in patterns {
        for word in Set(entryPatterns.flatMap(\.wordSet)) { documentFrequency[word, default: 0] += 1 }
      }
      let count = Double(entries.count)
      weights = documentFrequency.mapValues { log(1 + count / Double($0)) }
      var familyWords: [String: Set<String>] = [:]
      for (entry, entryPatterns) in zip(entries, patterns) {
        if let family = entry.family { familyWords[family, default: []].formUnion(entryPatterns.flatMap(\.wordSet)) }
      }
      vocabularies = zip(entries, patterns).map { entry, entryPatterns in
        entry.family.flatMap { familyWords[$0] } ?? Set(entryPatterns.flatMap(\.wordSet))
      }
    }

    /// Lower-case letter runs without stop words and single letters: case, punctuation and digits do not matter.
    static func words(_ text: String) -> [String] {
      QueryWords.tokens(text).filter { token in
        guard let first = token.unicodeScalars.first, QueryWords.isLetter(first) else { return false }
        return token.count > 1 && !stopWords.contains(token)
      }
    }

    func tokens(of query: String) -> [String] { Self.words(query) }

    /// How well the query's words fit the entry's best text: 1 for the same words; a text found whole inside the
    /// query, or the query found inside a text, as a phrase; otherwise word overlap weighted by rarity.
    func textScore(_ query: [String], entry: Int) -> Double {
      let known = query.filter { weights[$0] != nil }
      guard !known.isEmpty else { return 0 }
      let knownSet = Set(known)
      let queryWeight = weight(knownSet)
      // Words of the query that this meaning never uses ("refused" against a timeout) count against it, whatever text
      // matched; words that another entry of the same meaning uses (a client's class name) do not.
      let meaningCover = weight(knownSet.intersection(vocabularies[entry])) / queryWeight
      return (0.5 + 0.5 * meaningCover * meaningCover) * bestTextScore(query, known: knownSet, queryWeight: queryWeight, entry: entry)
    }

    private func bestTextScore(_ query: [String], known: Set<String>, queryWeight: Double, entry: Int) -> Double {
      var best = 0.0
      for pattern in patterns[entry] {
        let words = pattern.words
        guard !words.isEmpty else { continue }
        if !pattern.hasWildcard && !pattern.overlapOnly && words == query { return 1 }
        let textWeight = weight(pattern.wordSet)
        if !pattern.overlapOnly && Self.containsInOrder(query, pattern.segments) {
          // The whole text appears in the query ("java.net.ConnectException: Connection refused (Connection refused)").
          best = max(best, 0.55 + 0.4 * min(1, textWeight / queryWeight))
          continue
        }
        if !pattern.overlapOnly && Self.containsInOrder(words, [query]) {
          // The query is a phrase of the text ("actively refused").
          best = max(best, 0.5 + 0.4 * min(1, queryWeight / textWeight))
          continue
        }
        let shared = weight(known.intersection(pattern.wordSet))
        guard shared > 0 else { continue }
        let textCover = shared / textWeight, queryCover = shared / queryWeight
        best = max(best, 0.9 * textCover * textCover * textCover * queryCover)
      }
      return best
    }

    /// Summed in a fixed order: a Set's order changes with each process's hash seed, and floating-point sums in
    /// another order differ in their last bits, which turned equal scores into a random winner.
    private func weight(_ words: Set<String>) -> Double {
      words.sorted().reduce(0) { $0 + (weights[$1] ?? 0) }
    }

    /// Whether each segment appears as a contiguous run of `words`, in order.
    static func containsInOrder(_ words: [String], _ segments: [[String]]) -> Bool {
      var start = 0
      for segment in segments {
        guard !segment.isEmpty else { continue }
        guard segment.count <= words.count - start else { return false }
        var found = false
        var position = start
        while position + segment.count <= words.count {
          if Array(words[position..<position + segment.count]) == segment {
            found = true
            start = position + segment.count
            break
          }
          position += 1
        }
        if !found { return false }
      }
      return true
    }
  }
}
