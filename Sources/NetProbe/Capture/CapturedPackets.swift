/// One packet of a capture: when the kernel saw it, which way it went, its bytes as captured and what they decode to.
public struct CapturedPacket: Codable, Sendable, Hashable {
  /// The kernel's timestamp (`SO_TIMESTAMPNS`), nanoseconds since the Unix epoch.
  public var timestampNanoseconds: Int64
  public var direction: PacketDirection
  /// The interface it passed (`sll_ifindex`).
  public var interfaceIndex: Int32
  /// The framing of `bytes`.
  public var linkType: LinkType
  /// The packet's length on the wire; more than `bytes` holds when the snap length cut it.
  public var originalLength: Int
  /// The captured bytes, link header included; in JSON a hex string.
  public var bytes: [UInt8]
  public var decoded: DecodedPacket

  public init(timestampNanoseconds: Int64, direction: PacketDirection, interfaceIndex: Int32, linkType: LinkType,
              originalLength: Int, bytes: [UInt8], decoded: DecodedPacket? = nil) {
    self.timestampNanoseconds = timestampNanoseconds
    self.direction = direction
    self.interfaceIndex = interfaceIndex
    self.linkType = linkType
    self.originalLength = originalLength
    self.bytes = bytes
    self.decoded = decoded ?? PacketDecoder.decode(bytes, linkType: linkType)
  }

  private enum CodingKeys: String, CodingKey {
    case timestampNanoseconds, direction, interfaceIndex, linkType, originalLength, bytes, decoded
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    timestampNanoseconds = try container.decode(Int64.self, forKey: .timestampNanoseconds)
    direction = try container.decode(PacketDirection.self, forKey: .direction)
    interfaceIndex = try container.decode(Int32.self, forKey: .interfaceIndex)
    linkType = try container.decode(LinkType.self, forKey: .linkType)
    originalLength = try container.decode(Int.self, forKey: .originalLength)
    let hex = try container.decode(String.self, forKey: .bytes)
    guard let bytes = Hex.bytes(hex) else {
      throw DecodingError.dataCorruptedError(forKey: .bytes, in: container, debugDescription: "bytes is not a hex string")
    }
    self.bytes = bytes
    decoded = try container.decodeIfPresent(DecodedPacket.self, forKey: .decoded) ?? PacketDecoder.decode(bytes, linkType: linkType)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(timestampNanoseconds, forKey: .timestampNanoseconds)
    try container.encode(direction, forKey: .direction)
    try container.encode(interfaceIndex, forKey: .interfaceIndex)
    try container.encode(linkType, forKey: .linkType)
    try container.encode(originalLength, forKey: .originalLength)
    try container.encode(Hex.string(bytes), forKey: .bytes)
    try container.encode(decoded, forKey: .decoded)
  }
}

/// How much one capture may hold; packets past either limit are counted, not kept. The first packets are the ones
/// kept: a flow's evidence (the handshake, the first error) comes first, and the kernel's own ring drops the same way.
public struct CaptureLimit: Codable, Sendable, Hashable {
  public var packets: Int
  public var bytes: Int

  public init(packets: Int, bytes: Int) {
    self.packets = max(0, packets)
    self.bytes = max(0, bytes)
  }

  /// One probe's flow: a handshake with every SYN retransmit fits many times over.
  public static let perProbe = CaptureLimit(packets: 1_000, bytes: 4 << 20)
}

/// What a capture kept of one flow, from start to stop.
public struct CapturedPackets: Codable, Sendable, Hashable {
  public var flow: CaptureFlow
  /// The interface the capture listened on; nil when it listened on all of them.
  public var interface: String?
  public var interfaceIndex: Int32?
  /// Wall-clock start and stop of the capture, nanoseconds since the Unix epoch.
  public var startNanoseconds: Int64
  public var stopNanoseconds: Int64
  /// The flow's packets in the order the kernel timestamped them.
  public var packets: [CapturedPacket]
  /// The flow's packets not kept because the limit was reached.
  public var droppedByLimit: Int
  /// Packets the kernel dropped because the socket's receive ring (or buffer) was full (`PACKET_STATISTICS`).
  public var droppedByKernel: Int
  public var limit: CaptureLimit

  public init(flow: CaptureFlow, interface: String? = nil, interfaceIndex: Int32? = nil, startNanoseconds: Int64 = 0,
              stopNanoseconds: Int64 = 0, packets: [CapturedPacket], droppedByLimit: Int = 0, droppedByKernel: Int = 0,
              limit: CaptureLimit = .perProbe) {
    self.flow = flow
    self.interface = interface
    self.interfaceIndex = interfaceIndex
    self.startNanoseconds = startNanoseconds
    self.stopNanoseconds = stopNanoseconds
    self.packets = packets
    self.droppedByLimit = droppedByLimit
    self.droppedByKernel = droppedByKernel
    self.limit = limit
  }

  /// Only the packets whose client side is `local` (address and port): once the probe knows the port the kernel
  /// picked, other connections to the same server drop out.
  public func restricted(toLocal local: SocketAddress) -> CapturedPackets {
    var narrowed = flow
    narrowed.local = local
    var copy = self
    copy.flow = narrowed
    // Usually every packet is the connection's own: then the array is shared, not copied packet by packet.
    if !packets.allSatisfy({ narrowed.direction(of: $0.decoded) != nil }) {
      copy.packets = packets.filter { narrowed.direction(of: $0.decoded) != nil }
    }
    return copy
  }
}

/// A bounded list of packets: keeps the first ones up to a packet and byte limit and counts the rest.
struct PacketBuffer: Sendable {
  let limit: CaptureLimit
  private(set) var packets: [CapturedPacket] = []
  private(set) var bytes = 0
  private(set) var dropped = 0

  init(limit: CaptureLimit) { self.limit = limit }

  /// Keeps the packet when it fits; returns whether it did.
  @discardableResult
  mutating func append(_ packet: CapturedPacket) -> Bool {
    guard packets.count < limit.packets, bytes + packet.bytes.count <= limit.bytes else {
      dropped += 1
      return false
    }
    // A probe's handshake and close fit in 8: one allocation instead of four growths (each copying every packet).
    if packets.isEmpty { packets.reserveCapacity(min(8, limit.packets)) }
    packets.append(packet)
    bytes += packet.bytes.count
    return true
  }
}

/// Bytes as lowercase hex, and back.
enum Hex {
  private static let digits = Array("0123456789abcdef".utf8)

  static func string(_ bytes: [UInt8]) -> String {
    var text = [UInt8]()
    text.reserveCapacity(bytes.count * 2)
    for byte in bytes {
      text.append(digits[Int(byte >> 4)])
      text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
  }

  static func bytes(_ text: String) -> [UInt8]? {
    let characters = Array(text.utf8)
    guard characters.count % 2 == 0 else { return nil }
    func value(_ character: UInt8) -> UInt8? {
      switch character {
      case 0x30...0x39: return character - 0x30
      case 0x61...0x66: return character - 0x61 + 10
      case 0x41...0x46: return character - 0x41 + 10
      default: return nil
      }
    }
    var bytes = [UInt8]()
    bytes.reserveCapacity(characters.count / 2)
    for index in stride(from: 0, to: characters.count, by: 2) {
      guard let high = value(characters[index]), let low = value(characters[index + 1]) else { return nil }
      bytes.append(high << 4 | low)
    }
    return bytes
  }
}
