import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// How one echo request ended. Raw values are stable: they appear in `--json` output.
public enum ICMPEchoOutcome: String, Codable, Sendable, Hashable, CaseIterable {
  /// An echo reply with our identifier and sequence came back from the target.
  case reply
  /// Nothing came back before the deadline.
  case timedOut = "timed-out"
  /// A router answered ICMP network unreachable (ICMPv6: no route to destination).
  case networkUnreachable = "network-unreachable"
  /// A router answered ICMP host unreachable (ICMPv6: address unreachable).
  case hostUnreachable = "host-unreachable"
  /// Our own stack answered host unreachable: ARP/ND for the target (or the gateway) got no answer. This is the
  /// "Destination host unreachable" a user sees from their own machine.
  case neighborUnreachable = "neighbor-unreachable"
  /// The local routing table has no usable route: `ENETUNREACH` (no route) or `EHOSTUNREACH` (an unreachable route)
  /// when sending.
  case noRoute = "no-route"
  /// An ICMP "administratively prohibited": a filter rejected the packet.
  case adminProhibited = "admin-prohibited"
  case protocolUnreachable = "protocol-unreachable"
  case portUnreachable = "port-unreachable"
  /// Too big for the path: ICMP fragmentation needed, ICMPv6 packet too big, or `EMSGSIZE` at send.
  case fragmentationNeeded = "fragmentation-needed"
  /// Any other destination-unreachable code (the ICMP report names it).
  case destinationUnreachable = "destination-unreachable"
  /// The TTL (hop limit) ran out on the way: a router said so.
  case timeExceeded = "time-exceeded"
  case parameterProblem = "parameter-problem"
  /// `EPERM`/`EACCES` when sending: a local filter rule or a prohibit route.
  case notPermitted = "not-permitted"
  /// `EADDRNOTAVAIL` binding the source: the source address is not local.
  case addressUnavailable = "address-unavailable"
  /// `ENETDOWN`: the egress interface is down.
  case networkDown = "network-down"
  /// The probe was stopped before it had an outcome.
  case cancelled
  /// Any other error; the errno says which.
  case error

  public var isAnswer: Bool { self == .reply }

  /// The closest connect-probe outcome, for statistics and decisions shared with the TCP and UDP probes.
  public var probeOutcome: ProbeOutcome {
    switch self {
    case .reply: return .reply
    case .timedOut: return .timedOut
    case .networkUnreachable, .noRoute: return .networkUnreachable
    case .hostUnreachable, .neighborUnreachable: return .hostUnreachable
    case .adminProhibited: return .adminProhibited
    case .protocolUnreachable: return .protocolUnreachable
    case .portUnreachable: return .refused
    case .fragmentationNeeded: return .fragmentationNeeded
    case .notPermitted: return .notPermitted
    case .addressUnavailable: return .addressUnavailable
    case .networkDown: return .networkDown
    case .cancelled: return .cancelled
    case .destinationUnreachable, .timeExceeded, .parameterProblem, .error: return .error
    }
  }

  /// Classifies an ICMP (or locally raised) error about one of our echo requests. `fromOwnStack`: the sender is our
  /// own source address, so a host unreachable means our ARP/ND failed.
  public static func classify(_ report: ICMPReport, fromOwnStack: Bool) -> ICMPEchoOutcome {
    switch report.origin {
    case .icmp:
      switch report.type {
      case 3:
        switch report.code {
        case 0, 6, 11: return .networkUnreachable
        case 1, 7, 12: return fromOwnStack ? .neighborUnreachable : .hostUnreachable
        case 2: return .protocolUnreachable
        case 3: return .portUnreachable
        case 4: return .fragmentationNeeded
        case 9, 10, 13: return .adminProhibited
        default: return .destinationUnreachable
        }
      case 11: return .timeExceeded
      case 12: return .parameterProblem
      default: return .error
      }
    case .icmp6:
      switch report.type {
      case 1:
        switch report.code {
        case 0: return .networkUnreachable
        case 1, 5, 6: return .adminProhibited
        case 3: return fromOwnStack ? .neighborUnreachable : .hostUnreachable
        case 4: return .portUnreachable
        default: return .destinationUnreachable
        }
      case 2: return .fragmentationNeeded
      case 3: return .timeExceeded
      case 4: return .parameterProblem
      default: return .error
      }
    case .local, .none:
      return classifyLocal(report.errno)
    }
  }

