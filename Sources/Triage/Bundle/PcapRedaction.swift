import FoundationEssentials
import NetProbe

/// Rewrites a classic pcap file for a redacted bundle, record by record, so the capture can go with the rest of the
/// bundle: `BundleOptions(redact: true, pcapRewriter: PcapRedaction.rewrite)`.
///
/// For each record:
/// - IPv4 and IPv6 source and destination addresses go through `Redactor.replacement(for:)`, so a packet shows the
///   same placeholder as the text files (private and special addresses stay). So do the addresses inside an ICMP or
///   ICMPv6 error's quoted header, an ICMP redirect's gateway, IPv4 record/source-route and timestamp options, IPv6
///   routing headers (types 0, 2 and 4) and home-address options, and neighbour discovery's target, prefix and
///   DNS-server fields. An IPv6 interface identifier made from a MAC (EUI-64) becomes the one of the MAC's
///   placeholder, also in a kept prefix (`fe80::`, a ULA), so it no longer names the MAC.
/// - Payloads are overwritten with zeros, keeping every length: the TCP and UDP payload (also inside a quote), ICMP
///   echo data, later fragments, protocols the rewriter does not know, and the bytes after a datagram (link padding,
///   ICMP extensions). Payloads carry names and addresses that no header rewrite can find (DNS questions and
///   answers, an HTTP Host line, a TLS server name), and the bundle's text files never held them anyway. Headers
///   stay: ports, sequence numbers, flags, TCP options, TTLs, so the ladder reads the same.
/// - Checksums: the IPv4 header checksum, and the TCP, UDP, ICMP and ICMPv6 checksums (their pseudo-header with the
///   new addresses), are updated by the difference of the bytes that changed (RFC 1624): a right checksum stays
///   right and a wrong one stays wrong by the same ones'-complement difference, since a bad checksum is evidence.
///   A UDP checksum of zero (none) stays zero. A field that holds no checksum yet, because the packet was captured
///   on its way out before checksum offload, stays unfinished (`PacketRedactor.finish`). Only when a short snap
///   length (or an ICMP quote holding only the first bytes) cut the datagram inside the part that is zeroed, so
///   nobody can tell whether it was right, is the checksum computed afresh: the missing bytes would be zeros, so
///   it is the one of the whole rewritten datagram.
/// - Ethernet addresses (and the Linux cooked header's link address, and neighbour discovery's link-layer options)
///   become locally administered placeholders `02:00:00:00:00:01`, `…:02`, … in order of first sight, from the
///   redactor's map, so the bundle's text files show the same placeholder for the same MAC; broadcast, multicast and
///   the all-zero address stay. Mapped rather than zeroed, so the frames still tell their senders apart (a reset
///   from another station than the one that answered the SYN is evidence). A solicited-node multicast address
///   (`ff02::1:ffXX:XXXX`, and its `33:33:ff:XX:XX:XX` frame address) ends in the last three bytes of the address it
///   solicits, so of an EUI-64 address's MAC: they follow that MAC's placeholder (`Redactor`).
///
/// A record that is not IPv4 or IPv6 (ARP, LLDP), or whose IP header (or TCP data offset) is malformed or cut, is
/// left out and counted. A file
/// that is not a classic pcap (wrong magic, too short, pcapng) or whose link type the rewriter cannot walk gives nil,
/// and the bundle leaves the capture out with a note. Pure (no I/O); time and memory are linear in the file's size.
public enum PcapRedaction {
  /// What a rewrite gave.
  public struct Result: Sendable, Hashable {
    /// The rewritten file: the same file header, then each record that was rewritten, in order.
    public var pcap: Data
    /// Records written.
    public var keptRecords: Int
    /// Records left out: not IPv4/IPv6, a malformed IP header, or a record cut off by the end of the file.
    public var droppedRecords: Int

    public init(pcap: Data, keptRecords: Int, droppedRecords: Int) {
      self.pcap = pcap
      self.keptRecords = keptRecords
      self.droppedRecords = droppedRecords
    }
  }

  /// The rewrite for `BundleOptions.pcapRewriter`; nil when the data is not a pcap the rewriter can walk, or
  /// when it held records and none could be rewritten (an empty capture would say "no packets", which is not so).
  public static func rewrite(_ pcap: Data, redactor: inout Redactor) -> Result? {
    guard let result = redact(pcap, redactor: &redactor), result.keptRecords > 0 || result.droppedRecords == 0 else { return nil }
    return result
  }

