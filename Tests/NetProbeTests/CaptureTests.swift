import Foundation
import Testing
import TestSupport
@testable import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Packet capture on the real kernel: an AF_PACKET socket with the flow's BPF filter around a real probe.
/// Root only (CAP_NET_RAW); loopback for the handshake cases, the ICMP lab's namespaces for a routed path.
@Suite(.serialized, .enabled(if: geteuid() == 0, "needs root (CAP_NET_RAW) for AF_PACKET sockets"))
struct CaptureTests {
  static let options = TCPConnectProbe.Options(timeout: .seconds(2), icmpEvidence: false)

  /// The TCP segments of a capture as (direction, flags) pairs.
  static func segments(_ capture: CapturedPackets) -> [String] {
    capture.packets.compactMap { packet in
      packet.decoded.tcp.map { "\(packet.direction == .toServer ? ">" : "<") \($0.flags.label)" }
    }
  }

  /// The ring and, as when the kernel refuses one, one `recvmsg` per frame.
  static let readers: [PacketRing.Geometry?] = [.standard, nil]

  @Test(arguments: [IPAddress.v4(127, 0, 0, 1), IPAddress("::1")!], readers)
  func loopbackHandshakeInOrder(address: IPAddress, ring: PacketRing.Geometry?) throws {
    let listener = try LoopbackTCPListener(address: address)
    let before = PacketSocket.now()
    let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: listener.socketAddress), interface: .automatic,
                                          limit: .perProbe, snapLength: PacketCapture.defaultSnapLength, session: nil, ring: ring)
    #expect(capture.interfaceName == "lo")
    #expect(capture.readsFromRing == (ring != nil))
    let attempt = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options)
    #expect(attempt.outcome == .connected)
    let local = try #require(attempt.local)
    let packets = capture.stop().restricted(toLocal: local)
    let after = PacketSocket.now()
    // SYN, SYN-ACK, ACK in that order, each once (the loopback device's second copy is left out); our FIN may follow.
    #expect(Array(Self.segments(packets).prefix(3)) == ["> SYN", "< SYN-ACK", "> ACK"], "\(Self.segments(packets))")
    #expect(Self.segments(packets).filter { $0 == "> SYN" }.count == 1)
    let times = packets.packets.map(\.timestampNanoseconds)
    #expect(times == times.sorted())
    #expect(times.count >= 3 && times[0] < times[1] && times[1] < times[2], "SYN, SYN-ACK and ACK passed one after another: \(times)")
    #expect(times.allSatisfy { $0 >= before - 1_000_000 && $0 <= after }, "kernel timestamps inside the capture: \(before) \(times) \(after)")
    #expect(times.count >= 3 && times[2] - times[0] < 1_000_000_000, "a loopback handshake takes well under a second")
    let synAck = try #require(packets.packets.first { $0.decoded.tcp?.flags == [.syn, .ack] })
    #expect(synAck.decoded.tcp?.options.maximumSegmentSize != nil && synAck.decoded.ip?.ttl == 64)
    #expect(packets.packets.allSatisfy { $0.linkType == .linuxSLL && $0.decoded.link?.hardwareType == 772 })
    #expect(packets.packets.allSatisfy { $0.decoded.link?.sourceMAC == "00:00:00:00:00:00" }, "lo's link address")
    let evidence = FlowEvidence(packets)
    #expect(evidence.handshakeCompleted && evidence.synRetransmits == 0 && evidence.synAck?.ttl == 64 && evidence.reset == nil)
  }

  @Test(arguments: readers)
  func closedPortShowsSYNAndRST(ring: PacketRing.Geometry?) throws {
    let closed = try ClosedPort()
    let server = SocketAddress(.v4(127, 0, 0, 1), port: closed.port)
    let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: server), interface: .automatic, limit: .perProbe,
                                          snapLength: PacketCapture.defaultSnapLength, session: nil, ring: ring)
    #expect(capture.readsFromRing == (ring != nil))
    let attempt = TCPConnectProbe.connect(to: server, options: Self.options)
    #expect(attempt.outcome == .refused)
    let packets = capture.stop().restricted(toLocal: try #require(attempt.local))
    #expect(Self.segments(packets) == ["> SYN", "< RST-ACK"])
    let evidence = FlowEvidence(packets, pathLength: 1)
    #expect(evidence.reset?.ttl == 64 && evidence.resetJudgement?.fromDeviceInPath == false && evidence.synAck == nil)
  }

  @Test func udpEchoAndPortUnreachable() throws {
    let echo = try LoopbackUDPEcho()
    let capture = try PacketCapture.start(flow: CaptureFlow(.udp, remote: echo.socketAddress))
    let reply = UDPProbe.exchange(with: echo.socketAddress, options: UDPProbe.Options(timeout: .seconds(2), payload: Array("hi".utf8)))
    #expect(reply.outcome == .reply)
    let exchanged = capture.stop()
    #expect(exchanged.packets.map(\.direction) == [.toServer, .toClient])
    #expect(exchanged.packets.allSatisfy { $0.decoded.udp?.payloadLength == 2 })

    let closedPort = try unusedPort(type: Int32(SOCK_DGRAM.rawValue))
    let server = SocketAddress(.v4(127, 0, 0, 1), port: closedPort)
    let refusal = try PacketCapture.start(flow: CaptureFlow(.udp, remote: server))
    let refused = UDPProbe.exchange(with: server, options: UDPProbe.Options(timeout: .seconds(2), payload: [1]))
    #expect(refused.outcome == .refused)
    let packets = refusal.stop()
    #expect(packets.packets.count == 2, "\(packets.packets.map(\.decoded))")
    let icmp = try #require(packets.packets.last)
    #expect(icmp.direction == .toClient && icmp.decoded.icmp?.type == 3 && icmp.decoded.icmp?.code == 3)
    #expect(icmp.decoded.icmp?.quoted?.destinationPort == closedPort)
    #expect(FlowEvidence(packets).icmpErrors.first?.report.isPortUnreachable == true)
  }

  @Test func otherFlowsAreLeftOut() throws {
    let watched = try LoopbackTCPListener(), other = try LoopbackTCPListener()
    let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: watched.socketAddress))
    for _ in 0..<3 { _ = TCPConnectProbe.connect(to: other.socketAddress, options: Self.options) }
    let attempt = TCPConnectProbe.connect(to: watched.socketAddress, options: Self.options)
    let packets = capture.stop()
    #expect(!packets.packets.isEmpty)
    #expect(packets.packets.allSatisfy { $0.decoded.tcp?.sourcePort == watched.port || $0.decoded.tcp?.destinationPort == watched.port })
    #expect(packets.restricted(toLocal: try #require(attempt.local)).packets.count == packets.packets.count)
  }

  /// Stopping with the connection's local endpoint keeps only that connection's packets, as `restricted(toLocal:)`
  /// after a plain stop does, packets an earlier `drain()` read included.
  @Test(arguments: [false, true])
  func stopRestrictedToOneConnection(drainFirst: Bool) throws {
    let listener = try LoopbackTCPListener()
    let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: listener.socketAddress))
    let first = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options)
    if drainFirst { capture.drain() }
    let second = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options)
    let local = try #require(second.local)
    #expect(first.local != nil && first.local != local)
    let packets = capture.stop(restrictedToLocal: local)
    #expect(packets.flow.local == local)
    #expect(Array(Self.segments(packets).prefix(3)) == ["> SYN", "< SYN-ACK", "> ACK"], "\(Self.segments(packets))")
    #expect(packets.packets.allSatisfy { $0.decoded.tcp?.sourcePort == local.port || $0.decoded.tcp?.destinationPort == local.port })
    #expect(capture.stop() == packets, "stop again: the same packets")
  }

  @Test func theLimitBoundsWhatIsKept() throws {
    let listener = try LoopbackTCPListener()
    let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: listener.socketAddress),
                                          limit: CaptureLimit(packets: 2, bytes: 1 << 20))
    for _ in 0..<5 { _ = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options) }
    let packets = capture.stop()
    #expect(packets.packets.count == 2 && packets.droppedByLimit >= 13, "5 handshakes: 15 packets or more")
    #expect(Self.segments(packets) == ["> SYN", "< SYN-ACK"], "the first packets are the ones kept")
    #expect(capture.stop() == packets, "stop again: the same result")
  }

  @Test func interfaceChoices() throws {
    let flow = CaptureFlow(.tcp, remote: SocketAddress(.v4(127, 0, 0, 1), port: 9))
    #expect(try PacketCapture.start(flow: flow, interface: .all).interfaceIndex == nil)
    #expect(try PacketCapture.start(flow: flow, interface: .named("lo")).interfaceName == "lo")
    #expect(throws: CaptureUnavailable.self) { try PacketCapture.start(flow: flow, interface: .named("nttest-none0")) }
    #expect(PacketCapture.unavailability() == nil)
    #expect(KernelTimestamps.areOn, "the kernel stamps frames as they pass, not when they are read")
  }

  /// Listening on all interfaces sees each loopback packet once too.
  @Test func allInterfacesKeepOneCopyOfLoopbackPackets() throws {
    let listener = try LoopbackTCPListener()
    let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: listener.socketAddress), interface: .all)
    let attempt = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options)
    let packets = capture.stop().restricted(toLocal: try #require(attempt.local))
    #expect(Array(Self.segments(packets).prefix(3)) == ["> SYN", "< SYN-ACK", "> ACK"])
    // On every interface the kernel must hand over sent frames: the filter keeps lo's sent copy.
    #expect(capture.loopbackCopy == .sent)
    #expect(packets.packets.allSatisfy { $0.decoded.link?.packetType == .outgoing })
  }

  /// Bound to lo, the socket asks the kernel to skip sent frames (PACKET_IGNORE_OUTGOING): each packet shows once, as
  /// received, and the ladder's directions still come from the addresses and ports.
  @Test(arguments: [IPAddress.v4(127, 0, 0, 1), IPAddress("::1")!])
  func loopbackKeepsTheReceivedCopyWithRightDirections(address: IPAddress) throws {
    let listener = try LoopbackTCPListener(address: address)
    let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: listener.socketAddress), interface: .named("lo"))
    #expect(capture.loopbackCopy == .received, "PACKET_IGNORE_OUTGOING needs Linux 4.20")
    let attempt = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options)
    let local = try #require(attempt.local)
    let packets = capture.stop().restricted(toLocal: local)
    #expect(Array(Self.segments(packets).prefix(3)) == ["> SYN", "< SYN-ACK", "> ACK"], "\(Self.segments(packets))")
    #expect(packets.packets.allSatisfy { $0.decoded.link?.packetType == .host && $0.decoded.link?.hardwareType == 772 })
    let syn = try #require(packets.packets.first)
    #expect(syn.direction == .toServer && syn.decoded.tcp?.sourcePort == local.port && syn.decoded.tcp?.destinationPort == listener.port)
    let synAck = try #require(packets.packets.dropFirst().first)
    #expect(synAck.direction == .toClient && synAck.decoded.tcp?.sourcePort == listener.port)
  }

  /// A session reuses one socket per interface: each capture holds only what came after its start.
  /// A running capture can be looked at (what a waiting probe has sent so far), and a stop that may wait for
  /// trailing frames ends as soon as the server's side of the close is in, not at the end of its settle time.
  @Test func capturesInFlightAndASettleThatEndsAtTheServersClose() throws {
    let listener = try LoopbackTCPListener()  // accepts and closes: the server sends its FIN
    let session = CaptureSession()
    defer { session.close() }
    let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: listener.socketAddress), session: session)
    #expect(TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options).outcome == .connected)
    var live: [CapturedPackets] = []
    let deadline = ContinuousClock.now + .seconds(2)
    repeat {
      live = session.capturesInFlight()
      if live.first.map({ Self.segments($0).contains { $0.hasPrefix("< FIN") || $0.contains("RST") } }) == true { break }
      usleep(1_000)
    } while ContinuousClock.now < deadline
    #expect(live.count == 1)
    #expect(live.first.map { Array(Self.segments($0).prefix(3)) } == ["> SYN", "< SYN-ACK", "> ACK"])
    let started = ContinuousClock.now
    let stopped = capture.stop(settle: .seconds(3))
    #expect(ContinuousClock.now - started < .seconds(1), "the settle waited although the server had closed")
    #expect(session.capturesInFlight().isEmpty)
    #expect(stopped.packets.count >= (live.first?.packets.count ?? 0))
  }

  @Test func sessionReusesItsSocket() throws {
    let first = try LoopbackTCPListener(), second = try LoopbackTCPListener()
    let session = CaptureSession()
    var captures: [CapturedPackets] = []
    for listener in [first, first, second, first] {
      let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: listener.socketAddress), session: session)
      let attempt = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options)
      let packets = capture.stop()
      #expect(session.idleSocketCount == 1)
      #expect(packets.packets.allSatisfy { $0.decoded.tcp?.sourcePort == listener.port || $0.decoded.tcp?.destinationPort == listener.port })
      captures.append(packets.restricted(toLocal: try #require(attempt.local)))
    }
    for packets in captures {
      #expect(Array(Self.segments(packets).prefix(3)) == ["> SYN", "< SYN-ACK", "> ACK"], "\(Self.segments(packets))")
    }
    session.close()
    #expect(session.idleSocketCount == 0)
  }

  /// A full ring drops in the kernel and counts it: every packet is kept or counted. The session's next capture
  /// starts clean: no drops carried over, the ring read in step with the kernel.
  @Test func fullRingCountsDropsAndTheNextCaptureStartsClean() throws {
    // Not accepting: each connection's packets pass inside the probe's own calls, none trail from a server thread.
    let listener = try LoopbackTCPListener(accepting: false)
    let session = CaptureSession(ringAfterCaptures: 1)
    let flow = CaptureFlow(.tcp, remote: listener.socketAddress)
    _ = try PacketCapture.start(flow: flow, session: session).stop()
    try Self.waitForRing(session)
    let slots = PacketRing.Geometry.standard.frameCount
    let flooded = try PacketCapture.start(flow: flow, limit: CaptureLimit(packets: 100_000, bytes: 64 << 20), session: session)
    #expect(flooded.readsFromRing)
    // A connect shows 3 packets at least (SYN, SYN-ACK, ACK), more with the close.
    let connects = slots / 3 + 20
    for _ in 0..<connects { _ = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options) }
    let overflowed = flooded.stop()
    #expect(overflowed.droppedByKernel > 0 && overflowed.droppedByLimit == 0)
    // A full ring's worth read (and the few that came while it was read: slots free up as they are read).
    #expect(overflowed.packets.count >= slots && overflowed.packets.count < slots + slots / 4, "\(overflowed.packets.count)")
    #expect(overflowed.packets.count + overflowed.droppedByKernel >= 3 * connects, "every packet kept or counted as dropped")

    let next = try PacketCapture.start(flow: flow, session: session)
    let attempt = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options)
    let clean = next.stop().restricted(toLocal: try #require(attempt.local))
    #expect(clean.droppedByKernel == 0)
    #expect(Array(Self.segments(clean).prefix(3)) == ["> SYN", "< SYN-ACK", "> ACK"], "\(Self.segments(clean))")
    session.close()
  }

  /// Waits (up to 5 s) until the session's background thread has made lo's ring socket.
  static func waitForRing(_ session: CaptureSession) throws {
    let lo = try #require(PacketSocket.interfaceIndex(named: "lo"))
    let deadline = ContinuousClock.now + .seconds(5)
    while !session.hasRingSocket(interfaceIndex: lo) && ContinuousClock.now < deadline { usleep(1_000) }
    #expect(session.hasRingSocket(interfaceIndex: lo), "the ring socket is made within 5 s")
  }

  /// A session's first captures on an interface use a plain socket (a ring's setup and close wait for grace periods);
  /// after `ringAfterCaptures` of them it makes a ring socket in the background and swaps it in, keeping one socket.
  @Test func sessionSwitchesToARingForALongLoop() throws {
    let listener = try LoopbackTCPListener()
    let session = CaptureSession(ringAfterCaptures: 3)
    let flow = CaptureFlow(.tcp, remote: listener.socketAddress)
    func capture() throws -> (ring: Bool, segments: [String]) {
      let capture = try PacketCapture.start(flow: flow, session: session)
      let attempt = TCPConnectProbe.connect(to: listener.socketAddress, options: Self.options)
      let packets = capture.stop(restrictedToLocal: try #require(attempt.local))
      return (capture.readsFromRing, Array(Self.segments(packets).prefix(3)))
    }
    for _ in 0..<3 {
      let (ring, segments) = try capture()
      #expect(!ring && segments == ["> SYN", "< SYN-ACK", "> ACK"], "\(segments)")
    }
    try Self.waitForRing(session)
    let (ring, segments) = try capture()
    #expect(ring && segments == ["> SYN", "< SYN-ACK", "> ACK"], "\(segments)")
    #expect(session.idleSocketCount == 1)
    #expect(try capture().ring, "the ring socket stays")
    session.close()
    #expect(session.idleSocketCount == 0)
    // The default waits for a long loop: a short one keeps its plain socket.
    let short = CaptureSession()
    for _ in 0..<3 {
      let capture = try PacketCapture.start(flow: flow, session: short)
      #expect(!capture.readsFromRing)
      _ = capture.stop()
    }
    short.close()
  }

  /// A frame longer than a ring slot comes whole (through the socket's queue, `TP_STATUS_COPY`); a short snap length
  /// still cuts every frame, and the original length says how long it was.
  @Test func longFramesComeWholeAndTheSnapLengthCuts() throws {
    let echo = try LoopbackUDPEcho()
    let payload = [UInt8](repeating: 0x5a, count: 3_000)
    let options = UDPProbe.Options(timeout: .seconds(2), payload: payload)
    let frameLength = LinkType.linuxSLL.headerLength + 20 + 8 + payload.count
    #expect(frameLength > PacketRing.Geometry.standard.frameSize)

    let capture = try PacketCapture.start(flow: CaptureFlow(.udp, remote: echo.socketAddress), interface: .automatic, limit: .perProbe,
                                          snapLength: PacketCapture.defaultSnapLength, session: nil, ring: .standard)
    #expect(capture.readsFromRing)
    #expect(UDPProbe.exchange(with: echo.socketAddress, options: options).outcome == .reply)
    let whole = capture.stop()
    #expect(whole.packets.map(\.direction) == [.toServer, .toClient])
    #expect(whole.packets.allSatisfy { $0.bytes.count == frameLength && $0.originalLength == frameLength })
    #expect(whole.packets.allSatisfy { $0.decoded.udp?.payloadLength == payload.count && $0.bytes.suffix(payload.count) == payload[...] })

    let cut = try PacketCapture.start(flow: CaptureFlow(.udp, remote: echo.socketAddress), interface: .automatic, limit: .perProbe,
                                      snapLength: 100, session: nil, ring: .standard)
    #expect(cut.readsFromRing)
    #expect(UDPProbe.exchange(with: echo.socketAddress, options: options).outcome == .reply)
    let packets = cut.stop()
    #expect(packets.packets.count == 2)
    #expect(packets.packets.allSatisfy { $0.bytes.count == LinkType.linuxSLL.headerLength + 100 && $0.originalLength == frameLength })
    #expect(packets.packets.allSatisfy { $0.decoded.ip?.isTruncated == true && $0.decoded.udp?.sourcePort != nil })
  }

  @Test func tracerKeepsOneCapturePerAttempt() async throws {
    let listener = try LoopbackTCPListener()
    let closed = try ClosedPort()
    let addresses = [SocketAddress(.v4(127, 0, 0, 1), port: closed.port), listener.socketAddress]
    let traced = await ProbeTracer.tcp(addresses, target: "test", options: Self.options)
    #expect(traced.unavailable == nil && traced.result.attempts.map(\.outcome) == [.refused, .connected])
    #expect(traced.traces.count == 2)
    #expect(Self.segments(traced.traces[0]) == ["> SYN", "< RST-ACK"])
    #expect(Array(Self.segments(traced.traces[1]).prefix(3)) == ["> SYN", "< SYN-ACK", "> ACK"])
    #expect(traced.traces[1].flow.local == traced.result.attempts[1].local)
  }

  /// A routed path through the ICMP lab's veth links: Ethernet frames on c0, an ICMP error from the router, and a
  /// silent drop that makes the kernel retransmit the SYN.
  @Test(.enabled(if: ICMPLab.isAvailable, "needs nft and iproute2"))
  func routedPathThroughNamespaces() throws {
    let lab = try ICMPLab(tag: "cap")
    let (prohibited, dropped) = try lab.client.perform { () -> (CapturedPackets, CapturedPackets) in
      let server = SocketAddress(IPAddress("198.18.2.3")!, port: 80)
      let capture = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: server))
      _ = TCPConnectProbe.connect(to: server, options: TCPConnectProbe.Options(timeout: .seconds(2), icmpEvidence: false))
      let first = capture.stop(settle: .milliseconds(5))
      let silent = SocketAddress(IPAddress("198.18.2.4")!, port: 80)
      let second = try PacketCapture.start(flow: CaptureFlow(.tcp, remote: silent))
      _ = TCPConnectProbe.connect(to: silent, options: TCPConnectProbe.Options(timeout: .milliseconds(1_500), icmpEvidence: false))
      return (first, second.stop())
    }
    #expect(prohibited.interface == "c0")
    #expect(prohibited.packets.allSatisfy { $0.decoded.link?.hardwareType == 1 })
    let icmp = try #require(prohibited.packets.first { $0.decoded.icmp != nil })
    #expect(icmp.decoded.ip?.source == ICMPLab.routerV4 && icmp.decoded.icmp?.code == 13 && icmp.direction == .toClient)
    let evidence = FlowEvidence(prohibited)
    #expect(evidence.icmpErrors.first?.report.isAdministrativelyProhibited == true)
    #expect(evidence.icmpErrors.first?.report.sender == ICMPLab.routerV4)
    // The first retransmission comes 1 s after the SYN (generous bounds: a shared machine).
    let silentEvidence = FlowEvidence(dropped)
    #expect(silentEvidence.synRetransmits == 1, "\(silentEvidence.synOffsetsMicroseconds)")
    if let retransmit = silentEvidence.synOffsetsMicroseconds.dropFirst().first {
      #expect(retransmit > 800_000 && retransmit < 1_600_000)
    }
  }
}
