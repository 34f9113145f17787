import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// One TCP socket as a NETLINK_SOCK_DIAG dump reports it: an `inet_diag_msg` and its `tcp_info`, as plain values.
struct InetDiagSocket: Hashable, Sendable {
  /// The kernel's `idiag_state` (`TCP_ESTABLISHED` = 1 ... `TCP_NEW_SYN_RECV` = 12).
  var state: UInt8
  var local: SocketAddress
  var remote: SocketAddress
  /// `idiag_rqueue`: unread bytes; for a listener the accept queue length.
  var receiveQueue: UInt32
  /// `idiag_wqueue`: unacknowledged bytes; for a listener the backlog.
  var sendQueue: UInt32
  var uid: UInt32
  /// The socket's inode (0 for TIME_WAIT and request sockets, which no descriptor holds).
  var inode: UInt32
  /// The kernel's socket cookie: stays the same for the socket's life, so two dumps can be matched.
  var cookie: UInt64
  /// From the INET_DIAG_INFO attribute, when asked for and sent.
  var details: TCPConnectionDetails?
}

/// A NETLINK_SOCK_DIAG client for TCP sockets (`inet_diag`): the only place that knows the layouts of
/// `inet_diag_req_v2`, `inet_diag_msg` and `tcp_info`.
///
/// It keeps its own small receive loop on purpose, so it depends on no other netlink code.
enum SockDiag {
  /// Every TCP state the kernel knows (bits 1...12 of `idiag_states`).
  static let allStates: UInt32 = 0x1FFE

