import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe
import TestSupport

@Suite struct SocketTableTests {
  // MARK: The real kernel

  @Test(arguments: ["127.0.0.1", "::1"])
  func listenerIsFoundWithItsBacklogThenItsAcceptQueue(host: String) throws {
    let listener = try SocketTestKit.Listener(address: IPAddress(host)!, backlog: 7)
    let filter = SocketFilter(listeningOnly: true, port: listener.port)

    // Another address may listen on the same port number: look at ours only.
    let empty = try SocketTable.read(filter: filter).rows.filter { $0.local == listener.socketAddress }
    let row = try #require(empty.first)
    #expect(empty.count == 1)
    #expect(row.state == .listen)
    #expect(row.local == SocketAddress(IPAddress(host)!, port: listener.port))
    #expect(row.peer == nil)
    #expect(row.backlog == 7)
    #expect(row.acceptQueue == 0)
    #expect(row.synReceived == 0)
    #expect(row.isAcceptQueueFull == false)
    #expect(row.inode != 0)
    #expect(row.uid == getuid())
    #expect(row.owners.contains { $0.pid == getpid() })

    let clients = try (0..<3).map { _ in try SocketTestKit.connect(to: listener.socketAddress) }
    defer { clients.forEach { close($0) } }
    let queued = try SocketTable.read(filter: filter).rows.first { $0.local == listener.socketAddress }
    #expect(queued?.acceptQueue == 3)
    #expect(queued?.backlog == 7)
  }

  @Test func filtersKeepWhatTheyName() throws {
    let listener = try SocketTestKit.Listener(address: .v4(127, 0, 0, 1), backlog: 7)
    let clients = try (0..<2).map { _ in try SocketTestKit.connect(to: listener.socketAddress) }
    defer { clients.forEach { close($0) } }

    // Other sockets may share the port number on another address: look at ours only.
    func ours(_ table: SocketTable) -> [SocketRow] {
      table.rows.filter { $0.local == listener.socketAddress || $0.peer == listener.socketAddress }
    }
    let byPort = try SocketTable.read(filter: SocketFilter(port: listener.port))
    #expect(byPort.rows.allSatisfy { $0.local.port == listener.port || $0.peer?.port == listener.port })
    // The listener, two clients, and the two server ends waiting in the accept queue.
    #expect(ours(byPort).count == 5)
    #expect(byPort.rows.first?.state == .listen, "listeners come first")

    let established = try SocketTable.read(filter: SocketFilter(port: listener.port, states: [.established]))
    #expect(ours(established).count == 4)
    #expect(established.rows.allSatisfy { $0.state == .established && $0.acceptQueue == nil && $0.backlog == nil })
    // Clients are held by our descriptors; the not-yet-accepted server ends by none (inode 0).
    let clientRows = established.rows.filter { $0.peer == listener.socketAddress }
    #expect(clientRows.count == 2)
    #expect(clientRows.allSatisfy { row in row.owners.contains { $0.pid == getpid() } })
    let waiting = established.rows.filter { $0.local == listener.socketAddress }
    #expect(waiting.count == 2 && waiting.allSatisfy { $0.inode == 0 && $0.awaitingAccept == true })
    #expect(clientRows.allSatisfy { $0.awaitingAccept == nil })

    let listening = try SocketTable.read(filter: SocketFilter(listeningOnly: true, port: listener.port))
    #expect(ours(listening).map(\.state) == [.listen])

    let none = try SocketTable.read(filter: SocketFilter(port: listener.port, states: [.finWait2]))
    #expect(none.rows.isEmpty)
    #expect((none.stateCounts["LISTEN"] ?? 0) >= 1, "state counts are taken before filtering")
  }

