import Foundation
import NetProbe
import TestSupport
import Testing

/// `probe iface`, `probe route`, `probe neigh` run as a user would: on the host only what reads tables or stays on
/// loopback; anything with traffic inside namespaces the tests build (the binary runs there via `ip netns exec`).
@Suite struct HostProbeCommandTests {
  static func json(_ text: String) throws -> [String: Any] {
    let line = try #require(text.split(separator: "\n").first)
    return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
  }

  @Test func ifaceJSONListsLoopbackAtIndexOne() throws {
    let run = try CommandLineTests.run(["probe", "iface", "lo", "--json"])
    #expect(run.status == 1)  // loopback alone is never usable: host scope only
    let object = try Self.json(run.stdout)
    #expect(object["type"] as? String == "interfaces")
    let interfaces = try #require(object["interfaces"] as? [[String: Any]])
    #expect(interfaces.count == 1)
    #expect(interfaces[0]["index"] as? Int == 1)
    #expect(interfaces[0]["kind"] as? String == "loopback")
    #expect((interfaces[0]["flags"] as? [String])?.contains("LOOPBACK") == true)
  }

  @Test func anUnknownInterfaceIsAUsageError() throws {
    let run = try CommandLineTests.run(["probe", "iface", "nosuch0"])
    #expect(run.status == 2)
    #expect(run.stderr.hasPrefix("nettriage: no interface named \"nosuch0\" here: the interfaces are lo"))
    #expect(run.stderr.split(separator: "\n").count == 1)
  }

  @Test(arguments: ["127.0.0.1", "::1", "localhost"])
  func routeToLoopbackIsLocal(destination: String) throws {
    let run = try CommandLineTests.run(["probe", "route", destination])
    #expect(run.status == 0)
    #expect(run.stdout.contains("dev lo"))
    #expect(run.stdout.contains("(local, table "))
  }

  @Test func routeLookupJSONHasTheResolutionAndEachLookup() throws {
    let run = try CommandLineTests.run(["probe", "route", "127.0.0.1", "--json"])
    #expect(run.status == 0)
    let object = try Self.json(run.stdout)
    #expect(object["type"] as? String == "route-lookup")
    let lookups = try #require(object["lookups"] as? [[String: Any]])
    #expect(lookups.first?["type"] as? String == "local")
    #expect(lookups.first?["interface"] as? String == "lo")
  }

  @Test(arguments: [
    (["probe", "neigh", "fe80::1"], "link-local address \"fe80::1\" needs its interface: add %NAME, e.g. [fe80::1%eth0]:22"),
    (["probe", "neigh", "localhost"], "localhost is not an address: give the neighbour's IP address, e.g. 198.18.1.1"),
    (["probe", "route", "fe80::1%nosuch0"], "no interface named \"nosuch0\" on this host: use one listed by nettriage probe iface"),
  ])
  func badDestinationsAreUsageErrors(arguments: [String], message: String) throws {
    let run = try CommandLineTests.run(arguments)
    #expect(run.status == 2)
    #expect(run.stderr == "nettriage: \(message)\n")
  }

  @Test func neighbourCheckOfLoopbackIsLocal() throws {
    let run = try CommandLineTests.run(["probe", "neigh", "127.0.0.1"])
    #expect(run.status == 0)
    #expect(run.stdout == "127.0.0.1 is this host's own address (local route on lo): no ARP involved\n")
  }

  @Test func helpShowsExamples() throws {
    for command in ["iface", "route", "neigh"] {
      let run = try CommandLineTests.run(["probe", command, "--help"])
      #expect(run.status == 0)
      #expect(run.stdout.contains("nettriage probe \(command)"))
    }
  }
}

@Suite(.enabled(if: TestNamespace.isAvailable, "needs root and iproute2 for network namespaces"))
struct NamespaceProbeCommandTests {
  /// A namespace with veth0 (198.18.61.2/24) facing a peer namespace (198.18.61.1), default route via the peer.
  static func lab(tag: String) throws -> (host: TestNamespace, peer: TestNamespace) {
    let host = try TestNamespace(tag: tag)
    let peer = try TestNamespace(tag: tag + "p")
    try host.link(to: peer, localName: "veth0", remoteName: "veth1")
    try host.ip(["addr", "add", "198.18.61.2/24", "dev", "veth0"])
    try peer.ip(["addr", "add", "198.18.61.1/24", "dev", "veth1"])
    try host.ip(["route", "add", "default", "via", "198.18.61.1"])
    return (host, peer)
  }

