import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Triage

/// The system snapshot read from this host's kernel, and from fixture files where a part must fail or say something
/// particular.
@Suite struct SystemSnapshotTests {
  @Test func everyPartOfThisHostReads() throws {
    let snapshot = SystemSnapshot.gatherNow(targetName: "localhost", toolVersion: "test")
    let interfaces = try #require(snapshot.interfaces.value, "\(snapshot.interfaces.error ?? "")")
    #expect(interfaces.contains { $0.isLoopback && $0.addresses.contains { $0.address == IPAddress("127.0.0.1") } })
    let routes = try #require(snapshot.routes.value, "\(snapshot.routes.error ?? "")")
    #expect(!routes.routes.isEmpty)
    #expect(snapshot.neighbours.error == nil)
    #expect(snapshot.privileges.value?.uid == getuid())
    #expect(snapshot.host.value?.hostname.isEmpty == false)
    #expect(snapshot.host.value?.kernel_release.isEmpty == false)
    #expect(snapshot.listening_sockets.error == nil)
    let counters = try #require(snapshot.kernel_counters.value)
    #expect(counters.groups["TcpExt"]?["ListenOverflows"] != nil)
    #expect(counters.groups["Tcp"]?["ActiveOpens"] != nil)
    #expect(counters.watched.counters.contains { $0.name == "ListenOverflows" })
    for name in ["net.ipv4.ip_forward", "net.ipv4.tcp_syn_retries", "net.core.somaxconn", "net.ipv4.ping_group_range",
                 "net.ipv4.ip_local_port_range", "net.ipv4.icmp_ratelimit", "net.ipv4.conf.all.rp_filter"] {
      let sysctl = try #require(snapshot.sysctls.first { $0.name == name })
      #expect(sysctl.value != nil, "\(name): \(sysctl.error ?? "")")
    }
    // Per-interface sysctls for the interfaces besides loopback.
    for interface in interfaces where !interface.isLoopback {
      #expect(snapshot.sysctls.contains { $0.name == "net.ipv4.conf.\(interface.name.replacingOccurrences(of: ".", with: "/")).rp_filter" })
    }
    #expect(snapshot.hosts.value?.lines.contains { $0.text.contains("localhost") } == true)
    #expect(snapshot.nsswitch_hosts.error == nil || !FileManager.default.fileExists(atPath: "/etc/nsswitch.conf"))
  }

  /// A listener the test opens shows up in the listening sockets part.
  @Test func listeningSocketsIncludeALoopbackListener() throws {
    let listener = try LoopbackTCPListener(backlog: 7)
    let snapshot = SystemSnapshot.gatherNow(targetName: nil, toolVersion: "test")
    let row = try #require(snapshot.listening_sockets.value?.rows.first { $0.local.port == listener.port })
    #expect(row.state == .listen && row.backlog == 7)
    let text = SnapshotText.files(snapshot).first { $0.name == "listening-sockets.txt" }?.text ?? ""
    #expect(text.contains("LISTEN  127.0.0.1:\(listener.port)  accept-queue 0/7"))
  }

