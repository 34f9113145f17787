import FoundationEssentials
import NetProbe

/// What goes into a data-collection bundle: the check's report, the system snapshot, and the packets if any.
public struct BundleContents: Sendable {
  public var report: CheckReport
  /// The Markdown report (`check --report`).
  public var markdown: String
  public var snapshot: SystemSnapshot
  /// The probes' packets as a pcap file, when they were captured.
  public var pcap: Data?
  /// Why there are no packets (said in the README) when `pcap` is nil.
  public var pcapAbsentReason: String?
  /// The modification time of every entry, and the archive folder's name.
  public var createdAt: Date

  public init(report: CheckReport, markdown: String? = nil, snapshot: SystemSnapshot, pcap: Data? = nil,
              pcapAbsentReason: String? = nil, createdAt: Date = Date()) {
    self.report = report
    self.markdown = markdown ?? CheckText.markdown(report)
    self.snapshot = snapshot
    self.pcap = pcap
    self.pcapAbsentReason = pcapAbsentReason
    self.createdAt = createdAt
  }
}

/// How to write a bundle.
public struct BundleOptions: Sendable {
  /// Replace public addresses, MACs (and the IPv6 interface identifiers made from them) and the names that identify
  /// the network with placeholders (`Redactor`) in every file; the pcap is left out with a note unless `pcapRewriter` can rewrite it.
  public var redact: Bool
  /// Rewrites a pcap's addresses (and whatever else it must) with the redactor's placeholders, counting the records
  /// it had to leave out; nil when it cannot.
  public var pcapRewriter: (@Sendable (Data, inout Redactor) -> PcapRedaction.Result?)?
  /// The folder the files extract into; by default `nettriage-bundle-YYYYMMDD-HHMMSS` (UTC, from `createdAt`).
  public var folder: String?

  public init(redact: Bool = false, pcapRewriter: (@Sendable (Data, inout Redactor) -> PcapRedaction.Result?)? = nil,
              folder: String? = nil) {
    self.redact = redact
    self.pcapRewriter = pcapRewriter
    self.folder = folder
  }
}

/// One file of the bundle: its path inside the archive's folder, what it is (for the README), its bytes.
public struct BundleFile: Sendable, Hashable {
  public var name: String
  public var about: String
  public var bytes: [UInt8]

  public init(name: String, about: String, bytes: [UInt8]) {
    self.name = name
    self.about = about
    self.bytes = bytes
  }

  public init(name: String, about: String, text: String) {
    self.init(name: name, about: about, bytes: Array(text.utf8))
  }
}

/// What was written.
public struct BundleSummary: Sendable, Hashable {
  public var path: String
  public var folder: String
  public var files: [String]
  public var compressedBytes: Int
  public var redacted: Bool
  public var replacedAddresses: Int
  public var replacedNames: Int
  public var replacedMACs: Int
}

