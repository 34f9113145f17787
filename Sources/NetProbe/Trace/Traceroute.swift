/// Traceroute: TTL-limited probes (ICMP echo, UDP, or TCP SYN to the application port), every TTL in flight at
/// once (up to a window), so a 30-hop trace takes about one timeout, not thirty. Per hop: who answered, with what
/// (ICMP type and code), and the round trips; the trace stops at the hop whose answer ends it (the destination, a
/// device that rejects, an unreachable) and says what it found.
///
/// ```swift
/// let result = try await Traceroute.trace(to: SocketAddress(.v4(198, 18, 2, 2), port: 443), target: "198.18.2.2:443",
///                                         options: TraceOptions(mode: .tcp))
/// // result.hops[0].responders[0].address == 198.18.1.1 (time exceeded), result.conclusion.kind == .reached
/// ```
public enum Traceroute {
  /// Traces the path to `destination` (its port is the UDP/TCP destination port; ICMP ignores it). Runs on a
  /// dispatch thread; cancelling the task ends the trace with what it has. Throws only when ICMP mode cannot open
  /// a socket here (no CAP_NET_RAW and no group in `ping_group_range`).
  public static func trace(to destination: SocketAddress, target: String, options: TraceOptions = .init())
    async throws(ICMPUnavailable) -> TraceResult {
    try await open(to: destination, target: target, options: options).run()
  }

  /// Opens the sockets a trace needs without sending anything, so a caller can say how it will run (raw or
  /// datagram ICMP socket, raw listener or not) before it does.
  public static func open(to destination: SocketAddress, target: String, options: TraceOptions = .init())
    throws(ICMPUnavailable) -> TraceSession {
    try TraceSession(destination: destination, target: target, options: options)
  }
}

/// One trace, opened and not yet run: the transport of its mode, then the loop that sends, waits and expires.
/// Run it once.
public final class TraceSession: @unchecked Sendable {
  public let destination: SocketAddress
  public let target: String
  public let options: TraceOptions
  /// ICMP mode: the socket opened (raw, or datagram via `ping_group_range`).
  public let icmpMethod: ICMPMethod?
  /// TCP mode: whether the raw ICMP listener runs beside the probes; nil when not needed (a loopback destination
  /// answers with RST, never ICMP).
  public let rawListener: Bool?
  /// TCP mode: why the raw listener could not start (it needs CAP_NET_RAW).
  public let listenerUnavailable: ICMPUnavailable?
  private let transport: any TraceTransport

  init(destination: SocketAddress, target: String, options: TraceOptions) throws(ICMPUnavailable) {
    self.destination = destination
    self.target = target
    self.options = options
    switch options.mode {
    case .icmp:
      let icmp = try ICMPTraceTransport(destination: destination, method: options.icmpMethod)
      transport = icmp
      icmpMethod = icmp.method
      rawListener = nil
      listenerUnavailable = nil
    case .udp:
      transport = UDPTraceTransport(destination: destination)
      icmpMethod = nil
      rawListener = nil
      listenerUnavailable = nil
    case .tcp:
      // Loopback answers with RST, never ICMP: no raw socket needed there.
      var listener: ICMPErrorListener?
      var unavailable: ICMPUnavailable?
      if options.rawListener && !destination.address.isLoopback {
        do { listener = try ICMPErrorListener.start(for: ICMPFlow(.tcp, remote: destination)) } catch { unavailable = error }
      }
      transport = TCPTraceTransport(destination: destination, listener: listener)
      icmpMethod = nil
      rawListener = destination.address.isLoopback ? nil : listener != nil
      listenerUnavailable = unavailable
    }
  }

  /// Runs the trace on a dispatch thread; cancelling the task ends it with what it has.
  public func run() async -> TraceResult {
    await Blocking.run { cancellation in self.run(cancellation: cancellation) }
  }

