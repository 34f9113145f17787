import Foundation
import Testing
import TestSupport
@testable import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A minimal classic-pcap reader, independent of the writer: file header fields and each record.
struct PcapFile {
  struct Record: Equatable {
    var seconds: UInt32
    var fraction: UInt32
    var capturedLength: Int
    var originalLength: Int
    var bytes: [UInt8]
  }

  var magic: UInt32
  var versionMajor: UInt16
  var versionMinor: UInt16
  var snapLength: UInt32
  var linkType: UInt32
  var records: [Record]

  init?(_ bytes: [UInt8]) {
    func u32(_ offset: Int) -> UInt32? {
      guard offset + 4 <= bytes.count else { return nil }
      return UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24
    }
    func u16(_ offset: Int) -> UInt16? {
      guard offset + 2 <= bytes.count else { return nil }
      return UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
    }
    guard let magic = u32(0), let major = u16(4), let minor = u16(6), let snap = u32(16), let link = u32(20) else { return nil }
    self.magic = magic
    versionMajor = major
    versionMinor = minor
    snapLength = snap
    linkType = link
    records = []
    var offset = 24
    while offset < bytes.count {
      guard let seconds = u32(offset), let fraction = u32(offset + 4), let captured = u32(offset + 8), let original = u32(offset + 12),
            offset + 16 + Int(captured) <= bytes.count else { return nil }
      records.append(Record(seconds: seconds, fraction: fraction, capturedLength: Int(captured), originalLength: Int(original),
                            bytes: Array(bytes[(offset + 16)..<(offset + 16 + Int(captured))])))
      offset += 16 + Int(captured)
    }
  }
}

@Suite struct PcapWriterTests {
  typealias F = PacketFixtures
  static let tcpdump = tcpdumpPath

  static func packets() -> [CapturedPacket] {
    let frames = [F.syn, F.synAck, F.rst, F.adminProhibited].map { F.cooked(etherType: 0x0800, payload: $0) }
    return frames.enumerated().map { index, bytes in
      CapturedPacket(timestampNanoseconds: 1_700_000_000_000_000_000 + Int64(index) * 1_000_123_456,
                     direction: index == 0 ? .toServer : .toClient, interfaceIndex: 2, linkType: .linuxSLL,
                     originalLength: bytes.count, bytes: bytes)
    }
  }

  @Test func nanosecondFileReadsBack() throws {
    let packets = Self.packets()
    let file = try #require(PcapFile(try PcapWriter().bytes(for: packets)))
    #expect(file.magic == 0xa1b2_3c4d && file.versionMajor == 2 && file.versionMinor == 4)
    #expect(file.linkType == 113 && file.snapLength == 262_144)
    #expect(file.records.map(\.bytes) == packets.map(\.bytes))
    #expect(file.records[1].seconds == 1_700_000_001 && file.records[1].fraction == 123_456)
    #expect(file.records.allSatisfy { $0.capturedLength == $0.originalLength })
  }

  @Test func microsecondFileAndSnapLength() throws {
    let packets = Self.packets()
    let file = try #require(PcapFile(try PcapWriter(precision: .microseconds, snapLength: 40).bytes(for: packets)))
    #expect(file.magic == 0xa1b2_c3d4 && file.snapLength == 40)
    #expect(file.records[1].fraction == 123)
    #expect(file.records.allSatisfy { $0.capturedLength == 40 && $0.originalLength > 40 })
  }

  @Test func framingsDecideTheLinkType() throws {
    var packets = Self.packets()
    #expect(try PcapWriter().linkType(for: packets) == .linuxSLL)
    #expect(try PcapWriter().linkType(for: [CapturedPacket]()) == .linuxSLL)
    packets[1].interfaceIndex = 7  // cooked packets from two interfaces: v2 names each one
    #expect(try PcapWriter().linkType(for: packets) == .linuxSLL2)
    let file = try #require(PcapFile(try PcapWriter().bytes(for: packets)))
    #expect(file.linkType == 276 && file.records[1].bytes.count == packets[1].bytes.count + 4)
    let v2 = PacketDecoder.decode(file.records[1].bytes, linkType: .linuxSLL2)
    #expect(v2.link?.interfaceIndex == 7 && v2.tcp == packets[1].decoded.tcp && v2.malformed == nil)
    let ethernet = CapturedPacket(timestampNanoseconds: 0, direction: .toServer, interfaceIndex: 1, linkType: .ethernet,
                                  originalLength: 0, bytes: F.ethernet(etherType: 0x0800, payload: F.syn))
    #expect(try PcapWriter().linkType(for: [ethernet]) == .ethernet)
    #expect(throws: PcapWriteError.self) { try PcapWriter().bytes(for: packets + [ethernet]) }
  }

  @Test func appendsToData() throws {
    var data = Data([0xff])
    try PcapWriter().append(Self.packets(), to: &data)
    #expect(data.count == 1 + (try PcapWriter().bytes(for: Self.packets())).count)
  }

  @Test func writesAtomicallyAndTcpdumpReadsIt() throws {
    let directory = TemporaryDirectory()
    let path = directory.path + "/probe.pcap"
    try "old".write(toFile: path, atomically: false, encoding: .utf8)
    try PcapWriter().write(Self.packets(), toFile: path)
    let written = try #require(FileManager.default.contents(atPath: path))
    #expect(PcapFile(Array(written))?.records.count == 4)
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["probe.pcap"], "no temporary file left")

    // A failure leaves the old file and no temporary file.
    #expect(throws: PcapWriteError.self) { try PcapWriter().write(Self.packets(), toFile: directory.path + "/missing/x.pcap") }
    var mixed = Self.packets()
    mixed.append(CapturedPacket(timestampNanoseconds: 0, direction: .toServer, interfaceIndex: 1, linkType: .raw, originalLength: 0, bytes: F.syn))
    #expect(throws: PcapWriteError.self) { try PcapWriter().write(mixed, toFile: path) }
    #expect(FileManager.default.contents(atPath: path) == written)

    try #require(FileManager.default.isExecutableFile(atPath: Self.tcpdump), "tcpdump is missing: .ci/run installs it")
    let read = try runCommand(Self.tcpdump, ["-nn", "-tt", "-r", path])
    let lines = read.stdout.split(separator: "\n")
    #expect(lines.count == 4, "\(read.stdout)\(read.stderr)")
    #expect(lines.first?.hasPrefix("1700000000.000000 IP 198.18.1.10.40000 > 198.18.2.10.80: Flags [S]") == true, "\(read.stdout)")
    #expect(lines.last?.contains("ICMP host 198.18.2.10 unreachable - admin prohibited") == true, "\(read.stdout)")
    #expect(read.stderr.contains("LINUX_SLL"))
  }
}
