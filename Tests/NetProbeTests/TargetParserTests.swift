import Testing
@testable import NetProbe
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

// MARK: - Helpers

private func ip(_ text: String) -> IPAddress {
  guard let address = IPAddress(text) else { preconditionFailure("bad test address \(text)") }
  return address
}

private func named(_ host: String, _ port: UInt16, service: String? = nil, scheme: String? = nil) -> Target {
  .inet(InternetTarget(host: .name(host), port: port, service: service, scheme: scheme))
}

private func numeric(
  _ address: String, zone: String? = nil, _ port: UInt16, service: String? = nil, scheme: String? = nil
) -> Target {
  .inet(InternetTarget(host: .address(ip(address), zone: zone), port: port, service: service, scheme: scheme))
}

/// One call to `Target.parse`, printed readably in test results.
struct ParseInput: Sendable, CustomTestStringConvertible {
  var text: String
  var port: String? = nil
  var requirePort = true

  var testDescription: String {
    var result = String(reflecting: text)
    if let port { result += ", port: \(String(reflecting: port))" }
    if !requirePort { result += ", requirePort: false" }
    return result
  }

  func parse() -> Result<Target, TargetParseError> {
    Result { () throws(TargetParseError) -> Target in
      try Target.parse(text, port: port, requirePort: requirePort)
    }
  }
}

private let label63 = String(repeating: "a", count: 63)
/// Exactly 253 characters: the longest name allowed.
private let longestName = [label63, label63, label63, String(repeating: "b", count: 61)].joined(separator: ".")
private let name300 = String(repeating: "abcd.", count: 59) + "abcde"
private let label70 = String(repeating: "a", count: 70)
private let unixPath107 = "/" + String(repeating: "s", count: 106)

// MARK: - Accepted forms

