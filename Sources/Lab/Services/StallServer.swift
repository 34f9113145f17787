#if canImport(Glibc)
import Glibc
#endif
import NetProbe

/// A server that accepts connections and never reads from them, with a small receive buffer: a client that
/// keeps sending fills the server's receive queue and then its own send queue, and the connection stalls.
public enum StallServer {
  /// Listens on `[::]:port`, announces readiness, then accepts and holds connections until ended.
  public static func run(port: UInt16) throws(LabError) -> Never {
    let listener = try ServiceSocket(family: .ipv6, type: Int32(SOCK_STREAM.rawValue))
    // Accepted sockets inherit the small buffer: the window closes after a few kilobytes.
    try listener.setOption(SOL_SOCKET, SO_RCVBUF, 4096)
    try listener.bindToAnyAddress(port: port)
    try listener.listen(backlog: 16)
    ServiceReadiness.announce()
    var held: [ServiceSocket] = []
    while true {
      if let connection = listener.accept() { held.append(connection) }
    }
  }
}

/// The client side of the stalled connection: connects to the stalling server and keeps sending, so the
/// client's send queue holds data that never drains. Reconnects when the connection ends.
public enum StallSender {
  public static func run(address: IPAddress, port: UInt16) throws(LabError) -> Never {
    let chunk = [UInt8](repeating: 0x61, count: 16_384)
    var announced = false
    while true {
      let socket = try ServiceSocket(family: address.family, type: Int32(SOCK_STREAM.rawValue))
      try socket.setOption(SOL_SOCKET, SO_SNDBUF, 16_384)
      guard socket.connect(to: address, port: port, timeout: .seconds(2)) else {
        if !announced { throw LabError("connect to \(address):\(port) failed: is the stall server up?") }
        sleep(1)
        continue
      }
      if !announced {
        ServiceReadiness.announce()
        announced = true
      }
      // Blocks once the queues are full: that is the stall.
      while socket.sendAll(chunk) {}
      sleep(1)
    }
  }
}
