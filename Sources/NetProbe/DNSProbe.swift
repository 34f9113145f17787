/// One conclusion of the DNS probe. `id` uses the DESIGN.md vocabulary where it fits (`dns-nxdomain`,
/// `dns-no-address`, `dns-timeout`, `dns-servfail`, `dns-no-servers`); the rest are this probe's own:
/// `dns-disagreement`, `dns-server-down`, `dns-server-slow`, `dns-server-failing`, `dns-slow-lookup`,
/// `dns-system-failure`, `dns-truncated`, `dns-malformed`, `dns-hosts-shadow`, `dns-search-first`,
/// `nsswitch-no-dns`, `resolver-config`.
public struct DNSFinding: Codable, Sendable, Hashable {
  public enum Severity: String, Codable, Sendable, Hashable, Comparable {
    /// The name does not resolve, or resolves to the wrong thing.
    case fail
    /// It resolves, but a source is dead, slow or disagrees.
    case warn
    /// Worth knowing; not a fault.
    case info

    private var rank: Int { self == .fail ? 0 : self == .warn ? 1 : 2 }
    public static func < (left: Severity, right: Severity) -> Bool { left.rank < right.rank }
  }

  public var id: String
  public var severity: Severity
  /// The finding in plain words with this run's values.
  public var message: String
  /// What it concerns: `hosts-file`, `getaddrinfo`, `resolv.conf`, or a server's address.
  public var sources: [String]

  public init(id: String, severity: Severity, message: String, sources: [String] = []) {
    self.id = id
    self.severity = severity
    self.message = message
    self.sources = sources
  }
}

/// What getaddrinfo said, or why it was not asked.
public struct SystemLookup: Codable, Sendable, Hashable {
  public var resolution: Resolution?
  public var error: ResolutionError?
  /// Why getaddrinfo was not asked (e.g. explicit servers were given).
  public var skipped: String?

  public init(resolution: Resolution? = nil, error: ResolutionError? = nil, skipped: String? = nil) {
    self.resolution = resolution
    self.error = error
    self.skipped = skipped
  }
}

/// Where the servers asked came from.
public enum DNSServerOrigin: String, Codable, Sendable, Hashable {
  /// The `nameserver` lines of resolv.conf (the first three, as glibc uses).
  case configured
  /// Given explicitly (`--server`).
  case given
  /// resolv.conf names none: glibc's fallback, a server on this machine (127.0.0.1).
  case implicitDefault = "implicit-default"
}

/// Everything `probe dns` gathered about one name, and what it concluded.
public struct DNSProbeReport: Codable, Sendable, Hashable {
  public var name: DNSName
  /// The name as typed (a final dot makes it absolute: no search list).
  public var nameAsGiven: String
  public var types: [DNSRecordType]
  public var configuration: ResolverConfiguration
  public var hostsOrder: HostsLookupOrder
  /// Where the hosts entries came from.
  public var hostsSource: String
  public var hostsReadError: Errno?
  public var hostsEntries: [HostsEntry]
  public var serverOrigin: DNSServerOrigin
  public var servers: [SocketAddress]
  /// One per server and type, servers in order.
  public var queries: [DNSQueryResult]
  public var system: SystemLookup
  public var findings: [DNSFinding]
  /// What programs get: getaddrinfo's answer; when it was not asked, the hosts file's (when files come first)
  /// or the first answering server's.
  public var addresses: [IPAddress]
  /// No finding worse than info: every source answered, in time, with the same addresses.
  public var isConsistent: Bool
  public var elapsedMicroseconds: Int64

  public init(name: DNSName, nameAsGiven: String? = nil, types: [DNSRecordType], configuration: ResolverConfiguration,
              hostsOrder: HostsLookupOrder, hostsSource: String = "text", hostsReadError: Errno? = nil,
              hostsEntries: [HostsEntry], serverOrigin: DNSServerOrigin, servers: [SocketAddress], queries: [DNSQueryResult],
              system: SystemLookup, findings: [DNSFinding] = [], addresses: [IPAddress] = [], isConsistent: Bool = true,
              elapsedMicroseconds: Int64 = 0) {
    self.name = name
    self.nameAsGiven = nameAsGiven ?? name.description
    self.types = types
    self.configuration = configuration
    self.hostsOrder = hostsOrder
    self.hostsSource = hostsSource
    self.hostsReadError = hostsReadError
    self.hostsEntries = hostsEntries
    self.serverOrigin = serverOrigin
    self.servers = servers
    self.queries = queries
    self.system = system
    self.findings = findings
    self.addresses = addresses
    self.isConsistent = isConsistent
    self.elapsedMicroseconds = elapsedMicroseconds
  }
}