  /// The rewritten file with its record counts; nil when the data is not a classic pcap with a supported link type.
  public static func redact(_ pcap: Data, redactor: inout Redactor) -> Result? {
    let input = [UInt8](pcap)
    guard let header = FileHeader(input) else { return nil }
    var rewriter = PacketRedactor(redactor: redactor)
    rewriter.bytes.reserveCapacity(input.count)
    rewriter.bytes += input[0..<FileHeader.length]
    var offset = FileHeader.length
    var kept = 0, dropped = 0
    while offset < input.count {
      // A record header or body cut off by the end of the file: the rest cannot be framed.
      guard input.count - offset >= 16 else {
        dropped += 1
        break
      }
      let captured = Int(header.uint32(input, at: offset + 8))
      guard captured <= input.count - offset - 16 else {
        dropped += 1
        break
      }
      let recordStart = rewriter.bytes.count
      rewriter.bytes += input[offset..<(offset + 16 + captured)]
      if rewriter.rewriteFrame(from: recordStart + 16, to: rewriter.bytes.count, linkType: header.linkType) {
        kept += 1
      } else {
        rewriter.bytes.removeSubrange(recordStart...)
        dropped += 1
      }
      offset += 16 + captured
    }
    redactor = rewriter.redactor
    return Result(pcap: Data(rewriter.bytes), keptRecords: kept, droppedRecords: dropped)
  }

  /// The 24-byte file header: the magic says the byte order (and micro- or nanoseconds, kept as it is).
  struct FileHeader {
    static let length = 24
    let bigEndian: Bool
    let linkType: LinkType

    init?(_ bytes: [UInt8]) {
      guard bytes.count >= Self.length else { return nil }
      let magic = UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24
      let magics: Set<UInt32> = [0xa1b2_c3d4, 0xa1b2_3c4d]  // microseconds, nanoseconds
      if magics.contains(magic) {
        bigEndian = false
      } else if magics.contains(magic.byteSwapped) {
        bigEndian = true
      } else {
        return nil
      }
      let major = bigEndian ? UInt16(bytes[4]) << 8 | UInt16(bytes[5]) : UInt16(bytes[5]) << 8 | UInt16(bytes[4])
      guard major == 2 else { return nil }
      // The upper bits of the link-type word hold the FCS length; the type is the low 16 bits.
      let word = bigEndian
        ? UInt32(bytes[20]) << 24 | UInt32(bytes[21]) << 16 | UInt32(bytes[22]) << 8 | UInt32(bytes[23])
        : UInt32(bytes[23]) << 24 | UInt32(bytes[22]) << 16 | UInt32(bytes[21]) << 8 | UInt32(bytes[20])
      // Every `LinkType` is walked (`PacketRedactor.rewriteFrame` switches over all of them).
      guard let type = LinkType(rawValue: word & 0xffff) else { return nil }
      linkType = type
    }

    func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
      let b = (UInt32(bytes[offset]), UInt32(bytes[offset + 1]), UInt32(bytes[offset + 2]), UInt32(bytes[offset + 3]))
      return bigEndian ? b.0 << 24 | b.1 << 16 | b.2 << 8 | b.3 : b.3 << 24 | b.2 << 16 | b.1 << 8 | b.0
    }
  }
}

/// Rewrites packets in place inside one growing buffer (the output file), window by window: each function gets the
/// absolute range it may touch and never reads or writes outside it.
struct PacketRedactor {
  var bytes: [UInt8] = []
  var redactor: Redactor

  /// ICMP errors quote one datagram; a quote inside a quote is not followed.
  static let maximumQuoteDepth = 1
  static let maximumExtensionHeaders = 8
  static let maximumVLANTags = 4

  init(redactor: Redactor) {
    self.redactor = redactor
  }

  // MARK: Link layer

  /// Rewrites one frame; false when it is not IPv4/IPv6 or its IP header is malformed (the record is dropped).
  mutating func rewriteFrame(from start: Int, to end: Int, linkType: LinkType) -> Bool {
    var network = start
    var version: UInt8?
    switch linkType {
    case .null:
      guard end - start >= 4 else { return false }
      // The family is in the writer's byte order: read both ways.
      let little = UInt32(bytes[start]) | UInt32(bytes[start + 1]) << 8 | UInt32(bytes[start + 2]) << 16 | UInt32(bytes[start + 3]) << 24
      let family = min(little, little.byteSwapped)
      if family == 2 { version = 4 } else if [10, 24, 28, 30].contains(family) { version = 6 } else { return false }
      network = start + 4
    case .ethernet:
      guard end - start >= 14 else { return false }
      mapMAC(at: start)
      mapMAC(at: start + 6)
      var typeOffset = start + 12
      var tags = 0
      while [0x8100, 0x88a8].contains(uint16(at: typeOffset)) {
        tags += 1
        guard tags <= Self.maximumVLANTags, typeOffset + 6 <= end else { return false }
        typeOffset += 4
      }
      guard let etherVersion = Self.ipVersion(etherType: uint16(at: typeOffset)) else { return false }
      version = etherVersion
      network = typeOffset + 2
    case .raw:
      network = start
    case .linuxSLL:
      guard end - start >= 16, let etherVersion = Self.ipVersion(etherType: uint16(at: start + 14)) else { return false }
      redactLinkAddress(at: start + 6, length: Int(uint16(at: start + 4)))
      version = etherVersion
      network = start + 16
    case .linuxSLL2:
      guard end - start >= 20, let etherVersion = Self.ipVersion(etherType: uint16(at: start)) else { return false }
      redactLinkAddress(at: start + 12, length: Int(bytes[start + 11]))
      version = etherVersion
      network = start + 20
    }
    guard network < end, version == nil || bytes[network] >> 4 == version else { return false }
    if case .kept = rewriteIP(from: network, to: end, depth: 0) { return true }
    return false
  }

