#if canImport(Glibc)
import Glibc
#endif

/// What /etc/resolv.conf tells the system resolver (glibc): the name servers, the search list and the options,
/// with resolv.conf(5) defaults where the file is silent.
public struct ResolverConfiguration: Codable, Sendable, Hashable {
  /// A `nameserver` line's address, with the zone of a link-local IPv6 server.
  public struct NameServer: Codable, Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    /// The zone after `%` (interface name or index), as written.
    public var zone: String?

    public init(address: IPAddress, zone: String? = nil) {
      self.address = address
      self.zone = zone
    }

    /// The server's socket address on `port`, the zone turned into a scope id.
    public func socketAddress(port: UInt16 = 53) -> SocketAddress {
      let scope = zone.map { UInt32($0) ?? interfaceIndex(named: $0) } ?? 0
      return SocketAddress(address, port: port, scopeID: address.family == .ipv6 ? scope : 0)
    }

    /// `198.18.0.53`, `fe80::1%eth0`
    public var description: String { zone.map { "\(address)%\($0)" } ?? address.description }
  }

  /// glibc's limits (resolv.h): MAXNS, RES_MAXRETRANS, RES_MAXRETRY, RES_MAXNDOTS.
  public static let maximumNameServers = 3
  public static let maximumTimeoutSeconds = 30
  public static let maximumAttempts = 5
  public static let maximumNdots = 15

  /// Where the text came from: a path, or `text` for parsed text.
  public var source: String
  /// Why the file could not be read (a missing file means all defaults).
  public var readError: Errno?
  /// Every valid `nameserver` line, in order (glibc uses the first three).
  public var nameServers: [NameServer]
  public var searchDomains: [String]
  /// Which line set the search list: `search`, `domain`, or `LOCALDOMAIN` (environment); nil when none did
  /// (glibc then uses the domain part of the host name).
  public var searchSource: String?
  /// `options timeout:N`: seconds to wait for each server before trying the next (default 5).
  public var timeoutSeconds: Int
  /// `options attempts:N`: rounds through the server list (default 2).
  public var attempts: Int
  /// `options ndots:N`: names with fewer dots try the search list first (default 1).
  public var ndots: Int
  /// `options rotate`: spread queries over the servers instead of always asking the first.
  public var rotate: Bool
  /// Other options as written (`edns0`, `single-request`, `use-vc`, `no-aaaa`, ...).
  public var otherOptions: [String]
  /// Lines the resolver ignores or that need a word: `line 4: nameserver "dns1" is not an IP address: ignored`.
  public var notes: [String]

  public init(source: String = "text", readError: Errno? = nil, nameServers: [NameServer] = [], searchDomains: [String] = [],
              searchSource: String? = nil, timeoutSeconds: Int = 5, attempts: Int = 2, ndots: Int = 1, rotate: Bool = false,
              otherOptions: [String] = [], notes: [String] = []) {
    self.source = source
    self.readError = readError
    self.nameServers = nameServers
    self.searchDomains = searchDomains
    self.searchSource = searchSource
    self.timeoutSeconds = timeoutSeconds
    self.attempts = attempts
    self.ndots = ndots
    self.rotate = rotate
    self.otherOptions = otherOptions
    self.notes = notes
  }

  /// The servers glibc actually asks: the first three.
  public var usedNameServers: [NameServer] { Array(nameServers.prefix(Self.maximumNameServers)) }

  /// The longest a look-up can wait when no server answers: timeout × attempts × servers.
  public var worstCaseSeconds: Int { timeoutSeconds * attempts * max(1, usedNameServers.count) }

  /// Parses resolv.conf text. Comments start with `#` or `;`; the last `search` or `domain` line wins.
  public static func parse(_ text: String, source: String = "text") -> ResolverConfiguration {
    var configuration = ResolverConfiguration(source: source)
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let words = rawLine.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
      guard let keyword = words.first, !keyword.hasPrefix("#"), !keyword.hasPrefix(";") else { continue }
      let arguments = Array(words.dropFirst())
      let line = index + 1
      switch keyword {
      case "nameserver":
        guard let text = arguments.first else {
          configuration.notes.append("line \(line): nameserver without an address: ignored")
          continue
        }
        let parts = text.split(separator: "%", maxSplits: 1).map(String.init)
        guard let address = IPAddress(parts[0]) else {
          configuration.notes.append("line \(line): nameserver \"\(text)\" is not an IP address: ignored")
          continue
        }
        configuration.nameServers.append(NameServer(address: address, zone: parts.count > 1 ? parts[1] : nil))
      case "search", "domain":
        configuration.searchDomains = keyword == "domain" ? Array(arguments.prefix(1)) : arguments
        configuration.searchSource = keyword
      case "options":
        configuration.apply(options: arguments, line: "line \(line)")
      case "sortlist":
        configuration.otherOptions.append("sortlist " + arguments.joined(separator: " "))
      default:
        configuration.notes.append("line \(line): unknown keyword \"\(keyword)\": ignored")
      }
    }
    if configuration.nameServers.count > maximumNameServers {
      let ignored = configuration.nameServers.dropFirst(maximumNameServers).map(\.description).joined(separator: ", ")
      configuration.notes.append("\(configuration.nameServers.count) name servers: glibc uses only the first \(maximumNameServers) (not \(ignored))")
    }
    return configuration
  }

  /// Reads and parses the file; a missing or unreadable file gives the defaults, with `readError` set.
  public static func read(path: String = "/etc/resolv.conf") -> ResolverConfiguration {
    switch readConfigurationFile(path) {
    case let .success(text): return parse(text, source: path)
    case let .failure(error): return ResolverConfiguration(source: path, readError: error)
    }
  }

  /// Applies the environment overrides glibc honours: `LOCALDOMAIN` (the search list) and `RES_OPTIONS`.
  public mutating func applyEnvironment(_ environment: [String: String]) {
    if let domains = environment["LOCALDOMAIN"] {
      searchDomains = domains.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
      searchSource = "LOCALDOMAIN"
    }
    if let options = environment["RES_OPTIONS"] {
      apply(options: options.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init), line: "RES_OPTIONS")
    }
  }

  /// Applies `options` words; numbers above glibc's limits are capped as glibc caps them.
  mutating func apply(options: [String], line: String) {
    for option in options {
      let parts = option.split(separator: ":", maxSplits: 1).map(String.init)
      func number(limit: Int) -> Int? {
        guard parts.count == 2, let value = Int(parts[1]), value >= 0 else {
          notes.append("\(line): option \"\(option)\" needs a number: ignored")
          return nil
        }
        if value > limit { notes.append("\(line): \(option) is capped at \(limit)") }
        return min(value, limit)
      }
      switch parts[0] {
      case "timeout": if let value = number(limit: Self.maximumTimeoutSeconds) { timeoutSeconds = max(1, value) }
      case "attempts": if let value = number(limit: Self.maximumAttempts) { attempts = max(1, value) }
      case "ndots": if let value = number(limit: Self.maximumNdots) { ndots = value }
      case "rotate": rotate = true
      default: otherOptions.append(option)
      }
    }
  }
}

