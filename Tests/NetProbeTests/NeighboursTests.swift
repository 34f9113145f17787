import Testing
import TestSupport
@testable import NetProbe

@Suite struct NeighbourStateTests {
  @Test(arguments: [
    (UInt16(0x00), NeighbourState.none), (0x01, .incomplete), (0x02, .reachable), (0x04, .stale), (0x08, .delay), (0x10, .probe),
    (0x20, .failed), (0x40, .noARP), (0x80, .permanent),
  ] as [(UInt16, NeighbourState)])
  func stateBitsHaveTheirIPNeighNames(bits: UInt16, state: NeighbourState) {
    #expect(NeighbourState(bits: bits) == state)
  }

  @Test func unansweredAndResolvedStatesAreSeparate() {
    #expect(NeighbourState.allCases.filter(\.isUnanswered) == [.failed, .incomplete])
    #expect(NeighbourState.allCases.filter(\.hasLinkAddress) == [.reachable, .stale, .delay, .probe, .permanent, .noARP])
  }

  @Test func flagNames() {
    #expect(Neighbours.flagNames(0x80 | 0x08) == ["proxy", "router"])
  }
}

/// On the host only loopback is checked: a local address sends nothing and needs no ARP/ND.
@Suite struct LoopbackNeighbourTests {
  @Test(arguments: ["127.0.0.1", "::1"])
  func aLocalAddressNeedsNoResolution(address: String) async throws {
    let check = try await Neighbours.check(IPAddress(address)!, timeout: .seconds(1))
    #expect(check.outcome == .local)
    #expect(check.isAnswered)
    #expect(!check.datagramSent)
    #expect(check.summary.contains("this host's own address"))
  }

  @Test func theTableDumpsWithoutPrivilege() throws {
    // Entries depend on the host; the dump itself must work and give parsed addresses and states.
    for neighbour in try Neighbours.list() {
      #expect(neighbour.interfaceIndex > 0)
      #expect(!neighbour.interface.isEmpty)
    }
  }
}

@Suite(.enabled(if: TestNamespace.isAvailable, "needs root and iproute2 for network namespaces"))
struct NamespaceNeighbourTests {
  @Test func thePeerAnswersAndEndsReachable() throws {
    let lab = try VethLab(tag: "nbok", network: 11)
    let (v4, v6, table) = try lab.host.perform {
      (try Neighbours.check(lab.peerV4, timeout: .seconds(5)), try Neighbours.check(lab.peerV6, timeout: .seconds(5)),
       try Neighbours.list())
    }
    for check in [v4, v6] {
      #expect(check.outcome == .resolved)
      #expect(check.state == .reachable)
      #expect(check.mac == lab.peerMAC)
      #expect(check.interface == "veth0")
      #expect(check.datagramSent)
      #expect(check.initialState == nil)
      #expect(check.samples.last?.state == .reachable)
      #expect(check.isAnswered)
    }
    #expect(v4.summary.hasPrefix("\(lab.peerV4) on veth0 answered ARP: \(lab.peerMAC) (REACHABLE after "))
    #expect(v6.summary.hasPrefix("\(lab.peerV6) on veth0 answered ND: \(lab.peerMAC)"))
    let entry = try #require(table.first { $0.address == lab.peerV4 })
    #expect(entry == Neighbour(address: lab.peerV4, interface: "veth0", interfaceIndex: 2, mac: lab.peerMAC, state: .reachable))
    #expect(table.contains { $0.address == lab.peerV6 && $0.mac == lab.peerMAC })
  }

  @Test func aSecondCheckFindsTheEntryAlreadyConfirmed() throws {
    let lab = try VethLab(tag: "nbtwice", network: 12)
    let second = try lab.host.perform { () -> NeighbourCheck in
      _ = try Neighbours.check(lab.peerV4, timeout: .seconds(5))
      return try Neighbours.check(lab.peerV4, timeout: .seconds(5))
    }
    #expect(second.outcome == .resolved)
    #expect(second.initialState == .reachable)
    #expect(!second.datagramSent)
  }

