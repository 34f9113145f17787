import FoundationEssentials
import NetProbe

/// The text `check` prints and the Markdown report it writes, from the same snapshot the TUI renders.
public enum CheckText {
  /// `[pass] Local stack       eth0 up, 198.18.1.10/24`
  public static func stepLine(_ step: StepState) -> String {
    let mark = "[\(step.status.rawValue)]"
    let title = step.title.padded(to: 17)
    let time = step.durationMicroseconds.map { "  (\(ProbeText.milliseconds($0)))" } ?? ""
    return "\(mark.padded(to: 7)) \(title) \(SafeText.escape(step.summary))\(time)"
  }

  /// The verdict block: id and title, what happened, the evidence, what could not be told, the fixes.
  public static func diagnosisBlock(_ report: CheckReport) -> [String] {
    let d = report.diagnosis
    var lines = ["", "Diagnosis: \(d.id.rawValue) — \(d.title)", "  \(SafeText.escape(d.summary))"]
    if let explanation = d.on_the_wire { lines += ["On the wire:", "  " + explanation] }
    if let provisional = d.provisional_id, let at = d.provisional_at_ms {
      lines.append("  (provisional verdict \(provisional.rawValue) at \(ProbeText.decimal(at, places: 1)) ms, final at \(ProbeText.decimal(d.final_at_ms, places: 1)) ms)")
    }
    if !d.evidence.isEmpty {
      lines.append("Evidence:")
      lines += d.evidence.map { "  " + SafeText.escape($0) }
    }
    for finding in d.secondary {
      lines.append("Also: \(finding.id.rawValue): \(SafeText.escape(finding.summary))")
    }
    if !d.could_not_tell.isEmpty {
      lines.append("Could not tell:")
      lines += d.could_not_tell.map { "  " + SafeText.escape($0) }
    }
    if !d.fixes.isEmpty {
      lines.append("Fix:")
      lines += d.fixes.map { "  " + SafeText.escape($0) }
    }
    return lines
  }

  /// A report to paste into a ticket.
  /// A report to paste into a ticket, with the captured ladder when the networking trace has one.
  public static func markdown(_ report: CheckReport, trace: NetworkingTrace?, pathTrace: TraceResult? = nil) -> String {
    var text = markdown(report)
    if let trace {
      text += "\n## Networking trace\n\n```\n" + trace.ladder(width: 80).joined(separator: "\n") + "\n```\n"
    }
    if let pathTrace {
      text += "\n## Path (traced while the connect waited)\n\n```\n"
        + (TraceText.hopLines(pathTrace) + [TraceText.conclusion(pathTrace)]).joined(separator: "\n") + "\n```\n"
    }
    return text
  }

  public static func markdown(_ report: CheckReport) -> String {
    var lines = ["# nettriage report", ""]
    lines.append("- **Target:** `\(report.target.map { SafeText.escape($0.given) } ?? "(none: local checks)")`")
    lines.append("- **When:** \(report.started_at), took \(ProbeText.decimal(report.duration_ms, places: 1)) ms")
    lines.append("- **From:** host `\(SafeText.escape(report.host))`" + (report.evidence.route?.source.map { ", source address `\($0)`" } ?? "")
                 + (report.evidence.route?.interface.map { " via `\(SafeText.escape($0))`" } ?? ""))
    lines.append("- **Privileges:** uid \(report.privileges.user_id), CAP_NET_RAW \(report.privileges.net_raw ? "yes" : "no")")
    lines.append("- **Tool:** nettriage \(report.tool.version)")
    lines.append("")
    lines.append("## Diagnosis: `\(report.diagnosis.id.rawValue)` — \(report.diagnosis.title)")
    lines.append("")
    lines.append(SafeText.escape(report.diagnosis.summary))
    if let explanation = report.diagnosis.on_the_wire { lines += ["", "**On the wire:** " + explanation] }
    if !report.diagnosis.evidence.isEmpty {
      lines += ["", "### Evidence", ""] + report.diagnosis.evidence.map { "- `\(SafeText.escape($0))`" }
    }
    if !report.diagnosis.secondary.isEmpty {
      lines += ["", "### Also found", ""] + report.diagnosis.secondary.map { "- `\($0.id.rawValue)`: \(SafeText.escape($0.summary))" }
    }
    if !report.diagnosis.could_not_tell.isEmpty {
      lines += ["", "### Could not tell", ""] + report.diagnosis.could_not_tell.map { "- \(SafeText.escape($0))" }
    }
    if !report.diagnosis.fixes.isEmpty {
      lines += ["", "### Fix", ""] + report.diagnosis.fixes.map { "- \(SafeText.escape($0))" }
    }
    lines += ["", "## Checklist", "", "| step | status | result |", "| --- | --- | --- |"]
    for step in report.steps {
      lines.append("| \(step.title) | \(step.status.rawValue) | \(SafeText.escape(step.summary).replacing("|", with: "\\|")) |")
    }
    for step in report.steps where !step.details.isEmpty {
      lines += ["", "### \(step.title)", "", "```"] + step.details.map(SafeText.escape) + ["```"]
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
