import Testing
@testable import NetProbe

@Suite struct BPFProgramTests {
  typealias F = PacketFixtures
  static let server = SocketAddress(.v4(198, 18, 2, 10), port: 80)
  static let server6 = SocketAddress(IPAddress("fd00:18:2::10")!, port: 80)

  @Test func labelsResolveToForwardOffsets() throws {
    var asm = BPFAssembler()
    asm.loadEtherType()
    asm.jump(ifEqual: 0x0800, then: .next, else: "reject")
    asm.load(BPFCode.byte, at: 9)
    asm.jump(ifEqual: 6, then: "accept", else: "reject")
    asm.label("accept")
    asm.accept(snapLength: 96)
    asm.label("reject")
    asm.reject()
    let program = try asm.assemble()
    #expect(program.instructions == [
      BPFInstruction(code: 0x20, k: 0xffff_f000),
      BPFInstruction(code: 0x15, jumpTrue: 0, jumpFalse: 3, k: 0x800),
      BPFInstruction(code: 0x30, k: 9),
      BPFInstruction(code: 0x15, jumpTrue: 0, jumpFalse: 1, k: 6),
      BPFInstruction(code: 0x06, k: 96),
      BPFInstruction(code: 0x06, k: 0),
    ])
    #expect(program.run(on: F.syn, etherType: 0x0800) == 96)
    #expect(program.run(on: F.udpRequest, etherType: 0x0800) == 0)
    #expect(program.run(on: F.syn, etherType: 0x86dd) == 0)
    #expect(program.instructions[1].description == "{ 0x15, 0, 3, 0x800 }")
  }

  @Test func assemblyErrors() {
    var unknown = BPFAssembler()
    unknown.jump(to: "nowhere")
    unknown.reject()
    #expect(throws: BPFAssemblyError.unknownLabel("nowhere")) { try unknown.assemble() }

    var backwards = BPFAssembler()
    backwards.label("top")
    backwards.load(BPFCode.byte, at: 0)
    backwards.jump(ifEqual: 1, then: "top", else: .next)
    backwards.reject()
    #expect(throws: BPFAssemblyError.jumpOutOfRange(from: 1, to: "top")) { try backwards.assemble() }

    var far = BPFAssembler()
    far.jump(ifEqual: 1, then: "end", else: .next)
    for _ in 0..<300 { far.load(BPFCode.byte, at: 0) }
    far.label("end")
    far.reject()
    #expect(throws: BPFAssemblyError.self) { try far.assemble() }

    var noReturn = BPFAssembler()
    noReturn.load(BPFCode.byte, at: 0)
    #expect(throws: BPFAssemblyError.missingReturn) { try noReturn.assemble() }
    #expect(throws: BPFAssemblyError.empty) { try BPFAssembler().assemble() }

    var twice = BPFAssembler()
    twice.label("a")
    twice.label("a")
    twice.reject()
    #expect(throws: BPFAssemblyError.duplicateLabel("a")) { try twice.assemble() }
  }

  /// The flow filter, run by the interpreter on packet fixtures: the flow both ways and the ICMP errors pass, the
  /// rest does not.
  @Test(arguments: [
    ("SYN to the server", F.syn, UInt16(0x0800), true),
    ("SYN-ACK from the server", F.synAck, 0x0800, true),
    ("RST in the server's name", F.rst, 0x0800, true),
    ("ICMP admin prohibited from the router", F.adminProhibited, 0x0800, true),
    ("ICMP port unreachable (filtered exactly in user space)", F.portUnreachable, 0x0800, true),
    ("another port on the server", F.ipv4(F.client4, F.server4, protocol: 6, payload: F.tcp(40000, 443, flags: 2)), 0x0800, false),
    ("another host, same port", F.ipv4(F.client4, [198, 18, 2, 11], protocol: 6, payload: F.tcp(40000, 80, flags: 2)), 0x0800, false),
    ("from the server's port 80 to us, another server", F.ipv4([198, 18, 2, 11], F.client4, protocol: 6, payload: F.tcp(80, 40000, flags: 0x12)), 0x0800, false),
    ("UDP for a TCP flow", F.ipv4(F.client4, F.server4, protocol: 17, payload: F.udp(40000, 80, payload: [])), 0x0800, false),
    ("an ICMP echo reply", F.ipv4(F.server4, F.client4, protocol: 1, payload: F.icmp(type: 0, code: 0, body: [])), 0x0800, false),
    ("a later fragment", F.ipv4(F.client4, F.server4, protocol: 6, payload: F.tcp(40000, 80, flags: 2), fragment: 0x0010), 0x0800, false),
    ("an ARP frame", [UInt8](repeating: 0, count: 28), 0x0806, false),
    ("an IPv6 SYN", F.syn6, 0x86dd, false),
    ("a truncated SYN", Array(F.syn.prefix(22)), 0x0800, false),
  ])
  func ipv4FlowFilter(_ name: String, packet: [UInt8], etherType: UInt16, accepted: Bool) {
    let program = FlowFilter.program(for: CaptureFlow(.tcp, remote: Self.server), snapLength: 65_535)
    #expect((program.run(on: packet, etherType: etherType) == 65_535) == accepted, "\(name)")
  }

  @Test func knownLocalPortAndAddressNarrowTheFilter() {
    let flow = CaptureFlow(.tcp, remote: Self.server, local: SocketAddress(.v4(198, 18, 1, 10), port: 40000))
    let program = FlowFilter.program(for: flow, snapLength: 100)
    #expect(program.run(on: F.syn, etherType: 0x0800) == 100)
    #expect(program.run(on: F.synAck, etherType: 0x0800) == 100)
    #expect(program.run(on: F.ipv4(F.client4, F.server4, protocol: 6, payload: F.tcp(40001, 80, flags: 2)), etherType: 0x0800) == 0)
    #expect(program.run(on: F.ipv4(F.server4, F.client4, protocol: 6, payload: F.tcp(80, 40001, flags: 0x12)), etherType: 0x0800) == 0)
    #expect(program.run(on: F.adminProhibited, etherType: 0x0800) == 100)
    let elsewhere = F.ipv4(F.router4, [198, 18, 1, 11], protocol: 1, payload: F.icmp(type: 3, code: 13, body: Array(F.syn.prefix(28))))
    #expect(program.run(on: elsewhere, etherType: 0x0800) == 0, "an ICMP error to another address")
  }

  @Test func loopbackFlowBothWays() {
    let loopback: [UInt8] = [127, 0, 0, 1]
    let program = FlowFilter.program(for: CaptureFlow(.tcp, remote: SocketAddress(.v4(127, 0, 0, 1), port: 8080)), snapLength: 65_535)
    let out = F.ipv4(loopback, loopback, protocol: 6, payload: F.tcp(50000, 8080, flags: 2))
    let back = F.ipv4(loopback, loopback, protocol: 6, payload: F.tcp(8080, 50000, flags: 0x12))
    let other = F.ipv4(loopback, loopback, protocol: 6, payload: F.tcp(50000, 8081, flags: 2))
    #expect(program.run(on: out, etherType: 0x0800) > 0 && program.run(on: back, etherType: 0x0800) > 0)
    #expect(program.run(on: other, etherType: 0x0800) == 0)
    // The loopback device hands each packet over twice: the sent copy passes, the received copy stays in the kernel.
    let loopbackDevice: UInt16 = 772
    #expect(program.run(on: out, etherType: 0x0800, packetType: 4, hardwareType: loopbackDevice) > 0)
    #expect(program.run(on: back, etherType: 0x0800, packetType: 4, hardwareType: loopbackDevice) > 0)
    #expect(program.run(on: out, etherType: 0x0800, packetType: 0, hardwareType: loopbackDevice) == 0)
    #expect(program.run(on: back, etherType: 0x0800, packetType: 0, hardwareType: loopbackDevice) == 0)
    // Elsewhere both directions pass, received (host) and sent (outgoing).
    #expect(program.run(on: out, etherType: 0x0800, packetType: 4) > 0 && program.run(on: back, etherType: 0x0800, packetType: 0) > 0)

    // Keeping the received copy instead (a socket on lo with PACKET_IGNORE_OUTGOING): the other way round on lo only.
    let received = FlowFilter.program(for: CaptureFlow(.tcp, remote: SocketAddress(.v4(127, 0, 0, 1), port: 8080)), snapLength: 65_535,
                                      loopbackCopy: .received)
    #expect(received.run(on: out, etherType: 0x0800, packetType: 0, hardwareType: loopbackDevice) > 0)
    #expect(received.run(on: back, etherType: 0x0800, packetType: 0, hardwareType: loopbackDevice) > 0)
    #expect(received.run(on: out, etherType: 0x0800, packetType: 4, hardwareType: loopbackDevice) == 0)
    #expect(received.run(on: other, etherType: 0x0800, packetType: 0, hardwareType: loopbackDevice) == 0)
    #expect(received.run(on: out, etherType: 0x0800, packetType: 4) > 0 && received.run(on: back, etherType: 0x0800, packetType: 0) > 0)
  }

  @Test func ipv6FlowFilter() {
    let program = FlowFilter.program(for: CaptureFlow(.tcp, remote: Self.server6), snapLength: 65_535)
    let synAck6 = F.ipv6(F.server6, F.client6, next: 6, payload: F.tcp(80, 40000, flags: 0x12))
    let otherPort = F.ipv6(F.client6, F.server6, next: 6, payload: F.tcp(40000, 81, flags: 2))
    let echo = F.ipv6(F.server6, F.client6, next: 58, payload: F.icmp(type: 129, code: 0, body: []))
    let neighbourSolicitation = F.ipv6(F.server6, F.client6, next: 58, payload: F.icmp(type: 135, code: 0, body: []))
    #expect(program.run(on: F.syn6, etherType: 0x86dd) > 0)
    #expect(program.run(on: synAck6, etherType: 0x86dd) > 0)
    #expect(program.run(on: F.adminProhibited6, etherType: 0x86dd) > 0)
    #expect(program.run(on: otherPort, etherType: 0x86dd) == 0)
    #expect(program.run(on: echo, etherType: 0x86dd) == 0)
    #expect(program.run(on: neighbourSolicitation, etherType: 0x86dd) == 0)
    #expect(program.run(on: F.syn, etherType: 0x0800) == 0)
  }

  @Test func udpFlowFilter() {
    let program = FlowFilter.program(for: CaptureFlow(.udp, remote: SocketAddress(.v4(198, 18, 2, 10), port: 7)), snapLength: 65_535)
    #expect(program.run(on: F.udpRequest, etherType: 0x0800) > 0)
    #expect(program.run(on: F.portUnreachable, etherType: 0x0800) > 0)
    #expect(program.run(on: F.syn, etherType: 0x0800) == 0)
  }
}
