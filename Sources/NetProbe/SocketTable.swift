/// The TCP socket table of this host (its network namespace): every socket's state, endpoints and queues, the
/// accept queue and backlog of listeners, half-open handshakes per listener, and the processes that hold them.
///
/// Read from the kernel with NETLINK_SOCK_DIAG (no privileges needed); owners come from `/proc/[pid]/fd`, which
/// shows other users' processes only to root.
public struct SocketTable: Codable, Sendable, Hashable {
  /// The sockets the filter kept, listeners first, then by state, local port and peer.
  public var rows: [SocketRow]
  /// How many TCP sockets are in each state, before filtering (`"ESTABLISHED": 12`).
  public var stateCounts: [String: Int]
  /// Whether every socket could be tied to its process, and why not.
  public var owners: OwnerVisibility

  public init(rows: [SocketRow], stateCounts: [String: Int], owners: OwnerVisibility) {
    self.rows = rows
    self.stateCounts = stateCounts
    self.owners = owners
  }

  /// Dumps the TCP sockets of both families and keeps those `filter` matches.
  ///
  /// - Parameter withOwners: walk `/proc/[pid]/fd` to name each socket's process.
  public static func read(filter: SocketFilter = SocketFilter(), withOwners: Bool = true) throws(SocketProbeError) -> SocketTable {
    let sockets = try SockDiag.dumpTCPBothFamilies(states: SockDiag.allStates)
    return SocketTable(sockets: sockets, filter: filter, owners: withOwners ? SocketProcFiles.socketOwners() : nil)
  }

  /// Builds the table from dumped sockets: the decision logic, without the kernel.
  init(sockets: [InetDiagSocket], filter: SocketFilter, owners scan: SocketOwnerScan?) {
    var all = sockets.compactMap { SocketRow($0) }
    // Half-open handshakes belong to the listener on their local port (and address, unless it listens on any).
    let halfOpen = all.filter { $0.state == .synReceived }
    for index in all.indices where all[index].state == .listen {
      let listener = all[index].local
      all[index].synReceived = halfOpen.count { SocketTable.listener(listener, covers: $0.local) }
    }
    // A connection no descriptor holds, on a listener's address, is waiting in that listener's accept queue.
    let listeners = all.filter { $0.state == .listen }.map(\.local)
    for index in all.indices where all[index].inode == 0 && [.established, .closeWait].contains(all[index].state) {
      let local = all[index].local
      if listeners.contains(where: { SocketTable.listener($0, covers: local) }) { all[index].awaitingAccept = true }
    }
    var counts: [String: Int] = [:]
    for row in all { counts[row.state.rawValue, default: 0] += 1 }

    var kept = all.filter(filter.matches)
    var visibility = OwnerVisibility(checked: scan != nil, processesSeen: scan?.processesSeen ?? 0,
                                     processesNotReadable: scan?.processesNotReadable ?? 0, socketsWithoutOwner: 0)
    if let scan {
      for index in kept.indices where kept[index].inode != 0 {
        kept[index].owners = scan.owners[kept[index].inode] ?? []
        if kept[index].owners.isEmpty { visibility.socketsWithoutOwner += 1 }
      }
    }
    kept.sort(by: SocketRow.displayOrder)
    self.init(rows: kept, stateCounts: counts, owners: visibility)
  }

  /// Whether a connection with this local end belongs to this listener: the same port, and the same address
  /// unless the listener is bound to every address (0.0.0.0 or ::). `::ffff:a.b.c.d` matches a.b.c.d.
  static func listener(_ listener: SocketAddress, covers local: SocketAddress) -> Bool {
    guard listener.port == local.port else { return false }
    let listening = listener.address.bytes, connected = local.address.bytes
    if listening.allSatisfy({ $0 == 0 }) || listening == connected { return true }
    let mappedPrefix: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff]
    return connected.count == 16 && Array(connected.prefix(12)) == mappedPrefix && Array(connected.suffix(4)) == listening
  }

  /// The listeners among the rows.
  public var listeners: [SocketRow] { rows.filter { $0.state == .listen } }
}

