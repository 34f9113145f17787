import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// How an ICMP probe reaches the network.
public enum ICMPMethod: String, Codable, Sendable, Hashable, CaseIterable {
  /// A raw socket (`SOCK_RAW`): needs CAP_NET_RAW; it sees every ICMP message, errors with their quoted header too.
  case raw
  /// An ICMP datagram ("ping") socket: allowed when a group of the process is in `net.ipv4.ping_group_range`.
  /// The kernel sets the echo identifier, hands the socket only its own replies, and reports ICMP errors through
  /// `IP_RECVERR`.
  case datagram
}

/// Why no ICMP socket could be opened: the reason in words, with what was found.
public struct ICMPUnavailable: Error, Codable, Sendable, Hashable, CustomStringConvertible {
  /// One line, e.g. "needs CAP_NET_RAW or a group in net.ipv4.ping_group_range (...)".
  public var reason: String
  /// The error from `socket(SOCK_RAW)`, when it was tried.
  public var rawError: Errno?
  /// The error from `socket(SOCK_DGRAM, IPPROTO_ICMP)`, when it was tried.
  public var datagramError: Errno?
  /// `net.ipv4.ping_group_range` as read from /proc ("1 0" allows nobody); nil when unreadable.
  public var pingGroupRange: String?
  /// The process's effective group and supplementary groups (empty when only a raw socket was asked for).
  public var groups: [UInt32]
  /// Whether CAP_NET_RAW is in the effective set (/proc/self/status CapEff, bit 13); nil when unreadable.
  public var hasNetRawCapability: Bool?

  public var description: String { reason }
}

/// An ICMP or ICMPv6 socket, raw or datagram, nonblocking, with kernel receive timestamps (`SO_TIMESTAMPNS`) and the
/// TTL or hop limit of what arrives.
final class ICMPSocket {
  let family: AddressFamily
  let method: ICMPMethod
  private let socket: Socket

