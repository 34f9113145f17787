import ArgumentParser
import NetProbe
import Triage
#if canImport(Glibc)
import Glibc
#endif

struct Probe: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "probe",
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
          nettriage probe tcp 127.0.0.1:8080 -n 1 --trace --pcap probe.pcap

        --trace (needs CAP_NET_RAW) captures each probe's packets and prints the ladder after its result: SYN,
        SYN retransmits with their times, SYN-ACK with the MSS and window offered, RST with its TTL, ICMP errors
        with their sender. --pcap FILE writes the packets for tcpdump -r or Wireshark. Without the capability
        the probe runs and one line says "trace skipped: needs CAP_NET_RAW".

        Exit status: 0 when the target answered, 1 when it did not, 2 for bad input.
        """
    )

    @Argument(help: "HOST:PORT, [IPv6]:PORT, HOST PORT, HOST:SERVICE or a URL.")
    var target: String

    @Argument(help: "The port, when given telnet style after the host.")
    var port: String?

    @OptionGroup var options: RepeatOptions

    @OptionGroup var trace: PacketTraceOptions

    func run() async throws {
      let parsed = try parseInternetTarget(target, port: port)
      let source = try options.sourceAddress()
      let probeOptions = TCPConnectProbe.Options(timeout: options.timeoutDuration, source: source)
      if trace.isEnabled {
        try await runTraced(.tcp, target: parsed, options: options, trace: trace, source: source) { addresses, label, session in
          await ProbeTracer.tcp(addresses, target: label, options: probeOptions, session: session)
        }
        return
      }
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
          nettriage probe udp 127.0.0.1:7 --payload hi -n 1 --trace --pcap udp.pcap

        --trace and --pcap FILE (need CAP_NET_RAW) capture each probe's datagrams and the ICMP errors about
        them, as for probe tcp.

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

    @OptionGroup var trace: PacketTraceOptions

    func run() async throws {
      let parsed = try parseInternetTarget(target, port: port)
      let source = try options.sourceAddress()
      let probeOptions = UDPProbe.Options(timeout: options.timeoutDuration, source: source, payload: try payloadBytes())
      if trace.isEnabled {
        try await runTraced(.udp, target: parsed, options: options, trace: trace, source: source) { addresses, label, session in
          await ProbeTracer.udp(addresses, target: label, options: probeOptions, session: session)
        }
        return
      }
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
  let addresses = try await resolveAndAnnounce(kind, target: target, options: options, source: source, output: output)
  let results = await runWithInterrupt(options.runner, output: output) { await probe(addresses, label) }
  try finish(kind: kind, label: label, results: results, output: output)
}

/// Resolves the target and prints the resolution line (or object); a failed resolution prints why and exits 1.
func resolveAndAnnounce(_ kind: ProbeKind, target: InternetTarget, options: RepeatOptions, source: SocketAddress?,
                        output: Output) async throws -> [SocketAddress] {
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
  if options.json {
    output.object(type: "resolution", resolution)
  } else {
    output.line("\(kind.rawValue) probe of \(SafeText.escape(target.description)): \(ProbeText.resolution(resolution))")
  }
  return target.socketAddresses(resolution.addresses)
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
  /// The kernel's handshake round trip, when it has one (see `ProbeAttempt.kernelRoundTripMicroseconds`).
  let rttMicroseconds: Int64?
  let attempts: [ProbeAttempt]
  /// With --trace: each attempt's packets and what they show, in the order of `attempts`.
  var traces: [AttemptTrace]? = nil

  init(sequence: Int, warmup: Bool, result: ProbeResult, traces: [AttemptTrace]? = nil) {
    self.sequence = sequence
    self.warmup = warmup
    kind = result.kind
    target = result.target
    outcome = result.outcome
    elapsedMicroseconds = result.elapsedMicroseconds
    rttMicroseconds = result.final.kernelRoundTripMicroseconds
    attempts = result.attempts
    self.traces = traces
  }
}

/// One attempt's capture in a probe's NDJSON object.
struct AttemptTrace: Encodable {
  let capture: CapturedPackets
  let evidence: FlowEvidence
}

// MARK: --trace and --pcap

/// The repeat loop with a capture around every attempt: each probe's line, then (with --trace) its ladder; at the
/// end, with --pcap, every captured packet in one file. Without CAP_NET_RAW one line says so and the probes run as
/// usual.
///
/// Each probe's ladder prints right after its result, rather than only the last one's: every probe is a connection
/// of its own, and in a loop the probe worth seeing (the one that timed out) is rarely the last.
func runTraced(_ kind: ProbeKind, target: InternetTarget, options: RepeatOptions, trace: PacketTraceOptions, source: SocketAddress?,
               probe: @escaping @Sendable ([SocketAddress], String, CaptureSession) async -> TracedProbeResult) async throws {
  let output = Output(json: options.json)
  let label = target.description
  let addresses = try await resolveAndAnnounce(kind, target: target, options: options, source: source, output: output)
  let unavailable = PacketCapture.unavailability()
  if let unavailable {
    if output.json {
      output.object(type: "trace-skipped", CaptureSkipped(reason: unavailable.reason, pcap: trace.pcap))
    } else {
      output.line("trace skipped: \(unavailable.reason)\(trace.pcap == nil ? "" : " (no pcap written)")")
    }
  }
  let capturing = unavailable == nil
  let pathLengths = PathHints(addresses)
  let width = min(100, terminalColumns())
  let collector = PcapCollector()
  let session = CaptureSession()
  let task = Task {
    await options.runner.run({ _ in TracedBox(await probe(addresses, label, session)) }, isCancelled: { $0.result.outcome == .cancelled }) {
      sequence, isWarmup, box in
      let result = box.result
      let traces = box.takeTraces()  // printed now and not kept: a long loop's memory stays flat
      if capturing && trace.pcap != nil { collector.add(traces) }
      if output.json {
        let attemptTraces = capturing && trace.trace
          ? traces.map { AttemptTrace(capture: $0, evidence: FlowEvidence($0, pathLength: pathLengths[$0.flow.remote.address])) }
          : nil
        output.object(type: "probe", ProbeEvent(sequence: sequence, warmup: isWarmup, result: result, traces: attemptTraces))
      } else {
        output.line(ProbeText.line(sequence: sequence, isWarmup: isWarmup, result: result))
        if capturing && trace.trace {
          for capture in traces {
            for line in LadderText.render(capture, width: width - 2, pathLength: pathLengths[capture.flow.remote.address]) {
              output.line("  " + line)
            }
          }
        }
      }
    }
  }
  let results = await withInterrupt(cancelling: task)
  if capturing, let path = trace.pcap {
    let packets = collector.packets
    do {
      try PcapWriter().write(packets.kept, toFile: path)
    } catch {
      printError("could not write the pcap to \(path): \(error)")
      throw ExitCode(3)
    }
    if output.json {
      output.object(type: "pcap", PcapWritten(path: path, packets: packets.kept.count, notKept: packets.dropped))
    } else {
      let note = packets.dropped > 0 ? " (\(packets.dropped) more not kept: the file's limit)" : ""
      output.line("pcap: \(packets.kept.count) packet\(packets.kept.count == 1 ? "" : "s") written to \(SafeText.escape(path))\(note)")
    }
  }
  try finish(kind: kind, label: label, results: results.map(\.result), output: output)
}

/// The NDJSON object printed when capture cannot run.
struct CaptureSkipped: Encodable {
  let reason: String
  let pcap: String?
}

/// The NDJSON object printed once the pcap is written.
struct PcapWritten: Encodable {
  let path: String
  let packets: Int
  let notKept: Int
}

/// How far each address is, from the routing table: 1 hop on-link or local, at least 2 through a gateway. Judges
/// an RST's TTL (one from 0 routers away while the destination is routed came from a device in the path).
struct PathHints: Sendable {
  private var lengths: [IPAddress: Int] = [:]

  init(_ addresses: [SocketAddress]) {
    for address in addresses where lengths[address.address] == nil {
      guard let lookup = try? Routes.lookup(address.address), lookup.status == .found else { continue }
      lengths[address.address] = lookup.gateway == nil ? 1 : 2
    }
  }

  subscript(address: IPAddress) -> Int? { lengths[address] }
}

/// One traced probe in the repeat loop; its captures are handed over once and then let go, so the loop's list of
/// results does not hold every packet.
final class TracedBox: @unchecked Sendable {
  let result: ProbeResult
  private var traces: [CapturedPackets]

  init(_ traced: TracedProbeResult) {
    result = traced.result
    traces = traced.traces
  }

  /// The captures; empty on a second call. Called only from the loop's event handler.
  func takeTraces() -> [CapturedPackets] {
    defer { traces = [] }
    return traces
  }
}

/// Every packet of a loop for --pcap, bounded: the first 100,000 packets or 64 MiB are kept (as pcap records, without
/// their decoded view), the rest counted.
final class PcapCollector: @unchecked Sendable {
  static let limit = CaptureLimit(packets: 100_000, bytes: 64 << 20)
  private var lock = pthread_mutex_t()
  private var kept: [PcapRecord] = []
  private var bytes = 0
  private var dropped = 0

  init() { pthread_mutex_init(&lock, nil) }
  deinit { pthread_mutex_destroy(&lock) }

  func add(_ captures: [CapturedPackets]) {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    for packet in captures.flatMap(\.packets) {
      guard kept.count < Self.limit.packets, bytes + packet.bytes.count <= Self.limit.bytes else {
        dropped += 1
        continue
      }
      kept.append(packet.pcapRecord)
      bytes += packet.bytes.count
    }
    dropped += captures.reduce(0) { $0 + $1.droppedByLimit }
  }

  var packets: (kept: [PcapRecord], dropped: Int) {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    return (kept, dropped)
  }
}

/// The terminal's width (80 when stdout is not a terminal). The corresponding C call is `ioctl(2)` with `TIOCGWINSZ`.
func terminalColumns() -> Int {
  var size = winsize()
  if isatty(STDOUT_FILENO) == 1, ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
  return 80
}
