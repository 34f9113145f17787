/// Finds established connections whose send or receive queue holds data and does not drain over an interval:
/// the "connection appears to have stopped" case, with the side that is stuck.
///
/// A send queue that does not drain means the peer does not read or acknowledge, or the path drops the segments;
/// a receive queue that does not drain means our own (local) application does not read.
public enum StalledConnections {
  /// Samples the ESTABLISHED sockets twice, `interval` apart, and compares them.
  public static func find(interval: Duration = .seconds(2), filter: SocketFilter = SocketFilter()) async throws(SocketProbeError) -> StalledReport {
    // Listeners too, so a connection still waiting in an accept queue is recognised as such.
    let established: UInt32 = 1 << UInt32(TCPState.established.kernelValue) | 1 << UInt32(TCPState.listen.kernelValue)
    var onlyEstablished = filter
    onlyEstablished.states = [.established]
    let before = SocketTable(sockets: try SockDiag.dumpTCPBothFamilies(states: established), filter: onlyEstablished, owners: nil)
    let started = ContinuousClock.now
    try? await Task.sleep(for: interval)
    let afterSockets = try SockDiag.dumpTCPBothFamilies(states: established)
    let elapsed = TCPCounters.seconds(.now - started)
    let after = SocketTable(sockets: afterSockets, filter: onlyEstablished, owners: nil)
    var stalled = compare(before: before.rows, after: after.rows)
    nameOwners(of: &stalled)
    let compared = Set(before.rows.map { $0.identity }).intersection(after.rows.map { $0.identity }).count
    return StalledReport(intervalSeconds: elapsed, connectionsCompared: compared, stalled: stalled)
  }

  /// This machine's established connections to `peers` (address and port) in one sample: how many there are, and
  /// those `stuckNow` finds held up, with the processes that own them.
  public static func toPeers(_ peers: Set<SocketAddress>) throws(SocketProbeError) -> PeerConnections {
    let established: UInt32 = 1 << UInt32(TCPState.established.kernelValue)
    let table = SocketTable(sockets: try SockDiag.dumpTCPBothFamilies(states: established),
                            filter: SocketFilter(states: [.established]), owners: nil)
    let open = table.rows.filter { row in row.peer.map(peers.contains) ?? false }
    var stuck = open.compactMap { row in
      let queues = stuckNow(row)
      return queues.isEmpty ? nil : StalledConnection(connection: row, stuckQueues: queues)
    }
    nameOwners(of: &stuck)
    return PeerConnections(open: open.count, stuck: stuck)
  }

  /// Names the processes behind the connections reported, and only those: the /proc walk costs more than the dumps.
  private static func nameOwners(of stalled: inout [StalledConnection]) {
    guard !stalled.isEmpty else { return }
    let scan = SocketProcFiles.socketOwners()
    for index in stalled.indices { stalled[index].connection.owners = scan.owners[stalled[index].connection.inode] ?? [] }
  }

  /// The connections of `after` whose queues held data in both samples without draining: the decision logic,
  /// without the kernel. With `tcp_info` byte counters, "drained" means bytes were acknowledged (send side) or
  /// read by the application (receive side); without them, that the queue shrank.
  public static func compare(before: [SocketRow], after: [SocketRow]) -> [StalledConnection] {
    let earlier = Dictionary(before.map { ($0.identity, $0) }, uniquingKeysWith: { first, _ in first })
    var stalled: [StalledConnection] = []
    for now in after where now.state == .established {
      guard let then = earlier[now.identity] else { continue }
      var stuck: [StuckQueue] = []
      if then.sendQueue > 0, now.sendQueue > 0, !sendSideMoved(then, now) {
        stuck.append(StuckQueue(side: .send, bytesBefore: then.sendQueue, bytesAfter: now.sendQueue, cause: sendCause(now)))
      }
      if then.receiveQueue > 0, now.receiveQueue > 0, !receiveSideMoved(then, now) {
        stuck.append(StuckQueue(side: .receive, bytesBefore: then.receiveQueue, bytesAfter: now.receiveQueue,
                                cause: now.awaitingAccept == true ? .notAccepted : .localApplicationNotReading))
      }
      if !stuck.isEmpty { stalled.append(StalledConnection(connection: now, stuckQueues: stuck)) }
    }
    return stalled
  }

  /// What one sample's `tcp_info` already says, without a second sample: a send queue held up by the peer's closed
  /// window (the persist timer has backed off: the peer answered at least one window probe with a zero window) or
  /// by retransmission timeouts in a row, and received data our application has left unread for `unreadMilliseconds`.
  /// A window that is zero for a moment during a busy transfer, or a first segment awaiting its ACK, is not stuck.
  public static func stuckNow(_ row: SocketRow, unreadMilliseconds: UInt32 = 1_000) -> [StuckQueue] {
    guard row.state == .established, let details = row.details else { return [] }
    var stuck: [StuckQueue] = []
    if row.sendQueue > 0 {
      let windowClosed = details.zeroWindowProbes > 0
        || (details.backoff > 0 && details.retransmits == 0 && (details.peerReceiveWindow ?? 0) == 0)
      if windowClosed {
        stuck.append(StuckQueue(side: .send, bytesBefore: row.sendQueue, bytesAfter: row.sendQueue, cause: .peerWindowClosed))
      } else if details.retransmits > 0 {
        stuck.append(StuckQueue(side: .send, bytesBefore: row.sendQueue, bytesAfter: row.sendQueue, cause: .retransmitting))
      }
    }
    if row.receiveQueue > 0, row.awaitingAccept != true, details.lastDataReceivedMilliseconds >= unreadMilliseconds {
      stuck.append(StuckQueue(side: .receive, bytesBefore: row.receiveQueue, bytesAfter: row.receiveQueue,
                              cause: .localApplicationNotReading))
    }
    return stuck
  }