private let goodCases: [(ParseInput, Target)] = [
  // host:port
  (ParseInput(text: "example.com:443"), named("example.com", 443)),
  (ParseInput(text: "  example.com:443\n"), named("example.com", 443)),
  (ParseInput(text: "Example.COM:80"), named("Example.COM", 80)),
  (ParseInput(text: "localhost:080"), named("localhost", 80)),
  (ParseInput(text: "db-1.internal:65535"), named("db-1.internal", 65535)),
  (ParseInput(text: "my_host.example.com.:22"), named("my_host.example.com.", 22)),
  (ParseInput(text: "\(longestName):1"), named(longestName, 1)),
  (ParseInput(text: "\(longestName).:1"), named(longestName + ".", 1)),
  (ParseInput(text: "1.2.3.4:80"), numeric("1.2.3.4", 80)),
  // [IPv6]:port, with zones by name and by index
  (ParseInput(text: "[::1]:8080"), numeric("::1", 8080)),
  (ParseInput(text: "[2001:db8::1]:443"), numeric("2001:db8::1", 443)),
  (ParseInput(text: "[::ffff:192.0.2.1]:25"), numeric("::ffff:192.0.2.1", 25)),
  (ParseInput(text: "[fe80::1%eth0]:22"), numeric("fe80::1", zone: "eth0", 22)),
  (ParseInput(text: "[fe80::1%2]:22"), numeric("fe80::1", zone: "2", 22)),
  (ParseInput(text: "[fe80::1%br-lan.10]:22"), numeric("fe80::1", zone: "br-lan.10", 22)),
  // telnet style
  (ParseInput(text: "example.com 443"), named("example.com", 443)),
  (ParseInput(text: "example.com\t 443"), named("example.com", 443)),
  (ParseInput(text: "::1 22"), numeric("::1", 22)),
  (ParseInput(text: "fe80::1%eth0 22"), numeric("fe80::1", zone: "eth0", 22)),
  (ParseInput(text: "[::1] 22"), numeric("::1", 22)),
  (ParseInput(text: "example.com", port: "443"), named("example.com", 443)),
  (ParseInput(text: "example.com", port: " 443 "), named("example.com", 443)),
  (ParseInput(text: "fe80::1%eth0", port: "22"), numeric("fe80::1", zone: "eth0", 22)),
  (ParseInput(text: "1.2.3.4", port: "http"), numeric("1.2.3.4", 80, service: "http")),
  // service names, case-insensitive, recorded lowercased
  (ParseInput(text: "example.com:https"), named("example.com", 443, service: "https")),
  (ParseInput(text: "example.com SSH"), named("example.com", 22, service: "ssh")),
  (ParseInput(text: "db:PostgreSQL"), named("db", 5432, service: "postgresql")),
  (ParseInput(text: "db:postgres"), named("db", 5432, service: "postgres")),
  (ParseInput(text: "cache:redis"), named("cache", 6379, service: "redis")),
  (ParseInput(text: "proxy:http-alt"), named("proxy", 8080, service: "http-alt")),
  (ParseInput(text: "[::1]:domain"), numeric("::1", 53, service: "domain")),
  // URLs: the scheme gives the port unless one is explicit
  (ParseInput(text: "https://example.com/"), named("example.com", 443, service: "https", scheme: "https")),
  (ParseInput(text: "https://example.com"), named("example.com", 443, service: "https", scheme: "https")),
  (ParseInput(text: "HTTPS://Example.com/x"), named("Example.com", 443, service: "https", scheme: "https")),
  (ParseInput(text: "http://example.com?q=1"), named("example.com", 80, service: "http", scheme: "http")),
  (ParseInput(text: "http://example.com#top"), named("example.com", 80, service: "http", scheme: "http")),
  (ParseInput(text: "http://example.com:/"), named("example.com", 80, service: "http", scheme: "http")),
  (
    ParseInput(text: "http://user:p@ss@example.com:8080/path?q=1#frag"),
    named("example.com", 8080, service: "http", scheme: "http")
  ),
  (ParseInput(text: "ssh://git@github.com"), named("github.com", 22, service: "ssh", scheme: "ssh")),
  (ParseInput(text: "https://[2001:db8::1]:8443/"), numeric("2001:db8::1", 8443, service: "https", scheme: "https")),
  (ParseInput(text: "http://[fe80::1%25eth0]/"), numeric("fe80::1", zone: "eth0", 80, service: "http", scheme: "http")),
  (ParseInput(text: "http://[fe80::1%eth0]/"), numeric("fe80::1", zone: "eth0", 80, service: "http", scheme: "http")),
  (ParseInput(text: "http://192.0.2.7/"), numeric("192.0.2.7", 80, service: "http", scheme: "http")),
  (ParseInput(text: "redis://cache.internal"), named("cache.internal", 6379, service: "redis", scheme: "redis")),
  (ParseInput(text: "rediss://cache:6390"), named("cache", 6390, service: "rediss", scheme: "rediss")),
  (
    ParseInput(text: "postgresql://app@db/app?sslmode=require"),
    named("db", 5432, service: "postgresql", scheme: "postgresql")
  ),
  (ParseInput(text: "mongodb://db"), named("db", 27017, service: "mongodb", scheme: "mongodb")),
  (ParseInput(text: "ftps://files"), named("files", 990, service: "ftps", scheme: "ftps")),
  (ParseInput(text: "foo://host:1234/"), named("host", 1234, service: "foo", scheme: "foo")),
  (ParseInput(text: "https://example.com 8443"), named("example.com", 8443, service: "https", scheme: "https")),
  (ParseInput(text: "https://example.com/", port: "8443"), named("example.com", 8443, service: "https", scheme: "https")),
  // unix sockets
  (ParseInput(text: "unix:/run/app.sock"), .unix(path: "/run/app.sock")),
  (ParseInput(text: "unix:///var/run/docker.sock"), .unix(path: "/var/run/docker.sock")),
  (ParseInput(text: "unix:relative/app.sock"), .unix(path: "relative/app.sock")),
  (ParseInput(text: "UNIX:/tmp/my app.sock"), .unix(path: "/tmp/my app.sock")),
  (ParseInput(text: "unix:\(unixPath107)"), .unix(path: unixPath107)),
  (ParseInput(text: "unix:/tmp/sök.sock", requirePort: false), .unix(path: "/tmp/sök.sock")),
  // no port needed (ICMP): port 0
  (ParseInput(text: "example.com", requirePort: false), named("example.com", 0)),
  (ParseInput(text: "example.com:", requirePort: false), named("example.com", 0)),
  (ParseInput(text: "1.2.3.4", requirePort: false), numeric("1.2.3.4", 0)),
  (ParseInput(text: "[::1]", requirePort: false), numeric("::1", 0)),
  (ParseInput(text: "fe80::1%eth0", requirePort: false), numeric("fe80::1", zone: "eth0", 0)),
  // Unbracketed with 2+ colons is an address without a port, never host and port.
  (ParseInput(text: "::1:80", requirePort: false), numeric("::1:80", 0)),
  (ParseInput(text: "example.com:443", requirePort: false), named("example.com", 443)),
  (ParseInput(text: "foo://host", requirePort: false), named("host", 0, service: "foo", scheme: "foo")),
  (ParseInput(text: "https://host", requirePort: false), named("host", 443, service: "https", scheme: "https")),
]

