#if canImport(Glibc)
import Glibc
#endif

/// An error number from a failed system call, with its symbolic name and the system's message.
///
/// Encodes as `{"number": 111, "name": "ECONNREFUSED", "message": "Connection refused"}`.
public struct Errno: Error, Hashable, Sendable, Codable, CustomStringConvertible {
  /// The raw error number (`errno`).
  public let code: Int32

  public init(_ code: Int32) { self.code = code }

  /// The error number the last failed C call left in `errno`.
  public static var current: Errno { Errno(errno) }

  /// The symbolic name, e.g. `ECONNREFUSED`; `E<number>` when the number is unknown.
  public var name: String { linuxErrnoNames[code] ?? "E\(code)" }

  /// The system's message for the number. The corresponding C function is `strerror(3)`.
  public var message: String {
    var buffer = [CChar](repeating: 0, count: 256)
    guard strerror_r(code, &buffer, buffer.count) == 0 else { return "Unknown error \(code)" }
    return String(nulTerminated: buffer)
  }

  /// `ECONNREFUSED (111) Connection refused`
  public var description: String { "\(name) (\(code)) \(message)" }

  public static func ~= (pattern: Errno, value: any Error) -> Bool {
    (value as? Errno) == pattern
  }

  private enum CodingKeys: String, CodingKey { case number, name, message }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    code = try container.decode(Int32.self, forKey: .number)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(code, forKey: .number)
    try container.encode(name, forKey: .name)
    try container.encode(message, forKey: .message)
  }
}

extension Errno {
  /// Operation not permitted. The corresponding C error is `EPERM`.
  public static let notPermitted = Errno(EPERM)
  /// No such file or directory. The corresponding C error is `ENOENT`.
  public static let noSuchFileOrDirectory = Errno(ENOENT)
  /// Interrupted system call. The corresponding C error is `EINTR`.
  public static let interrupted = Errno(EINTR)
  /// Resource temporarily unavailable. The corresponding C error is `EAGAIN`.
  public static let wouldBlock = Errno(EAGAIN)
  /// Permission denied. The corresponding C error is `EACCES`.
  public static let permissionDenied = Errno(EACCES)
  /// Too many open files in the process. The corresponding C error is `EMFILE`.
  public static let tooManyOpenFiles = Errno(EMFILE)
  /// Too many open files in the system. The corresponding C error is `ENFILE`.
  public static let tooManyOpenFilesInSystem = Errno(ENFILE)
  /// Not a socket. The corresponding C error is `ENOTSOCK`.
  public static let notSocket = Errno(ENOTSOCK)
  /// Address already in use. The corresponding C error is `EADDRINUSE`.
  public static let addressInUse = Errno(EADDRINUSE)
  /// Cannot assign requested address. The corresponding C error is `EADDRNOTAVAIL`.
  public static let addressNotAvailable = Errno(EADDRNOTAVAIL)
  /// Network is down. The corresponding C error is `ENETDOWN`.
  public static let networkDown = Errno(ENETDOWN)
  /// Network is unreachable. The corresponding C error is `ENETUNREACH`.
  public static let networkUnreachable = Errno(ENETUNREACH)
  /// Connection reset by peer. The corresponding C error is `ECONNRESET`.
  public static let connectionReset = Errno(ECONNRESET)
  /// Connection timed out. The corresponding C error is `ETIMEDOUT`.
  public static let timedOut = Errno(ETIMEDOUT)
  /// Connection refused. The corresponding C error is `ECONNREFUSED`.
  public static let connectionRefused = Errno(ECONNREFUSED)
  /// No route to host. The corresponding C error is `EHOSTUNREACH`.
  public static let hostUnreachable = Errno(EHOSTUNREACH)
  /// Operation now in progress. The corresponding C error is `EINPROGRESS`.
  public static let inProgress = Errno(EINPROGRESS)
  /// Protocol not available. The corresponding C error is `ENOPROTOOPT`.
  public static let protocolNotAvailable = Errno(ENOPROTOOPT)
  /// Address family not supported. The corresponding C error is `EAFNOSUPPORT`.
  public static let addressFamilyNotSupported = Errno(EAFNOSUPPORT)
}

/// A system call that failed: names the call and, where there is one, the peer.
///
/// `connect(10.0.0.5:443): ECONNREFUSED (111) Connection refused`
public struct SystemCallError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
  /// The call with its subject, e.g. `connect(10.0.0.5:443)`.
  public let call: String
  public let errno: Errno

  public init(call: String, errno: Errno) {
    self.call = call
    self.errno = errno
  }

  public var description: String { "\(call): \(errno)" }
}
