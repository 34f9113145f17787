import ArgumentParser
import NetProbe

extension Probe {
  /// Placeholder: the command arrives with the host-and-path probes issue.
  struct Neigh: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "neigh", abstract: "(not built yet)", shouldDisplay: false)

    func run() async throws {
      throw UsageFailure(message: "probe neigh is not built yet")
    }
  }
}
