import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A tiny authoritative DNS server over UDP, for tests and the fault lab: it answers A and AAAA queries from a
/// zone table, or fails in a chosen way (NXDOMAIN, SERVFAIL, REFUSED, silence, truncation), optionally late and
/// after decoy datagrams. It serves on its own thread until `stop()` (or until the value goes away).
///
/// Bind it to loopback or to an address inside a lab namespace (create it on a thread that joined the
/// namespace); port 0 lets the kernel pick, and `address` tells which.
public final class DNSResponder: @unchecked Sendable {
  /// How the responder answers every query.
  public enum Mode: String, Codable, Sendable, Hashable, CaseIterable {
    /// Answer from the zone: addresses, NODATA (with SOA) for a known name without that type, NXDOMAIN otherwise.
    case answer
    /// NXDOMAIN for every name.
    case nxdomain
    /// SERVFAIL for every name.
    case servfail
    /// REFUSED for every name.
    case refused
    /// Read the query and never answer.
    case silent
    /// NOERROR with TC set and no records: "too big for UDP, ask over TCP".
    case truncated
  }

  /// What the responder serves and how.
  public struct Configuration: Sendable, Hashable {
    /// Name -> addresses; A queries get the IPv4 ones, AAAA queries the IPv6 ones.
    public var zone: [DNSName: [IPAddress]]
    /// Alias -> canonical name: answered with a CNAME, then the canonical name's addresses.
    public var aliases: [DNSName: DNSName]
    public var mode: Mode
    /// Held this long before each answer (other queries are still read meanwhile).
    public var delay: Duration
    /// Before each real answer, send datagrams the client must ignore: too short for DNS, another id, another
    /// question.
    public var sendsDecoys: Bool
    public var ttl: UInt32
    /// The zone apex named in the SOA of negative answers.
    public var origin: DNSName

    /// `test`: a reserved top-level name (RFC 2606) that no real server answers for.
    public static let defaultOrigin = DNSName(checkedLabels: [Array("test".utf8)])

    public init(zone: [DNSName: [IPAddress]] = [:], aliases: [DNSName: DNSName] = [:], mode: Mode = .answer,
                delay: Duration = .zero, sendsDecoys: Bool = false, ttl: UInt32 = 60,
                origin: DNSName = Configuration.defaultOrigin) {
      self.zone = zone
      self.aliases = aliases
      self.mode = mode
      self.delay = delay
      self.sendsDecoys = sendsDecoys
      self.ttl = ttl
      self.origin = origin
    }
  }

  /// The bound address, with the port the kernel chose for port 0.
  public let address: SocketAddress
  private let state: ResponderState
  private var thread: pthread_t?
  private var threadLock = pthread_mutex_t()

  /// Binds a UDP socket to `address` and starts answering. The corresponding C functions are `socket(2)`,
  /// `bind(2)` and `pthread_create(3)`.
  public init(address: SocketAddress, configuration: Configuration = .init()) throws(SystemCallError) {
    let socket = try Socket(domain: address.family.cValue, type: Int32(SOCK_DGRAM.rawValue))
    if case let .failure(error) = socket.bind(to: address) {
      throw SystemCallError(call: "bind(\(address))", errno: error)
    }
    self.address = socket.localAddress() ?? address
    state = ResponderState(socket: socket, configuration: configuration)
    pthread_mutex_init(&threadLock, nil)
    let context = Unmanaged.passRetained(state).toOpaque()
    var created = pthread_t()
    let status = pthread_create(&created, nil, { raw in
      let state = Unmanaged<ResponderState>.fromOpaque(raw!).takeRetainedValue()
      state.serve()
      return nil
    }, context)
    guard status == 0 else {
      Unmanaged<ResponderState>.fromOpaque(context).release()
      throw SystemCallError(call: "pthread_create", errno: Errno(status))
    }
    thread = created
  }

  deinit {
    stop()
    pthread_mutex_destroy(&threadLock)
  }

  /// The port the responder listens on.
  public var port: UInt16 { address.port }

  /// What it serves; changes apply to the next query.
  public var configuration: Configuration {
    get { state.locked { $0.configuration } }
    set { state.locked { $0.configuration = newValue } }
  }

  /// Queries received so far (decoded or not).
  public var queriesReceived: Int { state.locked { $0.queriesReceived } }

  /// Stops serving, waits for the thread to end and closes the socket. Later calls do nothing.
  public func stop() {
    pthread_mutex_lock(&threadLock)
    let running = thread
    thread = nil
    pthread_mutex_unlock(&threadLock)
    guard let running else { return }
    state.stopSignal.fire()
    pthread_join(running, nil)
  }

