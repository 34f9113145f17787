/// A ustar (POSIX.1-1988) archive built in memory: for each entry a 512-byte header (name, mode, owner, size,
/// modification time, checksum, type), then the contents padded to a multiple of 512 bytes; two zero blocks end it.
/// GNU tar, bsdtar and Python's tarfile read it.
///
/// Entries are owned by uid/gid 0 (`root`), so an archive says nothing about who wrote it; extracted by another
/// user, the files belong to that user.
public struct TarWriter: Sendable {
  public static let blockSize = 512
  /// The largest size an 11-digit octal field holds: 8 GiB - 1.
  public static let maximumFileSize = 0o77777777777

  /// The archive so far, without the two end blocks.
  public private(set) var bytes: [UInt8] = []

  public init() {}

  /// Adds a regular file.
  ///
  /// - Parameters:
  ///   - name: a relative path with `/` between components, at most 255 bytes (100 for the last component and 155
  ///     for the directories before it); no `..`, no empty components, printable ASCII only.
  ///   - modificationTime: seconds since 1970, UTC.
  public mutating func addFile(_ name: String, contents: [UInt8], mode: UInt32 = 0o644, modificationTime: Int64) throws(TarError) {
    guard contents.count <= Self.maximumFileSize else { throw .fileTooLarge(name: name, size: contents.count) }
    try appendHeader(name: name, size: contents.count, mode: mode, modificationTime: modificationTime, type: UInt8(ascii: "0"))
    bytes += contents
    bytes += [UInt8](repeating: 0, count: Self.padding(contents.count))
  }

  /// Adds a directory entry; `name` may end in `/` (one is added when it does not).
  public mutating func addDirectory(_ name: String, mode: UInt32 = 0o755, modificationTime: Int64) throws(TarError) {
    let directory = name.hasSuffix("/") ? name : name + "/"
    try appendHeader(name: directory, size: 0, mode: mode, modificationTime: modificationTime, type: UInt8(ascii: "5"))
  }

  /// The finished archive: the entries, then two zero blocks.
  public var archive: [UInt8] { bytes + [UInt8](repeating: 0, count: 2 * Self.blockSize) }

  /// Zero bytes after `size` bytes of contents to reach the next block.
  static func padding(_ size: Int) -> Int { (blockSize - size % blockSize) % blockSize }

  // MARK: - The header

  private mutating func appendHeader(name: String, size: Int, mode: UInt32, modificationTime: Int64, type: UInt8) throws(TarError) {
    let (prefix, last) = try Self.split(name)
    var header = [UInt8](repeating: 0, count: Self.blockSize)
    Self.put(Array(last.utf8), into: &header, at: 0, width: 100)
    Self.putOctal(Int64(mode & 0o7777), into: &header, at: 100, width: 8)
    Self.putOctal(0, into: &header, at: 108, width: 8)  // uid
    Self.putOctal(0, into: &header, at: 116, width: 8)  // gid
    Self.putOctal(Int64(size), into: &header, at: 124, width: 12)
    Self.putOctal(max(0, min(modificationTime, 0o77777777777)), into: &header, at: 136, width: 12)
    header[156] = type
    Self.put(Array("ustar".utf8) + [0], into: &header, at: 257, width: 6)
    Self.put(Array("00".utf8), into: &header, at: 263, width: 2)
    Self.put(Array("root".utf8), into: &header, at: 265, width: 32)
    Self.put(Array("root".utf8), into: &header, at: 297, width: 32)
    Self.putOctal(0, into: &header, at: 329, width: 8)  // devmajor
    Self.putOctal(0, into: &header, at: 337, width: 8)  // devminor
    Self.put(Array(prefix.utf8), into: &header, at: 345, width: 155)
    Self.putChecksum(into: &header)
    bytes += header
  }

  /// The checksum is the sum of the header's bytes with its own field read as eight spaces, written as six octal
  /// digits, a NUL and a space.
  static func putChecksum(into header: inout [UInt8]) {
    for index in 148..<156 { header[index] = UInt8(ascii: " ") }
    let sum = header.reduce(0) { $0 + Int64($1) }
    putOctal(sum, into: &header, at: 148, width: 7)
    header[155] = UInt8(ascii: " ")
  }

  /// `width - 1` zero-padded octal digits and a NUL.
  static func putOctal(_ value: Int64, into header: inout [UInt8], at offset: Int, width: Int) {
    let digits = String(value, radix: 8)
    let padded = String(repeating: "0", count: max(0, width - 1 - digits.count)) + digits
    put(Array(padded.utf8) + [0], into: &header, at: offset, width: width)
  }

  private static func put(_ field: [UInt8], into header: inout [UInt8], at offset: Int, width: Int) {
    for (index, byte) in field.prefix(width).enumerated() { header[offset + index] = byte }
  }

  /// Checks a name and splits it into ustar's prefix (directories) and name (last part) fields.
  static func split(_ name: String) throws(TarError) -> (prefix: String, name: String) {
    let bytes = Array(name.utf8)
    guard !bytes.isEmpty else { throw .invalidName(name: name, reason: "empty") }
    guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else { throw .invalidName(name: name, reason: "not printable ASCII") }
    guard bytes.first != UInt8(ascii: "/") else { throw .invalidName(name: name, reason: "absolute") }
    let isDirectory = name.hasSuffix("/")
    let components = (isDirectory ? String(name.dropLast()) : name).split(separator: "/", omittingEmptySubsequences: false)
    guard components.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
      throw .invalidName(name: name, reason: "empty, . or .. component")
    }
    if bytes.count <= 100 { return ("", name) }
    // The split falls on a slash: up to 155 bytes before it, up to 100 after.
    for index in stride(from: min(bytes.count - 1, 155), through: 1, by: -1) where bytes[index] == UInt8(ascii: "/") {
      let rest = bytes.count - index - 1
      if rest <= 100 && rest > 0 {
        return (String(decoding: bytes[..<index], as: UTF8.self), String(decoding: bytes[(index + 1)...], as: UTF8.self))
      }
    }
    throw .invalidName(name: name, reason: "too long for ustar (100 bytes per name, 155 for its directories)")
  }
}

/// An entry the archive cannot hold.
public enum TarError: Error, Hashable, Sendable, CustomStringConvertible {
  case invalidName(name: String, reason: String)
  case fileTooLarge(name: String, size: Int)

  public var description: String {
    switch self {
    case let .invalidName(name, reason): "tar entry name \"\(name)\": \(reason)"
    case let .fileTooLarge(name, size): "tar entry \"\(name)\": \(size) bytes is more than ustar's 8 GiB"
    }
  }
}
