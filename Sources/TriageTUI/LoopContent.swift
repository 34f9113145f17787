import NetProbe
import Triage

/// The loop view: a sparkline of the rolling window, its statistics and histogram, the totals since the start, and
/// the latest probes.
enum LoopContent {
  static func lines(_ loop: LoopState, glyphs: Glyphs, width: Int, height: Int) -> [StyledLine] {
    var lines: [StyledLine] = []
    if let note = loop.note { lines += TextWrap.wrap(note, width: width, style: .dim) }
    let shown = Array(loop.window.suffix(max(1, width - 8)))
    let windowStatistics = loop.windowStatistics(last: shown.count)
    let spark = glyphs.sparkline(shown.map { $0.answered ? $0.microseconds : nil })
    lines.append(StyledLine([Span("Last \(TextWrap.pad(String(shown.count), to: 3)) ", .heading), Span(spark, .running)]))
    lines += statisticsLines("Window", sent: windowStatistics.sent, answered: windowStatistics.answered,
                             loss: windowStatistics.lossPercent, minimum: windowStatistics.minimumMicroseconds.map(Double.init),
                             average: windowStatistics.averageMicroseconds, p95: windowStatistics.percentile95Microseconds,
                             maximum: windowStatistics.maximumMicroseconds.map(Double.init),
                             jitter: windowStatistics.jitterMicroseconds, width: width)
    let totals = loop.totals
    lines += statisticsLines("Total ", sent: totals.sent, answered: totals.answered, loss: totals.lossPercent,
                             minimum: totals.minimumMicroseconds.map(Double.init), average: totals.averageMicroseconds, p95: nil,
                             maximum: totals.maximumMicroseconds.map(Double.init), jitter: totals.jitterMicroseconds, width: width)
    let failures = totals.outcomes.filter { !$0.key.isAnswer }.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key.rawValue < $1.key.rawValue }
    if !failures.isEmpty {
      lines += TextWrap.wrap("not answered: " + failures.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "),
                             width: width, style: .warn, first: "       ", hanging: "       ")
    }
    let histogram = histogramLines(shown.filter(\.answered).map(\.microseconds), glyphs: glyphs, width: width)
    let recentRoom = height - lines.count - histogram.count - 3
    if !histogram.isEmpty && recentRoom >= 2 {
      lines.append("")
      lines.append(StyledLine("Latency histogram (window)", .heading))
      lines += histogram
    }
    if !loop.window.isEmpty {
      lines.append("")
      lines.append(StyledLine("Latest", .heading))
      let room = max(1, height - lines.count)
      for sample in loop.window.suffix(room).reversed() {
        let style: Style = sample.answered ? .normal : .fail
        lines.append(StyledLine([Span(TextWrap.padLeft(String(sample.sequence), to: 6) + "  ", .dim), Span(SafeText.escape(sample.text), style)])
          .truncated(to: width, ellipsis: glyphs.ellipsis))
      }
    } else {
      lines.append("")
      lines.append(StyledLine(loop.isPaused ? "Paused: Space resumes." : "Waiting for the first probe…", .dim))
    }
    return lines
  }

  static func statisticsLines(_ title: String, sent: Int, answered: Int, loss: Double, minimum: Double?, average: Double?,
                              p95: Double?, maximum: Double?, jitter: Double?, width: Int) -> [StyledLine] {
    var text = "\(sent) sent, \(answered) answered, \(Format.percent(loss)) loss"
    if let minimum, let average, let maximum {
      let names = p95 == nil ? "min/avg/max" : "min/avg/p95/max"
      let values = ([minimum, average] + (p95.map { [$0] } ?? []) + [maximum]).map(Format.milliseconds).joined(separator: "/")
      text += "; \(names) \(values) ms"
      if let jitter { text += ", jitter \(Format.milliseconds(jitter)) ms" }
    }
    return TextWrap.wrap(text, width: width, style: loss > 0 ? .warn : .normal, first: title + " ", hanging: "       ", prefixStyle: .heading)
  }

  /// Up to eight buckets between the window's fastest and slowest answer, a bar each.
  static func histogramLines(_ times: [Int64], glyphs: Glyphs, width: Int) -> [StyledLine] {
    guard times.count >= 2, let low = times.min(), let high = times.max() else { return [] }
    let bucketCount = high == low ? 1 : min(8, max(2, times.count / 3))
    let step = max(1, Double(high - low) / Double(bucketCount))
    var counts = Array(repeating: 0, count: bucketCount)
    for time in times { counts[min(bucketCount - 1, Int(Double(time - low) / step))] += 1 }
    let most = counts.max() ?? 1
    let labels = (0..<bucketCount).map { index -> String in
      let from = Double(low) + Double(index) * step
      return Format.milliseconds(from) + "–" + Format.milliseconds(index == bucketCount - 1 ? Double(high) : from + step) + " ms"
    }
    let labelWidth = labels.map { DisplayWidth.of($0) }.max() ?? 0
    let barRoom = max(4, width - labelWidth - 12)
    return zip(labels, counts).map { label, count in
      let length = count == 0 ? 0 : max(1, count * barRoom / most)
      return StyledLine([Span("  " + TextWrap.padLeft(label, to: labelWidth) + " "), Span(String(repeating: glyphs.bar, count: length), .running),
                         Span(" \(count)", .dim)])
    }
  }
}
