/// Which of the loopback device's two copies of each packet a capture keeps.
///
/// A packet socket sees every loopback packet twice: as it is sent (`PACKET_OUTGOING`, cloned for the tap in
/// `dev_queue_xmit_nit`) and as it is received (`PACKET_HOST`). Either copy is queued before the receiving socket sees
/// the packet, so either one is there by the time a probe has its verdict; a capture keeps one and drops the other.
public enum LoopbackCopy: String, Codable, Sendable, Hashable {
  /// The sent copy: for a socket that sees both, i.e. one listening on every interface, or a kernel without
  /// `PACKET_IGNORE_OUTGOING`. The filter drops the received copy before it is cloned.
  case sent
  /// The received copy, as `tcpdump -i lo` shows it: for a socket bound to lo that asked the kernel not to hand it
  /// sent frames at all (`PACKET_IGNORE_OUTGOING`), so the sent copy is neither cloned nor filtered.
  case received

  /// Whether a loopback frame that passed as `packetType` is the copy kept.
  func keeps(_ packetType: PacketType) -> Bool {
    switch self {
    case .sent: return packetType == .outgoing
    case .received: return packetType != .outgoing
    }
  }
}
