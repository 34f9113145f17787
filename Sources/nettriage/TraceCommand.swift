import ArgumentParser
import NetProbe

extension Probe {
  /// Placeholder: the command arrives with the host-and-path probes issue.
  struct Trace: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "trace", abstract: "(not built yet)", shouldDisplay: false)

    func run() async throws {
      throw UsageFailure(message: "probe trace is not built yet")
    }
  }
}
