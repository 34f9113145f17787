import Testing
@testable import NetProbe

struct IPAddressTests {
  @Test func unspecifiedAddresses() {
    #expect(IPAddress.v4(0, 0, 0, 0).isUnspecified && IPAddress("::")!.isUnspecified)
    #expect(!IPAddress.v4(0, 0, 0, 1).isUnspecified && !IPAddress.v4(127, 0, 0, 1).isUnspecified && !IPAddress("::1")!.isUnspecified)
  }

  /// A flow whose local side is the unspecified address matches any local address; a given one narrows it.
  @Test func flowLocalAddress() {
    let server = SocketAddress(.v4(198, 18, 2, 10), port: 80)
    #expect(CaptureFlow(.tcp, remote: server, local: SocketAddress(.v4(0, 0, 0, 0), port: 0)).localAddress == nil)
    #expect(CaptureFlow(.tcp, remote: server, local: SocketAddress(IPAddress("::")!, port: 0)).localAddress == nil)
    #expect(CaptureFlow(.tcp, remote: server, local: SocketAddress(.v4(198, 18, 1, 10), port: 0)).localAddress == .v4(198, 18, 1, 10))
  }
}
