#if canImport(Glibc)
import Glibc
#endif
import NetProbe

/// The server's TCP services: listeners on a few ports, both families, that accept each connection, send a
/// one-line banner and close it.
public enum TCPListeners {
  /// Listens on every port (`[::]`, dual stack), announces readiness, then serves until ended.
  public static func run(ports: [UInt16], banner: String) throws(LabError) -> Never {
    var listeners: [ServiceSocket] = []
    for port in ports {
      let socket = try ServiceSocket(family: .ipv6, type: Int32(SOCK_STREAM.rawValue))
      try socket.bindToAnyAddress(port: port)
      try socket.listen(backlog: 128)
      listeners.append(socket)
    }
    ServiceReadiness.announce()
    let line = Array((banner + "\r\n").utf8)
    while true {
      let index = waitForReadable(listeners.map(\.descriptor))
      guard let connection = listeners[index].accept() else { continue }
      connection.sendAll(line)
      connection.close()
    }
  }
}
