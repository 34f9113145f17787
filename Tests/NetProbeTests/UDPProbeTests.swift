import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe
import TestSupport

@Suite struct UDPProbeTests {
  @Test(arguments: ["127.0.0.1", "::1"])
  func echoRepliesSoThePortIsOpen(host: String) async throws {
    let echo = try LoopbackUDPEcho(address: IPAddress(host)!)
    let result = await UDPProbe.probe([echo.socketAddress], target: "echo",
                                      options: .init(timeout: .seconds(2), payload: Array("hello".utf8)))
    #expect(result.outcome == .reply)
    #expect(result.final.replyBytes == 5)
    #expect(result.final.peer == echo.socketAddress)
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func closedPortAnswersWithPortUnreachable(host: String) async throws {
    let address = IPAddress(host)!
    let port = try unusedPort(type: Int32(SOCK_DGRAM.rawValue), family: address.family)
    let result = await UDPProbe.probe([SocketAddress(address, port: port)], target: "closed",
                                      options: .init(timeout: .seconds(2)))
    #expect(result.outcome == .refused)
    #expect(result.final.errno?.name == "ECONNREFUSED")
    // IP_RECVERR keeps the ICMP behind the error: port unreachable, sent by loopback itself.
    let icmp = try #require(result.final.icmp)
    #expect(icmp.isPortUnreachable)
    #expect(icmp.sender == address)
    #expect(icmp.origin == (address.family == .ipv4 ? .icmp : .icmp6))
  }

  @Test func silenceIsNoReply() async throws {
    // A bound socket that never answers: the datagram is queued and nobody replies.
    let silent = try ClosedPort(type: Int32(SOCK_DGRAM.rawValue))
    let result = await UDPProbe.probe([SocketAddress(.v4(127, 0, 0, 1), port: silent.port)], target: "silent",
                                      options: .init(timeout: .milliseconds(200)))
    #expect(result.outcome == .noReply)
    #expect(result.final.elapsedMicroseconds >= 190_000)
    #expect(!result.outcome.isAnswer)
  }
}
