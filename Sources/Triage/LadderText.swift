import NetProbe

/// A captured flow as a text sequence diagram ("ladder"): the client on the left, the server on the right, time
/// down the left side in milliseconds since the first packet, one arrow per packet.
///
/// ```
/// tcp 127.0.0.1:41234 -> 127.0.0.1:8080: 3 packets on lo
///       ms  client 127.0.0.1:41234                          server 127.0.0.1:8080
///    0.000  |-------- SYN  mss 65495  ws 7  sack-ok --------------------->|
///    0.012  |<------- SYN-ACK  mss 65495  win 65483  ws 7  ttl 64 --------|
///    0.020  |-------------------------- ACK ----------------------------->|
/// ```
///
/// Plain ASCII, fitted to `width` columns; ICMP errors are drawn with `=` and name their type, code and sender; an
/// RST whose TTL puts its sender nearer than the destination is marked "from a device in the path". Text from the
/// network is escaped with `SafeText`.
public enum LadderText {
  /// The narrowest ladder drawn; a smaller width is raised to it.
  public static let minimumWidth = 48

  /// The ladder of one capture.
  ///
  /// - Parameters:
  ///   - width: columns available (80 for a terminal of unknown size).
  ///   - pathLength: hops to the destination (traceroute's count), exact or a lower bound (2 when the route goes
  ///     through a gateway); judges the TTL of an RST.
  ///   - referenceTTL: the TTL of a packet the destination itself sent elsewhere (a healthy run's SYN-ACK, a ping).
  public static func render(_ capture: CapturedPackets, width: Int = 80, pathLength: Int? = nil, referenceTTL: UInt8? = nil) -> [String] {
    let width = max(minimumWidth, width)
    let client = capture.flow.local.map { $0.port == 0 ? $0.address.description : $0.description } ?? "client"
    let server = capture.flow.remote.description
    var lines: [String] = []
    let count = capture.packets.count
    var heading = "\(capture.flow.transport.rawValue) \(client) -> \(server): \(count) packet\(count == 1 ? "" : "s")"
    heading += capture.interface.map { " on \($0)" } ?? (capture.interfaceIndex == nil ? " on all interfaces" : "")
    if capture.droppedByLimit > 0 { heading += ", \(capture.droppedByLimit) more not kept (limit)" }
    if capture.droppedByKernel > 0 { heading += ", \(capture.droppedByKernel) dropped by the kernel" }
    lines.append(SafeText.escape(heading))
    guard count > 0 else {
      lines.append("  no packet of this flow was seen on the interface: it never left (a local firewall?) or went another way")
      return lines
    }

    let events = self.events(capture, pathLength: pathLength, referenceTTL: referenceTTL)
    let times = events.map { ProbeText.decimal(Double($0.offsetMicroseconds) / 1000, places: 3) }
    let timeWidth = max(6, times.map(\.count).max() ?? 0)
    let arrowWidth = width - timeWidth - 2
    let indent = String(repeating: " ", count: timeWidth + 2)

    // Column heads: the client over the left end, the server over the right end.
    let left = "client \(client)", right = "server \(server)"
    let head = left.count + 1 + right.count <= arrowWidth
      ? left + String(repeating: " ", count: arrowWidth - left.count - right.count) + right
      : "client" + String(repeating: " ", count: arrowWidth - 12) + "server"
    lines.append(SafeText.escape(ProbeText.pad("ms", to: timeWidth) + "  " + head))

    for (event, time) in zip(events, times) {
      let label = ([event.label] + event.details).joined(separator: "  ")
      var notes = event.notes
      let arrowLabel: String
      if label.count + 8 <= arrowWidth {
        arrowLabel = label
      } else {
        arrowLabel = event.label
        notes.insert(event.details.joined(separator: "  "), at: 0)
      }
      lines.append(ProbeText.pad(time, to: timeWidth) + "  " + arrow(SafeText.escape(arrowLabel), direction: event.direction,
                                                                    width: arrowWidth, line: event.line))
      for note in notes where !note.isEmpty {
        for piece in wrap(SafeText.escape(note), width: arrowWidth - 6) {
          let body = "|   " + piece
          lines.append(indent + body + String(repeating: " ", count: max(0, arrowWidth - 1 - body.count)) + "|")
        }
      }
    }
    return lines
  }

  /// `|------ SYN ------->|` or `|<===== ICMP type 3 code 13 =====|`, exactly `width` columns.
  static func arrow(_ label: String, direction: PacketDirection, width: Int, line: Character) -> String {
    let text = label.isEmpty ? "" : " \(label) "
    let inner = width - 3  // the two lifelines and the arrow head
    let filler = max(0, inner - text.count)
    let before = filler / 2, after = filler - before
    let body = String(repeating: line, count: before) + text + String(repeating: line, count: after)
    return direction == .toServer ? "|" + body + ">|" : "|<" + body + "|"
  }

