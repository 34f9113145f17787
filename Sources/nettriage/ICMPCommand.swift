import ArgumentParser
import NetProbe
import Triage

extension Probe {
  /// `nettriage probe icmp`: echo requests (ping) over a raw or an ICMP datagram socket, never by running ping.
  struct ICMP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "icmp",
      abstract: "Send ICMP echo requests (ping) and name every answer: reply, unreachable (and who said so), time exceeded.",
      discussion: """
        TARGET is a host name or address (a URL's host is taken too); the first resolved address is probed. A raw socket is used with CAP_NET_RAW (root), otherwise an ICMP datagram socket, which the kernel allows when one of your groups is in net.ipv4.ping_group_range. With neither, the probe is skipped and says why.

        Examples:
          nettriage probe icmp 127.0.0.1               # 4 requests, 1 s apart
          nettriage probe icmp localhost -6 -n 0       # until Ctrl-C
          nettriage probe icmp 198.18.2.2 --ttl 1      # time exceeded: who is hop 1
          nettriage probe icmp ::1 --size 1400 --json  # NDJSON lines, then a summary
          nettriage probe icmp 127.0.0.1 --method datagram

        Exit status: 0 when a reply came, 1 when none did, 2 for bad input, 3 when the probe cannot run here.
        """
    )

    @Argument(help: "A host name or address (IPv6 link-local with %zone), or a URL.")
    var target: String

    @OptionGroup var options: RepeatOptions

    @Option(help: "Data bytes in each request, after the 8-byte ICMP header (0-\(ICMPEchoProbe.maximumPayloadSize)).")
    var size: Int = 56

    @Option(help: "TTL (IPv4) or hop limit (IPv6) of the requests, 1-255; the system default when not given.")
    var ttl: Int?

    @Option(help: "Socket to use: raw (needs CAP_NET_RAW) or datagram (needs ping_group_range); default: raw when allowed.")
    var method: String?

    func validate() throws {
      guard (0...ICMPEchoProbe.maximumPayloadSize).contains(size) else {
        throw ValidationError("--size must be 0-\(ICMPEchoProbe.maximumPayloadSize) bytes, not \(size)")
      }
      if let ttl, !(1...255).contains(ttl) { throw ValidationError("--ttl must be 1-255, not \(ttl)") }
      if let method, ICMPMethod(rawValue: method) == nil { throw ValidationError("--method must be raw or datagram, not \(method)") }
    }

    func run() async throws {
      let parsed = try parseHost()
      let source = try options.sourceAddress()
      let output = Output(json: options.json)
      let label = parsed.host.description
      let resolution: Resolution
      do {
        resolution = try await Resolver.resolve(parsed.host, family: options.family ?? source?.family)
      } catch {
        if options.json {
          output.object(type: "resolution-error", error)
        } else {
          output.line("\(SafeText.escape(label)): name resolution failed: \(error.symbol) (\(error.code)) \(error.message) after \(ProbeText.milliseconds(error.elapsedMicroseconds))")
        }
        throw ExitCode(1)
      }
      if options.json {
        output.object(type: "resolution", resolution)
      } else {
        output.line("icmp probe of \(SafeText.escape(label)): \(ProbeText.resolution(resolution))")
      }
      // A numeric target resolves to exactly one address; a name to at least one.
      guard let destination = parsed.socketAddresses(resolution.addresses).first else { throw ExitCode(1) }

      let probeOptions = ICMPEchoProbe.Options(timeout: options.timeoutDuration, method: method.flatMap(ICMPMethod.init(rawValue:)),
                                               payloadSize: size, ttl: ttl, source: source)
      let session: ICMPEchoSession
      do {
        session = try ICMPEchoProbe.open(to: destination, target: label, options: probeOptions)
      } catch {
        if options.json {
          output.object(type: "skipped", Skipped(kind: "icmp", target: label, address: destination.address, unavailable: error))
        } else {
          output.line(ICMPText.skipped(target: label, reason: error))
        }
        throw ExitCode(3)
      }
      defer { session.close() }
      if !options.json {
        output.line(ICMPText.start(address: destination.address, payloadSize: size, method: session.method, ttl: ttl))
      }

      let json = options.json
      let results = await repeatWithInterrupt(options.runner, probe: { sequence in
        await session.echo(sequence: sequence)
      }, isCancelled: { $0.outcome == .cancelled }, onEvent: { sequence, isWarmup, result in
        if json {
          output.object(type: "probe", EchoEvent(warmup: isWarmup, result: result))
        } else {
          output.line(ICMPText.line(sequence: sequence, isWarmup: isWarmup, result: result))
        }
      })

      let statistics = ProbeStatistics(echoes: results)
      if json {
        output.object(type: "summary", EchoSummary(target: label, address: destination.address, method: session.method,
                                                   statistics: statistics))
      } else {
        output.line(ICMPText.summary(target: label, statistics: statistics))
      }
      if statistics.answered == 0 { throw ExitCode(1) }
    }

    /// The host to ping: a port typed with it is a mistake (ICMP has none), but a pasted URL is fine.
    func parseHost() throws(UsageFailure) -> InternetTarget {
      let parsed: Target
      do { parsed = try Target.parse(target, requirePort: false) } catch { throw UsageFailure(message: error.description) }
      guard case let .inet(internet) = parsed else {
        throw UsageFailure(message: "\(SafeText.escape(target)) is a unix socket: use nettriage probe unix \(SafeText.escape(target))")
      }
      if internet.port != 0 && internet.scheme == nil {
        throw UsageFailure(message: "ICMP has no ports: give the host alone, e.g. nettriage probe icmp \(SafeText.escape(internet.host.description)), or use nettriage probe tcp \(SafeText.escape(target))")
      }
      if let zone = internet.unknownZone {
        throw UsageFailure(message: "no interface named \"\(SafeText.escape(zone))\" on this host: use one listed in /sys/class/net, e.g. %eth0")
      }
      return internet
    }
  }
}

/// One echo request's NDJSON object: the result's fields, with whether it was a warm-up.
private struct EchoEvent: Encodable {
  let warmup: Bool
  let result: ICMPEchoResult

  private enum Key: String, CodingKey { case warmup, kind }

  func encode(to encoder: any Encoder) throws {
    try result.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(warmup, forKey: .warmup)
    try container.encode("icmp", forKey: .kind)
  }
}

/// The final NDJSON object of an echo run.
private struct EchoSummary: Encodable {
  let kind = "icmp"
  let target: String
  let address: IPAddress
  let method: ICMPMethod
  let statistics: ProbeStatistics
}

/// The NDJSON object of a probe that could not run here, with the reason and what was found.
private struct Skipped: Encodable {
  let kind: String
  let target: String
  let address: IPAddress
  let unavailable: ICMPUnavailable

  private enum Key: String, CodingKey { case kind, target, address }

  func encode(to encoder: any Encoder) throws {
    try unavailable.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(kind, forKey: .kind)
    try container.encode(target, forKey: .target)
    try container.encode(address, forKey: .address)
  }
}
