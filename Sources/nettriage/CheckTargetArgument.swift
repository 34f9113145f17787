import NetProbe
import Triage

extension CheckTarget {
  /// The target of `check` and of the screen as given on the command line: a usage error (exit 2) when it is not one,
  /// or when `--udp` is asked of a unix socket.
  static func parseForCommand(_ text: String, port: String?, udp: Bool, syntaxHint: String = "") throws(UsageFailure) -> CheckTarget {
    let checkTarget: CheckTarget
    do {
      checkTarget = try CheckTarget.parse(text, port: port, transport: udp ? .udp : .tcp)
    } catch {
      throw UsageFailure(message: error.message + (error.isSyntax ? syntaxHint : ""))
    }
    if checkTarget.transport == .unix, udp { throw UsageFailure(message: "--udp does not apply to a unix socket") }
    return checkTarget
  }
}