  /// Splits text at spaces into lines of at most `width` characters (a longer word is cut).
  static func wrap(_ text: String, width: Int) -> [String] {
    var lines: [String] = []
    var current = ""
    for word in text.split(separator: " ", omittingEmptySubsequences: true) {
      var word = String(word)
      while word.count > width {
        if !current.isEmpty { lines.append(current); current = "" }
        lines.append(String(word.prefix(width)))
        word = String(word.dropFirst(width))
      }
      if current.isEmpty {
        current = word
      } else if current.count + 1 + word.count <= width {
        current += " " + word
      } else {
        lines.append(current)
        current = word
      }
    }
    if !current.isEmpty { lines.append(current) }
    return lines
  }

  /// One arrow of the ladder: what it says, and the notes under it.
  struct Event {
    var offsetMicroseconds: Int64
    var direction: PacketDirection
    var label: String
    var details: [String] = []
    var notes: [String] = []
    var line: Character = "-"
  }

  /// The packets as ladder events: SYN retransmits numbered with their gap, the SYN-ACK with what the server
  /// offered, RSTs with their TTL judged, ICMP errors named with their sender.
  static func events(_ capture: CapturedPackets, pathLength: Int?, referenceTTL: UInt8?) -> [Event] {
    let first = capture.packets.first?.timestampNanoseconds ?? 0
    let server = capture.flow.remote.address
    let synAckTTL = capture.packets.first {
      $0.direction == .toClient && $0.decoded.tcp?.flags.isSuperset(of: [.syn, .ack]) == true
    }?.decoded.ip?.ttl
    var events: [Event] = []
    var firstSYN: (sequence: UInt32, nanoseconds: Int64)?
    var previousSYN: Int64 = 0
    var retransmits = 0
    var synAcks = 0
    for packet in capture.packets {
      var event = Event(offsetMicroseconds: (packet.timestampNanoseconds - first) / 1_000, direction: packet.direction, label: "")
      let decoded = packet.decoded
      guard let ip = decoded.ip else {
        event.label = "malformed"
        event.notes = [decoded.malformed ?? "not an IP packet"]
        events.append(event)
        continue
      }
      let ttl = "\(ip.version == 4 ? "ttl" : "hlim") \(ip.ttl)"
      if let icmp = decoded.icmp {
        event.line = "="
        event.label = "ICMP\(icmp.family == .ipv6 ? "v6" : "") type \(icmp.type) code \(icmp.code)"
        event.details = [icmp.meaning]
        var sender = "from \(ip.source)"
        if packet.direction == .toClient {
          sender += ip.source == server ? " (the server)" : " (not the server: a device in the path)"
        }
        if let mtu = icmp.mtu { sender += ", next-hop MTU \(mtu)" }
        event.notes = [sender + ", " + ttl]
      } else if let tcp = decoded.tcp {
        let flags = tcp.flags
        event.label = flags.label
        if flags.contains(.syn), !flags.contains(.ack), packet.direction == .toServer {
          if let firstSYN, firstSYN.sequence == tcp.sequence {
            retransmits += 1
            let gap = Double(packet.timestampNanoseconds - previousSYN) / 1e9
            event.label = "SYN (retransmit \(retransmits), +\(ProbeText.decimal(gap, places: 1)) s)"
          } else {
            firstSYN = (tcp.sequence, packet.timestampNanoseconds)
            event.details = offers(tcp.options)
          }
          previousSYN = packet.timestampNanoseconds
        } else if flags.isSuperset(of: [.syn, .ack]) {
          synAcks += 1
          if synAcks > 1 { event.label += " (retransmit \(synAcks - 1))" }
          event.details = offers(tcp.options, window: tcp.window) + [ttl]
        } else if flags.contains(.rst) {
          event.details = [ttl]
          if packet.direction == .toClient {
            let judgement = TTLJudgement(ttl: ip.ttl, pathLength: pathLength, referenceTTL: synAckTTL ?? referenceTTL)
            if judgement.fromDeviceInPath {
              event.label += " from a device in the path"
              event.notes = [judgement.reason]
            } else if judgement.expectedRoutersCrossed != nil {
              event.notes = [judgement.reason]
            }
          }
        } else {
          if tcp.payloadLength > 0 { event.details.append("len \(tcp.payloadLength)") }
          if packet.direction == .toClient { event.details.append(ttl) }
        }
      } else if let udp = decoded.udp {
        event.label = "UDP \(udp.payloadLength) byte\(udp.payloadLength == 1 ? "" : "s")"
        if packet.direction == .toClient { event.details = [ttl] }
      } else {
        event.label = "IP protocol \(ip.protocolNumber)"
      }
      if let problem = decoded.malformed { event.notes.append("malformed: \(problem)") }
      events.append(event)
    }
    return events
  }

  /// What a SYN or SYN-ACK offers: `mss 1460`, `win 64240`, `ws 7`, `sack-ok`.
  static func offers(_ options: TCPOptions, window: UInt16? = nil) -> [String] {
    var parts: [String] = []
    if let mss = options.maximumSegmentSize { parts.append("mss \(mss)") }
    if let window { parts.append("win \(window)") }
    if let scale = options.windowScale { parts.append("ws \(scale)") }
    if options.sackPermitted { parts.append("sack-ok") }
    return parts
  }
}
