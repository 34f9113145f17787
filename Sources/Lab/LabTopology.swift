import NetProbe

/// The machines of the lab, each a network namespace.
///
/// ```
///  ntlab-client  198.18.1.10  fd00:18:1::10 ─┐                  ┌─ ntlab-server  198.18.2.10  fd00:18:2::10
///                                           ntlab-br1 ─ router ─ ntlab-br2
///  ntlab-client2 198.18.1.20  fd00:18:1::20 ─┘  .1 / ::1    .1 / ::1 └─ ntlab-server2 198.18.2.20 fd00:18:2::20
/// ```
public enum LabHost: String, CaseIterable, Codable, Sendable, Hashable {
  case client, client2, router, server, server2

  /// The network namespace: `ntlab-client`, ...
  public var namespace: String { LabNames.prefix + rawValue }
}

/// An end host's single interface: a veth whose peer is a port of a bridge in the router.
public struct LabHostLink: Sendable, Hashable {
  public var host: LabHost
  public var ipv4: String
  public var ipv6: String
  /// The router's bridge this host's subnet hangs off.
  public var bridge: String
  /// The veth end inside the router, a port of `bridge`.
  public var routerPort: String
  public var gateway4: String
  public var gateway6: String
}

/// The lab network as data: addresses, names, and the steps that build it.
///
/// Two subnets, both families on every link: 198.18.1.0/24 + fd00:18:1::/64 (clients) and 198.18.2.0/24 +
/// fd00:18:2::/64 (servers), the router at .1 / ::1 on both, default routes via the router, no link to the outside.
/// Neighbour resolution is shortened to 3 solicitations 100 ms apart (the kernel's default is 1 s apart), so a
/// failed ARP/ND ends in about 0.3 s, inside a 1 s probe timeout.
public enum LabTopology {
  /// Every end host's interface has this name in its own namespace.
  public static let hostInterface = "ntlab-eth0"
  public static let clientBridge = "ntlab-br1"
  public static let serverBridge = "ntlab-br2"
  public static let clientSubnet4 = "198.18.1.0/24"
  public static let serverSubnet4 = "198.18.2.0/24"
  public static let clientSubnet6 = "fd00:18:1::/64"
  public static let serverSubnet6 = "fd00:18:2::/64"
  public static let routerClientSide4 = "198.18.1.1"
  public static let routerClientSide6 = "fd00:18:1::1"
  public static let routerServerSide4 = "198.18.2.1"
  public static let routerServerSide6 = "fd00:18:2::1"
  public static let server4 = "198.18.2.10"
  public static let server6 = "fd00:18:2::10"
  public static let server2Address4 = "198.18.2.20"
  /// Addresses where nobody lives: behind the router, and on the client's own subnet.
  public static let absentServerSide4 = "198.18.2.99"
  public static let absentServerSide6 = "fd00:18:2::99"
  public static let absentClientSide4 = "198.18.1.99"
  /// Milliseconds between ARP/ND solicitations in every lab namespace.
  public static let neighbourRetransmitMilliseconds = 100

  public static let links: [LabHostLink] = [
    LabHostLink(host: .client, ipv4: "198.18.1.10", ipv6: "fd00:18:1::10", bridge: clientBridge,
                routerPort: "ntlab-p-client", gateway4: routerClientSide4, gateway6: routerClientSide6),
    LabHostLink(host: .client2, ipv4: "198.18.1.20", ipv6: "fd00:18:1::20", bridge: clientBridge,
                routerPort: "ntlab-p-client2", gateway4: routerClientSide4, gateway6: routerClientSide6),
    LabHostLink(host: .server, ipv4: server4, ipv6: server6, bridge: serverBridge,
                routerPort: "ntlab-p-server", gateway4: routerServerSide4, gateway6: routerServerSide6),
    LabHostLink(host: .server2, ipv4: server2Address4, ipv6: "fd00:18:2::20", bridge: serverBridge,
                routerPort: "ntlab-p-server2", gateway4: routerServerSide4, gateway6: routerServerSide6),
  ]

  public static func link(of host: LabHost) -> LabHostLink? { links.first { $0.host == host } }

  /// The zone the lab's DNS server answers for.
  public static let dnsZoneName = "lab.test"
  /// Name -> addresses of the zone `lab.test`.
  public static let dnsZone: [(name: String, addresses: [IPAddress])] = zoneText.map { ($0.0, $0.1.map { IPAddress($0)! }) }

  private static let zoneText: [(String, [String])] = [
    ("www.lab.test", [server4, server6]),
    ("server.lab.test", [server4, server6]),
    ("server2.lab.test", [server2Address4, "fd00:18:2::20"]),
    ("client.lab.test", ["198.18.1.10", "fd00:18:1::10"]),
    ("client2.lab.test", ["198.18.1.20", "fd00:18:1::20"]),
    ("router.lab.test", [routerClientSide4, routerClientSide6]),
    ("db.lab.test", [absentServerSide4, absentServerSide6]),
    ("printer.lab.test", [absentClientSide4]),
  ]

