import ArgumentParser
import NetProbe

extension Probe {
  /// Placeholder: the command arrives with the host-and-path probes issue.
  struct DNS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dns", abstract: "(not built yet)", shouldDisplay: false)

    func run() async throws {
      throw UsageFailure(message: "probe dns is not built yet")
    }
  }
}
