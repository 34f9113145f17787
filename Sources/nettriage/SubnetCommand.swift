import ArgumentParser
import NetProbe
import Triage

struct SubnetCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "subnet",
    abstract: "Subnet arithmetic: network ID, mask, broadcast, host range; and whether a gateway fits.",
    discussion: """
      ADDR/PREFIX takes a prefix length (198.18.1.10/24) or an IPv4 mask (198.18.1.10/255.255.255.0), IPv4 or IPv6.
      With --gateway it explains in words whether that gateway can work with the address (the "unable to add a
      default gateway" case): it must be inside the prefix, and not the network ID, the broadcast or the address itself.

      Examples:
        nettriage subnet 198.18.1.10/24
        nettriage subnet 198.18.1.10/255.255.255.0 --gateway 198.18.2.1
        nettriage subnet fd00:18::10/64 --gateway fd00:18::1 --json

      Exit status: 0 when no gateway is given or it fits, 1 when it does not, 2 for bad input.
      """
  )

  @Argument(help: "ADDR/PREFIX or ADDR/MASK.")
  var prefix: String

  @Option(help: "A default gateway to check against the prefix.")
  var gateway: String?

  @Flag(help: "Print one JSON object.")
  var json = false

  struct Report: Encodable {
    let subnet: Subnet
    let network: IPAddress
    let mask: IPAddress
    let broadcast: IPAddress?
    let last: IPAddress
    let firstHost: IPAddress
    let lastHost: IPAddress
    let hostBits: Int
    let addressCount: UInt64?
    let gateway: GatewayFit?
  }

  func run() throws {
    guard let subnet = Subnet(prefix) else {
      throw UsageFailure(message: "\"\(prefix)\" is not ADDR/PREFIX: write e.g. 198.18.1.10/24, 198.18.1.10/255.255.255.0 or fd00::1/64")
    }
    var fit: GatewayFit?
    if let gateway {
      guard let address = IPAddress(gateway) else {
        throw UsageFailure(message: "--gateway \"\(gateway)\" is not an IP address: write e.g. --gateway 198.18.1.1")
      }
      fit = GatewayFit(subnet: subnet, gateway: address)
    }
    let output = Output(json: json)
    if json {
      output.object(type: "subnet", Report(subnet: subnet, network: subnet.network, mask: subnet.mask, broadcast: subnet.broadcast,
                                           last: subnet.last, firstHost: GatewayFit.firstHost(subnet), lastHost: GatewayFit.lastHost(subnet),
                                           hostBits: subnet.hostBits, addressCount: subnet.addressCount, gateway: fit))
    } else {
      output.line("address     \(subnet.address)/\(subnet.prefixLength)")
      output.line("network ID  \(subnet.network)")
      output.line("mask        \(subnet.mask)")
      if let broadcast = subnet.broadcast { output.line("broadcast   \(broadcast)") }
      let count = subnet.addressCount.map(String.init) ?? "2^\(subnet.hostBits)"
      output.line("range       \(subnet.network) - \(subnet.last) (\(count) addresses)")
      output.line("hosts       \(GatewayFit.firstHost(subnet)) - \(GatewayFit.lastHost(subnet))")
      if let fit { output.line((fit.verdict == .fits ? "ok: " : "problem: ") + fit.explanation) }
    }
    if let fit, fit.verdict != .fits { throw ExitCode(1) }
  }
}
