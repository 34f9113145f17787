import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Keeps the kernel's software timestamps switched on for the life of the process.
///
/// The kernel stamps frames only while some socket asks for timestamps (the `netstamp_needed` static key), and it
/// flips that key on from a work queue, a moment after the first socket asks. A frame that passes before then is
/// stamped when it is read instead, which can put a reply before its request. One UDP socket with `SO_TIMESTAMPNS`
/// held open for good keeps the key on between captures; the first time, a datagram to itself shows when the key is on.
enum KernelTimestamps {
  /// Whether the key was seen on (false when loopback could not be used to check: the key is still asked for).
  static let areOn: Bool = switchOn()

  private static func switchOn() -> Bool {
    let descriptor = Glibc.socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
    guard descriptor >= 0 else { return false }
    // Held open on purpose: closing it could switch the key off again.
    var one: Int32 = 1
    _ = setsockopt(descriptor, SOL_SOCKET, SO_TIMESTAMPNS, &one, socklen_t(MemoryLayout<Int32>.size))
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
        Glibc.bind(descriptor, pointer, length) == 0 && getsockname(descriptor, pointer, &length) == 0
          && Glibc.connect(descriptor, pointer, length) == 0
      }
    }
    guard bound else { return false }
    // A datagram to itself on loopback is queued before send() returns. Stamped on arrival, its stamp is no later
    // than the clock read right after send(); stamped when read (the key still off), it is later than that. So
    // no sleep between send and read is needed, only a short one between tries while the work queue flips the key
    // (the 1 ms sleeps this used to take cost 2 ms before a check's first packet).
    for _ in 0..<1_000 {
      var byte: UInt8 = 0
      guard Glibc.send(descriptor, &byte, 1, 0) == 1 else { return false }
      let afterSend = PacketSocket.now()
      if let stamp = receiveStamp(descriptor), stamp <= afterSend { return true }
      usleep(20)
    }
    return false
  }

  /// Reads one datagram and returns its kernel timestamp. The corresponding C function is `recvmsg(2)`.
  private static func receiveStamp(_ descriptor: Int32) -> Int64? {
    var data = [UInt8](repeating: 0, count: 16)
    var control = [UInt8](repeating: 0, count: 128)
    var stamp: Int64?
    let read = data.withUnsafeMutableBytes { dataBuffer in
      control.withUnsafeMutableBytes { controlBuffer in
        receiveMessage(descriptor, flags: Int32(MSG_DONTWAIT), data: dataBuffer, control: controlBuffer) { cmsg in
          if stamp == nil { stamp = kernelTimestampNanoseconds(cmsg) }
        }
      }
    }
    return read == nil ? nil : stamp
  }

}
