import ArgumentParser
import FoundationEssentials
import NetProbe
import Triage

struct CheckCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Walk the troubleshooting checklist to one verdict, with the evidence and the fix.",
    discussion: """
      Runs the checklist of DESIGN.md (path picture, networking trace, local stack, neighbours, default gateway,
      destination, socket state), steps in parallel where they do not depend on each other, prints a line per step as it
      ends, then the diagnosis: its id from the diagnosis vocabulary, what happened on the wire, the evidence, what the
      tool could not tell, and the fix commands with this run's values filled in.

      Examples:
        nettriage check 127.0.0.1:8080
        nettriage check https://intranet.example/ --json > report.json
        nettriage check localhost:5432 --report ticket.md
        nettriage check 127.0.0.1:8080 --bundle ticket.tar.gz
        nettriage check 127.0.0.1:8080 --pcap check.pcap
        nettriage check intranet.example:443 --bundle ticket.tar.gz --redact
        nettriage check 127.0.0.1:53 --udp
        nettriage check unix:/run/app.sock

      --bundle writes one archive for a ticket: README.txt, report.json, report.md, the packets (when captured) and a
      snapshot of this machine read by nettriage itself: interfaces, routes, neighbours, resolv.conf, the hosts lines
      of the target, the nsswitch hosts line, sysctls, listening sockets, kernel counters, version and privileges.
      --redact replaces public addresses with documentation ones (each /24 becomes 203.0.113.0/24, 198.51.100.0/24,
      ...; each /64 becomes 2001:db8:0:N::/64; host parts kept) and the target's and this machine's names with
      host-N.example, in every file; private, loopback and link-local addresses stay. MAC addresses become
      02:00:00:00:00:NN and an IPv6 interface id made from a MAC (EUI-64) follows its MAC's placeholder, in the
      text files and in the packets alike. No map back is kept.

      With CAP_NET_RAW the networking-trace step captures the destination probes' packets: the ladder prints
      before the diagnosis, an RST's TTL tells a closed port from a device in the path that resets, and SYNs that
      never left tell a local firewall. --pcap FILE writes those packets for tcpdump -r or Wireshark. Without the
      capability the step is skipped with the reason and everything else runs.

      Exit status: 0 reachable, 1 a diagnosed fault, 2 bad input, 3 the tool itself failed (also: a report or
      bundle that could not be written).
      """
  )

  @Argument(help: "HOST:PORT, [IPv6]:PORT, HOST PORT, a URL, or unix:/path. Without one: the local checks only.")
  var target: String?

  @Argument(help: "The port, when given telnet style after the host.")
  var port: String?

  @Flag(help: "Test the port over UDP instead of TCP.")
  var udp = false

  @Option(name: [.customShort("t"), .long], help: "Seconds to wait for each connect attempt.")
  var timeout: Double = 3

  @Flag(help: "Print one JSON object (Resources/report.schema.json) instead of text.")
  var json = false

  @Flag(name: .shortAndLong, help: "Print only the diagnosis line.")
  var quiet = false

  @Flag(name: .customLong("no-trace"), help: "Do not capture the probes' packets.")
  var noTrace = false

  @Option(help: ArgumentHelp("Also write the destination probes' packets to this pcap file (needs CAP_NET_RAW).", valueName: "file"))
  var pcap: String?

  @Option(help: "Also write a Markdown report for a ticket to this file.")
  var report: String?

  @Option(help: ArgumentHelp("Also write one archive for a ticket (tar.gz): reports, packets, a system snapshot.", valueName: "file"))
  var bundle: String?

  @Flag(help: "With --bundle: replace public addresses and host names with placeholders in every file of the archive.")
  var redact = false

  func validate() throws {
    guard timeout > 0, timeout <= 600, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 and at most 600 seconds") }
  }

  func run() async throws {
    let checkTarget = try parsedTarget()
    try checkBundleArguments()
    let startedAt = Date()
    let run = ChecklistRun(target: checkTarget, options: CheckOptions(timeout: .microseconds(Int64(timeout * 1_000_000)), trace: !noTrace))
    let output = Output(json: json)
    let printer = Task {
      var printed: Set<StepID> = []
      var provisionalShown = false
      for await snapshot in await run.snapshots() where !json && !quiet {
        // In checklist order: a step prints once it and every step above it have ended.
        for step in snapshot.steps {
          guard step.status.isFinished else { break }
          if printed.insert(step.id).inserted { output.line(CheckText.stepLine(step)) }
        }
        if let provisional = snapshot.provisional, snapshot.final == nil, !provisionalShown {
          provisionalShown = true
          output.line("        provisional verdict: \(provisional.diagnosis.id.rawValue) (the remaining probes are still running)")
        }
      }
    }
    let task = Task { await run.run() }
    let snapshot = await withInterrupt(cancelling: task)
    await printer.value

    let diagnosis = snapshot.diagnosis ?? Decision.diagnose(snapshot.evidence)
    let knowledge = KnowledgeText.render(diagnosis, target: checkTarget)
    let document = CheckReport(snapshot: snapshot, target: checkTarget, version: NettriageVersion.current, startedAt: startedAt,
                               privileges: .current(), title: knowledge.title, fixes: knowledge.fixes)
    if json {
      output.object(document)
    } else if quiet {
      output.line("\(diagnosis.id.rawValue): \(SafeText.escape(diagnosis.primary.summary))")
    } else {
      if let trace = snapshot.trace {
        output.line("")
        output.line("Networking trace:")
        for line in trace.ladder(width: min(100, terminalColumns()) - 2) { output.line("  " + line) }
      }
      if let path = snapshot.pathTrace {
        output.line("")
        output.line("Path (traced while the connect waited):")
        for line in TraceText.hopLines(path) + [TraceText.conclusion(path)] { output.line("  " + line) }
      }
      CheckText.diagnosisBlock(document).forEach(output.line)
    }
    let capture = pcapBytes(snapshot)
    if let pcap {
      if let bytes = capture.bytes {
        do {
          try FileAccess.writeAtomically(bytes, to: pcap, mode: 0o644)
        } catch {
          printError("could not write the pcap to \(pcap): \(error)")
          throw ExitCode(3)
        }
        if !json && !quiet { output.line("pcap: \(snapshot.trace?.packets.count ?? 0) packets written to \(SafeText.escape(pcap))") }
      } else {
        printError("pcap not written: \(capture.absentReason)")
      }
    }
    if let report {
      do {
        try FileAccess.writeAtomically(Array(CheckText.markdown(document, trace: snapshot.trace, pathTrace: snapshot.pathTrace).utf8),
                                       to: report)
      } catch {
        printError("could not write the report to \(report): \(error)")
        throw ExitCode(3)
      }
    }
    if let bundle {
      var targetName: String?
      if case let .name(name)? = checkTarget?.internet?.host { targetName = name }
      let system = await SystemSnapshot.gather(targetName: targetName, toolVersion: NettriageVersion.current)
      let contents = BundleContents(report: document, markdown: CheckText.markdown(document, trace: snapshot.trace, pathTrace: snapshot.pathTrace), snapshot: system,
                                    pcap: capture.bytes.map { Data($0) }, pcapAbsentReason: capture.absentReason, createdAt: startedAt)
      do {
        let summary = try BundleWriter.write(contents, options: BundleOptions(redact: redact, pcapRewriter: PcapRedaction.rewrite), to: bundle)
        if !json && !quiet {
          let redaction = summary.redacted ? ", redacted: \(summary.replacedAddresses) addresses, \(summary.replacedMACs) MAC addresses and \(summary.replacedNames) names replaced" : ""
          output.line("Bundle: \(bundle) (\(summary.files.count) files, \(summary.compressedBytes) bytes\(redaction))")
        }
      } catch {
        printError("could not write the bundle to \(bundle): \(error)")
        throw ExitCode(3)
      }
    }
    if diagnosis.id != .reachable { throw ExitCode(1) }
  }

  /// `--bundle` must name a file (not empty, not a directory); `--redact` only applies to it.
  func checkBundleArguments() throws(UsageFailure) {
    if redact && bundle == nil { throw UsageFailure(message: "--redact applies to the bundle: add --bundle FILE") }
    if let pcap {
      if noTrace { throw UsageFailure(message: "--pcap needs the networking trace: drop --no-trace") }
      do { try checkPcapDestination(pcap, example: "check.pcap") } catch { throw UsageFailure(message: error.message) }
    }
    guard let bundle else { return }
    do { try BundleWriter.checkDestination(bundle) } catch { throw UsageFailure(message: error.message) }
  }

  /// The captured packets as a pcap file, or why there are none.
  func pcapBytes(_ snapshot: RunSnapshot) -> (bytes: [UInt8]?, absentReason: String) {
    if noTrace { return (nil, "--no-trace was given.") }
    guard let packets = snapshot.trace?.packets, !packets.isEmpty else {
      let step = snapshot.step(.networkingTrace)
      return (nil, "the networking trace captured nothing: " + (step.skipReason ?? (step.summary.isEmpty ? "no packets" : step.summary)) + ".")
    }
    do {
      return (try PcapWriter().bytes(for: packets), "")
    } catch {
      return (nil, "the packets could not be written as one pcap: \(error.message)")
    }
  }

  func parsedTarget() throws(UsageFailure) -> CheckTarget? {
    guard let target else {
      if port != nil { throw UsageFailure(message: "a port needs a host: nettriage check HOST PORT") }
      return nil
    }
    return try CheckTarget.parseForCommand(target, port: port, udp: udp)
  }
}
