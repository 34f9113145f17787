import ArgumentParser
import NetProbe
import Triage

extension Probe {
  struct Neigh: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "neigh",
      abstract: "Show the ARP/ND neighbour table, or check now whether an on-link address answers ARP/ND.",
      discussion: """
        Without ADDR: every IPv4 (ARP) and IPv6 (ND) entry with its MAC and state (REACHABLE, STALE, DELAY, PROBE, \
        FAILED, INCOMPLETE, PERMANENT, NOARP). With ADDR: the route lookup says whether ADDR is on-link; if it is, \
        one UDP datagram to its port 9 (discard) makes the kernel resolve it, and the entry is read every 50 ms \
        until REACHABLE, STALE or FAILED, or the timeout. FAILED means ARP/ND got no answer: the host is down or \
        absent, or on another VLAN or switch port. An entry already STALE (answered before, not confirmed lately) \
        ends the check at once; --confirm waits for the kernel's re-check of it. An address behind a gateway is not \
        resolved here: check the gateway instead. No privilege needed.

        Examples:
          nettriage probe neigh                      # the neighbour table
          nettriage probe neigh 198.18.1.1           # does the gateway answer ARP?
          nettriage probe neigh 198.18.1.1 --confirm # wait for a STALE re-check
          nettriage probe neigh fe80::1%eth0 -t 2    # ND, two seconds at most
          nettriage probe neigh 198.18.1.77 --json   # one object, each state change

        Exit status: 0 when ADDR has a MAC (REACHABLE, STALE, PERMANENT, NOARP, or re-checking) or is local, or \
        without ADDR; 1 when ARP/ND got no answer (FAILED, INCOMPLETE), the address is not on-link, or it has no \
        route; 2 for bad input; 3 when the kernel could not be asked.
        """
    )

    @Argument(help: "An on-link address to check (ADDR%IFACE for link-local IPv6).")
    var address: String?

    @Option(name: [.customShort("t"), .long], help: "Seconds to wait for ARP/ND (a failed ARP takes about 3 s); 5, or 10 with --confirm.")
    var timeout: Double?

    @Flag(help: "For an entry already STALE, wait for the kernel's re-check (about 5-8 s) instead of stopping at STALE.")
    var confirm = false

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
      if let timeout {
        guard timeout > 0, timeout <= 600, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 and at most 600 seconds") }
      }
    }

    func run() async throws {
      let output = Output(json: json)
      guard let address else { return try showTable(output) }
      let (host, zoneIndex) = try parseDestination(address)
      guard case let .address(ip, _) = host else {
        throw UsageFailure(message: "\(address) is not an address: give the neighbour's IP address, e.g. 198.18.1.1")
      }
      let check: NeighbourCheck
      do {
        let seconds = timeout ?? (confirm ? 10 : 5)
        check = try await Neighbours.check(ip, interfaceIndex: zoneIndex, timeout: .microseconds(Int64(seconds * 1_000_000)),
                                           confirmStale: confirm)
      } catch {
        printError("cannot check the neighbour: \(error)")
        throw ExitCode(3)
      }
      if json {
        output.object(type: "neighbour-check", check)
      } else {
        output.line(SafeText.escape(check.summary))
        if !check.samples.isEmpty {
          let states = check.samples.map { "\($0.state.rawValue) at \(milliseconds($0.elapsedMicroseconds))" }
          output.line("  states: " + states.joined(separator: " -> ") + (check.datagramSent ? " (datagram to port 9 sent)" : ""))
        }
        if let error = check.sendError { output.line("  sending the datagram failed: \(error)") }
        if check.outcome == .resolved, let state = check.state, [.stale, .delay, .probe].contains(state), !confirm {
          output.line("  add --confirm to wait for the re-check")
        }
      }
      if !check.isAnswered { throw ExitCode(1) }
    }

    private func showTable(_ output: Output) throws {
      let neighbours: [Neighbour]
      do {
        neighbours = try Neighbours.list()
      } catch {
        printError("cannot read the neighbour table: \(error)")
        throw ExitCode(3)
      }
      if json {
        output.object(type: "neighbours", NeighbourTable(neighbours: neighbours))
      } else if neighbours.isEmpty {
        output.line("no neighbour entries")
      } else {
        for neighbour in neighbours { output.line(SafeText.escape(neighbour.description)) }
      }
    }

    private func milliseconds(_ microseconds: Int64) -> String {
      if microseconds >= 1_000_000 {
        let hundredths = (microseconds + 5_000) / 10_000
        return "\(hundredths / 100).\(hundredths % 100 < 10 ? "0" : "")\(hundredths % 100) s"
      }
      let tenths = (microseconds + 50) / 100
      return "\(tenths / 10).\(tenths % 10) ms"
    }
  }
}

/// The one JSON object of `probe neigh` without an address.
struct NeighbourTable: Encodable {
  let neighbours: [Neighbour]
}
