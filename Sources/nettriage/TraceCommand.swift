import ArgumentParser
import NetProbe
import Triage

extension Probe {
  /// `nettriage probe trace`: traceroute with every TTL in flight at once, in ICMP, UDP or TCP-SYN mode.
  struct Trace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "trace",
      abstract: "Trace the path hop by hop (ICMP, UDP or TCP SYN) and say where it ends: reached, rejected, or silent.",
      discussion: """
        Sends probes with TTL 1, 2, 3, ... (IPv6: hop limit) all at once, so a 30-hop trace takes about one timeout. \
        Each router on the way answers "time exceeded"; the trace stops at the destination (echo reply, port \
        unreachable, SYN-ACK or RST) or at a device that rejects (admin-prohibited), and says so in one line.

        Modes: udp (default) needs no privilege; icmp needs CAP_NET_RAW or a group in net.ipv4.ping_group_range, \
        else it is skipped with the reason; tcp sends SYNs to the application port (from TARGET, -p, or 80), so \
        it shows the hop where a firewall drops (the hops after it are silent) or rejects. Without CAP_NET_RAW a \
        TCP trace sees routers only through the connecting socket's error queue, and says which hops it could \
        not see.

        Examples:
          nettriage probe trace 198.18.2.2                      # UDP to port 33434
          nettriage probe trace example.com:443 --mode tcp      # SYNs to port 443
          nettriage probe trace https://intranet.example/ --mode tcp
          nettriage probe trace ::1 --mode icmp --max-hops 5
          nettriage probe trace 198.18.2.2 -q 1 -t 1 --json     # one JSON object

        Exit status: 0 when the destination answered, 1 when it did not, 2 for bad input, 3 when the mode \
        cannot run here (ICMP without privilege).
        """
    )

    @Argument(help: "A host name or address (IPv6 link-local with %zone), HOST:PORT, [IPv6]:PORT, or a URL.")
    var target: String

    @Option(help: "What to send: udp (datagrams), icmp (echo requests) or tcp (SYNs to the application port).")
    var mode: String = TraceMode.udp.rawValue

    @Option(name: .shortAndLong, help: "Destination port for udp (default 33434) or tcp (default: TARGET's, else 80).")
    var port: Int?

    @Option(help: "Highest TTL (IPv4) or hop limit (IPv6) to probe, 1-255.")
    var maxHops: Int = 30

    @Option(name: [.customShort("q"), .long], help: "Probes per hop, 1-10.")
    var queries: Int = 3

    @Option(name: [.customShort("t"), .long], help: "Seconds each probe waits for its answer (the whole trace takes about this long).")
    var timeout: Double = 3

    @Option(help: "ICMP mode's socket: raw (needs CAP_NET_RAW) or datagram (needs ping_group_range); default: raw when allowed.")
    var method: String?

    @Flag(name: .customShort("4"), help: "Use an IPv4 address only.")
    var ipv4Only = false

    @Flag(name: .customShort("6"), help: "Use an IPv6 address only.")
    var ipv6Only = false

    @Flag(help: "Print one JSON object: the resolution, every hop's probes and responders, and the conclusion.")
    var json = false

    func validate() throws {
      guard let mode = TraceMode(rawValue: mode) else { throw ValidationError("--mode must be icmp, udp or tcp, not \(mode)") }
      guard TraceOptions.hopRange.contains(maxHops) else { throw ValidationError("--max-hops must be 1-255, not \(maxHops)") }
      guard TraceOptions.queryRange.contains(queries) else { throw ValidationError("--queries must be 1-10, not \(queries)") }
      guard timeout > 0, timeout <= 60, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 and at most 60 seconds") }
      if let port {
        guard mode != .icmp else { throw ValidationError("-p applies to --mode udp or tcp: ICMP has no ports") }
        guard (1...65535).contains(port) else { throw ValidationError("-p must be 1-65535, not \(port)") }
      }
      if let method {
        guard mode == .icmp else { throw ValidationError("--method applies to --mode icmp only") }
        guard ICMPMethod(rawValue: method) != nil else { throw ValidationError("--method must be raw or datagram, not \(method)") }
      }
      guard !(ipv4Only && ipv6Only) else { throw ValidationError("-4 and -6 exclude each other") }
    }

    func run() async throws {
      let mode = TraceMode(rawValue: mode) ?? .udp
      let parsed = try parseTarget()
      let destinationPort = try self.destinationPort(mode: mode, target: parsed)
      let output = Output(json: json)
      let label = parsed.host.description
      let resolution: Resolution
      do {
        resolution = try await Resolver.resolve(parsed.host, family: ipv4Only ? .ipv4 : ipv6Only ? .ipv6 : nil)
      } catch {
        if json {
          output.object(type: "resolution-error", error)
        } else {
          output.line("\(SafeText.escape(label)): name resolution failed: \(error.symbol) (\(error.code)) \(error.message) after \(ProbeText.milliseconds(error.elapsedMicroseconds))")
        }
        throw ExitCode(1)
      }
      var target = parsed
      target.port = destinationPort
      // A numeric target resolves to exactly one address; a name to at least one: the first is traced.
      guard let destination = target.socketAddresses(resolution.addresses).first else { throw ExitCode(1) }
      if !json { output.line("trace to \(SafeText.escape(label)): \(ProbeText.resolution(resolution))") }

      let options = TraceOptions(mode: mode, maxHops: maxHops, queries: queries, timeout: .microseconds(Int64(timeout * 1_000_000)),
                                 icmpMethod: method.flatMap(ICMPMethod.init(rawValue:)))
      let session: TraceSession
      do {
        session = try Traceroute.open(to: destination, target: label, options: options)
      } catch {
        if json {
          output.object(type: "skipped", TraceSkipped(target: label, address: destination.address, resolution: resolution,
                                                      unavailable: error))
        } else {
          output.line(TraceText.skipped(target: label, reason: error))
        }
        throw ExitCode(3)
      }
      if !json {
        output.line(TraceText.start(mode: mode, address: destination.address, port: destination.port, options: options,
                                    icmpMethod: session.icmpMethod, rawListener: session.rawListener,
                                    listenerUnavailable: session.listenerUnavailable))
      }
      let result = await withInterrupt(cancelling: Task { await session.run() })
      if json {
        output.object(type: "trace", TraceReport(resolution: resolution, result: result))
      } else {
        TraceText.lines(result).forEach(output.line)
      }
      if !result.reached { throw ExitCode(1) }
    }

    /// The host (and any port) to trace; a unix path or bad input is a usage failure.
    func parseTarget() throws(UsageFailure) -> InternetTarget {
      let parsed: Target
      do { parsed = try Target.parse(target, requirePort: false) } catch { throw UsageFailure(message: error.description) }
      guard case let .inet(internet) = parsed else {
        throw UsageFailure(message: "\(SafeText.escape(target)) is a unix socket: there is no path to trace; use nettriage probe unix \(SafeText.escape(target))")
      }
      if let zone = internet.unknownZone {
        throw UsageFailure(message: "no interface named \"\(SafeText.escape(zone))\" on this host: use one listed in /sys/class/net, e.g. %eth0")
      }
      return internet
    }

    /// `-p`, else the target's port (typed or from a URL's scheme), else the mode's default. ICMP has none.
    func destinationPort(mode: TraceMode, target: InternetTarget) throws(UsageFailure) -> UInt16 {
      guard mode != .icmp else { return 0 }
      if let port {
        if target.port != 0 && Int(target.port) != port {
          throw UsageFailure(message: "port given twice (\(target.port) in the target and -p \(port)): give it once")
        }
        return UInt16(port)
      }
      return target.port != 0 ? target.port : mode.defaultPort
    }
  }
}

/// The `--json` object: the resolution, then the trace's own fields.
private struct TraceReport: Encodable {
  let resolution: Resolution
  let result: TraceResult

  private enum Key: String, CodingKey { case resolution }

  func encode(to encoder: any Encoder) throws {
    try result.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(resolution, forKey: .resolution)
  }
}

/// The `--json` object of an ICMP trace that cannot run here, with the reason and what was found.
private struct TraceSkipped: Encodable {
  let kind = "trace"
  let mode = TraceMode.icmp
  let target: String
  let address: IPAddress
  let resolution: Resolution
  let unavailable: ICMPUnavailable

  private enum Key: String, CodingKey { case kind, mode, target, address, resolution }

  func encode(to encoder: any Encoder) throws {
    try unavailable.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(kind, forKey: .kind)
    try container.encode(mode, forKey: .mode)
    try container.encode(target, forKey: .target)
    try container.encode(address, forKey: .address)
    try container.encode(resolution, forKey: .resolution)
  }
}
