import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// An error report the kernel queued for a probe's socket (`IP_RECVERR`): an ICMP message that quoted the
/// probe's packet, with who sent it, or a locally raised error.
public struct ICMPReport: Codable, Sendable, Hashable, CustomStringConvertible {
  /// Where the report came from.
  public enum Origin: String, Codable, Sendable, Hashable {
    case icmp, icmp6, local, none
  }

  public var origin: Origin
  public var type: UInt8
  public var code: UInt8
  /// The address that sent the ICMP message: the destination itself, a router, or our own stack.
  public var sender: IPAddress?
  /// The error the kernel turned it into.
  public var errno: Errno
  /// The next-hop MTU of a "fragmentation needed" / "packet too big".
  public var mtu: UInt32?
  /// The ICMP type and code in words, e.g. "destination unreachable: administratively prohibited".
  public var meaning: String

  public init(origin: Origin, type: UInt8, code: UInt8, sender: IPAddress?, errno: Errno, mtu: UInt32? = nil) {
    self.origin = origin
    self.type = type
    self.code = code
    self.sender = sender
    self.errno = errno
    self.mtu = mtu
    self.meaning = ICMPReport.meaning(origin: origin, type: type, code: code)
  }

  init(extendedError error: sock_extended_err, sender: IPAddress?) {
    let origin: Origin
    switch Int32(error.ee_origin) {
    case SO_EE_ORIGIN_ICMP: origin = .icmp
    case SO_EE_ORIGIN_ICMP6: origin = .icmp6
    case SO_EE_ORIGIN_LOCAL: origin = .local
    default: origin = .none
    }
    let isTooBig = (origin == .icmp && error.ee_type == 3 && error.ee_code == 4) || (origin == .icmp6 && error.ee_type == 2)
    self.init(origin: origin, type: error.ee_type, code: error.ee_code, sender: sender, errno: Errno(Int32(error.ee_errno)),
              mtu: isTooBig ? error.ee_info : nil)
  }

  /// Codes that mean a filter rejected the packet on purpose.
  public var isAdministrativelyProhibited: Bool {
    switch origin {
    case .icmp: return type == 3 && [9, 10, 13].contains(code)
    case .icmp6: return type == 1 && [1, 5, 6].contains(code)
    default: return false
    }
  }

  public var isPortUnreachable: Bool {
    (origin == .icmp && type == 3 && code == 3) || (origin == .icmp6 && type == 1 && code == 4)
  }

  public var isNetworkUnreachable: Bool {
    (origin == .icmp && type == 3 && [0, 6, 11].contains(code)) || (origin == .icmp6 && type == 1 && code == 0)
  }

  public var isHostUnreachable: Bool {
    (origin == .icmp && type == 3 && [1, 7, 12].contains(code)) || (origin == .icmp6 && type == 1 && code == 3)
  }

  public var isProtocolUnreachable: Bool { origin == .icmp && type == 3 && code == 2 }

  public var isFragmentationNeeded: Bool { mtu != nil }

  /// `ICMP type 3 code 13 (destination unreachable: administratively prohibited) from 198.18.1.1`
  public var description: String {
    let family = origin == .icmp6 ? "ICMPv6" : "ICMP"
    var text = origin == .local ? "local error (\(meaning))" : "\(family) type \(type) code \(code) (\(meaning))"
    if let sender { text += " from \(sender)" }
    if let mtu { text += ", next-hop MTU \(mtu)" }
    return text
  }

  static func meaning(origin: Origin, type: UInt8, code: UInt8) -> String {
    switch origin {
    case .icmp:
      switch type {
      case 3:
        let codes = [
          "network unreachable", "host unreachable", "protocol unreachable", "port unreachable",
          "fragmentation needed", "source route failed", "destination network unknown", "destination host unknown",
          "source host isolated", "network administratively prohibited", "host administratively prohibited",
          "network unreachable for type of service", "host unreachable for type of service",
          "administratively prohibited", "host precedence violation", "precedence cutoff in effect",
        ]
        return "destination unreachable: " + (Int(code) < codes.count ? codes[Int(code)] : "code \(code)")
      case 4: return "source quench"
      case 5: return "redirect"
      case 11: return code == 0 ? "time exceeded: TTL expired in transit" : "time exceeded: fragment reassembly"
      case 12: return "parameter problem"
      default: return "ICMP type \(type)"
      }
    case .icmp6:
      switch type {
      case 1:
        let codes = [
          "no route to destination", "administratively prohibited", "beyond scope of source address",
          "address unreachable", "port unreachable", "source address failed ingress/egress policy",
          "reject route to destination",
        ]
        return "destination unreachable: " + (Int(code) < codes.count ? codes[Int(code)] : "code \(code)")
      case 2: return "packet too big"
      case 3: return code == 0 ? "time exceeded: hop limit exceeded in transit" : "time exceeded: fragment reassembly"
      case 4: return "parameter problem"
      default: return "ICMPv6 type \(type)"
      }
    case .local: return "raised by the local stack"
    case .none: return "no ICMP"
    }
  }
}
