/// Bounds-checked big-endian reads over a window of packet bytes: every read returns nil past the end, so a
/// decoder written with it cannot trap on a short or lying packet.
struct PacketReader {
  private let storage: [UInt8]
  /// Where this window starts in `storage`.
  let start: Int
  /// Bytes in this window.
  let count: Int

  init(_ bytes: [UInt8]) {
    storage = bytes
    start = 0
    count = bytes.count
  }

  private init(storage: [UInt8], start: Int, count: Int) {
    self.storage = storage
    self.start = start
    self.count = count
  }

  /// Whether `length` bytes are present from `offset`.
  func has(_ length: Int, at offset: Int = 0) -> Bool {
    offset >= 0 && length >= 0 && offset <= count && length <= count - offset
  }

  func uint8(at offset: Int) -> UInt8? {
    has(1, at: offset) ? storage[start + offset] : nil
  }

  func uint16(at offset: Int) -> UInt16? {
    guard has(2, at: offset) else { return nil }
    return UInt16(storage[start + offset]) << 8 | UInt16(storage[start + offset + 1])
  }

  func uint32(at offset: Int) -> UInt32? {
    guard let high = uint16(at: offset), let low = uint16(at: offset + 2) else { return nil }
    return UInt32(high) << 16 | UInt32(low)
  }

  /// `length` bytes from `offset`, or nil when they are not all present.
  func bytes(at offset: Int, count length: Int) -> [UInt8]? {
    guard has(length, at: offset) else { return nil }
    return Array(storage[(start + offset)..<(start + offset + length)])
  }

  /// Four bytes from `offset` as an IPv4 address, or nil when they are not all present.
  func ipv4Address(at offset: Int) -> IPAddress? {
    guard has(4, at: offset) else { return nil }
    let index = start + offset
    return .v4(storage[index], storage[index + 1], storage[index + 2], storage[index + 3])
  }

  /// `length` bytes from `offset` without copying them, or nil when they are not all present.
  func slice(at offset: Int, count length: Int) -> ArraySlice<UInt8>? {
    guard has(length, at: offset) else { return nil }
    return storage[(start + offset)..<(start + offset + length)]
  }

  /// The window from `offset` to `offset + length`, both clamped to what is present.
  func window(from offset: Int, length: Int? = nil) -> PacketReader {
    let low = max(0, min(offset, count))
    let wanted = length.map { max(0, $0) } ?? (count - low)
    return PacketReader(storage: storage, start: start + low, count: min(wanted, count - low))
  }

  /// The bytes of this window.
  var array: [UInt8] { Array(storage[start..<(start + count)]) }
}
