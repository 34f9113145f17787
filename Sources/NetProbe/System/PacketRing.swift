import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// A memory-mapped receive ring on a packet socket (`PACKET_RX_RING`, TPACKET_V2): the kernel copies each frame its
/// filter passes into the next free slot, with the frame's timestamp and `sockaddr_ll`, and marks the slot as the
/// user's. Reading frames is then a walk over shared memory: no `recvmsg` per frame, and no socket buffer (the
/// kernel does not clone the packet for the socket either).
///
/// Version 2, not 3: a V3 block reaches user space only when it is full or its timer retires it, which would hold
/// a probe's last frames back from its `stop()`. The ring is fixed in size: when it is full the kernel drops frames
/// and counts them (`PACKET_STATISTICS`), as a full receive buffer does.
final class PacketRing {
  /// How the ring is cut up. The kernel needs page-sized blocks holding whole frames.
  struct Geometry: Hashable, Sendable {
    /// Bytes per slot: its header, the `sockaddr_ll`, then the frame from its network header on.
    var frameSize: Int
    var frameCount: Int
    var blockSize: Int

    /// 1,024 slots of 1 KiB (1 MiB, what the receive buffer allowed before): a slot holds 944 bytes of a frame, so
    /// handshakes, resets and ICMPv4 errors fit whole (a longer frame, such as an ICMPv6 error quoting 1,232 bytes,
    /// comes whole through the socket's queue, see `Slot.isCopiedWhole`). A probe sends and receives a handful of
    /// frames, but the closes of earlier connections to the same server can arrive in a burst while it runs: 256
    /// slots overflowed now and then on a loaded machine.
    static let standard = Geometry(frameSize: 1024, frameCount: 1024, blockSize: 4096)

    var bytes: Int { frameSize * frameCount }
  }

  /// One filled slot, valid until `giveBack()`.
  struct Slot {
    fileprivate let header: UnsafeMutablePointer<tpacket2_hdr>
    /// `tp_status`: `TP_STATUS_USER` and flags.
    let status: UInt32

    /// The frame from its network header on, as far as the snap length and the slot allowed.
    var bytes: UnsafeRawBufferPointer {
      UnsafeRawBufferPointer(start: UnsafeRawPointer(header) + Int(header.pointee.tp_net), count: Int(header.pointee.tp_snaplen))
    }

    /// The frame's length before any cut.
    var originalLength: Int { Int(header.pointee.tp_len) }

    /// The kernel's timestamp, nanoseconds since the Unix epoch.
    var timestampNanoseconds: Int64 { Int64(header.pointee.tp_sec) * 1_000_000_000 + Int64(header.pointee.tp_nsec) }

    /// What `recvmsg` would have put in `msg_name`: interface, link type, packet type, link address.
    var link: sockaddr_ll {
      (UnsafeRawPointer(header) + PacketRing.linkOffset).loadUnaligned(as: sockaddr_ll.self)
    }

    /// The frame was longer than the slot: the whole frame also waits on the socket's queue (`TP_STATUS_COPY`).
    var isCopiedWhole: Bool { status & UInt32(TP_STATUS_COPY) != 0 }

    /// The kernel had dropped frames before this one, not yet read from `PACKET_STATISTICS` (`TP_STATUS_LOSING`).
    var followsDrops: Bool { status & UInt32(TP_STATUS_LOSING) != 0 }
  }

  let geometry: Geometry
  private var memory: UnsafeMutableRawPointer?
  /// The slot the kernel fills next once it is free, and so the oldest one to read.
  private var next = 0

  /// Where the `sockaddr_ll` sits in a slot: after the header, aligned (`TPACKET_ALIGN(sizeof(tpacket2_hdr))`).
  fileprivate static let linkOffset = (MemoryLayout<tpacket2_hdr>.size + Int(TPACKET_ALIGNMENT) - 1) & ~(Int(TPACKET_ALIGNMENT) - 1)

  /// Sets a ring up on a packet socket that is not yet bound, and maps it. The corresponding C calls are
  /// `setsockopt(2)` with `PACKET_VERSION`, `PACKET_RX_RING` and `PACKET_COPY_THRESH`, then `mmap(2)`.
  init(descriptor: Int32, geometry: Geometry = .standard) throws(SystemCallError) {
    self.geometry = geometry
    var version = Int32(TPACKET_V2.rawValue)
    try syscall("setsockopt(PACKET_VERSION)") {
      setsockopt(descriptor, SOL_PACKET, PACKET_VERSION, &version, socklen_t(MemoryLayout<Int32>.size))
    }
    // A frame longer than a slot is cut to the slot and, with a copy threshold set, also queued whole on the socket.
    var copyLongFrames: Int32 = 1
    try syscall("setsockopt(PACKET_COPY_THRESH)") {
      setsockopt(descriptor, SOL_PACKET, PACKET_COPY_THRESH, &copyLongFrames, socklen_t(MemoryLayout<Int32>.size))
    }
    var request = tpacket_req(tp_block_size: UInt32(geometry.blockSize), tp_block_nr: UInt32(geometry.bytes / geometry.blockSize),
                              tp_frame_size: UInt32(geometry.frameSize), tp_frame_nr: UInt32(geometry.frameCount))
    try syscall("setsockopt(PACKET_RX_RING)") {
      setsockopt(descriptor, SOL_PACKET, PACKET_RX_RING, &request, socklen_t(MemoryLayout<tpacket_req>.size))
    }
    let mapped = mmap(nil, geometry.bytes, PROT_READ | PROT_WRITE, MAP_SHARED, descriptor, 0)
    guard let mapped, mapped != UnsafeMutableRawPointer(bitPattern: -1) else {  // MAP_FAILED
      let error = Errno.current
      // Frames would go to a ring nobody reads: take it down, so `recvmsg` gets them instead.
      var none = tpacket_req()
      _ = setsockopt(descriptor, SOL_PACKET, PACKET_RX_RING, &none, socklen_t(MemoryLayout<tpacket_req>.size))
      throw SystemCallError(call: "mmap(PACKET_RX_RING)", errno: error)
    }
    memory = mapped
  }

  deinit { unmap() }

  /// Unmaps the ring; the socket keeps it until it is closed. The corresponding C function is `munmap(2)`.
  func unmap() {
    guard let memory else { return }
    munmap(memory, geometry.bytes)
    self.memory = nil
  }

  /// The oldest slot the kernel has filled and not yet had back; nil when there is none.
  func filledSlot() -> Slot? {
    guard let memory else { return nil }
    let header = (memory + next * geometry.frameSize).assumingMemoryBound(to: tpacket2_hdr.self)
    let status = nt_tpacket2_status(header)
    guard status & UInt32(TP_STATUS_USER) != 0 else { return nil }
    return Slot(header: header, status: status)
  }

  /// Hands the slot `filledSlot()` returned back to the kernel, once its bytes were read.
  func giveBack(_ slot: Slot) {
    nt_tpacket2_give_back(slot.header)
    next = (next + 1) % geometry.frameCount
  }
}