/// Writes the data-collection bundle: one `.tar.gz` with README.txt, report.json, report.md, the pcap (or a note
/// saying why there is none), snapshot.json and a text file per snapshot part, written atomically.
public enum BundleWriter {
  /// The bundle's files in archive order, redacted when asked. README.txt comes first and lists the others.
  public static func files(_ contents: BundleContents, options: BundleOptions = BundleOptions()) -> (files: [BundleFile], redactor: Redactor?) {
    // The text parts, made once: the learning pass below reads them, and they are written after it.
    let reports = [
      BundleFile(name: "report.json", about: "the check's result as `nettriage check --json` prints it (nettriage's report.schema.json)",
                 text: json(contents.report)),
      BundleFile(name: "report.md", about: "the same result as a Markdown report for the ticket (`check --report`)", text: contents.markdown),
    ]
    let snapshot = [BundleFile(name: "snapshot.json", about: "the system snapshot as one JSON object; a part that could not be read has \"error\" in place of \"value\"",
                               text: json(contents.snapshot))]
      + SnapshotText.files(contents.snapshot).map { BundleFile(name: "snapshot/" + $0.name, about: $0.about, text: $0.text) }
    var redactor = options.redact ? redactor(for: contents) : nil
    if var learning = redactor {
      // A first pass over every part, its output thrown away, so the maps know every MAC before anything is
      // written: a solicited-node address seen before the MAC it comes from then follows that MAC too. Placeholders
      // are numbered in order of first sight, the same order as the real pass below.
      if let pcap = contents.pcap, let rewrite = options.pcapRewriter { _ = rewrite(pcap, &learning) }
      for file in reports + snapshot { _ = learning.redact(String(decoding: file.bytes, as: UTF8.self)) }
      redactor = learning
    }
    var files = reports
    var pcapNote: String?
    var pcapRewrite: PcapRedaction.Result?
    if let pcap = contents.pcap {
      if var active = redactor {
        if let rewrite = options.pcapRewriter, let rewritten = rewrite(pcap, &active) {
          redactor = active
          pcapRewrite = rewritten
          let leftOut = rewritten.droppedRecords == 0 ? "" : "; \(rewritten.droppedRecords) of \(rewritten.keptRecords + rewritten.droppedRecords) packets left out"
          files.append(BundleFile(name: "capture.pcap", about: "the probes' packets with addresses rewritten to the placeholders, payloads zeroed\(leftOut) (tcpdump -r, Wireshark)",
                                  bytes: Array(rewritten.pcap)))
        } else {
          pcapNote = """
            The packet capture was left out because the bundle is redacted: packets carry addresses and payloads that \
            text redaction cannot rewrite. Run the check again without --redact to include capture.pcap, or share \
            it through a channel where the addresses may be seen.
            """
        }
      } else {
        files.append(BundleFile(name: "capture.pcap", about: "the probes' packets (tcpdump -r, Wireshark)", bytes: Array(pcap)))
      }
    }
    if let pcapNote {
      files.append(BundleFile(name: "capture-omitted.txt", about: "why there is no capture.pcap", text: pcapNote + "\n"))
    }
    files += snapshot
    if var active = redactor {
      for index in files.indices where files[index].name != "capture.pcap" {
        files[index].bytes = Array(active.redact(String(decoding: files[index].bytes, as: UTF8.self)).utf8)
      }
      redactor = active
    }
    // The README's own words about redaction name documentation ranges: only the parts from the run are redacted.
    var summary = readmeSummary(contents, files: files, pcapPresent: contents.pcap != nil)
    var targetLine: String?
    if let target = contents.report.target, target.numeric == false, let host = target.host {
      targetLine = "  The target's name is \(host) (written as its placeholder)."
    }
    if var active = redactor {
      summary = active.redact(summary)
      targetLine = targetLine.map { active.redact($0) }
      redactor = active
    }
    let readme = summary + (redactor.map { redactionNote($0, targetLine: targetLine, pcap: pcapRewrite) } ?? "")
    files.insert(BundleFile(name: "README.txt", about: "this file", text: readme), at: 0)
    return (files, redactor)
  }

  /// The gzip-compressed ustar archive of the files, inside `folder`.
  public static func archive(_ files: [BundleFile], folder: String, modificationTime: Int64) throws(BundleError) -> [UInt8] {
    var tar = TarWriter()
    do throws(TarError) {
      try tar.addDirectory(folder, modificationTime: modificationTime)
      var directories: Set<String> = [folder]
      for file in files {
        let path = folder + "/" + file.name
        // Each subfolder gets its own entry before its first file.
        let parent = FileAccess.directoryName(of: path)
        if !directories.contains(parent) {
          try tar.addDirectory(parent, modificationTime: modificationTime)
          directories.insert(parent)
        }
        try tar.addFile(path, contents: file.bytes, modificationTime: modificationTime)
      }
    } catch {
      throw .archive(error)
    }
    do {
      return try Gzip.compress(tar.archive, level: 9)
    } catch {
      throw .compression(error)
    }
  }

  /// Checks a `--bundle` argument before any work: it must name a file, not be empty or a directory.
  public static func checkDestination(_ path: String) throws(BundlePathError) {
    if path.isEmpty { throw BundlePathError(message: "--bundle needs a file name, e.g. --bundle ticket.tar.gz") }
    if path.hasSuffix("/") || FileAccess.isDirectory(path) {
      throw BundlePathError(message: "--bundle \(path) is a directory: give a file name, e.g. \(path.hasSuffix("/") ? path : path + "/")ticket.tar.gz")
    }
  }