  /// Opens a socket of `method`. The corresponding C function is `socket(2)`.
  init(family: AddressFamily, method: ICMPMethod) throws(SystemCallError) {
    self.family = family
    self.method = method
    let type = method == .raw ? Int32(SOCK_RAW.rawValue) : Int32(SOCK_DGRAM.rawValue)
    let proto = family == .ipv4 ? Int32(IPPROTO_ICMP) : Int32(IPPROTO_ICMPV6)
    socket = try Socket(domain: family.cValue, type: type, protocol: proto)
    _ = socket.setOption(level: SOL_SOCKET, name: SO_TIMESTAMPNS, value: 1)
    switch (family, method) {
    case (.ipv4, .raw):
      break  // the TTL is in the IP header the raw socket receives; errors arrive as ICMP packets
    case (.ipv4, .datagram):
      _ = socket.setOption(level: Int32(IPPROTO_IP), name: IP_RECVTTL, value: 1)
      _ = socket.setOption(level: Int32(IPPROTO_IP), name: IP_RECVERR, value: 1)
    case (.ipv6, .raw):
      _ = socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_RECVHOPLIMIT, value: 1)
    case (.ipv6, .datagram):
      _ = socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_RECVHOPLIMIT, value: 1)
      _ = socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_RECVERR, value: 1)
    }
  }

  /// Opens the method asked for, or (nil) a raw socket when allowed and a datagram socket otherwise; when neither is
  /// allowed, says why.
  static func open(family: AddressFamily, method: ICMPMethod?) throws(ICMPUnavailable) -> ICMPSocket {
    var rawError: Errno?, datagramError: Errno?
    if method != .datagram {
      do { return try ICMPSocket(family: family, method: .raw) } catch { rawError = error.errno }
    }
    if method != .raw {
      do { return try ICMPSocket(family: family, method: .datagram) } catch { datagramError = error.errno }
    }
    throw ICMPAccess.unavailable(asked: method, rawError: rawError, datagramError: datagramError)
  }

  func close() { socket.close() }

  /// Sets the TTL (IPv4) or unicast hop limit (IPv6) of what this socket sends.
  func setHopLimit(_ value: Int32) -> Result<Void, Errno> {
    family == .ipv4
      ? socket.setOption(level: Int32(IPPROTO_IP), name: IP_TTL, value: value)
      : socket.setOption(level: Int32(IPPROTO_IPV6), name: IPV6_UNICAST_HOPS, value: value)
  }

  /// On a raw socket, lets only these ICMP types through (`ICMP_FILTER`, `ICMPV6_FILTER`): a raw socket otherwise
  /// gets a copy of every ICMP message the host receives. Does nothing on a datagram socket.
  func passOnly(types: [UInt8]) {
    guard method == .raw else { return }
    // In both filters a set bit blocks the type.
    var blocked = [UInt32](repeating: 0xffff_ffff, count: 8)
    for type in types { blocked[Int(type >> 5)] &= ~(UInt32(1) << UInt32(type & 31)) }
    let level = family == .ipv4 ? SOL_RAW : Int32(IPPROTO_ICMPV6)
    let name = family == .ipv4 ? ICMP_FILTER : ICMPV6_FILTER
    let length = family == .ipv4 ? 4 : 32  // struct icmp_filter is one word; struct icmp6_filter eight
    _ = blocked.withUnsafeBytes { setsockopt(socket.descriptor, level, name, $0.baseAddress, socklen_t(length)) }
  }

  /// Binds to a local address (the source of what is sent). The corresponding C function is `bind(2)`.
  func bind(to address: SocketAddress) -> Result<Void, Errno> {
    socket.bind(to: SocketAddress(address.address, port: 0, scopeID: address.scopeID))
  }

  /// The echo identifier the kernel gave a datagram socket (its "port"), once it has sent; nil for raw sockets.
  var identifier: UInt16? {
    guard method == .datagram, let local = socket.localAddress(), local.port != 0 else { return nil }
    return local.port
  }

  /// When a message was handed to the kernel, on the monotonic clock and on the wall clock the kernel stamps
  /// receptions with.
  struct SendStamp {
    var monotonic: ContinuousClock.Instant
    var realtime: Duration
  }

  /// Sends one ICMP message (from its ICMP header on). The corresponding C function is `sendto(2)`.
  func send(_ bytes: [UInt8], to destination: SocketAddress) -> Result<SendStamp, Errno> {
    let target = SocketAddress(destination.address, port: 0, scopeID: destination.scopeID)
    let stamp = SendStamp(monotonic: .now, realtime: ICMPSocket.realtimeNow())
    let result = target.withSockAddr { address, length in
      syscallResult { bytes.withUnsafeBytes { sendto(socket.descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT), address, length) } }
    }
    return result.map { _ in stamp }
  }

  /// One message that arrived.
  struct Received {
    /// Raw IPv4: the whole IP datagram; otherwise the ICMP message from its header on.
    var bytes: [UInt8]
    var sender: IPAddress
    /// TTL or hop limit from the control message (datagram IPv4, both IPv6); raw IPv4 has it in the IP header.
    var hopLimit: UInt8?
    /// The kernel's reception time (`SO_TIMESTAMPNS`, wall clock), when given.
    var kernelTime: Duration?
    var receivedAt: ContinuousClock.Instant
  }

  /// Reads one waiting message; nil when none is waiting. The corresponding C function is `recvmsg(2)`.
  func receive() -> Received? {
    var received: Received?
    _ = receiveMessage(flags: 0, capacity: 65_536) { bytes, sender, control in
      guard let sender = sender?.address else { return }
      received = Received(bytes: bytes, sender: sender, hopLimit: control.hopLimit, kernelTime: control.kernelTime,
                          receivedAt: .now)
    }
    return received
  }

  /// One error the kernel queued for a datagram socket (`IP_RECVERR`): the report and the message it is about.
  struct QueuedError {
    var report: ICMPReport
    /// The ICMP message we sent that the error is about (from its ICMP header on), as far as the kernel kept it.
    var original: [UInt8]
    /// Where that message was going.
    var destination: IPAddress?
    var kernelTime: Duration?
    var receivedAt: ContinuousClock.Instant
  }

  /// Reads one queued error; nil when the queue is empty. The corresponding C call is `recvmsg(2)` with `MSG_ERRQUEUE`.
  func receiveError() -> QueuedError? {
    var queued: QueuedError?
    _ = receiveMessage(flags: Int32(MSG_ERRQUEUE), capacity: 2048) { bytes, destination, control in
      guard let report = control.report else { return }
      queued = QueuedError(report: report, original: bytes, destination: destination?.address,
                           kernelTime: control.kernelTime, receivedAt: .now)
    }
    return queued
  }

  /// Reads and clears the socket's pending error (`SO_ERROR`), so a poll stops reporting POLLERR for it.
  @discardableResult
  func clearPendingError() -> Errno? { socket.pendingError() }

  /// Waits for `events`, the deadline, or cancellation. The corresponding C function is `poll(2)`.
  func wait(for events: Int16, until deadline: ContinuousClock.Instant, cancellation: CancellationSignal?) -> Socket.WaitOutcome {
    socket.wait(for: events, until: deadline, cancellation: cancellation)
  }

  /// What the control messages of one `recvmsg` said.
  fileprivate struct Control {
    var hopLimit: UInt8?
    var kernelTime: Duration?
    var report: ICMPReport?
  }

  /// Runs `recvmsg` once and hands the data, the address and the decoded control messages to `body`.
  /// Returns false when nothing was read.
  private func receiveMessage(flags: Int32, capacity: Int, _ body: ([UInt8], SocketAddress?, Control) -> Void) -> Bool {
    var data = [UInt8](repeating: 0, count: capacity)
    var control = [UInt8](repeating: 0, count: 512)
    var peer = sockaddr_storage()
    var decoded = Control()
    let read = data.withUnsafeMutableBytes { dataBuffer in
      control.withUnsafeMutableBytes { controlBuffer in
        withUnsafeMutablePointer(to: &peer) { peerPointer in
          NetProbe.receiveMessage(socket.descriptor, flags: flags | Int32(MSG_DONTWAIT), data: dataBuffer, control: controlBuffer,
                                  name: UnsafeMutableRawPointer(peerPointer), nameLength: MemoryLayout<sockaddr_storage>.size) { decoded.read($0) }
        }
      }
    }
    guard let read else { return false }
    let count = min(read, capacity)
    let sender = withUnsafeBytes(of: &peer) { SocketAddress(storage: $0.baseAddress!) }
    body(Array(data.prefix(count)), sender, decoded)
    return true
  }

  /// The wall clock now, as the kernel's receive timestamps count it. The corresponding C function is `clock_gettime(2)`.
  static func realtimeNow() -> Duration {
    var now = timespec()
    clock_gettime(CLOCK_REALTIME, &now)
    return .seconds(now.tv_sec) + .nanoseconds(now.tv_nsec)
  }

  /// The source address the kernel would pick for `destination` (a UDP socket's route lookup: `connect(2)` then
  /// `getsockname(2)`, which sends nothing); nil when there is no route.
  static func sourceAddress(toward destination: SocketAddress) -> IPAddress? {
    guard let probe = try? Socket(domain: destination.family.cValue, type: Int32(SOCK_DGRAM.rawValue)) else { return nil }
    defer { probe.close() }
    guard case .connected = probe.connect(to: SocketAddress(destination.address, port: 9, scopeID: destination.scopeID)) else {
      return nil
    }
    return probe.localAddress()?.address
  }
}

