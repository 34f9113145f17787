// tcp-probe-rate: sequential TCP connect probes per second against a loopback listener the benchmark opens itself,
// beside a raw socket/connect/close loop and an `nc -z` loop in the same run, plus the spread of handshake times.
// Traffic goes to 127.0.0.1 and ::1 only; no name is ever looked up.
//
//   swift run -c release tcp-probe-rate [--count N] [--nc-count N] [--rounds R] [--family 4|6|both] [--json]
//   swift run -c release tcp-probe-rate --capture [--count N] [--rounds R] [--family 4|6|both] [--memory-count N] [--json]
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

let usage = """
  usage: tcp-probe-rate [--count N] [--nc-count N] [--rounds R] [--family 4|6|both] [--accept wake|tick] [--json]
                        [--experiments]
         tcp-probe-rate --capture [--count N] [--rounds R] [--family 4|6|both] [--accept wake|tick]
                        [--memory-count N] [--json]
    --count N      probes in each in-process loop, over all rounds (default 20000)
    --nc-count N   `nc -z` runs in the baseline loop, over all rounds (default 300; 0 skips it)
    --rounds R     the loops take turns R times, each doing 1/R of its count (default 5)
    --family F     4 (127.0.0.1), 6 (::1) or both (default both); nc runs on 127.0.0.1
    --accept S     how the listener's thread accepts: wake (blocks in accept, woken by connections; the default) or
                   tick (drains its queue every 1 ms, so its wake-ups do not depend on the prober's speed)
    --json         print one JSON object instead of the tables
    --experiments  also run X1-X5 (IPv4): the async probe's dispatch hop taken apart piece by piece
    --capture      instead: what --trace costs (root/CAP_NET_RAW): the async probe against ProbeTracer.tcp with one
                   CaptureSession, taking turns, then the memory (VmRSS, VmHWM) of one long traced loop
    --memory-count N  probes in --capture's memory loop, sampled every 1,000 (default 10000; 0 skips it)
  """

var count = 20_000
var ncCount = 300
var rounds = 5
var families = ["127.0.0.1", "::1"]
var wantJSON = false
var wantExperiments = false
var wantCapture = false
var memoryCount = 10_000
var arguments = CommandLine.arguments.dropFirst()
func fail(_ message: String) -> Never {
  printError("tcp-probe-rate: \(message)\n\(usage)\n")
  exit(2)
}
while let argument = arguments.popFirst() {
  switch argument {
  case "--count", "--nc-count", "--rounds", "--memory-count":
    guard let text = arguments.popFirst(), let value = Int(text), value >= 0 else { fail("\(argument) needs a number") }
    switch argument {
    case "--count": count = value
    case "--nc-count": ncCount = value
    case "--memory-count": memoryCount = value
    default: rounds = value
    }
  case "--family":
    switch arguments.popFirst() {
    case "4": families = ["127.0.0.1"]
    case "6": families = ["::1"]
    case "both": families = ["127.0.0.1", "::1"]
    default: fail("--family takes 4, 6 or both")
    }
  case "--accept":
    guard let text = arguments.popFirst(), let style = AcceptStyle(rawValue: text) else { fail("--accept takes wake or tick") }
    LoopbackListener.style = style
  case "--json": wantJSON = true
  case "--experiments": wantExperiments = true
  case "--capture": wantCapture = true
  case "-h", "--help":
    print(usage)
    exit(0)
  default: fail("unknown argument \(argument)")
  }
}
guard count > 0, rounds > 0 else { fail("--count and --rounds must be at least 1") }
rounds = min(rounds, count)

