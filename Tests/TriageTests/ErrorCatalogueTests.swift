import Foundation
import Testing
@testable import Triage

@Suite struct ErrorCatalogueTests {
  static let catalogue: ErrorCatalogue = {
    do { return try ErrorCatalogue.embedded() } catch { fatalError("\(error)") }
  }()

  // MARK: - Loading

  @Test func embeddedCatalogueLoadsAndCoversEverySystem() throws {
    let catalogue = try ErrorCatalogue.embedded()
    #expect(catalogue.entries.count >= 150)
    #expect(Set(catalogue.entries.map(\.system)) == Set(ErrorCatalogue.System.allCases))
    for entry in catalogue.entries where entry.diagnosis == nil {
      #expect(!(entry.note ?? "").isEmpty, "\(entry.label) has no diagnosis and no note")
    }
  }

  /// Codable ignores unknown keys, so a misspelt key ("diagnoses") would silently drop data: pin the exact keys, and
  /// check that every diagnosis is a raw value of the vocabulary.
  @Test func everyEntryHasExactlyTheDocumentedKeysAndAnExistingDiagnosis() throws {
    let json = Data(PackageResources.error_catalogue_json)
    let objects = try #require(try JSONSerialization.jsonObject(with: json) as? [[String: Any]])
    let keys: Set<String> = ["system", "code", "name", "message", "aliases", "family", "onTheWire", "causes", "steps", "fixes",
                             "diagnosis", "note"]
    let vocabulary = Set(DiagnosisID.allCases.map(\.rawValue))
    for object in objects {
      #expect(Set(object.keys) == keys, "\(object["name"] ?? "?")")
      if let diagnosis = object["diagnosis"] as? String {
        #expect(vocabulary.contains(diagnosis), "\(diagnosis)")
      } else {
        #expect(object["diagnosis"] is NSNull)
      }
    }
  }

