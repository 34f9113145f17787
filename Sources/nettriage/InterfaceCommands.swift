import ArgumentParser
import NetProbe
import Triage

extension Probe {
  struct Iface: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "iface",
      abstract: "List the interfaces: kind, flags, state, carrier, MTU, MAC, every address; say which are usable.",
      discussion: """
        Reads the kernel's link and address tables over netlink (no privilege needed). An interface is usable when \
        it is admin up, has carrier, and has a global-scope address that is not tentative or failed DAD. No usable \
        interface besides loopback is the "general failure" case (no-interface).

        Examples:
          nettriage probe iface                 # all, then which are usable
          nettriage probe iface eth0            # one interface
          nettriage probe iface --json          # one JSON object

        Exit status: 0 when a non-loopback interface is usable (or NAME is usable), 1 when none is, 2 for bad \
        input (NAME does not exist), 3 when the kernel could not be asked.
        """
    )

    @Argument(help: "Show only the interface with this name.")
    var name: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() async throws {
      let all: [NetworkInterface]
      do {
        all = try Interfaces.list()
      } catch {
        printError("cannot read the interface table: \(error)")
        throw ExitCode(3)
      }
      var shown = all
      if let name {
        guard let match = all.first(where: { $0.name == name }) else {
          let names = all.map(\.name).joined(separator: ", ")
          throw UsageFailure(message: "no interface named \"\(name)\" here: the interfaces are \(names)")
        }
        shown = [match]
      }
      let usable = shown.filter { $0.usable && (name != nil || !$0.isLoopback) }
      let output = Output(json: json)
      if json {
        output.object(type: "interfaces", InterfaceReport(interfaces: shown, usable: usable.map(\.name)))
      } else {
        for interface in shown { InterfaceText.lines(interface).forEach(output.line) }
        output.line(InterfaceText.verdict(usable: usable, named: name))
      }
      if usable.isEmpty { throw ExitCode(1) }
    }
  }
}

/// The one JSON object of `probe iface`.
struct InterfaceReport: Encodable {
  let interfaces: [NetworkInterface]
  /// The usable interfaces (loopback not counted unless named).
  let usable: [String]
}

