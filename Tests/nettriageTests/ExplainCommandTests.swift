import Foundation
import Testing

/// `nettriage explain` run as a user would: the built binary, its output and exit status.
@Suite struct ExplainCommandTests {
  typealias Run = CommandLineTests.Run

  static func run(_ arguments: [String]) throws -> Run {
    try CommandLineTests.run(["explain"] + arguments)
  }

  static func jsonObject(_ text: String) throws -> [String: Any] {
    try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
  }

  @Test func winsockTimeoutIsExplainedInFull() throws {
    let run = try Self.run(["10060"])
    #expect(run.status == 0)
    #expect(run.stderr.isEmpty)
    #expect(run.stdout.contains("WSAETIMEDOUT (10060, Winsock): A connection attempt failed because the connected party did not properly respond"))
    for heading in ["On the wire:", "Likely causes:", "Check:", "Fix:", "Diagnosis: no-response"] {
      #expect(run.stdout.contains(heading), "\(heading)")
    }
    #expect(run.stdout.contains("Same meaning: ETIMEDOUT (110, Linux), ETIMEDOUT (60, macOS/BSD)"))
  }

  @Test(arguments: [
    ["connection refused"], ["connection", "refused"], ["10061"], ["ECONNREFUSED"], ["WSAECONNREFUSED"], ["ERROR_CONNECTION_REFUSED"],
    ["java.net.ConnectException: Connection refused (Connection refused)"], ["ssh: connect to host example.com port 22: Connection refused"],
  ])
  func equivalentQueriesLandOnPortClosed(arguments: [String]) throws {
    let run = try Self.run(arguments)
    #expect(run.status == 0)
    let diagnoses = run.lines.filter { $0.hasPrefix("  Diagnosis: ") }
    #expect(diagnoses == ["  Diagnosis: port-closed"], "one block, one meaning: \(diagnoses)")
  }