  /// Classifies an error our own stack raised when sending.
  public static func classifyLocal(_ error: Errno) -> ICMPEchoOutcome {
    switch error.code {
    case ENETUNREACH, EHOSTUNREACH: return .noRoute
    case EPERM, EACCES: return .notPermitted
    case EMSGSIZE: return .fragmentationNeeded
    case EADDRNOTAVAIL: return .addressUnavailable
    case ENETDOWN: return .networkDown
    default: return .error
    }
  }
}

/// One echo request and what came of it.
public struct ICMPEchoResult: Codable, Sendable, Hashable {
  /// The probe's number in the run (the echo sequence is this modulo 65536).
  public var sequence: Int
  /// The target as the user gave it.
  public var target: String
  /// The address the request went to.
  public var address: IPAddress
  public var outcome: ICMPEchoOutcome
  /// Time from the send to the outcome, in microseconds: from the kernel's receive timestamp when it has one,
  /// else from the monotonic clock.
  public var rttMicroseconds: Int64
  /// TTL (IPv4) or hop limit (IPv6) of the reply or of the ICMP error.
  public var ttl: UInt8?
  /// Size of the ICMP reply (header and data), as ping's "64 bytes from".
  public var bytes: Int?
  /// Who answered: the target for a reply, the ICMP error's sender otherwise.
  public var from: IPAddress?
  /// The ICMP error (or locally raised error) behind a failed request.
  public var icmp: ICMPReport?
  /// The error behind a failed request.
  public var errno: Errno?
  public var method: ICMPMethod

  public init(sequence: Int, target: String, address: IPAddress, outcome: ICMPEchoOutcome, rttMicroseconds: Int64,
              ttl: UInt8? = nil, bytes: Int? = nil, from: IPAddress? = nil, icmp: ICMPReport? = nil, errno: Errno? = nil,
              method: ICMPMethod) {
    self.sequence = sequence
    self.target = target
    self.address = address
    self.outcome = outcome
    self.rttMicroseconds = rttMicroseconds
    self.ttl = ttl
    self.bytes = bytes
    self.from = from
    self.icmp = icmp
    self.errno = errno
    self.method = method
  }
}

extension ProbeStatistics {
  /// Summarises echo results: replies give the times; the outcome counts use the echo outcomes' own names
  /// (`time-exceeded`, `neighbor-unreachable`, ...).
  public init(echoes: [ICMPEchoResult]) {
    self.init(outcomes: echoes.map(\.outcome.probeOutcome), answerTimes: echoes.filter { $0.outcome.isAnswer }.map(\.rttMicroseconds))
    var counts: [String: Int] = [:]
    for echo in echoes { counts[echo.outcome.rawValue, default: 0] += 1 }
    outcomes = counts
  }
}

/// The ICMP echo probe (`ping`): a raw socket with CAP_NET_RAW, else an ICMP datagram socket when
/// `net.ipv4.ping_group_range` allows one of our groups, else it cannot run and says why. Never runs `ping`.
public enum ICMPEchoProbe {
  public struct Options: Sendable, Hashable {
    /// Time allowed for each request's answer.
    public var timeout: Duration
    /// Force a method; nil picks raw when allowed, else datagram.
    public var method: ICMPMethod?
    /// Data bytes after the 8-byte ICMP header (ping's default is 56).
    public var payloadSize: Int
    /// TTL (IPv4) or hop limit (IPv6) of the requests; nil keeps the system default.
    public var ttl: Int?
    /// Send from this local address (the port is ignored).
    public var source: SocketAddress?

    public init(timeout: Duration = .seconds(3), method: ICMPMethod? = nil, payloadSize: Int = 56, ttl: Int? = nil,
                source: SocketAddress? = nil) {
      self.timeout = timeout
      self.method = method
      self.payloadSize = payloadSize
      self.ttl = ttl
      self.source = source
    }
  }

  /// The largest payload an IPv4 datagram can carry after its 20-byte IP and 8-byte ICMP headers.
  public static let maximumPayloadSize = 65_507

  /// Opens a socket for a run of echo requests to `destination` (its port is ignored; an IPv6 zone is kept).
  public static func open(to destination: SocketAddress, target: String, options: Options = .init()) throws(ICMPUnavailable)
    -> ICMPEchoSession {
    try ICMPEchoSession(destination: destination, target: target, options: options)
  }