  /// Files that are missing or unreadable are recorded part by part; gathering never fails.
  @Test func unreadablePartsAreRecordedNotFatal() throws {
    let directory = TemporaryDirectory()
    var sources = SystemSnapshot.Sources()
    sources.resolvConf = directory.path + "/missing-resolv.conf"
    sources.hosts = directory.path + "/missing-hosts"
    sources.nsswitch = directory.path + "/missing-nsswitch.conf"
    sources.processStatus = directory.path + "/missing-status"
    sources.sysctlRoot = directory.path + "/sys"
    sources.counterFiles = [directory.path + "/missing-netstat"]
    sources.ipv6Counters = directory.path + "/missing-snmp6"
    let snapshot = SystemSnapshot.gatherNow(targetName: "intranet.example", toolVersion: "test", sources: sources)
    #expect(snapshot.resolv_conf.error?.contains("ENOENT") == true)
    #expect(snapshot.hosts.error?.contains("missing-hosts") == true)
    #expect(snapshot.nsswitch_hosts.error != nil)
    #expect(snapshot.privileges.error != nil)
    #expect(snapshot.host.error != nil)
    #expect(snapshot.kernel_counters.error?.contains("missing-netstat") == true)
    #expect(snapshot.sysctls.allSatisfy { $0.value == nil && $0.error?.contains("not on this kernel") == true })
    // The kernel parts still read.
    #expect(snapshot.interfaces.value != nil && snapshot.routes.value != nil)
    // Each failure reads as such in its text file, and the JSON keeps the reason.
    let files = Dictionary(uniqueKeysWithValues: SnapshotText.files(snapshot).map { ($0.name, $0.text) })
    #expect(files["resolv.conf.txt"]?.hasPrefix("could not read: open(") == true)
    #expect(files["kernel-counters.txt"]?.hasPrefix("could not read: ") == true)
    #expect(files["sysctls.txt"]?.contains("net.ipv4.ip_forward = ?") == true)
    let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(snapshot)) as! [String: Any]
    #expect((json["resolv_conf"] as? [String: Any])?["error"] is String)
  }

  @Test func fixtureFilesAreReadAsWritten() throws {
    let directory = TemporaryDirectory()
    let hosts = """
      127.0.0.1 localhost
      # 10.0.0.9 intranet.example (commented out)
      10.0.0.5\tIntranet.Example intranet
      10.0.0.6 other.example
      fd00::5 intranet.example.
      """
    try hosts.write(toFile: directory.path + "/hosts", atomically: false, encoding: .utf8)
    try "search corp.example lab.example\nnameserver 198.18.0.53\noptions timeout:1 attempts:2\n"
      .write(toFile: directory.path + "/resolv.conf", atomically: false, encoding: .utf8)
    try "passwd: files\nhosts:   files   mdns4_minimal [NOTFOUND=return] dns # comment\n"
      .write(toFile: directory.path + "/nsswitch.conf", atomically: false, encoding: .utf8)
    try FileManager.default.createDirectory(atPath: directory.path + "/sys/net/ipv4", withIntermediateDirectories: true)
    try "1\n".write(toFile: directory.path + "/sys/net/ipv4/ip_forward", atomically: false, encoding: .utf8)
    try "32768\t60999\n".write(toFile: directory.path + "/sys/net/ipv4/ip_local_port_range", atomically: false, encoding: .utf8)
    var sources = SystemSnapshot.Sources()
    sources.hosts = directory.path + "/hosts"
    sources.resolvConf = directory.path + "/resolv.conf"
    sources.nsswitch = directory.path + "/nsswitch.conf"
    sources.sysctlRoot = directory.path + "/sys"
    let snapshot = SystemSnapshot.gatherNow(targetName: "intranet.example", toolVersion: "test", sources: sources)

    let lines = try #require(snapshot.hosts.value)
    #expect(lines.lines.map(\.number) == [3, 5])
    #expect(lines.lines.first?.text == "10.0.0.5\tIntranet.Example intranet")
    #expect(lines.names == ["Intranet.Example", "intranet", "intranet.example."])
    #expect(snapshot.resolv_conf.value?.parsed.searchDomains == ["corp.example", "lab.example"])
    #expect(snapshot.nsswitch_hosts.value?.line == "hosts:   files   mdns4_minimal [NOTFOUND=return] dns # comment")
    #expect(snapshot.nsswitch_hosts.value?.order == "files mdns4_minimal [NOTFOUND=return] dns")
    #expect(snapshot.sysctls.first { $0.name == "net.ipv4.ip_forward" }?.value == "1")
    #expect(snapshot.sysctls.first { $0.name == "net.ipv4.ip_local_port_range" }?.value == "32768 60999")

    let files = Dictionary(uniqueKeysWithValues: SnapshotText.files(snapshot).map { ($0.name, $0.text) })
    #expect(files["hosts-lines.txt"] == "# lines of \(directory.path)/hosts that name intranet.example:\n3: 10.0.0.5\\u{9}Intranet.Example intranet\n5: fd00::5 intranet.example.\n")
    #expect(files["resolv.conf.txt"]?.contains("search corp.example lab.example\nnameserver 198.18.0.53") == true)
    #expect(files["resolv.conf.txt"]?.contains("timeout 1s, attempts 2, ndots 1: a look-up nobody answers waits up to 2s") == true)
    #expect(files["nsswitch-hosts.txt"]?.hasSuffix("hosts:   files   mdns4_minimal [NOTFOUND=return] dns # comment\n") == true)
    #expect(files["sysctls.txt"]?.contains("net.ipv4.ip_forward = 1") == true)
  }

  @Test func numericTargetHasNoHostsLines() throws {
    let snapshot = SystemSnapshot.gatherNow(targetName: nil, toolVersion: "test")
    #expect(snapshot.hosts.value?.name == nil && snapshot.hosts.value?.lines == [])
    let text = SnapshotText.files(snapshot).first { $0.name == "hosts-lines.txt" }?.text
    #expect(text?.hasPrefix("the target is not a host name") == true)
  }

  @Test func textFilesCoverEveryPart() throws {
    let snapshot = SystemSnapshot.gatherNow(targetName: "localhost", toolVersion: "9.9.9")
    let files = SnapshotText.files(snapshot)
    #expect(files.map(\.name) == ["tool.txt", "interfaces.txt", "routes.txt", "neighbours.txt", "resolv.conf.txt", "hosts-lines.txt",
                                  "nsswitch-hosts.txt", "sysctls.txt", "listening-sockets.txt", "kernel-counters.txt"])
    let byName = Dictionary(uniqueKeysWithValues: files.map { ($0.name, $0.text) })
    #expect(byName["tool.txt"]?.hasPrefix("nettriage 9.9.9\n") == true)
    #expect(byName["tool.txt"]?.contains("effective capabilities: ") == true)
    #expect(byName["interfaces.txt"]?.contains("inet 127.0.0.1/8 scope host") == true)
    #expect(byName["routes.txt"]?.contains("IPv4 routes (main table):") == true)
    #expect(byName["routes.txt"]?.contains("IPv6 routes (main table):") == true)
    #expect(byName["kernel-counters.txt"]?.contains("TcpExt.ListenOverflows = ") == true)
    #expect(files.allSatisfy { $0.text.hasSuffix("\n") && !$0.about.isEmpty })
  }

  @Test func snapshotJSONRoundTrips() throws {
    let snapshot = SystemSnapshot.gatherNow(targetName: "localhost", toolVersion: "test")
    let decoded = try JSONDecoder().decode(SystemSnapshot.self, from: JSONEncoder().encode(snapshot))
    #expect(decoded == snapshot)
  }

  @Test(arguments: [
    ("Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t000001ffffffffff\n", 41, true),
    ("Uid:\t65534\t65534\t65534\t65534\nGid:\t65534\t65534\t65534\t65534\nCapEff:\t0000000000000000\n", 0, false),
    ("Uid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nCapEff:\t0000000000002000\n", 1, true),
  ])
  func privilegesFromProcStatus(status: String, count: Int, netRaw: Bool) throws {
    let privileges = try #require(ProcessPrivileges(status: status))
    #expect(privileges.effective.count == count)
    #expect(privileges.effective.contains("cap_net_raw") == netRaw)
    #expect(privileges.notes.first?.hasPrefix(netRaw ? "CAP_NET_RAW" : "no CAP_NET_RAW") == true)
  }

  @Test func privilegesNameUnknownBitsAndRefuseGarbage() {
    let status = "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nCapEff:\t0000800000000001\n"
    #expect(ProcessPrivileges(status: status)?.effective == ["cap_chown", "cap_47"])
    #expect(ProcessPrivileges(status: "Uid:\t0\t0\t0\t0\nCapEff:\t0\n") == nil)
    #expect(ProcessPrivileges(status: "") == nil)
  }

  @Test func snmp6Counters() {
    let counters = SystemSnapshot.parseSNMP6("Ip6InReceives                   \t42\nIcmp6InErrors 3\nbogus line here\n")
    #expect(counters == ["Ip6InReceives": 42, "Icmp6InErrors": 3])
  }
}
