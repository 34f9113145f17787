import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Why a netlink request failed: the socket calls, the kernel's answer, or a reply that does not parse.
public enum NetlinkError: Error, Hashable, Sendable, CustomStringConvertible {
  /// A socket call failed (`socket`, `sendto`, `recvfrom`).
  case system(SystemCallError)
  /// The kernel answered the request with an error (`NLMSG_ERROR`); `message` is its extended-ack text, if any.
  case kernel(request: String, errno: Errno, message: String?)
  /// The reply broke the netlink framing (a length that overruns the buffer, a truncated header).
  case malformed(request: String, reason: String)
  /// No reply came before the receive timeout.
  case noAnswer(request: String)

  /// The error number behind the failure, when there is one.
  public var errno: Errno? {
    switch self {
    case let .system(error): return error.errno
    case let .kernel(_, errno, _): return errno
    case .malformed, .noAnswer: return nil
    }
  }

  /// `netlink RTM_GETROUTE: ENETUNREACH (101) Network is unreachable`
  public var description: String {
    switch self {
    case let .system(error): return "netlink \(error)"
    case let .kernel(request, errno, message?): return "netlink \(request): \(errno) (\(message))"
    case let .kernel(request, errno, nil): return "netlink \(request): \(errno)"
    case let .malformed(request, reason): return "netlink \(request): malformed reply: \(reason)"
    case let .noAnswer(request): return "netlink \(request): no answer from the kernel"
    }
  }
}

/// One netlink message: its type and flags from `struct nlmsghdr`, and the bytes after the header.
struct NetlinkMessage: Hashable, Sendable {
  var type: UInt16
  var flags: UInt16
  var payload: [UInt8]
}

/// A request to send: the message type, its fixed family header (`ifinfomsg`, `rtmsg`, ...) and attributes.
struct NetlinkRequest: Sendable {
  /// The type's name for error messages, e.g. `RTM_GETROUTE`.
  var name: String
  var type: UInt16
  var header: [UInt8]
  var attributes: [(type: UInt16, value: [UInt8])] = []

  /// The whole message: `nlmsghdr`, the family header and the attributes, each padded to 4 bytes.
  func encoded(flags: UInt16, sequence: UInt32) -> [UInt8] {
    var body = header
    body.pad(toAlignment: NetlinkAttributes.alignment)
    for attribute in attributes {
      body.appendHostOrder(UInt16(NetlinkAttributes.headerLength + attribute.value.count))
      body.appendHostOrder(attribute.type)
      body += attribute.value
      body.pad(toAlignment: NetlinkAttributes.alignment)
    }
    var message: [UInt8] = []
    message.appendHostOrder(UInt32(Netlink.headerLength + body.count))
    message.appendHostOrder(type)
    message.appendHostOrder(flags)
    message.appendHostOrder(sequence)
    message.appendHostOrder(UInt32(0))  // the kernel fills in our port id
    return message + body
  }
}

/// Framing constants and the message parser, with every length checked against the bytes at hand.
enum Netlink {
  static let headerLength = Int(nt_nlmsg_hdrlen())

  /// Splits a received buffer into messages. A length field that overruns the buffer is an error, never a read
  /// past the end.
  static func messages(in bytes: [UInt8], request: String) throws(NetlinkError) -> [(header: nlmsghdr, payload: [UInt8])] {
    var result: [(header: nlmsghdr, payload: [UInt8])] = []
    var offset = 0
    while bytes.count - offset >= headerLength {
      let header: nlmsghdr = bytes.loadStruct(at: offset)
      let length = Int(header.nlmsg_len)
      guard length >= headerLength, length <= bytes.count - offset else {
        throw .malformed(request: request, reason: "message length \(length) at offset \(offset) of \(bytes.count) bytes")
      }
      result.append((header, Array(bytes[(offset + headerLength)..<(offset + length)])))
      offset += Int(nt_nlmsg_align(UInt32(length)))
    }
    return result
  }

