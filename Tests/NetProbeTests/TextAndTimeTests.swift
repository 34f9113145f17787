import Testing
@testable import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// The helpers that stand in for Foundation's (the binary links FoundationEssentials only, and a test process,
/// which links all of Foundation, would not notice a helper that needs it).
@Suite struct TextAndTimeTests {
  @Test(arguments: [
    ("  a b \t\n", "a b"), ("\r\nx", "x"), ("", ""), (" \t ", ""), ("plain", "plain"), ("\u{00A0}nbsp\u{2003}", "nbsp"),
  ])
  func trimmingWhitespace(input: String, expected: String) {
    #expect(String(input.trimmingWhitespace()) == expected)
    #expect(String(Substring(input).trimmingWhitespace()) == expected)
  }

  @Test func paddedNeverCuts() {
    #expect("ab".padded(to: 5) == "ab   ")
    #expect("abcdef".padded(to: 3) == "abcdef")
    #expect("".padded(to: 2) == "  ")
    #expect("é✓".padded(to: 4) == "é✓  ")  // characters, not bytes
  }

  @Test func compactTimestampInUTC() {
    #expect(CompactTimestamp.string(secondsSinceEpoch: 0, utc: true) == "19700101-000000")
    #expect(CompactTimestamp.string(secondsSinceEpoch: 1_700_000_000, utc: true) == "20231114-221320")
    #expect(CompactTimestamp.string(secondsSinceEpoch: 951_782_400, utc: true) == "20000229-000000")  // a leap day
  }

  @Test func compactTimestampFollowsTheLocalZone() {
    setenv("TZ", "UTC-2", 1)  // POSIX: two hours east of UTC
    tzset()
    defer { unsetenv("TZ"); tzset() }
    #expect(CompactTimestamp.string(secondsSinceEpoch: 0, utc: false) == "19700101-020000")
  }

  @Test func detachedThreadRunsItsBody() async {
    let ran = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
      let started = DetachedThread.start(name: "a-name-longer-than-fifteen-bytes", stackSize: 1 << 20) {
        let name = (try? FileAccess.readText("/proc/thread-self/comm").get()) ?? "unreadable"
        continuation.resume(returning: String(name.trimmingWhitespace()))
      }
      if !started { continuation.resume(returning: "not started") }
    }
    #expect(ran == "a-name-longer-t")
  }

  /// A name cut at 15 bytes inside a character loses that whole character rather than failing.
  @Test func detachedThreadNameIsCutAtACharacter() async {
    let ran = await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
      let started = DetachedThread.start(name: "abcdefghijklmnü") {
        let name = (try? FileAccess.readText("/proc/thread-self/comm").get()) ?? "unreadable"
        continuation.resume(returning: String(name.trimmingWhitespace()))
      }
      if !started { continuation.resume(returning: "not started") }
    }
    #expect(ran == "abcdefghijklmn")
  }
}
