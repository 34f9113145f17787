/// Whether a default gateway can work with an interface address: the "unable to add a default gateway" case.
///
/// A gateway is reached by ARP/ND on the local link, so it must lie inside the interface's prefix (or the
/// route must be marked on-link). It also cannot be the network ID, the broadcast, or the interface itself.
public struct GatewayFit: Codable, Sendable, Hashable {
  public enum Verdict: String, Codable, Sendable, Hashable {
    case fits
    case familyMismatch = "family-mismatch"
    /// Outside the prefix: the finding `gateway-off-subnet`.
    case offSubnet = "gateway-off-subnet"
    case isNetworkAddress = "network-address"
    case isBroadcastAddress = "broadcast-address"
    case isOwnAddress = "own-address"
  }

  public var subnet: Subnet
  public var gateway: IPAddress
  public var verdict: Verdict
  /// The explanation in plain words, with the numbers filled in.
  public var explanation: String

  public init(subnet: Subnet, gateway: IPAddress) {
    self.subnet = subnet
    self.gateway = gateway
    let network = "\(subnet.network)/\(subnet.prefixLength)"
    if gateway.family != subnet.family {
      verdict = .familyMismatch
      explanation = "gateway \(gateway) is \(gateway.family == .ipv4 ? "IPv4" : "IPv6") but the interface address "
        + "\(subnet.address) is \(subnet.family == .ipv4 ? "IPv4" : "IPv6"): each family needs its own gateway"
    } else if !subnet.contains(gateway) {
      verdict = .offSubnet
      explanation = "gateway \(gateway) is outside \(network) (network ID \(subnet.network), mask \(subnet.mask)): "
        + "the network IDs differ, so the host cannot reach it by ARP/ND and the system refuses the route. "
        + "Use a gateway between \(Self.firstHost(subnet)) and \(Self.lastHost(subnet)), or fix the address or prefix length"
    } else if gateway == subnet.address {
      verdict = .isOwnAddress
      explanation = "gateway \(gateway) is this interface's own address: the gateway must be another device on \(network)"
    } else if subnet.isNetworkOrBroadcast(gateway) && gateway == subnet.network {
      verdict = .isNetworkAddress
      explanation = "gateway \(gateway) is the network ID of \(network), not a host: use an address between "
        + "\(Self.firstHost(subnet)) and \(Self.lastHost(subnet))"
    } else if subnet.isNetworkOrBroadcast(gateway) {
      verdict = .isBroadcastAddress
      explanation = "gateway \(gateway) is the broadcast address of \(network), not a host: use an address between "
        + "\(Self.firstHost(subnet)) and \(Self.lastHost(subnet))"
    } else {
      verdict = .fits
      explanation = "gateway \(gateway) is inside \(network) (network ID \(subnet.network)): reachable on the local link"
    }
  }

  /// The first usable host: the network ID + 1 where IPv4 reserves the network ID.
  public static func firstHost(_ subnet: Subnet) -> IPAddress {
    subnet.family == .ipv4 && subnet.prefixLength <= 30 ? subnet.network.adding(1) : subnet.network
  }

  public static func lastHost(_ subnet: Subnet) -> IPAddress {
    subnet.family == .ipv4 && subnet.prefixLength <= 30 ? subnet.last.adding(-1) : subnet.last
  }
}

extension IPAddress {
  /// The address plus `delta` (wrapping within the family's range).
  func adding(_ delta: Int) -> IPAddress {
    var bytes = self.bytes
    var carry = delta
    var index = bytes.count - 1
    while carry != 0 && index >= 0 {
      let sum = Int(bytes[index]) + carry
      bytes[index] = UInt8(truncatingIfNeeded: sum)
      carry = sum >> 8  // arithmetic shift keeps the borrow for negative sums
      index -= 1
    }
    return IPAddress(bytes: bytes)!
  }
}