  /// Reads the fixed family header (`ifinfomsg`, `ifaddrmsg`, `rtmsg`, `ndmsg`) at the start of a payload and
  /// the attributes after it.
  static func decode<Header: BitwiseCopyable>(_ type: Header.Type, from payload: [UInt8], request: String) throws(NetlinkError)
    -> (header: Header, attributes: NetlinkAttributes) {
    let size = MemoryLayout<Header>.size
    guard payload.count >= size else {
      throw .malformed(request: request, reason: "\(size)-byte \(Header.self) in a \(payload.count)-byte message")
    }
    let header: Header = payload.loadStruct(at: 0)
    let start = Int(nt_nlmsg_align(UInt32(size)))
    let attributes = try NetlinkAttributes(parsing: payload, from: min(start, payload.count), request: request)
    return (header, attributes)
  }

  /// The bytes of a C struct value, for a request's family header.
  static func bytes<Header>(of header: Header) -> [UInt8] {
    withUnsafeBytes(of: header) { Array($0) }
  }

  /// Reads an `NLMSG_ERROR` payload: 0 for an acknowledgement, else the errno and the extended-ack message.
  static func error(in message: (header: nlmsghdr, payload: [UInt8]), request: String) throws(NetlinkError) -> (errno: Int32, text: String?) {
    let size = MemoryLayout<nlmsgerr>.size
    guard message.payload.count >= MemoryLayout<Int32>.size else {
      throw .malformed(request: request, reason: "NLMSG_ERROR of \(message.payload.count) bytes")
    }
    let code: Int32 = message.payload.loadStruct(at: 0)
    var text: String?
    // With NETLINK_EXT_ACK the attributes follow the error and the echoed request (only its header when capped).
    if message.header.nlmsg_flags & UInt16(NLM_F_ACK_TLVS) != 0, message.payload.count >= size {
      var start = size
      if message.header.nlmsg_flags & UInt16(NLM_F_CAPPED) == 0, message.payload.count >= MemoryLayout<Int32>.size + headerLength {
        let echoed: nlmsghdr = message.payload.loadStruct(at: MemoryLayout<Int32>.size)
        start = MemoryLayout<Int32>.size + Int(nt_nlmsg_align(echoed.nlmsg_len))
      }
      if start <= message.payload.count,
         let attributes = try? NetlinkAttributes(parsing: message.payload, from: start, request: request) {
        text = attributes.string(UInt16(NLMSGERR_ATTR_MSG.rawValue))
      }
    }
    return (code < 0 ? -code : code, text)
  }
}

/// The attributes (`struct rtattr` / `struct nlattr`) of one message, bounds-checked; the first of each type wins
/// in lookups, and `all` keeps every one in order (multipath next hops repeat types).
struct NetlinkAttributes: Hashable, Sendable {
  static let headerLength = 4
  static let alignment = 4
  /// The nested and byte-order bits in the type field (NLA_F_NESTED, NLA_F_NET_BYTEORDER).
  static let typeMask: UInt16 = 0x3FFF

  private(set) var all: [(type: UInt16, value: [UInt8])] = []

  init() {}

  /// Parses attributes from `offset` to the end of `bytes`. A length below the header or past the end is an error.
  init(parsing bytes: [UInt8], from offset: Int, request: String = "attributes") throws(NetlinkError) {
    var offset = offset
    while bytes.count - offset >= Self.headerLength {
      let length = Int(bytes.loadStruct(at: offset) as UInt16)
      let type: UInt16 = bytes.loadStruct(at: offset + 2)
      guard length >= Self.headerLength, length <= bytes.count - offset else {
        throw .malformed(request: request, reason: "attribute \(type & Self.typeMask) length \(length) at offset \(offset) of \(bytes.count) bytes")
      }
      all.append((type & Self.typeMask, Array(bytes[(offset + Self.headerLength)..<(offset + length)])))
      offset += Int(nt_rta_align(UInt32(length)))
    }
  }

  static func == (left: NetlinkAttributes, right: NetlinkAttributes) -> Bool {
    left.all.map(\.type) == right.all.map(\.type) && left.all.map(\.value) == right.all.map(\.value)
  }

  func hash(into hasher: inout Hasher) {
    for attribute in all {
      hasher.combine(attribute.type)
      hasher.combine(attribute.value)
    }
  }

  subscript(type: UInt16) -> [UInt8]? { all.first { $0.type == type }?.value }

  func uint8(_ type: UInt16) -> UInt8? { self[type].flatMap { $0.count >= 1 ? $0[0] : nil } }