  /// Sends `count` requests, `interval` apart (a slow answer delays only the next), and returns every result.
  public static func ping(_ destination: SocketAddress, target: String, count: Int, interval: Duration = .seconds(1),
                          options: Options = .init()) async throws(ICMPUnavailable) -> [ICMPEchoResult] {
    let session = try open(to: destination, target: target, options: options)
    defer { session.close() }
    var results: [ICMPEchoResult] = []
    var nextStart = ContinuousClock.now
    for sequence in 1...max(1, count) {
      if sequence > 1, nextStart > .now {
        do { try await Task.sleep(until: nextStart) } catch { break }
      }
      nextStart = max(nextStart, .now) + interval
      let result = await session.echo(sequence: sequence)
      if result.outcome == .cancelled { break }
      results.append(result)
    }
    return results
  }
}

/// One socket's run of echo requests to one address. Use it from one task at a time.
public final class ICMPEchoSession: @unchecked Sendable {
  public let destination: SocketAddress
  public let target: String
  public let options: ICMPEchoProbe.Options
  /// Raw or datagram, as opened.
  public var method: ICMPMethod { socket.method }

  private let socket: ICMPSocket
  /// Our identifier on a raw socket; on a datagram socket the kernel's, learnt after the first send.
  private var identifier: UInt16
  /// Our address toward the destination: a host unreachable from it comes from our own ARP/ND.
  private let source: IPAddress?
  /// Binding the source failed: every request reports it.
  private let setupError: Errno?
  private let payload: [UInt8]

  /// `identifier`: a fixed echo identifier for a raw socket (tests); random by default.
  init(destination: SocketAddress, target: String, options: ICMPEchoProbe.Options, identifier: UInt16? = nil) throws(ICMPUnavailable) {
    self.destination = destination
    self.target = target
    self.options = options
    socket = try ICMPSocket.open(family: destination.family, method: options.method)
    self.identifier = identifier ?? UInt16.random(in: 1...UInt16.max)
    payload = (0..<max(0, options.payloadSize)).map { UInt8(truncatingIfNeeded: $0) }
    if let ttl = options.ttl { _ = socket.setHopLimit(Int32(ttl)) }
    switch destination.family {
    case .ipv4: socket.passOnly(types: [0, 3, 11, 12])  // echo reply and the errors that quote a request
    case .ipv6: socket.passOnly(types: [129, 1, 2, 3, 4])
    }
    var setupError: Errno?
    if let source = options.source, case let .failure(error) = socket.bind(to: source) { setupError = error }
    self.setupError = setupError
    source = options.source?.address ?? ICMPSocket.sourceAddress(toward: destination)
  }

  deinit { socket.close() }

  public func close() { socket.close() }

  /// Sends request `sequence` and waits for its reply, an error about it, the timeout, or cancellation.
  public func echo(sequence: Int) async -> ICMPEchoResult {
    await Blocking.run { cancellation in self.exchange(sequence: sequence, cancellation: cancellation) }
  }

  /// The blocking form of `echo(sequence:)`.
  public func exchange(sequence: Int, cancellation: CancellationSignal? = nil) -> ICMPEchoResult {
    func result(_ outcome: ICMPEchoOutcome, rtt: Int64 = 0, errno: Errno? = nil) -> ICMPEchoResult {
      ICMPEchoResult(sequence: sequence, target: target, address: destination.address, outcome: outcome,
                     rttMicroseconds: rtt, errno: errno, method: method)
    }
    if let setupError { return result(ICMPEchoOutcome.classifyLocal(setupError), errno: setupError) }
    let wireSequence = UInt16(truncatingIfNeeded: sequence)
    let request = ICMPPacket.echoRequest(family: destination.family, identifier: identifier, sequence: wireSequence, payload: payload)
    let stamp: ICMPSocket.SendStamp
    switch socket.send(request, to: destination) {
    case let .success(sent): stamp = sent
    case let .failure(error): return result(ICMPEchoOutcome.classifyLocal(error), errno: error)
    }
    if method == .datagram, let kernelIdentifier = socket.identifier { identifier = kernelIdentifier }

    let deadline = stamp.monotonic + options.timeout
    while true {
      switch socket.wait(for: Int16(POLLIN), until: deadline, cancellation: cancellation) {
      case .deadline:
        return result(.timedOut, rtt: microseconds(since: stamp.monotonic))
      case .cancelled:
        return result(.cancelled, rtt: microseconds(since: stamp.monotonic))
      case let .failed(error):
        return result(.error, rtt: microseconds(since: stamp.monotonic), errno: error)
      case let .ready(events):
        if events & Int16(POLLERR) != 0 {
          var sawQueued = false
          while let queued = socket.receiveError() {
            sawQueued = true
            if let matched = match(queued, sequence: sequence, wireSequence: wireSequence, stamp: stamp) { return matched }
          }
          // A pending error without a queued report would keep poll waking: read it to clear it.
          if !sawQueued { socket.clearPendingError() }
        }
        while let received = socket.receive() {
          if let matched = match(received, sequence: sequence, wireSequence: wireSequence, stamp: stamp) { return matched }
        }
      }
    }
  }