  static func ipVersion(etherType: UInt16) -> UInt8? {
    switch etherType {
    case 0x0800: 4
    case 0x86dd: 6
    default: nil
    }
  }

  /// A unicast MAC becomes its placeholder, from the redactor's map (the text files use the same); group
  /// (broadcast, multicast) and all-zero addresses say nothing and stay.
  mutating func mapMAC(at offset: Int) {
    let mac = Array(bytes[offset..<(offset + 6)])
    let placeholder = redactor.replacement(forMAC: mac)
    if placeholder != mac { bytes.replaceSubrange(offset..<(offset + 6), with: placeholder) }
  }

  /// The cooked header's 8-byte link address: a MAC is mapped, a tunnel's IPv4 endpoint redacted, anything else zeroed.
  mutating func redactLinkAddress(at offset: Int, length: Int) {
    switch length {
    case 0: break
    case 6: mapMAC(at: offset)
    case 4: rewriteAddress(at: offset, length: 4, end: offset + 4)
    default: zero(offset, offset + 8)
    }
  }

  // MARK: IP

  /// What rewriting a datagram gave.
  enum Rewritten {
    /// Rewritten; from `zeroedFrom` to its end everything is zeros (also what the record does not hold).
    case kept(zeroedFrom: Int)
    /// The IP header is not all in the window.
    case cut
    /// The IP header breaks a rule.
    case malformed
  }

  /// Rewrites the IP datagram starting at `start` in the window up to `end` (a record drops it unless it is kept;
  /// a quote's caller zeroes the quote).
  mutating func rewriteIP(from start: Int, to end: Int, depth: Int) -> Rewritten {
    guard start < end else { return .cut }
    switch bytes[start] >> 4 {
    case 4: return rewriteIPv4(from: start, to: end, depth: depth)
    case 6: return rewriteIPv6(from: start, to: end, depth: depth)
    default: return .malformed
    }
  }

  mutating func rewriteIPv4(from start: Int, to end: Int, depth: Int) -> Rewritten {
    guard end - start >= 20 else { return .cut }
    let headerLength = Int(bytes[start] & 0x0f) * 4
    let totalLength = Int(uint16(at: start + 2))
    guard headerLength >= 20, totalLength >= headerLength else { return .malformed }
    guard start + headerLength <= end else { return .cut }
    let datagramEnd = min(start + totalLength, end)
    let fragment = uint16(at: start + 6)
    let isFragment = fragment & 0x3fff != 0
    let optionsRange = (start + 20)..<(start + headerLength)
    let header = start..<(start + headerLength)
    let headerChecksum = uint16(at: start + 10)
    let headerBefore = sum(header, skipping: start + 10)
    let transport = Transport(
      protocolNumber: bytes[start + 9], start: start + headerLength, end: datagramEnd,
      declaredLength: totalLength - headerLength, isWhole: start + totalLength <= end && !isFragment,
      isFragment: isFragment, isLaterFragment: fragment & 0x1fff != 0, family: .ipv4, source: start + 12,
      destination: sourceRouteDestination(in: optionsRange) ?? start + 16)
    let plan = planTransport(transport)
    rewriteAddress(at: start + 12, length: 4, end: end)
    rewriteAddress(at: start + 16, length: 4, end: end)
    rewriteIPv4Options(in: optionsRange)
    guard let zeroedFrom = rewriteTransport(transport, depth: depth) else { return .malformed }
    if let plan { finish(plan, zeroedFrom: zeroedFrom) }
    // The header is whole (checked above): its checksum is updated by the difference, so a wrong one stays wrong by
    // the same amount. A wrong zero was left for checksum offload (other systems' captures; Linux always computes
    // it): it stays zero, since the difference would be a sum of the real addresses.
    let headerWasRight = Checksum.add(headerBefore, UInt32(headerChecksum)) == 0xffff
    if headerWasRight || headerChecksum != 0 {
      store(Checksum.update(headerChecksum, before: headerBefore, after: sum(header, skipping: start + 10)), at: start + 10)
    }
    zero(datagramEnd, end)
    return .kept(zeroedFrom: zeroedFrom)
  }