/// One TCP socket.
public struct SocketRow: Codable, Sendable, Hashable {
  public var state: TCPState
  public var local: SocketAddress
  /// The remote end; nil for a listener.
  public var peer: SocketAddress?
  /// Bytes received and not yet read by the application (`Recv-Q`). For a listener the kernel puts the accept
  /// queue length here: see `acceptQueue`.
  public var receiveQueue: UInt32
  /// Bytes sent and not yet acknowledged, or not yet sent (`Send-Q`). For a listener the kernel puts the backlog
  /// here: see `backlog`.
  public var sendQueue: UInt32
  /// Listener only: connections that finished the handshake and wait for `accept()`.
  public var acceptQueue: UInt32?
  /// Listener only: the accept queue's limit (`listen()`'s backlog, capped at net.core.somaxconn). The kernel
  /// drops new connections once the queue holds more than this.
  public var backlog: UInt32?
  /// Listener only: half-open handshakes (SYN_RECV) on its port and address; many is a SYN-flood sign.
  public var synReceived: Int?
  /// True for a connection that waits in a listener's accept queue: the application has not accepted it yet.
  public var awaitingAccept: Bool?
  /// The socket owner's user id.
  public var uid: UInt32
  /// The socket's inode, which `/proc/[pid]/fd` links name (0 when no descriptor holds it: TIME_WAIT, SYN_RECV).
  public var inode: UInt32
  /// The kernel's socket cookie: the same in two dumps for the same socket.
  public var cookie: UInt64
  /// Processes holding a descriptor for the socket; empty when none was found or /proc hides them.
  public var owners: [SocketOwner]
  /// `tcp_info` fields: timing, retransmits, windows.
  public var details: TCPConnectionDetails?

  public init(state: TCPState, local: SocketAddress, peer: SocketAddress?, receiveQueue: UInt32, sendQueue: UInt32,
              uid: UInt32 = 0, inode: UInt32 = 0, cookie: UInt64 = 0, owners: [SocketOwner] = [],
              details: TCPConnectionDetails? = nil) {
    self.state = state
    self.local = local
    self.peer = peer
    self.receiveQueue = receiveQueue
    self.sendQueue = sendQueue
    if state == .listen {
      acceptQueue = receiveQueue
      backlog = sendQueue
      synReceived = 0
    }
    self.uid = uid
    self.inode = inode
    self.cookie = cookie
    self.owners = owners
    self.details = details
  }

  init?(_ socket: InetDiagSocket) {
    guard let state = TCPState(kernelValue: socket.state) else { return nil }
    self.init(state: state, local: socket.local, peer: state == .listen ? nil : socket.remote,
              receiveQueue: socket.receiveQueue, sendQueue: socket.sendQueue, uid: socket.uid, inode: socket.inode,
              cookie: socket.cookie, details: state == .listen ? nil : socket.details)  // a listener's tcp_info is all zeros
  }

  /// Listener only: the accept queue holds more than the backlog (the kernel's own test), so new handshakes are
  /// dropped and counted in ListenOverflows.
  public var isAcceptQueueFull: Bool {
    guard let acceptQueue, let backlog else { return false }
    return acceptQueue > backlog
  }

  static func displayOrder(_ a: SocketRow, _ b: SocketRow) -> Bool {
    if a.state.displayRank != b.state.displayRank { return a.state.displayRank < b.state.displayRank }
    if a.local.port != b.local.port { return a.local.port < b.local.port }
    if a.local.family != b.local.family { return a.local.family == .ipv4 }
    if a.local.address != b.local.address { return a.local.address.bytes.lexicographicallyPrecedes(b.local.address.bytes) }
    let peerA = a.peer.map { $0.address.bytes + [UInt8($0.port >> 8), UInt8($0.port & 0xff)] } ?? []
    let peerB = b.peer.map { $0.address.bytes + [UInt8($0.port >> 8), UInt8($0.port & 0xff)] } ?? []
    return peerA.lexicographicallyPrecedes(peerB)
  }
}

/// A process holding a socket.
public struct SocketOwner: Codable, Sendable, Hashable {
  public var pid: Int32
  /// `/proc/[pid]/comm`: chosen by the process, so escape it before printing.
  public var name: String

  public init(pid: Int32, name: String) {
    self.pid = pid
    self.name = name
  }
}