  /// Dumps the TCP sockets of one family in the states whose bits are set (`1 << TCP_STATE`).
  ///
  /// The corresponding kernel request is `SOCK_DIAG_BY_FAMILY` with `inet_diag_req_v2`, `NLM_F_DUMP`.
  static func dumpTCP(family: AddressFamily, states: UInt32 = allStates, withDetails: Bool = true,
                      timeout: Duration = .seconds(5)) throws(SocketProbeError) -> [InetDiagSocket] {
    let socket: Socket
    do {
      socket = try Socket(domain: AF_NETLINK, type: Int32(SOCK_RAW.rawValue), protocol: NETLINK_SOCK_DIAG)
    } catch {
      throw .system(SystemCallError(call: "socket(AF_NETLINK, NETLINK_SOCK_DIAG)", errno: error.errno))
    }
    defer { socket.close() }
    let sequence = UInt32.random(in: 1...UInt32.max)
    let request = dumpRequest(family: family, states: states, withDetails: withDetails, sequence: sequence)
    let sent = request.withUnsafeBytes { bytes in
      var kernel = sockaddr_nl()
      kernel.nl_family = sa_family_t(AF_NETLINK)
      return withUnsafePointer(to: &kernel) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
          syscallResult { sendto(socket.descriptor, bytes.baseAddress, bytes.count, 0, address, socklen_t(MemoryLayout<sockaddr_nl>.size)) }
        }
      }
    }
    if case let .failure(error) = sent { throw .system(SystemCallError(call: "sendto(NETLINK_SOCK_DIAG)", errno: error)) }

    let deadline = ContinuousClock.now + timeout
    var sockets: [InetDiagSocket] = []
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
      switch socket.wait(for: Int16(POLLIN), until: deadline, cancellation: nil) {
      case .ready: break
      case .deadline, .cancelled: throw .timedOut
      case let .failed(error): throw .system(SystemCallError(call: "poll(NETLINK_SOCK_DIAG)", errno: error))
      }
      // MSG_TRUNC makes recv return the datagram's real length, so a cut-off reply is noticed, never parsed.
      let received = buffer.withUnsafeMutableBytes { raw in
        syscallResult { recv(socket.descriptor, raw.baseAddress, raw.count, Int32(MSG_DONTWAIT) | Int32(MSG_TRUNC)) }
      }
      let length: Int
      switch received {
      case let .success(count): length = count
      case let .failure(error) where error == .wouldBlock: continue
      case let .failure(error): throw .system(SystemCallError(call: "recv(NETLINK_SOCK_DIAG)", errno: error))
      }
      guard length <= buffer.count else { throw .malformedReply("a \(length)-byte netlink message did not fit the buffer") }
      let chunk = try parseDump(buffer[0..<length], sequence: sequence)
      sockets += chunk.sockets
      if chunk.isDone { return sockets }
    }
  }

  /// TCP sockets of both families in the given states; a kernel without IPv6 diag support gives only IPv4.
  static func dumpTCPBothFamilies(states: UInt32) throws(SocketProbeError) -> [InetDiagSocket] {
    var sockets = try dumpTCP(family: .ipv4, states: states)
    do {
      sockets += try dumpTCP(family: .ipv6, states: states)
    } catch let .system(error) where [ENOENT, EINVAL, EAFNOSUPPORT].contains(error.errno.code) {
      // No IPv6 (or no inet6 diag module): there are no IPv6 sockets to show.
    }
    return sockets
  }

  /// The request: `nlmsghdr` then `inet_diag_req_v2` for TCP, every address and port.
  static func dumpRequest(family: AddressFamily, states: UInt32, withDetails: Bool, sequence: UInt32) -> [UInt8] {
    var body = inet_diag_req_v2()
    body.sdiag_family = UInt8(family.cValue)
    body.sdiag_protocol = UInt8(IPPROTO_TCP)
    body.idiag_ext = withDetails ? UInt8(1 << (INET_DIAG_INFO - 1)) : 0
    body.idiag_states = states
    var header = nlmsghdr()
    header.nlmsg_len = UInt32(MemoryLayout<nlmsghdr>.size + MemoryLayout<inet_diag_req_v2>.size)
    header.nlmsg_type = UInt16(SOCK_DIAG_BY_FAMILY)
    header.nlmsg_flags = UInt16(NLM_F_REQUEST | NLM_F_DUMP)
    header.nlmsg_seq = sequence
    header.nlmsg_pid = 0
    return withUnsafeBytes(of: header) { Array($0) } + withUnsafeBytes(of: body) { Array($0) }
  }

  /// What one received datagram held.
  struct DumpChunk: Equatable {
    var sockets: [InetDiagSocket] = []
    /// NLMSG_DONE came: the dump is complete.
    var isDone = false
  }

  /// Parses one datagram of a dump, checking every length against the bytes present.
  ///
  /// Messages of another sequence are skipped; an `NLMSG_ERROR` (or a DONE carrying an error) throws.
  static func parseDump(_ bytes: ArraySlice<UInt8>, sequence: UInt32) throws(SocketProbeError) -> DumpChunk {
    let data = SockDiagBytes(Array(bytes))
    let headerSize = MemoryLayout<nlmsghdr>.size
    var chunk = DumpChunk()
    var offset = 0
    while offset + headerSize <= data.count {
      let length = Int(data.uint32(at: offset))
      let type = data.uint16(at: offset + 4)
      let messageSequence = data.uint32(at: offset + 8)
      guard length >= headerSize, offset + length <= data.count else {
        throw .malformedReply("netlink message length \(length) at offset \(offset) overruns the \(data.count) bytes received")
      }
      let payload = offset + Int(nt_nlmsg_align(UInt32(headerSize)))
      let payloadEnd = offset + length
      if messageSequence == sequence {
        switch Int32(type) {
        case NLMSG_DONE:
          // A dump that failed part-way ends with DONE carrying a negative errno.
          if payloadEnd - payload >= 4, case let code = Int32(bitPattern: data.uint32(at: payload)), code < 0 {
            throw .system(SystemCallError(call: "SOCK_DIAG_BY_FAMILY dump", errno: Errno(-code)))
          }
          chunk.isDone = true
          return chunk
        case NLMSG_ERROR:
          guard payloadEnd - payload >= 4 else { throw .malformedReply("NLMSG_ERROR without its error number") }
          let code = Int32(bitPattern: data.uint32(at: payload))
          if code == 0 { break }  // an acknowledgement
          throw .system(SystemCallError(call: "SOCK_DIAG_BY_FAMILY", errno: Errno(-code)))
        case Int32(SOCK_DIAG_BY_FAMILY):
          chunk.sockets.append(try parseSocket(data, from: payload, to: payloadEnd))
        default:
          break  // NLMSG_NOOP, NLMSG_OVERRUN and anything newer: nothing to read
        }
      }
      offset += max(Int(nt_nlmsg_align(UInt32(length))), headerSize)
    }
    return chunk
  }

  /// Reads one `inet_diag_msg` and its attributes from `start..<end`.
  static func parseSocket(_ data: SockDiagBytes, from start: Int, to end: Int) throws(SocketProbeError) -> InetDiagSocket {
    let messageSize = MemoryLayout<inet_diag_msg>.size
    guard end - start >= messageSize else {
      throw .malformedReply("inet_diag_msg of \(end - start) bytes, \(messageSize) needed")
    }
    let message = data.load(inet_diag_msg.self, at: start)
    let family: AddressFamily
    switch Int32(message.idiag_family) {
    case AF_INET: family = .ipv4
    case AF_INET6: family = .ipv6
    default: throw .malformedReply("inet_diag_msg of address family \(message.idiag_family)")
    }
    let id = message.id
    let local = endpoint(family: family, words: id.idiag_src, port: id.idiag_sport, interface: id.idiag_if)
    let remote = endpoint(family: family, words: id.idiag_dst, port: id.idiag_dport, interface: id.idiag_if)
    var socket = InetDiagSocket(
      state: message.idiag_state, local: local, remote: remote,
      receiveQueue: message.idiag_rqueue, sendQueue: message.idiag_wqueue,
      uid: message.idiag_uid, inode: message.idiag_inode,
      cookie: UInt64(id.idiag_cookie.1) << 32 | UInt64(id.idiag_cookie.0))

    // Attributes: `rtattr` (length, type) then data, each padded to 4 bytes.
    var offset = start + Int(nt_nlmsg_align(UInt32(messageSize)))
    while offset + 4 <= end {
      let attributeLength = Int(data.uint16(at: offset))
      let attributeType = data.uint16(at: offset + 2)
      guard attributeLength >= 4, offset + attributeLength <= end else {
        throw .malformedReply("attribute length \(attributeLength) overruns its inet_diag message")
      }
      if attributeType == UInt16(INET_DIAG_INFO) {
        socket.details = tcpInfo(data, from: offset + 4, to: offset + attributeLength)
      }
      offset += Int(nt_rta_align(UInt32(attributeLength)))
    }
    return socket
  }

  private static func endpoint(family: AddressFamily, words: (UInt32, UInt32, UInt32, UInt32), port: UInt16,
                               interface: UInt32) -> SocketAddress {
    let bytes = withUnsafeBytes(of: words) { Array($0) }  // already in network order
    let address: IPAddress = family == .ipv4 ? .v4(bytes[0], bytes[1], bytes[2], bytes[3]) : .v6(bytes)
    return SocketAddress(address, port: UInt16(bigEndian: port), scopeID: address.isLinkLocal && family == .ipv6 ? interface : 0)
  }

  /// Reads the `tcp_info` fields we use by their offsets in `<linux/tcp.h>`. The struct only grows at its
  /// end, so an older kernel sends a shorter one: each field past the first 104 bytes is read only when present.
  static func tcpInfo(_ data: SockDiagBytes, from start: Int, to end: Int) -> TCPConnectionDetails? {
    let size = end - start
    guard size >= 104 else { return nil }  // everything up to tcpi_total_retrans
    func u8(_ offset: Int) -> UInt8 { data.uint8(at: start + offset) }
    func u32(_ offset: Int) -> UInt32 { data.uint32(at: start + offset) }
    func u32IfSent(_ offset: Int) -> UInt32? { offset + 4 <= size ? u32(offset) : nil }
    func u64IfSent(_ offset: Int) -> UInt64? { offset + 8 <= size ? data.uint64(at: start + offset) : nil }
    return TCPConnectionDetails(
      rttMicroseconds: u32(68),               // tcpi_rtt
      rttVarianceMicroseconds: u32(72),       // tcpi_rttvar
      retransmitTimeoutMicroseconds: u32(8),  // tcpi_rto
      retransmits: u8(2),                     // tcpi_retransmits: timeouts in a row, now
      totalRetransmits: u32(100),             // tcpi_total_retrans
      zeroWindowProbes: u8(3),                // tcpi_probes
      backoff: u8(4),                         // tcpi_backoff
      unacknowledgedSegments: u32(24),        // tcpi_unacked
      lostSegments: u32(32),                  // tcpi_lost
      lastDataSentMilliseconds: u32(44),      // tcpi_last_data_sent
      lastDataReceivedMilliseconds: u32(52),  // tcpi_last_data_recv
      lastAckReceivedMilliseconds: u32(56),   // tcpi_last_ack_recv
      bytesAcknowledged: u64IfSent(120),      // tcpi_bytes_acked (Linux 4.1)
      bytesReceived: u64IfSent(128),          // tcpi_bytes_received (Linux 4.1)
      notSentBytes: u32IfSent(144),           // tcpi_notsent_bytes (Linux 4.6)
      peerReceiveWindow: u32IfSent(228))      // tcpi_snd_wnd (Linux 5.19)
  }
}