/// One /etc/hosts line that names the host looked up.
public struct HostsEntry: Codable, Sendable, Hashable {
  public var address: IPAddress
  /// The canonical name (first on the line) then the aliases, as written.
  public var names: [String]
  /// The line number in the file.
  public var line: Int

  public init(address: IPAddress, names: [String], line: Int) {
    self.address = address
    self.names = names
    self.line = line
  }

  public var canonicalName: String { names[0] }
  public var aliases: [String] { Array(names.dropFirst()) }
}

/// The hosts file: static name-to-address lines the `files` source of nsswitch answers from.
public enum HostsFile {
  /// Every line naming `name` (as canonical name or alias, without regard to case or a final dot), in file order.
  public static func entries(matching name: String, in text: String) -> [HostsEntry] {
    let wanted = normalized(name)
    var entries: [HostsEntry] = []
    for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
      let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let words = content.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init)
      guard words.count >= 2 else { continue }
      // A zone on a link-local address is not part of the address itself.
      let addressText = words[0].split(separator: "%", maxSplits: 1).first.map(String.init) ?? words[0]
      guard let address = IPAddress(addressText) else { continue }
      let names = Array(words.dropFirst())
      if names.contains(where: { normalized($0) == wanted }) {
        entries.append(HostsEntry(address: address, names: names, line: index + 1))
      }
    }
    return entries
  }

  /// Reads the file and returns the lines naming `name`.
  public static func read(matching name: String, path: String = "/etc/hosts") -> Result<[HostsEntry], Errno> {
    readConfigurationFile(path).map { entries(matching: name, in: $0) }
  }

  private static func normalized(_ name: String) -> String {
    var text = name.lowercased()
    while text.hasSuffix(".") && text.count > 1 { text.removeLast() }
    return text
  }
}

