#if canImport(Glibc)
import Glibc
#endif

/// A probe's flow as an ICMP error quotes it: the protocol, our end and the remote end.
public struct ICMPFlow: Hashable, Sendable, Codable {
  public enum Transport: String, Hashable, Sendable, Codable {
    case tcp, udp
    /// An echo request; the local "port" is its identifier.
    case icmp
  }

  public var transport: Transport
  public var remote: SocketAddress
  /// Our end; nil, an unspecified address (0.0.0.0, ::) or port 0 match anything (before `connect` the kernel has
  /// not picked them yet).
  public var local: SocketAddress?

  public init(_ transport: Transport, remote: SocketAddress, local: SocketAddress? = nil) {
    self.transport = transport
    self.remote = remote
    self.local = local
  }

  /// Whether a quoted packet belongs to this flow: same protocol, same remote address and port, and our address
  /// and port where known.
  public func matches(_ quoted: QuotedPacket) -> Bool {
    guard quoted.family == remote.family, quoted.destination == remote.address else { return false }
    switch transport {
    case .tcp, .udp:
      let number = transport == .tcp ? ICMPPacket.protocolTCP : ICMPPacket.protocolUDP
      guard quoted.protocolNumber == number, quoted.destinationPort == remote.port else { return false }
      if let local, local.port != 0, quoted.sourcePort != local.port { return false }
    case .icmp:
      let number = remote.family == .ipv4 ? ICMPPacket.protocolICMP : ICMPPacket.protocolICMPv6
      guard quoted.protocolNumber == number, quoted.echoIdentifier != nil else { return false }
      if let local, local.port != 0, quoted.echoIdentifier != local.port { return false }
    }
    if let local, !local.address.bytes.allSatisfy({ $0 == 0 }), quoted.source != local.address { return false }
    return true
  }
}

/// Catches the ICMP errors about one probe's flow while the probe runs, so a bare `EHOSTUNREACH` or a timeout gains
/// the ICMP type, code and sender whether or not the probe's socket queued them for `MSG_ERRQUEUE` (TCP does so for
/// some errors while connecting, not for every kind or kernel; traceroute reads the queue first).
///
/// A raw ICMP (or ICMPv6) socket, so it needs CAP_NET_RAW: start it before the probe's connect, collect after it.
/// The raw socket receives each ICMP message before the kernel hands the error to the probe's socket, so by the
/// time the connect fails the evidence is waiting.
///
/// ```swift
/// let listener = try? ICMPErrorListener.start(for: ICMPFlow(.tcp, remote: address))
/// let attempt = TCPConnectProbe.connect(to: address, options: options)
/// let reports = listener?.collect(local: attempt.local) ?? []
/// ```
public final class ICMPErrorListener: @unchecked Sendable {
  public let flow: ICMPFlow
  private let socket: ICMPSocket
  /// Every error message read so far with what it quoted, so each `collect` sees all of them.
  private var seen: [(report: ICMPReport, quoted: QuotedPacket)] = []
  /// Enough for any one probe; a flood of unrelated errors cannot grow memory without bound.
  private static let maximumKept = 1024

  private init(flow: ICMPFlow, socket: ICMPSocket) {
    self.flow = flow
    self.socket = socket
  }

  deinit { socket.close() }

  /// Opens the raw socket for the flow's family, letting only error types through. Throws when raw sockets are not
  /// allowed (no CAP_NET_RAW): the probe then runs without this evidence.
  public static func start(for flow: ICMPFlow) throws(ICMPUnavailable) -> ICMPErrorListener {
    let socket = try ICMPSocket.open(family: flow.remote.family, method: .raw)
    switch flow.remote.family {
    case .ipv4: socket.passOnly(types: [3, 11, 12])  // destination unreachable, time exceeded, parameter problem
    case .ipv6: socket.passOnly(types: [1, 2, 3, 4])  // and packet too big
    }
    return ICMPErrorListener(flow: flow, socket: socket)
  }

  /// The errors received so far that quote the flow, oldest first, each with its sender. `local` is our end once
  /// the probe knows it (getsockname after connect); it narrows the match to our own port. Reads what is queued and
  /// returns at once; the listener keeps listening until `stop()`, and a later call returns these again.
  public func collect(local: SocketAddress? = nil) -> [ICMPReport] {
    var flow = self.flow
    if let local { flow.local = local }
    while let received = socket.receive() {
      let message: ICMPMessage
      do {
        message = flow.remote.family == .ipv4
          ? try ICMPPacket.parse(ipv4Datagram: received.bytes).message
          : try ICMPPacket.parse(icmp: received.bytes, family: .ipv6)
      } catch {
        continue
      }
      guard let error = message.error, let quoted = error.quoted, seen.count < ICMPErrorListener.maximumKept else { continue }
      seen.append((error.report(sender: received.sender), quoted))
    }
    return seen.filter { flow.matches($0.quoted) }.map(\.report)
  }

  /// The latest matching error, or nil: what a probe attaches to its attempt.
  public func lastReport(local: SocketAddress? = nil) -> ICMPReport? {
    collect(local: local).last
  }

  /// Closes the raw socket; later `collect` calls return nothing.
  public func stop() { socket.close() }
}
