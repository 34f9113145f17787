import ArgumentParser
import Lab
import NetProbe
import Triage
import TriageTUI

/// `nettriage`, `nettriage TARGET`, `nettriage tui [TARGET]`: the troubleshooting screen.
struct TUICommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "tui",
    abstract: "Open the troubleshooting screen: the checklist live, the verdict and the fixes, from the keyboard.",
    discussion: """
      The default command: `nettriage` alone opens the screen with the local
      checks running and the target field focused; `nettriage TARGET` checks
      TARGET at once. Enter opens a step, r re-runs it, R re-runs everything,
      l loops the probe with live statistics, n types a new target, / looks up
      an error code, t is trainee mode, e exports Markdown and JSON reports,
      ? lists every key, q or Esc goes back or quits.

      The screen needs a terminal of 80x24 or more. NO_COLOR is honoured; a
      locale that is not UTF-8 gets ASCII marks. Earlier runs are kept under
      $XDG_STATE_HOME/nettriage to mark what changed. Without a terminal, use
      `nettriage check`.

      Trainee mode walks the checklist one step at a time: why the step is
      done, what goes on the wire, how to read the outcome. In the fault lab,
      --practice hides the verdict until the trainee picks a diagnosis.

      Examples:
        nettriage
        nettriage 127.0.0.1:8080
        nettriage tui https://intranet.example/ --trainee
        nettriage localhost 5432
        sudo nettriage lab practice
        sudo nettriage lab exec -- nettriage --practice

      Exit status: 0 after q, 2 for bad input or without a terminal.
      """
  )

  @Argument(help: "HOST:PORT, [IPv6]:PORT, HOST PORT, a URL, or unix:/path. Without one: the local checks, and the field to type one.")
  var target: String?

  @Argument(help: "The port, when given telnet style after the host.")
  var port: String?

  @Flag(help: "Test the port over UDP instead of TCP.")
  var udp = false

  @Option(name: [.customShort("t"), .long], help: "Seconds to wait for each connect attempt.")
  var timeout: Double = 3

  @Flag(help: "Start in trainee mode: a guided walkthrough of each step.")
  var trainee = false

  @Flag(help: "A practice round on the fault lab's hidden scenario: walk the steps, pick the diagnosis, learn if it was right (inside the lab client: sudo nettriage lab exec -- nettriage --practice).")
  var practice = false

  func validate() throws {
    guard timeout > 0, timeout <= 600, timeout.isFinite else { throw ValidationError("--timeout must be more than 0 and at most 600 seconds") }
  }

  func run() async throws {
    let round = try practiceRound()
    var checkTarget = try parsedTarget()
    if checkTarget == nil, let round {
      checkTarget = try Self.parse(round.target, port: nil, udp: udp)
    }
    guard Terminal.isInteractive else {
      printError("the screen needs a terminal on stdin and stdout; for text or JSON use: nettriage check \(target.map { $0 + " " } ?? "")[--json]")
      throw ExitCode(2)
    }
    let configuration = TUIApplication.Configuration(
      target: checkTarget, options: CheckOptions(timeout: .microseconds(Int64(timeout * 1_000_000))),
      transport: udp ? .udp : .tcp, trainee: trainee, version: NettriageVersion.current, practice: round?.round)
    let status = await TUIApplication.run(configuration)
    if status != 0 { throw ExitCode(status) }
  }

  /// The hidden scenario of `nettriage lab practice`, with the target the user complains about.
  func practiceRound() throws(UsageFailure) -> (round: PracticeRound, target: String)? {
    guard practice else { return nil }
    guard let state = LabState.load(), state.hidden, let scenario = Scenario.named(state.scenario, parameters: state.parameters) else {
      throw UsageFailure(message: "no practice lab is up (or it was revealed): start one with sudo nettriage lab practice")
    }
    guard let expected = DiagnosisID(rawValue: scenario.diagnosis) else {
      throw UsageFailure(message: "the practice scenario's diagnosis \"\(scenario.diagnosis)\" is not in the vocabulary")
    }
    let round = PracticeRound(complaint: scenario.complaint, expected: expected, explanation: scenario.explanation, scenario: scenario.name)
    return (round, scenario.target)
  }

  /// The target as `check` parses it; a word that is neither a target nor a subcommand is a usage error.
  func parsedTarget() throws(UsageFailure) -> CheckTarget? {
    guard let target else {
      if port != nil { throw UsageFailure(message: "a port needs a host: nettriage HOST PORT") }
      return nil
    }
    return try Self.parse(target, port: port, udp: udp)
  }

  static func parse(_ target: String, port: String?, udp: Bool) throws(UsageFailure) -> CheckTarget {
    // A bare word that is no target may be a mistyped subcommand: `nettriage chek`.
    let hint = target.contains(where: { ":./[".contains($0) }) ? "" : " (and not a command: see nettriage --help)"
    return try CheckTarget.parseForCommand(target, port: port, udp: udp, syntaxHint: hint)
  }
}