  mutating func rewriteIPv6(from start: Int, to end: Int, depth: Int) -> Rewritten {
    guard end - start >= 40 else { return .cut }
    let payloadLength = Int(uint16(at: start + 4))
    // A zero payload length with a hop-by-hop header is a jumbogram: its length is in an option; use what is present.
    let isJumbo = payloadLength == 0 && bytes[start + 6] == 0
    let declaredEnd = isJumbo ? end : start + 40 + payloadLength
    let datagramEnd = min(declaredEnd, end)
    guard let chain = walkExtensionHeaders(from: start, to: datagramEnd) else { return .malformed }
    let transport = Transport(
      protocolNumber: chain.protocolNumber, start: chain.transportStart, end: datagramEnd,
      declaredLength: declaredEnd - chain.transportStart, isWhole: declaredEnd <= end && !isJumbo && !chain.isFragment,
      isFragment: chain.isFragment || isJumbo, isLaterFragment: chain.isLaterFragment, family: .ipv6, source: start + 8, destination: chain.finalDestination ?? start + 24)
    let plan = planTransport(transport)
    rewriteAddress(at: start + 8, length: 16, end: end)
    rewriteAddress(at: start + 24, length: 16, end: end)
    for header in chain.headers { rewriteExtensionHeader(header) }
    guard var zeroedFrom = rewriteTransport(transport, depth: depth) else { return .malformed }
    if let plan { finish(plan, zeroedFrom: zeroedFrom) }
    zero(datagramEnd, end)
    // A chain cut by the window was zeroed here, but would be kept whole.
    if chain.protocolNumber == nil { zeroedFrom = Int.max }
    return .kept(zeroedFrom: zeroedFrom)
  }

  /// An IPv4 loose or strict source route not yet done: the checksums' pseudo-header uses its last address.
  func sourceRouteDestination(in options: Range<Int>) -> Int? {
    var found: Int?
    walkIPv4Options(in: options) { type, offset, length in
      guard type == 131 || type == 137, length >= 7, Int(bytes[offset + 2]) <= length else { return }
      found = offset + 3 + ((length - 3) / 4 - 1) * 4
    }
    return found
  }

  /// Record route, loose and strict source route carry addresses from their fourth byte; the timestamp option
  /// with flag 1 or 3 carries address and time pairs.
  mutating func rewriteIPv4Options(in options: Range<Int>) {
    var addresses: [Int] = []
    let malformedFrom = walkIPv4Options(in: options) { type, offset, length in
      switch type {
      case 7, 131, 137:
        addresses += stride(from: offset + 3, through: offset + length - 4, by: 4)
      case 68 where length >= 4 && [1, 3].contains(bytes[offset + 3] & 0x0f):
        addresses += stride(from: offset + 4, through: offset + length - 8, by: 8)
      default: break
      }
    }
    for address in addresses { rewriteAddress(at: address, length: 4, end: options.upperBound) }
    // Options that do not parse may hold anything.
    if let malformedFrom { zero(malformedFrom, options.upperBound) }
  }

  /// Calls `body` with (type, offset, length) of each option of more than one byte; returns where the options stop
  /// parsing when they break a rule.
  @discardableResult
  func walkIPv4Options(in options: Range<Int>, _ body: (UInt8, Int, Int) -> Void) -> Int? {
    var offset = options.lowerBound
    while offset < options.upperBound {
      let type = bytes[offset]
      if type == 0 { return nil }  // end of options
      if type == 1 {  // no-operation
        offset += 1
        continue
      }
      guard offset + 1 < options.upperBound else { return offset }
      let length = Int(bytes[offset + 1])
      guard length >= 2, offset + length <= options.upperBound else { return offset }
      body(type, offset, length)
      offset += length
    }
    return nil
  }

  struct ExtensionHeader {
    var type: UInt8
    var offset: Int
    var length: Int
  }

  struct ExtensionChain {
    var headers: [ExtensionHeader] = []
    var transportStart: Int
    /// nil when the chain runs past what was captured: everything from `transportStart` is zeroed.
    var protocolNumber: UInt8?
    var isFragment = false
    var isLaterFragment = false
    /// Where the pseudo-header's destination is when a routing header names the final one.
    var finalDestination: Int?
  }

