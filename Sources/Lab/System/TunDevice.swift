import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// An attachment to a layer-3 TUN device: each read is one IP packet the kernel routed into the device, each
/// write injects one IP packet as if it had arrived on the device.
final class TunDevice: @unchecked Sendable {  // one thread reads, one writes: the kernel allows that
  // <linux/if_tun.h>: TUNSETIFF = _IOW('T', 202, int); IFF_TUN and IFF_NO_PI (no extra header before the packet).
  private static let setInterfaceRequest: UInt = 0x4004_54ca
  private static let tunFlags: Int16 = 0x0001 | 0x1000

  private let descriptor: Int32

  /// Attaches to the device `name` (created beforehand with `ip tuntap add dev NAME mode tun`).
  /// The corresponding C calls are `open(2)` of /dev/net/tun and `ioctl(2)` TUNSETIFF.
  init(name: String) throws(LabError) {
    descriptor = open("/dev/net/tun", O_RDWR | O_CLOEXEC)
    guard descriptor >= 0 else { throw LabError("open(/dev/net/tun): \(Errno(errno))") }
    // struct ifreq: the name in 16 bytes, then the flags as a short, padded to 40 bytes.
    var request = [UInt8](repeating: 0, count: 40)
    let nameBytes = Array(name.utf8)
    guard nameBytes.count < 16 else { throw LabError("interface name \(name) is longer than 15 bytes") }
    request.replaceSubrange(0..<nameBytes.count, with: nameBytes)
    withUnsafeBytes(of: Self.tunFlags.littleEndian) { request.replaceSubrange(16..<18, with: $0) }
    let result = request.withUnsafeMutableBytes { ioctl(descriptor, Self.setInterfaceRequest, $0.baseAddress!) }
    guard result == 0 else {
      let error = Errno(errno)
      close(descriptor)
      throw LabError("ioctl(TUNSETIFF \(name)): \(error)")
    }
  }

  deinit { close(descriptor) }

  /// Blocks for the next packet. The corresponding C function is `read(2)`.
  func readPacket() -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: 65_536)
    while true {
      let count = read(descriptor, &buffer, buffer.count)
      if count > 0 { return Array(buffer[0..<count]) }
      if count < 0 && errno != EINTR && errno != EAGAIN { fatalError("read(tun): \(Errno(errno))") }
    }
  }

  /// Injects a packet. The corresponding C function is `write(2)`; a packet the kernel refuses is dropped, as a
  /// wire would drop it.
  func writePacket(_ packet: [UInt8]) {
    _ = packet.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
  }
}

/// Sleeps until an instant of the monotonic clock, to the microsecond. The corresponding C function is
/// `clock_nanosleep(2)` with TIMER_ABSTIME.
func sleepUntil(nanosecondsSinceBoot deadline: UInt64) {
  var target = timespec(tv_sec: Int(deadline / 1_000_000_000), tv_nsec: Int(deadline % 1_000_000_000))
  while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &target, nil) == EINTR {}
}

/// The monotonic clock in nanoseconds. The corresponding C function is `clock_gettime(2)`.
func monotonicNanoseconds() -> UInt64 {
  var now = timespec()
  clock_gettime(CLOCK_MONOTONIC, &now)
  return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

/// Asks for real-time scheduling (SCHED_FIFO) for the calling thread, so a busy machine delays the delay line's
/// wake-ups less; best effort, without it the line still works. The corresponding C function is
/// `pthread_setschedparam(3)`.
func preferRealTimeScheduling() {
  var parameters = sched_param()
  parameters.sched_priority = 10
  _ = pthread_setschedparam(pthread_self(), SCHED_FIFO, &parameters)
}
