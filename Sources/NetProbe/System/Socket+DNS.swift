import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

// Unconnected datagram I/O for the DNS responder, which answers many clients from one socket.
extension Socket {
  /// Receives one waiting datagram and who sent it. The corresponding C function is `recvfrom(2)`.
  func receiveDatagram(capacity: Int) -> Result<(bytes: [UInt8], sender: SocketAddress?), Errno> {
    var buffer = [UInt8](repeating: 0, count: capacity)
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let received = withUnsafeMutablePointer(to: &storage) { storagePointer in
      storagePointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { address in
        syscallResult {
          buffer.withUnsafeMutableBytes { Glibc.recvfrom(descriptor, $0.baseAddress, capacity, Int32(MSG_DONTWAIT), address, &length) }
        }
      }
    }
    return received.map { count in
      let sender = withUnsafeBytes(of: &storage) { SocketAddress(storage: $0.baseAddress!) }
      return (Array(buffer.prefix(count)), sender)
    }
  }

  /// Sends one datagram to `address`. The corresponding C function is `sendto(2)`.
  func send(_ bytes: [UInt8], to address: SocketAddress) -> Result<Int, Errno> {
    address.withSockAddr { pointer, length in
      syscallResult {
        bytes.withUnsafeBytes { Glibc.sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), pointer, length) }
      }
    }
  }
}
