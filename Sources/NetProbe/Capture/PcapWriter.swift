
/// Why a pcap file was not written.
public struct PcapWriteError: Error, Hashable, Sendable, CustomStringConvertible {
  public var message: String
  public var errno: Errno?

  public var description: String { message }
}

/// What a pcap record keeps of a packet: its bytes, framing and time, without the decoded view (a loop that saves
/// every packet for a file holds these, a fraction of a `CapturedPacket`'s size).
public struct PcapRecord: Codable, Sendable, Hashable {
  public var timestampNanoseconds: Int64
  public var interfaceIndex: Int32
  public var linkType: LinkType
  public var originalLength: Int
  public var bytes: [UInt8]

  public init(timestampNanoseconds: Int64, interfaceIndex: Int32, linkType: LinkType, originalLength: Int, bytes: [UInt8]) {
    self.timestampNanoseconds = timestampNanoseconds
    self.interfaceIndex = interfaceIndex
    self.linkType = linkType
    self.originalLength = originalLength
    self.bytes = bytes
  }
}

extension CapturedPacket {
  /// The packet as a pcap record.
  public var pcapRecord: PcapRecord {
    PcapRecord(timestampNanoseconds: timestampNanoseconds, interfaceIndex: interfaceIndex, linkType: linkType,
               originalLength: originalLength, bytes: bytes)
  }
}

/// Writes packets in the classic pcap format (the one `tcpdump -w` writes and every tool reads): a 24-byte file
/// header, then a 16-byte record header before each packet.
///
/// Packets keep their own framing. Linux cooked packets from more than one interface are written as cooked v2
/// (`LINKTYPE_LINUX_SLL2`), which names the interface of each packet; packets of other mixed framings cannot share
/// a file and are refused.
///
/// ```
/// try PcapWriter().write(capture.packets, toFile: "probe.pcap")       // temporary file, then rename
/// var data = Data(); PcapWriter().append(capture.packets, to: &data)   // for an archive
/// ```
public struct PcapWriter: Sendable {
  /// The resolution of the record timestamps; the file's magic number says which.
  public enum Precision: Sendable, Hashable {
    /// Magic 0xa1b2c3d4: the classic format.
    case microseconds
    /// Magic 0xa1b23c4d: nanoseconds (tcpdump -r and Wireshark read both).
    case nanoseconds

    var magic: UInt32 { self == .microseconds ? 0xa1b2_c3d4 : 0xa1b2_3c4d }
  }

  public var precision: Precision
  /// The snap length in the file header: no record holds more bytes.
  public var snapLength: UInt32

  public init(precision: Precision = .nanoseconds, snapLength: UInt32 = 262_144) {
    self.precision = precision
    self.snapLength = snapLength
  }

  /// The link type the file gets for these packets: their common framing, or cooked v2 for cooked packets from more
  /// than one interface.
  public func linkType(for packets: [CapturedPacket]) throws(PcapWriteError) -> LinkType {
    try linkType(for: packets.map(\.pcapRecord))
  }

  /// The link type the file gets for these records.
  public func linkType(for packets: [PcapRecord]) throws(PcapWriteError) -> LinkType {
    let types = Set(packets.map(\.linkType))
    guard types.count <= 1 else {
      if types.isSubset(of: [.linuxSLL, .linuxSLL2]) { return .linuxSLL2 }
      throw PcapWriteError(message: "pcap: packets of framings \(types.map(\.rawValue).sorted()) cannot share one file")
    }
    guard let type = types.first else { return .linuxSLL }
    if type == .linuxSLL, Set(packets.map(\.interfaceIndex)).count > 1 { return .linuxSLL2 }
    return type
  }

  /// The whole file as bytes.
  public func bytes(for packets: [CapturedPacket]) throws(PcapWriteError) -> [UInt8] {
    try bytes(for: packets.map(\.pcapRecord))
  }

  /// The whole file as bytes.
  public func bytes(for packets: [PcapRecord]) throws(PcapWriteError) -> [UInt8] {
    var bytes: [UInt8] = []
    try append(packets, to: &bytes)
    return bytes
  }