let environment = [
  ("kernel", kernelRelease()),
  ("cpus", String(sysconf(Int32(_SC_NPROCESSORS_ONLN)))),
  ("tcp_tw_reuse", readSmallFile("/proc/sys/net/ipv4/tcp_tw_reuse") ?? "?"),
  ("ip_local_port_range", readSmallFile("/proc/sys/net/ipv4/ip_local_port_range") ?? "?"),
  ("listener", LoopbackListener.style == .wake ? "accept thread woken per connection (--accept wake)"
                                               : "accept thread on a 1 ms tick (--accept tick)"),
]
if wantCapture {
  await runCaptureBenchmark(count: count, rounds: rounds, families: families, memoryCount: memoryCount, asJSON: wantJSON,
                            environment: environment)
}
@MainActor func progress(_ text: String) {
  if !wantJSON { printError(text) }
}
/// Each loop gets a fresh listener (a new port): TIME_WAIT entries left by one loop never collide with the next.
func withListener<R>(_ host: String, _ body: (SocketAddress) async -> R) async -> R {
  let listener: LoopbackListener
  do { listener = try LoopbackListener(host: host) } catch { fail("cannot listen on \(host): \(error)") }
  defer { listener.stop() }
  return await body(listener.address)
}
/// `total` split over the rounds, the remainder going to the first ones.
@MainActor func share(_ total: Int, round: Int) -> Int { total / rounds + (round < total % rounds ? 1 : 0) }

let netcat = ncCount > 0 ? findNetcat() : nil
if ncCount > 0 && netcat == nil { progress("nc not installed: apt-get install netcat-openbsd (skipping the nc -z baseline)\n") }
var plan: [(host: String, variant: Variant)] = families.flatMap { host in standardVariants().map { (host, $0) } }
if wantExperiments { plan += experimentVariants().map { ("127.0.0.1", $0) } }

// The loops take turns, so that drift in the machine (other load, a VM's neighbours) falls on all of them alike.
var results: [String: RunResult] = [:]
var ncRun: RunResult?
for round in 0..<rounds {
  progress("round \(round + 1)/\(rounds) ")
  let perRun = share(count, round: round)
  let warmup = min(200, max(10, perRun / 20))
  for (host, variant) in plan {
    let result = await withListener(host) { await variant.run($0, perRun, warmup) }
    results["\(variant.key) \(host)", default: RunResult(name: result.name, key: result.key, target: result.target,
                                                         count: 0, wall: .zero, handshakeSource: result.handshakeSource)]
      .absorb(result)
    progress(".")
  }
  if let netcat, share(ncCount, round: round) > 0 {
    let result = await withListener("127.0.0.1") { runNetcat(netcat, address: $0, count: share(ncCount, round: round)) }
    if ncRun == nil { ncRun = RunResult(name: result.name, key: result.key, target: result.target, count: 0, wall: .zero) }
    ncRun!.absorb(result)
    progress("n")
  }
  progress("\n")
}
let runs = plan.map { results["\($0.variant.key) \($0.host)"]! }
let allRuns = runs + (ncRun.map { [$0] } ?? [])
if wantExperiments {
  progress("X5 fast path: \(fastPathCounter.inline) connects ready at the first poll(0), \(fastPathCounter.hopped) hopped\n")
}

// Targets: every NetProbe run at least 20x the `nc -z` rate, and its median handshake under 100 µs.
let netProbeRuns = runs.filter { $0.key.hasPrefix("netprobe") }
let rateTargetMet: Bool? = ncRun.map { nc in nc.rate > 0 && netProbeRuns.allSatisfy { $0.rate / nc.rate >= 20 } }
let medianTargetMet = netProbeRuns.allSatisfy { (Spread($0)?.median ?? .infinity) < 100 }
let netProbeFailures = netProbeRuns.reduce(0) { $0 + $1.failed }