  func run(_ namespace: TestNamespace, _ arguments: [String]) throws -> CommandLineTests.Run {
    let result = try namespace.exec(CommandLineTests.binary, arguments, check: false)
    return CommandLineTests.Run(status: result.status, stdout: result.stdout, stderr: result.stderr)
  }

  @Test func ifaceExitStatusFollowsUsability() throws {
    let bare = try TestNamespace(tag: "cliif")
    let none = try run(bare, ["probe", "iface"])
    #expect(none.status == 1)
    #expect(none.lines.last == "no usable interface besides loopback (no-interface): nothing is admin up with carrier and a global address")
    let (host, peer) = try Self.lab(tag: "cliif2")
    defer { withExtendedLifetime(peer) {} }  // deleting the peer namespace would take the veth pair with it
    let some = try run(host, ["probe", "iface"])
    #expect(some.status == 0)
    #expect(some.lines.last == "usable: veth0")
    #expect(some.stdout.contains("2: veth0 (veth) usable"))
    #expect(some.stdout.contains("    inet 198.18.61.2/24 scope global permanent"))
  }

  @Test func routeTableShowsTheDefaultGateway() throws {
    let (host, peer) = try Self.lab(tag: "clirt")
    defer { withExtendedLifetime(peer) {} }  // deleting the peer namespace would take the veth pair with it
    let table = try run(host, ["probe", "route"])
    #expect(table.status == 0)
    #expect(table.lines.contains("  default via 198.18.61.1 dev veth0 proto boot"))
    #expect(table.lines.contains("default gateway IPv4: 198.18.61.1 via veth0 (inside the interface's prefix)"))
    try host.ip(["route", "add", "blackhole", "198.18.99.0/24"])
    let rejected = try run(host, ["probe", "route", "198.18.99.4"])
    #expect(rejected.status == 1)
    #expect(rejected.lines.first == "198.18.99.4: refused by blackhole route 198.18.99.0/24 in table main (EINVAL)")
    try host.ip(["route", "del", "default"])
    let noDefault = try run(host, ["probe", "route", "--json"])
    #expect(noDefault.status == 1)
    let object = try HostProbeCommandTests.json(noDefault.stdout)
    #expect((object["defaultGateways"] as? [Any])?.isEmpty == true)
    let noRoute = try run(host, ["probe", "route", "198.19.61.9"])
    #expect(noRoute.status == 1)
    #expect(noRoute.stdout.hasPrefix("198.19.61.9: no route (ENETUNREACH)"))
  }

  @Test func neighbourCheckExitStatusAndWords() throws {
    let (host, peer) = try Self.lab(tag: "clinb")
    defer { withExtendedLifetime(peer) {} }  // deleting the peer namespace would take the veth pair with it
    let answered = try run(host, ["probe", "neigh", "198.18.61.1"])
    #expect(answered.status == 0)
    #expect(answered.lines.first?.hasPrefix("198.18.61.1 on veth0 answered ARP: ") == true)
    let absent = try run(host, ["probe", "neigh", "198.18.61.77", "-t", "1", "--json"])
    #expect(absent.status == 1)
    let object = try HostProbeCommandTests.json(absent.stdout)
    #expect(object["type"] as? String == "neighbour-check")
    #expect(object["outcome"] as? String == "no-answer")
    #expect((object["summary"] as? String)?.hasPrefix("ARP/ND got no answer: 198.18.61.77 on veth0") == true)
    let table = try run(host, ["probe", "neigh"])
    #expect(table.status == 0)
    #expect(table.lines.contains { $0.hasPrefix("198.18.61.1 dev veth0 lladdr ") && $0.hasSuffix(" REACHABLE") })
    let offLink = try run(host, ["probe", "neigh", "198.19.61.9"])
    #expect(offLink.status == 1)
    #expect(offLink.stdout.contains("is not on-link: it is routed via gateway 198.18.61.1 on veth0"))
  }
}
