import ArgumentParser
import NetProbe

extension Probe {
  /// Placeholder: the command arrives with the host-and-path probes issue.
  struct Sockets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "sockets", abstract: "(not built yet)", shouldDisplay: false)

    func run() async throws {
      throw UsageFailure(message: "probe sockets is not built yet")
    }
  }
}
