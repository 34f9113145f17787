import ArgumentParser
import NetProbe

extension Probe {
  /// Placeholder: the command arrives with the host-and-path probes issue.
  struct Iface: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "iface", abstract: "(not built yet)", shouldDisplay: false)

    func run() async throws {
      throw UsageFailure(message: "probe iface is not built yet")
    }
  }
}
