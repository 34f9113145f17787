import ArgumentParser
import NetProbe

extension Probe {
  /// Placeholder: the command arrives with the host-and-path probes issue.
  struct ICMP: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "icmp", abstract: "(not built yet)", shouldDisplay: false)

    func run() async throws {
      throw UsageFailure(message: "probe icmp is not built yet")
    }
  }
}
