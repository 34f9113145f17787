extension Target {
  /// Parses what a user typed. `port` is the second argument of the telnet style (`host 443`), if given separately.
  ///
  /// Accepts `host:port`, `[IPv6]:port` (with `%zone`), `host port`, a service name for the port (`host:https`),
  /// a URL (`https://user@host:8443/path`, port from the scheme when absent), and `unix:/path`.
  /// `requirePort`: when false, a bare host is accepted with port 0 (used later by ICMP probes);
  /// when true a missing port is an error.
  public static func parse(_ text: String, port: String? = nil, requirePort: Bool = true) throws(TargetParseError) -> Target {
    let totalLength = text.utf8.count + (port?.utf8.count ?? 0)
    guard totalLength <= TargetParser.maximumInputLength else { throw .inputTooLong(totalLength) }

    let input = text.trimmingWhitespace()
    let separatePort = port.map { $0.trimmingWhitespace() }.flatMap { $0.isEmpty ? nil : $0 }
    try TargetParser.rejectControlCharacters(in: input, allowingWhitespace: true)
    if let separatePort { try TargetParser.rejectControlCharacters(in: separatePort, allowingWhitespace: false) }
    guard !input.isEmpty else { throw .empty }

    if TargetParser.hasUnixPrefix(input) {
      if let separatePort { throw .unixSocketWithPort(String(separatePort)) }
      return .unix(path: try TargetParser.unixPath(from: input))
    }

    // Telnet style: whitespace separates the host from the port.
    let words = input.split(whereSeparator: \.isWhitespace)
    guard words.count <= 2 else { throw .tooManyWords(String(input)) }
    var portText = separatePort
    if words.count == 2 {
      if let separatePort { throw .portGivenTwice(String(words[1]), String(separatePort)) }
      portText = words[1]
    }

    if let scheme = TargetParser.urlScheme(of: words[0]) {
      return .inet(try TargetParser.parseURL(words[0], scheme: scheme, separatePort: portText, requirePort: requirePort))
    }
    return .inet(try TargetParser.parseHostAndPort(words[0], separatePort: portText, requirePort: requirePort))
  }
}

/// Why a target could not be parsed. Each `description` is one line: what was wrong and the form to use instead.
public enum TargetParseError: Error, Hashable, Sendable, CustomStringConvertible {
  case empty
  /// The whole input (with any separate port) is longer than anyone types; the value is its length in bytes.
  case inputTooLong(Int)
  /// A control or invisible formatting character (the scalar value), which would be misleading when echoed.
  case controlCharacter(UInt32)
  case tooManyWords(String)
  case missingHost(String)
  case missingPort(host: String)
  case portGivenTwice(String, String)
  case portOutOfRange(Int)
  case invalidPort(String)
  case unknownService(String)
  case unbalancedBrackets(String)
  /// Brackets present but not as `[ADDRESS]` or `[ADDRESS]:PORT`.
  case misplacedBracket(String)
  /// Something other than an IPv6 address inside brackets.
  case bracketedNonIPv6(String)
  /// An IPv6 address in a URL without the brackets URLs require.
  case ipv6NeedsBrackets(String)
  /// Looks like an address (colons, or only digits and dots) but is not a valid one.
  case invalidHost(String)
  case invalidCharacter(Character, in: String)
  case nameTooLong(Int)
  case labelTooLong(String)
  case emptyLabel(String)
  case zoneOnIPv4(String)
  case invalidZone(String)
  /// A link-local IPv6 address needs to say which interface it is on.
  case linkLocalWithoutZone(String)
  case unsupportedScheme(String)
  case emptyUnixPath
  /// The unix socket path's length in bytes.
  case unixPathTooLong(Int)
  case unixSocketWithPort(String)