  func uint32(_ type: UInt16) -> UInt32? {
    guard let value = self[type], value.count >= 4 else { return nil }
    return value.loadStruct(at: 0) as UInt32
  }

  func int32(_ type: UInt16) -> Int32? { uint32(type).map { Int32(bitPattern: $0) } }

  /// A NUL-terminated string attribute (interface names, link kinds); invalid UTF-8 becomes U+FFFD.
  func string(_ type: UInt16) -> String? {
    guard let value = self[type] else { return nil }
    return String(decoding: value.prefix { $0 != 0 }, as: UTF8.self)
  }

  /// An address attribute of 4 or 16 bytes.
  func address(_ type: UInt16) -> IPAddress? { self[type].flatMap(IPAddress.init(bytes:)) }

  /// The attributes nested inside one (IFLA_LINKINFO, RTA_MULTIPATH next hops, ...).
  func nested(_ type: UInt16) -> NetlinkAttributes? {
    guard let value = self[type] else { return nil }
    return try? NetlinkAttributes(parsing: value, from: 0)
  }
}

/// A NETLINK_ROUTE socket: one request at a time, answered by the kernel on the same socket.
///
/// The corresponding C call is `socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)`. The socket belongs to
/// the network namespace of the thread that opens it.
final class NetlinkSocket {
  private var descriptor: Int32
  private var sequence: UInt32
  /// Big enough for the kernel's dump batches (it fills up to 32 KiB per read).
  private let receiveCapacity = 65_536

