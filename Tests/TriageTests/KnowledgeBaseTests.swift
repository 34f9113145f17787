import Foundation
import Testing
@testable import Triage

@Suite struct KnowledgeBaseTests {
  let knowledge = KnowledgeBase.shared

  // MARK: The embedded content

  @Test func embeddedFileLoads() throws {
    let loaded = try KnowledgeBase(json: PackageResources.knowledge_base_json)
    #expect(loaded.entries.map(\.id) == DiagnosisID.allCases)
    #expect(loaded.steps.map(\.id) == KnowledgeBase.stepIDs)
  }

  @Test func fileHoldsExactlyTheVocabulary() throws {
    // Read without the loader: the file itself names each id once, and no id outside DESIGN.md.
    let object = try JSONSerialization.jsonObject(with: Data(PackageResources.knowledge_base_json)) as? [String: Any]
    let diagnoses = try #require(object?["diagnoses"] as? [[String: Any]])
    let ids = diagnoses.compactMap { $0["id"] as? String }
    #expect(ids.count == diagnoses.count)
    #expect(ids.sorted() == DiagnosisID.allCases.map(\.rawValue).sorted())
    let steps = try #require(object?["steps"] as? [[String: Any]])
    #expect(steps.compactMap { $0["id"] as? String } == KnowledgeBase.stepIDs)
  }

  @Test(arguments: DiagnosisID.allCases)
  func everyDiagnosisHasACompleteEntry(id: DiagnosisID) {
    let entry = knowledge.entry(for: id)
    #expect(entry.id == id)
    #expect(!entry.title.isEmpty && entry.title.count <= 60, "title: \(entry.title)")
    #expect(entry.onTheWire.count >= 40)
    #expect(!entry.causes.isEmpty)
    #expect(!entry.fixes.isEmpty)
    #expect(!entry.cannotTell.isEmpty)
    #expect(!entry.testedBy.isEmpty)
    for fix in entry.fixes {
      #expect(!fix.text.isEmpty)
      #expect(fix.linux?.isEmpty != true && fix.windows?.isEmpty != true, "empty command in \(id.rawValue)")
    }
  }

  @Test func networkDiagnosesGiveALinuxCommandAndMostAWindowsOne() {
    let unix: Set<DiagnosisID> = [.unixSocketMissing, .unixSocketRefused, .unixSocketPermission]
    for entry in knowledge.entries {
      #expect(entry.fixes.contains { $0.linux != nil }, "\(entry.id.rawValue) has no Linux command")
      if !unix.contains(entry.id) {
        #expect(entry.fixes.contains { $0.windows != nil }, "\(entry.id.rawValue) has no Windows command")
      }
    }
  }

