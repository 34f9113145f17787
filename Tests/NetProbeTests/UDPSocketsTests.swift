import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe
import TestSupport

@Suite struct UDPSocketsTests {
  @Test func parsesBothFamiliesAndTellsAConnectedSocket() {
    let v4 = """
         sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops
        12: 0100007F:0035 00000000:0000 07 00000000:00000A00 00:00000000 00000000   101        0 2301 2 ffff8881 7
        13: 0A01A8C0:D431 08080808:0035 01 00000040:00000000 00:00000000 00000000     0        0 2302 2 ffff8882 0
        not a line
      """
    let rows = UDPSockets.parse(v4, family: .ipv4)
    #expect(rows.count == 2)
    #expect(rows[0].local == SocketAddress(.v4(127, 0, 0, 1), port: 53))
    #expect(rows[0].remote == nil)
    #expect(rows[0].receiveQueueBytes == 0xA00)
    #expect(rows[0].drops == 7)
    #expect(rows[0].uid == 101 && rows[0].inode == 2301)
    #expect(rows[1].local == SocketAddress(.v4(192, 168, 1, 10), port: 0xD431))
    #expect(rows[1].remote == SocketAddress(.v4(8, 8, 8, 8), port: 53))
    #expect(rows[1].sendQueueBytes == 0x40)

    let v6 = "  3: 00000000000000000000000001000000:1F90 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000  0  0 99 2 ffff 0\n"
    let six = UDPSockets.parse(v6, family: .ipv6)
    #expect(six.first?.local == SocketAddress(IPAddress("::1")!, port: 8080))
    #expect(six.first?.remote == nil)
  }

  @Test(arguments: [AddressFamily.ipv4, .ipv6])
  func aBoundSocketIsListedByItsPort(family: AddressFamily) throws {
    let bound = try ClosedPort(type: Int32(SOCK_DGRAM.rawValue), family: family.constant)
    let rows = try UDPSockets.read(port: bound.port)
    #expect(rows.count == 1)
    #expect(rows.first?.local.port == bound.port)
    #expect(rows.first?.local.address == (family == .ipv4 ? .v4(127, 0, 0, 1) : IPAddress("::1")!))
    #expect(rows.first?.drops == 0)
  }

  /// A socket that never reads, with a small buffer: the kernel drops what does not fit, per socket and in
  /// RcvbufErrors.
  @Test func aSocketThatDoesNotReadDropsAndTheCountersRise() throws {
    let server = try ClosedPort(type: Int32(SOCK_DGRAM.rawValue))
    var small: Int32 = 2048
    #expect(setsockopt(server.descriptor, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size)) == 0)
    let before = try UDPCounterSample.read()
    let sender = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
    defer { close(sender) }
    let payload = [UInt8](repeating: 0x55, count: 1000)
    for _ in 0..<64 {
      _ = withSockAddr(SocketAddress(.v4(127, 0, 0, 1), port: server.port)) { address, length in
        payload.withUnsafeBytes { sendto(sender, $0.baseAddress, $0.count, 0, address, length) }
      }
    }
    let row = try #require(try UDPSockets.read(port: server.port).first)
    #expect(row.drops > 0)
    #expect(row.receiveQueueBytes > 0)
    let after = try UDPCounterSample.read()
    #expect(after.receiveBufferErrors - before.receiveBufferErrors >= row.drops)
  }

  @Test func countersSumBothFamilies() {
    let snmp = "Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors\nUdp: 10 2 5 9 4\n"
    let snmp6 = "Udp6InDatagrams                 \t3\nUdp6NoPorts                     \t1\nUdp6RcvbufErrors\t6\nUdp6InErrors 7\n"
    let sample = UDPCounterSample.parse(snmp: snmp, snmp6: snmp6)
    #expect(sample == UDPCounterSample(receiveBufferErrors: 10, noPorts: 3, inErrors: 12))
  }
}
