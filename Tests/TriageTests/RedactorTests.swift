import Foundation
import NetProbe
import Testing
@testable import Triage

/// The redactor on text fixtures with public-looking addresses (it never looks at the network).
@Suite struct RedactorTests {
  /// Every address-looking token of a text (hex digits, dots and colons between other characters), parsed.
  static func addresses(in text: String) -> [IPAddress] {
    text.split(whereSeparator: { !($0.isHexDigit || $0 == ":" || $0 == ".") }).compactMap { token in
      var candidate = String(token)
      while candidate.hasSuffix(".") || (candidate.hasSuffix(":") && !candidate.hasSuffix("::")) { candidate.removeLast() }
      if let address = IPAddress(candidate) { return address }
      // a.b.c.d:port
      if let colon = candidate.firstIndex(of: ":"), let address = IPAddress(String(candidate[..<colon])) { return address }
      return nil
    }
  }

  /// A placeholder address: the documentation ranges, 240/8, 2001:db8::/32.
  static func isPlaceholder(_ address: IPAddress) -> Bool {
    let b = address.bytes
    switch address {
    case .v4: return (b[0] == 203 && b[1] == 0 && b[2] == 113) || (b[0] == 198 && b[1] == 51 && b[2] == 100)
      || (b[0] == 192 && b[1] == 0 && b[2] == 2) || b[0] == 240
    case .v6:
      if let v4 = Redactor.mappedIPv4(b) { return isPlaceholder(v4) }
      return b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8
    }
  }

  @Test func solicitedNodeAddressesFollowTheMACTheyComeFrom() {
    var redactor = Redactor()
    #expect(redactor.replacement(forMAC: [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]) == [0x02, 0, 0, 0, 0, 1])
    #expect(redactor.replacement(for: IPAddress("ff02::1:ff12:3456")!) == IPAddress("ff02::1:ff00:1")!)
    #expect(redactor.replacement(forMAC: [0x33, 0x33, 0xff, 0x12, 0x34, 0x56]) == [0x33, 0x33, 0xff, 0, 0, 1])
    #expect(redactor.redact("ns to ff02::1:ff12:3456 via 33:33:FF:12:34:56") == "ns to ff02::1:ff00:1 via 33:33:ff:00:00:01")
    // A tail no known MAC ends in (a random interface id's) says nothing about a MAC and stays; other groups stay.
    #expect(redactor.replacement(for: IPAddress("ff02::1:ffab:cdef")!) == IPAddress("ff02::1:ffab:cdef")!)
    #expect(redactor.replacement(for: IPAddress("ff02::1")!) == IPAddress("ff02::1")!)
    #expect(redactor.replacement(forMAC: [0x33, 0x33, 0, 0, 0, 1]) == [0x33, 0x33, 0, 0, 0, 1])
  }

  @Test(arguments: [
    ("connect(8.8.8.8:443): ECONNREFUSED", "connect(203.0.113.8:443): ECONNREFUSED"),
    ("src=1.1.1.1 dst=8.8.4.4", "src=203.0.113.1 dst=198.51.100.4"),
    ("[2606:4700::1111]:443", "[2001:db8:0:1::1111]:443"),
    ("inet6 2a00:1450:4001:80b::200e/64 scope global", "inet6 2001:db8:0:1::200e/64 scope global"),
    ("::ffff:8.8.8.8 and 8.8.8.8", "::ffff:203.0.113.8 and 203.0.113.8"),
    ("reached 9.9.9.9.", "reached 203.0.113.9."),
    ("\"gateway\":\"93.184.216.34\",", "\"gateway\":\"203.0.113.34\","),
    ("default via 151.101.1.69 dev eth0 proto dhcp src 151.101.1.70 metric 100",
     "default via 203.0.113.69 dev eth0 proto dhcp src 203.0.113.70 metric 100"),
    ("range 1.2.3.4-1.2.3.9", "range 203.0.113.4-203.0.113.9"),
    ("2001:4860:4860::8888, 2001:4860:4860::8844", "2001:db8:0:1::8888, 2001:db8:0:1::8844"),
    ("fully written 2001:4860:4860:0:0:0:0:8888", "fully written 2001:db8:0:1::8888"),
    ("IPV6 UPPER 2001:4860:4860::8888", "IPV6 UPPER 2001:db8:0:1::8888"),
  ])
  func publicAddressesBecomePlaceholders(input: String, expected: String) {
    var redactor = Redactor()
    #expect(redactor.redact(input) == expected)
  }

