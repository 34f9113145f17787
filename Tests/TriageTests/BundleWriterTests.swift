import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import Triage

/// The bundle: its files, README, redaction across every file, the pcap rules, and the atomic write.
@Suite struct BundleWriterTests {
  /// A real check of a loopback listener and a real snapshot of this host.
  static func contents(pcap: Data? = nil) async throws -> BundleContents {
    let listener = try LoopbackTCPListener()
    let text = "127.0.0.1:\(listener.port)"
    let target = CheckTarget(text: text, target: try Target.parse(text), transport: .tcp)
    let snapshot = await ChecklistRun(target: target).run()
    let diagnosis = try #require(snapshot.diagnosis)
    let knowledge = KnowledgeText.render(diagnosis)
    let report = CheckReport(snapshot: snapshot, target: target, version: "test", startedAt: Date(), privileges: .current(),
                             title: knowledge.title, fixes: knowledge.fixes)
    return BundleContents(report: report, snapshot: SystemSnapshot.gatherNow(targetName: nil, toolVersion: "test"), pcap: pcap,
                          pcapAbsentReason: pcap == nil ? "not captured in this test." : nil,
                          createdAt: Date(timeIntervalSince1970: 1_700_000_000))
  }

  /// The same contents with names and public addresses that a redacted bundle must hide.
  static func sensitiveContents(pcap: Data? = nil) async throws -> BundleContents {
    var contents = try await contents(pcap: pcap)
    contents.report.host = "ws-12.office.example.net"
    contents.report.target?.given = "api.shop.example.net:443"
    contents.report.target?.host = "api.shop.example.net"
    contents.report.target?.numeric = false
    contents.report.evidence.route = RouteEvidence(kind: .unicast, interface: "eth0", gateway: IPAddress("151.101.0.1"),
                                                   source: IPAddress("151.101.0.23"))
    contents.report.diagnosis.evidence.append("API.SHOP.EXAMPLE.NET resolved to 151.101.65.69 and 2a04:4e42:200::323 (DNS 8.8.8.8)")
    contents.markdown = CheckText.markdown(contents.report)
    contents.snapshot.resolv_conf = SnapshotPart(value: SystemSnapshot.ResolvConf(
      path: "/etc/resolv.conf", text: "search office.example.net\nnameserver 8.8.8.8\nnameserver 2001:4860:4860::8888\n",
      parsed: ResolverConfiguration.parse("search office.example.net\nnameserver 8.8.8.8\nnameserver 2001:4860:4860::8888\n")))
    contents.snapshot.hosts = SnapshotPart(value: SystemSnapshot.hostsLines(
      name: "api.shop.example.net", text: "151.101.65.69 api.shop.example.net shop-api\n", path: "/etc/hosts"))
    contents.snapshot.host.value?.hostname = "ws-12.office.example.net"
    // MACs, and addresses made from them (EUI-64) under a link-local, a lab ULA and a public prefix.
    contents.report.diagnosis.evidence.append("gateway \(CraftedPackets.gatewayLinkLocal) lladdr 00:1b:21:ab:cd:ef")
    // A solicited-node address (and its multicast MAC) carries three bytes of a MAC that only a later file names.
    contents.report.diagnosis.evidence.append("neighbour solicitation to ff02::1:ffaa:bbcc (33:33:ff:aa:bb:cc)")
    contents.markdown = CheckText.markdown(contents.report)
    let eth9 = NetworkInterface(
      name: "eth9", index: 99, kind: .ethernet, hardwareType: 1, flags: ["BROADCAST", "MULTICAST", "UP", "LOWER_UP"], operstate: "UP",
      carrier: true, mtu: 1500, mac: "52:54:00:12:34:56", addresses: [
        InterfaceAddress(address: CraftedPackets.clientLinkLocal, prefixLength: 64, scope: "link"),
        InterfaceAddress(address: CraftedPackets.clientULA, prefixLength: 64, scope: "global"),
        InterfaceAddress(address: CraftedPackets.clientPublic, prefixLength: 64, scope: "global"),
      ])
    contents.snapshot.interfaces = SnapshotPart(value: (contents.snapshot.interfaces.value ?? []) + [eth9])
    let gateway = Neighbour(address: CraftedPackets.gatewayLinkLocal, interface: "eth9", interfaceIndex: 99, mac: "00:1B:21:AB:CD:EF",
                            state: .reachable, flags: ["router"])
    let peer = Neighbour(address: IPAddress("fe80::5054:ff:feaa:bbcc")!, interface: "eth9", interfaceIndex: 99, mac: "52:54:00:aa:bb:cc",
                         state: .stale, flags: [])
    contents.snapshot.neighbours = SnapshotPart(value: (contents.snapshot.neighbours.value ?? []) + [gateway, peer])
    return contents
  }

