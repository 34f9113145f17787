import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// How one DNS query ended. Raw values are stable: they appear in `--json` output.
public enum DNSQueryOutcome: String, Codable, Sendable, Hashable, CaseIterable {
  /// NOERROR with at least one address of the type asked.
  case answer
  /// NOERROR without an address of the type asked (NODATA): the name exists, that record does not.
  case noData = "no-data"
  /// NXDOMAIN: the name does not exist.
  case nxdomain
  /// SERVFAIL: the server could not get an answer (upstream dead, DNSSEC failure, broken zone).
  case servfail
  /// REFUSED: the server will not answer this client (not allowed to recurse, wrong view).
  case refused
  /// Another response code (FORMERR, NOTIMP, ...).
  case otherResponseCode = "other-rcode"
  /// TC set: the answer did not fit in a UDP datagram; a resolver retries over TCP (this client does not).
  case truncated
  /// The response matched the query but could not be read.
  case malformed
  /// No matching response before the deadline.
  case timedOut = "timed-out"
  /// ICMP port unreachable came back (ECONNREFUSED): nothing listens on the server's DNS port.
  case portClosed = "port-closed"
  /// Any other socket error; the errno says which.
  case networkError = "network-error"
  case cancelled

  /// Whether a DNS response came back at all (whatever it said).
  public var isResponse: Bool {
    switch self {
    case .answer, .noData, .nxdomain, .servfail, .refused, .otherResponseCode, .truncated, .malformed: return true
    case .timedOut, .portClosed, .networkError, .cancelled: return false
    }
  }

  /// Whether the response says something definite about the name: addresses, no such record, no such name.
  public var isDefinite: Bool { self == .answer || self == .noData || self == .nxdomain }
}

/// One query to one server: what was asked, what came back, how long it took.
public struct DNSQueryResult: Codable, Sendable, Hashable {
  public var server: SocketAddress
  public var name: DNSName
  public var type: DNSRecordType
  /// The query id sent.
  public var id: UInt16
  public var outcome: DNSQueryOutcome
  /// From the send to the matching response (or the deadline), in microseconds, from a monotonic clock.
  public var elapsedMicroseconds: Int64
  /// The local endpoint (the kernel's ephemeral port).
  public var local: SocketAddress?
  /// The header of the accepted response.
  public var header: DNSHeader?
  /// Addresses of the type asked, for the name or the end of its CNAME chain.
  public var addresses: [IPAddress]
  /// The CNAME chain from the name asked, in order.
  public var canonicalNames: [DNSName]
  public var answers: [DNSRecord]
  /// The authority section: the SOA of a negative answer.
  public var authorities: [DNSRecord]
  /// Size of the accepted response.
  public var responseBytes: Int?
  /// Datagrams that came back but did not match the query (wrong id, other question, not DNS), in words.
  public var ignored: [String]
  public var errno: Errno?
  /// The ICMP report behind a socket error, when the kernel queued one.
  public var icmp: ICMPReport?
  /// Why a matching response could not be read.
  public var malformed: DNSMessageError?

  public init(server: SocketAddress, name: DNSName, type: DNSRecordType, id: UInt16, outcome: DNSQueryOutcome,
              elapsedMicroseconds: Int64, local: SocketAddress? = nil, header: DNSHeader? = nil, addresses: [IPAddress] = [],
              canonicalNames: [DNSName] = [], answers: [DNSRecord] = [], authorities: [DNSRecord] = [],
              responseBytes: Int? = nil, ignored: [String] = [], errno: Errno? = nil, icmp: ICMPReport? = nil,
              malformed: DNSMessageError? = nil) {
    self.server = server
    self.name = name
    self.type = type
    self.id = id
    self.outcome = outcome
    self.elapsedMicroseconds = elapsedMicroseconds
    self.local = local
    self.header = header
    self.addresses = addresses
    self.canonicalNames = canonicalNames
    self.answers = answers
    self.authorities = authorities
    self.responseBytes = responseBytes
    self.ignored = ignored
    self.errno = errno
    self.icmp = icmp
    self.malformed = malformed
  }

  /// The response code, when a response was accepted.
  public var responseCode: DNSResponseCode? { header?.responseCode }
}

/// The project's own DNS client: one query, one UDP datagram, to one server, with the answer classified.
///
/// The socket is connected, so the kernel drops datagrams from other addresses and reports ICMP errors about
/// the flow; the source port is the kernel's ephemeral choice and the id is random. Responses with another id
/// or question are set aside (and listed) while the client keeps waiting until the deadline.
public enum DNSClient {
  /// At most this many ignored datagrams are described in a result.
  static let ignoredDescriptionLimit = 8
  /// How many CNAMEs to follow inside one answer.
  static let maximumChainLength = 16

  /// Asks `server` for the `type` records of `name`, waiting at most `timeout`.
  public static func query(_ name: DNSName, type: DNSRecordType, server: SocketAddress,
                           timeout: Duration = .seconds(3)) async -> DNSQueryResult {
    await Blocking.run { cancellation in
      exchange(name, type: type, server: server, timeout: timeout, cancellation: cancellation)
    }
  }

