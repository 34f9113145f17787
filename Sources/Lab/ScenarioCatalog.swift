import NetProbe

/// Every scenario the lab builds, as data: `lab list` prints them in this order.
extension Scenario {
  /// The scenarios, with `parameters` filled into the ones that take them.
  public static func catalog(_ parameters: ScenarioParameters = .standard) -> [Scenario] {
    let server = LabTopology.server4, server6 = LabTopology.server6
    let web = "\(server):80", web6 = "[\(server6)]:80"
    let router = LabHost.router, client = LabHost.client
    // listen-queue-overflow: a place frees every 750 ms and stays free 360 ms. SYN retransmits 1 to 1.03 s apart
    // (linear timeouts, Linux 6.7 and later; the kernel's timers round up) land 250 to 280 ms later in that cycle
    // each time, so the first three retransmits always find a gap, even for a connect that starts just after its
    // predecessor took the place: a connect completes within about 3 s, hence check's 4 s timeout.
    let queue = (acceptEvery: 750, crowdRefill: 360, checkTimeout: 4)
    return [
      Scenario(
        name: "healthy", summary: "Nothing is wrong: the web server answers on port 80, DNS answers for lab.test.",
        complaint: "Nothing: this is the baseline.", diagnosis: "reachable", secondary: [], target: "www.lab.test:80",
        probe: ["probe", "tcp", "www.lab.test:80"], expectedOutcome: "connected",
        explanation: "DNS gives 198.18.2.10 and fd00:18:2::10; SYN, SYN-ACK, ACK complete in well under a millisecond. Compare every fault with this.",
        setup: [], services: LabService.standard()),
      Scenario(
        name: "port-closed", summary: "Nothing listens on the server's port 80: its kernel answers the SYN with a reset.",
        complaint: "The web page at 198.18.2.10 does not load at all.", diagnosis: "port-closed", secondary: [], target: web,
        probe: ["probe", "tcp", web], expectedOutcome: "refused",
        explanation: "The server's stack answers the SYN with RST-ACK: ECONNREFUSED after one round trip. The RST comes from the destination itself (TTL 63: one router away) and ping answers, so the host is up and the port closed.",
        setup: [], services: LabService.standard(tcpPorts: [443, 8080])),
      Scenario(
        name: "port-filtered", summary: "A firewall on the server drops SYNs to port 80 without a word.",
        complaint: "Connections to 198.18.2.10 port 80 hang until they time out.", diagnosis: "port-filtered", secondary: [],
        target: web, probe: ["probe", "tcp", web], expectedOutcome: "timed-out",
        explanation: "The SYNs vanish at the server's input hook: no RST, no ICMP, connect() waits for the timeout while the SYN is retransmitted. The host is up (ping and port 443 answer), so the port is filtered, not the host down.",
        setup: [nft(.server, hook: "input", ["tcp dport 80 counter drop"])], services: LabService.standard()),
      Scenario(
        name: "filtered-at-router", summary: "The router drops forwarded SYNs to port 80 without a word.",
        complaint: "Connections to 198.18.2.10 port 80 hang until they time out.", diagnosis: "port-filtered", secondary: [],
        target: web, probe: ["probe", "tcp", web], expectedOutcome: "timed-out",
        explanation: "From the client this is port-filtered: silence. Only where the SYN disappears differs: a capture on the server sees no SYN at all, and the router's rule counter rises.",
        setup: [nft(router, hook: "forward", ["tcp dport 80 counter drop"])], services: LabService.standard()),
      Scenario(
        name: "admin-prohibited", summary: "The router rejects port 80 with ICMP \"administratively prohibited\".",
        complaint: "The web page at 198.18.2.10 fails at once with an error.", diagnosis: "admin-prohibited", secondary: [],
        target: web, probe: ["probe", "tcp", web], expectedOutcome: "admin-prohibited",
        explanation: "The router answers the SYN with ICMP type 3 code 13 from 198.18.1.1 (ICMPv6 type 1 code 1 from fd00:18:1::1): the connect fails in one round trip with EHOSTUNREACH (EACCES for IPv6), and the error queue names the router as the sender.",
        setup: [nft(router, hook: "forward", ["tcp dport 80 counter reject with icmpx admin-prohibited"])],
        services: LabService.standard()),
      Scenario(
        name: "reset-in-path", summary: "The router answers SYNs to port 80 with a TCP reset in the server's name.",
        complaint: "The web page at 198.18.2.10 is refused, but the server team says the web server runs.",
        diagnosis: "port-reset-in-path", secondary: [], target: web, probe: ["probe", "tcp", web], expectedOutcome: "refused",
        explanation: "ECONNREFUSED as for a closed port, but the RST is forged by the router: it arrives with TTL 64 (the server's own RST would arrive with 63, one hop less) and the server never sees the SYN. Only packet evidence tells it from port-closed.",
        setup: [nft(router, hook: "forward", ["tcp dport 80 tcp flags & (syn | ack) == syn counter reject with tcp reset"])],
        services: LabService.standard()),
      Scenario(
        name: "host-down-behind-router", summary: "Nobody has 198.18.2.99: the router's ARP fails and it answers ICMP host unreachable.",
        complaint: "The database at 198.18.2.99 cannot be reached.", diagnosis: "host-unreachable", secondary: [],
        target: "\(LabTopology.absentServerSide4):80", probe: ["probe", "tcp", "\(LabTopology.absentServerSide4):80"],
        expectedOutcome: "host-unreachable",
        explanation: "The client's SYN reaches the router, whose ARP for 198.18.2.99 gets no answer (3 tries, 100 ms apart in the lab); the router then sends ICMP type 3 code 1 from 198.18.1.1 and the connect fails with EHOSTUNREACH.",
        setup: [], services: LabService.standard()),
      Scenario(
        name: "onlink-host-down", summary: "Nobody has 198.18.1.99 on the client's own subnet: the client's own ARP fails.",
        complaint: "The printer at 198.18.1.99, on the same subnet, cannot be reached.", diagnosis: "neighbor-unreachable",
        secondary: [], target: "\(LabTopology.absentClientSide4):80", probe: ["probe", "tcp", "\(LabTopology.absentClientSide4):80"],
        expectedOutcome: "host-unreachable",
        explanation: "198.18.1.99 is on-link, so the client ARPs for it directly; nobody answers, the neighbour entry goes FAILED and our own stack raises EHOSTUNREACH (its ICMP report names our own address 198.18.1.10 as the sender). No router is involved.",
        setup: [], services: LabService.standard()),
      Scenario(
        name: "no-route", summary: "The client has no default route (IPv4 and IPv6).",
        complaint: "Nothing outside the client's own subnet can be reached.", diagnosis: "no-route", secondary: [],
        target: web, probe: ["probe", "tcp", web], expectedOutcome: "network-unreachable",
        explanation: "The route lookup finds nothing for 198.18.2.10: connect() fails at once with ENETUNREACH, before any packet is sent.",
        setup: [.ip(["-n", client.namespace, "route", "del", "default"]),
                .ip(["-n", client.namespace, "-6", "route", "del", "default"])],
        services: LabService.standard()),
      Scenario(
        name: "gateway-down", summary: "The client's default gateway 198.18.1.1 is gone: nobody answers ARP for it.",
        complaint: "Nothing outside the client's own subnet can be reached.", diagnosis: "gateway-unreachable", secondary: [],
        target: web, probe: ["probe", "tcp", web], expectedOutcome: "host-unreachable",
        explanation: "The route says 'via 198.18.1.1', but the router lost that address: the client's ARP for the gateway fails and its own stack raises EHOSTUNREACH, whatever the destination. The neighbour table shows the gateway FAILED.",
        setup: [.ip(["-n", router.namespace, "address", "del", LabTopology.routerClientSide4 + "/24", "dev", LabTopology.clientBridge]),
                .ip(["-n", router.namespace, "address", "del", LabTopology.routerClientSide6 + "/64", "dev", LabTopology.clientBridge])],
        services: LabService.standard()),
      Scenario(
        name: "link-down", summary: "The client's interface has no carrier: the other end of its cable (in the router) is down.",
        complaint: "Nothing at all can be reached from the client.", diagnosis: "link-down", secondary: [],
        target: web, probe: ["probe", "tcp", web], expectedOutcome: "host-unreachable",
        explanation: "ntlab-eth0 is admin up but NO-CARRIER (operstate down): frames go nowhere, ARP for the gateway fails and the connect ends with a local EHOSTUNREACH. The interface state, not the probe, names the cause.",
        setup: [.ip(["-n", router.namespace, "link", "set", "ntlab-p-client", "down"])], services: LabService.standard()),
      Scenario(
        name: "icmp-blocked", summary: "The router drops pings (echo requests, both families); TCP to port 80 works.",
        complaint: "The server 198.18.2.10 does not answer ping, but the web page works.", diagnosis: "reachable",
        secondary: ["icmp-blocked"], target: web, probe: ["probe", "tcp", web], expectedOutcome: "connected",
        explanation: "Echo requests die in the router's forward hook, so ping times out, while the TCP handshake completes: the host is up and only ICMP is filtered. Ping alone would have called the host down.",
        setup: [nft(router, hook: "forward", ["icmp type echo-request counter drop", "icmpv6 type echo-request counter drop"])],
        services: LabService.standard()),
      Scenario(
        name: "dns-nxdomain", summary: "The DNS server says www.lab.test does not exist (NXDOMAIN).",
        complaint: "www.lab.test cannot be found.", diagnosis: "dns-nxdomain", secondary: [], target: "www.lab.test:80",
        probe: ["resolve", "www.lab.test"], expectedOutcome: "no-name",
        explanation: "The lab's DNS server (198.18.2.10) answers every query with rcode 3 NXDOMAIN; getaddrinfo returns EAI_NONAME. The server answered, so this is the name, not the network.",
        setup: [], services: LabService.standard(dns: .nxdomain)),
      Scenario(
        name: "dns-timeout", summary: "The DNS server reads queries and never answers.",
        complaint: "www.lab.test takes a long time and then cannot be found.", diagnosis: "dns-timeout", secondary: [],
        target: "www.lab.test:80", probe: ["resolve", "www.lab.test"], expectedOutcome: "try-again",
        explanation: "Queries reach 198.18.2.10:53 but no answer comes; after resolv.conf's timeout x attempts (1 s x 1 in the lab) getaddrinfo gives EAI_AGAIN. The server host itself answers ping and TCP.",
        setup: [], services: LabService.standard(dns: .silent)),
      Scenario(
        name: "dns-servfail", summary: "The DNS server fails every query (SERVFAIL).",
        complaint: "www.lab.test cannot be found right now.", diagnosis: "dns-servfail", secondary: [],
        target: "www.lab.test:80", probe: ["resolve", "www.lab.test"], expectedOutcome: "try-again",
        explanation: "The DNS server answers at once with rcode 2 SERVFAIL: glibc treats it as temporary (EAI_AGAIN), like a timeout, but the DNS probe shows an answer came, with SERVFAIL in it.",
        setup: [], services: LabService.standard(dns: .servfail)),
      Scenario(
        name: "wrong-address", summary: "The client's hosts file maps www.lab.test to 198.18.2.20 (server2), which has no web server.",
        complaint: "www.lab.test refuses connections, but colleagues reach it fine.", diagnosis: "port-closed", secondary: [],
        target: "www.lab.test:80", probe: ["probe", "tcp", "www.lab.test:80"], expectedOutcome: "refused",
        explanation: "nsswitch reads the hosts file before DNS, so the client connects to 198.18.2.20 instead of 198.18.2.10. server2 is up but runs nothing on port 80, so its stack resets the SYN: port-closed, an answer from a live host. The evidence of the wrong address is in resolution: the answer came from the hosts file and differs from the DNS server's.",
        setup: [.file(path: LabNames.configurationDirectory(of: client.namespace) + "/hosts",
                      contents: LabTopology.clientHosts(extra: ["\(LabTopology.server2Address4)\twww.lab.test"]))],
        services: LabService.standard()),
      Scenario(
        name: "listen-queue-overflow",
        summary: "The web server takes a connection off its backlog-1 queue only every 0.75 s and a crowd refills it: many SYNs are dropped.",
        complaint: "Connections to 198.18.2.10 port 80 take a second or more, though the server team says the service runs.",
        diagnosis: "listen-queue-overflow", secondary: [], target: web,
        probe: ["probe", "tcp", web, "-n", "5", "-i", "0", "-t", "4"], expectedOutcome: "connected",
        explanation: "The listener's accept queue holds 2 connections (backlog 1 + 1). The application takes one off it every \(queue.acceptEvery) ms and a crowd of other clients (connections the service makes inside the server) takes the freed place \(queue.crowdRefill) ms later, so the queue is full about half the time and the server's kernel drops the SYNs that arrive then. A client's SYN gets in only inside a gap, so its connect completes on one of its kernel's SYN retransmits, about 1, 2 or 3 s after it started (this kernel sends them 1 s apart at first, net.ipv4.tcp_syn_linear_timeouts; a kernel without that setting sends them after 1, 3 and 7 s, and a connect may then take 7 s); a connect right after another always waits, because the first one's connection holds the place until the next accept. Ping and port 443 answer in well under a millisecond with nothing lost, so the path is fine and only SYNs to port 80 are dropped: that is what `nettriage check \(web) -t \(queue.checkTimeout)` sees from the client. The proof is on the server (nettriage lab exec --host server -- nettriage probe sockets --listen --port 80): the accept queue at 2/1 and ListenOverflows rising with each dropped SYN. A queue that never drains would look like port-filtered from the client.",
        setup: [],
        services: [.tcpListeners(ports: [443, 8080]), .backlog(port: 80, backlog: 1, acceptEveryMilliseconds: queue.acceptEvery, crowdRefillMilliseconds: queue.crowdRefill),
                   .udpEcho, .dns(.answer)],
        checkTimeoutSeconds: queue.checkTimeout),
      Scenario(
        name: "packet-loss", summary: "The router drops \(parameters.lossPercent)% of forwarded packets at random.",
        complaint: "Connections to 198.18.2.10 are slow and sometimes fail.", diagnosis: "reachable", secondary: ["packet-loss"],
        target: web, probe: ["probe", "udp", "\(server):7", "--payload", "ping", "-n", "20", "-i", "0.05"], expectedOutcome: "reply",
        explanation: "An nftables rule in the router (numgen random mod 100 < \(parameters.lossPercent), since this kernel has no netem) drops packets both ways: about \(100 - (100 - parameters.lossPercent) * (100 - parameters.lossPercent) / 100)% of echo round trips fail, and lost SYNs are retransmitted after 1 s, so some connects take a second longer.",
        setup: [nft(router, hook: "forward", ["numgen random mod 100 < \(parameters.lossPercent) counter drop"])],
        // A connect whose first SYN (or SYN-ACK) is lost completes on the 1 s retransmit: check must wait for it.
        services: LabService.standard(), checkTimeoutSeconds: 4),
      highLatency(parameters.delayMilliseconds),
      Scenario(
        name: "local-firewall", summary: "An nftables output rule in the client drops its own packets to port 80.",
        complaint: "Connections to 198.18.2.10 port 80 hang, from this machine only.", diagnosis: "local-firewall", secondary: [],
        target: web, probe: ["probe", "tcp", web], expectedOutcome: "timed-out",
        explanation: "The drop is in the client's own output hook: connect() does not fail with EPERM, the SYNs simply never reach the wire, so it times out like a remote filter. The evidence: no SYN on ntlab-eth0 in a capture, and the local rule's counter rises.",
        setup: [nft(client, hook: "output", ["tcp dport 80 counter drop"])], services: LabService.standard()),
      Scenario(
        name: "stalled-connection", summary: "The server accepts on port 8080 but never reads; a client program keeps sending.",
        complaint: "Uploads to 198.18.2.10 port 8080 start and then hang forever.", diagnosis: "reachable", secondary: [],
        target: "\(server):8080", probe: ["probe", "tcp", "\(server):8080"], expectedOutcome: "connected",
        explanation: "The handshake completes (reachable), but the server's application never reads: its receive window closes, the client's send queue fills and stays full (zero-window probes), and the connection makes no progress. The socket-state step shows the ESTABLISHED connection whose Send-Q does not drain. DESIGN.md has no diagnosis id for a stall yet.",
        setup: [],
        services: [.tcpListeners(ports: [80, 443]), .stallServer(port: 8080), .udpEcho, .dns(.answer),
                   .stallSender(address: server, port: 8080)]),
      Scenario(
        name: "reachable-v6", summary: "IPv6 works: the web server answers on [fd00:18:2::10]:80.",
        complaint: "Nothing: the IPv6 baseline.", diagnosis: "reachable", secondary: [], target: web6,
        probe: ["probe", "tcp", web6], expectedOutcome: "connected",
        explanation: "The same handshake over IPv6, through the router's fd00:18:1::1 and fd00:18:2::1.",
        setup: [], services: LabService.standard()),
      Scenario(
        name: "port-closed-v6", summary: "Nothing listens on port 80: the server resets the IPv6 SYN.",
        complaint: "The web page at [fd00:18:2::10] does not load at all.", diagnosis: "port-closed", secondary: [],
        target: web6, probe: ["probe", "tcp", web6], expectedOutcome: "refused",
        explanation: "As port-closed, over IPv6: RST-ACK from the server, ECONNREFUSED in one round trip.",
        setup: [], services: LabService.standard(tcpPorts: [443, 8080])),
      Scenario(
        name: "port-filtered-v6", summary: "A firewall on the server drops IPv6 SYNs to port 80 without a word (IPv4 works).",
        complaint: "Connections to [fd00:18:2::10]:80 hang; the IPv4 address works.", diagnosis: "port-filtered", secondary: [],
        target: web6, probe: ["probe", "tcp", web6], expectedOutcome: "timed-out",
        explanation: "As port-filtered, for IPv6 only: the IPv6 SYNs vanish while IPv4 to the same port connects, which proves the host up.",
        setup: [nft(.server, hook: "input", ["meta nfproto ipv6 tcp dport 80 counter drop"])], services: LabService.standard()),
      Scenario(
        name: "admin-prohibited-v6", summary: "The router rejects IPv6 port 80 with ICMPv6 \"administratively prohibited\".",
        complaint: "The web page at [fd00:18:2::10] fails at once with an error.", diagnosis: "admin-prohibited", secondary: [],
        target: web6, probe: ["probe", "tcp", web6], expectedOutcome: "admin-prohibited",
        explanation: "The router answers with ICMPv6 type 1 code 1 from fd00:18:1::1; Linux turns that into EACCES, not EHOSTUNREACH, and the error queue names the router.",
        setup: [nft(router, hook: "forward", ["tcp dport 80 counter reject with icmpx admin-prohibited"])],
        services: LabService.standard()),
    ]
  }