/// How far `/proc` let us tie sockets to processes.
public struct OwnerVisibility: Codable, Sendable, Hashable {
  /// Whether owners were looked up at all.
  public var checked: Bool
  public var processesSeen: Int
  /// Processes whose `/proc/[pid]/fd` this user may not read (other users' processes, unless root).
  public var processesNotReadable: Int
  /// Shown sockets held by a descriptor (inode set) whose process was not found.
  public var socketsWithoutOwner: Int

  /// A sentence saying what is missing and why; nil when every shown socket has its process.
  public var note: String? {
    guard checked, socketsWithoutOwner > 0 else { return nil }
    let (sockets, them) = socketsWithoutOwner == 1 ? ("1 socket has", "it") : ("\(socketsWithoutOwner) sockets have", "them")
    if processesNotReadable > 0 {
      return "\(sockets) no process shown: /proc hides the descriptors of \(processesNotReadable) of \(processesSeen) processes from this user (other users' processes); run as root to see \(them)"
    }
    return "\(sockets) no process shown: no process visible here holds \(them) (a process in another PID namespace, /proc mounted with hidepid, or one that just closed \(them))"
  }
}

/// Which sockets a table keeps.
public struct SocketFilter: Codable, Sendable, Hashable {
  /// Only listeners.
  public var listeningOnly: Bool
  /// Only sockets with this local or peer port.
  public var port: UInt16?
  /// Only these states; nil keeps every state.
  public var states: Set<TCPState>?

  public init(listeningOnly: Bool = false, port: UInt16? = nil, states: Set<TCPState>? = nil) {
    self.listeningOnly = listeningOnly
    self.port = port
    self.states = states
  }

  public func matches(_ row: SocketRow) -> Bool {
    if listeningOnly && row.state != .listen { return false }
    if let states, !states.contains(row.state) { return false }
    if let port, row.local.port != port && row.peer?.port != port { return false }
    return true
  }
}

/// A TCP state as Linux names it (`ss` and `netstat` use the same names).
public enum TCPState: String, Codable, Sendable, Hashable, CaseIterable {
  case established = "ESTABLISHED"
  case synSent = "SYN_SENT"
  case synReceived = "SYN_RECV"
  case finWait1 = "FIN_WAIT1"
  case finWait2 = "FIN_WAIT2"
  case timeWait = "TIME_WAIT"
  case closed = "CLOSE"
  case closeWait = "CLOSE_WAIT"
  case lastAck = "LAST_ACK"
  case listen = "LISTEN"
  case closing = "CLOSING"

  /// From the kernel's `TCP_*` number; `TCP_NEW_SYN_RECV` (a request socket) is SYN_RECV.
  init?(kernelValue: UInt8) {
    switch kernelValue {
    case 1: self = .established
    case 2: self = .synSent
    case 3, 12: self = .synReceived
    case 4: self = .finWait1
    case 5: self = .finWait2
    case 6: self = .timeWait
    case 7: self = .closed
    case 8: self = .closeWait
    case 9: self = .lastAck
    case 10: self = .listen
    case 11: self = .closing
    default: return nil
    }
  }

  /// The kernel's `TCP_*` number.
  var kernelValue: UInt8 {
    switch self {
    case .established: 1
    case .synSent: 2
    case .synReceived: 3
    case .finWait1: 4
    case .finWait2: 5
    case .timeWait: 6
    case .closed: 7
    case .closeWait: 8
    case .lastAck: 9
    case .listen: 10
    case .closing: 11
    }
  }

  /// Parses a name as a user types it: `SYN_RECV`, `syn-recv`, `synrecv`, `established`, `time-wait`, `close`.
  public init?(name: String) {
    let key = name.uppercased().filter { $0 != "_" && $0 != "-" }
    guard let state = TCPState.allCases.first(where: { $0.rawValue.filter { $0 != "_" } == key }) else {
      if key == "SYNRECEIVED" { self = .synReceived; return }
      if key == "CLOSED" { self = .closed; return }
      return nil
    }
    self = state
  }

