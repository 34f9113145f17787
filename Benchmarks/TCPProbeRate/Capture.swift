import NetProbe
#if canImport(Glibc)
import Glibc
#endif

// `--capture`: what `--trace` costs. First one long traced loop with the process's memory read from
// /proc/self/status every 1,000 probes; then, in rounds, the plain async probe (what `nettriage probe tcp -n N`
// calls) takes turns with `ProbeTracer.tcp` sharing one `CaptureSession` per loop (what `probe tcp --trace -n N`
// calls) and with the same steps timed one by one, each against a fresh loopback listener. Traced loops drop each
// probe's packets once counted, as the CLI does once it has printed them. Needs CAP_NET_RAW.

/// The process's resident set now and at its peak, in KiB (`VmRSS`, `VmHWM` of /proc/self/status).
struct MemorySample {
  var probes: Int
  var residentKiB: Int
  var peakKiB: Int

  static func read(probes: Int) -> MemorySample {
    var sample = MemorySample(probes: probes, residentKiB: -1, peakKiB: -1)
    let fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { return sample }
    defer { close(fd) }
    var text: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while true {
      let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
      if count < 0 && errno == EINTR { continue }
      guard count > 0 else { break }
      text += chunk[0..<count]
    }
    for line in String(decoding: text, as: UTF8.self).split(separator: "\n") {
      let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
      guard fields.count >= 2, let value = Int(fields[1]) else { continue }
      if fields[0] == "VmRSS:" { sample.residentKiB = value }
      if fields[0] == "VmHWM:" { sample.peakKiB = value }
    }
    return sample
  }
}

/// What the traced loops captured, beside their `RunResult`.
struct CaptureTally {
  var probes = 0
  var packets = 0
  /// Probes whose attempt came back with no capture at all (the capture could not start).
  var uncaptured = 0
  var droppedByLimit = 0
  var droppedByKernel = 0

  mutating func add(_ traced: TracedProbeResult) {
    probes += 1
    if traced.traces.isEmpty { uncaptured += 1 }
    for trace in traced.traces {
      packets += trace.packets.count
      droppedByLimit += trace.droppedByLimit
      droppedByKernel += trace.droppedByKernel
    }
  }

  mutating func absorb(_ other: CaptureTally) {
    probes += other.probes
    packets += other.packets
    uncaptured += other.uncaptured
    droppedByLimit += other.droppedByLimit
    droppedByKernel += other.droppedByKernel
  }

  var packetsPerProbe: Double { probes > 0 ? Double(packets) / Double(probes) : 0 }
}

/// `count` traced probes awaited one at a time, after `warmup` untimed ones; `sample` is called every
/// `sampleEvery` probes (and before the first) with the number done so far.
func runTraced(_ address: SocketAddress, count: Int, warmup: Int, session: CaptureSession, sampleEvery: Int = 0,
               sample: (Int) -> Void = { _ in }) async -> (RunResult, CaptureTally) {
  let target = address.description
  for _ in 0..<warmup { _ = await ProbeTracer.tcp([address], target: target, options: options, session: session) }
  var outcomes = [ProbeOutcome](repeating: .error, count: count)
  var times = [Int64](repeating: 0, count: count)
  var tally = CaptureTally()
  if sampleEvery > 0 { sample(0) }
  var wall = Duration.zero
  var start = ContinuousClock.now
  for i in 0..<count {
    let traced = await ProbeTracer.tcp([address], target: target, options: options, session: session)
    outcomes[i] = traced.result.outcome
    times[i] = traced.result.elapsedMicroseconds
    tally.add(traced)  // the packets are counted, then dropped with `traced`: the CLI keeps none either
    if sampleEvery > 0, (i + 1) % sampleEvery == 0 {
      wall += ContinuousClock.now - start  // reading /proc is not part of the probe rate
      sample(i + 1)
      start = .now
    }
  }
  wall += ContinuousClock.now - start
  var run = RunResult(name: "(T) ProbeTracer.tcp (--trace)", key: "traced", target: target, count: count, wall: wall)
  run.handshakeSource = "NetProbe elapsedMicroseconds"
  for (outcome, time) in zip(outcomes, times) {
    run.outcomes[outcome.rawValue, default: 0] += 1
    if outcome == .connected { run.handshakes.append(time) }
  }
  return (run, tally)
}