  /// Builds the bundle and writes it to `path` atomically (a temporary file beside it, fsync, rename): a failure
  /// leaves no partial file and `path` as it was.
  @discardableResult
  public static func write(_ contents: BundleContents, options: BundleOptions = BundleOptions(), to path: String) throws(BundleError) -> BundleSummary {
    do { try checkDestination(path) } catch { throw .destination(error) }
    let folder = options.folder ?? defaultFolder(contents.createdAt)
    let (files, redactor) = Self.files(contents, options: options)
    let bytes = try archive(files, folder: folder, modificationTime: Int64(contents.createdAt.timeIntervalSince1970))
    do { try FileAccess.writeAtomically(bytes, to: path) } catch { throw .write(error) }
    return BundleSummary(path: path, folder: folder, files: files.map(\.name), compressedBytes: bytes.count, redacted: redactor != nil,
                         replacedAddresses: redactor?.replacedAddresses ?? 0, replacedNames: redactor?.replacedNames ?? 0,
                         replacedMACs: redactor?.replacedMACs ?? 0)
  }

  /// `nettriage-bundle-20250102-030405` (UTC).
  public static func defaultFolder(_ date: Date) -> String {
    "nettriage-bundle-" + CompactTimestamp.string(secondsSinceEpoch: Int64(date.timeIntervalSince1970.rounded(.down)), utc: true)
  }

  /// The names a redacted bundle hides, the target's first: the target, the names on its hosts lines, this machine's
  /// name (and its first label), and resolv.conf's search domains.
  public static func redactor(for contents: BundleContents) -> Redactor {
    var hostNames: [String] = []
    if let target = contents.report.target, target.numeric == false, let host = target.host { hostNames.append(host) }
    if let hosts = contents.snapshot.hosts.value {
      if let name = hosts.name { hostNames.append(name) }
      hostNames += hosts.names
    }
    var machineNames = [contents.report.host]
    if let identity = contents.snapshot.host.value { machineNames.append(identity.hostname) }
    for name in machineNames {
      hostNames.append(name)
      if let first = name.split(separator: ".").first, first.count < name.count { hostNames.append(String(first)) }
    }
    var domains = contents.snapshot.resolv_conf.value?.parsed.searchDomains ?? []
    for name in machineNames where name.contains(".") {
      domains.append(String(name.drop { $0 != "." }.dropFirst()))  // ws1.corp.example → corp.example
    }
    if let nis = contents.snapshot.host.value?.domainname { domains.append(nis) }
    // A domain of one label (`example`, `lan`) would hide that word everywhere: only names with a dot are domains.
    return Redactor(hostNames: hostNames, domains: domains.filter { $0.contains(".") })
  }

