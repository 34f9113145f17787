import ArgumentParser
import NetProbe
import Triage
#if canImport(Glibc)
import Glibc
#endif

extension Probe {
  struct DNS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "dns",
      abstract: "Check name resolution: resolv.conf, the hosts file, each name server asked directly, and getaddrinfo, compared.",
      discussion: """
        Reads /etc/resolv.conf (name servers, search list, options), the hosts file lines for NAME and the hosts
        line of /etc/nsswitch.conf; asks each configured name server directly (one UDP query per record type, the
        tool's own client: random id and port, answers matched by id and question) and times it; asks getaddrinfo
        as programs do. Then compares the addresses and flags a source that disagrees (the wrong-address case), a
        server that is dead or slow, and a look-up that takes long.

        With --server only the servers given are asked, and getaddrinfo is skipped (it would ask the configured
        servers). Queries are not retried and not sent over TCP; a truncated answer is reported as such.

        Examples:
          nettriage probe dns intranet.example            # configured servers, A and AAAA
          nettriage probe dns www.example.test --server 127.0.0.1:5353 --type A
          nettriage probe dns db.example --server 198.18.0.53 --server 198.18.1.53 -t 1 --json

        Exit status: 0 when every source answered in time with the same addresses, 1 on any failure, slow or dead
        server, or disagreement, 2 for bad input.
        """
    )

    @Argument(help: "The name to look up (a final dot skips the search list for getaddrinfo).")
    var name: String

    @Option(name: .long, help: "Ask this name server instead of the configured ones: ADDR, ADDR:PORT or [IPv6]:PORT. Repeat to ask several.")
    var server: [String] = []

    @Option(name: .long, help: "Ask only for A (IPv4) or AAAA (IPv6) records; both by default.")
    var type: String?

    @Option(name: [.customShort("t"), .long], help: "Seconds to wait for each server's answer.")
    var timeout: Double = 3

    @Flag(help: "Print the report as one JSON object.")
    var json = false

    func validate() throws {
      guard timeout > 0, timeout <= 600, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 and at most 600 seconds") }
    }

    func run() async throws {
      let dnsName = try parsedName()
      var options = DNSProbe.Options(types: try recordTypes(), timeout: .microseconds(Int64(timeout * 1_000_000)))
      if !server.isEmpty {
        options.servers = try server.map(parseServer)
        options.skipSystemResolver = "--server given: getaddrinfo would ask the configured name servers instead"
      }
      options.environment = ["LOCALDOMAIN", "RES_OPTIONS"].reduce(into: [:]) { environment, key in
        if let value = getenv(key) { environment[key] = String(cString: value) }
      }
      let report = await DNSProbe.run(dnsName, nameAsGiven: name, options: options)
      let output = Output(json: json)
      if json {
        output.object(type: "dns", report)
      } else {
        output.line(DNSReportText.render(report))
      }
      if !report.isConsistent { throw ExitCode(1) }
    }

    func parsedName() throws(UsageFailure) -> DNSName {
      if IPAddress(name) != nil || IPAddress(String(name.split(separator: "%").first ?? "")) != nil {
        throw UsageFailure(message: "\(name) is an IP address: probe dns looks up names (use nettriage resolve for an address)")
      }
      if name.contains("://") || name.contains("/") {
        throw UsageFailure(message: "\(name) is not a host name: give the name only, e.g. nettriage probe dns www.example.test")
      }
      do { return try DNSName(name) } catch { throw UsageFailure(message: error.description) }
    }

    func recordTypes() throws(UsageFailure) -> [DNSRecordType] {
      guard let type else { return [.a, .aaaa] }
      switch type.uppercased() {
      case "A": return [.a]
      case "AAAA": return [.aaaa]
      default: throw UsageFailure(message: "--type must be A or AAAA, not \"\(type)\"")
      }
    }

    /// `ADDR`, `ADDR%ZONE`, `ADDR:PORT`, `[IPv6]:PORT`, `[IPv6%ZONE]:PORT`; port 53 unless given.
    func parseServer(_ text: String) throws(UsageFailure) -> SocketAddress {
      let parts = text.split(separator: "%", maxSplits: 1).map(String.init)
      if let address = IPAddress(parts[0]) {
        var scope: UInt32 = 0
        if parts.count == 2 {
          let target = InternetTarget(host: .address(address, zone: parts[1]), port: 53)
          if let unknown = target.unknownZone {
            throw UsageFailure(message: "--server \(text): no interface named \"\(unknown)\" on this host")
          }
          scope = target.socketAddresses([address]).first?.scopeID ?? 0
        }
        return SocketAddress(address, port: 53, scopeID: scope)
      }
      if let address = SocketAddress(parsing: text), address.port != 0 { return address }
      throw UsageFailure(message: "--server \"\(text)\" is not a server address: give ADDR, ADDR:PORT or [IPv6]:PORT, e.g. --server 127.0.0.1:5353")
    }
  }
}