  @Test func aWrongDiagnosisOrStepFailsToLoad() throws {
    let good = #"[{"system":"linux-errno","code":111,"name":"ECONNREFUSED","message":"Connection refused","aliases":[],"family":null,"onTheWire":"RST","causes":["c"],"steps":["destination"],"fixes":["f"],"diagnosis":"port-closed","note":null}]"#
    #expect(throws: Never.self) { try ErrorCatalogue(json: Data(good.utf8)) }
    let cases = [
      good.replacingOccurrences(of: "port-closed", with: "port-shut"),
      good.replacingOccurrences(of: #""destination""#, with: #""destinations""#),
      good.replacingOccurrences(of: "linux-errno", with: "plan9"),
      good.replacingOccurrences(of: #""port-closed""#, with: "null"),  // no diagnosis and no note
      good.replacingOccurrences(of: #""fixes":["f"]"#, with: #""fixes":[]"#),
    ]
    for json in cases {
      #expect(throws: ErrorCatalogue.LoadError.self, "\(json)") { try ErrorCatalogue(json: Data(json.utf8)) }
    }
  }

  @Test func noTwoEntriesAreTheSame() {
    var seen = Set<String>()
    for entry in Self.catalogue.entries {
      let key = "\(entry.system.rawValue)|\(entry.code.map(String.init) ?? "-")|\(entry.name)|\(entry.message)"
      #expect(seen.insert(key).inserted, "duplicate \(key)")
    }
  }

  @Test func theNetworkErrnosOfTheBriefArePresent() {
    let linux: [Int: String] = [
      1: "EPERM", 2: "ENOENT", 13: "EACCES", 24: "EMFILE", 23: "ENFILE", 32: "EPIPE", 11: "EAGAIN", 98: "EADDRINUSE",
      99: "EADDRNOTAVAIL", 100: "ENETDOWN", 101: "ENETUNREACH", 102: "ENETRESET", 103: "ECONNABORTED", 104: "ECONNRESET",
      105: "ENOBUFS", 107: "ENOTCONN", 110: "ETIMEDOUT", 111: "ECONNREFUSED", 112: "EHOSTDOWN", 113: "EHOSTUNREACH",
      115: "EINPROGRESS", 71: "EPROTO", 90: "EMSGSIZE", 92: "ENOPROTOOPT", 91: "EPROTOTYPE", 88: "ENOTSOCK",
    ]
    let bsd: [Int: String] = [61: "ECONNREFUSED", 60: "ETIMEDOUT", 65: "EHOSTUNREACH", 51: "ENETUNREACH", 54: "ECONNRESET",
                              48: "EADDRINUSE", 49: "EADDRNOTAVAIL", 50: "ENETDOWN", 64: "EHOSTDOWN", 53: "ECONNABORTED"]
    let winsock = [10013, 10024, 10035, 10036, 10037, 10038, 10040, 10048, 10049, 10050, 10051, 10052, 10053, 10054, 10055,
                   10056, 10057, 10058, 10060, 10061, 10064, 10065, 11001, 11002, 11003, 11004]
    let windows = [53, 64, 67, 121, 1225, 1231, 1232, 1236, 1214, 1219, 1222, 1228, 1229, 1233, 1234, 1235]
    let getaddrinfo = [-2, -3, -4, -5, -6, -8, -9, -11]
    let curl = [5, 6, 7, 28, 35, 47, 52, 55, 56, 60]
    func has(_ system: ErrorCatalogue.System, _ code: Int, _ name: String? = nil) -> Bool {
      Self.catalogue.entries.contains { $0.system == system && $0.code == code && (name == nil || $0.name == name) }
    }
    for (code, name) in linux { #expect(has(.linuxErrno, code, name), "Linux \(code) \(name)") }
    for (code, name) in bsd { #expect(has(.bsdErrno, code, name), "BSD \(code) \(name)") }
    for code in winsock { #expect(has(.winsock, code), "Winsock \(code)") }
    for code in windows { #expect(has(.windows, code), "Windows \(code)") }
    for code in getaddrinfo { #expect(has(.getaddrinfo, code), "getaddrinfo \(code)") }
    for code in curl { #expect(has(.curl, code), "curl \(code)") }
  }

  // MARK: - Equivalent queries

  struct Expectation: CustomTestStringConvertible, Sendable {
    let query: String
    let system: ErrorCatalogue.System
    let name: String
    let diagnosis: DiagnosisID?
    let family: String?
    var testDescription: String { query }
  }

  static let refused: [Expectation] = [
    .init(query: "connection refused", system: .linuxErrno, name: "ECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "Connection Refused!", system: .linuxErrno, name: "ECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "10061", system: .winsock, name: "WSAECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "0x274D", system: .winsock, name: "WSAECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "error 10061", system: .winsock, name: "WSAECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "111", system: .linuxErrno, name: "ECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "61", system: .bsdErrno, name: "ECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "1225", system: .windows, name: "ERROR_CONNECTION_REFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "ECONNREFUSED", system: .linuxErrno, name: "ECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "econnrefused", system: .linuxErrno, name: "ECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "WSAECONNREFUSED", system: .winsock, name: "WSAECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "ERROR_CONNECTION_REFUSED", system: .windows, name: "ERROR_CONNECTION_REFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "net::ERR_CONNECTION_REFUSED", system: .browser, name: "ERR_CONNECTION_REFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "ECONNREFUSED (111) Connection refused", system: .linuxErrno, name: "ECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "java.net.ConnectException: Connection refused (Connection refused)", system: .java, name: "java.net.ConnectException",
          diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "ssh: connect to host example.com port 22: Connection refused", system: .ssh, name: "ssh: connection refused",
          diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "ConnectionRefusedError: [Errno 111] Connection refused", system: .python, name: "ConnectionRefusedError",
          diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "System.Net.Sockets.SocketException (10061): No connection could be made because the target machine actively refused it.",
          system: .dotnet, name: "SocketException", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "No connection could be made because the target machine actively refused it", system: .winsock, name: "WSAECONNREFUSED",
          diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "actively refused", system: .winsock, name: "WSAECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "curl: (7) Failed to connect to 127.0.0.1 port 1 after 0 ms: Couldn't connect to server", system: .curl,
          name: "CURLE_COULDNT_CONNECT", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "nc: connect to 127.0.0.1 port 1 (tcp) failed: Connection refused", system: .netcat, name: "nc: connection refused",
          diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "telnet: Unable to connect to remote host: Connection refused", system: .telnet, name: "telnet: connection refused",
          diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "Error: connect ECONNREFUSED 127.0.0.1:3000", system: .node, name: "ECONNREFUSED", diagnosis: .portClosed, family: "ECONNREFUSED"),
    .init(query: "dial tcp 198.18.0.5:443: connect: connection refused", system: .go, name: "dial tcp: connection refused",
          diagnosis: .portClosed, family: "ECONNREFUSED"),
  ]

  static let others: [Expectation] = [
    .init(query: "10060", system: .winsock, name: "WSAETIMEDOUT", diagnosis: .noResponse, family: "ETIMEDOUT"),
    .init(query: "WSAETIMEDOUT", system: .winsock, name: "WSAETIMEDOUT", diagnosis: .noResponse, family: "ETIMEDOUT"),
    .init(query: "ETIMEDOUT", system: .linuxErrno, name: "ETIMEDOUT", diagnosis: .noResponse, family: "ETIMEDOUT"),
    .init(query: "connection timed out", system: .linuxErrno, name: "ETIMEDOUT", diagnosis: .noResponse, family: "ETIMEDOUT"),
    .init(query: "ssh: connect to host example.com port 22: Connection timed out", system: .ssh, name: "ssh: connection timed out",
          diagnosis: .noResponse, family: "ETIMEDOUT"),
    .init(query: "java.net.SocketTimeoutException: connect timed out", system: .java, name: "java.net.SocketTimeoutException",
          diagnosis: .noResponse, family: "ETIMEDOUT"),
    .init(query: "No route to host", system: .linuxErrno, name: "EHOSTUNREACH", diagnosis: .hostUnreachable, family: "EHOSTUNREACH"),
    .init(query: "OSError: [Errno 113] No route to host", system: .python, name: "OSError", diagnosis: .hostUnreachable, family: "EHOSTUNREACH"),
    .init(query: "10065", system: .winsock, name: "WSAEHOSTUNREACH", diagnosis: .hostUnreachable, family: "EHOSTUNREACH"),
    .init(query: "[Errno 101] Network is unreachable", system: .python, name: "OSError", diagnosis: .noRoute, family: "ENETUNREACH"),
    .init(query: "ENETDOWN", system: .linuxErrno, name: "ENETDOWN", diagnosis: .linkDown, family: "ENETDOWN"),
    .init(query: "Cannot assign requested address", system: .linuxErrno, name: "EADDRNOTAVAIL", diagnosis: .sourceAddressUnavailable,
          family: "EADDRNOTAVAIL"),
    .init(query: "-2", system: .getaddrinfo, name: "EAI_NONAME", diagnosis: .dnsNXDomain, family: "EAI_NONAME"),
    .init(query: "EAI_NONAME", system: .getaddrinfo, name: "EAI_NONAME", diagnosis: .dnsNXDomain, family: "EAI_NONAME"),
    .init(query: "Name or service not known", system: .getaddrinfo, name: "EAI_NONAME", diagnosis: .dnsNXDomain, family: "EAI_NONAME"),
    .init(query: "socket.gaierror: [Errno -2] Name or service not known", system: .python, name: "socket.gaierror", diagnosis: .dnsNXDomain,
          family: "EAI_NONAME"),
    .init(query: "ssh: Could not resolve hostname intranet: Name or service not known", system: .ssh, name: "ssh: could not resolve hostname",
          diagnosis: .dnsNXDomain, family: "EAI_NONAME"),
    .init(query: "11001", system: .winsock, name: "WSAHOST_NOT_FOUND", diagnosis: .dnsNXDomain, family: "EAI_NONAME"),
    .init(query: "java.net.UnknownHostException: intranet: Name or service not known", system: .java, name: "java.net.UnknownHostException",
          diagnosis: .dnsNXDomain, family: "EAI_NONAME"),
    .init(query: "ERR_NAME_NOT_RESOLVED", system: .browser, name: "ERR_NAME_NOT_RESOLVED", diagnosis: .dnsNXDomain, family: "EAI_NONAME"),
    .init(query: "getaddrinfo ENOTFOUND intranet", system: .node, name: "ENOTFOUND", diagnosis: .dnsNXDomain, family: "EAI_NONAME"),
    .init(query: "-3", system: .getaddrinfo, name: "EAI_AGAIN", diagnosis: .dnsTimeout, family: "EAI_AGAIN"),
    .init(query: "Temporary failure in name resolution", system: .getaddrinfo, name: "EAI_AGAIN", diagnosis: .dnsTimeout, family: "EAI_AGAIN"),
    .init(query: "WSATRY_AGAIN", system: .winsock, name: "WSATRY_AGAIN", diagnosis: .dnsTimeout, family: "EAI_AGAIN"),
    .init(query: "EINPROGRESS", system: .linuxErrno, name: "EINPROGRESS", diagnosis: nil, family: "EINPROGRESS"),
    .init(query: "curl: (52) Empty reply from server", system: .curl, name: "CURLE_GOT_NOTHING", diagnosis: .reachable, family: nil),
    .init(query: "10054", system: .winsock, name: "WSAECONNRESET", diagnosis: nil, family: "ECONNRESET"),
    .init(query: "0x80072746", system: .winsock, name: "WSAECONNRESET", diagnosis: nil, family: "ECONNRESET"),
    .init(query: "-2147014842", system: .winsock, name: "WSAECONNRESET", diagnosis: nil, family: "ECONNRESET"),
    .init(query: "PING: transmit failed. General failure.", system: .ping, name: "General failure", diagnosis: .noInterface, family: nil),
  ]

  @Test(arguments: refused + others)
  func queryLandsOnItsBestEntry(expected: Expectation) throws {
    let answer = Self.catalogue.explain(expected.query)
    let first = try #require(answer.matches.first, "no match")
    #expect(first.entry.system == expected.system && first.entry.name == expected.name, "got \(first.entry.label)")
    #expect(first.entry.diagnosis == expected.diagnosis)
    #expect(first.entry.family == expected.family)
    #expect(answer.matches.map(\.score) == answer.matches.map(\.score).sorted(by: >), "best first")
  }

  @Test(arguments: refused)
  func everyRefusedQueryListsOnlyRefusals(expected: Expectation) {
    // Nothing that means something else (a timeout, an unreachable host) rides along with "connection refused".
    let answer = Self.catalogue.explain(expected.query)
    for match in answer.matches {
      #expect(match.entry.diagnosis == .portClosed, "\(match.entry.label) in \(expected.query)")
    }
  }

  @Test func symbolicNamesFindEveryPrefixAndFamilyMember() {
    let names = Set(Self.catalogue.explain("ECONNREFUSED").matches.map(\.entry.name))
    for name in ["ECONNREFUSED", "WSAECONNREFUSED", "ERROR_CONNECTION_REFUSED", "ERR_CONNECTION_REFUSED", "ConnectionRefusedError",
                 "java.net.ConnectException"] {
      #expect(names.contains(name), "\(name)")
    }
    let fromWindows = Self.catalogue.explain("ERROR_CONNECTION_REFUSED").matches.map(\.entry.name)
    #expect(fromWindows.contains("ECONNREFUSED") && fromWindows.contains("WSAECONNREFUSED"))
    #expect(Self.catalogue.explain("WSAECONNREFUSED").kind == .name)
    #expect(Self.catalogue.explain("wsaeconnrefused").matches.first?.entry.name == "WSAECONNREFUSED")
  }

  // MARK: - Numbers

  @Test(arguments: [
    (111, [ErrorCatalogue.System.linuxErrno, .python]),
    (64, [.bsdErrno, .windows]),
    (65, [.bsdErrno, .windows]),
    (53, [.bsdErrno, .windows]),
    (60, [.bsdErrno, .curl]),
    (-2, [.getaddrinfo, .python]),
    (10061, [.winsock, .dotnet]),
    (7, [.curl]),
    (-102, [.browser]),
  ])
  func aNumberListsEverySystemThatUsesIt(number: Int, systems: [ErrorCatalogue.System]) {
    let answer = Self.catalogue.explain(String(number))
    #expect(answer.kind == .number)
    #expect(answer.matches.map(\.entry.system) == systems)
    #expect(answer.matches.allSatisfy { $0.entry.code == number })
  }

  @Test func numberInsideTextPrefersThatSystem() {
    #expect(Self.catalogue.explain("[Errno 113] No route to host").matches.first?.entry.system == .python)
    #expect(Self.catalogue.explain("No route to host").matches.first?.entry.system == .linuxErrno)
  }

  @Test(arguments: [
    ("10061", [10061]), ("-2", [-2]), ("0x274d", [10061]), ("error 53", [53]), ("[Errno 111]", [111]), ("exit code 7", [7]),
    ("WinError 10054", [10054]), ("System error 53 has occurred.", [53]), ("0x80070035", [0x8007_0035, 53]),
  ])
  func numberQueries(text: String, numbers: [Int]) {
    #expect(ErrorCatalogue.QueryWords(text).numberQuery == numbers)
  }

  @Test(arguments: ["port 22 refused", "connect to 198.18.0.5 port 443", "ECONNREFUSED", "refused"])
  func textWithNumbersIsNotANumberQuery(text: String) {
    #expect(ErrorCatalogue.QueryWords(text).numberQuery == nil)
  }

  // MARK: - Every entry can be found

  @Test func everyEntryIsFoundByItsNameItsMessageAndItsCode() {
    for entry in Self.catalogue.entries {
      #expect(Self.catalogue.explain(entry.message).matches.contains { $0.entry == entry }, "message of \(entry.label)")
      if ErrorCatalogue.isSymbol(entry.name) {
        #expect(Self.catalogue.explain(entry.name).matches.contains { $0.entry == entry }, "name of \(entry.label)")
      }
      if let code = entry.code {
        #expect(Self.catalogue.explain(String(code)).matches.contains { $0.entry == entry }, "code of \(entry.label)")
      }
      for alias in entry.aliases where !alias.contains("*") {
        #expect(Self.catalogue.explain(alias).matches.contains { $0.entry == entry }, "alias \(alias) of \(entry.label)")
      }
    }
  }

  // MARK: - No match

  @Test func unknownNameGivesNearestNames() {
    let answer = Self.catalogue.explain("ECONNREFUSD")
    #expect(answer.matches.isEmpty)
    #expect(answer.nearest.first == "ECONNREFUSED")
    #expect(answer.nearest.count <= 3)
  }

  @Test func unknownNumberGivesNearestCodes() {
    let answer = Self.catalogue.explain("10062")
    #expect(answer.matches.isEmpty)
    #expect(answer.nearest.count == 3)
    #expect(answer.nearest.contains("WSAECONNREFUSED (10061)"))
  }

  @Test(arguments: ["zzzz qqqq", "the quick brown fox", "", "!!!"])
  func unrelatedTextMatchesNothing(text: String) {
    let answer = Self.catalogue.explain(text)
    #expect(answer.matches.isEmpty, "\(answer.matches.map(\.entry.label))")
    #expect(answer.nearest.count <= 3)
  }

  // MARK: - Filters and groups

  @Test func systemFilterKeepsOnlyThatSystem() {
    let answer = Self.catalogue.explain("111", system: .python)
    #expect(answer.matches.map(\.entry.name) == ["ConnectionRefusedError"])
    #expect(Self.catalogue.explain("connection refused", system: .winsock).matches.first?.entry.name == "WSAECONNREFUSED")
    #expect(Self.catalogue.explain("10061", system: .linuxErrno).matches.isEmpty)
  }

  @Test func sameMeaningGroupsShareOneBlock() {
    let answer = Self.catalogue.explain("connection refused")
    #expect(answer.groups.count == 1)
    #expect(answer.groups[0].count == answer.matches.count)
    #expect(Self.catalogue.explain("64").groups.count == 2)
    let winsock = Self.catalogue.explain("10060").matches[0].entry
    let elsewhere = Self.catalogue.sameMeaning(as: winsock).map(\.label)
    #expect(elsewhere.contains("ETIMEDOUT (110, Linux)") && elsewhere.contains("ETIMEDOUT (60, macOS/BSD)"))
  }

  @Test(arguments: [
    ("linux", ErrorCatalogue.System.linuxErrno), ("macOS", .bsdErrno), ("winsock", .winsock), (".NET", .dotnet), ("bsd-errno", .bsdErrno),
  ])
  func systemArguments(text: String, system: ErrorCatalogue.System) {
    #expect(ErrorCatalogue.System(argument: text) == system)
  }

  @Test func symbolKeysStripPrefixes() {
    #expect(ErrorCatalogue.symbolKey("WSAECONNREFUSED") == ErrorCatalogue.symbolKey("ECONNREFUSED"))
    #expect(ErrorCatalogue.symbolKey("ERROR_CONNECTION_REFUSED") == ErrorCatalogue.symbolKey("net::ERR_CONNECTION_REFUSED"))
    #expect(ErrorCatalogue.symbolKey("java.net.ConnectException") == "CONNECTEXCEPTION")
    #expect(ErrorCatalogue.editDistance("ECONNREFUSD", "ECONNREFUSED") == 1)
  }
}
