import NetProbe

/// The background programs scenarios use; each runs as `nettriage lab SERVE-COMMAND ...` inside a namespace.
extension LabService {
  /// The web-ish listeners on the server: accept, send a banner, close.
  public static func tcpListeners(ports: [UInt16]) -> LabService {
    LabService(role: "tcp-listeners", host: .server,
               arguments: ["serve-tcp"] + ports.flatMap { ["--port", String($0)] } + ["--banner", "ntlab server"])
  }

  /// UDP echo on port 7 of the server.
  public static let udpEcho = LabService(role: "udp-echo", host: .server, arguments: ["serve-udp-echo", "--port", "7"])

  /// The DNS server for lab.test on the server's two addresses, in `mode`.
  public static func dns(_ mode: DNSResponder.Mode) -> LabService {
    LabService(role: "dns", host: .server, arguments: ["serve-dns", "--mode", mode.rawValue, "--port", "53",
                                                        "--address", LabTopology.server4, "--address", LabTopology.server6])
  }

  /// A listener whose accept queue is full most of the time: it takes one connection off the queue every
  /// `acceptEveryMilliseconds` and a crowd of other clients refills the place `crowdRefillMilliseconds` later;
  /// with `acceptEveryMilliseconds` nil it never accepts and the queue never drains.
  public static func backlog(port: UInt16, backlog: Int, acceptEveryMilliseconds: Int?, crowdRefillMilliseconds: Int = 0) -> LabService {
    var arguments = ["serve-backlog", "--port", String(port), "--backlog", String(backlog)]
    if let acceptEveryMilliseconds {
      arguments += ["--accept-every-ms", String(acceptEveryMilliseconds), "--crowd-refill-ms", String(crowdRefillMilliseconds)]
    }
    return LabService(role: "backlog-listener", host: .server, arguments: arguments)
  }

  /// A server that accepts and never reads.
  public static func stallServer(port: UInt16) -> LabService {
    LabService(role: "stall-server", host: .server, arguments: ["serve-stall", "--port", String(port)])
  }

  /// The client program that keeps sending to the stall server.
  public static func stallSender(address: String, port: UInt16) -> LabService {
    LabService(role: "stall-sender", host: .client, arguments: ["stall-sender", "--address", address, "--port", String(port)])
  }

  /// The router's delay line on the TUN device the scenario routes through.
  public static func delayLine(device: String, milliseconds: Int) -> LabService {
    LabService(role: "delay-line", host: .router, arguments: ["delay-line", "--device", device, "--delay-ms", String(milliseconds)])
  }

  /// The server's usual services: TCP 80, 443, 8080 (or `tcpPorts`), UDP echo 7, DNS answering.
  public static func standard(tcpPorts: [UInt16] = [80, 443, 8080], dns mode: DNSResponder.Mode = .answer) -> [LabService] {
    [.tcpListeners(ports: tcpPorts), .udpEcho, .dns(mode)]
  }
}
