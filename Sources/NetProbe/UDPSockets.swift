/// One UDP socket of this network namespace as `/proc/net/udp` and `/proc/net/udp6` list it.
public struct UDPSocketEntry: Codable, Sendable, Hashable {
  public var local: SocketAddress
  /// The connected peer; nil for a socket that receives from anyone (the usual server).
  public var remote: SocketAddress?
  /// Bytes of datagrams queued and not yet read by the application.
  public var receiveQueueBytes: Int
  public var sendQueueBytes: Int
  /// Datagrams the kernel dropped for this socket (its receive buffer was full, or a filter said no).
  public var drops: Int64
  public var uid: UInt32
  public var inode: UInt64

  public init(local: SocketAddress, remote: SocketAddress?, receiveQueueBytes: Int, sendQueueBytes: Int, drops: Int64,
              uid: UInt32, inode: UInt64) {
    self.local = local
    self.remote = remote
    self.receiveQueueBytes = receiveQueueBytes
    self.sendQueueBytes = sendQueueBytes
    self.drops = drops
    self.uid = uid
    self.inode = inode
  }
}

/// The UDP socket table. UDP has no LISTEN state: a server is a socket bound to the port, and what it cannot keep
/// up with shows as a receive queue near its buffer and a drop count that rises (`/proc/net/udp` has both; the
/// `udp_diag` netlink module that would give the same is often not loaded).
public enum UDPSockets {
  /// The sockets bound to `port` (every port when nil), both families.
  public static func read(port: UInt16? = nil) throws(SocketProbeError) -> [UDPSocketEntry] {
    var entries: [UDPSocketEntry] = []
    for (path, family) in [("/proc/net/udp", AddressFamily.ipv4), ("/proc/net/udp6", .ipv6)] {
      switch SocketProcFiles.read(path) {
      case let .success(text): entries += parse(text, family: family)
      case let .failure(error) where family == .ipv6 && error.errno == .noSuchFileOrDirectory: continue  // no IPv6 here
      case let .failure(error): throw .system(error)
      }
    }
    return port.map { port in entries.filter { $0.local.port == port } } ?? entries
  }

  /// Parses the table's text; a line that does not parse is skipped (the header, or a format this code does not
  /// know).
  ///
  /// `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops`
  /// `  12: 0100007F:0035 00000000:0000 07 00000000:00000000 00:00000000 00000000   101        0 2301 2 ffff... 0`
  static func parse(_ text: String, family: AddressFamily) -> [UDPSocketEntry] {
    text.split(separator: "\n").compactMap { line -> UDPSocketEntry? in
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 13, fields[0].hasSuffix(":"),
            let local = endpoint(fields[1], family: family), let remote = endpoint(fields[2], family: family) else { return nil }
      let queues = fields[4].split(separator: ":")
      guard queues.count == 2, let send = Int(queues[0], radix: 16), let receive = Int(queues[1], radix: 16),
            let uid = UInt32(fields[7]), let inode = UInt64(fields[9]), let drops = Int64(fields[fields.count - 1]) else { return nil }
      let connected = remote.port != 0 || remote.address != (family == .ipv4 ? IPAddress.v4(0, 0, 0, 0) : .v6([UInt8](repeating: 0, count: 16)))
      return UDPSocketEntry(local: local, remote: connected ? remote : nil, receiveQueueBytes: receive, sendQueueBytes: send,
                            drops: drops, uid: uid, inode: inode)
    }
  }

  /// `0100007F:0035`: the address as the kernel's 32-bit words in host byte order (little-endian here), each printed
  /// in hex, then the port in hex.
  static func endpoint(_ field: Substring, family: AddressFamily) -> SocketAddress? {
    let parts = field.split(separator: ":")
    let hexLength = family == .ipv4 ? 8 : 32
    guard parts.count == 2, parts[0].count == hexLength, let port = UInt16(parts[1], radix: 16) else { return nil }
    var bytes: [UInt8] = []
    var index = parts[0].startIndex
    while index < parts[0].endIndex {
      let end = parts[0].index(index, offsetBy: 8)
      guard let word = UInt32(parts[0][index..<end], radix: 16) else { return nil }
      bytes += withUnsafeBytes(of: word.littleEndian) { Array($0) }
      index = end
    }
    let address: IPAddress = family == .ipv4 ? .v4(bytes[0], bytes[1], bytes[2], bytes[3]) : .v6(bytes)
    return SocketAddress(address, port: port)
  }
}