  public var description: String {
    switch self {
    case .empty:
      return "empty target: give HOST:PORT, [IPv6]:PORT, HOST PORT, a URL such as https://host/, or unix:/path"
    case let .inputTooLong(length):
      return "target too long (\(length) bytes): at most \(TargetParser.maximumInputLength)"
    case let .controlCharacter(value):
      return "control character \(unicodeName(value)) in target: retype it without it"
    case let .tooManyWords(input):
      return "too many words in \(quoted(input)): give HOST PORT, HOST:PORT, or a URL"
    case let .missingHost(input):
      return "missing host in \(quoted(input)): give one, e.g. example.com:443"
    case let .missingPort(host):
      let example = host.contains(":") ? "[\(host)]:443 or \(host) 443" : "\(host):443 or \(host) 443"
      return "missing port in \(quoted(host)): add one, e.g. \(escaped(example))"
    case let .portGivenTwice(first, second):
      return "port given twice (\(quoted(first)) and \(quoted(second))): give it once, e.g. host:443 or host 443"
    case let .portOutOfRange(port):
      return "port \(port) is out of range: use 1-65535 (e.g. host:443)"
    case let .invalidPort(port):
      return "invalid port \(quoted(port)): use a number 1-65535 or a service name such as https"
    case let .unknownService(name):
      return "unknown service \(quoted(name)): use a port number or a known name such as https, ssh, postgres"
    case let .unbalancedBrackets(input):
      return "unbalanced brackets in \(quoted(input)): write an IPv6 address as [ADDRESS]:PORT, e.g. [::1]:443"
    case let .misplacedBracket(input):
      return "misplaced bracket in \(quoted(input)): write an IPv6 address as [ADDRESS]:PORT, e.g. [::1]:443"
    case let .bracketedNonIPv6(host):
      return "\(quoted("[" + host + "]")) is not an IPv6 address: brackets are only for IPv6, e.g. [2001:db8::1]:443;"
        + " write other hosts as HOST:PORT"
    case let .ipv6NeedsBrackets(host):
      return "IPv6 address \(quoted(host)) in a URL needs brackets, e.g. http://[::1]:8080/"
    case let .invalidHost(host) where host.contains(":"):
      return "\(quoted(host)) is not a valid address or host name: an IPv6 address is hex groups separated by colons,"
        + " and a port goes after brackets, e.g. [2001:db8::1]:443"
    case let .invalidHost(host):
      return "\(quoted(host)) is not a valid address or host name: an IPv4 address is four numbers 0-255, e.g. 192.0.2.1"
    case let .invalidCharacter(character, name):
      return "invalid character \(quoted(String(character))) in host name \(quoted(name)):"
        + " use letters, digits, \"-\", \"_\" and \".\"\(hint(for: character))"
    case let .nameTooLong(length):
      return "name too long (\(length) characters): a host name has at most 253"
    case let .labelTooLong(label):
      return "label \(quoted(label, limit: 16)) too long (\(label.count) characters): each dot-separated part has at most 63"
    case let .emptyLabel(name):
      return "empty part between dots in \(quoted(name)): remove the extra dot"
    case let .zoneOnIPv4(host):
      return "zone id on IPv4 address \(quoted(host)): a zone (%eth0) is only for IPv6, e.g. [fe80::1%eth0]:22"
    case let .invalidZone(host):
      return "invalid zone in \(quoted(host)): after % give an interface name or index, e.g. [fe80::1%eth0]:22"
    case let .linkLocalWithoutZone(host):
      return "link-local address \(quoted(host)) needs its interface: add %NAME, e.g. [\(escaped(host))%eth0]:22"
    case let .unsupportedScheme(scheme):
      return "unsupported URL scheme \(quoted(scheme)) without a port: add one, e.g. \(escaped(scheme))://host:8080/, or give HOST:PORT"
    case .emptyUnixPath:
      return "empty unix socket path: give one, e.g. unix:/run/app.sock"
    case let .unixPathTooLong(length):
      return "unix socket path too long (\(length) bytes): at most \(TargetParser.maximumUnixPathLength) fit;"
        + " use a shorter path, e.g. a symlink in /tmp"
    case let .unixSocketWithPort(port):
      return "a unix socket takes no port (got \(quoted(port))): give just unix:/path"
    }
  }

