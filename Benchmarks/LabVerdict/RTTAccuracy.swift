import Foundation
import Lab
import NetProbe

/// One tool's round-trip times to the server, beside the ground truth: the delay line's hold, both ways.
struct RTTSeries: Codable, Sendable {
  var tool: String
  var scenario: String
  /// The configured round trip: 2 x the delay line's hold (0 on the healthy path).
  var truth_us: Int64
  var sent: Int
  var answered: Int
  /// One per answered probe, µs (nping: its mean only, as it prints no per-probe time at µs).
  var samples: [Int64]
  var median_us: Int64?
  /// median - truth.
  var error_us: Int64?
  var error_percent: Double?
  /// median - truth - the same tool's median on the healthy path: what the delay line itself adds.
  var excess_over_baseline_us: Int64?
  var note: String?
}

/// The RTT series: nettriage's TCP and ICMP probes, ping and nping, each `count` probes 0.1 s apart.
enum RTTAccuracy {
  static let targetAddress = LabTopology.server4
  static let targetPort = "80"
  static let interval = "0.1"

  static func measure(scenario: String, truthMicroseconds: Int64, count: Int, toolbox: Toolbox,
                      baseline: [RTTSeries] = []) -> [RTTSeries] {
    var series: [RTTSeries] = []
    let n = String(count)
    let tcp = TimedProcess.run(InsideLab.command([toolbox.nettriage, "probe", "tcp", "\(targetAddress):\(targetPort)",
                                                  "-n", n, "-i", interval, "-t", "2", "--json"]))
    series.append(make("nettriage probe tcp", scenario, truthMicroseconds, count,
                       probeObjects(tcp, answer: "connected", time: "rttMicroseconds", fallback: "elapsedMicroseconds")))
    let icmp = TimedProcess.run(InsideLab.command([toolbox.nettriage, "probe", "icmp", targetAddress,
                                                   "-n", n, "-i", interval, "-t", "2", "--json"]))
    series.append(make("nettriage probe icmp", scenario, truthMicroseconds, count,
                       probeObjects(icmp, answer: "reply", time: "rttMicroseconds")))
    if let ping = toolbox.ping {
      let run = TimedProcess.run(InsideLab.command([ping, "-c", n, "-i", interval, "-W", "2", targetAddress]))
      var entry = make("ping", scenario, truthMicroseconds, count, pingTimes(run))
      entry.note = "ping prints each time to 3 significant digits (0.01 ms under 10 ms, 0.1 ms under 100 ms)"
      series.append(entry)
    }
    if let nping = toolbox.nping {
      let run = TimedProcess.run(InsideLab.command([nping, "--tcp", "-p", targetPort, "-c", n, "--delay", interval, targetAddress]))
      var entry = make("nping --tcp (mean)", scenario, truthMicroseconds, count, npingMean(run).map { [$0] } ?? [])
      entry.answered = npingReceived(run) ?? 0
      entry.note = "nping prints only min/avg/max at µs: this is its avg"
      series.append(entry)
    }
    for index in series.indices {
      guard let median = series[index].median_us,
            let base = baseline.first(where: { $0.tool == series[index].tool })?.median_us else { continue }
      series[index].excess_over_baseline_us = median - truthMicroseconds - base
    }
    return series
  }

  private static func make(_ tool: String, _ scenario: String, _ truth: Int64, _ sent: Int, _ samples: [Int64]) -> RTTSeries {
    var series = RTTSeries(tool: tool, scenario: scenario, truth_us: truth, sent: sent, answered: samples.count, samples: samples)
    if let spread = Spread(samples) {
      series.median_us = spread.median
      series.error_us = spread.median - truth
      if truth > 0 { series.error_percent = (Double(spread.median - truth) * 100 / Double(truth) * 100).rounded() / 100 }
    }
    return series
  }

  /// nettriage NDJSON: the `time` field (else `fallback`) of each `probe` object whose outcome is `answer`
  /// (warm-ups left out).
  private static func probeObjects(_ run: TimedRun, answer: String, time: String, fallback: String? = nil) -> [Int64] {
    run.lines.compactMap(Readers.jsonObject).compactMap { object in
      guard object["type"] as? String == "probe", object["warmup"] as? Bool != true,
            object["outcome"] as? String == answer else { return nil }
      return ((object[time] ?? fallback.flatMap { object[$0] }) as? NSNumber)?.int64Value
    }
  }

  /// "64 bytes from 198.18.2.10: icmp_seq=1 ttl=63 time=50.3 ms"
  private static func pingTimes(_ run: TimedRun) -> [Int64] {
    run.lines.compactMap { line in
      guard let range = line.range(of: "time=") else { return nil }
      let number = line[range.upperBound...].prefix { $0.isNumber || $0 == "." }
      return Double(number).map { Int64(($0 * 1000).rounded()) }
    }
  }

  /// "Max rtt: 50.210ms | Min rtt: 50.101ms | Avg rtt: 50.150ms"
  private static func npingMean(_ run: TimedRun) -> Int64? {
    guard let line = run.lines.first(where: { $0.contains("Avg rtt:") }),
          let range = line.range(of: "Avg rtt:") else { return nil }
    let number = line[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber || $0 == "." }
    return Double(number).map { Int64(($0 * 1000).rounded()) }
  }

  /// "Raw packets sent: 20 (800B) | Rcvd: 20 (880B) | ..."
  private static func npingReceived(_ run: TimedRun) -> Int? {
    guard let line = run.lines.first(where: { $0.contains("Rcvd:") }), let range = line.range(of: "Rcvd:") else { return nil }
    return Int(line[range.upperBound...].drop { $0 == " " }.prefix { $0.isNumber })
  }
}
