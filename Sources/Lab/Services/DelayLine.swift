import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A user-space delay line (this kernel has no `sch_netem`): the router's policy routes send every forwarded
/// packet into a TUN device; this service reads each one, holds it for the delay, and writes it back, so the
/// kernel forwards it on as if it had just arrived. A round trip passes twice: RTT grows by twice the delay.
public enum DelayLine {
  /// Attaches to `device`, announces readiness, then delays packets until ended.
  public static func run(device: String, delay: Duration) throws(LabError) -> Never {
    let tun = try TunDevice(name: device)
    let queue = PacketQueue()
    let (seconds, attoseconds) = delay.components
    let delayNanoseconds = UInt64(seconds) * 1_000_000_000 + UInt64(attoseconds / 1_000_000_000)
    // The reader stamps each packet the moment it arrives; the writer sleeps until each is due. Two threads, so a
    // packet arriving while the writer sleeps is stamped on time.
    let readerStarted = DetachedThread.start {
      preferRealTimeScheduling()
      while true {
        let packet = tun.readPacket()
        queue.append(packet, due: monotonicNanoseconds() + delayNanoseconds)
      }
    }
    guard readerStarted else { throw LabError("delay line: cannot start its reader thread") }
    preferRealTimeScheduling()
    ServiceReadiness.announce()
    while true {
      let (packet, due) = queue.next()
      sleepUntil(nanosecondsSinceBoot: due)
      tun.writePacket(packet)
    }
  }
}

/// Packets in arrival order with the instant each is due; with one delay for all, arrival order is due order.
private final class PacketQueue: @unchecked Sendable {
  private var mutex = pthread_mutex_t()
  private var arrived = pthread_cond_t()
  private var packets: [(packet: [UInt8], due: UInt64)] = []
  private var head = 0

  init() {
    pthread_mutex_init(&mutex, nil)
    pthread_cond_init(&arrived, nil)
  }

  func append(_ packet: [UInt8], due: UInt64) {
    pthread_mutex_lock(&mutex)
    packets.append((packet, due))
    pthread_cond_signal(&arrived)
    pthread_mutex_unlock(&mutex)
  }

  /// Waits for the oldest packet and takes it.
  func next() -> (packet: [UInt8], due: UInt64) {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    while head == packets.count { pthread_cond_wait(&arrived, &mutex) }
    let entry = packets[head]
    head += 1
    if head > 1024 {
      packets.removeFirst(head)
      head = 0
    }
    return entry
  }
}