  static func json<T: Encodable>(_ value: T) -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
    return String(decoding: data, as: UTF8.self) + "\n"
  }

  /// What the bundle holds: the run, the file list, the capture.
  static func readmeSummary(_ contents: BundleContents, files: [BundleFile], pcapPresent: Bool) -> String {
    let report = contents.report
    var lines = [
      "nettriage data-collection bundle",
      "",
      "Written by nettriage \(report.tool.version) at \(contents.createdAt.formatted(.iso8601)).",
      "Diagnosis: \(report.diagnosis.id.rawValue) — \(report.diagnosis.title)",
      "",
      "Files:",
    ]
    let width = max(files.map(\.name.count).max() ?? 0, "README.txt".count) + 2
    func entry(_ name: String, _ about: String) -> String { "  " + name + String(repeating: " ", count: width - name.count) + about }
    lines.append(entry("README.txt", "this file"))
    lines += files.map { entry($0.name, $0.about) }
    if !pcapPresent {
      lines += ["", "No packet capture: " + (contents.pcapAbsentReason ?? "the probes' packets were not captured in this run.")]
    }
    lines += ["", "Every snapshot part was read by nettriage itself (netlink, /proc, /etc), not by running ip or ss. A part",
              "that could not be read says so (\"could not read: ...\") and the rest is complete."]
    return lines.joined(separator: "\n") + "\n"
  }

  /// How the bundle was redacted (fixed words, not redacted themselves: they name the placeholder ranges).
  static func redactionNote(_ redactor: Redactor, targetLine: String?, pcap: PcapRedaction.Result? = nil) -> String {
    var lines = [
      "",
      "Redacted: \(redactor.replacedAddresses) addresses, \(redactor.replacedMACs) MAC addresses and \(redactor.replacedNames) names were"
        + " replaced in every file.",
      "  Addresses outside private and special ranges became documentation addresses: each public IPv4 /24 became",
      "  203.0.113.0/24, then 198.51.100.0/24, 192.0.2.0/24, then 240.0.x.0/24, keeping the last byte; each public",
      "  IPv6 /64 became 2001:db8:0:N::/64, keeping the interface identifier (unless made from a MAC, below). So",
      "  subnets, gateways and broadcast addresses still line up. Real addresses in those ranges were replaced too:",
      "  every one here is a placeholder.",
      "  Kept as they are: 0/8, 10/8, 100.64/10, 127/8, 169.254/16, 172.16/12, 192.0.0/24, 192.168/16, 198.18/15,",
      "  224/4 and 241-255.x (multicast, reserved, netmasks); ::, ::1, fe80::/10, fc00::/7, ff00::/8.",
      "  MAC addresses (written aa:bb:cc:dd:ee:ff) became 02:00:00:00:00:NN, one per station in every file and in",
      "  capture.pcap; broadcast, multicast and all-zero ones stay. An IPv6 interface identifier made from a MAC",
      "  (EUI-64: ...:ff:fe...) became the one of the MAC's placeholder, in kept prefixes (fe80::, ULA) too: the",
      "  station 02:00:00:00:00:01 has fe80::ff:fe00:1. A tunnel's link address (written the same way) is its",
      "  endpoint's address and was treated as one.",
      "  Names became host-N.example (the target's name, its aliases in /etc/hosts, this machine's name) and",
      "  domain-N.example (resolv.conf's search domains), whole words in any case; \"localhost\" stays.",
      "  The same original became the same placeholder in every file. The map back to the originals was not kept.",
      "  capture.pcap (when present): addresses and MACs rewritten the same way (also inside ICMP quotes and neighbour",
      "  discovery), TCP/UDP/ICMP payload bytes zeroed (lengths kept). Checksums were updated by the bytes that changed:",
      "  a right one is still right, a wrong one still wrong by the same amount. One that an outgoing packet left for",
      "  checksum offload still holds the pseudo-header's sum (of the new addresses), so it still reads as incorrect.",
      "  A packet cut short by the snap length inside its payload, whose checksum nobody can check, got one afresh.",
      "  A solicited-node multicast address (ff02::1:ffXX:XXXX, link address 33:33:ff:XX:XX:XX) ends in three bytes",
      "  of the address it asks for (of an EUI-64 address: of its MAC): they follow that MAC's placeholder.",
      "  Not redacted: interface names, process names, user ids and reversed (in-addr.arpa) names.",
    ]
    if let pcap {
      let rewritten = pcap.keptRecords == 1 ? "1 packet rewritten" : "\(pcap.keptRecords) packets rewritten"
      lines.append(pcap.droppedRecords == 0
        ? "  capture.pcap: \(rewritten), none left out."
        : "  capture.pcap: \(rewritten), \(pcap.droppedRecords) left out (not IPv4 or IPv6, a malformed IP header,"
          + " or cut off by the end of the file): the redacted file has fewer packets than the capture.")
    }
    if let targetLine, targetLine.contains("host-") { lines.append(targetLine) }
    return lines.joined(separator: "\n") + "\n"
  }
}

/// A `--bundle` argument that cannot name the archive (usage error).
public struct BundlePathError: Error, Hashable, Sendable, CustomStringConvertible {
  public var message: String
  public var description: String { message }
}

/// Why a bundle could not be written.
public enum BundleError: Error, Sendable, CustomStringConvertible {
  case destination(BundlePathError)
  case archive(TarError)
  case compression(GzipError)
  case write(SystemCallError)

  public var description: String {
    switch self {
    case let .destination(error): error.message
    case let .archive(error): "\(error)"
    case let .compression(error): "\(error)"
    case let .write(error): "\(error)"
    }
  }
}