/// The text a person reads for a DNS probe report.
enum DNSReportText {
  static func render(_ report: DNSProbeReport) -> String {
    var lines: [String] = []
    let types = report.types.map(\.name).joined(separator: ", ")
    let origin: String
    switch report.serverOrigin {
    case .configured: origin = "from \(report.configuration.source)"
    case .given: origin = "given with --server"
    case .implicitDefault: origin = "the default (no nameserver line in \(report.configuration.source))"
    }
    let count = report.servers.count
    lines.append("dns probe of \(SafeText.escape(report.nameAsGiven)) (\(types)): \(count) server\(count == 1 ? "" : "s") \(origin)")
    lines.append(row("resolv.conf", configurationText(report.configuration)))
    let order = report.hostsOrder
    lines.append(row("nsswitch", "hosts: \(SafeText.escape(order.line))" + (order.isDefault ? " (glibc default: no hosts line in \(order.source))" : "")))
    if let error = report.hostsReadError {
      lines.append(row("hosts file", "\(report.hostsSource) unreadable: \(error)"))
    } else if report.hostsEntries.isEmpty {
      lines.append(row("hosts file", "no entry for \(SafeText.escape(report.name.description)) in \(report.hostsSource)"))
    } else {
      for (index, entry) in report.hostsEntries.enumerated() {
        let names = SafeText.escape(entry.names.joined(separator: " "))
        lines.append(row(index == 0 ? "hosts file" : "", "\(entry.address)  \(names)  (\(report.hostsSource) line \(entry.line))"))
      }
    }
    let width = report.queries.map { $0.server.description.count }.max() ?? 0
    for query in report.queries {
      let server = query.server.description.padded(to: width)
      lines.append("  \(server)  \(query.type.name.padded(to: 4))  \(DNSQueryText.describe(query))")
    }
    lines.append(row("getaddrinfo", systemText(report.system)))
    if !report.findings.isEmpty {
      lines.append("findings:")
      for finding in report.findings {
        lines.append("  \(finding.severity.rawValue.uppercased().padded(to: 4)) \(finding.id): \(SafeText.escape(finding.message))")
      }
    }
    if report.isConsistent {
      let addresses = report.addresses.map(\.description).joined(separator: ", ")
      lines.append("result: \(SafeText.escape(report.nameAsGiven)) resolves consistently to \(addresses.isEmpty ? "no address" : addresses)")
    } else {
      let fails = report.findings.filter { $0.severity == .fail }.count
      let warns = report.findings.filter { $0.severity == .warn }.count
      lines.append("result: problems found (\(fails) fail, \(warns) warn)")
    }
    return lines.joined(separator: "\n")
  }

  static func row(_ label: String, _ text: String) -> String { "  \(label.padded(to: 12))  \(text)" }

  static func configurationText(_ configuration: ResolverConfiguration) -> String {
    if let error = configuration.readError, error != .noSuchFileOrDirectory {
      return "\(configuration.source) unreadable (\(error)): defaults apply"
    }
    let servers = configuration.nameServers.isEmpty ? "no nameserver" : "nameserver " + configuration.nameServers.map(\.description).joined(separator: ", ")
    let search = configuration.searchDomains.isEmpty ? "no search list" : "search " + configuration.searchDomains.joined(separator: " ")
    var options = "timeout:\(configuration.timeoutSeconds) attempts:\(configuration.attempts) ndots:\(configuration.ndots)"
    if configuration.rotate { options += " rotate" }
    if !configuration.otherOptions.isEmpty { options += " " + configuration.otherOptions.joined(separator: " ") }
    let missing = configuration.readError == .noSuchFileOrDirectory ? " (\(configuration.source) missing: defaults)" : ""
    return SafeText.escape("\(servers); \(search); options \(options)\(missing)")
  }


  static func systemText(_ system: SystemLookup) -> String {
    if let skipped = system.skipped { return "skipped: \(skipped)" }
    if let error = system.error {
      return "\(error.symbol) (\(error.code)) \(error.message) after \(ProbeText.milliseconds(error.elapsedMicroseconds))"
    }
    guard let resolution = system.resolution else { return "not asked" }
    var text = resolution.addresses.map(\.description).joined(separator: ", ") + " in \(ProbeText.milliseconds(resolution.elapsedMicroseconds))"
    if let canonical = resolution.canonicalName { text += ", canonical name \(SafeText.escape(canonical))" }
    return text
  }
}

