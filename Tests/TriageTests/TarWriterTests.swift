import Foundation
import TestSupport
import Testing
@testable import Triage

/// The ustar writer: header fields byte by byte, names, padding and the end blocks; then GNU tar reads what it wrote.
@Suite struct TarWriterTests {
  static let mtime: Int64 = 1_700_000_000  // 2023-11-14 22:13:20 UTC

  static func field(_ header: ArraySlice<UInt8>, _ offset: Int, _ width: Int) -> String {
    let start = header.startIndex + offset
    let bytes = header[start..<(start + width)].prefix { $0 != 0 }
    return String(decoding: bytes, as: UTF8.self)
  }

  @Test func headerFieldsOfAFile() throws {
    var tar = TarWriter()
    try tar.addFile("dir/hello.txt", contents: Array("hello\n".utf8), mode: 0o640, modificationTime: Self.mtime)
    let archive = tar.archive
    let header = archive[0..<512]
    #expect(Self.field(header, 0, 100) == "dir/hello.txt")
    #expect(Self.field(header, 100, 8) == "0000640")
    #expect(Self.field(header, 108, 8) == "0000000")
    #expect(Self.field(header, 116, 8) == "0000000")
    #expect(Self.field(header, 124, 12) == "00000000006")
    #expect(Self.field(header, 136, 12) == String(Self.mtime, radix: 8))
    #expect(header[156] == UInt8(ascii: "0"))
    #expect(Array(header[257..<263]) == Array("ustar\0".utf8))
    #expect(Array(header[263..<265]) == Array("00".utf8))
    #expect(Self.field(header, 265, 32) == "root")
    #expect(Self.field(header, 297, 32) == "root")
    // The checksum: the header's byte sum with the checksum field read as spaces, six octal digits, NUL, space.
    var blanked = Array(header)
    for index in 148..<156 { blanked[index] = UInt8(ascii: " ") }
    let sum = blanked.reduce(0) { $0 + Int($1) }
    #expect(Self.field(header, 148, 6) == String(repeating: "0", count: 6 - String(sum, radix: 8).count) + String(sum, radix: 8))
    #expect(header[154] == 0 && header[155] == UInt8(ascii: " "))
    // Contents, padded to the block, then two zero blocks.
    #expect(Array(archive[512..<518]) == Array("hello\n".utf8))
    #expect(archive[518..<1024].allSatisfy { $0 == 0 })
    #expect(archive.count == 1024 + 1024)
    #expect(archive[1024...].allSatisfy { $0 == 0 })
  }

  @Test(arguments: [(0, 0), (1, 511), (511, 1), (512, 0), (513, 511), (1024, 0)])
  func contentsArePaddedToWholeBlocks(size: Int, padding: Int) throws {
    var tar = TarWriter()
    try tar.addFile("f", contents: [UInt8](repeating: 0x41, count: size), modificationTime: 0)
    #expect(tar.bytes.count == 512 + size + padding)
    #expect(tar.bytes.count % 512 == 0)
    #expect(TarWriter.padding(size) == padding)
  }

  @Test func directoryEntry() throws {
    var tar = TarWriter()
    try tar.addDirectory("bundle", modificationTime: Self.mtime)
    let header = tar.bytes[0..<512]
    #expect(Self.field(header, 0, 100) == "bundle/")
    #expect(Self.field(header, 100, 8) == "0000755")
    #expect(Self.field(header, 124, 12) == "00000000000")
    #expect(header[156] == UInt8(ascii: "5"))
    #expect(tar.bytes.count == 512)
  }

  @Test func longNameSplitsIntoPrefixAndName() throws {
    let directory = String(repeating: "d", count: 120)
    let name = directory + "/" + String(repeating: "n", count: 90)
    var tar = TarWriter()
    try tar.addFile(name, contents: [], modificationTime: 0)
    #expect(Self.field(tar.bytes[0..<512], 0, 100) == String(repeating: "n", count: 90))
    #expect(Self.field(tar.bytes[0..<512], 345, 155) == directory)
  }

