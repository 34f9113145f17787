import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// ICMP mode: echo requests on one ICMP socket, the TTL set before each send; the probe is named by the echo
/// sequence (a random base plus its schedule index), which every answer quotes.
///
/// A raw socket (CAP_NET_RAW) sees the replies and the errors quoting our requests; a datagram socket
/// (`ping_group_range`) gets its replies, and the errors through `IP_RECVERR`.
final class ICMPTraceTransport: TraceTransport {
  private let destination: SocketAddress
  private let socket: ICMPSocket
  /// Ours on a raw socket; on a datagram socket the kernel's, learnt after the first send.
  private var identifier: UInt16
  private let baseSequence: UInt16
  private var inFlight: [Int: (slot: TraceSchedule.Slot, sentAt: ContinuousClock.Instant)] = [:]
  /// traceroute's default ICMP probe: 40 bytes with the IP header.
  private let payload = [UInt8](repeating: 0, count: 12)

  var method: ICMPMethod { socket.method }

  init(destination: SocketAddress, method: ICMPMethod?) throws(ICMPUnavailable) {
    self.destination = destination
    socket = try ICMPSocket.open(family: destination.family, method: method)
    identifier = UInt16.random(in: 1...UInt16.max)
    baseSequence = UInt16.random(in: 0...UInt16.max)
    switch destination.family {
    case .ipv4: socket.passOnly(types: [0, 3, 11, 12])  // echo reply and the errors that quote a request
    case .ipv6: socket.passOnly(types: [129, 1, 2, 3, 4])
    }
  }

  func send(_ slot: TraceSchedule.Slot) -> TraceProbe? {
    if case let .failure(error) = socket.setHopLimit(Int32(slot.ttl)) { return TraceProbe(slot, localError: error) }
    let sequence = baseSequence &+ UInt16(truncatingIfNeeded: slot.index)
    let request = ICMPPacket.echoRequest(family: destination.family, identifier: identifier, sequence: sequence, payload: payload)
    switch socket.send(request, to: destination) {
    case let .success(stamp):
      if method == .datagram, let kernelIdentifier = socket.identifier { identifier = kernelIdentifier }
      inFlight[slot.index] = (slot, stamp.monotonic)
      return nil
    case let .failure(error):
      return TraceProbe(slot, localError: error)
    }
  }

  func collect() -> [(index: Int, probe: TraceProbe)] {
    var answers: [(index: Int, probe: TraceProbe)] = []
    // Replies and raw-socket errors are plain reads; a datagram socket's errors wait on its error queue.
    if method == .datagram {
      while let queued = socket.receiveError() {
        if let answer = match(queued) { answers.append(answer) }
      }
    }
    while let received = socket.receive() {
      if let answer = match(received) { answers.append(answer) }
    }
    return answers
  }

  func wait(until deadline: ContinuousClock.Instant, cancellation: CancellationSignal?) -> TraceWait {
    switch socket.wait(for: Int16(POLLIN), until: deadline, cancellation: cancellation) {
    case .deadline: return .deadline
    case .cancelled: return .cancelled
    case let .failed(error): return .failed(error)
    case let .ready(events):
      let answers = collect()
      // A pending error without a queued report would keep poll waking: read it to clear it.
      if events & Int16(POLLERR) != 0 && answers.isEmpty { socket.clearPendingError() }
      return .answers(answers)
    }
  }

  /// The probe a sequence number names, if it is ours and in flight; it is no longer in flight after this.
  private func take(sequence: UInt16) -> (slot: TraceSchedule.Slot, sentAt: ContinuousClock.Instant)? {
    inFlight.removeValue(forKey: Int(sequence &- baseSequence))
  }

  /// Our reply from the destination, or an error quoting one of our requests; nil for anything else.
  private func match(_ received: ICMPSocket.Received) -> (index: Int, probe: TraceProbe)? {
    let message: ICMPMessage
    do {
      message = destination.family == .ipv4 && method == .raw
        ? try ICMPPacket.parse(ipv4Datagram: received.bytes).message
        : try ICMPPacket.parse(icmp: received.bytes, family: destination.family)
    } catch {
      return nil
    }
    switch message.content {
    case let .echoReply(echo):
      guard echo.identifier == identifier, received.sender == destination.address, let probe = take(sequence: echo.sequence)
      else { return nil }
      let answer = TraceProbe(ttl: probe.slot.ttl, query: probe.slot.query, answer: .echoReply, responder: received.sender,
                              rttMicroseconds: microseconds(of: received.receivedAt - probe.sentAt))
      return (probe.slot.index, answer)
    case let .error(error):
      let echoProtocol = destination.family == .ipv4 ? ICMPPacket.protocolICMP : ICMPPacket.protocolICMPv6
      guard let quoted = error.quoted, quoted.protocolNumber == echoProtocol, quoted.echoIdentifier == identifier,
            quoted.destination == destination.address, let sequence = quoted.echoSequence, let probe = take(sequence: sequence)
      else { return nil }
      let rtt = microseconds(of: received.receivedAt - probe.sentAt)
      return (probe.slot.index, TraceProbe(probe.slot, report: error.report(sender: received.sender), rtt: rtt))
    case .echoRequest, .other:
      return nil
    }
  }

  /// An error the kernel queued for our datagram socket: the data is the request it quotes, from its ICMP header on.
  private func match(_ queued: ICMPSocket.QueuedError) -> (index: Int, probe: TraceProbe)? {
    guard queued.original.count >= 8, queued.destination == nil || queued.destination == destination.address else { return nil }
    let sequence = UInt16(queued.original[6]) << 8 | UInt16(queued.original[7])
    guard let probe = take(sequence: sequence) else { return nil }
    let rtt = microseconds(of: queued.receivedAt - probe.sentAt)
    return (probe.slot.index, TraceProbe(probe.slot, report: queued.report, rtt: rtt))
  }

  func expire(_ slot: TraceSchedule.Slot) -> TraceProbe {
    inFlight[slot.index] = nil
    return TraceProbe(ttl: slot.ttl, query: slot.query, answer: .noAnswer)
  }

  func close() {
    inFlight.removeAll()
    socket.close()
  }
}