  /// The client's /etc/resolv.conf: the lab's DNS server only, 1 s timeout, 1 attempt (a silent server costs 1 s).
  public static let clientResolvConf = """
    # Written by nettriage lab for ntlab-client; removed by nettriage lab down.
    # One attempt with a 1 s timeout, so a silent server costs 1 s, not glibc's default 5 s x 2.
    nameserver \(server4)
    options timeout:1 attempts:1

    """

  /// The client's /etc/hosts, with `extra` lines (a scenario's wrong entry) after the standard ones.
  public static func clientHosts(extra: [String] = []) -> String {
    (["# Written by nettriage lab for ntlab-client; removed by nettriage lab down.",
      "127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback"] + extra).joined(separator: "\n") + "\n"
  }

  /// The client's /etc/nsswitch.conf: hosts from the files and DNS only, so no name service of the machine
  /// (systemd-resolved, mDNS) can carry a lab query off the machine.
  public static let clientNsswitch = """
    # Written by nettriage lab for ntlab-client; removed by nettriage lab down.
    passwd: files
    group: files
    shadow: files
    hosts: files dns
    networks: files
    protocols: files
    services: files
    ethers: files
    rpc: files

    """

  /// Every step that builds the lab network, in order. Nothing is made in the machine's own namespace: the
  /// veths are created inside lab namespaces, so deleting the namespaces removes them.
  public static var buildSteps: [LabStep] {
    var steps: [LabStep] = LabHost.allCases.map { .namespace($0.namespace) }
    for host in LabHost.allCases {
      steps.append(.ip(["-n", host.namespace, "link", "set", "lo", "up"]))
      // Set before any link exists: new interfaces copy the `default` values.
      var settings: [SysctlSetting] = [
        .init("net/ipv6/conf/all/accept_dad", "0"), .init("net/ipv6/conf/default/accept_dad", "0"),
        .init("net/ipv6/conf/default/accept_ra", "0"),
        .init("net/ipv4/conf/all/rp_filter", "0"), .init("net/ipv4/conf/default/rp_filter", "0"),
      ]
      if host == .router {
        settings += [
          .init("net/ipv4/ip_forward", "1"), .init("net/ipv6/conf/all/forwarding", "1"),
          // No rate limit on the ICMP errors the router sends: each scenario's evidence must arrive.
          .init("net/ipv4/icmp_ratelimit", "0"), .init("net/ipv6/icmp/ratelimit", "0"),
        ]
      }
      steps.append(.sysctl(namespace: host.namespace, settings))
    }
    let router = LabHost.router.namespace
    for bridge in [clientBridge, serverBridge] {
      steps.append(.ip(["-n", router, "link", "add", bridge, "type", "bridge", "mcast_snooping", "0"]))
    }
    for link in links {
      let namespace = link.host.namespace
      steps += [
        .ip(["-n", namespace, "link", "add", hostInterface, "type", "veth", "peer", "name", link.routerPort, "netns", router]),
        .ip(["-n", router, "link", "set", link.routerPort, "master", link.bridge]),
        .ip(["-n", router, "link", "set", link.routerPort, "up"]),
        .sysctl(namespace: namespace, neighbourSettings(interface: hostInterface)),
        .ip(["-n", namespace, "link", "set", hostInterface, "up"]),
        .ip(["-n", namespace, "address", "add", link.ipv4 + "/24", "dev", hostInterface]),
        .ip(["-n", namespace, "address", "add", link.ipv6 + "/64", "dev", hostInterface, "nodad"]),
        .ip(["-n", namespace, "route", "add", "default", "via", link.gateway4]),
        .ip(["-n", namespace, "-6", "route", "add", "default", "via", link.gateway6]),
      ]
    }
    for (bridge, address4, address6) in [(clientBridge, routerClientSide4, routerClientSide6),
                                         (serverBridge, routerServerSide4, routerServerSide6)] {
      steps += [
        .sysctl(namespace: router, neighbourSettings(interface: bridge)),
        .ip(["-n", router, "link", "set", bridge, "up"]),
        .ip(["-n", router, "address", "add", address4 + "/24", "dev", bridge]),
        .ip(["-n", router, "address", "add", address6 + "/64", "dev", bridge, "nodad"]),
      ]
    }
    let client = LabHost.client.namespace
    steps += [
      .file(path: LabNames.configurationDirectory(of: client) + "/resolv.conf", contents: clientResolvConf),
      .file(path: LabNames.configurationDirectory(of: client) + "/hosts", contents: clientHosts()),
      .file(path: LabNames.configurationDirectory(of: client) + "/nsswitch.conf", contents: clientNsswitch),
    ]
    return steps
  }

  /// Faster neighbour resolution on one interface: 3 solicitations, 100 ms apart, for both families.
  static func neighbourSettings(interface: String) -> [SysctlSetting] {
    ["ipv4", "ipv6"].flatMap { family in
      [SysctlSetting("net/\(family)/neigh/\(interface)/retrans_time_ms", String(neighbourRetransmitMilliseconds)),
       SysctlSetting("net/\(family)/neigh/\(interface)/mcast_solicit", "3"),
       SysctlSetting("net/\(family)/neigh/\(interface)/ucast_solicit", "3")]
    }
  }
}
