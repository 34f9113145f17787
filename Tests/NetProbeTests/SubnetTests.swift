import Testing
@testable import NetProbe

@Suite struct SubnetTests {
  struct Case: Sendable, CustomTestStringConvertible {
    var text: String
    var network: String, mask: String, last: String, broadcast: String?, count: UInt64?
    var testDescription: String { text }
  }

  static let cases: [Case] = [
    Case(text: "198.18.1.10/24", network: "198.18.1.0", mask: "255.255.255.0", last: "198.18.1.255", broadcast: "198.18.1.255", count: 256),
    Case(text: "198.18.1.10/255.255.255.0", network: "198.18.1.0", mask: "255.255.255.0", last: "198.18.1.255", broadcast: "198.18.1.255", count: 256),
    Case(text: "198.18.1.130/25", network: "198.18.1.128", mask: "255.255.255.128", last: "198.18.1.255", broadcast: "198.18.1.255", count: 128),
    Case(text: "198.19.77.5/20", network: "198.19.64.0", mask: "255.255.240.0", last: "198.19.79.255", broadcast: "198.19.79.255", count: 4096),
    Case(text: "198.18.0.1/31", network: "198.18.0.0", mask: "255.255.255.254", last: "198.18.0.1", broadcast: nil, count: 2),
    Case(text: "198.18.0.1/32", network: "198.18.0.1", mask: "255.255.255.255", last: "198.18.0.1", broadcast: nil, count: 1),
    Case(text: "198.18.0.1/0", network: "0.0.0.0", mask: "0.0.0.0", last: "255.255.255.255", broadcast: "255.255.255.255", count: 1 << 32),
    Case(text: "198.18.0.1", network: "198.18.0.1", mask: "255.255.255.255", last: "198.18.0.1", broadcast: nil, count: 1),
    Case(text: "fd00:18::10/64", network: "fd00:18::", mask: "ffff:ffff:ffff:ffff::", last: "fd00:18::ffff:ffff:ffff:ffff", broadcast: nil, count: nil),
    Case(text: "fd00:18:0:1::1/48", network: "fd00:18::", mask: "ffff:ffff:ffff::", last: "fd00:18:0:ffff:ffff:ffff:ffff:ffff", broadcast: nil, count: nil),
    Case(text: "fd00::1:2/126", network: "fd00::1:0", mask: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffc", last: "fd00::1:3", broadcast: nil, count: 4),
    Case(text: "fd00::7/128", network: "fd00::7", mask: "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", last: "fd00::7", broadcast: nil, count: 1),
  ]

  @Test(arguments: cases)
  func arithmetic(_ c: Case) throws {
    let subnet = try #require(Subnet(c.text))
    #expect(subnet.network.description == c.network)
    #expect(subnet.mask.description == c.mask)
    #expect(subnet.last.description == c.last)
    #expect(subnet.broadcast?.description == c.broadcast)
    #expect(subnet.addressCount == c.count)
    #expect(subnet.contains(subnet.network) && subnet.contains(subnet.last))
  }

  @Test(arguments: ["198.18.1.10/33", "198.18.1.10/-1", "198.18.1.10/255.0.255.0", "198.18.1.10/ffff::", "fd00::1/129",
                    "nonsense/24", "198.18.1.10/", "/24", "198.18.1.10/2x"])
  func rejects(text: String) {
    #expect(Subnet(text) == nil)
  }

  @Test(arguments: [
    ("198.18.1.0/24", "198.18.1.77", true), ("198.18.1.0/24", "198.18.2.1", false), ("198.18.1.0/24", "fd00::1", false),
    ("198.18.0.0/15", "198.19.255.255", true), ("198.18.0.0/15", "198.20.0.0", false),
    ("fd00:18::/64", "fd00:18::abcd", true), ("fd00:18::/64", "fd00:19::1", false),
  ])
  func contains(prefix: String, address: String, expected: Bool) throws {
    #expect(try #require(Subnet(prefix)).contains(try #require(IPAddress(address))) == expected)
  }

  @Test(arguments: [("255.255.255.0", 24), ("255.255.255.252", 30), ("0.0.0.0", 0), ("255.255.255.255", 32), ("255.0.255.0", nil)] as [(String, Int?)])
  func prefixFromMask(mask: String, expected: Int?) throws {
    #expect(Subnet.prefixLength(ofMask: try #require(IPAddress(mask))) == expected)
  }

  @Test(arguments: [
    ("198.18.1.10/24", "198.18.1.1", GatewayFit.Verdict.fits),
    ("198.18.1.10/24", "198.18.2.1", .offSubnet),
    ("198.18.1.10/255.255.255.128", "198.18.1.200", .offSubnet),
    ("198.18.1.10/24", "198.18.1.0", .isNetworkAddress),
    ("198.18.1.10/24", "198.18.1.255", .isBroadcastAddress),
    ("198.18.1.10/24", "198.18.1.10", .isOwnAddress),
    ("198.18.1.10/24", "fd00::1", .familyMismatch),
    ("198.18.0.0/31", "198.18.0.1", .fits),
    ("fd00:18::10/64", "fd00:18::1", .fits),
    ("fd00:18::10/64", "fd00:19::1", .offSubnet),
  ])
  func gatewayFit(prefix: String, gateway: String, verdict: GatewayFit.Verdict) throws {
    let fit = GatewayFit(subnet: try #require(Subnet(prefix)), gateway: try #require(IPAddress(gateway)))
    #expect(fit.verdict == verdict)
    #expect(fit.explanation.contains(gateway))
  }

  @Test func offSubnetExplanationNamesTheRange() throws {
    let fit = GatewayFit(subnet: try #require(Subnet("198.18.1.10/24")), gateway: .v4(198, 18, 2, 1))
    #expect(fit.verdict.rawValue == "gateway-off-subnet")
    #expect(fit.explanation.contains("198.18.1.1 and 198.18.1.254"))
  }
}
