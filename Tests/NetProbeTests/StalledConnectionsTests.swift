import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe
import TestSupport

@Suite struct StalledConnectionsTests {
  // MARK: The real kernel

  @Test(arguments: ["127.0.0.1", "::1"])
  func aReceiverThatNeverReadsStallsBothEnds(host: String) async throws {
    let pair = try SocketTestKit.StalledPair(address: IPAddress(host)!)
    let report = try await StalledConnections.find(interval: .milliseconds(500), filter: SocketFilter(port: pair.port))
    #expect(report.connectionsCompared >= 2)
    #expect(report.intervalSeconds >= 0.4)

    let sender = try #require(report.stalled.first { $0.connection.local == pair.senderAddress })
    #expect(sender.stuckQueues.map(\.side) == [.send])
    #expect(sender.stuckQueues.first.map { $0.bytesBefore > 0 && $0.bytesAfter > 0 } == true)
    // Linux 5.19+ reports the peer's window: zero, because the receiver does not read.
    #expect(sender.stuckQueues.first?.cause == .peerWindowClosed)
    #expect(sender.connection.owners.contains { $0.pid == getpid() })

    let receiver = try #require(report.stalled.first { $0.connection.peer == pair.senderAddress })
    #expect(receiver.stuckQueues.map(\.side) == [.receive])
    #expect(receiver.stuckQueues.first?.cause == .localApplicationNotReading)
    #expect(receiver.connection.owners.contains { $0.pid == getpid() })
    #expect(report.stalled.count == 2)
  }