  @Test func detailsComeFromTCPInfo() throws {
    let listener = try SocketTestKit.Listener(address: .v4(127, 0, 0, 1), backlog: 7)
    let client = try SocketTestKit.connect(to: listener.socketAddress)
    defer { close(client) }
    let table = try SocketTable.read(filter: SocketFilter(port: listener.port, states: [.established]))
    let row = try #require(table.rows.first { $0.peer == listener.socketAddress })
    let details = try #require(row.details)
    #expect(details.bytesAcknowledged != nil && details.bytesReceived != nil, "Linux 4.1+ sends the byte counters")
    #expect(details.peerReceiveWindow.map { $0 > 0 } ?? true)
    #expect(row.cookie != 0)
  }

  // MARK: Decision logic on fixtures

  @Test func halfOpenHandshakesAreCountedPerListener() {
    func socket(_ state: UInt8, _ local: String, _ remote: String = "0.0.0.0:0") -> InetDiagSocket {
      InetDiagSocket(state: state, local: SocketAddress(parsing: local)!, remote: SocketAddress(parsing: remote)!,
                     receiveQueue: 0, sendQueue: state == 10 ? 128 : 0, uid: 0, inode: 0, cookie: 0)
    }
    let sockets = [
      socket(10, "0.0.0.0:80"),
      socket(10, "198.18.0.1:81"),
      socket(10, "[::]:82", "[::]:0"),
      socket(3, "198.18.0.1:80", "198.18.0.9:4000"),
      socket(12, "198.18.0.2:80", "198.18.0.9:4001"),  // TCP_NEW_SYN_RECV counts too
      socket(3, "198.18.0.1:81", "198.18.0.9:4002"),
      socket(3, "198.18.0.2:81", "198.18.0.9:4003"),   // another address: not the 198.18.0.1 listener's
      socket(3, "[::ffff:198.18.0.1]:82", "[::ffff:198.18.0.9]:4004"),
      socket(1, "198.18.0.1:80", "198.18.0.9:5000"),
    ]
    let table = SocketTable(sockets: sockets, filter: SocketFilter(listeningOnly: true), owners: nil)
    #expect(table.rows.map(\.local.port) == [80, 81, 82])
    #expect(table.rows.map(\.synReceived) == [2, 1, 1])
    #expect(table.stateCounts == ["LISTEN": 3, "SYN_RECV": 5, "ESTABLISHED": 1])
    #expect(table.owners.checked == false && table.owners.note == nil)
  }

  @Test(arguments: [
    ("0.0.0.0:80", "198.18.0.1:80", true),
    ("198.18.0.1:80", "198.18.0.1:80", true),
    ("198.18.0.1:80", "198.18.0.2:80", false),
    ("198.18.0.1:80", "198.18.0.1:81", false),
    ("[::]:80", "[fd00::1]:80", true),
    ("198.18.0.1:80", "[::ffff:198.18.0.1]:80", true),
    ("[fd00::1]:80", "[fd00::2]:80", false),
  ])
  func listenerCoversItsConnections(listener: String, local: String, expected: Bool) {
    #expect(SocketTable.listener(SocketAddress(parsing: listener)!, covers: SocketAddress(parsing: local)!) == expected)
  }

  @Test func ownerVisibilitySaysWhyProcessesAreMissing() {
    let owner = SocketOwner(pid: 42, name: "web")
    let row = InetDiagSocket(state: 10, local: SocketAddress(.v4(0, 0, 0, 0), port: 80), remote: SocketAddress(.v4(0, 0, 0, 0), port: 0),
                             receiveQueue: 0, sendQueue: 16, uid: 0, inode: 777, cookie: 1)
    let hidden = SocketTable(sockets: [row], filter: SocketFilter(),
                             owners: SocketOwnerScan(owners: [:], processesSeen: 10, processesNotReadable: 4))
    #expect(hidden.owners.socketsWithoutOwner == 1)
    #expect(hidden.owners.note?.contains("/proc hides the descriptors of 4 of 10 processes") == true)
    #expect(hidden.owners.note?.contains("run as root") == true)

    let gone = SocketTable(sockets: [row], filter: SocketFilter(), owners: SocketOwnerScan(owners: [:], processesSeen: 10))
    #expect(gone.owners.note?.contains("no process visible here holds it") == true)

    let found = SocketTable(sockets: [row], filter: SocketFilter(),
                            owners: SocketOwnerScan(owners: [777: [owner]], processesSeen: 10, processesNotReadable: 4))
    #expect(found.rows.first?.owners == [owner])
    #expect(found.owners.note == nil)
  }

