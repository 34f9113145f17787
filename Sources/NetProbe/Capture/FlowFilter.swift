/// The kernel-side filter of a capture: a classic BPF program that passes a flow's TCP or UDP packets in either
/// direction and the ICMP/ICMPv6 errors that may quote them. It runs on a `SOCK_DGRAM` packet socket, so offset 0
/// is the IP header whatever the link.
///
/// ICMP errors cannot be matched exactly in classic BPF (the quote sits behind a variable-length header), so the
/// filter passes every ICMP error (to our address, when it is known) and `CaptureFlow.direction(of:)` keeps only the
/// ones that quote the flow.
///
/// The loopback device hands each packet to the socket twice, as sent and as received; the filter drops the copy
/// `loopbackCopy` does not keep in the kernel, so it is never queued or read (half the frames of a loopback probe).
public enum FlowFilter {
  /// The program for `flow`, keeping at most `snapLength` bytes of each packet and, on the loopback device, only the
  /// `loopbackCopy` of each.
  public static func program(for flow: CaptureFlow, snapLength: UInt32, loopbackCopy: LoopbackCopy = .sent) -> BPFProgram {
    var asm = BPFAssembler()
    asm.loadHardwareType()
    asm.jump(ifEqual: UInt32(PacketSocket.loopbackHardwareType), then: .next, else: "flow")
    asm.loadPacketType()
    switch loopbackCopy {
    case .sent: asm.jump(ifEqual: UInt32(PacketType.outgoing.rawValue), then: "flow", else: "reject")
    case .received: asm.jump(ifEqual: UInt32(PacketType.outgoing.rawValue), then: "reject", else: "flow")
    }
    asm.label("flow")
    switch flow.remote.family {
    case .ipv4: ipv4(flow, &asm)
    case .ipv6: ipv6(flow, &asm)
    }
    asm.label("accept")
    asm.accept(snapLength: snapLength)
    asm.label("reject")
    asm.reject()
    do {
      return try asm.assemble()
    } catch {
      // The program is built from fixed steps; a failure here is a bug in this file, not an input problem.
      preconditionFailure("flow filter: \(error)")
    }
  }

  private static func ipv4(_ flow: CaptureFlow, _ asm: inout BPFAssembler) {
    let remote = word(flow.remote.address.bytes, 0)
    let remotePort = UInt32(flow.remote.port)
    asm.loadEtherType()
    asm.jump(ifEqual: UInt32(EtherType.ipv4), then: .next, else: "reject")
    asm.load(BPFCode.byte, at: 9)  // protocol
    asm.jump(ifEqual: UInt32(flow.transport.protocolNumber), then: .next, else: "icmp")
    asm.load(BPFCode.half, at: 6)  // a later fragment has no ports
    asm.jump(ifAnySet: 0x1fff, then: "reject", else: .next)
    asm.loadIPv4HeaderLengthIntoIndex()
    // From the server: source is the remote endpoint.
    asm.load(BPFCode.word, at: 12)
    asm.jump(ifEqual: remote, then: .next, else: "to-server")
    asm.loadIndexed(BPFCode.half, at: 0)
    asm.jump(ifEqual: remotePort, then: .next, else: "to-server")
    portCheck(flow.localPort, at: 2, indexed: true, &asm, otherwise: "to-server")
    // To the server: destination is the remote endpoint.
    asm.label("to-server")
    asm.load(BPFCode.word, at: 16)
    asm.jump(ifEqual: remote, then: .next, else: "reject")
    asm.loadIndexed(BPFCode.half, at: 2)
    asm.jump(ifEqual: remotePort, then: .next, else: "reject")
    portCheck(flow.localPort, at: 0, indexed: true, &asm, otherwise: "reject")
    // ICMP errors: destination unreachable, source quench, time exceeded, parameter problem.
    asm.label("icmp")
    asm.jump(ifEqual: 1, then: .next, else: "reject")
    asm.load(BPFCode.half, at: 6)
    asm.jump(ifAnySet: 0x1fff, then: "reject", else: .next)
    if let local = flow.localAddress, local.family == .ipv4 {
      asm.load(BPFCode.word, at: 16)
      asm.jump(ifEqual: word(local.bytes, 0), then: .next, else: "reject")
    }
    asm.loadIPv4HeaderLengthIntoIndex()
    asm.loadIndexed(BPFCode.byte, at: 0)
    asm.jump(ifEqual: 3, then: "accept", else: .next)
    asm.jump(ifEqual: 11, then: "accept", else: .next)
    asm.jump(ifEqual: 12, then: "accept", else: .next)
    asm.jump(ifEqual: 4, then: "accept", else: "reject")
  }