  /// The blocking form of `run()`: sends, waits and expires until every probe that matters has an outcome (or
  /// `cancellation` fires), closes the sockets, and builds the result.
  public func run(cancellation: CancellationSignal?) -> TraceResult {
    let start = ContinuousClock.now
    let source = ICMPSocket.sourceAddress(toward: destination)
    var schedule = TraceSchedule(maxHops: options.maxHops, queries: options.queries,
                                 window: options.mode == .icmp ? Int.max : options.window)
    var deadlines: [Int: ContinuousClock.Instant] = [:]
    var cancelled = false
    defer { transport.close() }

    loop: while !schedule.isDone {
      while let slot = schedule.next() {
        if let ended = transport.send(slot) {
          schedule.record(ended, at: slot.index)
        } else {
          deadlines[slot.index] = .now + options.timeout
        }
        for answer in transport.collect() { schedule.record(answer.probe, at: answer.index) }
      }
      let awaited = schedule.awaited
      guard let deadline = awaited.compactMap({ deadlines[$0] }).min() else { continue }
      switch transport.wait(until: deadline, cancellation: cancellation) {
      case let .answers(answers):
        for answer in answers { schedule.record(answer.probe, at: answer.index) }
      case .deadline:
        break
      case .cancelled, .failed:
        cancelled = true
        break loop
      }
      let now = ContinuousClock.now
      for index in schedule.inFlight.sorted() where (deadlines[index] ?? now) <= now {
        schedule.record(transport.expire(schedule.slot(index)), at: index)
      }
    }
    if cancelled {
      // What the listener caught for them still counts; the rest show as cancelled.
      for index in schedule.awaited {
        let known = transport.expire(schedule.slot(index))
        if known.answer != .noAnswer { schedule.record(known, at: index) }
      }
    }

    let hops = schedule.hops(missing: cancelled ? .cancelled : .noAnswer)
    let conclusion = TraceConclusion(hops: hops, destination: destination.address, cancelled: cancelled)
    return TraceResult(
      target: target, address: destination.address, port: options.mode == .icmp ? nil : destination.port, mode: options.mode,
      icmpMethod: icmpMethod, rawListener: rawListener, source: source, maxHops: options.maxHops, queries: options.queries,
      timeoutMicroseconds: microseconds(of: options.timeout), hops: hops, conclusion: conclusion,
      notes: notes(hops: hops), probesSent: schedule.sent, elapsedMicroseconds: microseconds(since: start))
  }

  /// What this trace could not see, and why.
  private func notes(hops: [TraceHop]) -> [String] {
    guard options.mode == .tcp, rawListener == false else { return [] }
    var notes: [String] = []
    let unattributed = hops.filter { $0.responders.contains { $0.answer == .unattributed } }.map(\.ttl)
    if !unattributed.isEmpty {
      notes.append("\(TraceSession.hopList(unattributed)): the SYN ended with an error but who sent it is unknown: "
        + "needs CAP_NET_RAW (a raw ICMP listener sees the router's message)")
    }
    let silent = hops.filter { $0.isSilent }.map(\.ttl)
    if !silent.isEmpty, !destination.address.isLoopback {
      let why = listenerUnavailable?.rawError.map { " (raw socket: \($0.name))" } ?? ""
      notes.append("\(TraceSession.hopList(silent)) silent: without CAP_NET_RAW\(why) a TCP trace sees a router only when the "
        + "kernel queues its ICMP error on the connecting socket; run with CAP_NET_RAW to be sure none was missed")
    }
    return notes
  }

  /// `hop 3`, `hops 2-5`, `hops 2, 4-6`.
  static func hopList(_ ttls: [Int]) -> String {
    var ranges: [(Int, Int)] = []
    for ttl in ttls.sorted() {
      if let last = ranges.last, last.1 + 1 == ttl { ranges[ranges.count - 1].1 = ttl } else { ranges.append((ttl, ttl)) }
    }
    let text = ranges.map { $0.0 == $0.1 ? "\($0.0)" : "\($0.0)-\($0.1)" }.joined(separator: ", ")
    return (ttls.count == 1 ? "hop " : "hops ") + text
  }
}
