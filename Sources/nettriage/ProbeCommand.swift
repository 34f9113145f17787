import ArgumentParser
import NetProbe
import Triage

struct Probe: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    abstract: "Run one probe again and again, with live results and statistics.",
    discussion: """
      Examples:
        nettriage probe tcp 127.0.0.1:8080
        nettriage probe tcp localhost 8080 -n 20 -i 0.2
        nettriage probe udp 127.0.0.1:53 --payload hello
        nettriage probe unix /run/app.sock
      """,
    subcommands: [TCP.self, UDP.self, Unix.self, ICMP.self, Trace.self, Iface.self, Route.self, Neigh.self, Sockets.self, DNS.self]
  )
}

extension Probe {
  struct TCP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "tcp",
      abstract: "Time TCP handshakes to a host and port, trying each resolved address in turn.",
      discussion: """
        TARGET is HOST:PORT, [IPv6]:PORT, HOST PORT, HOST:SERVICE or a URL (the scheme gives the port).
        Each probe opens a fresh socket per address; an ICMP error ends an attempt at once.

        Examples:
          nettriage probe tcp 127.0.0.1:8080              # 4 probes, 1 s apart
          nettriage probe tcp localhost 22 -n 0           # until Ctrl-C, then the summary
          nettriage probe tcp https://localhost/ -w 1     # port 443, one warm-up probe
          nettriage probe tcp [::1]:8080 --json           # NDJSON: a line per probe, then a summary

        Exit status: 0 when the target answered, 1 when it did not, 2 for bad input.
        """
    )

    @Argument(help: "HOST:PORT, [IPv6]:PORT, HOST PORT, HOST:SERVICE or a URL.")
    var target: String

    @Argument(help: "The port, when given telnet style after the host.")
    var port: String?

    @OptionGroup var options: RepeatOptions

    func run() async throws {
      let parsed = try parseInternetTarget(target, port: port)
      let source = try options.sourceAddress()
      let probeOptions = TCPConnectProbe.Options(timeout: options.timeoutDuration, source: source)
      try await runRepeated(.tcp, target: parsed, options: options, source: source) { addresses, label in
        await TCPConnectProbe.probe(addresses, target: label, options: probeOptions)
      }
    }
  }

  struct UDP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "udp",
      abstract: "Send a datagram and wait for a reply or an ICMP error.",
      discussion: """
        A reply means open; ICMP port unreachable means closed; silence means open or filtered.

        Examples:
          nettriage probe udp 127.0.0.1:7 --payload hello
          nettriage probe udp localhost 53 --payload hex:00010000 -n 10

        Exit status: 0 when a reply came, 1 when none did, 2 for bad input.
        """
    )

    @Argument(help: "HOST:PORT, [IPv6]:PORT, HOST PORT or HOST:SERVICE.")
    var target: String

    @Argument(help: "The port, when given telnet style after the host.")
    var port: String?

    @Option(help: "The datagram's payload: text, or hex:0A0B... for bytes. Empty by default.")
    var payload: String = ""

    @OptionGroup var options: RepeatOptions

    func run() async throws {
      let parsed = try parseInternetTarget(target, port: port)
      let source = try options.sourceAddress()
      let probeOptions = UDPProbe.Options(timeout: options.timeoutDuration, source: source, payload: try payloadBytes())
      try await runRepeated(.udp, target: parsed, options: options, source: source) { addresses, label in
        await UDPProbe.probe(addresses, target: label, options: probeOptions)
      }
    }

    func payloadBytes() throws(UsageFailure) -> [UInt8] {
      guard payload.hasPrefix("hex:") else { return Array(payload.utf8) }
      let digits = Array(payload.dropFirst(4).filter { !$0.isWhitespace })
      guard digits.count % 2 == 0, digits.count <= 131_070 else {
        throw UsageFailure(message: "--payload hex: needs an even number of hex digits, e.g. hex:0a0b0c")
      }
      var bytes: [UInt8] = []
      for index in stride(from: 0, to: digits.count, by: 2) {
        guard let byte = UInt8(String(digits[index...index + 1]), radix: 16) else {
          throw UsageFailure(message: "--payload hex: \"\(digits[index])\(digits[index + 1])\" is not a hex byte, e.g. hex:0a0b0c")
        }
        bytes.append(byte)
      }
      return bytes
    }
  }

  struct Unix: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "unix",
      abstract: "Connect to a unix-domain socket: missing, not a socket, refused, no permission, or connected.",
      discussion: """
        Examples:
          nettriage probe unix /run/app.sock
          nettriage probe unix unix:/tmp/.X11-unix/X0 -n 10 -i 0.1

        Exit status: 0 when the socket accepted, 1 when it did not, 2 for bad input.
        """
    )

    @Argument(help: "The socket's path (unix:/path also accepted).")
    var path: String

    @OptionGroup var options: RepeatOptions

    func run() async throws {
      let text = path.hasPrefix("unix:") ? path : "unix:" + path
      let target: Target
      do { target = try Target.parse(text) } catch { throw UsageFailure(message: error.description) }
      guard case let .unix(socketPath) = target else { throw UsageFailure(message: "\(path) is not a unix socket path") }
      let output = Output(json: options.json)
      if !options.json { output.line("unix probe of \(SafeText.escape(socketPath))") }
      let timeout = options.timeoutDuration
      let results = await runWithInterrupt(options.runner, output: output) {
        await UnixSocketProbe.probe(path: socketPath, timeout: timeout)
      }
      try finish(kind: .unix, label: socketPath, results: results, output: output)
    }
  }
}

