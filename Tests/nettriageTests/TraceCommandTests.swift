import Foundation
import NetProbe
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `nettriage probe trace` as a user runs it, against loopback: one hop, the destination's answer, the finding.
@Suite struct TraceCommandTests {
  static func run(_ arguments: [String]) throws -> CommandLineTests.Run {
    try CommandLineTests.run(["probe", "trace"] + arguments)
  }

  static func jsonObject(_ run: CommandLineTests.Run) throws -> [String: Any] {
    #expect(run.lines.count == 1, "\(run.stdout)")
    let line = try #require(run.lines.first)
    return try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func udpTraceToLoopbackPrintsOneHopAndTheFinding(host: String) throws {
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue), family: host.contains(":") ? .ipv6 : .ipv4)
    let target = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    let run = try Self.run([target, "-q", "2"])
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    let icmp = host.contains(":") ? "ICMPv6 1/4" : "ICMP 3/3"
    #expect(run.lines.count == 4, "\(run.stdout)")
    #expect(run.lines.first == "trace to \(host): \(host) (numeric address: no resolver asked)")
    #expect(run.lines.dropFirst().first == "udp trace to \(host) port \(port): up to 30 hops, 2 probes each, 3 s timeout")
    let hop = try #require(run.lines.dropFirst(2).first)
    #expect(hop.hasPrefix("  1  \(host)  port unreachable (\(icmp))  "), "\(hop)")
    #expect(hop.components(separatedBy: " ms").count == 3)  // two round trips
    #expect(run.lines.last == "reached \(host) in 1 hop")
    #expect(run.stderr.isEmpty)
  }

  @Test func tcpTraceToAListenerIsReachedWithSynAck() throws {
    let listener = try LoopbackTCPListener()
    let run = try Self.run(["127.0.0.1", "--mode", "tcp", "-p", "\(listener.port)", "-q", "1"])
    #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
    #expect(run.lines.dropFirst().first?.hasPrefix("tcp trace to 127.0.0.1 port \(listener.port): up to 30 hops, 1 probe each") == true)
    #expect(run.stdout.contains("  1  127.0.0.1  SYN-ACK  "))
    #expect(run.lines.last == "reached 127.0.0.1 in 1 hop (SYN-ACK: port \(listener.port) is open)")
  }

  @Test func tcpTraceToAClosedPortIsReachedWithReset() throws {
    let port = try unusedPort(type: Int32(SOCK_STREAM.rawValue))
    let run = try Self.run(["127.0.0.1:\(port)", "--mode", "tcp", "-q", "1"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("  1  127.0.0.1  RST  "))
    #expect(run.lines.last == "reached 127.0.0.1 in 1 hop (RST: nothing listens on port \(port), or a device at hop 1 resets on its behalf)")
  }

  @Test func icmpTraceToLoopbackIsReachedOrSkippedWithTheReason() throws {
    let run = try Self.run(["127.0.0.1", "--mode", "icmp", "-q", "1"])
    if getuid() == 0 {
      #expect(run.status == 0)
      #expect(run.stdout.contains("raw socket"))
      #expect(run.stdout.contains("  1  127.0.0.1  echo reply  "))
      #expect(run.lines.last == "reached 127.0.0.1 in 1 hop")
    } else {
      #expect(run.status == 0 || run.status == 3)
    }
  }

  @Test func jsonIsOneObjectWithHopsAndTheConclusion() throws {
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue))
    let run = try Self.run(["127.0.0.1:\(port)", "--json", "-q", "1"])
    #expect(run.status == 0)
    let object = try Self.jsonObject(run)
    #expect(object["type"] as? String == "trace")
    #expect(object["mode"] as? String == "udp")
    #expect(object["address"] as? String == "127.0.0.1")
    #expect(object["port"] as? Int == Int(port))
    #expect(object["reached"] as? Bool == true)
    #expect((object["resolution"] as? [String: Any])?["method"] as? String == "numeric")
    let conclusion = try #require(object["conclusion"] as? [String: Any])
    #expect(conclusion["kind"] as? String == "reached")
    #expect(conclusion["hop"] as? Int == 1)
    let hops = try #require(object["hops"] as? [[String: Any]])
    #expect(hops.count == 1)
    let responder = try #require((hops.first?["responders"] as? [[String: Any]])?.first)
    #expect(responder["address"] as? String == "127.0.0.1")
    #expect(responder["answer"] as? String == "port-unreachable")
    let icmp = try #require(responder["icmp"] as? [String: Any])
    #expect(icmp["type"] as? Int == 3 && icmp["code"] as? Int == 3)
    let probe = try #require((hops.first?["probes"] as? [[String: Any]])?.first)
    #expect(probe["ttl"] as? Int == 1)
    #expect((probe["rttMicroseconds"] as? Int ?? -1) >= 0)
  }

  @Test func anUnansweredTraceExitsOneAndSaysWhereTheSilenceStarts() throws {
    // A bound UDP socket that never answers: every probe arrives and nothing comes back.
    let sink = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(sink) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = UInt32(0x7f00_0001).bigEndian
    _ = withUnsafePointer(to: &address) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(sink, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    let port = LoopbackTCPListener.boundPort(sink)
    let run = try Self.run(["127.0.0.1:\(port)", "--max-hops", "3", "-q", "1", "-t", "0.3"])
    #expect(run.status == 1)
    #expect(run.lines.contains("1-3  *  (no answer from these 3 hops)"), "\(run.stdout)")
    #expect(run.lines.last == "no answer from any hop: the probes are dropped before the first router, or nothing on the path answers udp probes")
  }

  @Test func helpShowsTheModesAndExamples() throws {
    let run = try CommandLineTests.run(["probe", "trace", "--help"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("--mode <mode>"))
    #expect(run.stdout.contains("--max-hops <max-hops>"))
    #expect(run.stdout.contains("nettriage probe trace example.com:443 --mode tcp"))
    let probeHelp = try CommandLineTests.run(["probe", "--help"])
    #expect(probeHelp.stdout.contains("trace"))
  }

  @Test(arguments: [
    ["127.0.0.1", "--mode", "sctp"],
    ["127.0.0.1", "--max-hops", "0"],
    ["127.0.0.1", "--max-hops", "256"],
    ["127.0.0.1", "-q", "0"],
    ["127.0.0.1", "-q", "11"],
    ["127.0.0.1", "-t", "0"],
    ["127.0.0.1", "-t", "61"],
    ["127.0.0.1", "-p", "0"],
    ["127.0.0.1", "-p", "70000"],
    ["127.0.0.1", "--mode", "icmp", "-p", "80"],
    ["127.0.0.1", "--mode", "udp", "--method", "raw"],
    ["127.0.0.1", "--mode", "icmp", "--method", "cooked"],
    ["127.0.0.1", "-4", "-6"],
    ["127.0.0.1:80", "--mode", "tcp", "-p", "443"],
    ["unix:/run/app.sock"],
    ["bad::input::"],
    ["[fe80::1%nosuchif0]"],
    [""],
    ["\u{1b}[2J\u{7}"],
    [],
  ])
  func badInputIsOneLineAndExitsTwo(arguments: [String]) throws {
    let run = try Self.run(arguments)
    #expect(run.status == 2, "\(arguments): \(run.stdout)\(run.stderr)")
    #expect(run.stdout.isEmpty)
    #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    #expect(run.stderr.hasPrefix("nettriage: "))
    #expect(!run.stderr.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
  }
}