/// Bounds-checked little reads from a received buffer; every caller checks the range first, the reads check again.
struct SockDiagBytes {
  private let bytes: [UInt8]

  init(_ bytes: [UInt8]) { self.bytes = bytes }

  var count: Int { bytes.count }

  func uint8(at offset: Int) -> UInt8 { bytes[offset] }
  func uint16(at offset: Int) -> UInt16 { load(UInt16.self, at: offset) }
  func uint32(at offset: Int) -> UInt32 { load(UInt32.self, at: offset) }
  func uint64(at offset: Int) -> UInt64 { load(UInt64.self, at: offset) }

  /// Copies a C struct (host byte order) out of the buffer; traps when it would read past the end.
  func load<T>(_ type: T.Type, at offset: Int) -> T {
    precondition(offset >= 0 && offset + MemoryLayout<T>.size <= bytes.count, "read past the end of a netlink buffer")
    return bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: offset, as: T.self) }
  }
}

// MARK: - /proc reads for the socket table

/// The /proc reads the socket table, its counters and sysctls need. They live here because NetProbe/System is
/// the only place that calls libc.
enum SocketProcFiles {
  /// The whole text of a /proc or /sys file (their size reads as 0, so read until EOF).
  static func read(_ path: String) -> Result<String, SystemCallError> {
    FileAccess.readText(path, limit: 16 << 20)
  }

