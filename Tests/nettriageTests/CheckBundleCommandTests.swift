import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `nettriage check --bundle` as a user runs it, on loopback only: the archive lists and extracts with tar, each
/// part parses, `--redact` hides this machine's name, and bad paths or failed writes leave nothing behind.
@Suite struct CheckBundleCommandTests {
  static let expectedFiles = [
    "README.txt", "report.json", "report.md", "snapshot.json", "snapshot/", "snapshot/tool.txt", "snapshot/interfaces.txt",
    "snapshot/routes.txt", "snapshot/neighbours.txt", "snapshot/resolv.conf.txt", "snapshot/hosts-lines.txt",
    "snapshot/nsswitch-hosts.txt", "snapshot/sysctls.txt", "snapshot/listening-sockets.txt", "snapshot/kernel-counters.txt",
  ]

  /// The archive's entries without the top folder (which is named after the time), and that folder.
  static func listing(_ path: String) throws -> (folder: String, entries: [String]) {
    let names = try runCommand("/usr/bin/tar", ["-tzf", path]).stdout.split(separator: "\n").map(String.init)
    let folder = try #require(names.first)
    #expect(folder.hasPrefix("nettriage-bundle-") && folder.hasSuffix("/"))
    #expect(names.allSatisfy { $0.hasPrefix(folder) })
    return (String(folder.dropLast()), names.dropFirst().map { String($0.dropFirst(folder.count)) })
  }

  /// Extracts the archive and returns every regular file's text by name.
  static func extract(_ path: String, into directory: String) throws -> [String: String] {
    try runCommand("/usr/bin/tar", ["-xzf", path, "-C", directory])
    let (folder, entries) = try listing(path)
    var files: [String: String] = [:]
    for entry in entries where !entry.hasSuffix("/") {
      // Lossy for the pcap (binary); every other file is UTF-8 text.
      let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/" + folder + "/" + entry))
      files[entry] = String(decoding: bytes, as: UTF8.self)
    }
    return files
  }