  @Test(arguments: [
    "127.0.0.1", "127.1.2.3", "10.1.2.3", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "100.127.255.255",
    "169.254.1.1", "198.18.0.1", "198.19.255.254", "0.0.0.0", "192.0.0.8", "224.0.0.251", "239.255.255.250",
    "255.255.255.0", "255.255.255.255", "::1", "::", "fe80::1", "fe80::1%eth0", "fd00::1", "fc00::1", "fd12:3456:789a::1",
    "ff02::1", "::ffff:192.168.1.1", "::ffff:127.0.0.1",
  ])
  func privateAndSpecialAddressesStay(address: String) {
    var redactor = Redactor()
    let text = "addr \(address) here"
    #expect(redactor.redact(text) == text)
    #expect(redactor.replacedAddresses == 0)
  }

  @Test(arguments: [
    "172.32.0.1", "172.15.255.255", "100.128.0.1", "100.63.255.255", "198.20.0.1", "198.17.255.255", "11.0.0.1", "192.169.0.1",
    "192.0.2.5", "198.51.100.7", "203.0.113.9", "240.1.2.3", "2001:db8::5", "2620:fe::fe", "64:ff9b::808:808", "::ffff:1.1.1.1",
  ])
  func addressesOutsideTheKeptRangesAreReplaced(address: String) {
    var redactor = Redactor()
    let output = redactor.redact("addr \(address) here")
    // An address already in a placeholder range may come out as itself; any other must change.
    if !Self.isPlaceholder(IPAddress(address)!) { #expect(!output.contains(" \(address) ")) }
    #expect(redactor.replacedAddresses >= 1)
    #expect(Self.addresses(in: output).allSatisfy { Self.isPlaceholder($0) })
  }

  /// Things that look a little like addresses and are not: left alone.
  @Test(arguments: [
    "version v1.2.3.4 of it", "OID 1.3.6.1.2.1", "at 12:34:56", "std::string", "pi is 3.14",
    "nettriage 0.1.0", "time 2025-01-02T03:04:05Z", "hex deadbeef", "a:b", "took 1.5 ms", "ratio 1:2:3",
    "five 12:34:56:78:90", "seven aa:bb:cc:dd:ee:ff:00", "short 1:2:3:4:5:6", "glued x52:54:00:12:34:56",
  ])
  func nonAddressesStay(text: String) {
    var redactor = Redactor()
    #expect(redactor.redact(text) == text)
  }

  /// MACs as text: each unicast one becomes its placeholder in order of first sight, in either case and wherever it
  /// stands (after lladdr, in JSON, ending a sentence or a label); group and all-zero ones stay as written.
  @Test func macAddressesBecomePlaceholders() {
    var redactor = Redactor()
    let input = """
      198.18.1.1 dev eth0 lladdr 52:54:00:12:34:56 router REACHABLE
      "mac" : "00:1B:21:AB:CD:EF", "brd": "FF:FF:FF:FF:FF:FF", lo 00:00:00:00:00:00, mcast 01:00:5e:00:00:fb 33:33:00:00:00:01
      the gateway is 00:1b:21:ab:cd:ef. Then 52:54:00:12:34:56: again
      """
    #expect(redactor.redact(input) == """
      198.18.1.1 dev eth0 lladdr 02:00:00:00:00:01 router REACHABLE
      "mac" : "02:00:00:00:00:02", "brd": "FF:FF:FF:FF:FF:FF", lo 00:00:00:00:00:00, mcast 01:00:5e:00:00:fb 33:33:00:00:00:01
      the gateway is 02:00:00:00:00:02. Then 02:00:00:00:00:01: again
      """)
    #expect(redactor.replacedMACs == 2 && redactor.replacedAddresses == 0)
    #expect(redactor.replacement(forMAC: [0x52, 0x54, 0, 0x12, 0x34, 0x56]) == [2, 0, 0, 0, 0, 1])
    #expect(redactor.replacement(forMAC: [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]) == [0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
  }

  /// An interface identifier made from a MAC (EUI-64) is the MAC: it becomes the identifier of the MAC's
  /// placeholder under any prefix (link-local and ULA prefixes stay, a public /64 becomes its placeholder as
  /// before), so address and MAC still agree. Other identifiers, multicast groups and IPv4-mapped addresses stay.
  @Test func eui64InterfaceIdentifiersFollowTheirMAC() {
    var redactor = Redactor()
    let input = """
      link/ether 52:54:00:12:34:56
      inet6 fe80::5054:ff:fe12:3456/64 scope link
      inet6 fd00:0:18:1:5054:ff:fe12:3456/64 scope global
      inet6 2a00:1450:4001:80b:5054:ff:fe12:3456/64 scope global
      neighbour FE80::21B:21FF:FEAB:CDEF%eth0 lladdr 00:1b:21:ab:cd:ef
      stay: fe80::1 fe80::1c2d:3e4f:5a6b:7c8d ::ffff:254.1.2.3 ff02::1:ff12:3456 ff05::5054:ff:fe12:3456
      """
    // The solicited-node address (ff02::1:ff12:3456) follows 52:54:00:12:34:56's placeholder; other groups stay.
    #expect(redactor.redact(input) == """
      link/ether 02:00:00:00:00:01
      inet6 fe80::ff:fe00:1/64 scope link
      inet6 fd00:0:18:1:0:ff:fe00:1/64 scope global
      inet6 2001:db8:0:1:0:ff:fe00:1/64 scope global
      neighbour fe80::ff:fe00:2%eth0 lladdr 02:00:00:00:00:02
      stay: fe80::1 fe80::1c2d:3e4f:5a6b:7c8d ::ffff:254.1.2.3 ff02::1:ff00:1 ff05::5054:ff:fe12:3456
      """)
    #expect(redactor.replacedMACs == 2 && redactor.replacedAddresses == 4)
    // Asked for the address alone, before its MAC was seen anywhere: the same placeholder all the same.
    var fresh = Redactor()
    #expect(fresh.replacement(for: IPAddress("fe80::21b:21ff:feab:cdef")!) == IPAddress("fe80::ff:fe00:1")!)
    #expect(fresh.replacement(forMAC: [0x00, 0x1b, 0x21, 0xab, 0xcd, 0xef]) == [2, 0, 0, 0, 0, 1])
  }

  /// A tunnel's link address is its endpoint: 4 bytes an IPv4 address, 16 an IPv6 one, through the address rules.
  @Test func tunnelLinkAddressesAreTheirEndpoints() {
    var redactor = Redactor()
    let input = "gre1 mac 97:65:41:45, sit0 mac 0a:00:00:01, ip6tnl1 mac 20:01:48:60:48:60:00:00:00:00:00:00:00:00:88:88"
    #expect(redactor.redact(input)
      == "gre1 mac cb:00:71:45, sit0 mac 0a:00:00:01, ip6tnl1 mac 20:01:0d:b8:00:00:00:01:00:00:00:00:00:00:88:88")
    #expect(redactor.replacement(for: IPAddress("151.101.65.69")!) == IPAddress("203.0.113.69")!)
    #expect(redactor.replacedMACs == 0)
  }

  @Test func sameAddressSamePlaceholderAcrossTexts() {
    var redactor = Redactor()
    let first = redactor.redact("a 8.8.8.8 b 1.1.1.1 c 2606:4700::1111")
    let second = redactor.redact("1.1.1.1 then 8.8.8.8 then 2606:4700:0::1111 then 9.9.9.9")
    #expect(first == "a 203.0.113.8 b 198.51.100.1 c 2001:db8:0:1::1111")
    #expect(second == "198.51.100.1 then 203.0.113.8 then 2001:db8:0:1::1111 then 192.0.2.9")
    #expect(redactor.replacedAddresses == 4)
    #expect(redactor.replacement(for: IPAddress("8.8.8.8")!) == IPAddress("203.0.113.8")!)
    #expect(redactor.replacement(for: IPAddress("10.0.0.1")!) == IPAddress("10.0.0.1")!)
  }

  /// A public subnet keeps its shape: host, gateway, network and broadcast of one /24 land in one placeholder /24.
  @Test func subnetsStillLineUp() {
    var redactor = Redactor()
    let input = """
      inet 151.101.1.23/24 brd 151.101.1.255 scope global eth0
      151.101.1.0/24 dev eth0 proto kernel scope link src 151.101.1.23
      default via 151.101.1.1 dev eth0
      inet6 2a00:1450:4001:80b:1c2d:3e4f:5a6b:7c8d/64
      2a00:1450:4001:80b::/64 dev eth0
      default via 2a00:1450:4001:80b::1 dev eth0
      """
    #expect(redactor.redact(input) == """
      inet 203.0.113.23/24 brd 203.0.113.255 scope global eth0
      203.0.113.0/24 dev eth0 proto kernel scope link src 203.0.113.23
      default via 203.0.113.1 dev eth0
      inet6 2001:db8:0:1:1c2d:3e4f:5a6b:7c8d/64
      2001:db8:0:1::/64 dev eth0
      default via 2001:db8:0:1::1 dev eth0
      """)
  }

  static func network(_ index: Int) -> [UInt8] {
    let network = Redactor.ipv4Network(index)
    return [network.0, network.1, network.2]
  }

  @Test func placeholdersRunThroughTheDocumentationRangesThenClassE() {
    #expect(Self.network(0) == [203, 0, 113])
    #expect(Self.network(1) == [198, 51, 100])
    #expect(Self.network(2) == [192, 0, 2])
    #expect(Self.network(3) == [240, 0, 0])
    #expect(Self.network(3 + 256) == [240, 1, 0])
    // A thousand public addresses get a thousand different placeholders, none of them an original or kept.
    var redactor = Redactor()
    var seen: Set<IPAddress> = []
    for index in 0..<1000 {
      let original = IPAddress.v4(11, UInt8(index / 256), UInt8(index % 256), 7)
      let placeholder = redactor.replacement(for: original)
      #expect(Self.isPlaceholder(placeholder) && !Redactor.isKept(placeholder))
      seen.insert(placeholder)
    }
    #expect(seen.count == 1000)
  }

  @Test(arguments: [
    ("intranet.corp.example.com:443 refused", "host-1.example:443 refused"),
    ("https://INTRANET.Corp.Example.COM/login", "https://host-1.example/login"),
    ("resolved intranet.corp.example.com. to 10.0.0.5", "resolved host-1.example. to 10.0.0.5"),
    ("myintranet.corp.example.com stays", "myintranet.domain-1.example stays"),
    ("db.corp.example.com is in the search domain", "db.domain-1.example is in the search domain"),
    ("search corp.example.com lab.example.net", "search domain-1.example domain-2.example"),
    ("corp.example.com.au is another domain", "corp.example.com.au is another domain"),
    ("intranet-old.corp.example.com", "intranet-old.domain-1.example"),
    ("\"host\":\"vm\",\"given\":\"vm:80\"", "\"host\":\"host-2.example\",\"given\":\"host-2.example:80\""),
    ("vm, vmware, kvm, vm_1, VM.", "host-2.example, vmware, kvm, vm_1, host-2.example."),
    ("localhost and 127.0.0.1 stay", "localhost and 127.0.0.1 stay"),
  ])
  func namesBecomePlaceholdersAsWholeWords(input: String, expected: String) {
    var redactor = Redactor(hostNames: ["intranet.corp.example.com", "vm", "localhost"], domains: ["corp.example.com", "lab.example.net"])
    #expect(redactor.redact(input) == expected)
  }

  @Test func namePlaceholdersFollowTheOrderGiven() {
    let redactor = Redactor(hostNames: ["Target.Example.Org.", "other"], domains: ["corp.example"])
    #expect(redactor.placeholder(forName: "target.example.org") == "host-1.example")
    #expect(redactor.placeholder(forName: "OTHER") == "host-2.example")
    #expect(redactor.placeholder(forName: "corp.example") == "domain-1.example")
    #expect(redactor.placeholder(forName: "localhost") == nil)
    #expect(Redactor(hostNames: ["localhost", "8.8.8.8"]).placeholder(forName: "8.8.8.8") == nil)
  }

  @Test func namesAndAddressesTogetherCountDistinctReplacements() {
    var redactor = Redactor(hostNames: ["www.example.org"])
    let output = redactor.redact("www.example.org has address 93.184.216.34 and 2606:2800:220:1:248:1893:25c8:1946; www.example.org again")
    #expect(output == "host-1.example has address 203.0.113.34 and 2001:db8:0:1:248:1893:25c8:1946; host-1.example again")
    #expect(redactor.replacedNames == 1)
    #expect(redactor.replacedAddresses == 2)
  }

  /// A report-like fixture: afterwards no public address and no given name is left anywhere.
  @Test func fixtureReportLeavesNothingPublic() {
    let fixture = """
      {"target":{"given":"api.shop.example.net:443","host":"api.shop.example.net"},"host":"ws-12.office.example.net",
       "evidence":{"dns":{"addresses":["151.101.65.69","2a04:4e42:200::323"]},"route":{"gateway":"192.168.1.1","source":"192.168.1.23"}},
       "details":["api.shop.example.net resolved to 151.101.65.69, 2a04:4e42:200::323 in 12 ms (DNS 8.8.8.8)",
                  "SYN from 192.168.1.23:51514 to [2a04:4e42:200::323]:443, RST from 151.101.65.69 TTL 57"]}
      search office.example.net
      nameserver 8.8.8.8
      nameserver 2001:4860:4860::8888
      151.101.65.69 api.shop.example.net api
      """
    var redactor = Redactor(hostNames: ["api.shop.example.net", "api", "ws-12.office.example.net", "ws-12"], domains: ["office.example.net"])
    let output = redactor.redact(fixture)
    for secret in ["api.shop", "ws-12", "office.example", "151.101", "2a04:", "8.8.8.8", "2001:4860"] {
      #expect(!output.contains(secret), "\(secret) left in the output")
    }
    #expect(Self.addresses(in: output).allSatisfy { Redactor.isKept($0) || Self.isPlaceholder($0) })
    #expect(output.contains("192.168.1.23:51514"))
    #expect(output.contains("\"host\":\"host-3.example\""))
    #expect(output.contains("search domain-1.example"))
    // Still the same JSON shape: the first line parses once closed.
    let firstObject = output.split(separator: "\n").prefix(4).joined(separator: "\n")
    #expect((try? JSONSerialization.jsonObject(with: Data(firstObject.utf8))) != nil)
  }

  @Test func nonASCIITextSurvives() {
    var redactor = Redactor(hostNames: ["büro.example"])
    #expect(redactor.redact("ä 8.8.8.8 — büro.example ✔") == "ä 203.0.113.8 — host-1.example ✔")
  }
}