  private func hint(for character: Character) -> String {
    switch character {
    case "/": return " (a URL needs its scheme, e.g. https://host/path; a unix socket is unix:/path)"
    case "@": return " (a URL needs its scheme, e.g. ssh://user@host)"
    case _ where !character.isASCII: return " (write an international name in its xn-- form)"
    default: return ""
    }
  }
}

/// The grammar behind `Target.parse`; each step throws the error that names what the user got wrong.
enum TargetParser {
  /// Longer input is a paste accident, not a target; the cap keeps messages and work bounded.
  static let maximumInputLength = 2048
  /// `sun_path` is 108 bytes and needs a terminating NUL.
  static let maximumUnixPathLength = 107
  static let maximumNameLength = 253
  static let maximumLabelLength = 63
  /// `IFNAMSIZ` less the terminating NUL.
  static let maximumZoneLength = 15

  // MARK: Characters

  /// Rejects control and invisible formatting characters, which could hide or rewrite text when echoed.
  /// Whitespace is allowed where it separates the host from the port.
  static func rejectControlCharacters(in text: Substring, allowingWhitespace: Bool) throws(TargetParseError) {
    for scalar in text.unicodeScalars where isControl(scalar) {
      if allowingWhitespace && scalar.properties.isWhitespace { continue }
      throw .controlCharacter(scalar.value)
    }
  }

