import ArgumentParser
import NetProbe

extension Probe {
  /// Placeholder: the command arrives with the host-and-path probes issue.
  struct Route: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "route", abstract: "(not built yet)", shouldDisplay: false)

    func run() async throws {
      throw UsageFailure(message: "probe route is not built yet")
    }
  }
}
