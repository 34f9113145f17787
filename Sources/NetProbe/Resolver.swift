import CNetProbe
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// What name resolution returned: every address in the order the system prefers, and the time it took.
public struct Resolution: Codable, Sendable, Hashable {
  /// How the addresses were found.
  public enum Method: String, Codable, Sendable, Hashable {
    /// The target was already a numeric address: no resolver was asked.
    case numeric
    /// getaddrinfo(3): the hosts file and DNS, as nsswitch.conf orders them.
    case getaddrinfo
  }

  public var name: String
  public var addresses: [IPAddress]
  /// The canonical name (CNAME target), when the resolver gave one different from the name.
  public var canonicalName: String?
  public var method: Method
  public var elapsedMicroseconds: Int64

  public init(name: String, addresses: [IPAddress], canonicalName: String? = nil, method: Method, elapsedMicroseconds: Int64) {
    self.name = name
    self.addresses = addresses
    self.canonicalName = canonicalName
    self.method = method
    self.elapsedMicroseconds = elapsedMicroseconds
  }
}

/// Why name resolution failed: the getaddrinfo EAI_* case, or our own deadline.
public struct ResolutionError: Error, Codable, Sendable, Hashable, CustomStringConvertible {
  public enum Kind: String, Codable, Sendable, Hashable {
    /// EAI_NONAME: the name does not exist (NXDOMAIN, or not in the hosts file).
    case noName = "no-name"
    /// EAI_AGAIN: a temporary failure, usually no DNS server answered in time.
    case tryAgain = "try-again"
    /// EAI_FAIL: a permanent server failure (SERVFAIL, REFUSED).
    case failure
    /// EAI_NODATA: the name exists but has no address.
    case noData = "no-data"
    /// EAI_ADDRFAMILY: the name has no address of the family asked for.
    case noAddressOfFamily = "no-address-of-family"
    /// EAI_SYSTEM: a system error; `errno` says which.
    case system
    /// The deadline passed before getaddrinfo returned.
    case timedOut = "timed-out"
    /// Any other EAI_* code (memory, bad flags, ...).
    case other
  }

  public var kind: Kind
  public var name: String
  /// The EAI_* code getaddrinfo returned (0 for our own timeout).
  public var code: Int32
  public var elapsedMicroseconds: Int64
  public var errno: Errno?

  /// The EAI_* symbol, e.g. `EAI_NONAME`.
  public var symbol: String { ResolutionError.symbols[code] ?? (code == 0 ? "deadline" : "EAI_\(code)") }

  /// The system's message (`gai_strerror(3)`).
  public var message: String {
    if kind == .timedOut { return "no answer before the deadline" }
    if kind == .system, let errno { return errno.message }
    return String(cString: gai_strerror(code))
  }

  /// `resolve(example.invalid): EAI_NONAME (-2) Name or service not known`
  public var description: String { "resolve(\(name)): \(symbol) (\(code)) \(message)" }

  // Glibc keeps EAI_NODATA and EAI_ADDRFAMILY behind _GNU_SOURCE: the values are fixed in its ABI.
  static let noDataCode: Int32 = -5
  static let addressFamilyCode: Int32 = -9

  static let symbols: [Int32: String] = [
    -1: "EAI_BADFLAGS", -2: "EAI_NONAME", -3: "EAI_AGAIN", -4: "EAI_FAIL", -5: "EAI_NODATA", -6: "EAI_FAMILY",
    -7: "EAI_SOCKTYPE", -8: "EAI_SERVICE", -9: "EAI_ADDRFAMILY", -10: "EAI_MEMORY", -11: "EAI_SYSTEM", -12: "EAI_OVERFLOW",
  ]

  init(code: Int32, name: String, elapsedMicroseconds: Int64, errno: Errno?) {
    self.code = code
    self.name = name
    self.elapsedMicroseconds = elapsedMicroseconds
    self.errno = code == EAI_SYSTEM ? errno : nil
    self.kind = switch code {
    case EAI_NONAME: .noName
    case EAI_AGAIN: .tryAgain
    case EAI_FAIL: .failure
    case ResolutionError.noDataCode: .noData
    case ResolutionError.addressFamilyCode: .noAddressOfFamily
    case EAI_SYSTEM: .system
    default: .other
    }
  }