  /// The order states print in: listeners first, then live connections, then the closing states.
  public var displayRank: Int {
    switch self {
    case .listen: 0
    case .established: 1
    case .synSent: 2
    case .synReceived: 3
    case .closeWait: 4
    case .finWait1: 5
    case .finWait2: 6
    case .lastAck: 7
    case .closing: 8
    case .timeWait: 9
    case .closed: 10
    }
  }
}

/// Fields of the kernel's `tcp_info` for one connection. Times are as the kernel counts them.
public struct TCPConnectionDetails: Codable, Sendable, Hashable {
  /// Smoothed round-trip time.
  public var rttMicroseconds: UInt32
  public var rttVarianceMicroseconds: UInt32
  /// The current retransmission timeout.
  public var retransmitTimeoutMicroseconds: UInt32
  /// Retransmission timeouts in a row right now (0 once an ACK arrives).
  public var retransmits: UInt8
  /// Retransmitted segments over the connection's life.
  public var totalRetransmits: UInt32
  /// Zero-window probes sent without an answer that opens the window.
  public var zeroWindowProbes: UInt8
  /// Exponential backoff steps of the retransmit or probe timer.
  public var backoff: UInt8
  public var unacknowledgedSegments: UInt32
  public var lostSegments: UInt32
  public var lastDataSentMilliseconds: UInt32
  public var lastDataReceivedMilliseconds: UInt32
  public var lastAckReceivedMilliseconds: UInt32
  /// Bytes the peer acknowledged over the connection's life (Linux 4.1 and later).
  public var bytesAcknowledged: UInt64?
  /// Bytes received over the connection's life (Linux 4.1 and later).
  public var bytesReceived: UInt64?
  /// Bytes written by the application and not sent yet (Linux 4.6 and later).
  public var notSentBytes: UInt32?
  /// The receive window the peer advertises, in bytes; 0 means the peer's application is not reading
  /// (Linux 5.19 and later).
  public var peerReceiveWindow: UInt32?

  public init(rttMicroseconds: UInt32 = 0, rttVarianceMicroseconds: UInt32 = 0, retransmitTimeoutMicroseconds: UInt32 = 0,
              retransmits: UInt8 = 0, totalRetransmits: UInt32 = 0, zeroWindowProbes: UInt8 = 0, backoff: UInt8 = 0,
              unacknowledgedSegments: UInt32 = 0, lostSegments: UInt32 = 0, lastDataSentMilliseconds: UInt32 = 0,
              lastDataReceivedMilliseconds: UInt32 = 0, lastAckReceivedMilliseconds: UInt32 = 0,
              bytesAcknowledged: UInt64? = nil, bytesReceived: UInt64? = nil, notSentBytes: UInt32? = nil,
              peerReceiveWindow: UInt32? = nil) {
    self.rttMicroseconds = rttMicroseconds
    self.rttVarianceMicroseconds = rttVarianceMicroseconds
    self.retransmitTimeoutMicroseconds = retransmitTimeoutMicroseconds
    self.retransmits = retransmits
    self.totalRetransmits = totalRetransmits
    self.zeroWindowProbes = zeroWindowProbes
    self.backoff = backoff
    self.unacknowledgedSegments = unacknowledgedSegments
    self.lostSegments = lostSegments
    self.lastDataSentMilliseconds = lastDataSentMilliseconds
    self.lastDataReceivedMilliseconds = lastDataReceivedMilliseconds
    self.lastAckReceivedMilliseconds = lastAckReceivedMilliseconds
    self.bytesAcknowledged = bytesAcknowledged
    self.bytesReceived = bytesReceived
    self.notSentBytes = notSentBytes
    self.peerReceiveWindow = peerReceiveWindow
  }
}

/// Why the socket table, its counters or its sysctls could not be read.
public enum SocketProbeError: Error, Hashable, Sendable, CustomStringConvertible {
  /// A system call failed (opening the netlink socket, reading a /proc file).
  case system(SystemCallError)
  /// The kernel's reply did not parse (a length that overruns the message, an unknown family).
  case malformedReply(String)
  /// The kernel did not finish the dump in time.
  case timedOut

  public var description: String {
    switch self {
    case let .system(error): return error.description
    case let .malformedReply(detail): return "malformed sock_diag reply: \(detail)"
    case .timedOut: return "the kernel did not finish the socket dump within 5 s"
    }
  }
}