  @Test(arguments: [
    ("ESTABLISHED", TCPState.established), ("established", .established), ("syn-recv", .synReceived),
    ("SYN_RECV", .synReceived), ("synrecv", .synReceived), ("syn_received", .synReceived), ("time-wait", .timeWait),
    ("fin-wait1", .finWait1), ("FIN_WAIT2", .finWait2), ("close", .closed), ("closed", .closed),
    ("close-wait", .closeWait), ("last_ack", .lastAck), ("Listen", .listen), ("closing", .closing), ("syn-sent", .synSent),
  ])
  func stateNamesParseAsUsersTypeThem(name: String, state: TCPState) {
    #expect(TCPState(name: name) == state)
  }

  @Test func unknownStateNamesAndNumbersAreRejected() {
    #expect(TCPState(name: "open") == nil)
    #expect(TCPState(name: "") == nil)
    #expect(TCPState(kernelValue: 0) == nil)
    #expect(TCPState(kernelValue: 13) == nil)
    #expect(TCPState.allCases.allSatisfy { TCPState(kernelValue: $0.kernelValue) == $0 })
  }

  // MARK: The netlink layouts

  @Test func dumpRequestIsAHeaderAndAnInetDiagRequest() {
    let request = SockDiag.dumpRequest(family: .ipv6, states: 1 << 10, withDetails: true, sequence: 0x0102_0304)
    #expect(request.count == 16 + 56)
    #expect(le32(request, 0) == 72)                            // nlmsg_len
    #expect(le16(request, 4) == 20)                            // SOCK_DIAG_BY_FAMILY
    #expect(le16(request, 6) == 0x301)                         // NLM_F_REQUEST | NLM_F_DUMP
    #expect(le32(request, 8) == 0x0102_0304)                   // nlmsg_seq
    #expect(request[16] == UInt8(AF_INET6))                    // sdiag_family
    #expect(request[17] == UInt8(IPPROTO_TCP))                 // sdiag_protocol
    #expect(request[18] == 1 << 1)                             // idiag_ext: INET_DIAG_INFO
    #expect(le32(request, 20) == 1 << 10)                      // idiag_states
    #expect(request[24...].allSatisfy { $0 == 0 })             // any address, any port
  }