  @Test(arguments: KnowledgeBase.stepIDs)
  func everyStepHasACompleteGuide(id: String) throws {
    let guide = try #require(knowledge.step(id))
    #expect(guide.id == id)
    for text in [guide.title, guide.why, guide.onTheWire] { #expect(!text.isEmpty) }
    for status in ["pass", "warn", "fail", "skip", "info"] {
      #expect(guide.outcomes.text(for: status)?.isEmpty == false, "\(id) \(status)")
    }
    #expect(!guide.rulesInOrOut.isEmpty)
    #expect(!knowledge.entries(testedBy: id).isEmpty, "no diagnosis is tested by \(id)")
  }

  @Test func unknownStepHasNoGuide() {
    #expect(knowledge.step("neighbors") == nil)
    #expect(knowledge.step("") == nil)
    #expect(knowledge.steps.first?.outcomes.text(for: "passed") == nil)
  }

  @Test func entriesByStep() {
    #expect(knowledge.entries(testedBy: "neighbours").map(\.id) == [.noResponse, .neighborUnreachable])
    #expect(knowledge.entries(testedBy: "socket-state").map(\.id).contains(.listenQueueOverflow))
  }

  // MARK: Placeholders

  @Test func fixesUseOnlyKnownPlaceholders() {
    for entry in knowledge.entries {
      for fix in entry.fixes {
        for template in [fix.text, fix.linux, fix.windows].compactMap({ $0 }) {
          for name in FixPlaceholder.names(in: template) {
            #expect(KnowledgeBase.placeholderNames.contains(name), "\(entry.id.rawValue): {\(name)} in \(template)")
          }
        }
        // A Windows command runs on the ticket's machine: this machine's interface or gateway would be wrong there.
        for name in FixPlaceholder.names(in: fix.windows ?? "") {
          #expect(KnowledgeBase.targetPlaceholderNames.contains(name), "\(entry.id.rawValue): {\(name)} in a Windows command")
        }
      }
    }
  }

  @Test func onlyFixesHoldPlaceholders() {
    // Nothing else is rendered, so a placeholder anywhere else would print as "{port}".
    var texts: [String] = []
    for entry in knowledge.entries {
      texts += [entry.title, entry.onTheWire] + entry.causes + entry.cannotTell
    }
    for guide in knowledge.steps {
      let outcomes = guide.outcomes
      texts += [guide.title, guide.why, guide.onTheWire, outcomes.pass, outcomes.warn, outcomes.fail, outcomes.skip]
      texts += [outcomes.info].compactMap { $0 } + guide.rulesInOrOut
    }
    for text in texts {
      #expect(FixPlaceholder.names(in: text).isEmpty, "placeholder outside a fix: \(text)")
    }
  }

  @Test func fillInYourselfTokensDoNotLookLikeMissingValues() {
    // `<gateway-address>` asks the reader for a value; `<gateway>` means this run had none. Keep them apart.
    for entry in knowledge.entries {
      for fix in entry.fixes {
        for template in [fix.text, fix.linux, fix.windows].compactMap({ $0 }) {
          for token in angleTokens(in: template) {
            #expect(!KnowledgeBase.placeholderNames.contains(token), "\(entry.id.rawValue): <\(token)> in \(template)")
          }
        }
      }
    }
  }

  @Test func textIsPrintableASCII() {
    // Readable on a terminal without a UTF-8 locale, where the TUI falls back to ASCII.
    let bytes = PackageResources.knowledge_base_json
    #expect(bytes.allSatisfy { $0 == 0x0A || (0x20...0x7E).contains($0) })
  }

  // MARK: Rendering

  @Test func fillsThisRunsValues() throws {
    let fixes = knowledge.entry(for: .portClosed).fixes(filledWith: ["port": "8443", "host": "198.18.2.10"])
    let listener = try #require(fixes.first)
    #expect(listener.linux == "ss -ltnp 'sport = :8443'")
    #expect(listener.windows == "Get-NetTCPConnection -LocalPort 8443 -State Listen")
    #expect(listener.unfilled.isEmpty)
    #expect(fixes.contains { $0.windows == "Test-NetConnection 198.18.2.10 -Port 8443" })
  }

  @Test func missingValuesStayVisible() throws {
    let fixes = knowledge.entry(for: .linkDown).fixes(filledWith: [:])
    let bringUp = try #require(fixes.first { $0.linux?.hasPrefix("ip link set") == true })
    #expect(bringUp.linux == "ip link set <interface> up")
    #expect(bringUp.unfilled == ["interface"])

    let filled = knowledge.entry(for: .linkDown).fixes(filledWith: ["interface": "eth0"])
    #expect(filled.contains { $0.linux == "ip link set eth0 up" })
    #expect(filled.allSatisfy { $0.unfilled.isEmpty })
  }

  struct RenderCase: Sendable, CustomTestStringConvertible {
    let template: String
    let values: [String: String]
    let expected: String
    let unfilled: [String]
    var testDescription: String { template }
  }

  static let renderCases: [RenderCase] = [
    .init(template: "ip route get {address}", values: ["address": "198.18.0.1"], expected: "ip route get 198.18.0.1", unfilled: []),
    .init(template: "ip neigh show {gateway}", values: [:], expected: "ip neigh show <gateway>", unfilled: ["gateway"]),
    .init(template: "ip neigh show {gateway}", values: ["gateway": ""], expected: "ip neigh show <gateway>", unfilled: ["gateway"]),
    .init(template: "dig @{dns_server} {name} {name}", values: ["name": "db.lab"], expected: "dig @<dns_server> db.lab db.lab",
          unfilled: ["dns_server"]),
    // Braces that are not placeholders pass through: script blocks, Go templates, capitals, empty braces.
    .init(template: "Where-Object { $_.LocalPort -eq {port} }", values: ["port": "22"],
          expected: "Where-Object { $_.LocalPort -eq 22 }", unfilled: []),
    .init(template: "docker ps --format '{{.Ports}}' {} {Port} {port", values: ["port": "1"],
          expected: "docker ps --format '{{.Ports}}' {} {Port} {port", unfilled: []),
    .init(template: "{{port}}", values: ["port": "80"], expected: "{80}", unfilled: []),
    .init(template: "", values: [:], expected: "", unfilled: []),
    // Values may come from the network: control characters and bidi overrides are shown, never sent raw.
    .init(template: "resolvectl query {name}", values: ["name": "evil\u{1B}]0;owned\u{07}.example"],
          expected: "resolvectl query evil\\u{1b}]0;owned\\u{7}.example", unfilled: []),
    .init(template: "ping {host}", values: ["host": "a\u{202E}b\nc"], expected: "ping a\\u{202e}b\\u{a}c", unfilled: []),
  ]

  @Test(arguments: renderCases)
  func rendersTemplates(_ example: RenderCase) {
    var unfilled: [String] = []
    let output = FixPlaceholder.fill(example.template, values: example.values) { unfilled.append($0) }
    #expect(output == example.expected)
    #expect(Array(Set(unfilled)).sorted() == example.unfilled.sorted())
  }

  @Test func hostileValuesAreEscapedInEveryField() {
    let hostile = "x\u{1B}[2J\u{1B}[31m\u{9B}1m"
    let values = Dictionary(uniqueKeysWithValues: KnowledgeBase.placeholderNames.map { ($0, hostile) })
    for entry in knowledge.entries {
      for fix in entry.fixes(filledWith: values) {
        for text in [fix.text, fix.linux, fix.windows].compactMap({ $0 }) {
          #expect(!text.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x9B }, "\(entry.id.rawValue): \(text)")
        }
        #expect(fix.unfilled.isEmpty)
      }
    }
  }

  // MARK: The loader's checks

  @Test func minimalFixtureLoads() throws {
    let loaded = try KnowledgeBase(json: Self.fixture())
    #expect(loaded.entries.count == DiagnosisID.allCases.count)
  }

  struct BrokenFile: Sendable, CustomTestStringConvertible {
    let name: String
    let json: [UInt8]
    let expected: KnowledgeBaseError?  // nil: any `.malformed`
    var testDescription: String { name }
  }

  static let brokenFiles: [BrokenFile] = [
    .init(name: "misspelt id", json: fixture(ids: DiagnosisID.allCases.map(\.rawValue) + ["port-closd"]), expected: nil),
    .init(name: "missing id", json: fixture(ids: DiagnosisID.allCases.map(\.rawValue).filter { $0 != "no-route" }),
          expected: .missingDiagnosis("no-route")),
    .init(name: "duplicate id", json: fixture(ids: DiagnosisID.allCases.map(\.rawValue) + ["reachable"]),
          expected: .duplicate("reachable")),
    .init(name: "unknown placeholder", json: fixture(fix: ["text": "t", "linux": "ip link show {iface}"]),
          expected: .unknownPlaceholder(entry: "reachable", name: "iface")),
    .init(name: "misspelt optional field", json: fixture(fix: ["text": "t", "linx": "ip link"]), expected: nil),
    .init(name: "unknown testedBy step", json: fixture(testedBy: ["neighbors"]), expected: .unknownStep("neighbors")),
    .init(name: "missing step", json: fixture(stepIDs: Array(KnowledgeBase.stepIDs.dropLast())), expected: .missingStep("socket-state")),
    .init(name: "unknown step", json: fixture(stepIDs: KnowledgeBase.stepIDs + ["dns"]), expected: .unknownStep("dns")),
    .init(name: "not JSON", json: Array("{".utf8), expected: nil),
  ]

  @Test(arguments: brokenFiles)
  func rejectsBrokenFiles(_ file: BrokenFile) {
    let error = #expect(throws: KnowledgeBaseError.self) { try KnowledgeBase(json: file.json) }
    if let expected = file.expected {
      #expect(error == expected)
    } else if case .malformed = error {
    } else {
      Issue.record("expected a malformed-file error, got \(String(describing: error))")
    }
  }

  /// A small valid file (one fix per entry), with one part changed.
  static func fixture(
    ids: [String] = DiagnosisID.allCases.map(\.rawValue), stepIDs: [String] = KnowledgeBase.stepIDs,
    fix: [String: String] = ["text": "Look at the link.", "linux": "ip link show {interface}"],
    testedBy: [String] = ["destination"]
  ) -> [UInt8] {
    let outcomes = ["pass": "p", "warn": "w", "fail": "f", "skip": "s"]
    let file: [String: Any] = [
      "diagnoses": ids.map { id -> [String: Any] in
        ["id": id, "title": "t", "onTheWire": "w", "causes": ["c"], "fixes": [fix], "cannotTell": ["n"], "testedBy": testedBy]
      },
      "steps": stepIDs.map { id -> [String: Any] in
        ["id": id, "title": "t", "why": "y", "onTheWire": "w", "outcomes": outcomes, "rulesInOrOut": ["r"]]
      },
    ]
    // Building from literals cannot fail.
    return Array(try! JSONSerialization.data(withJSONObject: file))
  }

  /// `<word>` tokens in a template (word characters, hyphen and underscore).
  func angleTokens(in template: String) -> [String] {
    var tokens: [String] = []
    var current: String?
    for character in template {
      if character == "<" {
        current = ""
      } else if character == ">", let token = current {
        if !token.isEmpty { tokens.append(token) }
        current = nil
      } else if current != nil {
        if character.isLetter || character.isNumber || character == "-" || character == "_" {
          current?.append(character)
        } else {
          current = nil
        }
      }
    }
    return tokens
  }
}