/// The resolver check behind `probe dns`: the configuration, the hosts file, a direct query to each name server
/// (the project's own client), and getaddrinfo, compared.
public enum DNSProbe {
  public struct Options: Sendable, Hashable {
    /// Ask these servers; nil asks the configured ones (resolv.conf).
    public var servers: [SocketAddress]?
    /// A and AAAA by default.
    public var types: [DNSRecordType]
    /// Time allowed for each query.
    public var timeout: Duration
    /// A server (or getaddrinfo) slower than this is flagged.
    public var slowThreshold: Duration
    /// When set, getaddrinfo is not asked, and this is the reason given.
    public var skipSystemResolver: String?
    /// Time allowed for getaddrinfo; nil allows what resolv.conf makes the worst case (timeout × attempts ×
    /// servers, at most 30 s).
    public var systemResolverTimeout: Duration?
    public var resolvConfPath: String
    public var hostsPath: String
    public var nsswitchPath: String
    /// The port of configured name servers (resolv.conf has no port: 53 except in tests).
    public var nameServerPort: UInt16
    /// `LOCALDOMAIN` and `RES_OPTIONS`, as glibc reads them.
    public var environment: [String: String]

    public init(servers: [SocketAddress]? = nil, types: [DNSRecordType] = [.a, .aaaa], timeout: Duration = .seconds(3),
                slowThreshold: Duration = .milliseconds(500), skipSystemResolver: String? = nil,
                systemResolverTimeout: Duration? = nil, resolvConfPath: String = "/etc/resolv.conf",
                hostsPath: String = "/etc/hosts", nsswitchPath: String = "/etc/nsswitch.conf", nameServerPort: UInt16 = 53,
                environment: [String: String] = [:]) {
      self.servers = servers
      self.types = types
      self.timeout = timeout
      self.slowThreshold = slowThreshold
      self.skipSystemResolver = skipSystemResolver
      self.systemResolverTimeout = systemResolverTimeout
      self.resolvConfPath = resolvConfPath
      self.hostsPath = hostsPath
      self.nsswitchPath = nsswitchPath
      self.nameServerPort = nameServerPort
      self.environment = environment
    }
  }

  /// Gathers everything about `name` (queries and getaddrinfo run concurrently) and analyses it.
  public static func run(_ name: DNSName, nameAsGiven: String? = nil, options: Options = .init()) async -> DNSProbeReport {
    let start = ContinuousClock.now
    let given = nameAsGiven ?? name.description
    var configuration = ResolverConfiguration.read(path: options.resolvConfPath)
    configuration.applyEnvironment(options.environment)
    let hostsOrder = HostsLookupOrder.read(path: options.nsswitchPath)
    let hosts = HostsFile.read(matching: name.description, path: options.hostsPath)

    let origin: DNSServerOrigin
    let servers: [SocketAddress]
    if let explicit = options.servers {
      (origin, servers) = (.given, explicit)
    } else if configuration.nameServers.isEmpty {
      (origin, servers) = (.implicitDefault, [SocketAddress(.v4(127, 0, 0, 1), port: options.nameServerPort)])
    } else {
      (origin, servers) = (.configured, configuration.usedNameServers.map { $0.socketAddress(port: options.nameServerPort) })
    }

    let systemTimeout = options.systemResolverTimeout
      ?? max(options.timeout, .seconds(min(30, configuration.worstCaseSeconds + 1)))
    let family: AddressFamily? = options.types.count == 1 ? options.types[0].addressFamily : nil
    async let system = lookUpWithSystem(given, family: family, timeout: systemTimeout, skip: options.skipSystemResolver)
    let pairs = servers.flatMap { server in options.types.map { (server, $0) } }
    let queries = await withTaskGroup(of: (Int, DNSQueryResult).self) { group in
      for (index, (server, type)) in pairs.enumerated() {
        group.addTask { (index, await DNSClient.query(name, type: type, server: server, timeout: options.timeout)) }
      }
      var results: [(Int, DNSQueryResult)] = []
      for await result in group { results.append(result) }
      return results.sorted { $0.0 < $1.0 }.map(\.1)
    }

    var report = DNSProbeReport(
      name: name, nameAsGiven: given, types: options.types, configuration: configuration, hostsOrder: hostsOrder,
      hostsSource: options.hostsPath, hostsReadError: hosts.failureValue, hostsEntries: (try? hosts.get()) ?? [],
      serverOrigin: origin, servers: servers, queries: queries, system: await system)
    report.findings = analyze(report, slowThreshold: options.slowThreshold)
    report.isConsistent = report.findings.allSatisfy { $0.severity == .info }
    report.addresses = effectiveAddresses(report)
    report.elapsedMicroseconds = microseconds(since: start)
    return report
  }