  @Test func aConnectionLeftInTheAcceptQueueIsNotAccepted() async throws {
    let listener = try SocketTestKit.Listener(address: .v4(127, 0, 0, 1), backlog: 4, receiveBuffer: 4096)
    let sender = try SocketTestKit.connect(to: listener.socketAddress)
    defer { close(sender) }
    let chunk = [UInt8](repeating: 0x61, count: 1000)
    #expect(send(sender, chunk, chunk.count, Int32(MSG_NOSIGNAL)) == 1000)
    let report = try await StalledConnections.find(interval: .milliseconds(300), filter: SocketFilter(port: listener.port))
    let waiting = try #require(report.stalled.first { $0.connection.local == listener.socketAddress })
    #expect(waiting.connection.awaitingAccept == true)
    #expect(waiting.stuckQueues.map(\.cause) == [.notAccepted])
    #expect(report.stalled.count == 1, "the sender's data was acknowledged: its send queue is empty")
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func oneSampleShowsTheConnectionsToAServerHeldUp(host: String) async throws {
    let pair = try SocketTestKit.StalledPair(address: IPAddress(host)!)
    let server = pair.listener.socketAddress
    // The persist timer backs off once the receiver answered a window probe with a zero window (after an RTO, at
    // least 200 ms): until then one sample cannot tell a closed window from a busy one.
    var found = try StalledConnections.toPeers([server])
    let deadline = ContinuousClock.now + .seconds(5)
    while found.stuck.isEmpty, ContinuousClock.now < deadline {
      try await Task.sleep(for: .milliseconds(100))
      found = try StalledConnections.toPeers([server])
    }
    #expect(found.open == 1)  // the sender's end; the receiver's end has the sender, not the server, as its peer
    let stuck = try #require(found.stuck.first, "no held-up connection to \(server)")
    #expect(stuck.connection.local == pair.senderAddress)
    #expect(stuck.stuckQueues.map(\.cause) == [.peerWindowClosed])
    #expect(stuck.connection.owners.contains { $0.pid == getpid() })
    // Another port of the same host is another server.
    #expect(try StalledConnections.toPeers([SocketAddress(server.address, port: server.port &+ 1)]).open == 0)
  }

  @Test func anIdleConnectionIsNotStalled() async throws {
    let listener = try SocketTestKit.Listener(address: .v4(127, 0, 0, 1), backlog: 4)
    let client = try SocketTestKit.connect(to: listener.socketAddress)
    defer { close(client) }
    let report = try await StalledConnections.find(interval: .milliseconds(200), filter: SocketFilter(port: listener.port))
    #expect(report.connectionsCompared >= 2)
    #expect(report.stalled.isEmpty)
  }

  // MARK: Decision logic on fixtures

  static let local = SocketAddress(.v4(198, 18, 0, 1), port: 40000)
  static let peer = SocketAddress(.v4(198, 18, 0, 2), port: 443)

  static func row(receive: UInt32, send: UInt32, details: TCPConnectionDetails? = nil, state: TCPState = .established,
                  cookie: UInt64 = 1, awaiting: Bool = false) -> SocketRow {
    var row = SocketRow(state: state, local: local, peer: peer, receiveQueue: receive, sendQueue: send, inode: awaiting ? 0 : 5,
                        cookie: cookie, details: details)
    if awaiting { row.awaitingAccept = true }
    return row
  }

  static func info(acked: UInt64? = nil, received: UInt64? = nil, window: UInt32? = nil, retransmits: UInt8 = 0,
                   probes: UInt8 = 0) -> TCPConnectionDetails {
    TCPConnectionDetails(retransmits: retransmits, zeroWindowProbes: probes, bytesAcknowledged: acked, bytesReceived: received,
                         peerReceiveWindow: window)
  }

  struct Case: Sendable, CustomTestStringConvertible {
    let name: String
    let before: SocketRow
    let after: SocketRow
    let expected: [StuckQueue.Side: StuckQueue.Cause]
    var testDescription: String { name }
  }

  static let cases: [Case] = [
    Case(name: "send queue stuck, zero window", before: row(receive: 0, send: 9000, details: info(acked: 100, window: 0)),
         after: row(receive: 0, send: 9000, details: info(acked: 100, window: 0)), expected: [.send: .peerWindowClosed]),
    Case(name: "send queue stuck, retransmitting", before: row(receive: 0, send: 500, details: info(acked: 100, window: 65535)),
         after: row(receive: 0, send: 500, details: info(acked: 100, window: 65535, retransmits: 3)), expected: [.send: .retransmitting]),
    Case(name: "send queue stuck, zero-window probes on an older kernel", before: row(receive: 0, send: 500, details: info(acked: 100)),
         after: row(receive: 0, send: 500, details: info(acked: 100, probes: 2)), expected: [.send: .peerWindowClosed]),
    Case(name: "send queue stuck, no tcp_info", before: row(receive: 0, send: 500), after: row(receive: 0, send: 600),
         expected: [.send: .peerNotAcknowledging]),
    Case(name: "send queue drains: bytes acknowledged", before: row(receive: 0, send: 500, details: info(acked: 100, window: 0)),
         after: row(receive: 0, send: 900, details: info(acked: 700, window: 0)), expected: [:]),
    Case(name: "send queue shrinks without tcp_info", before: row(receive: 0, send: 500), after: row(receive: 0, send: 100), expected: [:]),
    Case(name: "send queue empty at first", before: row(receive: 0, send: 0), after: row(receive: 0, send: 500), expected: [:]),
    Case(name: "send queue empty at last", before: row(receive: 0, send: 500), after: row(receive: 0, send: 0), expected: [:]),
    Case(name: "receive queue stuck", before: row(receive: 4096, send: 0, details: info(received: 10000)),
         after: row(receive: 4096, send: 0, details: info(received: 10000)), expected: [.receive: .localApplicationNotReading]),
    Case(name: "receive queue busy: the application reads as data arrives", before: row(receive: 4096, send: 0, details: info(received: 10000)),
         after: row(receive: 4096, send: 0, details: info(received: 20000)), expected: [:]),
    Case(name: "receive queue grows while the application reads nothing", before: row(receive: 4096, send: 0, details: info(received: 10000)),
         after: row(receive: 8192, send: 0, details: info(received: 14096)), expected: [.receive: .localApplicationNotReading]),
    Case(name: "receive queue stuck in a connection not accepted yet", before: row(receive: 10, send: 0, awaiting: true),
         after: row(receive: 10, send: 0, awaiting: true), expected: [.receive: .notAccepted]),
    Case(name: "receive queue stuck without tcp_info", before: row(receive: 10, send: 0), after: row(receive: 10, send: 0),
         expected: [.receive: .localApplicationNotReading]),
    Case(name: "both sides stuck", before: row(receive: 10, send: 20), after: row(receive: 10, send: 20),
         expected: [.send: .peerNotAcknowledging, .receive: .localApplicationNotReading]),
    Case(name: "another connection (cookie)", before: row(receive: 10, send: 20, cookie: 2), after: row(receive: 10, send: 20),
         expected: [:]),
    Case(name: "no longer established", before: row(receive: 10, send: 20), after: row(receive: 10, send: 20, state: .closeWait),
         expected: [:]),
  ]

  @Test(arguments: cases)
  func queuesThatDoNotDrainAreStalled(_ testCase: Case) {
    let stalled = StalledConnections.compare(before: [testCase.before], after: [testCase.after])
    let found = Dictionary(uniqueKeysWithValues: stalled.flatMap(\.stuckQueues).map { ($0.side, $0.cause) })
    #expect(found == testCase.expected)
    #expect(stalled.count == (testCase.expected.isEmpty ? 0 : 1))
  }

  struct NowCase: Sendable, CustomTestStringConvertible {
    let name: String
    let row: SocketRow
    let expected: [StuckQueue.Cause]
    var testDescription: String { name }
  }

  static func details(window: UInt32? = nil, retransmits: UInt8 = 0, probes: UInt8 = 0, backoff: UInt8 = 0,
                      lastReceived: UInt32 = 0) -> TCPConnectionDetails {
    TCPConnectionDetails(retransmits: retransmits, zeroWindowProbes: probes, backoff: backoff,
                         lastDataReceivedMilliseconds: lastReceived, peerReceiveWindow: window)
  }

  static let nowCases: [NowCase] = [
    NowCase(name: "zero window, persist timer backed off", row: row(receive: 0, send: 9000, details: details(window: 0, backoff: 3)),
            expected: [.peerWindowClosed]),
    NowCase(name: "zero window for a moment (no backoff yet)", row: row(receive: 0, send: 9000, details: details(window: 0)),
            expected: []),
    NowCase(name: "older kernel: backoff without retransmits is the persist timer", row: row(receive: 0, send: 500, details: details(backoff: 2)),
            expected: [.peerWindowClosed]),
    NowCase(name: "zero-window probes unanswered", row: row(receive: 0, send: 500, details: details(window: 0, probes: 2)),
            expected: [.peerWindowClosed]),
    NowCase(name: "retransmission timeouts in a row", row: row(receive: 0, send: 500, details: details(window: 65535, retransmits: 2, backoff: 2)),
            expected: [.retransmitting]),
    NowCase(name: "backoff with an open window is not the persist timer", row: row(receive: 0, send: 500, details: details(window: 65535, backoff: 1)),
            expected: []),
    NowCase(name: "data in flight, nothing wrong", row: row(receive: 0, send: 500, details: details(window: 65535)), expected: []),
    NowCase(name: "received data unread for 5 s", row: row(receive: 100, send: 0, details: details(lastReceived: 5_000)),
            expected: [.localApplicationNotReading]),
    NowCase(name: "received data that just arrived", row: row(receive: 100, send: 0, details: details(lastReceived: 10)), expected: []),
    NowCase(name: "not accepted yet (the listener's side)", row: row(receive: 100, send: 0, details: details(lastReceived: 5_000), awaiting: true),
            expected: []),
    NowCase(name: "no tcp_info: one sample tells nothing", row: row(receive: 100, send: 500), expected: []),
    NowCase(name: "closing", row: row(receive: 0, send: 9000, details: details(window: 0, backoff: 3), state: .finWait1), expected: []),
  ]

  @Test(arguments: nowCases)
  func oneSampleFindsOnlyQueuesTheKernelSaysAreHeldUp(_ testCase: NowCase) {
    #expect(StalledConnections.stuckNow(testCase.row).map(\.cause) == testCase.expected)
  }

  @Test func causesExplainWhichSideIsStuck() {
    #expect(StuckQueue.Cause.localApplicationNotReading.explanation.contains("local application does not read"))
    #expect(StuckQueue.Cause.peerWindowClosed.explanation.hasPrefix("send queue not draining"))
    #expect(StuckQueue.Cause.retransmitting.explanation.contains("path drops"))
    #expect(StuckQueue.Cause.peerNotAcknowledging.explanation.contains("peer does not read or acknowledge"))
    #expect(StuckQueue.Cause.notAccepted.explanation.contains("has not accepted it"))
  }
}

extension SocketTestKit {
  /// A connected loopback pair where the receiver never reads and the sender wrote until EAGAIN, with small
  /// buffers: the sender's send queue and the receiver's receive queue both hold data that does not drain.
  final class StalledPair {
    let listener: Listener
    let sender: Int32
    let receiver: Int32

    init(address: IPAddress) throws {
      listener = try Listener(address: address, backlog: 4, receiveBuffer: 4096)
      sender = try SocketTestKit.connect(to: listener.socketAddress, sendBuffer: 4096)
      receiver = accept(listener.descriptor, nil, nil)
      guard receiver >= 0 else { throw Errno.current }
      _ = fcntl(sender, F_SETFL, fcntl(sender, F_GETFL) | O_NONBLOCK)
      let chunk = [UInt8](repeating: 0x61, count: 65_536)
      // Write until EAGAIN, a few times over: data moves on to the receiver until its window closes.
      for _ in 0..<5 {
        while send(sender, chunk, chunk.count, Int32(MSG_NOSIGNAL)) > 0 {}
        guard errno == EAGAIN || errno == EWOULDBLOCK else { throw Errno.current }
        usleep(20_000)
      }
    }

    var port: UInt16 { listener.port }
    /// The sender's end: loopback, its ephemeral port.
    var senderAddress: SocketAddress { SocketAddress(listener.address, port: LoopbackTCPListener.boundPort(sender)) }

    deinit {
      close(sender)
      close(receiver)
    }
  }
}
