import Foundation
import TestSupport
import Testing
@testable import Triage

/// gzip through zlib: the framing (magic, method, trailer), round trips, and the system's gzip reads it.
@Suite struct GzipTests {
  static let inputs: [[UInt8]] = [
    [],
    Array("a".utf8),
    Array(String(repeating: "nettriage bundle ", count: 1000).utf8),
    (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 13) },  // not very compressible
  ]

  @Test(arguments: inputs)
  func roundTrips(input: [UInt8]) throws {
    let compressed = try Gzip.compress(input)
    #expect(try Gzip.decompress(compressed) == input)
  }

  @Test func framingIsGzip() throws {
    let input = Array("hello, ticket\n".utf8)
    let compressed = try Gzip.compress(input)
    // RFC 1952: ID1 ID2, CM = 8 (deflate); the trailer ends with ISIZE, the input length mod 2^32, little-endian.
    #expect(compressed[0] == 0x1f && compressed[1] == 0x8b && compressed[2] == 8)
    let size = compressed.suffix(4).reversed().reduce(0) { $0 << 8 | Int($1) }
    #expect(size == input.count)
  }

  @Test func repetitiveTextShrinks() throws {
    let input = Array(String(repeating: "net.ipv4.tcp_syn_retries = 6\n", count: 500).utf8)
    #expect(try Gzip.compress(input).count < input.count / 20)
  }

  @Test func systemGzipReadsIt() throws {
    let directory = TemporaryDirectory()
    let input = Array(String(repeating: "report.json ", count: 300).utf8)
    let path = directory.path + "/x.gz"
    try Data(try Gzip.compress(input)).write(to: URL(fileURLWithPath: path))
    let result = try runCommand("/usr/bin/gzip", ["-dc", path])
    #expect(result.stdout == String(decoding: input, as: UTF8.self))
    #expect(try runCommand("/usr/bin/gzip", ["-t", path]).status == 0)
  }

  @Test func readsWhatTheSystemGzipWrote() throws {
    let directory = TemporaryDirectory()
    let path = directory.path + "/y"
    let text = String(repeating: "snapshot ", count: 100)
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    try runCommand("/usr/bin/gzip", ["-9", path])
    let compressed = Array(try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    #expect(try Gzip.decompress(compressed) == Array(text.utf8))
  }

  @Test func concatenatedMembersAreOneStream() throws {
    let joined = try Gzip.compress(Array("first ".utf8)) + Gzip.compress(Array("second".utf8))
    #expect(try Gzip.decompress(joined) == Array("first second".utf8))
  }

  @Test func damagedInputIsAnErrorNotACrash() throws {
    let good = try Gzip.compress(Array(String(repeating: "abc", count: 1000).utf8))
    for length in [1, 5, 10, good.count / 2, good.count - 1] {
      #expect(throws: GzipError.self) { try Gzip.decompress(Array(good.prefix(length))) }
    }
    var flipped = good
    flipped[good.count - 6] ^= 0xff  // the CRC-32
    #expect(throws: GzipError.self) { try Gzip.decompress(flipped) }
    #expect(throws: GzipError.self) { try Gzip.decompress(Array("not gzip at all".utf8)) }
  }

  @Test func decompressionHasALimit() throws {
    let bomb = try Gzip.compress([UInt8](repeating: 0, count: 1_000_000))
    let error = #expect(throws: GzipError.self) { try Gzip.decompress(bomb, limit: 100_000) }
    #expect(error?.description.contains("more than 100000 bytes") == true)
  }
}