  static func lookUpWithSystem(_ name: String, family: AddressFamily?, timeout: Duration, skip: String?) async -> SystemLookup {
    if let skip { return SystemLookup(skipped: skip) }
    do {
      return SystemLookup(resolution: try await Resolver.resolve(.name(name), family: family, timeout: timeout))
    } catch {
      return SystemLookup(error: error)
    }
  }

  /// What programs get; see `DNSProbeReport.addresses`.
  static func effectiveAddresses(_ report: DNSProbeReport) -> [IPAddress] {
    if let resolution = report.system.resolution { return resolution.addresses }
    let families = Set(report.types.compactMap(\.addressFamily))
    let hosts = unique(report.hostsEntries.map(\.address).filter { families.contains($0.family) })
    if report.hostsOrder.filesBeforeDNS, !hosts.isEmpty { return hosts }
    for server in report.servers {
      let answered = report.queries.filter { $0.server == server && $0.outcome == .answer }
      if !answered.isEmpty { return unique(answered.flatMap(\.addresses)) }
    }
    return []
  }

  /// The findings for a gathered report: configuration, each server's health, the verdict on the name, and
  /// where the sources disagree.
  public static func analyze(_ report: DNSProbeReport, slowThreshold: Duration = .milliseconds(500)) -> [DNSFinding] {
    var analysis = Analysis(report: report, slowMicroseconds: microseconds(of: slowThreshold))
    analysis.configurationFindings()
    analysis.serverFindings()
    analysis.verdict()
    analysis.comparisons()
    analysis.systemFindings()
    return analysis.findings.enumerated().sorted {
      $0.element.severity != $1.element.severity ? $0.element.severity < $1.element.severity : $0.offset < $1.offset
    }.map(\.element)
  }
}

/// The analysis of one report, a step per method.
private struct Analysis {
  let report: DNSProbeReport
  let slowMicroseconds: Int64
  var findings: [DNSFinding] = []

  init(report: DNSProbeReport, slowMicroseconds: Int64) {
    self.report = report
    self.slowMicroseconds = slowMicroseconds
  }

  var name: String { report.nameAsGiven }
  var responded: [DNSQueryResult] { report.queries.filter { $0.outcome.isResponse } }
  var positive: [DNSQueryResult] { report.queries.filter { $0.outcome == .answer } }
  /// The hosts file's addresses, when nsswitch reads it.
  var hostsAddresses: [IPAddress] { report.hostsOrder.usesFiles ? unique(report.hostsEntries.map(\.address)) : [] }
  var hostsSource: String { report.hostsSource }

  func queries(to server: SocketAddress) -> [DNSQueryResult] { report.queries.filter { $0.server == server } }

  func label(_ server: SocketAddress) -> String { "DNS server \(server.port == 53 ? server.host : server.description)" }

  mutating func add(_ id: String, _ severity: DNSFinding.Severity, _ message: String, _ sources: [String]) {
    findings.append(DNSFinding(id: id, severity: severity, message: message, sources: sources))
  }

  mutating func configurationFindings() {
    let configuration = report.configuration
    switch report.serverOrigin {
    case .implicitDefault:
      let answered = !responded.isEmpty
      add("dns-no-servers", answered ? .warn : .fail,
          "no nameserver line in \(configuration.source): glibc falls back to a name server on this machine (127.0.0.1:53)"
            + (answered ? ", which answered" : ", and none answered there"), [configuration.source])
    case .configured:
      for note in configuration.notes { add("resolver-config", .info, "\(configuration.source): \(note)", [configuration.source]) }
    case .given:
      break
    }
    if !report.hostsOrder.usesDNS {
      add("nsswitch-no-dns", .info, "the hosts line of \(report.hostsOrder.source) (\(report.hostsOrder.line)) has no dns: programs never ask a DNS server",
          [report.hostsOrder.source])
    }
    let dots = report.name.labels.count - 1
    if !name.hasSuffix("."), report.serverOrigin != .given, dots < configuration.ndots, !configuration.searchDomains.isEmpty {
      let tried = configuration.searchDomains.prefix(3).map { "\(name).\($0)" }.joined(separator: ", ")
      add("dns-search-first", .info,
          "\(name) has \(dots) dot\(dots == 1 ? "" : "s"), fewer than ndots:\(configuration.ndots): the resolver tries \(tried) first, a query round each (this probe asks for \(name) as given)",
          [configuration.source])
    }
  }