/// The `hosts:` line of /etc/nsswitch.conf: which sources answer host look-ups, in order.
public struct HostsLookupOrder: Codable, Sendable, Hashable {
  /// One source with the actions that follow it, e.g. `mdns4_minimal [NOTFOUND=return]`.
  public struct Service: Codable, Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var actions: [String]

    public init(name: String, actions: [String] = []) {
      self.name = name
      self.actions = actions
    }

    public var description: String { ([name] + actions).joined(separator: " ") }
  }

  /// glibc's order when nsswitch.conf has no hosts line.
  public static let glibcDefault = "dns [!UNAVAIL=return] files"

  public var services: [Service]
  /// Where it came from: a path, or `text`.
  public var source: String
  /// True when the file (or its hosts line) is missing and glibc's default applies.
  public var isDefault: Bool

  public init(services: [Service], source: String = "text", isDefault: Bool = false) {
    self.services = services
    self.source = source
    self.isDefault = isDefault
  }

  /// `files dns`
  public var line: String { services.map(\.description).joined(separator: " ") }

  /// Whether the hosts file is consulted.
  public var usesFiles: Bool { services.contains { $0.name == "files" } }
  /// Whether DNS is consulted (glibc's `dns`, or systemd-resolved's `resolve`).
  public var usesDNS: Bool { services.contains { $0.name == "dns" || $0.name == "resolve" } }
  /// Whether the hosts file is read before any DNS source, so its entries win.
  public var filesBeforeDNS: Bool {
    guard let files = services.firstIndex(where: { $0.name == "files" }) else { return false }
    let dns = services.firstIndex { $0.name == "dns" || $0.name == "resolve" } ?? services.count
    return files < dns
  }

  /// Parses nsswitch.conf text; glibc's default when there is no hosts line.
  public static func parse(_ text: String, source: String = "text") -> HostsLookupOrder {
    for rawLine in text.split(separator: "\n") {
      let content = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
      let trimmed = content.drop { $0 == " " || $0 == "\t" }
      guard trimmed.hasPrefix("hosts:") else { continue }
      return HostsLookupOrder(services: services(in: String(trimmed.dropFirst("hosts:".count))), source: source)
    }
    return HostsLookupOrder(services: services(in: glibcDefault), source: source, isDefault: true)
  }

  /// Reads and parses the file; glibc's default when it cannot be read.
  public static func read(path: String = "/etc/nsswitch.conf") -> HostsLookupOrder {
    switch readConfigurationFile(path) {
    case let .success(text): return parse(text, source: path)
    case .failure: return HostsLookupOrder(services: services(in: glibcDefault), source: path, isDefault: true)
    }
  }

  /// Splits `files mdns4_minimal [NOTFOUND=return] dns` into services, each with its bracketed actions.
  static func services(in text: String) -> [Service] {
    var services: [Service] = []
    var bracket: String?
    for word in text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }).map(String.init) {
      if var open = bracket {
        open += " " + word
        bracket = word.hasSuffix("]") ? nil : open
        if bracket == nil, !services.isEmpty { services[services.count - 1].actions.append(open) }
      } else if word.hasPrefix("[") {
        if word.hasSuffix("]") {
          if !services.isEmpty { services[services.count - 1].actions.append(word) }
        } else {
          bracket = word
        }
      } else {
        services.append(Service(name: word))
      }
    }
    return services
  }
}

/// The text of a small configuration file (at most 1 MiB).
private func readConfigurationFile(_ path: String) -> Result<String, Errno> {
  FileAccess.readText(path, limit: 1 << 20).mapError(\.errno)
}