extension ICMPSocket.Control {
  /// Decodes one control message: timestamp (through the one SCM_TIMESTAMPNS decoder), TTL/hop limit, or a queued
  /// error with its offender.
  fileprivate mutating func read(_ cmsg: UnsafeMutablePointer<cmsghdr>) {
    if let stamp = kernelTimestampNanoseconds(cmsg) {
      kernelTime = .nanoseconds(stamp)
      return
    }
    let level = cmsg.pointee.cmsg_level, type = cmsg.pointee.cmsg_type
    guard let data = nt_cmsg_data(cmsg) else { return }
    let raw = UnsafeRawPointer(data)
    switch (level, type) {
    case (Int32(IPPROTO_IP), IP_TTL), (Int32(IPPROTO_IPV6), IPV6_HOPLIMIT):
      let value = raw.loadUnaligned(as: Int32.self)
      if (0...255).contains(value) { hopLimit = UInt8(value) }
    case (Int32(IPPROTO_IP), IP_RECVERR), (Int32(IPPROTO_IPV6), IPV6_RECVERR):
      let extended = UnsafeMutableRawPointer(data).assumingMemoryBound(to: sock_extended_err.self)
      let offender = nt_so_ee_offender(extended).flatMap { SocketAddress(storage: $0)?.address }
      report = ICMPReport(extendedError: extended.pointee, sender: offender)
    default:
      break
    }
  }
}