  /// Opens the socket; reads wait at most `timeout` for the kernel.
  init(timeout: Duration = .seconds(5)) throws(NetlinkError) {
    do {
      descriptor = try syscall("socket(AF_NETLINK)") {
        Glibc.socket(AF_NETLINK, Int32(SOCK_RAW.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_ROUTE)
      }
    } catch {
      throw .system(error)
    }
    // A sequence start that differs per socket keeps a stale reply from an earlier socket from matching.
    sequence = UInt32.random(in: 1...0x7FFF_FFFF)
    var one: Int32 = 1
    // Extended acks carry the kernel's error text; capped acks do not echo our request back. Both optional.
    _ = setsockopt(descriptor, SOL_NETLINK, NETLINK_EXT_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
    _ = setsockopt(descriptor, SOL_NETLINK, NETLINK_CAP_ACK, &one, socklen_t(MemoryLayout<Int32>.size))
    let (seconds, attoseconds) = timeout.components
    var limit = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    _ = setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
  }

  deinit { close() }

  /// Closes the descriptor once. The corresponding C function is `close(2)`.
  func close() {
    guard descriptor >= 0 else { return }
    _ = Glibc.close(descriptor)
    descriptor = -1
  }

  /// Sends a dump request (`NLM_F_REQUEST | NLM_F_DUMP`) and collects every reply up to `NLMSG_DONE`. A dump the
  /// kernel marks inconsistent (`NLM_F_DUMP_INTR`: the table changed meanwhile) is run again, up to three times.
  func dump(_ request: NetlinkRequest) throws(NetlinkError) -> [NetlinkMessage] {
    var attempt = 0
    while true {
      attempt += 1
      let (messages, interrupted) = try exchange(request, flags: UInt16(NLM_F_REQUEST) | UInt16(NLM_F_DUMP), isDump: true)
      if !interrupted || attempt == 3 { return messages }
    }
  }

  /// Sends a plain request (`NLM_F_REQUEST` only, like `ip route get`) and returns the kernel's one answer; an
  /// `NLMSG_ERROR` answer throws `.kernel` with its errno.
  func get(_ request: NetlinkRequest) throws(NetlinkError) -> NetlinkMessage {
    let (messages, _) = try exchange(request, flags: UInt16(NLM_F_REQUEST), isDump: false)
    guard let first = messages.first else { throw .noAnswer(request: request.name) }
    return first
  }

  private func exchange(_ request: NetlinkRequest, flags: UInt16, isDump: Bool) throws(NetlinkError) -> ([NetlinkMessage], Bool) {
    sequence &+= 1
    let expected = sequence
    try send(request.encoded(flags: flags, sequence: expected), request: request.name)
    var collected: [NetlinkMessage] = []
    var interrupted = false
    while true {
      let buffer = try receive(request: request.name)
      for message in try Netlink.messages(in: buffer, request: request.name) where message.header.nlmsg_seq == expected {
        if message.header.nlmsg_flags & UInt16(NLM_F_DUMP_INTR) != 0 { interrupted = true }
        switch Int32(message.header.nlmsg_type) {
        case NLMSG_DONE:
          return (collected, interrupted)
        case NLMSG_ERROR:
          let (code, text) = try Netlink.error(in: message, request: request.name)
          if code != 0 { throw .kernel(request: request.name, errno: Errno(code), message: text) }
          if !isDump { return (collected, interrupted) }
        case NLMSG_NOOP:
          continue
        default:
          collected.append(NetlinkMessage(type: message.header.nlmsg_type, flags: message.header.nlmsg_flags, payload: message.payload))
          if !isDump && message.header.nlmsg_flags & UInt16(NLM_F_MULTI) == 0 { return (collected, interrupted) }
        }
      }
    }
  }

  /// The corresponding C function is `sendto(2)`, addressed to the kernel (port id 0).
  private func send(_ bytes: [UInt8], request: String) throws(NetlinkError) {
    var kernel = sockaddr_nl()
    kernel.nl_family = sa_family_t(AF_NETLINK)
    let sent = withUnsafePointer(to: &kernel) { address in
      address.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        syscallResult { bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, 0, pointer, socklen_t(MemoryLayout<sockaddr_nl>.size)) } }
      }
    }
    if case let .failure(error) = sent { throw .system(SystemCallError(call: "sendto(\(request))", errno: error)) }
  }

  /// Reads one datagram from the kernel; one cut short by a small buffer is an error rather than a silent loss.
  /// The corresponding C function is `recvfrom(2)` with `MSG_TRUNC`, which reports the datagram's real length.
  private func receive(request: String) throws(NetlinkError) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: receiveCapacity)
    while true {
      var sender = sockaddr_nl()
      var senderLength = socklen_t(MemoryLayout<sockaddr_nl>.size)
      let received = withUnsafeMutablePointer(to: &sender) { address in
        address.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
          syscallResult {
            buffer.withUnsafeMutableBytes { recvfrom(descriptor, $0.baseAddress, $0.count, Int32(MSG_TRUNC), pointer, &senderLength) }
          }
        }
      }
      switch received {
      case let .failure(error) where error == .wouldBlock:
        throw .noAnswer(request: request)
      case let .failure(error):
        throw .system(SystemCallError(call: "recvfrom(\(request))", errno: error))
      case let .success(length):
        guard length <= receiveCapacity else {
          throw .malformed(request: request, reason: "a \(length)-byte reply overflowed the \(receiveCapacity)-byte buffer")
        }
        // Only the kernel (port id 0) answers requests; anything else on the socket is not ours.
        if sender.nl_pid != 0 { continue }
        return Array(buffer.prefix(length))
      }
    }
  }

  /// Waits `duration`, or less when `cancellation` fires; true when it fired. The corresponding C function is
  /// `poll(2)` on the cancellation descriptor.
  static func pause(for duration: Duration, cancellation: CancellationSignal?) -> Bool {
    let deadline = ContinuousClock.now + duration
    while true {
      let remaining = deadline - .now
      if remaining <= .zero { return cancellation?.isFired ?? false }
      let (seconds, attoseconds) = remaining.components
      let milliseconds = Int32(min(Int64(Int32.max), seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
      var fds = [pollfd(fd: cancellation?.descriptor ?? -1, events: Int16(POLLIN), revents: 0)]
      let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, 1, milliseconds) }
      if ready > 0 { return true }
    }
  }
}

extension Array where Element == UInt8 {
  /// Copies a fixed-size value out of the bytes at `offset`; the caller has checked that they are there.
  func loadStruct<T: BitwiseCopyable>(at offset: Int) -> T {
    precondition(offset >= 0 && offset + MemoryLayout<T>.size <= count, "netlink read past the end")
    return withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
  }

  mutating func appendHostOrder<T: FixedWidthInteger>(_ value: T) {
    Swift.withUnsafeBytes(of: value) { append(contentsOf: $0) }
  }

  mutating func pad(toAlignment alignment: Int) {
    while count % alignment != 0 { append(0) }
  }
}
