import ArgumentParser
import NetProbe
import Triage

extension Probe {
  struct Route: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "route",
      abstract: "Show the main routing table and default gateways, or the route the kernel picks for a destination.",
      discussion: """
        Without DEST: the main table of IPv4 and IPv6, the default gateway(s) of each family, and a check that every \
        gateway lies inside a prefix of its interface (else the finding gateway-off-subnet; routes marked onlink are \
        accepted as forced). With DEST: the kernel's own lookup, as `ip route get` asks it: egress interface, \
        gateway, the source address it would use, the route type and table. Reads netlink; no privilege needed.

        Examples:
          nettriage probe route                  # table, gateways, findings
          nettriage probe route 198.18.1.5       # which way packets go
          nettriage probe route localhost --json # every resolved address
          nettriage probe route fe80::1%eth0     # link-local needs its interface

        Exit status: without DEST 0 when a default route exists, 1 when none does; with DEST 0 when the lookup \
        found a unicast or local route, 1 for no route or a reject route (blackhole, unreachable, prohibit); \
        2 for bad input, 3 when the kernel could not be asked.
        """
    )

    @Argument(help: "An address (ADDR%IFACE for link-local IPv6) or a host name to resolve.")
    var destination: String?

    @Flag(name: .customShort("4"), help: "Resolve DEST to IPv4 addresses only.")
    var ipv4Only = false

    @Flag(name: .customShort("6"), help: "Resolve DEST to IPv6 addresses only.")
    var ipv6Only = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
      guard !(ipv4Only && ipv6Only) else { throw ValidationError("-4 and -6 exclude each other") }
    }

    func run() async throws {
      let output = Output(json: json)
      guard let destination else { return try showTable(output) }
      let (host, zoneIndex) = try parseDestination(destination)
      let resolution: Resolution
      do {
        resolution = try await Resolver.resolve(host, family: ipv4Only ? .ipv4 : ipv6Only ? .ipv6 : nil)
      } catch {
        if json {
          output.object(type: "resolution-error", error)
        } else {
          output.line("\(SafeText.escape(host.description)): name resolution failed: \(error.symbol) (\(error.code)) \(error.message)")
        }
        throw ExitCode(1)
      }
      var lookups: [RouteLookup] = []
      do {
        for address in resolution.addresses { lookups.append(try Routes.lookup(address, interfaceIndex: zoneIndex)) }
      } catch {
        printError("cannot look up the route: \(error)")
        throw ExitCode(3)
      }
      if json {
        output.object(type: "route-lookup", RouteLookupReport(resolution: resolution, lookups: lookups))
      } else {
        if resolution.method != .numeric {
          output.line("\(SafeText.escape(resolution.name)) resolved to \(resolution.addresses.map(\.description).joined(separator: ", "))")
        }
        for lookup in lookups { RouteText.lines(lookup).forEach(output.line) }
      }
      if !lookups.contains(where: \.reaches) { throw ExitCode(1) }
    }

    private func showTable(_ output: Output) throws {
      let table: RoutingTable
      do {
        table = try Routes.mainTable()
      } catch {
        printError("cannot read the routing table: \(error)")
        throw ExitCode(3)
      }
      if json {
        output.object(type: "routes", table)
      } else {
        RouteText.lines(table).forEach(output.line)
      }
      if table.defaultGateways.isEmpty { throw ExitCode(1) }
    }
  }
}

/// Parses a destination (an address, ADDR%IFACE, a name, or a URL or HOST:PORT whose host part is used) and
/// the interface index of its zone. A link-local IPv6 address without a zone is a usage error.
func parseDestination(_ text: String) throws(UsageFailure) -> (host: TargetHost, zoneIndex: UInt32?) {
  let host: TargetHost
  do {
    guard case let .inet(target) = try Target.parse(text, requirePort: false) else {
      throw UsageFailure(message: "\(text) is a unix socket path, not a destination address")
    }
    host = target.host
  } catch let error as TargetParseError {
    throw UsageFailure(message: error.description)
  } catch let error as UsageFailure {
    throw error
  } catch {
    throw UsageFailure(message: "\(text) is not an address or host name")
  }
  switch host {
  case let .address(_, zone?):
    let index = UInt32(zone) ?? (try? Interfaces.named(zone)).flatMap { $0 }.map { UInt32($0.index) } ?? 0
    guard index != 0 else {
      throw UsageFailure(message: "no interface named \"\(zone)\" on this host: use one listed by nettriage probe iface")
    }
    return (host, index)
  case let .address(address, nil) where address.family == .ipv6 && address.isLinkLocal:
    throw UsageFailure(message: "\(address) is link-local: add its interface, e.g. \(address)%eth0")
  default:
    return (host, nil)
  }
}

/// The one JSON object of `probe route DEST`.
struct RouteLookupReport: Encodable {
  let resolution: Resolution
  let lookups: [RouteLookup]
}

/// The text of `probe route`.
enum RouteText {
  static func lines(_ table: RoutingTable) -> [String] {
    var lines: [String] = []
    for family in AddressFamily.allCases {
      let routes = table.routes.filter { $0.family == family }
      lines.append("\(family == .ipv4 ? "IPv4" : "IPv6") main table:" + (routes.isEmpty ? " empty" : ""))
      for route in routes {
        lines.append("  " + SafeText.escape(route.description))
        // Say when a gateway is accepted only because it was forced on-link, or does not fit at all.
        for hop in route.nextHops {
          if let fit = hop.gatewayFit, let gateway = hop.gateway, fit == .forcedOnLink || fit == .offSubnet {
            lines.append("    gateway \(gateway): \(fitText(fit))")
          }
        }
      }
    }
    for family in AddressFamily.allCases {
      let name = family == .ipv4 ? "IPv4" : "IPv6"
      let gateways = table.defaultGateways(family)
      if gateways.isEmpty { lines.append("default gateway \(name): none") }
      for gateway in gateways {
        var text = "default gateway \(name): "
        text += gateway.gateway.map { "\($0)" } ?? "none (device route)"
        if let interface = gateway.interface { text += " via \(SafeText.escape(interface))" }
        if let metric = gateway.metric { text += " metric \(metric)" }
        if let fit = gateway.gatewayFit { text += " (\(fitText(fit)))" }
        lines.append(text)
      }
    }
    if table.defaultGateways.isEmpty { lines.append("no default route: only the networks listed above are reachable") }
    for finding in table.findings {
      lines.append("finding \(finding.id): \(SafeText.escape(finding.message))")
    }
    return lines
  }

  static func lines(_ lookup: RouteLookup) -> [String] {
    var lines = [SafeText.escape(lookup.summary)]
    if let fit = lookup.gatewayFit, let gateway = lookup.gateway {
      lines.append("  gateway \(gateway): \(fitText(fit))" + (fit == .offSubnet ? " (gateway-off-subnet)" : ""))
    }
    if let matched = lookup.matchedRoute { lines.append("  matched: \(SafeText.escape(matched.description))") }
    return lines
  }

  static func fitText(_ fit: RouteGatewayFit) -> String {
    switch fit {
    case .insidePrefix: return "inside the interface's prefix"
    case .linkLocal: return "link-local, on-link"
    case .onLinkRoute: return "outside the interface's prefixes, reached through an on-link route"
    case .forcedOnLink: return "outside the interface's prefixes, accepted because the route is marked onlink"
    case .offSubnet: return "outside every prefix of the interface"
    }
  }
}
