import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Does this host's own stack answer? A listener the probe opens on loopback, and a handshake to it.
public enum LoopbackSelfTest {
  /// Opens a listener on `address` (port 0), connects to it, closes both. The handshake completes in the
  /// listener's queue, so nothing needs to accept it.
  public static func run(address: IPAddress = .v4(127, 0, 0, 1), timeout: Duration = .seconds(1)) -> ProbeAttempt {
    let listener: Socket
    do {
      listener = try Socket(domain: address.family.cValue, type: Int32(SOCK_STREAM.rawValue))
    } catch {
      return ProbeAttempt(address: nil, outcome: .classify(error.errno, icmp: nil), elapsedMicroseconds: 0, errno: error.errno)
    }
    defer { listener.close() }
    if case let .failure(error) = listener.bind(to: SocketAddress(address, port: 0)) {
      return ProbeAttempt(address: nil, outcome: .classify(error, icmp: nil), elapsedMicroseconds: 0, errno: error)
    }
    if case let .failure(error) = listener.listen(backlog: 4) {
      return ProbeAttempt(address: nil, outcome: .classify(error, icmp: nil), elapsedMicroseconds: 0, errno: error)
    }
    guard let bound = listener.localAddress() else {
      return ProbeAttempt(address: nil, outcome: .error, elapsedMicroseconds: 0)
    }
    return TCPConnectProbe.connect(to: bound, options: .init(timeout: timeout))
  }
}
