import Testing
@testable import TriageTUI

@Suite struct TerminalTests {
  @Test func linksNcursesw() {
    // Proves the CNcurses shim links: the library names itself.
    #expect(Terminal.cursesVersion.hasPrefix("ncurses "))
  }
}
