import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Fixed-point text for a double, without Foundation: `fixed(3.14159, 2) == "3.14"`.
func fixed(_ value: Double, _ decimals: Int) -> String {
  guard value.isFinite else { return "-" }
  var scale = 1
  for _ in 0..<decimals { scale *= 10 }
  let scaled = Int((abs(value) * Double(scale)).rounded())
  let sign = value < 0 && scaled != 0 ? "-" : ""
  guard decimals > 0 else { return sign + String(scaled) }
  let fraction = String(scaled % scale)
  return sign + String(scaled / scale) + "." + String(repeating: "0", count: decimals - fraction.count) + fraction
}

func pad(_ text: String, _ width: Int, right: Bool = false) -> String {
  let gap = String(repeating: " ", count: max(0, width - text.count))
  return right ? gap + text : text + gap
}

/// The spread of one run's handshake times: min, median, p95, p99, max (µs).
struct Spread {
  var minimum: Int64, median: Double, p95: Double, p99: Double, maximum: Int64, mean: Double, samples: Int

  init?(_ run: RunResult) {
    guard let stats = run.statistics, let median = stats.medianMicroseconds, let p95 = stats.percentile95Microseconds,
          let minimum = stats.minimumMicroseconds, let maximum = stats.maximumMicroseconds,
          let mean = stats.averageMicroseconds else { return nil }
    let sorted = run.handshakes.sorted()
    self.minimum = minimum
    self.median = median
    self.p95 = p95
    self.p99 = ProbeStatistics.percentile(99, ofSorted: sorted) ?? p95
    self.maximum = maximum
    self.mean = mean
    samples = sorted.count
  }
}

/// Reads a small /proc or /sys text file; nil when it cannot.
func readSmallFile(_ path: String) -> String? {
  let fd = open(path, O_RDONLY | O_CLOEXEC)
  guard fd >= 0 else { return nil }
  defer { close(fd) }
  var buffer = [UInt8](repeating: 0, count: 256)
  let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
  guard count > 0 else { return nil }
  return String(decoding: buffer[0..<count], as: UTF8.self)
    .split(whereSeparator: { $0 == "\n" }).first.map { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).joined(separator: " ") }
}

func kernelRelease() -> String {
  var names = utsname()
  guard uname(&names) == 0 else { return "?" }
  return withUnsafeBytes(of: &names.release) { bytes in
    String(decoding: bytes.prefix { $0 != 0 }, as: UTF8.self)
  }
}

func jsonString(_ text: String) -> String {
  var out = "\""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\"": out += "\\\""
    case "\\": out += "\\\\"
    case "\n": out += "\\n"
    default:
      if scalar.value < 0x20 { out += "\\u00" + (scalar.value < 0x10 ? "0" : "") + String(scalar.value, radix: 16) }
      else { out.unicodeScalars.append(scalar) }
    }
  }
  return out + "\""
}

func json(_ run: RunResult) -> String {
  var fields = [
    "\"name\": \(jsonString(run.name))", "\"key\": \(jsonString(run.key))", "\"target\": \(jsonString(run.target))",
    "\"count\": \(run.count)", "\"connected\": \(run.connected)", "\"failed\": \(run.failed)",
    "\"wall_seconds\": \(fixed(run.seconds, 6))", "\"probes_per_second\": \(fixed(run.rate, 1))",
    "\"round_probes_per_second\": [" + run.roundRates.map { fixed($0, 1) }.joined(separator: ", ") + "]",
    "\"outcomes\": {" + run.outcomes.sorted { $0.key < $1.key }.map { "\(jsonString($0.key)): \($0.value)" }.joined(separator: ", ") + "}",
  ]
  if let spread = Spread(run) {
    fields.append("\"handshake_us\": {\"source\": \(jsonString(run.handshakeSource)), \"samples\": \(spread.samples), "
      + "\"min\": \(spread.minimum), \"median\": \(fixed(spread.median, 1)), \"p95\": \(fixed(spread.p95, 1)), "
      + "\"p99\": \(fixed(spread.p99, 1)), \"max\": \(spread.maximum), \"mean\": \(fixed(spread.mean, 1))}")
  }
  return "{" + fields.joined(separator: ", ") + "}"
}

/// Writes to standard error (fd 2) without touching C's `stderr` global.
func printError(_ text: String) {
  var bytes = Array(text.utf8)
  var offset = 0
  while offset < bytes.count {
    let written = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress! + offset, $0.count - offset) }
    if written <= 0 { if written < 0 && errno == EINTR { continue }; return }
    offset += written
  }
}