// MARK: - Rejected forms

private let badCases: [(ParseInput, TargetParseError)] = [
  (ParseInput(text: ""), .empty),
  (ParseInput(text: " \t\n "), .empty),
  (ParseInput(text: "", port: "80"), .empty),
  (ParseInput(text: String(repeating: "a", count: 3000)), .inputTooLong(3000)),
  (ParseInput(text: "a", port: String(repeating: "1", count: 2048)), .inputTooLong(2049)),
  // control and invisible characters
  (ParseInput(text: "exa\u{7}mple.com:80"), .controlCharacter(0x7)),
  (ParseInput(text: "example.com:80\u{1B}[31m"), .controlCharacter(0x1B)),
  (ParseInput(text: "host\u{0}:80"), .controlCharacter(0)),
  (ParseInput(text: "example.com:\u{202E}08"), .controlCharacter(0x202E)),
  (ParseInput(text: "\u{FEFF}example.com:80"), .controlCharacter(0xFEFF)),
  (ParseInput(text: "example.com", port: "4\u{7F}43"), .controlCharacter(0x7F)),
  (ParseInput(text: "unix:/tmp/a\tb"), .controlCharacter(0x9)),
  // ports
  (ParseInput(text: "example.com"), .missingPort(host: "example.com")),
  (ParseInput(text: "example.com:"), .missingPort(host: "example.com")),
  (ParseInput(text: "::1"), .missingPort(host: "::1")),
  (ParseInput(text: "::1:80"), .missingPort(host: "::1:80")),
  (ParseInput(text: "[::1]"), .missingPort(host: "::1")),
  (ParseInput(text: "fe80::1%eth0"), .missingPort(host: "fe80::1%eth0")),
  (ParseInput(text: "example.com:0"), .portOutOfRange(0)),
  (ParseInput(text: "example.com:70000"), .portOutOfRange(70000)),
  (ParseInput(text: "example.com 65536"), .portOutOfRange(65536)),
  (ParseInput(text: "https://example.com:0/"), .portOutOfRange(0)),
  (ParseInput(text: "example.com:99999999999999999999999"), .invalidPort("99999999999999999999999")),
  (ParseInput(text: "example.com:-1"), .invalidPort("-1")),
  (ParseInput(text: "example.com:+80"), .invalidPort("+80")),
  (ParseInput(text: "example.com:8o8o!"), .invalidPort("8o8o!")),
  (ParseInput(text: "https://example.com:https/"), .invalidPort("https")),
  (ParseInput(text: "example.com:htps"), .unknownService("htps")),
  (ParseInput(text: "example.com", port: "no-such-service-here"), .unknownService("no-such-service-here")),
  (ParseInput(text: "example.com:443", port: "80"), .portGivenTwice("443", "80")),
  (ParseInput(text: "example.com 443", port: "80"), .portGivenTwice("443", "80")),
  (ParseInput(text: "https://example.com:443/", port: "80"), .portGivenTwice("443", "80")),
  (ParseInput(text: "a b c"), .tooManyWords("a b c")),
  // brackets and IPv6
  (ParseInput(text: "[::1:80"), .unbalancedBrackets("[::1:80")),
  (ParseInput(text: "::1]:80"), .unbalancedBrackets("::1]:80")),
  (ParseInput(text: "[::1]]:80"), .unbalancedBrackets("[::1]]:80")),
  (ParseInput(text: "[::1]80"), .misplacedBracket("[::1]80")),
  (ParseInput(text: "x[::1]:80"), .misplacedBracket("x[::1]:80")),
  (ParseInput(text: "]::1[:80"), .misplacedBracket("]::1[:80")),
  (ParseInput(text: "[[::1]]:80"), .misplacedBracket("[[::1]]:80")),
  (ParseInput(text: "[example.com]:80"), .bracketedNonIPv6("example.com")),
  (ParseInput(text: "[1.2.3.4]:80"), .bracketedNonIPv6("1.2.3.4")),
  (ParseInput(text: "[]:80"), .missingHost("[]:80")),
  (ParseInput(text: "[bad::input::]:80"), .invalidHost("bad::input::")),
  (ParseInput(text: "bad::input::"), .invalidHost("bad::input::")),
  (ParseInput(text: "bad::input::", requirePort: false), .invalidHost("bad::input::")),
  (ParseInput(text: "1:2:3:4:5:6:7:8:9"), .invalidHost("1:2:3:4:5:6:7:8:9")),
  (ParseInput(text: "http://::1/"), .ipv6NeedsBrackets("::1")),
  (ParseInput(text: "1.2.3.256:80"), .invalidHost("1.2.3.256")),
  (ParseInput(text: "127.1:80"), .invalidHost("127.1")),
  (ParseInput(text: "01.2.3.4:80"), .invalidHost("01.2.3.4")),
  // zones
  (ParseInput(text: "1.2.3.4%eth0:80"), .zoneOnIPv4("1.2.3.4%eth0")),
  (ParseInput(text: "[1.2.3.4%eth0]:80"), .zoneOnIPv4("1.2.3.4%eth0")),
  (ParseInput(text: "[fe80::1%]:22"), .invalidZone("fe80::1%")),
  (ParseInput(text: "[fe80::1]:22"), .linkLocalWithoutZone("fe80::1")),
  (ParseInput(text: "fe80::abcd", port: "22"), .linkLocalWithoutZone("fe80::abcd")),
  (ParseInput(text: "[fe80::1%eth/0]:22"), .invalidZone("fe80::1%eth/0")),
  (ParseInput(text: "[fe80::1%averyveryverylongifname]:22"), .invalidZone("fe80::1%averyveryverylongifname")),
  (ParseInput(text: "example.com%eth0:80"), .invalidCharacter("%", in: "example.com%eth0")),
  // host names
  (ParseInput(text: ":80"), .missingHost(":80")),
  (ParseInput(text: ":"), .missingHost(":")),
  (ParseInput(text: "https://"), .missingHost("https://")),
  (ParseInput(text: "https://:443/"), .missingHost("https://:443/")),
  (ParseInput(text: "https://user@/"), .missingHost("https://user@/")),
  (ParseInput(text: "\(name300):80"), .nameTooLong(300)),
  (ParseInput(text: "\(label70).com:80"), .labelTooLong(label70)),
  (ParseInput(text: "a..b:80"), .emptyLabel("a..b")),
  (ParseInput(text: ".example.com:80"), .emptyLabel(".example.com")),
  (ParseInput(text: ".:80"), .emptyLabel(".")),
  (ParseInput(text: "example.com/path:80"), .invalidCharacter("/", in: "example.com/path")),
  (ParseInput(text: "user@example.com:22"), .invalidCharacter("@", in: "user@example.com")),
  (ParseInput(text: "bücher.de:80"), .invalidCharacter("ü", in: "bücher.de")),
  (ParseInput(text: "exa*mple.com:80"), .invalidCharacter("*", in: "exa*mple.com")),
  (ParseInput(text: "/run/app.sock"), .invalidCharacter("/", in: "/run/app.sock")),
  (ParseInput(text: "example.com/", requirePort: false), .invalidCharacter("/", in: "example.com/")),
  // URLs
  (ParseInput(text: "foo://example.com"), .unsupportedScheme("foo")),
  (ParseInput(text: "Gopherish://example.com/"), .unsupportedScheme("gopherish")),
  // unix sockets
  (ParseInput(text: "unix:"), .emptyUnixPath),
  (ParseInput(text: "unix://"), .emptyUnixPath),
  (ParseInput(text: "unix:   "), .emptyUnixPath),
  (ParseInput(text: "unix:\(unixPath107)x"), .unixPathTooLong(108)),
  (ParseInput(text: "unix:/tmp/" + String(repeating: "ö", count: 60)), .unixPathTooLong(125)),
  (ParseInput(text: "unix:/run/app.sock", port: "80"), .unixSocketWithPort("80")),
]

