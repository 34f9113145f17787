import Foundation
import TestSupport
import Testing
@testable import Triage

/// Values in copyable fix commands: plain ones stay as they are, anything else is one literal word of the shell.
@Suite struct ShellQuotingTests {
  @Test(arguments: ["db.lab.test", "198.18.2.10", "fd00:2::10", "fe80::1%eth0", "8443", "198.18.1.10/24", "_sip._tcp.x"])
  func plainValuesStayAsTheyAre(value: String) {
    #expect(ShellQuoting.posix.quote(value) == value)
    #expect(ShellQuoting.powerShell.quote(value) == value)
  }

  static let awkward = ["a b", "it's", "$(touch pwned)", "`id`", "x;y", "*", "[::1]", "a\\b", "'", "''", "a'b c", "~root", "a&b|c>d"]

  /// The real shell reads each quoted value back as exactly that one word, and runs none of it.
  @Test(arguments: awkward)
  func posixQuotedValuesAreOneLiteralWord(value: String) throws {
    let directory = TemporaryDirectory()
    let quoted = ShellQuoting.posix.quote(value)
    #expect(quoted != value)
    // The test's own fixed values go through sh here, on purpose: the quoting is what is under test.
    let result = try runCommand("/bin/sh", ["-c", "cd \(directory.path) && printf '%s\\n' " + quoted])
    #expect(result.stdout == value + "\n")
    #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
  }

  @Test func powerShellDoublesSingleQuotes() {
    #expect(ShellQuoting.powerShell.quote("it's") == "'it''s'")
    #expect(ShellQuoting.powerShell.quote("a b") == "'a b'")
    #expect(ShellQuoting.powerShell.quote("x\u{2019}y") == "'x\u{2019}\u{2019}y'")
  }

  @Test func commandsAreQuotedAndTextIsNot() throws {
    let entry = KnowledgeBase.shared.entry(for: .dnsNXDomain)
    let fixes = entry.fixes(filledWith: ["name": "bad name$(x)", "dns_server": "198.18.2.53"])
    let dig = try #require(fixes.first { $0.linux?.contains("dig") == true })
    #expect(dig.linux?.contains("'bad name$(x)'") == true)
    #expect(fixes.allSatisfy { !$0.text.contains("'bad name") })
  }
}
