import ArgumentParser
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Options every repeatable probe shares: how many, how often, how long to wait, from where, which family.
struct RepeatOptions: ParsableArguments {
  @Option(name: .customShort("n"), help: "Number of probes; 0 repeats until Ctrl-C.")
  var count: Int = 4

  @Option(name: .shortAndLong, help: "Seconds between probe starts (decimals allowed).")
  var interval: Double = 1

  @Option(name: [.customShort("t"), .long], help: "Seconds to wait for each address's answer.")
  var timeout: Double = 3

  @Option(name: [.customShort("w"), .long], help: "Warm-up probes first, shown but left out of the statistics.")
  var warmup: Int = 0

  @Option(help: "Local address to send from: ADDR or ADDR:PORT ([ADDR]:PORT for IPv6).")
  var source: String?

  @Flag(name: .customShort("4"), help: "Use IPv4 addresses only.")
  var ipv4Only = false

  @Flag(name: .customShort("6"), help: "Use IPv6 addresses only.")
  var ipv6Only = false

  @Flag(help: "Print NDJSON: one object per probe, then a summary object.")
  var json = false

  func validate() throws {
    guard count >= 0 else { throw ValidationError("-n must be 0 (until Ctrl-C) or more, not \(count)") }
    guard count <= 1_000_000 else { throw ValidationError("-n must be at most 1000000") }
    guard interval >= 0, interval <= 3600, interval.isFinite else { throw ValidationError("--interval must be 0-3600 seconds") }
    guard timeout > 0, timeout <= 600, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 and at most 600 seconds") }
    guard warmup >= 0, warmup <= 1000 else { throw ValidationError("--warmup must be 0-1000") }
    guard !(ipv4Only && ipv6Only) else { throw ValidationError("-4 and -6 exclude each other") }
  }

  var family: AddressFamily? { ipv4Only ? .ipv4 : ipv6Only ? .ipv6 : nil }
  var timeoutDuration: Duration { .microseconds(Int64(timeout * 1_000_000)) }
  var intervalDuration: Duration { .microseconds(Int64(interval * 1_000_000)) }
  var runner: RepeatRunner { RepeatRunner(count: count, interval: intervalDuration, warmup: warmup) }

  /// The `--source` address, port 0 unless given.
  func sourceAddress() throws(UsageFailure) -> SocketAddress? {
    guard let source else { return nil }
    if let address = IPAddress(source) { return SocketAddress(address, port: 0) }
    if let address = SocketAddress(parsing: source) { return address }
    throw UsageFailure(message: "--source \"\(source)\" is not a local address: give ADDR, ADDR:PORT or [IPv6]:PORT, e.g. --source 127.0.0.1")
  }
}

/// `--trace` and `--pcap` of the TCP and UDP probes: a capture around every attempt (needs CAP_NET_RAW).
struct PacketTraceOptions: ParsableArguments {
  @Flag(help: "Capture each probe's packets (needs CAP_NET_RAW) and print its ladder after its result.")
  var trace = false

  @Option(help: ArgumentHelp("Write every captured packet to FILE in pcap format (needs CAP_NET_RAW).", valueName: "FILE"))
  var pcap: String?

  /// Whether anything is to be captured.
  var isEnabled: Bool { trace || pcap != nil }

  func validate() throws {
    guard let pcap else { return }
    try checkPcapDestination(pcap, example: "probe.pcap")
  }
}

/// `--pcap FILE` must name a file in a directory this user can write to; one line otherwise.
func checkPcapDestination(_ pcap: String, example: String) throws(ValidationError) {
  guard !pcap.isEmpty else { throw ValidationError("--pcap needs a file name, e.g. --pcap \(example)") }
  var status = stat()
  if stat(pcap, &status) == 0, status.st_mode & S_IFMT == S_IFDIR {
    throw ValidationError("--pcap \(pcap) is a directory: give a file name, e.g. --pcap \(pcap)/\(example)")
  }
  let directory = pcap.contains("/") ? String(pcap[..<pcap.lastIndex(of: "/")!]) : "."
  guard access(directory.isEmpty ? "/" : directory, W_OK) == 0 else {
    throw ValidationError("--pcap: cannot write in \(directory.isEmpty ? "/" : directory) (missing, or no permission)")
  }
}
