import Testing
@testable import Lab

@Suite struct LabNamesTests {
  @Test func prefixIsFixed() {
    #expect(LabNames.prefix == "ntlab-")
  }
}