  @Test func aStaleEntryEndsAtOnceUnlessConfirmationIsAsked() throws {
    let lab = try VethLab(tag: "nbstale", network: 18)
    try lab.host.exec("/usr/sbin/sysctl", ["-q", "-w", "net.ipv4.neigh.veth0.delay_first_probe_time=1"])
    try lab.host.ip(["neigh", "add", "\(lab.peerV4)", "lladdr", lab.peerMAC, "dev", "veth0", "nud", "stale"])
    let quick = try lab.host.perform { try Neighbours.check(lab.peerV4, timeout: .seconds(5)) }
    #expect(quick.outcome == .resolved)
    #expect(quick.initialState == .stale)
    #expect(quick.state == .stale)
    #expect(quick.datagramSent)
    #expect(quick.summary.contains("from an earlier ARP answer (STALE: not confirmed lately)"))
    try lab.host.ip(["neigh", "replace", "\(lab.peerV4)", "lladdr", lab.peerMAC, "dev", "veth0", "nud", "stale"])
    let confirmed = try lab.host.perform { try Neighbours.check(lab.peerV4, timeout: .seconds(10), confirmStale: true) }
    #expect(confirmed.outcome == .resolved)
    #expect(confirmed.state == .reachable)
    #expect(confirmed.samples.map(\.state).contains(.delay))
  }

  @Test(arguments: ["198.18.13.77", "fd00:13::77"])
  func anAbsentOnLinkAddressEndsFailed(address: String) throws {
    let lab = try VethLab(tag: "nbfail", network: 13)
    try lab.shortenNeighbourTimeouts()
    let start = ContinuousClock.now
    let check = try lab.host.perform { try Neighbours.check(IPAddress(address)!, timeout: .seconds(10)) }
    #expect(ContinuousClock.now - start < .seconds(8))
    #expect(check.outcome == .noAnswer)
    #expect(check.state == .failed)
    #expect(check.samples.map(\.state).contains(.incomplete))
    #expect(check.mac == nil)
    #expect(!check.isAnswered)
    #expect(check.summary.hasPrefix("ARP/ND got no answer: \(address) on veth0 ended FAILED after "))
  }

  @Test func theDeadlineWhileIncompleteIsNoAnswerToo() throws {
    let lab = try VethLab(tag: "nbdead", network: 14)
    let check = try lab.host.perform { try Neighbours.check(IPAddress("198.18.14.77")!, timeout: .milliseconds(300)) }
    #expect(check.outcome == .noAnswer)
    #expect(check.state == .incomplete)
    #expect(check.summary.contains("ARP/ND got no answer"))
    #expect(check.summary.contains("stayed INCOMPLETE until the deadline"))
  }

  @Test func anOffLinkAddressNamesTheGatewayToCheck() throws {
    let lab = try VethLab(tag: "nboff", network: 15)
    let check = try lab.host.perform { try Neighbours.check(IPAddress("198.19.15.9")!, timeout: .seconds(1)) }
    #expect(check.outcome == .notOnLink)
    #expect(check.gateway == lab.peerV4)
    #expect(!check.datagramSent)
    #expect(check.summary == "198.19.15.9 is not on-link: it is routed via gateway \(lab.peerV4) on veth0; "
      + "check the gateway's ARP instead (nettriage probe neigh \(lab.peerV4))")
  }

  @Test func noRouteAndOwnAddressNeedNoTraffic() throws {
    let lab = try VethLab(tag: "nbnone", network: 16, defaultRoutes: false)
    let (none, own) = try lab.host.perform {
      (try Neighbours.check(IPAddress("198.19.16.1")!, timeout: .seconds(1)), try Neighbours.check(lab.hostV4, timeout: .seconds(1)))
    }
    #expect(none.outcome == .noRoute)
    #expect(!none.isAnswered)
    #expect(own.outcome == .local)
  }

  @Test func cancellationEndsTheWait() throws {
    let lab = try VethLab(tag: "nbcancel", network: 17)
    let signal = CancellationSignal()
    signal.fire()
    let check = try lab.host.perform {
      try Neighbours.check(IPAddress("198.18.17.77")!, timeout: .seconds(10), cancellation: signal)
    }
    #expect(check.outcome == .cancelled)
    #expect(check.elapsedMicroseconds < 2_000_000)
  }
}