if wantJSON {
  var fields = ["\"environment\": {" + environment.map { "\(jsonString($0.0)): \(jsonString($0.1))" }.joined(separator: ", ") + "}",
                "\"count\": \(count)", "\"rounds\": \(rounds)", "\"nc_count\": \(ncCount)",
                "\"runs\": [\n  " + allRuns.map(json).joined(separator: ",\n  ") + "\n]"]
  if let nc = ncRun, nc.rate > 0 {
    fields.append("\"ratio_to_nc\": {" + netProbeRuns.map { "\(jsonString("\($0.key) \($0.target)")): \(fixed($0.rate / nc.rate, 2))" }
      .joined(separator: ", ") + "}")
  } else if ncCount > 0 {
    fields.append("\"nc\": \"not installed: apt-get install netcat-openbsd\"")
  }
  fields.append("\"targets\": {\"rate_20x_nc\": \(rateTargetMet.map { String($0) } ?? "null"), \"median_under_100us\": \(medianTargetMet)}")
  print("{" + fields.joined(separator: ",\n") + "}")
} else {
  let nameWidth = 36, targetWidth = 17
  print("tcp-probe-rate: sequential TCP connect probes to a loopback listener (accept thread, backlog 4096)")
  print(environment.map { "\($0.0) \($0.1)" }.joined(separator: ", "))
  print("\(rounds) rounds, the loops taking turns, each with a fresh listener and a short warm-up (not counted)")
  print("")
  print(pad("run", nameWidth) + pad("target", targetWidth) + pad("count", 6, right: true) + pad("failed", 7, right: true)
        + pad("wall s", 8, right: true) + pad("probes/s", 9, right: true) + pad("round median", 13, right: true)
        + pad("rounds min-max", 16, right: true)
        + pad("x nc", 7, right: true))
  for run in allRuns {
    let ratio = ncRun.map { fixed(run.rate / $0.rate, 1) } ?? "-"
    let spread = "\(fixed(run.roundRates.min() ?? 0, 0))-\(fixed(run.roundRates.max() ?? 0, 0))"
    print(pad(run.name, nameWidth) + pad(run.target, targetWidth) + pad(String(run.count), 6, right: true)
          + pad(String(run.failed), 7, right: true) + pad(fixed(run.seconds, 3), 8, right: true)
          + pad(fixed(run.rate, 0), 9, right: true) + pad(fixed(run.medianRoundRate, 0), 13, right: true)
          + pad(spread, 16, right: true) + pad(ratio, 7, right: true))
  }
  if ncCount > 0 && netcat == nil { print("(4) nc not installed: apt-get install netcat-openbsd") }
  for run in allRuns where run.failed > 0 {
    print("  \(run.name) \(run.target): " + run.outcomes.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
  }
  print("")
  print("handshake time, µs (connected probes only)")
  print(pad("run", nameWidth) + pad("target", targetWidth) + pad("min", 6, right: true) + pad("median", 8, right: true)
        + pad("p95", 8, right: true) + pad("p99", 8, right: true) + pad("max", 8, right: true) + pad("mean", 8, right: true))
  for run in allRuns {
    guard let spread = Spread(run) else { continue }
    print(pad(run.name, nameWidth) + pad(run.target, targetWidth) + pad(String(spread.minimum), 6, right: true)
          + pad(fixed(spread.median, 1), 8, right: true) + pad(fixed(spread.p95, 1), 8, right: true)
          + pad(fixed(spread.p99, 1), 8, right: true) + pad(String(spread.maximum), 8, right: true)
          + pad(fixed(spread.mean, 1), 8, right: true))
  }
  print("  NetProbe and X runs: their elapsedMicroseconds (connect(2) to poll(2) return); (3): the blocking")
  print("  connect(2) call; (3b): connect(2) to poll(2) return, timed as NetProbe times it")
  print("")
  let rateText = rateTargetMet.map { $0 ? "met" : "NOT met" } ?? "not measured (no nc -z run)"
  print("target: (1) and (2) >= 20x nc -z probes/s: \(rateText); (1) and (2) median handshake < 100 µs: \(medianTargetMet ? "met" : "NOT met")")
  if netProbeFailures > 0 { print("WARNING: \(netProbeFailures) NetProbe probes did not connect") }
}
exit(netProbeFailures > 0 ? 1 : 0)