  /// The IPv6 extension headers up to the upper-layer protocol; nil when the chain is malformed (too long).
  func walkExtensionHeaders(from start: Int, to end: Int) -> ExtensionChain? {
    var chain = ExtensionChain(transportStart: start + 40)
    var next = bytes[start + 6]
    var offset = start + 40
    while true {
      switch next {
      case 0, 43, 60, 51, 44:  // hop-by-hop, routing, destination options, AH, fragment
        guard chain.headers.count < Self.maximumExtensionHeaders else { return nil }
        guard offset + 2 <= end else {
          chain.transportStart = offset
          chain.protocolNumber = nil
          return chain
        }
        let units = Int(bytes[offset + 1])
        let length = next == 44 ? 8 : next == 51 ? (units + 2) * 4 : (units + 1) * 8
        guard offset + length <= end else {
          chain.transportStart = offset
          chain.protocolNumber = nil
          return chain
        }
        chain.headers.append(ExtensionHeader(type: next, offset: offset, length: length))
        if next == 43, bytes[offset + 3] > 0, let destination = routingDestination(offset: offset, length: length) {
          chain.finalDestination = destination
        }
        if next == 44 {
          chain.isFragment = true
          if uint16(at: offset + 2) >> 3 != 0 { chain.isLaterFragment = true }
        }
        next = bytes[offset]
        offset += length
        if chain.isLaterFragment {
          chain.transportStart = offset
          chain.protocolNumber = next
          return chain
        }
      default:
        chain.transportStart = offset
        chain.protocolNumber = next
        return chain
      }
    }
  }

  /// The final destination a routing header with segments left names: type 0's last address, type 2's home
  /// address, type 4's (segment routing) first segment.
  func routingDestination(offset: Int, length: Int) -> Int? {
    let count = (length - 8) / 16
    guard count >= 1 else { return nil }
    switch bytes[offset + 2] {
    case 0: return offset + 8 + (count - 1) * 16
    case 2, 4: return offset + 8
    default: return nil
    }
  }

  mutating func rewriteExtensionHeader(_ header: ExtensionHeader) {
    let end = header.offset + header.length
    switch header.type {
    case 0, 60:
      // Options: the home-address option (201) holds an address; a malformed option list is zeroed from there.
      var offset = header.offset + 2
      while offset < end {
        let type = bytes[offset]
        if type == 0 {  // Pad1
          offset += 1
          continue
        }
        guard offset + 2 <= end, offset + 2 + Int(bytes[offset + 1]) <= end else {
          zero(offset, end)
          return
        }
        let length = Int(bytes[offset + 1])
        if type == 201, length == 16 { rewriteAddress(at: offset + 2, length: 16, end: end) }
        offset += 2 + length
      }
    case 43:
      let count = (header.length - 8) / 16
      switch bytes[header.offset + 2] {
      case 0, 2:
        for index in 0..<count { rewriteAddress(at: header.offset + 8 + index * 16, length: 16, end: end) }
      case 4:
        let segments = min(Int(bytes[header.offset + 4]) + 1, count)
        for index in 0..<segments { rewriteAddress(at: header.offset + 8 + index * 16, length: 16, end: end) }
        zero(header.offset + 8 + segments * 16, end)  // TLVs after the segment list
      default:
        zero(header.offset + 8, end)  // compressed (RPL) or unknown routing data
      }
    default:
      break  // fragment and AH: no addresses
    }
  }

  // MARK: Transport

  /// The upper-layer part of a datagram and what its checksum needs.
  struct Transport {
    /// nil: the IPv6 extension headers ran past the capture; nothing after them is known.
    var protocolNumber: UInt8?
    /// The captured bytes of the upper-layer part (after any IP options or extension headers).
    var start: Int
    var end: Int
    /// Its length as the IP header says (the pseudo-header's length for TCP and ICMPv6).
    var declaredLength: Int
    /// The whole datagram is in the record and is not a fragment: checksums can be computed afresh.
    var isWhole: Bool
    /// A fragment (or a jumbogram): its length in the pseudo-header is not known here.
    var isFragment: Bool
    /// A fragment after the first: no transport header, only data.
    var isLaterFragment: Bool
    var family: AddressFamily
    /// Where the pseudo-header's addresses are (the source, and the final destination).
    var source: Int
    var destination: Int

    var addressLength: Int { family == .ipv4 ? 4 : 16 }
  }

  /// Where the pseudo-header's addresses are in the packet, and its other two fields.
  struct PseudoHeader {
    var source: Int
    var destination: Int
    var addressLength: Int
    var protocolNumber: UInt8
    var length: Int

    /// The sum of the fields the rewrite never changes: the protocol and the length.
    var unchangedSum: UInt32 { Checksum.add(UInt32(protocolNumber), Checksum.fold(UInt64(length))) }
  }