  /// The names in a directory, without `.` and `..`. The corresponding C functions are `opendir(3)`, `readdir(3)`.
  static func entries(of path: String) -> Result<[String], Errno> {
    guard let directory = opendir(path) else { return .failure(.current) }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
      let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
        String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
      }
      if name != "." && name != ".." { names.append(name) }
    }
    return .success(names)
  }

  /// The inode in a descriptor link `socket:[12345]`; nil for anything else. The corresponding C function is
  /// `readlink(2)`.
  static func socketInode(ofLink path: String) -> UInt32? {
    var buffer = [CChar](repeating: 0, count: 64)  // a socket link is at most 19 bytes; longer ones are files
    let length = readlink(path, &buffer, buffer.count - 1)
    guard length > 0 else { return nil }
    let text = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    guard text.hasPrefix("socket:["), text.hasSuffix("]") else { return nil }
    return UInt32(text.dropFirst(8).dropLast())
  }

  /// Which processes hold which socket inodes, from the `/proc/[pid]/fd/*` links this user may read.
  static func socketOwners() -> SocketOwnerScan {
    var scan = SocketOwnerScan()
    guard case let .success(names) = entries(of: "/proc") else { return scan }
    for name in names {
      guard let pid = Int32(name), pid > 0 else { continue }
      scan.processesSeen += 1
      switch entries(of: "/proc/\(pid)/fd") {
      case let .success(descriptors):
        var command: String?  // read once, and only for a process that holds a socket
        for descriptor in descriptors {
          guard let inode = socketInode(ofLink: "/proc/\(pid)/fd/\(descriptor)") else { continue }
          if command == nil { command = (try? read("/proc/\(pid)/comm").get())?.trimmingNewline ?? "?" }
          let owner = SocketOwner(pid: pid, name: command ?? "?")
          if scan.owners[inode, default: []].contains(owner) == false { scan.owners[inode, default: []].append(owner) }
        }
      case let .failure(error) where error == .permissionDenied || error == .notPermitted:
        scan.processesNotReadable += 1
      case .failure:
        break  // the process ended while we looked
      }
    }
    return scan
  }
}

/// The result of walking `/proc/[pid]/fd`.
struct SocketOwnerScan {
  var owners: [UInt32: [SocketOwner]] = [:]
  var processesSeen = 0
  /// Processes whose descriptors this user may not read (other users' processes, unless root).
  var processesNotReadable = 0
}

extension String {
  fileprivate var trimmingNewline: String {
    var text = self
    while text.last == "\n" { text.removeLast() }
    return text
  }
}