  static func isControl(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator: return true
    default: return false
    }
  }

  // MARK: Unix sockets

  static func hasUnixPrefix(_ input: Substring) -> Bool {
    input.prefix(5).lowercased() == "unix:"
  }

  /// `unix:/path`, `unix:///path` (URL form with an empty authority) and `unix:relative/path`.
  static func unixPath(from input: Substring) throws(TargetParseError) -> String {
    var path = input.dropFirst(5)
    if path.hasPrefix("//") { path = path.dropFirst(2) }
    guard !path.isEmpty else { throw .emptyUnixPath }
    try rejectControlCharacters(in: path, allowingWhitespace: false)
    guard path.utf8.count <= maximumUnixPathLength else { throw .unixPathTooLong(path.utf8.count) }
    return String(path)
  }

  // MARK: URLs

  /// The lowercased scheme when `text` starts with `scheme://`; nil when it is not a URL.
  static func urlScheme(of text: Substring) -> String? {
    guard let separator = text.firstRange(of: "://") else { return nil }
    let scheme = text[..<separator.lowerBound]
    // RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )
    guard let first = scheme.first, first.isASCII, first.isLetter,
          scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) else { return nil }
    return scheme.lowercased()
  }

  /// `scheme://[user[:password]@]host[:port][/path][?query][#fragment]`; only the host and port matter.
  static func parseURL(
    _ url: Substring, scheme: String, separatePort: Substring?, requirePort: Bool
  ) throws(TargetParseError) -> InternetTarget {
    let afterScheme = url[url.index(url.startIndex, offsetBy: scheme.count + 3)...]
    let authority = afterScheme.prefix { !"/?#".contains($0) }
    // The last @ ends the user info: passwords pasted unencoded may contain another.
    let hostAndPort = authority.lastIndex(of: "@").map { authority[authority.index(after: $0)...] } ?? authority

    let parts = try splitHostAndPort(hostAndPort)
    guard !parts.host.isEmpty else { throw .missingHost(String(url)) }
    if !parts.bracketed && parts.host.contains(":") { throw .ipv6NeedsBrackets(String(parts.host)) }
    // RFC 6874 writes the zone's % as %25 inside a URL.
    let host = try parseHost(parts.bracketed ? percentDecodedZone(parts.host) : parts.host, bracketed: parts.bracketed)

    if let inline = parts.port, let separatePort { throw .portGivenTwice(String(inline), String(separatePort)) }
    let port: UInt16
    if let inline = parts.port {
      port = try parsePortNumber(inline)
    } else if let separatePort {
      port = try parsePort(separatePort).port
    } else if let schemePort = ServiceTable.defaultPort(forScheme: scheme) {
      port = schemePort
    } else if requirePort {
      throw .unsupportedScheme(scheme)
    } else {
      port = 0
    }
    return InternetTarget(host: host, port: port, service: scheme, scheme: scheme)
  }

  static func percentDecodedZone(_ host: Substring) -> Substring {
    guard let encoded = host.firstRange(of: "%25") else { return host }
    return Substring(String(host[..<encoded.lowerBound]) + "%" + String(host[encoded.upperBound...]))
  }

  // MARK: Host and port

  static func parseHostAndPort(
    _ text: Substring, separatePort: Substring?, requirePort: Bool
  ) throws(TargetParseError) -> InternetTarget {
    let parts = try splitHostAndPort(text)
    guard !parts.host.isEmpty else { throw .missingHost(String(text)) }
    let host = try parseHost(parts.host, bracketed: parts.bracketed)

    if let inline = parts.port, let separatePort { throw .portGivenTwice(String(inline), String(separatePort)) }
    guard let portText = parts.port ?? separatePort else {
      if requirePort { throw .missingPort(host: String(parts.host)) }
      return InternetTarget(host: host, port: 0)
    }
    let (port, service) = try parsePort(portText)
    return InternetTarget(host: host, port: port, service: service)
  }

  /// Splits `host:port`, `[host]:port`, `[host]` or `host`; an empty port (`host:`) counts as none.
  /// Unbracketed text with two or more colons is taken as an IPv6 address without a port:
  /// `::1:80` is itself a valid address, so a port there would be ambiguous.
  static func splitHostAndPort(_ text: Substring) throws(TargetParseError) -> (host: Substring, port: Substring?, bracketed: Bool) {
    let opening = text.count(where: { $0 == "[" })
    let closing = text.count(where: { $0 == "]" })
    guard opening == closing else { throw .unbalancedBrackets(String(text)) }

    if opening > 0 {
      guard opening == 1, text.first == "[", let close = text.firstIndex(of: "]") else {
        throw .misplacedBracket(String(text))
      }
      let host = text[text.index(after: text.startIndex)..<close]
      let rest = text[text.index(after: close)...]
      if rest.isEmpty { return (host, nil, true) }
      guard rest.first == ":" else { throw .misplacedBracket(String(text)) }
      let port = rest.dropFirst()
      return (host, port.isEmpty ? nil : port, true)
    }

    guard let colon = text.firstIndex(of: ":"), text.count(where: { $0 == ":" }) == 1 else {
      return (text, nil, false)
    }
    let port = text[text.index(after: colon)...]
    return (text[..<colon], port.isEmpty ? nil : port, false)
  }

  /// A numeric address (with an IPv6 zone) skips the resolver; anything else must be a valid host name.
  static func parseHost(_ text: Substring, bracketed: Bool) throws(TargetParseError) -> TargetHost {
    if let percent = text.firstIndex(of: "%") {
      let addressText = text[..<percent]
      let zone = text[text.index(after: percent)...]
      guard let address = IPAddress(String(addressText)) else {
        if bracketed || addressText.contains(":") { throw .invalidHost(String(text)) }
        throw .invalidCharacter("%", in: String(text))
      }
      guard address.family == .ipv6 else { throw .zoneOnIPv4(String(text)) }
      guard isValidZone(zone) else { throw .invalidZone(String(text)) }
      return .address(address, zone: String(zone))
    }

    if let address = IPAddress(String(text)) {
      if bracketed && address.family != .ipv6 { throw .bracketedNonIPv6(String(text)) }
      if address.family == .ipv6 && address.isLinkLocal { throw .linkLocalWithoutZone(String(text)) }
      return .address(address, zone: nil)
    }
    if text.contains(":") { throw .invalidHost(String(text)) }
    if bracketed { throw .bracketedNonIPv6(String(text)) }
    return .name(try validatedHostName(text))
  }

  /// An interface name (`eth0`, `br-lan`, `eth0.100`) or index (`2`).
  static func isValidZone(_ zone: Substring) -> Bool {
    (1...maximumZoneLength).contains(zone.utf8.count)
      && zone.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }
  }

  /// Checks a host name's syntax, leniently: letters, digits, `-` and `_` (used in SRV-style and
  /// internal names) in dot-separated labels; one trailing dot (a fully qualified name) is kept.
  static func validatedHostName(_ name: Substring) throws(TargetParseError) -> String {
    if let bad = name.first(where: { !($0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0))) }) {
      throw .invalidCharacter(bad, in: String(name))
    }
    let withoutRoot = name.hasSuffix(".") ? name.dropLast() : name
    guard withoutRoot.count <= maximumNameLength else { throw .nameTooLong(withoutRoot.count) }
    let labels = withoutRoot.split(separator: ".", omittingEmptySubsequences: false)
    if labels.contains(where: \.isEmpty) { throw .emptyLabel(String(name)) }
    if let long = labels.first(where: { $0.count > maximumLabelLength }) { throw .labelTooLong(String(long)) }
    // Only digits and dots yet not an IPv4 address (`1.2.3.256`, `127.1`): a typo, not a name to resolve.
    if withoutRoot.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }) { throw .invalidHost(String(name)) }
    return String(name)
  }

  // MARK: Ports

  /// A port number or a service name; the name, lowercased, is returned as the service.
  static func parsePort(_ text: Substring) throws(TargetParseError) -> (port: UInt16, service: String?) {
    if isAllDigits(text) { return (try parsePortNumber(text), nil) }
    // Service names in /etc/services use letters, digits, `-` and `_`.
    guard text.count <= 64, text.contains(where: \.isLetter),
          text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_".contains($0)) }) else {
      throw .invalidPort(String(text))
    }
    guard let port = ServiceTable.port(for: String(text)) else { throw .unknownService(String(text)) }
    return (port, text.lowercased())
  }

  /// A decimal port 1-65535 (URLs allow only numbers).
  static func parsePortNumber(_ text: Substring) throws(TargetParseError) -> UInt16 {
    // Int(_:) alone would also take a sign; nil here means too many digits to hold.
    guard isAllDigits(text), let value = Int(text) else { throw .invalidPort(String(text)) }
    guard let port = UInt16(exactly: value), port != 0 else { throw .portOutOfRange(value) }
    return port
  }

  static func isAllDigits(_ text: Substring) -> Bool {
    !text.isEmpty && text.utf8.allSatisfy { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
  }
}

// MARK: - Echoing input safely

/// `text` in double quotes, shortened to `limit` characters, with anything non-printable escaped so a
/// message never carries raw control characters or terminal escape sequences from the input.
private func quoted(_ text: String, limit: Int = 64) -> String {
  let shown = text.count > limit ? escaped(text.prefix(limit)) + "…" : escaped(text)
  return "\"\(shown)\""
}

/// Escapes `\`, `"` and every scalar that does not print visibly as `\u{…}`.
private func escaped(_ text: some StringProtocol) -> String {
  var result = ""
  for scalar in text.unicodeScalars {
    switch scalar {
    case "\\": result += "\\\\"
    case "\"": result += "\\\""
    case " ": result += " "
    case _ where isPrintable(scalar): result.unicodeScalars.append(scalar)
    default: result += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
    }
  }
  return result
}

private func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
  switch scalar.properties.generalCategory {
  case .control, .format, .lineSeparator, .paragraphSeparator, .spaceSeparator,
       .privateUse, .surrogate, .unassigned:
    return false
  default:
    return true
  }
}

/// `U+0007`
private func unicodeName(_ value: UInt32) -> String {
  let hex = String(value, radix: 16, uppercase: true)
  return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