  @Test func bundleOfAReachableLoopbackListener() throws {
    let listener = try LoopbackTCPListener()
    let directory = TemporaryDirectory()
    let path = directory.path + "/ticket.tar.gz"
    let run = try CommandLineTests.run(["check", "127.0.0.1:\(listener.port)", "--bundle", path])
    #expect(run.status == 0, "\(run.stderr)")
    // With CAP_NET_RAW (root here) the networking trace's packets come along as capture.pcap.
    let captured = geteuid() == 0
    #expect(run.lines.last?.hasPrefix("Bundle: \(path) (\(captured ? 15 : 14) files, ") == true, "\(run.stdout)")

    let verbose = try runCommand("/usr/bin/tar", ["-tzvf", path]).stdout
    #expect(verbose.split(separator: "\n").allSatisfy { $0.hasPrefix("-rw-r--r-- root/root") || $0.hasPrefix("drwxr-xr-x root/root") })
    var expected = Self.expectedFiles
    if captured { expected.insert("capture.pcap", at: 3) }
    #expect(try Self.listing(path).entries == expected)

    let files = try Self.extract(path, into: directory.path)
    let report = try JSONSerialization.jsonObject(with: Data(try #require(files["report.json"]).utf8)) as! [String: Any]
    #expect((report["diagnosis"] as? [String: Any])?["id"] as? String == "reachable")
    #expect((report["target"] as? [String: Any])?["port"] as? Int == Int(listener.port))
    let snapshot = try JSONSerialization.jsonObject(with: Data(try #require(files["snapshot.json"]).utf8)) as! [String: Any]
    for part in ["interfaces", "routes", "neighbours", "resolv_conf", "hosts", "nsswitch_hosts", "listening_sockets", "kernel_counters", "privileges", "host"] {
      #expect(snapshot[part] is [String: Any], "\(part)")
    }
    #expect(files["report.md"]?.contains("## Diagnosis: `reachable`") == true)
    #expect(files["snapshot/listening-sockets.txt"]?.contains("127.0.0.1:\(listener.port)") == true)
    #expect(files["snapshot/interfaces.txt"]?.contains("inet 127.0.0.1/8") == true)
    #expect(files["snapshot/hosts-lines.txt"]?.hasPrefix("the target is not a host name") == true)
    if captured {
      #expect(files["README.txt"]?.contains("capture.pcap") == true)
      let (folder, _) = try Self.listing(path)
      let read = try runCommand(tcpdumpPath, ["-nn", "-r", directory.path + "/" + folder + "/capture.pcap"])
      let synAcks = read.stdout.split(separator: "\n").filter { $0.contains("127.0.0.1.\(listener.port) > ") && $0.contains("Flags [S.]") }
      #expect(!synAcks.isEmpty, "\(read.stdout)")
    } else {
      #expect(files["README.txt"]?.contains("No packet capture:") == true)
    }
    // Nothing besides the archive (and what we extracted) in the directory: no temporary file.
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasPrefix(".") } == [])
  }

  @Test func jsonOutputStaysOneObjectWithABundle() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let directory = TemporaryDirectory()
    let path = directory.path + "/closed.tar.gz"
    let run = try CommandLineTests.run(["check", "127.0.0.1:\(port)", "--json", "--bundle", path, "--report", directory.path + "/r.md"])
    #expect(run.status == 1)
    #expect(run.lines.count == 1)
    let object = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
    #expect((object?["diagnosis"] as? [String: Any])?["id"] as? String == "port-closed")
    let files = try Self.extract(path, into: directory.path)
    #expect(files["report.json"]?.contains("\"port-closed\"") == true)
    #expect(FileManager.default.fileExists(atPath: directory.path + "/r.md"))
  }

  /// `localhost` stays (loopback is never redacted), this machine's name goes, and so does any public address.
  @Test func redactedBundleOfLocalhost() throws {
    let listener = try LoopbackTCPListener()
    let directory = TemporaryDirectory()
    let path = directory.path + "/redacted.tar.gz"
    let run = try CommandLineTests.run(["check", "localhost", "\(listener.port)", "--bundle", path, "--redact"])
    #expect(run.status == 0, "\(run.stderr)")
    #expect(run.lines.last?.contains("redacted: ") == true)
    let files = try Self.extract(path, into: directory.path)
    #expect(files["README.txt"]?.contains("Redacted: ") == true)
    #expect(files["report.json"]?.contains("\"host\" : \"localhost\"") == true)
    #expect(files["report.json"]?.contains("127.0.0.1") == true)
    #expect(files["snapshot/hosts-lines.txt"]?.contains("localhost") == true)
    if geteuid() == 0 {
      // The packets come along rewritten (loopback addresses stay), not left out.
      #expect(files["capture.pcap"] != nil && files["capture-omitted.txt"] == nil)
      let (folder, _) = try Self.listing(path)
      let read = try runCommand(tcpdumpPath, ["-nn", "-r", directory.path + "/" + folder + "/capture.pcap"])
      #expect(read.stdout.contains("127.0.0.1.\(listener.port) > ") && read.stdout.contains("Flags [S.]"), "\(read.stdout)")
    }

    let hostname = try String(contentsOfFile: "/proc/sys/kernel/hostname", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
    if !["localhost", ""].contains(hostname.lowercased()) {
      let escaped = NSRegularExpression.escapedPattern(for: hostname)
      let wholeWord = try NSRegularExpression(pattern: "(?<![A-Za-z0-9_-])\(escaped)(?![A-Za-z0-9_-])", options: [.caseInsensitive])
      for (name, text) in files {
        let matches = wholeWord.numberOfMatches(in: text, range: NSRange(text.startIndex..., in: text))
        #expect(matches == 0, "the host name \(hostname) is left in \(name)")
      }
      #expect(files["snapshot/tool.txt"]?.contains("host name: host-") == true)
    }
    // Any address left in any file is private, special, or a placeholder.
    for (name, text) in files {
      for token in text.split(whereSeparator: { !($0.isHexDigit || $0 == ":" || $0 == ".") }) {
        var candidate = String(token)
        while candidate.hasSuffix(".") || (candidate.hasSuffix(":") && !candidate.hasSuffix("::")) { candidate.removeLast() }
        guard let address = IPAddress(candidate) else { continue }
        #expect(Self.isPrivateOrPlaceholder(address), "\(address) left in \(name)")
      }
    }
  }

  static func isPrivateOrPlaceholder(_ address: IPAddress) -> Bool {
    let b = address.bytes
    if b.count == 4 {
      return [0, 10, 127].contains(b[0]) || (b[0] == 100 && b[1] & 0xc0 == 64) || (b[0] == 169 && b[1] == 254)
        || (b[0] == 172 && b[1] & 0xf0 == 16) || (b[0] == 192 && b[1] == 168) || (b[0] == 198 && b[1] & 0xfe == 18)
        || b[0] >= 224 || (b[0] == 192 && b[1] == 0 && (b[2] == 0 || b[2] == 2)) || (b[0] == 198 && b[1] == 51 && b[2] == 100)
        || (b[0] == 203 && b[1] == 0 && b[2] == 113)
    }
    if b[0..<10].allSatisfy({ $0 == 0 }) && ((b[10] == 0xff && b[11] == 0xff) || (b[10] == 0 && b[11] == 0)) {
      return b[10] == 0 ? true : isPrivateOrPlaceholder(.v4(b[12], b[13], b[14], b[15]))
    }
    return (b[0] == 0xfe && b[1] & 0xc0 == 0x80) || b[0] & 0xfe == 0xfc || b[0] == 0xff
      || (b[0] == 0x20 && b[1] == 0x01 && b[2] == 0x0d && b[3] == 0xb8)
  }

  @Test(arguments: [
    (["--bundle", ""], "--bundle needs a file name"),
    (["--bundle", "/tmp"], "is a directory"),
    (["--bundle", "/tmp/"], "is a directory"),
    (["--redact"], "--redact applies to the bundle"),
  ])
  func badBundleArgumentsExitTwo(extra: [String], message: String) throws {
    let run = try CommandLineTests.run(["check", "127.0.0.1:9"] + extra)
    #expect(run.status == 2)
    #expect(run.stderr.split(separator: "\n").count == 1)
    #expect(run.stderr.contains(message))
    #expect(run.stdout.isEmpty)  // refused before the checklist ran
  }

  @Test func unwritableDirectoryExitsThreeAndLeavesNothing() throws {
    let listener = try LoopbackTCPListener()
    let path = "/nonexistent-nettriage-\(getpid())/ticket.tar.gz"
    let run = try CommandLineTests.run(["check", "127.0.0.1:\(listener.port)", "-q", "--bundle", path])
    #expect(run.status == 3)
    #expect(run.stderr.split(separator: "\n").count == 1)
    #expect(run.stderr.hasPrefix("nettriage: could not write the bundle to \(path): open("))
    #expect(run.stderr.contains("ENOENT"))
    #expect(!FileManager.default.fileExists(atPath: path))
  }

  /// A full disk, simulated by a file size limit (SIGXFSZ ignored, so write(2) fails with EFBIG half way through):
  /// exit 3, one line, the old file untouched and no temporary file left.
  @Test func failedWriteHalfWayKeepsTheOldFile() throws {
    let listener = try LoopbackTCPListener()
    let directory = TemporaryDirectory()
    let path = directory.path + "/ticket.tar.gz"
    try Data("old bundle".utf8).write(to: URL(fileURLWithPath: path))
    let command = "trap '' XFSZ; ulimit -f 2; exec \"$0\" check 127.0.0.1:\(listener.port) -q --bundle \"$1\""
    let result = try runCommand("/bin/sh", ["-c", command, CommandLineTests.binary, path], check: false)
    #expect(result.status == 3, "\(result.stderr)")
    #expect(result.stderr.split(separator: "\n").count == 1)
    #expect(result.stderr.contains("write(") && result.stderr.contains("EFBIG"))
    #expect(try String(contentsOfFile: path, encoding: .utf8) == "old bundle")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["ticket.tar.gz"])
  }
}