  mutating func serverFindings() {
    let anyResponse = !responded.isEmpty
    for server in report.servers {
      let queries = queries(to: server)
      let silent = queries.filter { !$0.outcome.isResponse && $0.outcome != .cancelled }
      let others = report.servers.filter { $0 != server && self.queries(to: $0).contains { $0.outcome.isResponse } }
      if !silent.isEmpty, anyResponse {
        let why = silent.map { "\($0.type) \(describeFailure($0))" }.joined(separator: ", ")
        let message: String
        if silent.count == queries.count {
          let answeredBy = others.isEmpty ? "" : " while \(others.map(label).joined(separator: ", ")) answered"
          message = "\(label(server)) did not answer (\(why))\(answeredBy): a resolver waits timeout:\(report.configuration.timeoutSeconds) s on it each attempt before asking the next, so look-ups are slow or fail"
        } else {
          let answered = queries.filter(\.outcome.isResponse).map(\.type.name).joined(separator: ", ")
          message = "\(label(server)) answered \(answered) but not \(why): a resolver asking for both waits for the missing answer"
        }
        add("dns-server-down", .warn, message, [server.description])
      }
      if let slowest = queries.filter({ $0.outcome.isResponse }).max(by: { $0.elapsedMicroseconds < $1.elapsedMicroseconds }),
         slowest.elapsedMicroseconds > slowMicroseconds {
        add("dns-server-slow", .warn,
            "\(label(server)) took \(milliseconds(slowest.elapsedMicroseconds)) to answer \(slowest.type) (slower than \(milliseconds(slowMicroseconds))): every look-up through it waits that long",
            [server.description])
      }
      for query in queries where query.outcome == .truncated {
        add("dns-truncated", .info,
            "\(label(server)) set the TC bit on the \(query.type) answer: it did not fit in UDP, so resolvers retry over TCP (this probe does not)",
            [server.description])
      }
      for query in queries where query.outcome == .malformed {
        add("dns-malformed", .warn,
            "\(label(server)) sent a \(query.type) response that cannot be read (\(query.malformed?.description ?? "malformed"))",
            [server.description])
      }
      let definiteElsewhere = report.queries.contains { $0.server != server && $0.outcome.isDefinite }
      if definiteElsewhere, let failing = queries.first(where: { [.servfail, .refused, .otherResponseCode].contains($0.outcome) }) {
        add("dns-server-failing", .warn,
            "\(label(server)) answered \(failing.responseCode?.name ?? failing.outcome.rawValue) to \(failing.type) while other servers answered: \(meaning(of: failing))",
            [server.description])
      }
    }
  }