  private static func ipv6(_ flow: CaptureFlow, _ asm: inout BPFAssembler) {
    let remote = flow.remote.address.bytes
    let remotePort = UInt32(flow.remote.port)
    asm.loadEtherType()
    asm.jump(ifEqual: UInt32(EtherType.ipv6), then: .next, else: "reject")
    asm.load(BPFCode.byte, at: 6)  // next header: TCP/UDP right after the fixed header (probes send no extension headers)
    asm.jump(ifEqual: UInt32(flow.transport.protocolNumber), then: .next, else: "icmp6")
    // From the server: source address (bytes 8-23) and port.
    for index in 0..<4 {
      asm.load(BPFCode.word, at: UInt32(8 + index * 4))
      asm.jump(ifEqual: word(remote, index * 4), then: .next, else: "to-server")
    }
    asm.load(BPFCode.half, at: 40)
    asm.jump(ifEqual: remotePort, then: .next, else: "to-server")
    portCheck(flow.localPort, at: 42, indexed: false, &asm, otherwise: "to-server")
    // To the server: destination address (bytes 24-39) and port.
    asm.label("to-server")
    for index in 0..<4 {
      asm.load(BPFCode.word, at: UInt32(24 + index * 4))
      asm.jump(ifEqual: word(remote, index * 4), then: .next, else: "reject")
    }
    asm.load(BPFCode.half, at: 42)
    asm.jump(ifEqual: remotePort, then: .next, else: "reject")
    portCheck(flow.localPort, at: 40, indexed: false, &asm, otherwise: "reject")
    // ICMPv6 errors (types 1-4). A packet whose first header is hop-by-hop goes to the exact check in user space.
    asm.label("icmp6")
    asm.jump(ifEqual: 58, then: .next, else: "hop-by-hop")
    if let local = flow.localAddress, local.family == .ipv6 {
      for index in 0..<4 {
        asm.load(BPFCode.word, at: UInt32(24 + index * 4))
        asm.jump(ifEqual: word(local.bytes, index * 4), then: .next, else: "reject")
      }
    }
    asm.load(BPFCode.byte, at: 40)
    asm.jump(ifGreaterOrEqual: 5, then: "reject", else: .next)
    asm.jump(ifEqual: 0, then: "reject", else: "accept")
    asm.label("hop-by-hop")
    asm.jump(ifEqual: 0, then: "accept", else: "reject")
  }

  /// Accepts when the local port is unknown or the port at `offset` is it; otherwise goes to `otherwise`.
  private static func portCheck(_ port: UInt16?, at offset: UInt32, indexed: Bool, _ asm: inout BPFAssembler,
                                otherwise: BPFAssembler.Target) {
    guard let port else {
      asm.jump(to: "accept")
      return
    }
    if indexed { asm.loadIndexed(BPFCode.half, at: offset) } else { asm.load(BPFCode.half, at: offset) }
    asm.jump(ifEqual: UInt32(port), then: "accept", else: otherwise)
  }

  private static func word(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
    (0..<4).reduce(UInt32(0)) { $0 << 8 | UInt32(offset + $1 < bytes.count ? bytes[offset + $1] : 0) }
  }
}