/// Where a traced probe's time goes: `ProbeTracer.tcp`'s steps made one by one through the public API (start the
/// capture, probe, stop it, keep the probe's own connection), each timed. Mean µs per probe.
struct StepTimes {
  var probes = 0
  var start = Duration.zero, probe = Duration.zero, stop = Duration.zero, restrict = Duration.zero

  mutating func absorb(_ other: StepTimes) {
    probes += other.probes
    start += other.start; probe += other.probe; stop += other.stop; restrict += other.restrict
  }

  func mean(_ total: Duration) -> Double { probes > 0 ? Double(microseconds(total * 1000)) / 1000 / Double(probes) : 0 }
}

func runTracedBySteps(_ address: SocketAddress, count: Int, warmup: Int, session: CaptureSession) async -> StepTimes {
  let target = address.description
  var times = StepTimes()
  for i in 0..<(warmup + count) {
    let t0 = ContinuousClock.now
    let capture = try? PacketCapture.start(flow: CaptureFlow(.tcp, remote: address), session: session)
    let t1 = ContinuousClock.now
    let result = await TCPConnectProbe.probe([address], target: target, options: options)
    let t2 = ContinuousClock.now
    let packets = capture?.stop(settle: .zero)
    let t3 = ContinuousClock.now
    let kept = result.attempts.last?.local.flatMap { local in packets.map { $0.restricted(toLocal: local) } }
    let t4 = ContinuousClock.now
    _ = kept
    guard i >= warmup else { continue }
    times.probes += 1
    times.start += t1 - t0; times.probe += t2 - t1; times.stop += t3 - t2; times.restrict += t4 - t3
  }
  return times
}

