import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe
import TestSupport

@Suite struct TCPConnectProbeTests {
  let options = TCPConnectProbe.Options(timeout: .seconds(2))

  @Test(arguments: ["127.0.0.1", "::1"])
  func connectsToListener(host: String) async throws {
    let listener = try LoopbackTCPListener(address: IPAddress(host)!)
    let result = await TCPConnectProbe.probe([listener.socketAddress], target: "test", options: options)
    #expect(result.outcome == .connected)
    let attempt = result.final
    #expect(attempt.peer == listener.socketAddress)
    #expect(attempt.local?.address == IPAddress(host)!)
    #expect(attempt.local?.port != 0)
    #expect(attempt.local?.port != listener.port)
    // A loopback handshake takes microseconds to milliseconds, never the timeout.
    #expect(attempt.elapsedMicroseconds >= 0 && attempt.elapsedMicroseconds < 1_000_000)
    #expect(attempt.errno == nil)
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func connectedHandshakeCarriesTheKernelsRoundTrip(host: String) async throws {
    let listener = try LoopbackTCPListener(address: IPAddress(host)!)
    let result = await TCPConnectProbe.probe([listener.socketAddress], target: "test", options: options)
    #expect(result.outcome == .connected)
    let roundTrip = try #require(result.final.kernelRoundTripMicroseconds)
    // Timed inside the stack between the SYN and the SYN-ACK: within the connect-to-poll span measured outside.
    #expect(roundTrip >= 1 && roundTrip <= result.final.elapsedMicroseconds + 1)
    #expect(result.answerMicroseconds == roundTrip)
    #expect(ProbeStatistics([result]).minimumMicroseconds == roundTrip)
  }

  @Test(arguments: ["127.0.0.1", "::1"])
  func closedPortIsRefusedAtOnce(host: String) async throws {
    let closed = try ClosedPort(family: IPAddress(host)!.family.constant)
    let address = SocketAddress(IPAddress(host)!, port: closed.port)
    let result = await TCPConnectProbe.probe([address], target: "test", options: options)
    #expect(result.outcome == .refused)
    #expect(result.final.errno == .connectionRefused)
    #expect(result.final.errno?.name == "ECONNREFUSED")
    #expect(result.final.errno?.code == 111)
    #expect(result.final.elapsedMicroseconds < 500_000)
    #expect(result.final.kernelRoundTripMicroseconds == nil)
    #expect(result.answerMicroseconds == result.final.elapsedMicroseconds)
  }

  @Test func triesEachAddressWithAFreshSocketUntilOneConnects() async throws {
    let listener = try LoopbackTCPListener()
    let closed = try ClosedPort(family: AF_INET6)
    // ::1 on a closed port first, then the listener: two attempts, the second connects.
    let addresses = [SocketAddress(IPAddress("::1")!, port: closed.port), listener.socketAddress]
    let result = await TCPConnectProbe.probe(addresses, target: "two", options: options)
    #expect(result.attempts.map(\.outcome) == [.refused, .connected])
    #expect(result.outcome == .connected)
    #expect(result.attempts[0].address?.family == .ipv6)
  }

  @Test func stopsAtTheFirstAddressThatConnects() async throws {
    let listener = try LoopbackTCPListener()
    let closed = try ClosedPort()
    let addresses = [listener.socketAddress, SocketAddress(.v4(127, 0, 0, 1), port: closed.port)]
    let result = await TCPConnectProbe.probe(addresses, target: "first", options: options)
    #expect(result.attempts.count == 1)
  }

  @Test func bindsToTheGivenSource() async throws {
    let listener = try LoopbackTCPListener()
    let source = SocketAddress(.v4(127, 0, 0, 2), port: 0)
    let result = await TCPConnectProbe.probe([listener.socketAddress], target: "src",
                                             options: .init(timeout: .seconds(2), source: source))
    #expect(result.outcome == .connected)
    #expect(result.final.local?.address == .v4(127, 0, 0, 2))
  }

  @Test func nonLocalSourceIsAddressUnavailable() async throws {
    let listener = try LoopbackTCPListener()
    // 198.18.0.0/15 is the lab's range: not configured on this host outside the lab, and nothing is sent.
    let source = SocketAddress(.v4(198, 19, 255, 254), port: 0)
    let result = await TCPConnectProbe.probe([listener.socketAddress], target: "src",
                                             options: .init(timeout: .seconds(2), source: source))
    #expect(result.outcome == .addressUnavailable)
    #expect(result.final.errno?.name == "EADDRNOTAVAIL")
  }

  @Test func sourcePortInUseIsAddressInUse() async throws {
    let listener = try LoopbackTCPListener()
    let taken = try LoopbackTCPListener(accepting: false)
    let source = SocketAddress(.v4(127, 0, 0, 1), port: taken.port)
    let result = await TCPConnectProbe.probe([listener.socketAddress], target: "src",
                                             options: .init(timeout: .seconds(2), source: source))
    #expect(result.outcome == .addressInUse)
    #expect(result.final.errno?.name == "EADDRINUSE")
  }

  @Test func aFullAcceptQueueTimesOutAtTheDeadline() async throws {
    // A listener that never accepts, with a backlog of 1: once its queue is full, SYNs are dropped.
    let listener = try LoopbackTCPListener(backlog: 0, accepting: false)
    var outcomes: [ProbeOutcome] = []
    var held: [Int32] = []
    defer { held.forEach { close($0) } }
    for _ in 0..<4 {
      let attempt = TCPConnectProbe.connect(to: listener.socketAddress, options: .init(timeout: .milliseconds(300)))
      outcomes.append(attempt.outcome)
      if attempt.outcome == .timedOut {
        #expect(attempt.elapsedMicroseconds >= 290_000)
        #expect(attempt.errno == nil)
      }
    }
    #expect(outcomes.contains(.timedOut))
  }

  @Test func cancellationEndsAWaitingProbe() async throws {
    let listener = try LoopbackTCPListener(backlog: 0, accepting: false)
    // Fill the queue first so the next SYN gets no answer.
    for _ in 0..<3 { _ = TCPConnectProbe.connect(to: listener.socketAddress, options: .init(timeout: .milliseconds(100))) }
    let started = ContinuousClock.now
    let task = Task { await TCPConnectProbe.probe([listener.socketAddress], target: "c", options: .init(timeout: .seconds(30))) }
    try await Task.sleep(for: .milliseconds(200))
    task.cancel()
    let result = await task.value
    #expect(result.outcome == .cancelled)
    #expect(ContinuousClock.now - started < .seconds(10))
  }

  @Test func tenThousandProbesLeaveNoDescriptorBehind() async throws {
    let listener = try LoopbackTCPListener()
    let closed = try ClosedPort()
    let refusedAddress = SocketAddress(.v4(127, 0, 0, 1), port: closed.port)
    // Warm up both paths first: the dispatch pool opens its own descriptors on first use.
    _ = TCPConnectProbe.connect(to: listener.socketAddress, options: options)
    _ = await TCPConnectProbe.probe([listener.socketAddress], target: "warm-up", options: options)
    let before = openDescriptors()
    var connected = 0
    var refused = 0
    for index in 0..<10_000 {
      // Mostly handshakes, some refusals: both paths must close their socket.
      let address = index % 10 == 0 ? refusedAddress : listener.socketAddress
      let attempt = TCPConnectProbe.connect(to: address, options: options)
      if attempt.outcome == .connected { connected += 1 }
      if attempt.outcome == .refused { refused += 1 }
    }
    // The async path adds a cancellation eventfd per probe: it must be closed too.
    for _ in 0..<1_000 {
      let result = await TCPConnectProbe.probe([listener.socketAddress], target: "fd", options: options)
      if result.outcome == .connected { connected += 1 }
    }
    #expect(connected == 10_000)
    #expect(refused == 1_000)
    let after = openDescriptors()
    // Other suites' objects may close descriptors meanwhile, so compare what was added, not only the count.
    let added = after.subtracting(before).filter { $0.contains("socket:") || $0.contains("eventfd") }
    #expect(added.isEmpty, "leaked: \(added.sorted())")
    #expect(after.count <= before.count)
  }
}