  /// A checksum field that holds no checksum yet: the packet was captured on its way out, before the network card
  /// computed it (checksum offload).
  enum LeftForOffload {
    /// Linux leaves the sum of the pseudo-header for the card to finish (CHECKSUM_PARTIAL).
    case pseudoHeaderSum
    /// Other systems leave zero.
    case zero
  }

  /// A checksum to set once the bytes it covers are rewritten.
  struct ChecksumPlan {
    var field: Int
    var covered: Range<Int>
    /// The pseudo-header, for TCP, UDP and ICMPv6.
    var pseudo: PseudoHeader?
    var isWhole: Bool
    /// Whether the pseudo-header's length is known, so a record cut where the rewrite zeroes can be computed afresh.
    var lengthKnown: Bool
    /// The field as captured.
    var original: UInt16
    /// The sum over the covered bytes and the pseudo-header's addresses before the rewrite (for an update).
    var before: UInt32
    /// Set when the field holds no checksum yet; nil for a checksum (right or wrong) or one that cannot be told.
    var leftForOffload: LeftForOffload?
    var isUDP: Bool
  }

  /// What the transport's checksum covers, its sum before the rewrite, and whether the field holds a checksum.
  func planTransport(_ transport: Transport) -> ChecksumPlan? {
    guard let number = transport.protocolNumber, !transport.isLaterFragment else { return nil }
    let start = transport.start
    var covered = start..<transport.end
    var isWhole = transport.isWhole
    var lengthKnown = !transport.isFragment
    var length = transport.declaredLength
    let field: Int
    switch (number, transport.family) {
    case (6, _): field = start + 16
    case (17, _):
      field = start + 6
      guard field + 2 <= transport.end else { return nil }
      // The UDP length bounds what the checksum covers. Zero is no checksum (IPv4), or one IPv6 forbids outside
      // tunnels (RFC 8200, 6935): either way it stays zero.
      let udpLength = Int(uint16(at: start + 4))
      if uint16(at: field) == 0 { return nil }
      if udpLength >= 8 && udpLength <= transport.declaredLength {
        length = udpLength
        covered = start..<min(start + udpLength, transport.end)
        isWhole = isWhole && start + udpLength <= transport.end
      } else {
        isWhole = false
        lengthKnown = false
      }
    case (1, .ipv4), (58, .ipv6): field = start + 2
    default: return nil
    }
    guard field + 2 <= transport.end else { return nil }
    var pseudo: PseudoHeader?
    if number != 1 {
      pseudo = PseudoHeader(source: transport.source, destination: transport.destination, addressLength: transport.addressLength,
                            protocolNumber: number, length: length)
    }
    let original = uint16(at: field)
    var before = sum(covered, skipping: field)
    if let pseudo { before = Checksum.add(before, addressSum(pseudo)) }
    // Whether it was right can be told only when the datagram is whole; a cut one is taken as a checksum.
    let unchanged = pseudo?.unchangedSum ?? 0
    let wasRight = isWhole && Checksum.add(Checksum.add(before, unchanged), UInt32(original)) == 0xffff
    var leftForOffload: LeftForOffload?
    if !wasRight, let pseudo, lengthKnown, original == offloadSum(pseudo) {
      leftForOffload = .pseudoHeaderSum
    } else if isWhole, !wasRight, original == 0 {
      leftForOffload = .zero
    }
    return ChecksumPlan(field: field, covered: covered, pseudo: pseudo, isWhole: isWhole, lengthKnown: lengthKnown, original: original,
                        before: before, leftForOffload: leftForOffload, isUDP: number == 17)
  }

  /// The sum of the pseudo-header's two addresses as the packet holds them now.
  func addressSum(_ pseudo: PseudoHeader) -> UInt32 {
    Checksum.add(sum(pseudo.source..<(pseudo.source + pseudo.addressLength)),
                 sum(pseudo.destination..<(pseudo.destination + pseudo.addressLength)))
  }

  /// What Linux leaves in the field for checksum offload (CHECKSUM_PARTIAL): the pseudo-header's sum, uncomplemented,
  /// with the addresses the packet holds now.
  func offloadSum(_ pseudo: PseudoHeader) -> UInt16 {
    UInt16(truncatingIfNeeded: Checksum.add(addressSum(pseudo), pseudo.unchangedSum))
  }