/// Runs the capture benchmark and exits: 0 when every probe connected and every traced probe was captured,
/// 1 otherwise, 2 without CAP_NET_RAW.
func runCaptureBenchmark(count: Int, rounds: Int, families: [String], memoryCount: Int, asJSON: Bool,
                         environment: [(String, String)]) async -> Never {
  if let unavailable = PacketCapture.unavailability() {
    printError("tcp-probe-rate --capture: capture unavailable (\(unavailable.reason)); run as root or with CAP_NET_RAW\n")
    exit(2)
  }
  func progress(_ text: String) { if !asJSON { printError(text) } }
  func listening<R>(_ host: String, _ body: (SocketAddress) async -> R) async -> R {
    let listener: LoopbackListener
    do { listener = try LoopbackListener(host: host) } catch {
      printError("tcp-probe-rate: cannot listen on \(host): \(error)\n")
      exit(2)
    }
    defer { listener.stop() }
    return await body(listener.address)
  }
  func share(_ total: Int, round: Int) -> Int { total / rounds + (round < total % rounds ? 1 : 0) }

  // The memory loop runs first, from a heap that has seen only the warm-up: growth then shows instead of hiding in
  // memory that earlier, larger loops freed.
  var samples: [MemorySample] = []
  var memoryRun: (RunResult, CaptureTally)?
  if memoryCount > 0 {
    progress("memory loop: \(memoryCount) traced probes ")
    let session = CaptureSession()
    memoryRun = await listening(families.first ?? "127.0.0.1") { address in
      await runTraced(address, count: memoryCount, warmup: 200, session: session, sampleEvery: 1_000) { done in
        samples.append(.read(probes: done))
        if done > 0 { progress(".") }
      }
    }
    session.close()
    if memoryCount % 1_000 != 0 { samples.append(.read(probes: memoryCount)) }
    progress("\n")
  }

  // Plain, traced and traced-by-steps take turns, in an order that rotates each round, so drift falls on all alike.
  // Each traced loop has its own session (as one `probe tcp --trace -n N` run has), closed after it: the plain
  // loops then run with no packet socket open, as `probe tcp` without --trace does.
  var plain: [String: RunResult] = [:]
  var traced: [String: RunResult] = [:]
  var tallies: [String: CaptureTally] = [:]
  var steps: [String: StepTimes] = [:]
  for round in 0..<rounds {
    progress("round \(round + 1)/\(rounds) ")
    let perRun = share(count, round: round)
    let warmup = min(200, max(10, perRun / 20))
    for host in families {
      let turns = [0, 1, 2].map { ($0 + round) % 3 }
      for turn in turns {
        switch turn {
        case 0:
          let run = await listening(host) { await runNetProbeAsync($0, count: perRun, warmup: warmup, options: options) }
          plain[host, default: RunResult(name: run.name, key: run.key, target: run.target, count: 0, wall: .zero,
                                         handshakeSource: run.handshakeSource)].absorb(run)
        case 1:
          let session = CaptureSession()
          let (run, tally) = await listening(host) { await runTraced($0, count: perRun, warmup: warmup, session: session) }
          session.close()
          traced[host, default: RunResult(name: run.name, key: run.key, target: run.target, count: 0, wall: .zero,
                                          handshakeSource: run.handshakeSource)].absorb(run)
          tallies[host, default: CaptureTally()].absorb(tally)
        default:
          let session = CaptureSession()
          let times = await listening(host) { await runTracedBySteps($0, count: perRun, warmup: warmup, session: session) }
          session.close()
          steps[host, default: StepTimes()].absorb(times)
        }
        progress(".")
      }
    }
    progress("\n")
  }

  struct Comparison {
    var host: String, plain: RunResult, traced: RunResult, tally: CaptureTally
    /// The share of the plain rate that capture costs, in %, from the round medians.
    var overhead: Double { 100 * (1 - traced.medianRoundRate / plain.medianRoundRate) }
    /// The same from the totals (probes / total wall time).
    var overheadTotal: Double { 100 * (1 - traced.rate / plain.rate) }
    /// Time added per probe, µs.
    var addedMicroseconds: Double { 1e6 / traced.medianRoundRate - 1e6 / plain.medianRoundRate }
  }
  let comparisons = families.map { Comparison(host: $0, plain: plain[$0]!, traced: traced[$0]!, tally: tallies[$0]!) }
  let rateTargetMet = comparisons.allSatisfy { $0.overhead < 20 }
  // Flat: from the first sample after 1,000 probes to the last, the resident set grows by under 1 MiB.
  let afterFirst = samples.first { $0.probes >= 1_000 }
  let growthKiB = afterFirst.flatMap { first in samples.last.map { $0.residentKiB - first.residentKiB } }
  let memoryFlat = growthKiB.map { $0 < 1024 }
  let failures = comparisons.reduce(0) { $0 + $1.plain.failed + $1.traced.failed + $1.tally.uncaptured }
    + (memoryRun.map { $0.0.failed + $0.1.uncaptured } ?? 0)

  if asJSON {
    func comparisonJSON(_ c: Comparison) -> String {
      "{\"target_family\": \(jsonString(c.host)), \"plain\": \(json(c.plain)), \"traced\": \(json(c.traced)), "
        + "\"overhead_percent\": \(fixed(c.overhead, 1)), \"overhead_percent_total\": \(fixed(c.overheadTotal, 1)), "
        + "\"added_us_per_probe\": \(fixed(c.addedMicroseconds, 1)), \"capture\": \(tallyJSON(c.tally))"
        + (steps[c.host].map { t in
          ", \"steps_us\": {\"start\": \(fixed(t.mean(t.start), 1)), \"probe\": \(fixed(t.mean(t.probe), 1)), "
            + "\"stop\": \(fixed(t.mean(t.stop), 1)), \"restrict\": \(fixed(t.mean(t.restrict), 1))}"
        } ?? "") + "}"
    }
    var fields = ["\"environment\": {" + environment.map { "\(jsonString($0.0)): \(jsonString($0.1))" }.joined(separator: ", ") + "}",
                  "\"mode\": \"capture\"", "\"count\": \(count)", "\"rounds\": \(rounds)",
                  "\"comparisons\": [\n  " + comparisons.map(comparisonJSON).joined(separator: ",\n  ") + "\n]"]
    if let (run, tally) = memoryRun {
      fields.append("\"memory_loop\": {\"run\": \(json(run)), \"capture\": \(tallyJSON(tally)), \"samples\": ["
        + samples.map { "{\"probes\": \($0.probes), \"vm_rss_kib\": \($0.residentKiB), \"vm_hwm_kib\": \($0.peakKiB)}" }
          .joined(separator: ", ") + "]}")
    }
    fields.append("\"targets\": {\"overhead_under_20_percent\": \(rateTargetMet), "
      + "\"memory_flat\": \(memoryFlat.map { String($0) } ?? "null")}")
    print("{" + fields.joined(separator: ",\n") + "}")
    exit(failures > 0 ? 1 : 0)
  }

  let nameWidth = 32, targetWidth = 17
  print("tcp-probe-rate --capture: probes/s with and without a capture of each probe (ProbeTracer.tcp, one CaptureSession per loop)")
  print(environment.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
  print("\(rounds) rounds, plain, traced and traced-by-steps taking turns (the order rotating each round), each with a fresh "
        + "listener and a short warm-up")
  print("")
  print(pad("run", nameWidth) + pad("target", targetWidth) + pad("count", 6, right: true) + pad("failed", 7, right: true)
        + pad("wall s", 8, right: true) + pad("probes/s", 9, right: true) + pad("round median", 13, right: true)
        + pad("rounds min-max", 16, right: true) + pad("median µs", 10, right: true))
  for c in comparisons {
    for run in [c.plain, c.traced] {
      let spread = "\(fixed(run.roundRates.min() ?? 0, 0))-\(fixed(run.roundRates.max() ?? 0, 0))"
      print(pad(run.name, nameWidth) + pad(run.target, targetWidth) + pad(String(run.count), 6, right: true)
            + pad(String(run.failed), 7, right: true) + pad(fixed(run.seconds, 3), 8, right: true)
            + pad(fixed(run.rate, 0), 9, right: true) + pad(fixed(run.medianRoundRate, 0), 13, right: true)
            + pad(spread, 16, right: true) + pad(Spread(run).map { fixed($0.median, 1) } ?? "-", 10, right: true))
    }
  }
  print("")
  for c in comparisons {
    print("\(c.host): capture costs \(fixed(c.overhead, 1)) % of the probe rate (round medians; \(fixed(c.overheadTotal, 1)) % "
          + "from totals), +\(fixed(c.addedMicroseconds, 1)) µs per probe; \(fixed(c.tally.packetsPerProbe, 2)) packets "
          + "kept per probe, \(c.tally.uncaptured) probes uncaptured, dropped: \(c.tally.droppedByLimit) by limit, "
          + "\(c.tally.droppedByKernel) by kernel")
  }
  print("")
  print("where a traced probe's time goes (the same steps as ProbeTracer.tcp, timed one by one; mean µs per probe)")
  print(pad("target", 12) + pad("start", 8, right: true) + pad("probe", 8, right: true) + pad("stop", 8, right: true)
        + pad("restrict", 10, right: true) + pad("sum", 8, right: true) + pad("plain probe", 13, right: true))
  for c in comparisons {
    guard let t = steps[c.host] else { continue }
    let sum = t.mean(t.start) + t.mean(t.probe) + t.mean(t.stop) + t.mean(t.restrict)
    print(pad(c.host, 12) + pad(fixed(t.mean(t.start), 1), 8, right: true) + pad(fixed(t.mean(t.probe), 1), 8, right: true)
          + pad(fixed(t.mean(t.stop), 1), 8, right: true) + pad(fixed(t.mean(t.restrict), 1), 10, right: true)
          + pad(fixed(sum, 1), 8, right: true) + pad(fixed(1e6 / c.plain.medianRoundRate, 1), 13, right: true))
  }
  if let (run, tally) = memoryRun {
    print("")
    print("memory of a \(memoryCount)-probe traced loop (\(run.target), one CaptureSession; \(fixed(run.rate, 0)) probes/s, "
          + "\(run.failed) failed, \(fixed(tally.packetsPerProbe, 2)) packets per probe, \(tally.uncaptured) uncaptured)")
    print(pad("probes", 8, right: true) + pad("VmRSS KiB", 11, right: true) + pad("VmHWM KiB", 11, right: true))
    for sample in samples {
      print(pad(String(sample.probes), 8, right: true) + pad(String(sample.residentKiB), 11, right: true)
            + pad(String(sample.peakKiB), 11, right: true))
    }
  }
  print("")
  let memoryText = growthKiB.map { "\($0 < 1024 ? "met" : "NOT met") (\($0 >= 0 ? "+" : "")\($0) KiB from 1,000 probes to the end)" }
    ?? "not measured"
  print("target: capture costs < 20 % of the probe rate: \(rateTargetMet ? "met" : "NOT met"); memory flat "
        + "(< 1 MiB growth after the first 1,000 probes): \(memoryText)")
  if failures > 0 { print("WARNING: \(failures) probes did not connect or were not captured") }
  exit(failures > 0 ? 1 : 0)
}

private func tallyJSON(_ tally: CaptureTally) -> String {
  "{\"probes\": \(tally.probes), \"packets\": \(tally.packets), \"packets_per_probe\": \(fixed(tally.packetsPerProbe, 2)), "
    + "\"uncaptured\": \(tally.uncaptured), \"dropped_by_limit\": \(tally.droppedByLimit), "
    + "\"dropped_by_kernel\": \(tally.droppedByKernel)}"
}
