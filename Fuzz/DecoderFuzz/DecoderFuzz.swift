// decoder-fuzz: a libFuzzer target for the packet decoder. Each input is decoded as every link type the decoder
// handles (BSD loopback, Ethernet, raw IP, Linux cooked v1 and v2); what decodes is then matched against a flow and
// turned into flow evidence, as a capture would. A trap (index out of range, overflow, a broken invariant) is a crash.
//
// Only a fuzzing build has the entry point; a normal `swift build` gets a stub that says how to build it:
//
//   swift build -c release --scratch-path .build-fuzz --product decoder-fuzz --sanitize fuzzer -Xswiftc -DDECODER_FUZZ
//   mkdir -p .build-fuzz/corpus
//   .build-fuzz/release/decoder-fuzz .build-fuzz/corpus Fuzz/DecoderFuzz/seeds -max_total_time=60 -max_len=2048
//
// New inputs go to the first directory; Fuzz/DecoderFuzz/seeds holds PacketFixtures.all (Tests/NetProbeTests/
// PacketDecoderTests.swift) as raw files, read only. A crash is written as ./crash-<sha1>; replay it with
// `.build-fuzz/release/decoder-fuzz crash-<sha1>`, then add the bytes as a row of the decoder's tests.
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

#if DECODER_FUZZ
@_cdecl("LLVMFuzzerTestOneInput")
public func decoderFuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
  let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
  for linkType in LinkType.allCases {
    exercise(PacketDecoder.decode(bytes, linkType: linkType), bytes: bytes, linkType: linkType)
  }
  return 0
}

/// What a capture does with a decoded packet: invariants of the decoder, the flow match, the flow's evidence.
func exercise(_ packet: DecodedPacket, bytes: [UInt8], linkType: LinkType) {
  let layers = [packet.tcp != nil, packet.udp != nil, packet.icmp != nil].filter { $0 }.count
  precondition(layers <= 1, "more than one transport layer")
  precondition(layers == 0 || packet.ip != nil, "a transport layer without an IP layer")
  guard let ip = packet.ip else { return }
  // The flow as the capture would have it: this packet to the server, and (with an ICMP error) the quoted packet.
  let ports = packet.tcp.map { ($0.sourcePort, $0.destinationPort) } ?? packet.udp.map { ($0.sourcePort, $0.destinationPort) }
  let quote = packet.icmp?.quoted
  let transport: CaptureFlow.Transport = packet.udp != nil || quote?.ip.protocolNumber == 17 ? .udp : .tcp
  let remote = ports.map { SocketAddress(ip.destination, port: $0.1) }
    ?? quote.map { SocketAddress($0.ip.destination, port: $0.destinationPort ?? 0) }
    ?? SocketAddress(ip.destination, port: 0)
  let local = ports.map { SocketAddress(ip.source, port: $0.0) }
  let flow = CaptureFlow(transport, remote: remote, local: local)
  let direction = flow.direction(of: packet) ?? .toServer
  let captured = CapturedPacket(timestampNanoseconds: Int64(bytes.count), direction: direction, interfaceIndex: 1,
                                linkType: linkType, originalLength: bytes.count, bytes: bytes, decoded: packet)
  let capture = CapturedPackets(flow: flow, packets: [captured, captured])
  let pathLength = bytes.first.map { Int($0 & 0x1f) }
  _ = FlowEvidence(capture, pathLength: pathLength, referenceTTL: bytes.last)
  if let local { _ = capture.restricted(toLocal: local) }
}
#else
@main enum DecoderFuzzStub {
  static func main() {
    print("""
      decoder-fuzz: this build has no fuzzer. Build and run it with libFuzzer:
        swift build -c release --scratch-path .build-fuzz --product decoder-fuzz --sanitize fuzzer -Xswiftc -DDECODER_FUZZ
        mkdir -p .build-fuzz/corpus
        .build-fuzz/release/decoder-fuzz .build-fuzz/corpus Fuzz/DecoderFuzz/seeds -max_total_time=60 -max_len=2048
      """)
    exit(2)
  }
}
#endif