  /// Sets the checksum once the covered bytes are rewritten; `zeroedFrom` is where the rewrite's zeros start.
  ///
  /// A checksum is updated by the difference of the bytes that changed (RFC 1624): a right one stays right, a wrong
  /// one stays wrong by the same ones'-complement difference, so a corrupted packet is still seen as corrupted.
  /// A field left for offload stays unfinished: the pseudo-header's sum becomes the new pseudo-header's sum (what
  /// the kernel would have left with these addresses), so tcpdump calls it incorrect as it did the original; keeping
  /// its difference instead would keep a 16-bit sum of the real addresses. A record cut inside the bytes the rewrite
  /// zeroes cannot show whether its checksum was right (the original could not either): its checksum is computed
  /// afresh, as if it was, so the cut record is the whole packet's rewrite, cut.
  mutating func finish(_ plan: ChecksumPlan, zeroedFrom: Int) {
    var after = sum(plan.covered, skipping: plan.field)
    if let pseudo = plan.pseudo { after = Checksum.add(after, addressSum(pseudo)) }
    var value: UInt16
    switch plan.leftForOffload {
    case .pseudoHeaderSum?:
      value = plan.pseudo.map(offloadSum) ?? plan.original
    case .zero?:
      value = 0
    case nil:
      if !plan.isWhole && plan.lengthKnown && zeroedFrom <= plan.covered.upperBound {
        // Cut inside the zeros: the missing bytes add nothing, the sum is the whole rewritten datagram's.
        value = Checksum.complement(Checksum.add(after, plan.pseudo?.unchangedSum ?? 0))
      } else {
        value = Checksum.update(plan.original, before: plan.before, after: after)
      }
      // UDP sends a computed zero as all ones: zero means "no checksum".
      if plan.isUDP && value == 0 { value = 0xffff }
    }
    store(value, at: plan.field)
  }

  /// Zeroes payloads and rewrites what an ICMP message holds. Returns where the zeros start (to the end of the
  /// datagram, also past the window: `Int.max` when what is kept may run past it); nil for a malformed TCP header.
  mutating func rewriteTransport(_ transport: Transport, depth: Int) -> Int? {
    let start = transport.start, end = transport.end
    guard let number = transport.protocolNumber, !transport.isLaterFragment else {
      zero(start, end)
      return start
    }
    switch (number, transport.family) {
    case (6, _):
      guard start + 13 <= end else { return Int.max }  // cut before the data offset: only ports and numbers
      let headerLength = Int(bytes[start + 12] >> 4) * 4
      guard headerLength >= 20 else { return nil }
      zero(start + headerLength, end)
      return start + headerLength
    case (17, _):
      zero(start + 8, end)
      return start + 8
    case (1, .ipv4):
      return rewriteICMP(from: start, to: end, depth: depth)
    case (58, .ipv6):
      return rewriteICMPv6(from: start, to: end, depth: depth)
    default:
      zero(start, end)  // a protocol not walked here (GRE, ESP, SCTP...): its bytes may hold anything
      return start
    }
  }

  /// Returns where the zeros start, as `rewriteTransport`.
  mutating func rewriteICMP(from start: Int, to end: Int, depth: Int) -> Int {
    guard start + 4 <= end else { return Int.max }
    switch bytes[start] {
    case 3, 4, 11, 12:  // unreachable, source quench, time exceeded, parameter problem
      return rewriteQuote(from: start + 8, to: end, depth: depth)
    case 5:  // redirect: the gateway to use, then the quote
      rewriteAddress(at: start + 4, length: 4, end: end)
      return rewriteQuote(from: start + 8, to: end, depth: depth)
    case 0, 8:  // echo: identifier and sequence stay, the data goes
      zero(start + 8, end)
      return start + 8
    default:
      zero(start + 4, end)
      return start + 4
    }
  }

  /// Returns where the zeros start, as `rewriteTransport`.
  mutating func rewriteICMPv6(from start: Int, to end: Int, depth: Int) -> Int {
    guard start + 4 <= end else { return Int.max }
    switch bytes[start] {
    case 1...4:  // unreachable, packet too big, time exceeded, parameter problem
      return rewriteQuote(from: start + 8, to: end, depth: depth)
    case 128, 129:
      zero(start + 8, end)
      return start + 8
    case 133:  // router solicitation
      rewriteDiscoveryOptions(from: start + 8, to: end)
    case 134:  // router advertisement
      rewriteDiscoveryOptions(from: start + 16, to: end)
    case 135, 136:  // neighbour solicitation, advertisement: the target
      rewriteAddress(at: start + 8, length: 16, end: end)
      rewriteDiscoveryOptions(from: start + 24, to: end)
    case 137:  // redirect: target and destination
      rewriteAddress(at: start + 8, length: 16, end: end)
      rewriteAddress(at: start + 24, length: 16, end: end)
      rewriteDiscoveryOptions(from: start + 40, to: end)
    default:
      zero(start + 4, end)  // MLD and others: group records may name sources
      return start + 4
    }
    return Int.max  // neighbour discovery keeps its options
  }