  @Test(arguments: ["actively refused", "connection timed out", "no route to host"])
  func tiedScoresGiveTheSameOrderInEveryProcess(query: String) throws {
    // Each process hashes with a new seed, which once decided between entries that score the same ("actively
    // refused": Winsock's and .NET's text alike). Eight runs would show a random order; the first is the reference.
    func order() throws -> [String] {
      let run = try Self.run([query, "--json"])
      let matches = try #require(try Self.jsonObject(run.stdout)["matches"] as? [[String: Any]])
      return matches.compactMap { "\($0["system"] ?? "-")/\($0["name"] ?? "-")" }
    }
    let first = try order()
    #expect(!first.isEmpty)
    for _ in 0..<7 { #expect(try order() == first) }
  }

  @Test func theBlockHeadlineNamesTheBestEntry() throws {
    let winsock = try Self.run(["10061"])
    #expect(winsock.lines.dropFirst().first == "WSAECONNREFUSED (10061, Winsock): No connection could be made because the target machine actively refused it.")
    let linux = try Self.run(["connection refused"])
    #expect(linux.lines.dropFirst().first == "ECONNREFUSED (111, Linux): Connection refused")
    #expect(linux.stdout.contains("Also matches: ECONNREFUSED (61, macOS/BSD), WSAECONNREFUSED (10061, Winsock)"))
  }

  @Test func negativeNumbersNeedNoDoubleDash() throws {
    for arguments in [["-2"], ["--", "-2"]] {
      let run = try Self.run(arguments)
      #expect(run.status == 0, "\(arguments)")
      #expect(run.stdout.contains("EAI_NONAME (-2, getaddrinfo): Name or service not known"))
      #expect(run.stdout.contains("Diagnosis: dns-nxdomain"))
    }
  }

  @Test func aSharedNumberListsEveryMeaning() throws {
    let run = try Self.run(["64"])
    #expect(run.status == 0)
    #expect(run.stdout.contains("EHOSTDOWN (64, macOS/BSD): Host is down"))
    #expect(run.stdout.contains("ERROR_NETNAME_DELETED (64, Windows): The specified network name is no longer available."))
    #expect(run.lines.first?.contains("2 matches, 2 meanings") == true)
    let json = try Self.run(["64", "--json"])
    #expect(json.status == 0)
    let object = try Self.jsonObject(json.stdout)
    #expect(object["type"] as? String == "explanation")
    #expect(object["kind"] as? String == "number")
    let matches = try #require(object["matches"] as? [[String: Any]])
    #expect(matches.map { $0["system"] as? String } == ["bsd-errno", "windows"])
    #expect(matches.map { $0["diagnosis"] as? String } == ["neighbor-unreachable", nil])
    #expect(matches.allSatisfy { $0["onTheWire"] is String && $0["fixes"] is [String] && $0["score"] is Double })
  }

  @Test func allPrintsEveryMatchInFull() throws {
    let grouped = try Self.run(["111"])
    let all = try Self.run(["111", "--all"])
    #expect(grouped.lines.filter { $0.hasPrefix("  Diagnosis:") }.count == 1)
    #expect(all.lines.filter { $0.hasPrefix("  Diagnosis:") }.count == 2)
    #expect(all.stdout.contains("ConnectionRefusedError (111, Python): [Errno 111] Connection refused"))
  }

  @Test func unknownInputIsOneNoMatchLineWithNearestNamesAndExitsOne() throws {
    let name = try Self.run(["ECONNREFUSD"])
    #expect(name.status == 1)
    #expect(name.lines == ["no match for \"ECONNREFUSD\"; nearest: ECONNREFUSED, WSAECONNREFUSED, ECONNRESET"])
    let number = try Self.run(["10062"])
    #expect(number.status == 1)
    #expect(number.lines.count == 1 && number.stdout.contains("nearest: WSAECONNREFUSED (10061)"))
    let json = try Self.run(["ECONNREFUSD", "--json"])
    #expect(json.status == 1)
    let object = try Self.jsonObject(json.stdout)
    #expect((object["matches"] as? [Any])?.isEmpty == true)
    #expect((object["nearest"] as? [String])?.first == "ECONNREFUSED")
  }

  @Test func typedTextIsEscapedWhenShown() throws {
    let run = try Self.run(["\u{1b}[2J\u{7}nonsense"])
    #expect(run.status == 1)
    #expect(!run.stdout.unicodeScalars.contains { $0.value < 0x20 && $0 != "\n" })
    #expect(run.stdout.contains("\\u{1b}[2J\\u{7}nonsense"))
  }

  @Test func listPrintsOneLinePerEntry() throws {
    let json = try Self.run(["--list", "--json"])
    #expect(json.status == 0)
    let object = try Self.jsonObject(json.stdout)
    #expect(object["type"] as? String == "catalogue")
    let entries = try #require(object["entries"] as? [[String: Any]])
    #expect(entries.count == object["count"] as? Int)
    #expect(entries.count >= 150)

    let text = try Self.run(["--list"])
    #expect(text.status == 0)
    #expect(text.lines.count == entries.count + 1)  // a header, then one line per entry
    #expect(text.lines.first?.hasPrefix("SYSTEM") == true)
    #expect(text.lines.contains { $0.hasPrefix("winsock") && $0.contains("10061  WSAECONNREFUSED") && $0.contains("port-closed") })

    let winsock = try Self.run(["--list", "--system", "winsock"])
    #expect(winsock.status == 0)
    #expect(winsock.lines.dropFirst().allSatisfy { $0.hasPrefix("winsock ") })
    #expect(winsock.lines.count == entries.filter { $0["system"] as? String == "winsock" }.count + 1)
  }

  @Test func systemFilterAppliesToQueries() throws {
    let run = try Self.run(["111", "--system", "python"])
    #expect(run.status == 0)
    #expect(run.lines.dropFirst().first == "ConnectionRefusedError (111, Python): [Errno 111] Connection refused")
    let none = try Self.run(["10061", "--system", "linux"])
    #expect(none.status == 1)
  }

  @Test(arguments: [
    [String](), ["--system", "plan9", "111"], ["--bogus"], ["111", "-x"], ["--list", "111"],
  ])
  func badInputIsOneLineAndExitsTwo(arguments: [String]) throws {
    let run = try Self.run(arguments)
    #expect(run.status == 2, "\(run.stdout)")
    #expect(run.stdout.isEmpty)
    #expect(run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
    #expect(run.stderr.hasPrefix("nettriage: "))
  }

  @Test func helpHasExamples() throws {
    let help = try Self.run(["--help"])
    #expect(help.status == 0)
    #expect(help.stdout.contains("Examples:") && help.stdout.contains("nettriage explain 10060"))
  }
}