  /// Every station MAC a snapshot names (this host's own interfaces and neighbours too), as bytes.
  static func stationMACs(_ snapshot: SystemSnapshot) -> Set<[UInt8]> {
    let texts = (snapshot.interfaces.value ?? []).compactMap(\.mac) + (snapshot.neighbours.value ?? []).compactMap(\.mac)
    return Set(texts.compactMap { text -> [UInt8]? in
      let bytes = text.split(separator: ":").compactMap { UInt8($0, radix: 16) }
      return bytes.count == 6 && bytes[0] & 1 == 0 && bytes.contains { $0 != 0 } ? bytes : nil
    })
  }

  static func text(_ file: BundleFile) -> String { String(decoding: file.bytes, as: UTF8.self) }

  static let expectedNames = [
    "README.txt", "report.json", "report.md", "snapshot.json", "snapshot/tool.txt", "snapshot/interfaces.txt", "snapshot/routes.txt",
    "snapshot/neighbours.txt", "snapshot/resolv.conf.txt", "snapshot/hosts-lines.txt", "snapshot/nsswitch-hosts.txt",
    "snapshot/sysctls.txt", "snapshot/listening-sockets.txt", "snapshot/kernel-counters.txt",
  ]

  @Test func filesAndReadme() async throws {
    let (files, redactor) = BundleWriter.files(try await Self.contents())
    #expect(redactor == nil)
    #expect(files.map(\.name) == Self.expectedNames)
    let readme = Self.text(files[0])
    for file in files { #expect(readme.contains("  " + file.name + " "), "\(file.name) not in the README") }
    #expect(readme.contains("Diagnosis: reachable"))
    #expect(readme.contains("No packet capture: not captured in this test."))
    #expect(!readme.contains("Redacted"))

    let report = try JSONSerialization.jsonObject(with: Data(files[1].bytes)) as! [String: Any]
    #expect(CheckReportTests.validator.validate(report) == [])
    #expect((report["diagnosis"] as? [String: Any])?["id"] as? String == "reachable")
    #expect(Self.text(files[2]).hasPrefix("# nettriage report"))
    _ = try JSONDecoder().decode(SystemSnapshot.self, from: Data(files[3].bytes))
  }

  @Test func pcapIsIncludedAsItIs() async throws {
    let pcap = Data([0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0] + [UInt8](repeating: 0, count: 16))
    let (files, _) = BundleWriter.files(try await Self.contents(pcap: pcap))
    let capture = try #require(files.first { $0.name == "capture.pcap" })
    #expect(Data(capture.bytes) == pcap)
    #expect(Self.text(files[0]).contains("capture.pcap"))
    #expect(!Self.text(files[0]).contains("No packet capture"))
  }

  @Test func redactedBundleLeavesThePcapOutWithANote() async throws {
    let pcap = Data([0xd4, 0xc3, 0xb2, 0xa1] + Array("151.101.65.69".utf8))
    let (files, _) = BundleWriter.files(try await Self.sensitiveContents(pcap: pcap), options: BundleOptions(redact: true))
    #expect(!files.contains { $0.name == "capture.pcap" })
    let note = try #require(files.first { $0.name == "capture-omitted.txt" })
    #expect(Self.text(note).contains("left out because the bundle is redacted"))
    #expect(Self.text(files[0]).contains("capture-omitted.txt"))
  }

  @Test func aRewriterKeepsTheRedactedPcapWithTheSamePlaceholders() async throws {
    let pcap = Data(IPAddress("151.101.65.69")!.bytes)
    let options = BundleOptions(redact: true, pcapRewriter: { data, redactor in
      guard let address = IPAddress(bytes: Array(data)) else { return nil }
      return PcapRedaction.Result(pcap: Data(redactor.replacement(for: address).bytes), keptRecords: 1, droppedRecords: 2)
    })
    let (files, _) = BundleWriter.files(try await Self.sensitiveContents(pcap: pcap), options: options)
    let capture = try #require(files.first { $0.name == "capture.pcap" })
    let placeholder = try #require(IPAddress(bytes: capture.bytes))
    #expect(RedactorTests.isPlaceholder(placeholder))
    // The text files name the same placeholder for the same address.
    let report = Self.text(try #require(files.first { $0.name == "report.json" }))
    #expect(report.contains("\(placeholder) and 2001:db8:0:1::323"))
    // What the rewrite left out is said twice: beside the file and in the redaction note.
    #expect(capture.about.contains("2 of 3 packets left out"))
    #expect(Self.text(files[0]).contains("capture.pcap: 1 packet rewritten, 2 left out"))
  }

  /// No public address, none of the names, no station's MAC and no interface identifier made from one (EUI-64) are
  /// left in any file (the capture included), and the JSON still parses and validates.
  @Test func redactionReachesEveryFile() async throws {
    let frames = CraftedPackets.eui64Packets.map { CraftedPackets.Framing.ethernet.frame($0) }
    let pcap = Data(try PcapWriter().bytes(for: CraftedPackets.records(frames, .ethernet)))
    let contents = try await Self.sensitiveContents(pcap: pcap)
    let (files, redactor) = BundleWriter.files(contents, options: BundleOptions(redact: true, pcapRewriter: PcapRedaction.rewrite))
    var names = Self.expectedNames
    names.insert("capture.pcap", at: 3)
    #expect(files.map(\.name) == names)
    let secrets = ["api.shop", "API.SHOP", "shop-api", "ws-12", "office.example", "151.101.", "2a04:4e42", "8.8.8.8", "2001:4860",
                   "5054:ff:fe12:3456", "21b:21ff:feab:cdef", "ffaa:bbcc", "ff:aa:bb:cc"]
    let macs = Self.stationMACs(contents.snapshot)
    #expect(macs.isSuperset(of: [CraftedPackets.clientMAC, CraftedPackets.gatewayMAC]))
    for file in files {
      if file.name == "capture.pcap" {
        for mac in macs { #expect(!file.bytes.contains(bytes: mac), "\(mac) left in capture.pcap") }
        for mac in macs { #expect(!file.bytes.contains(bytes: CraftedPackets.eui64(mac)), "EUI-64 of \(mac) left in capture.pcap") }
        continue
      }
      let text = Self.text(file)
      for secret in secrets { #expect(!text.lowercased().contains(secret.lowercased()), "\(secret) left in \(file.name)") }
      for mac in macs {
        let written = mac.map { String(format: "%02x", $0) }.joined(separator: ":")
        #expect(!text.lowercased().contains(written), "\(written) left in \(file.name)")
      }
      let addresses = RedactorTests.addresses(in: text)
      let leaked = addresses.filter { !Redactor.isKept($0) && !RedactorTests.isPlaceholder($0) }
      #expect(leaked.isEmpty, "\(file.name): \(leaked)")
      let identifying = addresses.filter { address in
        address.family == .ipv6 && macs.contains { address.bytes.suffix(8).elementsEqual(CraftedPackets.eui64($0)) }
      }
      #expect(identifying.isEmpty, "\(file.name): \(identifying)")
    }
    let report = try JSONSerialization.jsonObject(with: Data(files[1].bytes)) as! [String: Any]
    #expect(CheckReportTests.validator.validate(report) == [])
    #expect((report["target"] as? [String: Any])?["host"] as? String == "host-1.example")
    #expect(report["host"] as? String == "host-3.example")
    _ = try JSONDecoder().decode(CheckReport.self, from: Data(files[1].bytes))
    _ = try JSONDecoder().decode(SystemSnapshot.self, from: Data(try #require(files.first { $0.name == "snapshot.json" }).bytes))
    let readme = Self.text(files[0])
    #expect(readme.contains("Redacted: \(redactor?.replacedAddresses ?? -1) addresses, \(redactor?.replacedMACs ?? -1) MAC addresses and"
      + " \(redactor?.replacedNames ?? -1) names"))
    #expect((redactor?.replacedMACs ?? 0) >= 2)
    #expect(readme.contains("The target's name is host-1.example"))
    #expect(Self.text(files.first { $0.name == "snapshot/resolv.conf.txt" }!).contains("search domain-1.example"))
    // Loopback stays.
    #expect(Self.text(files[1]).contains("127.0.0.1"))
  }

  @Test func writtenArchiveExtractsWithTar() async throws {
    let directory = TemporaryDirectory()
    let path = directory.path + "/out.tar.gz"
    let summary = try BundleWriter.write(try await Self.contents(), to: path)
    #expect(summary.folder == "nettriage-bundle-20231114-221320")
    #expect(summary.files == Self.expectedNames)
    #expect(summary.compressedBytes == (try Data(contentsOf: URL(fileURLWithPath: path))).count)
    let listing = try runCommand("/usr/bin/tar", ["-tzf", path]).stdout.split(separator: "\n").map(String.init)
    var expected = [summary.folder + "/"]
    for name in Self.expectedNames {
      if name == "snapshot/tool.txt" { expected.append(summary.folder + "/snapshot/") }
      expected.append(summary.folder + "/" + name)
    }
    #expect(listing == expected)
    try runCommand("/usr/bin/tar", ["-xzf", path, "-C", directory.path])
    let report = try Data(contentsOf: URL(fileURLWithPath: directory.path + "/" + summary.folder + "/report.json"))
    #expect(CheckReportTests.validator.validate(try JSONSerialization.jsonObject(with: report)) == [])
    // Only the archive and the extracted folder: no temporary file left beside it.
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted() == [summary.folder, "out.tar.gz"])
  }

  @Test func anExistingFileIsReplacedWhole() async throws {
    let directory = TemporaryDirectory()
    let path = directory.path + "/out.tar.gz"
    try Data("old".utf8).write(to: URL(fileURLWithPath: path))
    try BundleWriter.write(try await Self.contents(), to: path)
    let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
    #expect(bytes.prefix(2) == Data([0x1f, 0x8b]))
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["out.tar.gz"])
  }

  @Test(arguments: ["/nonexistent-nettriage-dir/out.tar.gz", "/proc/self/out.tar.gz"])
  func failedWriteLeavesNothing(path: String) async throws {
    let contents = try await Self.contents()
    let error = #expect(throws: BundleError.self) { try BundleWriter.write(contents, to: path) }
    guard case let .write(systemError)? = error else {
      Issue.record("expected a write error, got \(String(describing: error))")
      return
    }
    #expect(systemError.call.hasPrefix("open("))
    #expect(!FileManager.default.fileExists(atPath: path))
  }

  /// A failure after the temporary file exists (here the rename; a full disk is the CLI test's job) removes it.
  @Test func renameFailureRemovesTheTemporaryFile() async throws {
    let directory = TemporaryDirectory()
    // The destination is a non-empty directory created after the check: rename(2) over it fails with EISDIR.
    let destination = directory.path + "/taken"
    try FileManager.default.createDirectory(atPath: destination + "/inside", withIntermediateDirectories: true)
    let error = #expect(throws: SystemCallError.self) { try FileAccess.writeAtomically(Array("x".utf8), to: destination) }
    #expect(error?.call.hasPrefix("rename(") == true)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["taken"])
  }

  @Test(arguments: [("", "needs a file name"), ("/tmp", "is a directory"), ("/tmp/", "is a directory"), ("some/dir/", "is a directory")])
  func destinationsThatAreNotFiles(path: String, message: String) {
    let error = #expect(throws: BundlePathError.self) { try BundleWriter.checkDestination(path) }
    #expect(error?.message.contains(message) == true)
  }

  @Test func folderNameIsTheUTCTime() {
    #expect(BundleWriter.defaultFolder(Date(timeIntervalSince1970: 0)) == "nettriage-bundle-19700101-000000")
    #expect(BundleWriter.defaultFolder(Date(timeIntervalSince1970: 1_700_000_000)) == "nettriage-bundle-20231114-221320")
  }
}