/// Who may open which ICMP socket, and the words for why not.
enum ICMPAccess {
  /// The CAP_NET_RAW bit in the capability sets (linux/capability.h).
  static let netRawBit = 13

  static func unavailable(asked method: ICMPMethod?, rawError: Errno?, datagramError: Errno?) -> ICMPUnavailable {
    // The group facts matter only when a datagram socket was tried; a raw-only caller (the error listener, once per
    // connect attempt) skips reading them.
    let range = method == .raw ? nil : pingGroupRange()
    let groups = method == .raw ? [] : processGroups()
    let capability = hasNetRawCapability()
    func denied(_ error: Errno?) -> Bool { error == .notPermitted || error == .permissionDenied }
    let groupText = groups.map(String.init).joined(separator: ", ")
    let rangeText = range.map { "net.ipv4.ping_group_range is \"\($0)\"" } ?? "net.ipv4.ping_group_range is unreadable"
    var reason: String
    switch method {
    case .raw?:
      reason = denied(rawError) ? "needs CAP_NET_RAW for a raw ICMP socket" : "could not open a raw ICMP socket"
    case .datagram?:
      reason = denied(datagramError)
        ? "needs a group in net.ipv4.ping_group_range for an ICMP datagram socket"
        : "could not open an ICMP datagram socket"
    case nil:
      reason = denied(rawError) && denied(datagramError)
        ? "needs CAP_NET_RAW or a group in net.ipv4.ping_group_range"
        : "could not open an ICMP socket"
    }
    var facts: [String] = []
    if let rawError { facts.append("raw socket: \(rawError.name)") }
    if let datagramError { facts.append("datagram socket: \(datagramError.name)") }
    if method != .raw { facts.append("\(rangeText), this process's groups: \(groupText)") }
    reason += " (" + facts.joined(separator: "; ") + ")"
    return ICMPUnavailable(reason: reason, rawError: rawError, datagramError: datagramError, pingGroupRange: range,
                           groups: groups, hasNetRawCapability: capability)
  }

  /// `net.ipv4.ping_group_range` of this thread's network namespace, e.g. "1\t0" made "1 0".
  static func pingGroupRange() -> String? {
    guard let text = readProcFile("/proc/sys/net/ipv4/ping_group_range") else { return nil }
    return text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).joined(separator: " ")
  }

  /// The effective group id first, then the supplementary groups. The corresponding C functions are `getegid(2)`
  /// and `getgroups(2)`.
  static func processGroups() -> [UInt32] {
    var groups = [getegid()]
    let count = getgroups(0, nil)
    if count > 0 {
      var list = [gid_t](repeating: 0, count: Int(count))
      let filled = getgroups(count, &list)
      if filled > 0 { groups += list.prefix(Int(filled)).filter { $0 != groups[0] } }
    }
    return groups
  }

  /// Whether CAP_NET_RAW is in the effective set, from the CapEff line of /proc/self/status.
  static func hasNetRawCapability() -> Bool? {
    guard let status = readProcFile("/proc/self/status"),
          let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
          let mask = UInt64(line.dropFirst("CapEff:".count).drop(while: { $0 == " " || $0 == "\t" }), radix: 16)
    else { return nil }
    return mask & (1 << UInt64(netRawBit)) != 0
  }

  /// A small /proc file's text; nil when it cannot be read. The corresponding C functions are `open(2)`, `read(2)`.
  private static func readProcFile(_ path: String) -> String? {
    let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { Glibc.close(descriptor) }
    var bytes: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while bytes.count < 1 << 20 {
      let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
      if count < 0, errno == EINTR { continue }
      guard count > 0 else { break }
      bytes += buffer.prefix(count)
    }
    return String(decoding: bytes, as: UTF8.self)
  }
}
