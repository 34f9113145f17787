/// Numbers as the screen shows them, without Foundation's formatters (the same output under every locale).
enum Format {
  /// Fixed decimals: `decimal(0.0814, places: 3)` is `0.081`.
  static func decimal(_ value: Double, places: Int) -> String {
    guard value.isFinite else { return "-" }
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let scaled = (abs(value) * scale).rounded()
    let whole = Int64(scaled / scale)
    let fraction = Int64(scaled - Double(whole) * scale)
    let digits = String(fraction)
    let padded = String(repeating: "0", count: max(0, places - digits.count)) + digits
    return (value < 0 && scaled > 0 ? "-" : "") + "\(whole)" + (places > 0 ? "." + padded : "")
  }

  /// A duration in a few characters: `0.081 ms`, `12.3 ms`, `412 ms`, `3.1 s`, `2 min`.
  static func duration(_ microseconds: Int64) -> String {
    let value = Double(microseconds)
    switch microseconds {
    case ..<10_000: return decimal(value / 1000, places: microseconds < 1_000 ? 3 : 2) + " ms"
    case ..<100_000: return decimal(value / 1000, places: 1) + " ms"
    case ..<1_000_000: return decimal(value / 1000, places: 0) + " ms"
    case ..<120_000_000: return decimal(value / 1_000_000, places: 1) + " s"
    default: return "\(microseconds / 60_000_000) min"
    }
  }

  /// Milliseconds with three decimals, no unit: `0.081`.
  static func milliseconds(_ microseconds: Double) -> String { decimal(microseconds / 1000, places: 3) }

  static func percent(_ value: Double) -> String { decimal(value, places: 1) + "%" }
}