  @Test func aHandBuiltDumpParses() throws {
    var info = [UInt8](repeating: 0, count: 232)
    put32(&info, 68, 1234)       // tcpi_rtt
    put32(&info, 100, 5)         // tcpi_total_retrans
    info[2] = 2                  // tcpi_retransmits
    put64(&info, 120, 9000)      // tcpi_bytes_acked
    put64(&info, 128, 7000)      // tcpi_bytes_received
    put32(&info, 228, 0)         // tcpi_snd_wnd
    let message = diagMessage(family: AF_INET, state: 1, source: [198, 18, 0, 1], sourcePort: 8080,
                              destination: [198, 18, 0, 2], destinationPort: 40000, receiveQueue: 10, sendQueue: 20,
                              uid: 1000, inode: 4242, cookie: (7, 1), attributes: [(2, info), (5, [1, 2, 3])])
    let datagram = netlink(type: 20, sequence: 9, message) + netlink(type: 3, sequence: 9, [0, 0, 0, 0])
    let chunk = try SockDiag.parseDump(datagram[...], sequence: 9)
    #expect(chunk.isDone)
    let socket = try #require(chunk.sockets.first)
    #expect(chunk.sockets.count == 1)
    #expect(socket.state == 1)
    #expect(socket.local == SocketAddress(parsing: "198.18.0.1:8080"))
    #expect(socket.remote == SocketAddress(parsing: "198.18.0.2:40000"))
    #expect(socket.receiveQueue == 10 && socket.sendQueue == 20)
    #expect(socket.uid == 1000 && socket.inode == 4242)
    #expect(socket.cookie == 1 << 32 | 7)
    #expect(socket.details?.rttMicroseconds == 1234)
    #expect(socket.details?.totalRetransmits == 5)
    #expect(socket.details?.retransmits == 2)
    #expect(socket.details?.bytesAcknowledged == 9000)
    #expect(socket.details?.bytesReceived == 7000)
    #expect(socket.details?.peerReceiveWindow == 0)

    // An older kernel's shorter tcp_info: the newer fields are absent, not garbage.
    let short = diagMessage(family: AF_INET6, state: 10, source: [UInt8](repeating: 0, count: 15) + [1], sourcePort: 80,
                            destination: [UInt8](repeating: 0, count: 16), destinationPort: 0, receiveQueue: 0, sendQueue: 7,
                            uid: 0, inode: 1, cookie: (0, 0), attributes: [(2, [UInt8](repeating: 0, count: 104))])
    let older = try SockDiag.parseDump(netlink(type: 20, sequence: 9, short)[...], sequence: 9)
    #expect(older.isDone == false)
    #expect(older.sockets.first?.local == SocketAddress(parsing: "[::1]:80"))
    #expect(older.sockets.first?.details?.bytesAcknowledged == nil)
    #expect(older.sockets.first?.details?.peerReceiveWindow == nil)
  }

  @Test func malformedDumpsThrowAndNeverCrash() throws {
    let good = diagMessage(family: AF_INET, state: 1, source: [127, 0, 0, 1], sourcePort: 1, destination: [127, 0, 0, 1],
                           destinationPort: 2, receiveQueue: 0, sendQueue: 0, uid: 0, inode: 0, cookie: (0, 0), attributes: [])
    var overrun = netlink(type: 20, sequence: 1, good)
    put32(&overrun, 0, UInt32(overrun.count + 4))
    let tooShort = netlink(type: 20, sequence: 1, Array(good.prefix(40)))
    let badAttribute = netlink(type: 20, sequence: 1, good + [200, 0, 2, 0])
    var tinyLength = netlink(type: 20, sequence: 1, good)
    put32(&tinyLength, 0, 8)
    var badFamily = netlink(type: 20, sequence: 1, good)
    badFamily[16] = 99
    for bytes in [overrun, tooShort, badAttribute, tinyLength, badFamily] {
      #expect(throws: SocketProbeError.self) { try SockDiag.parseDump(bytes[...], sequence: 1) }
    }

    // Every prefix of a valid datagram either parses or throws.
    let datagram = netlink(type: 20, sequence: 1, good) + netlink(type: 3, sequence: 1, [0, 0, 0, 0])
    for length in 0...datagram.count {
      _ = try? SockDiag.parseDump(datagram[0..<length], sequence: 1)
    }

    // NLMSG_ERROR carries a negative errno; another sequence's messages are skipped.
    let refused = netlink(type: 2, sequence: 1, [0xff, 0xff, 0xff, 0xff] + [UInt8](repeating: 0, count: 16))  // -1: EPERM
    #expect(throws: SocketProbeError.system(SystemCallError(call: "SOCK_DIAG_BY_FAMILY", errno: .notPermitted))) {
      try SockDiag.parseDump(refused[...], sequence: 1)
    }
    let stranger = try SockDiag.parseDump((netlink(type: 20, sequence: 2, good) + netlink(type: 3, sequence: 2, [0, 0, 0, 0]))[...], sequence: 1)
    #expect(stranger == SockDiag.DumpChunk())
  }
}

// MARK: - Helpers

/// Raw-socket setup the socket-table tests share.
enum SocketTestKit {
  /// A listener on loopback, port 0, that never accepts: connections stay in its accept queue.
  final class Listener {
    let descriptor: Int32
    let port: UInt16
    let address: IPAddress