  /// The blocking form of `query`: returns when a matching response comes, at an error, at the deadline, or when
  /// `cancellation` fires.
  public static func exchange(_ name: DNSName, type: DNSRecordType, server: SocketAddress, timeout: Duration,
                              cancellation: CancellationSignal? = nil) -> DNSQueryResult {
    let query = DNSMessage.query(for: name, type: type)
    var result = DNSQueryResult(server: server, name: name, type: type, id: query.header.id, outcome: .networkError,
                                elapsedMicroseconds: 0)
    func failed(_ error: Errno, _ socket: Socket?, since start: ContinuousClock.Instant?) -> DNSQueryResult {
      let icmp = socket?.readErrorQueue()
      result.outcome = error == .connectionRefused || icmp?.isPortUnreachable == true ? .portClosed : .networkError
      result.errno = error
      result.icmp = icmp
      result.elapsedMicroseconds = start.map(microseconds(since:)) ?? 0
      result.local = result.local ?? socket?.localAddress()
      return result
    }

    let socket: Socket
    do {
      socket = try Socket(domain: server.family.cValue, type: Int32(SOCK_DGRAM.rawValue))
    } catch {
      return failed(error.errno, nil, since: nil)
    }
    defer { socket.close() }
    switch server.family {
    case .ipv4: _ = socket.setOption(level: Int32(IPPROTO_IP), name: IP_RECVERR, value: 1)
    case .ipv6: _ = socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_RECVERR, value: 1)
    }
    if case let .failed(error) = socket.connect(to: server) { return failed(error, socket, since: nil) }
    result.local = socket.localAddress()

    let start = ContinuousClock.now
    let deadline = start + timeout
    if case let .failure(error) = socket.send(query.encoded()) { return failed(error, socket, since: start) }
    while true {
      switch socket.wait(for: Int16(POLLIN), until: deadline, cancellation: cancellation) {
      case .ready:
        // SO_ERROR first: reading the error queue clears the pending error.
        if let error = socket.pendingError() { return failed(error, socket, since: start) }
        let datagram: [UInt8]
        switch socket.receive(capacity: 65_536) {
        case let .success(bytes): datagram = bytes
        case .failure(let error) where error == .wouldBlock: continue
        case let .failure(error): return failed(error, socket, since: start)
        }
        let elapsed = microseconds(since: start)
        if let reason = mismatch(datagram, query: query) {
          if result.ignored.count < ignoredDescriptionLimit { result.ignored.append(reason) }
          continue
        }
        result.elapsedMicroseconds = elapsed
        result.responseBytes = datagram.count
        accept(datagram, into: &result)
        return result
      case .deadline:
        result.outcome = .timedOut
        result.elapsedMicroseconds = microseconds(since: start)
        return result
      case .cancelled:
        result.outcome = .cancelled
        result.elapsedMicroseconds = microseconds(since: start)
        return result
      case let .failed(error):
        return failed(error, socket, since: start)
      }
    }
  }

  /// Why a datagram is not the response to `query`, in words; nil when it is.
  static func mismatch(_ datagram: [UInt8], query: DNSMessage) -> String? {
    let header: DNSHeader
    do { header = try DNSHeader(parsing: datagram) } catch {
      return "a \(datagram.count)-byte datagram too short for a DNS header"
    }
    let expectedID = query.header.id
    guard header.id == expectedID else { return "a response with id \(hex(header.id)), not \(hex(expectedID))" }
    guard header.isResponse else { return "a query (QR clear) with our id" }
    guard header.opcode == query.header.opcode else { return "a response with opcode \(header.opcode)" }
    // A response without a question (some servers send FORMERR or REFUSED that way) is matched by id alone.
    guard header.questionCount > 0 else { return nil }
    guard header.questionCount == 1 else { return "a response with \(header.questionCount) questions" }
    let question: DNSQuestion?
    do { (_, question) = try DNSMessage.headerAndQuestion(parsing: datagram) } catch {
      // Our id but an unreadable question: accepted, and reported as malformed when read in full.
      return nil
    }
    guard let question, let asked = query.questions.first else { return nil }
    guard question.name == asked.name, question.type == asked.type, question.recordClass == asked.recordClass else {
      return "a response for \(question), not \(asked)"
    }
    return nil
  }

  /// Reads a matching response into the result and classifies it.
  static func accept(_ datagram: [UInt8], into result: inout DNSQueryResult) {
    let message: DNSMessage
    do {
      message = try DNSMessage(parsing: datagram)
    } catch {
      // A truncated answer may be cut mid-record; the header still says what happened.
      if let header = try? DNSHeader(parsing: datagram), header.isTruncated {
        result.header = header
        result.outcome = .truncated
      } else {
        result.header = try? DNSHeader(parsing: datagram)
        result.outcome = .malformed
        result.malformed = error
      }
      return
    }
    result.header = message.header
    result.answers = message.answers
    result.authorities = message.authorities
    let (chain, addresses) = follow(result.name, type: result.type, in: message.answers)
    result.canonicalNames = chain
    result.addresses = addresses
    if message.header.isTruncated {
      result.outcome = .truncated
      return
    }
    switch message.header.responseCode {
    case .noError: result.outcome = addresses.isEmpty ? .noData : .answer
    case .nameError: result.outcome = .nxdomain
    case .serverFailure: result.outcome = .servfail
    case .refused: result.outcome = .refused
    default: result.outcome = .otherResponseCode
    }
  }

  /// Follows the CNAME chain from `name` through the answer records; returns the chain and the addresses of
  /// `type` owned by the name or any name in the chain.
  static func follow(_ name: DNSName, type: DNSRecordType, in answers: [DNSRecord]) -> ([DNSName], [IPAddress]) {
    var chain: [DNSName] = []
    var current = name
    while chain.count < maximumChainLength,
          let target = answers.first(where: { $0.type == .cname && $0.name == current })?.canonicalName,
          !chain.contains(target), target != name {
      chain.append(target)
      current = target
    }
    let owners = Set([name] + chain)
    var addresses: [IPAddress] = []
    for record in answers where record.type == type && owners.contains(record.name) {
      if let address = record.address, !addresses.contains(address) { addresses.append(address) }
    }
    return (chain, addresses)
  }

  private static func hex(_ id: UInt16) -> String {
    let digits = String(id, radix: 16)
    return "0x" + String(repeating: "0", count: 4 - digits.count) + digits
  }
}