  /// The response the responder gives to `query` under `configuration`; nil when it stays silent.
  public static func response(to query: DNSMessage, configuration: Configuration) -> DNSMessage? {
    guard configuration.mode != .silent, let question = query.questions.first else { return nil }
    var header = DNSHeader(id: query.header.id, isResponse: true, opcode: query.header.opcode, isAuthoritative: true,
                           recursionDesired: query.header.recursionDesired, recursionAvailable: false)
    var response = DNSMessage(header: header, questions: [question])
    let soa = DNSRecord(
      name: configuration.origin, type: .soa, ttl: configuration.ttl,
      data: .startOfAuthority(DNSStartOfAuthority(
        primaryServer: (try? DNSName("ns." + configuration.origin.description)) ?? configuration.origin,
        responsibleMailbox: (try? DNSName("hostmaster." + configuration.origin.description)) ?? configuration.origin,
        minimum: configuration.ttl)))
    switch configuration.mode {
    case .silent:
      return nil
    case .nxdomain:
      header.responseCode = .nameError
      response.authorities = [soa]
    case .servfail:
      header.isAuthoritative = false
      header.responseCode = .serverFailure
    case .refused:
      header.isAuthoritative = false
      header.responseCode = .refused
    case .truncated:
      header.isTruncated = true
    case .answer:
      var name = question.name
      while let target = configuration.aliases[name], response.answers.count < DNSClient.maximumChainLength {
        response.answers.append(DNSRecord(name: name, type: .cname, ttl: configuration.ttl, data: .canonicalName(target)))
        name = target
      }
      if let addresses = configuration.zone[name] {
        let family = question.type.addressFamily
        for address in addresses where address.family == family {
          response.answers.append(.address(address, name: name, ttl: configuration.ttl))
        }
        if response.answers.allSatisfy({ $0.type == .cname }) { response.authorities = [soa] }
      } else {
        header.responseCode = .nameError
        response.authorities = [soa]
      }
    }
    response.header = header
    return response
  }
}

/// The serving loop's state, shared with the public object under a lock.
private final class ResponderState: @unchecked Sendable {
  let socket: Socket
  let stopSignal = CancellationSignal()
  var configuration: DNSResponder.Configuration
  var queriesReceived = 0
  private var lock = pthread_mutex_t()
  /// Answers held back by `delay`, with when to send them.
  private var pending: [(due: ContinuousClock.Instant, bytes: [UInt8], peer: SocketAddress)] = []

  init(socket: Socket, configuration: DNSResponder.Configuration) {
    self.socket = socket
    self.configuration = configuration
    pthread_mutex_init(&lock, nil)
  }

  deinit { pthread_mutex_destroy(&lock) }

  func locked<T>(_ body: (ResponderState) -> T) -> T {
    pthread_mutex_lock(&lock)
    defer { pthread_mutex_unlock(&lock) }
    return body(self)
  }

  /// Reads queries and sends answers until the stop signal fires; then closes the socket.
  func serve() {
    defer { socket.close() }
    while true {
      let wakeAt = pending.map(\.due).min() ?? .now + .seconds(3600)
      switch socket.wait(for: Int16(POLLIN), until: wakeAt, cancellation: stopSignal) {
      case .cancelled:
        return
      case .ready:
        while case let .success((bytes, sender)) = socket.receiveDatagram(capacity: 65_536) {
          guard let sender else { continue }
          handle(bytes, from: sender)
        }
      case .deadline:
        break
      case .failed:
        return  // poll fails only on a broken descriptor: nothing more to serve
      }
      let now = ContinuousClock.now
      for answer in pending where answer.due <= now { _ = socket.send(answer.bytes, to: answer.peer) }
      pending.removeAll { $0.due <= now }
    }
  }

  private func handle(_ bytes: [UInt8], from peer: SocketAddress) {
    let configuration = locked { state in
      state.queriesReceived += 1
      return state.configuration
    }
    guard let query = try? DNSMessage(parsing: bytes), !query.header.isResponse,
          let response = DNSResponder.response(to: query, configuration: configuration) else { return }
    if configuration.sendsDecoys {
      var otherID = response
      otherID.header.id &+= 1
      var otherQuestion = response
      otherQuestion.questions[0].type = response.questions[0].type == .txt ? .mx : .txt
      for decoy in [[0x00, 0x01, 0x02], otherID.encoded(), otherQuestion.encoded()] { _ = socket.send(decoy, to: peer) }
    }
    if configuration.delay > .zero {
      pending.append((.now + configuration.delay, response.encoded(), peer))
    } else {
      _ = socket.send(response.encoded(), to: peer)
    }
  }
}