// MARK: - Tests

@Suite struct TargetParserTests {
  @Test(arguments: goodCases)
  func acceptsForm(_ input: ParseInput, expected: Target) {
    #expect(input.parse() == .success(expected))
  }

  @Test(arguments: badCases)
  func rejectsForm(_ input: ParseInput, expected: TargetParseError) {
    #expect(input.parse() == .failure(expected))
  }

  /// The telnet style as two arguments behaves exactly like the same words typed as one string.
  @Test(arguments: [
    ("example.com", "443"), ("example.com", "https"), ("example.com", "HTTPS"), ("1.2.3.4", "80"),
    ("::1", "22"), ("fe80::1%eth0", "22"), ("[::1]", "22"), ("https://example.com/", "8443"),
    ("example.com", "0"), ("example.com", "70000"), ("example.com", "htps"), ("example.com:443", "80"),
    ("bad::input::", "80"), ("[::1:80", "80"), ("example.com/x", "80"),
  ])
  func separatePortMatchesJoinedForm(host: String, port: String) {
    let separate = ParseInput(text: host, port: port).parse()
    let joined = ParseInput(text: "\(host) \(port)").parse()
    #expect(separate == joined)
  }

  @Test func messagesShowWhatWasWrongAndTheRightForm() {
    let expected: [(TargetParseError, String)] = [
      (.empty, "empty target: give HOST:PORT, [IPv6]:PORT, HOST PORT, a URL such as https://host/, or unix:/path"),
      (.portOutOfRange(0), "port 0 is out of range: use 1-65535 (e.g. host:443)"),
      (.portOutOfRange(70000), "port 70000 is out of range: use 1-65535 (e.g. host:443)"),
      (.unknownService("htps"), #"unknown service "htps": use a port number or a known name such as https, ssh, postgres"#),
      (
        .unbalancedBrackets("[::1:80"),
        #"unbalanced brackets in "[::1:80": write an IPv6 address as [ADDRESS]:PORT, e.g. [::1]:443"#
      ),
      (.missingPort(host: "example.com"), #"missing port in "example.com": add one, e.g. example.com:443 or example.com 443"#),
      (.missingPort(host: "::1"), #"missing port in "::1": add one, e.g. [::1]:443 or ::1 443"#),
      (.nameTooLong(300), "name too long (300 characters): a host name has at most 253"),
      (
        .labelTooLong(label70),
        #"label "aaaaaaaaaaaaaaaa…" too long (70 characters): each dot-separated part has at most 63"#
      ),
      (.controlCharacter(7), "control character U+0007 in target: retype it without it"),
      (.controlCharacter(0x202E), "control character U+202E in target: retype it without it"),
      (.unixPathTooLong(120), "unix socket path too long (120 bytes): at most 107 fit; use a shorter path, e.g. a symlink in /tmp"),
    ]
    for (error, message) in expected {
      #expect(error.description == message)
    }
    #expect(TargetParseError.invalidHost("bad::input::").description.hasPrefix(#""bad::input::" is not a valid address or host name: "#))
    #expect(TargetParseError.invalidHost("1.2.3.256").description.hasPrefix(#""1.2.3.256" is not a valid address or host name: "#))
  }

  /// Every case, including ones carrying hostile text, prints as one line with nothing raw from the input.
  @Test func messagesAreOneLineWithoutControlCharacters() {
    let hostile = "a\u{1B}[2J\n\r\u{7}\u{202E}\u{85}\u{2028}\u{0}\"\\b"
    var errors = badCases.map(\.1)
    errors += [
      .tooManyWords(hostile), .missingHost(hostile), .missingPort(host: hostile), .portGivenTwice(hostile, hostile),
      .invalidPort(hostile), .unknownService(hostile), .unbalancedBrackets(hostile), .misplacedBracket(hostile),
      .bracketedNonIPv6(hostile), .ipv6NeedsBrackets(hostile), .invalidHost(hostile), .invalidHost(hostile + ":"),
      .invalidCharacter("\u{1B}", in: hostile), .invalidCharacter("\r\n", in: hostile), .labelTooLong(hostile),
      .emptyLabel(hostile), .zoneOnIPv4(hostile), .invalidZone(hostile), .unsupportedScheme(hostile),
      .unixSocketWithPort(hostile),
    ]
    for error in errors {
      let message = error.description
      #expect(!message.isEmpty)
      let unprintable = message.unicodeScalars.filter {
        [.control, .format, .lineSeparator, .paragraphSeparator].contains($0.properties.generalCategory)
      }
      #expect(unprintable.isEmpty, "\(String(reflecting: message))")
    }
    #expect(TargetParseError.invalidPort(hostile).description.contains(#"a\u{1B}[2J\u{A}\u{D}\u{7}\u{202E}\u{85}\u{2028}\u{0}\"\\b"#))
  }

  @Test func echoedInputIsShortened() {
    let message = TargetParseError.invalidPort(String(repeating: "x", count: 1000)).description
    #expect(message.count < 200)
    #expect(message.contains("…"))
  }
}

@Suite struct ServiceTableTests {
  @Test(arguments: [
    ("ssh", 22), ("SSH", 22), ("http", 80), ("https", 443), ("ftp", 21), ("telnet", 23), ("smtp", 25),
    ("submission", 587), ("smtps", 465), ("dns", 53), ("domain", 53), ("pop3", 110), ("pop3s", 995),
    ("imap", 143), ("imaps", 993), ("ldap", 389), ("ldaps", 636), ("postgres", 5432), ("PostgreSQL", 5432),
    ("mysql", 3306), ("mariadb", 3306), ("mssql", 1433), ("oracle", 1521), ("redis", 6379), ("mongodb", 27017),
    ("rdp", 3389), ("vnc", 5900), ("smb", 445), ("kerberos", 88), ("ntp", 123), ("snmp", 161), ("amqp", 5672),
    ("amqps", 5671), ("mqtt", 1883), ("kafka", 9092), ("memcached", 11211), ("elasticsearch", 9200), ("ws", 80),
    ("wss", 443), ("git", 9418), ("sftp", 22), ("rsync", 873), ("nfs", 2049), ("sip", 5060), ("http-alt", 8080),
  ] as [(String, UInt16)])
  func builtInServicePorts(name: String, port: UInt16) {
    #expect(ServiceTable.port(for: name) == port)
  }

  @Test(arguments: [
    ("http", 80), ("HTTPS", 443), ("ssh", 22), ("sftp", 22), ("ftp", 21), ("ftps", 990), ("smtp", 25), ("smtps", 465),
    ("imap", 143), ("imaps", 993), ("pop3", 110), ("pop3s", 995), ("ldap", 389), ("ldaps", 636), ("postgres", 5432),
    ("postgresql", 5432), ("mysql", 3306), ("redis", 6379), ("rediss", 6380), ("mongodb", 27017), ("rdp", 3389),
    ("telnet", 23), ("ws", 80), ("wss", 443), ("amqp", 5672), ("amqps", 5671), ("mqtt", 1883), ("git", 9418),
    ("vnc", 5900), ("smb", 445), ("nfs", 2049), ("sip", 5060),
  ] as [(String, UInt16)])
  func schemeDefaultPorts(scheme: String, port: UInt16) {
    #expect(ServiceTable.defaultPort(forScheme: scheme) == port)
  }

  @Test func unknownNamesHaveNoPort() {
    #expect(ServiceTable.port(for: "htps") == nil)
    #expect(ServiceTable.port(for: "") == nil)
    #expect(ServiceTable.defaultPort(forScheme: "file") == nil)
    #expect(ServiceTable.defaultPort(forScheme: "mailto") == nil)
  }

  /// Names outside the built-in table come from the system's /etc/services (skipped where it lacks them).
  @Test(.enabled(if: systemServicesListWhois()))
  func fallsBackToSystemServices() throws {
    #expect(ServiceTable.builtInServices["whois"] == nil)
    #expect(ServiceTable.port(for: "whois") == 43)
    #expect(ServiceTable.port(for: "nicname") == 43)
    #expect(try Target.parse("whois.example:WHOIS") == named("whois.example", 43, service: "whois"))
  }

  @Test func concurrentLookupsAgree() async {
    let ports = await withTaskGroup(of: UInt16?.self) { group in
      for _ in 0..<64 { group.addTask { ServiceTable.port(for: "finger") ?? ServiceTable.port(for: "https") } }
      return await group.reduce(into: Set<UInt16?>()) { $0.insert($1) }
    }
    #expect(ports.count == 1)
  }
}

private func systemServicesListWhois() -> Bool {
  guard let file = fopen("/etc/services", "r") else { return false }
  defer { fclose(file) }
  var line = [CChar](repeating: 0, count: 512)
  while fgets(&line, Int32(line.count), file) != nil {
    if String(nulTerminated: line).hasPrefix("whois") { return true }
  }
  return false
}