/// Parses a TCP/UDP target; a unix path or bad input is a usage failure.
func parseInternetTarget(_ text: String, port: String?) throws(UsageFailure) -> InternetTarget {
  let target: Target
  do { target = try Target.parse(text, port: port) } catch { throw UsageFailure(message: error.description) }
  guard case let .inet(internet) = target else {
    throw UsageFailure(message: "\(text) is a unix socket: use nettriage probe unix \(text)")
  }
  if let zone = internet.unknownZone {
    throw UsageFailure(message: "no interface named \"\(zone)\" on this host: use one listed in /sys/class/net, e.g. %eth0")
  }
  return internet
}

/// Resolves the target, then runs the probe repeatedly and prints each result and the summary.
func runRepeated(_ kind: ProbeKind, target: InternetTarget, options: RepeatOptions, source: SocketAddress?,
                 probe: @escaping @Sendable ([SocketAddress], String) async -> ProbeResult) async throws {
  let output = Output(json: options.json)
  let label = target.description
  let resolution: Resolution
  do {
    resolution = try await Resolver.resolve(target.host, family: options.family ?? source?.family)
  } catch {
    if options.json {
      output.object(type: "resolution-error", error)
    } else {
      output.line("\(SafeText.escape(target.host.description)): name resolution failed: \(error.symbol) (\(error.code)) \(error.message) after \(ProbeText.milliseconds(error.elapsedMicroseconds))")
    }
    throw ExitCode(1)
  }
  let addresses = target.socketAddresses(resolution.addresses)
  if options.json {
    output.object(type: "resolution", resolution)
  } else {
    output.line("\(kind.rawValue) probe of \(SafeText.escape(label)): \(ProbeText.resolution(resolution))")
  }
  let results = await runWithInterrupt(options.runner, output: output) { await probe(addresses, label) }
  try finish(kind: kind, label: label, results: results, output: output)
}

/// Prints the summary and leaves with 0 when anything answered, 1 otherwise.
func finish(kind: ProbeKind, label: String, results: [ProbeResult], output: Output) throws(ExitCode) {
  let statistics = ProbeStatistics(results)
  if output.json {
    output.object(type: "summary", Summary(kind: kind, target: label, statistics: statistics))
  } else {
    output.line(ProbeText.summary(kind: kind, target: label, statistics: statistics))
  }
  if statistics.answered == 0 { throw ExitCode(1) }
}

/// The final NDJSON object.
struct Summary: Encodable {
  let kind: ProbeKind
  let target: String
  let statistics: ProbeStatistics
}

/// One probe's NDJSON object.
struct ProbeEvent: Encodable {
  let sequence: Int
  let warmup: Bool
  let kind: ProbeKind
  let target: String
  let outcome: ProbeOutcome
  let elapsedMicroseconds: Int64
  let attempts: [ProbeAttempt]
}