    init(address: IPAddress, backlog: Int32, receiveBuffer: Int32? = nil) throws {
      let fd = socket(address.family.constant, Int32(SOCK_STREAM.rawValue), 0)
      if var size = receiveBuffer {
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
      }
      let bound = withSockAddr(SocketAddress(address, port: 0)) { bind(fd, $0, $1) }
      guard bound == 0, listen(fd, backlog) == 0 else {
        let error = Errno.current
        close(fd)
        throw error
      }
      descriptor = fd
      port = LoopbackTCPListener.boundPort(fd)
      self.address = address
    }

    var socketAddress: SocketAddress { SocketAddress(address, port: port) }

    deinit { close(descriptor) }
  }

  /// A blocking connect on loopback: the kernel completes the handshake without the listener accepting.
  static func connect(to address: SocketAddress, sendBuffer: Int32? = nil) throws -> Int32 {
    let descriptor = socket(address.family.constant, Int32(SOCK_STREAM.rawValue), 0)
    if var size = sendBuffer {
      setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }
    guard withSockAddr(address, { Glibc.connect(descriptor, $0, $1) }) == 0 else {
      let error = Errno.current
      close(descriptor)
      throw error
    }
    return descriptor
  }
}

private func le16(_ bytes: [UInt8], _ offset: Int) -> UInt16 { UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8 }
private func le32(_ bytes: [UInt8], _ offset: Int) -> UInt32 {
  (0..<4).reduce(0) { $0 | UInt32(bytes[offset + $1]) << (8 * UInt32($1)) }
}
private func put16(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt16) {
  for index in 0..<2 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt16(index))) }
}
private func put32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
  for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
}
private func put64(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt64) {
  for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
}

/// A netlink message: the 16-byte header, the payload, padding to 4 bytes.
private func netlink(type: UInt16, sequence: UInt32, _ payload: [UInt8]) -> [UInt8] {
  var message = [UInt8](repeating: 0, count: 16) + payload
  put32(&message, 0, UInt32(message.count))
  put16(&message, 4, type)
  put16(&message, 6, 2)  // NLM_F_MULTI
  put32(&message, 8, sequence)
  while message.count % 4 != 0 { message.append(0) }
  return message
}

/// An `inet_diag_msg` laid out by hand from `<linux/inet_diag.h>` (72 bytes), then its attributes.
private func diagMessage(family: Int32, state: UInt8, source: [UInt8], sourcePort: UInt16, destination: [UInt8],
                         destinationPort: UInt16, receiveQueue: UInt32, sendQueue: UInt32, uid: UInt32, inode: UInt32,
                         cookie: (UInt32, UInt32), attributes: [(UInt16, [UInt8])]) -> [UInt8] {
  var message = [UInt8](repeating: 0, count: 72)
  message[0] = UInt8(family)
  message[1] = state
  message[4] = UInt8(sourcePort >> 8); message[5] = UInt8(sourcePort & 0xff)            // idiag_sport, big-endian
  message[6] = UInt8(destinationPort >> 8); message[7] = UInt8(destinationPort & 0xff)  // idiag_dport
  message.replaceSubrange(8..<(8 + source.count), with: source)                         // idiag_src
  message.replaceSubrange(24..<(24 + destination.count), with: destination)             // idiag_dst
  put32(&message, 44, cookie.0)
  put32(&message, 48, cookie.1)
  put32(&message, 56, receiveQueue)
  put32(&message, 60, sendQueue)
  put32(&message, 64, uid)
  put32(&message, 68, inode)
  for (type, data) in attributes {
    var attribute = [UInt8](repeating: 0, count: 4) + data
    put16(&attribute, 0, UInt16(attribute.count))
    put16(&attribute, 2, type)
    while attribute.count % 4 != 0 { attribute.append(0) }
    message += attribute
  }
  return message
}