  /// Our reply, or an error quoting our request; nil for anything else (other pings, late replies, other traffic).
  private func match(_ received: ICMPSocket.Received, sequence: Int, wireSequence: UInt16, stamp: ICMPSocket.SendStamp)
    -> ICMPEchoResult? {
    let message: ICMPMessage
    var hopLimit = received.hopLimit
    do {
      if destination.family == .ipv4 && method == .raw {
        let parsed = try ICMPPacket.parse(ipv4Datagram: received.bytes)
        message = parsed.message
        hopLimit = parsed.header.ttl
      } else {
        message = try ICMPPacket.parse(icmp: received.bytes, family: destination.family)
      }
    } catch {
      return nil
    }
    let rtt = roundTrip(from: stamp, receivedAt: received.receivedAt, kernelTime: received.kernelTime)
    switch message.content {
    case let .echoReply(echo):
      guard echo.sequence == wireSequence, echo.identifier == identifier, received.sender == destination.address else { return nil }
      return ICMPEchoResult(sequence: sequence, target: target, address: destination.address, outcome: .reply, rttMicroseconds: rtt,
                            ttl: hopLimit, bytes: message.length, from: received.sender, method: method)
    case let .error(error):
      guard let quoted = error.quoted,
            quoted.protocolNumber == (destination.family == .ipv4 ? ICMPPacket.protocolICMP : ICMPPacket.protocolICMPv6),
            quoted.echoIdentifier == identifier, quoted.echoSequence == wireSequence, quoted.destination == destination.address
      else { return nil }
      let report = error.report(sender: received.sender)
      let ownStack = received.sender == quoted.source || received.sender == source
      return ICMPEchoResult(sequence: sequence, target: target, address: destination.address,
                            outcome: ICMPEchoOutcome.classify(report, fromOwnStack: ownStack), rttMicroseconds: rtt, ttl: hopLimit,
                            from: received.sender, icmp: report, errno: report.errno, method: method)
    case .echoRequest, .other:
      return nil
    }
  }

  /// An error the kernel queued for our datagram socket, if it is about this request.
  private func match(_ queued: ICMPSocket.QueuedError, sequence: Int, wireSequence: UInt16, stamp: ICMPSocket.SendStamp)
    -> ICMPEchoResult? {
    // The queued data is the request we sent, from its ICMP header on: type, code, checksum, identifier, sequence.
    guard queued.original.count >= 8,
          UInt16(queued.original[6]) << 8 | UInt16(queued.original[7]) == wireSequence,
          queued.destination == nil || queued.destination == destination.address
    else { return nil }
    let report = queued.report
    let ownStack = report.sender != nil && report.sender == source
    return ICMPEchoResult(sequence: sequence, target: target, address: destination.address,
                          outcome: ICMPEchoOutcome.classify(report, fromOwnStack: ownStack),
                          rttMicroseconds: roundTrip(from: stamp, receivedAt: queued.receivedAt, kernelTime: queued.kernelTime),
                          from: report.sender, icmp: report, errno: report.errno, method: method)
  }

  /// The round trip: from the kernel's receive timestamp when it is consistent with the monotonic clock (it leaves
  /// out the wait for this thread to be scheduled), else from the monotonic clock alone.
  private func roundTrip(from stamp: ICMPSocket.SendStamp, receivedAt: ContinuousClock.Instant, kernelTime: Duration?) -> Int64 {
    let monotonic = microseconds(of: receivedAt - stamp.monotonic)
    if let kernelTime {
      let kernel = microseconds(of: kernelTime - stamp.realtime)
      if kernel >= 0 && kernel <= monotonic { return kernel }
    }
    return monotonic
  }
}