  private static func sendSideMoved(_ then: SocketRow, _ now: SocketRow) -> Bool {
    if let before = then.details?.bytesAcknowledged, let after = now.details?.bytesAcknowledged { return after != before }
    return now.sendQueue < then.sendQueue
  }

  private static func receiveSideMoved(_ then: SocketRow, _ now: SocketRow) -> Bool {
    if let before = then.details?.bytesReceived, let after = now.details?.bytesReceived {
      // Bytes the application has read = bytes received - bytes still queued.
      return after &- UInt64(now.receiveQueue) != before &- UInt64(then.receiveQueue)
    }
    return now.receiveQueue < then.receiveQueue
  }

  /// What `tcp_info` says about a send queue that does not drain.
  private static func sendCause(_ row: SocketRow) -> StuckQueue.Cause {
    guard let details = row.details else { return .peerNotAcknowledging }
    if details.peerReceiveWindow == 0 { return .peerWindowClosed }
    if details.retransmits > 0 || details.lostSegments > 0 { return .retransmitting }
    if details.zeroWindowProbes > 0 { return .peerWindowClosed }
    return .peerNotAcknowledging
  }
}

/// This machine's connections to one server, from `StalledConnections.toPeers`.
public struct PeerConnections: Codable, Sendable, Hashable {
  /// Established connections to it.
  public var open: Int
  /// Those held up now.
  public var stuck: [StalledConnection]

  public init(open: Int, stuck: [StalledConnection]) {
    self.open = open
    self.stuck = stuck
  }
}

/// The result of a `--stalled` check.
public struct StalledReport: Codable, Sendable, Hashable {
  /// Seconds between the two samples.
  public var intervalSeconds: Double
  /// Established connections present in both samples (those that filters kept).
  public var connectionsCompared: Int
  public var stalled: [StalledConnection]

  public init(intervalSeconds: Double, connectionsCompared: Int, stalled: [StalledConnection]) {
    self.intervalSeconds = intervalSeconds
    self.connectionsCompared = connectionsCompared
    self.stalled = stalled
  }
}

/// A connection with at least one queue that held data and did not drain.
public struct StalledConnection: Codable, Sendable, Hashable {
  /// The connection as the second sample saw it.
  public var connection: SocketRow
  public var stuckQueues: [StuckQueue]

  public init(connection: SocketRow, stuckQueues: [StuckQueue]) {
    self.connection = connection
    self.stuckQueues = stuckQueues
  }
}

/// One queue that did not drain, and what that points to.
public struct StuckQueue: Codable, Sendable, Hashable {
  public enum Side: String, Codable, Sendable, Hashable {
    /// Our data waits to be sent or acknowledged: the far side or the path is stuck.
    case send
    /// Received data waits for our application to read it: the local side is stuck.
    case receive
  }

  /// What holds the queue up, as far as the kernel can tell.
  public enum Cause: String, Codable, Sendable, Hashable {
    /// The peer advertises a zero receive window: its application does not read.
    case peerWindowClosed = "peer-window-closed"
    /// Segments are retransmitted and not acknowledged: the path drops them, or the peer is gone.
    case retransmitting
    /// The peer does not read or acknowledge, or the path drops the segments (no `tcp_info` to tell which).
    case peerNotAcknowledging = "peer-not-acknowledging"
    /// Our local application does not read what arrived.
    case localApplicationNotReading = "local-application-not-reading"
    /// The connection still waits in our listener's accept queue: the local application has not accepted it.
    case notAccepted = "not-accepted"

    /// The cause in plain words.
    public var explanation: String {
      switch self {
      case .peerWindowClosed: "send queue not draining: the peer advertises a zero window, so its application does not read"
      case .retransmitting: "send queue not draining: segments are retransmitted without acknowledgement, so the path drops them or the peer is gone"
      case .peerNotAcknowledging: "send queue not draining: the peer does not read or acknowledge, or the path drops the segments"
      case .localApplicationNotReading: "receive queue not draining: the local application does not read from the socket"
      case .notAccepted: "receive queue not draining: the connection still waits in the accept queue, the local application has not accepted it"
      }
    }
  }

  public var side: Side
  public var bytesBefore: UInt32
  public var bytesAfter: UInt32
  public var cause: Cause

  public init(side: Side, bytesBefore: UInt32, bytesAfter: UInt32, cause: Cause) {
    self.side = side
    self.bytesBefore = bytesBefore
    self.bytesAfter = bytesAfter
    self.cause = cause
  }
}

extension SocketRow {
  /// What ties the same connection across two dumps: the kernel's cookie, or the endpoints when there is none.
  var identity: String {
    cookie != 0 ? "cookie \(cookie)" : "\(local) \(peer?.description ?? "*")"
  }
}