  /// An ICMP error's quote: rewritten as a datagram of its own (its checksums kept right as far as it reaches), or
  /// zeroed when it does not parse, is cut inside its IP header, or is itself inside a quote. Returns where the
  /// zeros start, as `rewriteTransport`.
  mutating func rewriteQuote(from start: Int, to end: Int, depth: Int) -> Int {
    guard start < end else { return Int.max }
    guard depth < Self.maximumQuoteDepth else {
      zero(start, end)
      return start
    }
    switch rewriteIP(from: start, to: end, depth: depth + 1) {
    case let .kept(zeroedFrom):
      return zeroedFrom
    case .cut:
      zero(start, end)
      return Int.max  // the whole quote would keep its header
    case .malformed:
      zero(start, end)
      return start
    }
  }

  /// Neighbour discovery options: link-layer addresses mapped like frames' MACs, prefixes and DNS servers through
  /// the redactor, the MTU kept, anything else (redirected packets, search lists) zeroed.
  mutating func rewriteDiscoveryOptions(from start: Int, to end: Int) {
    var offset = start
    while offset + 2 <= end {
      let type = bytes[offset]
      let length = Int(bytes[offset + 1]) * 8
      guard length > 0 else {
        zero(offset, end)
        return
      }
      let optionEnd = min(offset + length, end)
      switch type {
      case 1, 2:  // source, target link-layer address: a MAC in one 8-byte unit, else zeroed
        if length == 8 && optionEnd == offset + 8 { mapMAC(at: offset + 2) } else { zero(offset + 2, optionEnd) }
      case 3:
        rewriteAddress(at: offset + 16, length: 16, end: optionEnd)
      case 5:
        break
      case 25:
        for address in stride(from: offset + 8, to: optionEnd, by: 16) { rewriteAddress(at: address, length: 16, end: optionEnd) }
      default:
        zero(offset + 2, optionEnd)
      }
      offset += length
    }
    zero(offset, end)
  }

  // MARK: Bytes

  /// An address through the redactor; the bytes of one cut off by `end` are zeroed.
  mutating func rewriteAddress(at offset: Int, length: Int, end: Int) {
    guard offset < end else { return }
    guard offset + length <= end else {
      zero(offset, end)
      return
    }
    let address: IPAddress = length == 4
      ? .v4(bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3])
      : .v6(Array(bytes[offset..<(offset + 16)]))
    let replaced = redactor.replacement(for: address)
    if replaced != address { bytes.replaceSubrange(offset..<(offset + length), with: replaced.bytes) }
  }

  mutating func zero(_ start: Int, _ end: Int) {
    guard start < end else { return }
    bytes.withUnsafeMutableBufferPointer { buffer in
      UnsafeMutableBufferPointer(rebasing: buffer[start..<end]).update(repeating: 0)
    }
  }

  func uint16(at offset: Int) -> UInt16 { UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]) }

  mutating func store(_ value: UInt16, at offset: Int) {
    bytes[offset] = UInt8(value >> 8)
    bytes[offset + 1] = UInt8(value & 0xff)
  }

  /// The folded ones'-complement sum of the big-endian 16-bit words of `range`, leaving out the word at `skipping`.
  func sum(_ range: Range<Int>, skipping field: Int? = nil) -> UInt32 {
    bytes.withUnsafeBufferPointer { buffer in
      var total: UInt64 = 0
      var index = range.lowerBound
      while index + 1 < range.upperBound {
        if index != field { total += UInt64(buffer[index]) << 8 | UInt64(buffer[index + 1]) }
        index += 2
      }
      if index < range.upperBound && index != field { total += UInt64(buffer[index]) << 8 }  // an odd last byte
      return Checksum.fold(total)
    }
  }
}

/// The Internet checksum's ones'-complement arithmetic (RFC 1071, RFC 1624).
enum Checksum {
  static func fold(_ value: UInt64) -> UInt32 {
    var total = value
    while total > 0xffff { total = (total & 0xffff) + (total >> 16) }
    return UInt32(total)
  }

  static func add(_ a: UInt32, _ b: UInt32) -> UInt32 { fold(UInt64(a) + UInt64(b)) }

  static func complement(_ sum: UInt32) -> UInt16 { ~UInt16(truncatingIfNeeded: sum) }

  /// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), with m and m' the sums of the covered bytes before and after.
  static func update(_ checksum: UInt16, before: UInt32, after: UInt32) -> UInt16 {
    complement(add(add(UInt32(~checksum), UInt32(~UInt16(truncatingIfNeeded: before))), after))
  }
}