  @Test(arguments: [
    ("", "empty"), ("/etc/passwd", "absolute"), ("a/../b", "component"), ("a//b", "component"), ("./a", "component"),
    ("tab\there", "ASCII"), ("é", "ASCII"), (String(repeating: "x", count: 101), "too long"),
    (String(repeating: "d", count: 160) + "/f", "too long"),
  ])
  func badNamesAreRefused(name: String, reason: String) {
    var tar = TarWriter()
    let error = #expect(throws: TarError.self) { try tar.addFile(name, contents: [], modificationTime: 0) }
    guard case let .invalidName(_, text)? = error else {
      Issue.record("expected invalidName, got \(String(describing: error))")
      return
    }
    #expect(text.contains(reason))
    #expect(tar.bytes.isEmpty)
  }

  /// GNU tar lists and extracts the archive with the names, sizes, modes, times and contents written.
  @Test func gnuTarReadsTheArchive() throws {
    let directory = TemporaryDirectory()
    let files: [(String, [UInt8], UInt32)] = [
      ("b/README.txt", Array("read me\n".utf8), 0o644),
      ("b/empty", [], 0o600),
      ("b/block", [UInt8](repeating: 0x5a, count: 512), 0o644),
      ("b/sub/binary.bin", (0..<3000).map { UInt8($0 % 251) }, 0o755),
    ]
    var tar = TarWriter()
    try tar.addDirectory("b", modificationTime: Self.mtime)
    try tar.addDirectory("b/sub", modificationTime: Self.mtime)
    for (name, contents, mode) in files { try tar.addFile(name, contents: contents, mode: mode, modificationTime: Self.mtime) }
    let path = directory.path + "/t.tar.gz"
    try Data(try Gzip.compress(tar.archive)).write(to: URL(fileURLWithPath: path))

    let listing = try runCommand("/usr/bin/env", ["TZ=UTC", "/usr/bin/tar", "-tzvf", path])
    let lines = listing.stdout.split(separator: "\n").map { $0.split(separator: " ", omittingEmptySubsequences: true).map(String.init) }
    #expect(lines.count == 6)
    #expect(lines.map { $0.last ?? "" } == ["b/", "b/sub/", "b/README.txt", "b/empty", "b/block", "b/sub/binary.bin"])
    #expect(lines.map { $0.first ?? "" } == ["drwxr-xr-x", "drwxr-xr-x", "-rw-r--r--", "-rw-------", "-rw-r--r--", "-rwxr-xr-x"])
    #expect(lines.map { $0.count > 2 ? $0[2] : "" } == ["0", "0", "8", "0", "512", "3000"])
    #expect(lines.allSatisfy { $0.count > 4 && $0[1] == "root/root" && $0[3] == "2023-11-14" && $0[4] == "22:13" })
    #expect(listing.stderr.isEmpty)

    let extracted = directory.path + "/x"
    try FileManager.default.createDirectory(atPath: extracted, withIntermediateDirectories: false)
    try runCommand("/usr/bin/tar", ["-xzf", path, "-C", extracted])
    for (name, contents, mode) in files {
      let full = extracted + "/" + name
      #expect(try Data(contentsOf: URL(fileURLWithPath: full)) == Data(contents), "\(name)")
      let attributes = try FileManager.default.attributesOfItem(atPath: full)
      #expect((attributes[.posixPermissions] as? Int) == Int(mode), "\(name)")
      #expect((attributes[.modificationDate] as? Date)?.timeIntervalSince1970 == Double(Self.mtime), "\(name)")
    }
  }

  /// An uncompressed archive too: GNU tar checks every checksum and stops at the two zero blocks.
  @Test func plainTarPassesGnuTarsChecks() throws {
    let directory = TemporaryDirectory()
    var tar = TarWriter()
    for index in 0..<20 { try tar.addFile("f\(index)", contents: Array(repeating: UInt8(index), count: index * 100), modificationTime: 0) }
    let path = directory.path + "/t.tar"
    try Data(tar.archive).write(to: URL(fileURLWithPath: path))
    let listing = try runCommand("/usr/bin/tar", ["-tf", path])
    #expect(listing.stdout.split(separator: "\n").count == 20)
    #expect(listing.stderr.isEmpty)  // no "A lone zero block" or checksum complaints
  }
}