  /// The verdict on the name when no server gave an address.
  mutating func verdict() {
    guard positive.isEmpty, !report.servers.isEmpty else { return }
    let hosts = hostsAddresses
    let covered = !hosts.isEmpty && report.hostsOrder.filesBeforeDNS
    let severity: DNSFinding.Severity = covered ? .warn : .fail
    let note = covered ? "; the hosts file maps it to \(list(hosts)), so programs that read \(hostsSource) first still resolve it" : ""
    let answers = responded
    func servers(_ outcomes: Set<DNSQueryOutcome>) -> [SocketAddress] {
      unique(answers.filter { outcomes.contains($0.outcome) }.map(\.server))
    }
    let types = report.types.map(\.name).joined(separator: " or ")
    if answers.isEmpty {
      let attempts = report.queries.filter { $0.outcome != .cancelled }
      guard !attempts.isEmpty else { return }
      let why = unique(attempts.map(\.server)).map { server in
        "\(label(server)) \(queries(to: server).map(describeFailure).first ?? "did not answer")"
      }.joined(separator: ", ")
      add("dns-timeout", severity, "no DNS server answered for \(name): \(why)\(note)", unique(attempts.map(\.server.description)))
    } else if !servers([.nxdomain]).isEmpty {
      let saying = servers([.nxdomain])
      add("dns-nxdomain", severity, "\(saying.map(label).joined(separator: ", ")) \(saying.count == 1 ? "says" : "say") \(name) does not exist (NXDOMAIN)\(note)",
          saying.map(\.description))
    } else if !servers([.noData]).isEmpty {
      let saying = servers([.noData])
      add("dns-no-address", severity, "\(name) exists but has no \(types) record (NOERROR, no data from \(saying.map(label).joined(separator: ", ")))\(note)",
          saying.map(\.description))
    } else if let failing = answers.first(where: { [.servfail, .refused, .otherResponseCode].contains($0.outcome) }) {
      let saying = servers([.servfail, .refused, .otherResponseCode])
      add("dns-servfail", severity, "\(saying.map(label).joined(separator: ", ")) answered \(failing.responseCode?.name ?? "an error") for \(name): \(meaning(of: failing))\(note)",
          saying.map(\.description))
    } else if answers.contains(where: { $0.outcome == .truncated }) {
      let saying = servers([.truncated])
      add("dns-truncated", severity, "the answer for \(name) from \(saying.map(label).joined(separator: ", ")) is truncated (TC): it needs TCP, which this probe does not try\(note)",
          saying.map(\.description))
    } else {
      let saying = servers([.malformed])
      add("dns-malformed", severity, "no readable answer for \(name): \(saying.map(label).joined(separator: ", ")) sent malformed responses\(note)",
          saying.map(\.description))
    }
  }

  /// Where the hosts file, the servers and getaddrinfo give different addresses.
  mutating func comparisons() {
    let hosts = hostsAddresses
    // A server that says the name does not exist while another gives addresses.
    if let answering = positive.first {
      for server in unique(responded.filter { $0.outcome == .nxdomain }.map(\.server)) {
        add("dns-disagreement", .warn,
            "\(label(server)) says \(name) does not exist (NXDOMAIN) but \(label(answering.server)) says \(list(unique(positive.filter { $0.server == answering.server }.flatMap(\.addresses))))",
            [server.description, answering.server.description])
      }
    }
    for type in report.types {
      guard let family = type.addressFamily else { continue }
      let hostsFamily = hosts.filter { $0.family == family }
      let serverSets: [(server: SocketAddress, addresses: [IPAddress])] = report.servers.compactMap { server in
        guard let query = report.queries.first(where: { $0.server == server && $0.type == type }),
              query.outcome == .answer || query.outcome == .noData else { return nil }
        return (server, query.addresses)
      }
      if !hostsFamily.isEmpty {
        for (server, addresses) in serverSets where Set(addresses) != Set(hostsFamily) {
          let winner = report.hostsOrder.filesBeforeDNS
            ? "the hosts file comes first, so programs get \(list(hostsFamily))"
            : "nsswitch asks DNS first, so programs get \(addresses.isEmpty ? "no address" : list(addresses))"
          add("dns-disagreement", .fail,
              "hosts file maps \(name) to \(list(hostsFamily)) but \(label(server)) says \(says(addresses, type: type)) (\(winner))",
              ["hosts-file", server.description])
        }
      } else if !hosts.isEmpty, report.hostsOrder.filesBeforeDNS,
                let (server, addresses) = serverSets.first(where: { !$0.addresses.isEmpty }) {
        add("dns-hosts-shadow", .info,
            "the hosts file has no \(type) address for \(name), only \(list(hosts)): programs that find it there never see \(list(addresses)) from \(label(server))",
            ["hosts-file", server.description])
      }
      if let reference = serverSets.first {
        for (server, addresses) in serverSets.dropFirst() where Set(addresses) != Set(reference.addresses) {
          add("dns-disagreement", .warn,
              "\(label(reference.server)) says \(says(reference.addresses, type: type)) but \(label(server)) says \(says(addresses, type: type)) for \(name): a stale or wrong zone on one of them (or split-horizon DNS)",
              [reference.server.description, server.description])
        }
      }
      if let resolution = report.system.resolution {
        let system = resolution.addresses.filter { $0.family == family }
        if report.hostsOrder.filesBeforeDNS, !hosts.isEmpty {
          if Set(system) != Set(hostsFamily) {
            add("dns-disagreement", .warn,
                "getaddrinfo returns \(says(system, type: type)) for \(name) although the hosts file, read first, maps it to \(hostsFamily.isEmpty ? "no \(type) address" : list(hostsFamily)): another source answered first, or a cache (nscd) is stale",
                ["getaddrinfo", "hosts-file"])
          }
        } else if !serverSets.isEmpty, !serverSets.contains(where: { Set($0.addresses) == Set(system) }) {
          let servers = serverSets.map { "\(label($0.server)): \(says($0.addresses, type: type))" }.joined(separator: "; ")
          add("dns-disagreement", .warn,
              "getaddrinfo returns \(says(system, type: type)) for \(name), which no DNS server asked here gives (\(servers)): another source in \"hosts: \(report.hostsOrder.line)\" answered, or a cache is stale",
              ["getaddrinfo"] + serverSets.map(\.server.description))
        }
      }
    }
  }

