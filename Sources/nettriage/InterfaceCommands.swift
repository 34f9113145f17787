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

/// The text of `probe iface`, in the shape `ip address` prints with the verdict added.
enum InterfaceText {
  static func lines(_ interface: NetworkInterface) -> [String] {
    let name = SafeText.escape(interface.name)
    var kind = interface.kind.rawValue
    if let linkKind = interface.linkKind, linkKind != kind { kind += ", \(SafeText.escape(linkKind))" }
    let verdict = interface.usable ? "usable" : interface.isLoopback ? "loopback" : "not usable: " + interface.problems.joined(separator: ", ")
    var lines = ["\(interface.index): \(name) (\(kind)) \(verdict)"]
    var state = ["<\(interface.flags.joined(separator: ","))>", "state \(interface.operstate)"]
    if let carrier = interface.carrier { state.append("carrier \(carrier ? "on" : "off")") }
    if let mtu = interface.mtu { state.append("mtu \(mtu)") }
    if let mac = interface.mac { state.append("mac \(mac)") }
    if let master = interface.master { state.append("master \(SafeText.escape(master))") }
    lines.append("    " + state.joined(separator: "  "))
    for address in interface.addresses {
      var text = (address.address.family == .ipv4 ? "inet " : "inet6 ") + "\(address.address)/\(address.prefixLength)"
      if let peer = address.peer { text += " peer \(peer)" }
      if let broadcast = address.broadcast { text += " brd \(broadcast)" }
      text += " scope \(address.scope)"
      if !address.flags.isEmpty { text += " " + address.flags.joined(separator: " ") }
      if let label = address.label, label != interface.name { text += " label \(SafeText.escape(label))" }
      if let preferred = address.preferredLifetimeSeconds { text += " preferred \(preferred)s" }
      if let valid = address.validLifetimeSeconds { text += " valid \(valid)s" }
      lines.append("    " + text)
    }
    if interface.addresses.isEmpty { lines.append("    no addresses") }
    return lines
  }

  static func verdict(usable: [NetworkInterface], named: String?) -> String {
    if let named {
      return usable.isEmpty ? "\(SafeText.escape(named)) is not usable" : "\(SafeText.escape(named)) is usable"
    }
    if usable.isEmpty {
      return "no usable interface besides loopback (no-interface): nothing is admin up with carrier and a global address"
    }
    return "usable: " + usable.map { SafeText.escape($0.name) }.joined(separator: ", ")
  }
}
