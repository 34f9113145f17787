#if canImport(Glibc)
import Glibc
#endif
import NetProbe

/// The server's UDP echo (port 7 by custom): every datagram goes back to its sender.
public enum UDPEcho {
  /// Binds `[::]:port` (dual stack), announces readiness, then echoes until ended.
  public static func run(port: UInt16) throws(LabError) -> Never {
    let socket = try ServiceSocket(family: .ipv6, type: Int32(SOCK_DGRAM.rawValue))
    try socket.bindToAnyAddress(port: port)
    ServiceReadiness.announce()
    socket.echoDatagrams()
  }
}
