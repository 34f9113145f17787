/// The facts a verdict can use from one captured flow: the SYNs sent and when, what the server offered in its
/// SYN-ACK, whether our ACK went out, the RST and whether its TTL puts its sender in the path, the ICMP errors and
/// who sent them.
public struct FlowEvidence: Codable, Sendable, Hashable {
  /// A SYN-ACK or RST as received.
  public struct Answer: Codable, Sendable, Hashable {
    /// Microseconds after the first packet of the capture.
    public var offsetMicroseconds: Int64
    public var sender: IPAddress
    public var ttl: UInt8
    public var flags: TCPFlags
    public var window: UInt16
    public var maximumSegmentSize: UInt16?
    public var windowScale: UInt8?
    public var sackPermitted: Bool
  }

  /// An ICMP error that quoted the flow.
  public struct ICMPError: Codable, Sendable, Hashable {
    public var offsetMicroseconds: Int64
    public var report: ICMPReport
    public var ttl: UInt8
  }

  /// Offsets of every SYN we sent, first at 0; more than one means the kernel retransmitted (no answer in time).
  public var synOffsetsMicroseconds: [Int64]
  /// The server's first SYN-ACK.
  public var synAck: Answer?
  /// Our ACK of the SYN-ACK left: the handshake completed on the wire.
  public var handshakeCompleted: Bool
  /// The first RST toward us.
  public var reset: Answer?
  /// The RST's TTL judged against the path (or the SYN-ACK's TTL, when both were seen).
  public var resetJudgement: TTLJudgement?
  public var icmpErrors: [ICMPError]
  /// UDP datagrams each way.
  public var datagramsSent: Int
  public var datagramsReceived: Int
  public var packetCount: Int

  /// SYNs sent after the first one.
  public var synRetransmits: Int { max(0, synOffsetsMicroseconds.count - 1) }

  /// - Parameters:
  ///   - pathLength: hops to the destination, exact (traceroute) or a lower bound (2 when routed, 1 on-link).
  ///   - referenceTTL: the TTL of a packet the destination itself sent, seen elsewhere (a ping reply, another probe).
  public init(_ capture: CapturedPackets, pathLength: Int? = nil, referenceTTL: UInt8? = nil) {
    let first = capture.packets.first?.timestampNanoseconds ?? 0
    func offset(_ packet: CapturedPacket) -> Int64 { (packet.timestampNanoseconds - first) / 1_000 }
    synOffsetsMicroseconds = []
    handshakeCompleted = false
    icmpErrors = []
    datagramsSent = 0
    datagramsReceived = 0
    packetCount = capture.packets.count
    for packet in capture.packets {
      guard let ip = packet.decoded.ip else { continue }
      if let icmp = packet.decoded.icmp, let report = icmp.report(sender: ip.source) {
        icmpErrors.append(ICMPError(offsetMicroseconds: offset(packet), report: report, ttl: ip.ttl))
        continue
      }
      if packet.decoded.udp != nil {
        if packet.direction == .toServer { datagramsSent += 1 } else { datagramsReceived += 1 }
        continue
      }
      guard let tcp = packet.decoded.tcp else { continue }
      let answer = Answer(offsetMicroseconds: offset(packet), sender: ip.source, ttl: ip.ttl, flags: tcp.flags, window: tcp.window,
                          maximumSegmentSize: tcp.options.maximumSegmentSize, windowScale: tcp.options.windowScale,
                          sackPermitted: tcp.options.sackPermitted)
      switch packet.direction {
      case .toServer:
        if tcp.flags.contains(.syn), !tcp.flags.contains(.ack) {
          synOffsetsMicroseconds.append(offset(packet))
        } else if synAck != nil, tcp.flags.contains(.ack), !tcp.flags.contains(.rst), !handshakeCompleted {
          handshakeCompleted = true
        }
      case .toClient:
        if tcp.flags.isSuperset(of: [.syn, .ack]), synAck == nil { synAck = answer }
        if tcp.flags.contains(.rst), reset == nil { reset = answer }
      }
    }
    if let reset {
      resetJudgement = TTLJudgement(ttl: reset.ttl, pathLength: pathLength, referenceTTL: synAck?.ttl ?? referenceTTL)
    }
  }
}
