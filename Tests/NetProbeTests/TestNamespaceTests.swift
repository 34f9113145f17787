import Foundation
import Testing
import TestSupport
@testable import NetProbe

/// The namespace helper itself: a socket opened inside sees only the namespace's own interfaces.
@Suite(.enabled(if: TestNamespace.isAvailable, "needs root and iproute2 for network namespaces"))
struct TestNamespaceTests {
  @Test func performRunsInsideTheNamespace() throws {
    let namespace = try TestNamespace(tag: "self")
    try namespace.ip(["link", "add", "nt0", "type", "veth", "peer", "name", "nt1"])
    try namespace.ip(["link", "set", "nt1", "up"])
    try namespace.ip(["addr", "add", "198.18.250.1/24", "dev", "nt0"])
    try namespace.ip(["link", "set", "nt0", "up"])
    // Binding to the namespace's address works inside it and fails outside.
    let inside = try namespace.perform { () -> ProbeOutcome in
      TCPConnectProbe.connect(to: SocketAddress(.v4(198, 18, 250, 1), port: 9), options: .init(timeout: .seconds(1))).outcome
    }
    #expect(inside == .refused)
    let outside = TCPConnectProbe.connect(to: SocketAddress(.v4(127, 0, 0, 1), port: 9),
                                          options: .init(timeout: .seconds(1), source: SocketAddress(.v4(198, 18, 250, 1), port: 0)))
    #expect(outside.outcome == .addressUnavailable)
  }
}
