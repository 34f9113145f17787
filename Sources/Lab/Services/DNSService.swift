import NetProbe

/// The lab's DNS server for the zone `lab.test`: the project's own `DNSResponder`, one per address, answering from
/// the lab's zone table or failing in the scenario's way (nxdomain, servfail, refused, silent, truncated).
public enum DNSService {
  /// Binds `addresses` on `port`, announces readiness, then serves until ended.
  public static func run(addresses: [IPAddress], port: UInt16, mode: DNSResponder.Mode) throws(LabError) -> Never {
    var zone: [DNSName: [IPAddress]] = [:]
    for (name, records) in LabTopology.dnsZone {
      guard let dnsName = try? DNSName(name) else { throw LabError("zone name \(name) is not a DNS name") }
      zone[dnsName] = records
    }
    guard let origin = try? DNSName(LabTopology.dnsZoneName) else { throw LabError("bad zone origin") }
    let configuration = DNSResponder.Configuration(zone: zone, mode: mode, origin: origin)
    var responders: [DNSResponder] = []
    for address in addresses {
      do {
        responders.append(try DNSResponder(address: SocketAddress(address, port: port), configuration: configuration))
      } catch {
        throw LabError("DNS responder on \(SocketAddress(address, port: port)): \(error)")
      }
    }
    ServiceReadiness.announce()
    withExtendedLifetime(responders) { ServiceReadiness.waitForever() }
  }
}