  /// The scenario named `name`, if there is one.
  public static func named(_ name: String, parameters: ScenarioParameters = .standard) -> Scenario? {
    catalog(parameters).first { $0.name == name }
  }

  /// The high-latency scenario: every forwarded packet passes the router's user-space delay line.
  static func highLatency(_ milliseconds: Int) -> Scenario {
    let router = LabHost.router.namespace, device = "ntlab-delay"
    var setup: [LabStep] = [
      .ip(["-n", router, "tuntap", "add", "dev", device, "mode", "tun"]),
      .sysctl(namespace: router, [SysctlSetting("net/ipv4/conf/\(device)/rp_filter", "0")]),
      .ip(["-n", router, "link", "set", device, "up"]),
    ]
    // Whatever arrives from either subnet goes into the TUN device; what the delay line writes back arrives on the
    // device, so the main table forwards it on.
    for family in ["-4", "-6"] {
      setup.append(.ip(["-n", router, family, "route", "add", "default", "dev", device, "table", "100"]))
      for bridge in [LabTopology.clientBridge, LabTopology.serverBridge] {
        setup.append(.ip(["-n", router, family, "rule", "add", "pref", "100", "iif", bridge, "lookup", "100"]))
      }
    }
    let rtt = 2 * milliseconds
    return Scenario(
      name: "high-latency", summary: "Every packet through the router is held \(milliseconds) ms each way (RTT about \(rtt) ms).",
      complaint: "Everything on 198.18.2.10 works, but slowly.", diagnosis: "reachable", secondary: ["high-latency"],
      target: "\(LabTopology.server4):80", probe: ["probe", "tcp", "\(LabTopology.server4):80"], expectedOutcome: "connected",
      explanation: "This kernel has no netem, so the router routes every forwarded packet into a TUN device where `nettriage lab delay-line` holds it \(milliseconds) ms before handing it back. The handshake takes about \(rtt) ms instead of well under 1 ms: the path works, slowly.",
      setup: setup, services: LabService.standard() + [.delayLine(device: device, milliseconds: milliseconds)])
  }

  /// An nftables table `inet ntlab` with one base chain on `hook` holding `rules`.
  static func nft(_ host: LabHost, hook: String, _ rules: [String]) -> LabStep {
    .nftables(namespace: host.namespace, ruleset: """
      table inet ntlab {
        chain \(hook) {
          type filter hook \(hook) priority 0; policy accept;
      \(rules.map { "    " + $0 }.joined(separator: "\n"))
        }
      }

      """)
  }
}