  init(timedOutResolving name: String, after elapsed: Int64) {
    self.kind = .timedOut
    self.name = name
    self.code = 0
    self.elapsedMicroseconds = elapsed
  }
}

/// Name resolution through the system resolver.
public enum Resolver {
  /// Resolves `host` to every address (of `family` when given), in the system's preferred order.
  /// A numeric address skips the resolver. getaddrinfo cannot be interrupted: past the deadline the call is
  /// abandoned to finish on its own thread and the result is `.timedOut`.
  public static func resolve(_ host: TargetHost, family: AddressFamily? = nil,
                             timeout: Duration = .seconds(10)) async throws(ResolutionError) -> Resolution {
    switch host {
    case let .address(address, _):
      if let family, address.family != family {
        throw ResolutionError(code: ResolutionError.addressFamilyCode, name: host.description, elapsedMicroseconds: 0, errno: nil)
      }
      return Resolution(name: host.description, addresses: [address], method: .numeric, elapsedMicroseconds: 0)
    case let .name(name):
      let start = ContinuousClock.now
      let outcome = await withDeadline(timeout) { lookUp(name, family: family) }
      switch outcome {
      case let .some(.success(resolution)): return resolution
      case let .some(.failure(error)): throw error
      case .none: throw ResolutionError(timedOutResolving: name, after: microseconds(since: start))
      }
    }
  }

  /// Calls getaddrinfo(3) and blocks until it returns.
  public static func lookUp(_ name: String, family: AddressFamily? = nil) -> Result<Resolution, ResolutionError> {
    var hints = addrinfo()
    hints.ai_family = family?.cValue ?? AF_UNSPEC
    hints.ai_socktype = Int32(SOCK_STREAM.rawValue)  // one entry per address, not one per socket type
    hints.ai_flags = AI_CANONNAME
    var list: UnsafeMutablePointer<addrinfo>?
    let start = ContinuousClock.now
    let status = getaddrinfo(name, nil, &hints, &list)
    let savedErrno = Errno.current
    let elapsed = microseconds(since: start)
    guard status == 0 else {
      return .failure(ResolutionError(code: status, name: name, elapsedMicroseconds: elapsed, errno: savedErrno))
    }
    defer { freeaddrinfo(list) }
    var addresses: [IPAddress] = []
    var canonical: String?
    var entry = list
    while let current = entry {
      if canonical == nil, let text = current.pointee.ai_canonname { canonical = String(cString: text) }
      if let address = current.pointee.ai_addr, let socketAddress = SocketAddress(storage: address),
         !addresses.contains(socketAddress.address) {
        addresses.append(socketAddress.address)
      }
      entry = current.pointee.ai_next
    }
    if canonical == name { canonical = nil }
    return .success(Resolution(name: name, addresses: addresses, canonicalName: canonical, method: .getaddrinfo,
                               elapsedMicroseconds: elapsed))
  }

  /// Runs a blocking call on its own thread; nil when the timeout passes first (the call is left to finish).
  static func withDeadline<T: Sendable>(_ timeout: Duration, _ body: @escaping @Sendable () -> T) async -> T? {
    let race = Race<T>()
    return await withCheckedContinuation { continuation in
      race.arm(continuation)
      BlockingThreads.shared.run { race.finish(body()) }
      let (seconds, attoseconds) = timeout.components
      let nanoseconds = Int(clamping: seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
      DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { race.finish(nil) }
    }
  }
}

/// The first of two finishers resumes the continuation; the other is ignored.
private final class Race<T: Sendable>: @unchecked Sendable {
  private var continuation: CheckedContinuation<T?, Never>?
  private var lock = pthread_mutex_t()

  init() { pthread_mutex_init(&lock, nil) }
  deinit { pthread_mutex_destroy(&lock) }

  func arm(_ continuation: CheckedContinuation<T?, Never>) {
    pthread_mutex_lock(&lock)
    self.continuation = continuation
    pthread_mutex_unlock(&lock)
  }

  func finish(_ value: T?) {
    pthread_mutex_lock(&lock)
    let pending = continuation
    continuation = nil
    pthread_mutex_unlock(&lock)
    pending?.resume(returning: value)
  }
}