  /// Appends the whole file (header and records) to any byte collection, `Data` included.
  public func append<Output: RangeReplaceableCollection>(_ packets: [CapturedPacket], to output: inout Output)
    throws(PcapWriteError) where Output.Element == UInt8 {
    try append(packets.map(\.pcapRecord), to: &output)
  }

  /// Appends the whole file for these records to any byte collection.
  public func append<Output: RangeReplaceableCollection>(_ packets: [PcapRecord], to output: inout Output)
    throws(PcapWriteError) where Output.Element == UInt8 {
    let type = try linkType(for: packets)
    output.reserveCapacity(output.count + 24 + packets.reduce(0) { $0 + 16 + $1.bytes.count + 4 })
    // Written little-endian: readers tell the byte order from the magic number.
    appendLittleEndian(precision.magic, to: &output)
    appendLittleEndian(UInt16(2), to: &output)  // version 2.4
    appendLittleEndian(UInt16(4), to: &output)
    appendLittleEndian(UInt32(0), to: &output)  // thiszone: timestamps are UTC
    appendLittleEndian(UInt32(0), to: &output)  // sigfigs
    appendLittleEndian(snapLength, to: &output)
    appendLittleEndian(type.rawValue, to: &output)
    for packet in packets {
      var frame = packet.bytes
      var original = packet.originalLength
      if type == .linuxSLL2, packet.linkType == .linuxSLL {
        frame = Self.cookedVersion2(frame, interfaceIndex: packet.interfaceIndex)
        original += 4
      }
      if frame.count > Int(snapLength) { frame = Array(frame.prefix(Int(snapLength))) }
      let nanoseconds = max(0, packet.timestampNanoseconds)
      let fraction = nanoseconds % 1_000_000_000
      appendLittleEndian(UInt32(truncatingIfNeeded: nanoseconds / 1_000_000_000), to: &output)
      appendLittleEndian(UInt32(precision == .nanoseconds ? fraction : fraction / 1_000), to: &output)
      appendLittleEndian(UInt32(frame.count), to: &output)
      appendLittleEndian(UInt32(clamping: max(original, frame.count)), to: &output)
      output.append(contentsOf: frame)
    }
  }

  /// Writes the file atomically: into a temporary file beside `path`, flushed to disk, then renamed over it. On any
  /// failure the temporary file is removed and `path` is left as it was.
  public func write(_ packets: [CapturedPacket], toFile path: String) throws(PcapWriteError) {
    try write(packets.map(\.pcapRecord), toFile: path)
  }

  /// Writes the records' file atomically, as `write(_:toFile:)` for packets (0644 less the umask, as tcpdump's).
  public func write(_ packets: [PcapRecord], toFile path: String) throws(PcapWriteError) {
    let contents = try bytes(for: packets)
    do {
      try FileAccess.writeAtomically(contents, to: path, mode: 0o644)
    } catch {
      throw PcapWriteError(message: "\(error.call): \(error.errno)", errno: error.errno)
    }
  }

  /// Turns a 16-byte cooked v1 header into the 20-byte v2 one, which carries the interface index.
  static func cookedVersion2(_ frame: [UInt8], interfaceIndex: Int32) -> [UInt8] {
    guard frame.count >= 16 else { return frame }
    let index = UInt32(bitPattern: interfaceIndex)
    var header: [UInt8] = [frame[14], frame[15], 0, 0]  // protocol, reserved
    header += [UInt8(index >> 24), UInt8((index >> 16) & 0xff), UInt8((index >> 8) & 0xff), UInt8(index & 0xff)]
    header += [frame[2], frame[3]]  // ARPHRD type
    header += [frame[1], frame[5]]  // packet type, address length
    header += frame[6..<14]
    return header + frame[16...]
  }

  private func appendLittleEndian<Output: RangeReplaceableCollection, Value: FixedWidthInteger>(_ value: Value, to output: inout Output)
  where Output.Element == UInt8 {
    withUnsafeBytes(of: value.littleEndian) { output.append(contentsOf: $0) }
  }
}