  /// getaddrinfo's failure or slowness.
  mutating func systemFindings() {
    let sources = hostsAddresses.isEmpty ? [] : ["the hosts file"]
    let answering = unique(positive.map(\.server)).map(label)
    if let error = report.system.error {
      if !answering.isEmpty || !hostsAddresses.isEmpty {
        add("dns-system-failure", .warn,
            "getaddrinfo failed for \(name): \(error.symbol) (\(error.code)) \(error.message) after \(milliseconds(error.elapsedMicroseconds)), although \((sources + answering).joined(separator: " and ")) \(sources.count + answering.count == 1 ? "gives" : "give") addresses",
            ["getaddrinfo"])
      }
      if error.kind == .timedOut {
        add("dns-slow-lookup", .warn, "getaddrinfo did not return within \(milliseconds(error.elapsedMicroseconds))\(slowCause())", ["getaddrinfo"])
      }
    } else if let resolution = report.system.resolution, resolution.elapsedMicroseconds > slowMicroseconds {
      add("dns-slow-lookup", .warn,
          "getaddrinfo took \(milliseconds(resolution.elapsedMicroseconds)) to resolve \(name) (slower than \(milliseconds(slowMicroseconds)))\(slowCause()): programs wait that long before they connect",
          ["getaddrinfo"])
    }
  }

  /// Why a look-up is slow, when the findings show it.
  private func slowCause() -> String {
    let configuration = report.configuration
    if let dead = report.servers.first(where: { server in queries(to: server).contains { !$0.outcome.isResponse } }),
       report.servers.contains(where: { server in queries(to: server).contains(where: \.outcome.isResponse) }) {
      return ": \(label(dead)) does not answer, and glibc waits timeout:\(configuration.timeoutSeconds) s on it (attempts:\(configuration.attempts)) before asking the next"
    }
    if findings.contains(where: { $0.id == "dns-search-first" }) {
      return ": the search list is tried before the name itself"
    }
    return ""
  }

  private func describeFailure(_ query: DNSQueryResult) -> String {
    switch query.outcome {
    case .timedOut: return "timed out after \(milliseconds(query.elapsedMicroseconds))"
    case .portClosed: return "refused (port closed)"
    case .networkError: return "network error \(query.errno?.name ?? "")".trimmingSpaces
    case .cancelled: return "cancelled"
    default: return query.outcome.rawValue
    }
  }

  private func meaning(of query: DNSQueryResult) -> String {
    switch query.outcome {
    case .servfail: return "it could not get an answer (its upstream servers, the zone or DNSSEC validation failed)"
    case .refused: return "it will not answer this client (recursion not allowed for this address, or the wrong view)"
    default: return "it could not answer the query"
    }
  }

  private func says(_ addresses: [IPAddress], type: DNSRecordType) -> String {
    addresses.isEmpty ? "it has no \(type) address" : list(addresses)
  }
}

private func list(_ addresses: [IPAddress]) -> String { addresses.map(\.description).joined(separator: ", ") }

/// Microseconds as milliseconds for messages: `812.345 ms`.
private func milliseconds(_ microseconds: Int64) -> String {
  let whole = microseconds / 1000, fraction = microseconds % 1000
  let digits = String(fraction)
  return "\(whole).\(String(repeating: "0", count: 3 - digits.count))\(digits) ms"
}

private func unique<T: Hashable>(_ values: [T]) -> [T] {
  var seen = Set<T>()
  return values.filter { seen.insert($0).inserted }
}

extension String {
  fileprivate var trimmingSpaces: String {
    var text = Substring(self)
    while text.last == " " { text = text.dropLast() }
    return String(text)
  }
}

extension Result {
  fileprivate var failureValue: Failure? {
    if case let .failure(error) = self { return error }
    return nil
  }
}
