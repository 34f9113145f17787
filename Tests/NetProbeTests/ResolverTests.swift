import Testing
@testable import NetProbe
import TestSupport

/// Only names the hosts file answers (localhost) and numeric addresses: no query leaves the machine.
@Suite struct ResolverTests {
  @Test func localhostComesFromTheHostsFileAndIsTimed() async throws {
    let resolution = try await Resolver.resolve(.name("localhost"))
    #expect(resolution.method == .getaddrinfo)
    #expect(resolution.addresses.contains(.v4(127, 0, 0, 1)))
    #expect(resolution.addresses.allSatisfy { $0.isLoopback })
    #expect(resolution.elapsedMicroseconds >= 0)
    #expect(Set(resolution.addresses).count == resolution.addresses.count)
  }

  @Test func familyFilterKeepsOnlyThatFamily() async throws {
    let resolution = try await Resolver.resolve(.name("localhost"), family: .ipv4)
    #expect(!resolution.addresses.isEmpty)
    #expect(resolution.addresses.allSatisfy { $0.family == .ipv4 })
  }

  @Test(arguments: ["127.0.0.1", "::1", "fe80::1", "198.18.0.1"])
  func numericAddressSkipsTheResolver(text: String) async throws {
    let address = try #require(IPAddress(text))
    let resolution = try await Resolver.resolve(.address(address, zone: nil))
    #expect(resolution.method == .numeric)
    #expect(resolution.addresses == [address])
    #expect(resolution.elapsedMicroseconds == 0)
  }

  @Test func numericAddressOfTheWrongFamilyIsAddressFamilyError() async {
    do {
      _ = try await Resolver.resolve(.address(.v4(127, 0, 0, 1), zone: nil), family: .ipv6)
      Issue.record("expected an error")
    } catch {
      #expect(error.kind == .noAddressOfFamily)
      #expect(error.symbol == "EAI_ADDRFAMILY")
    }
  }

  @Test(arguments: [
    (Int32(-2), ResolutionError.Kind.noName, "EAI_NONAME"),
    (-3, .tryAgain, "EAI_AGAIN"),
    (-4, .failure, "EAI_FAIL"),
    (-5, .noData, "EAI_NODATA"),
    (-9, .noAddressOfFamily, "EAI_ADDRFAMILY"),
    (-11, .system, "EAI_SYSTEM"),
    (-10, .other, "EAI_MEMORY"),
  ])
  func classifiesEveryEAICode(code: Int32, kind: ResolutionError.Kind, symbol: String) {
    let error = ResolutionError(code: code, name: "x.test", elapsedMicroseconds: 5, errno: .timedOut)
    #expect(error.kind == kind)
    #expect(error.symbol == symbol)
    #expect(!error.message.isEmpty)
    #expect(error.description.hasPrefix("resolve(x.test): \(symbol) (\(code))"))
    // The errno is kept only where getaddrinfo says it matters.
    #expect((error.errno != nil) == (kind == .system))
  }

  @Test func deadlineAbandonsASlowCall() async {
    let value = await Resolver.withDeadline(.milliseconds(50)) { () -> Int in
      usleepSeconds(0.5)
      return 1
    }
    #expect(value == nil)
    let fast = await Resolver.withDeadline(.seconds(5)) { 7 }
    #expect(fast == 7)
  }
}

private func usleepSeconds(_ seconds: Double) {
  var remaining = Duration.seconds(seconds)
  let end = ContinuousClock.now + remaining
  while ContinuousClock.now < end { remaining = end - .now }
  _ = remaining
}
