/// The flow a capture is for: one probe's TCP or UDP conversation with one remote endpoint, and the ICMP errors
/// that quote it.
public struct CaptureFlow: Codable, Sendable, Hashable, CustomStringConvertible {
  public enum Transport: String, Codable, Sendable, Hashable {
    case tcp, udp

    public var protocolNumber: UInt8 { self == .tcp ? 6 : 17 }
  }

  public var transport: Transport
  /// The server side: the address and port the probe talks to.
  public var remote: SocketAddress
  /// Our side, as far as it is known: an unspecified address (or nil) and port 0 match any. The port is known only
  /// once the kernel picked it, after the first packet; `CapturedPackets.restricted(toLocal:)` narrows it then.
  public var local: SocketAddress?

  public init(_ transport: Transport, remote: SocketAddress, local: SocketAddress? = nil) {
    self.transport = transport
    self.remote = remote
    self.local = local
  }

  /// `tcp 127.0.0.1:41234 -> 127.0.0.1:8080`, or `tcp -> 127.0.0.1:8080` while our side is unknown.
  public var description: String {
    let source = local.map { $0.port == 0 ? $0.address.description : $0.description }
    return "\(transport.rawValue) \(source.map { $0 + " " } ?? "")-> \(remote)"
  }

  /// Our address, when one was given (not the unspecified address).
  var localAddress: IPAddress? {
    guard let address = local?.address, !address.isUnspecified else { return nil }
    return address
  }

  /// Our port, when known.
  var localPort: UInt16? { local.flatMap { $0.port == 0 ? nil : $0.port } }

  /// Which way a decoded packet goes in this flow, or nil when it is not part of it: a TCP/UDP segment between the
  /// two endpoints, or an ICMP error whose quoted header is one of the flow's packets.
  public func direction(of packet: DecodedPacket) -> PacketDirection? {
    guard let ip = packet.ip else { return nil }
    if let icmp = packet.icmp {
      guard icmp.isError, let quote = icmp.quoted, quote.ip.protocolNumber == transport.protocolNumber,
            let sourcePort = quote.sourcePort, let destinationPort = quote.destinationPort else { return nil }
      // An error about our packet comes toward us; one about the server's packet (our stack refusing it) goes out.
      switch matches(from: quote.ip.source, sourcePort, to: quote.ip.destination, destinationPort) {
      case .toServer: return .toClient
      case .toClient: return .toServer
      case nil: return nil
      }
    }
    let ports: (UInt16, UInt16)
    switch transport {
    case .tcp:
      guard let tcp = packet.tcp else { return nil }
      ports = (tcp.sourcePort, tcp.destinationPort)
    case .udp:
      guard let udp = packet.udp else { return nil }
      ports = (udp.sourcePort, udp.destinationPort)
    }
    guard ip.protocolNumber == transport.protocolNumber else { return nil }
    return matches(from: ip.source, ports.0, to: ip.destination, ports.1)
  }

  private func matches(from source: IPAddress, _ sourcePort: UInt16, to destination: IPAddress, _ destinationPort: UInt16)
    -> PacketDirection? {
    func isLocal(_ address: IPAddress, _ port: UInt16) -> Bool {
      (localAddress == nil || localAddress == address) && (localPort == nil || localPort == port)
    }
    if destination == remote.address, destinationPort == remote.port, isLocal(source, sourcePort) { return .toServer }
    if source == remote.address, sourcePort == remote.port, isLocal(destination, destinationPort) { return .toClient }
    return nil
  }
}

/// Which way a packet of a flow went: from the client (this host's probe) to the server, or toward the client (the
/// server's answers, and ICMP errors from anyone about our packets).
public enum PacketDirection: String, Codable, Sendable, Hashable {
  case toServer = "to-server"
  case toClient = "to-client"
}
