// The DNS wire format (RFC 1035): names, the header, questions and the records a resolver check needs.
// Parsing checks every bound: malformed input becomes a `DNSMessageError`, never a crash or a hang.

/// A domain name: labels of 1-63 bytes, at most 255 bytes on the wire. Compares case-insensitively (ASCII).
///
/// Prints in presentation form without the final dot (`www.example.test`, the root as `.`); a dot or backslash
/// inside a label prints as `\.` or `\\`, any byte outside printable ASCII as `\DDD`, so the text is safe and
/// parses back to the same name.
public struct DNSName: Hashable, Sendable, Codable, CustomStringConvertible {
  /// The labels from the leftmost; empty for the root.
  public let labels: [[UInt8]]

  /// The root name.
  public static let root = DNSName(checkedLabels: [])

  /// The longest label: its length byte has two high bits free for compression pointers.
  public static let maximumLabelLength = 63
  /// The longest name on the wire, length bytes and the final zero included.
  public static let maximumWireLength = 255

  init(checkedLabels: [[UInt8]]) { labels = checkedLabels }

  /// A name from labels; throws when a label is empty or longer than 63 bytes, or the name exceeds 255 bytes.
  public init(labels: [[UInt8]]) throws(DNSNameError) {
    let text = DNSName(checkedLabels: labels).description
    for label in labels {
      if label.isEmpty { throw DNSNameError(text: text, reason: "a label is empty") }
      if label.count > DNSName.maximumLabelLength {
        throw DNSNameError(text: text, reason: "a label is \(label.count) bytes, more than 63")
      }
    }
    let name = DNSName(checkedLabels: labels)
    if name.wireLength > DNSName.maximumWireLength {
      throw DNSNameError(text: text, reason: "the name is \(name.wireLength) bytes on the wire, more than 255")
    }
    self = name
  }

  /// Parses presentation form: `www.example.test`, with or without the final dot; `.` is the root; `\.` and
  /// `\DDD` escape a byte inside a label.
  public init(_ text: String) throws(DNSNameError) {
    if text == "." {
      self = .root
      return
    }
    if text.isEmpty { throw DNSNameError(text: text, reason: "the name is empty") }
    var labels: [[UInt8]] = []
    var label: [UInt8] = []
    var endsWithDot = false
    let bytes = Array(text.utf8)
    var index = 0
    while index < bytes.count {
      let byte = bytes[index]
      endsWithDot = false
      if byte == UInt8(ascii: ".") {
        if label.isEmpty { throw DNSNameError(text: text, reason: "a label is empty (two dots, or a leading dot)") }
        labels.append(label)
        label = []
        endsWithDot = true
        index += 1
      } else if byte == UInt8(ascii: "\\") {
        guard index + 1 < bytes.count else { throw DNSNameError(text: text, reason: "the name ends in a lone backslash") }
        let digits = bytes[(index + 1)...].prefix(3)
        if digits.count == 3, digits.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
          let value = digits.reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
          guard value <= 255 else { throw DNSNameError(text: text, reason: "\\\(value) is not a byte") }
          label.append(UInt8(value))
          index += 4
        } else {
          label.append(bytes[index + 1])
          index += 2
        }
      } else {
        label.append(byte)
        index += 1
      }
    }
    if !endsWithDot { labels.append(label) }
    try self.init(labels: labels)
  }

  /// The bytes the name takes on the wire without compression: a length byte per label, the labels, a zero.
  public var wireLength: Int { labels.reduce(1) { $0 + 1 + $1.count } }

  /// The name with a dot at the end: `www.example.test.`
  public var absoluteDescription: String { labels.isEmpty ? "." : description + "." }

  public var description: String {
    guard !labels.isEmpty else { return "." }
    return labels.map { label in
      var text = ""
      for byte in label {
        switch byte {
        case UInt8(ascii: "."), UInt8(ascii: "\\"): text += "\\" + String(UnicodeScalar(byte))
        case 0x21...0x7E: text.unicodeScalars.append(UnicodeScalar(byte))
        default:
          let digits = String(byte)
          text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
        }
      }
      return text
    }.joined(separator: ".")
  }

  /// The labels with ASCII letters lowercased: DNS compares names without case (RFC 4343).
  var lowercasedLabels: [[UInt8]] {
    labels.map { $0.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 } }
  }

  public static func == (left: DNSName, right: DNSName) -> Bool { left.lowercasedLabels == right.lowercasedLabels }

  public func hash(into hasher: inout Hasher) { hasher.combine(lowercasedLabels) }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    do { try self.init(text) } catch {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: error.description))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(description)
  }
}

/// Text that is not a valid domain name, and why.
public struct DNSNameError: Error, Hashable, Sendable, CustomStringConvertible {
  public var text: String
  public var reason: String

  public init(text: String, reason: String) {
    self.text = text
    self.reason = reason
  }

  /// `"a..b" is not a valid DNS name: a label is empty (two dots, or a leading dot)`
  public var description: String { "\"\(text)\" is not a valid DNS name: \(reason)" }
}

/// A record type (RFC 1035 TYPE). Encodes to JSON as its mnemonic: `"A"`, `"AAAA"`, `"TYPE65534"`.
public struct DNSRecordType: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
  public var rawValue: UInt16
  public init(rawValue: UInt16) { self.rawValue = rawValue }

  public static let a = DNSRecordType(rawValue: 1)
  public static let ns = DNSRecordType(rawValue: 2)
  public static let cname = DNSRecordType(rawValue: 5)
  public static let soa = DNSRecordType(rawValue: 6)
  public static let ptr = DNSRecordType(rawValue: 12)
  public static let mx = DNSRecordType(rawValue: 15)
  public static let txt = DNSRecordType(rawValue: 16)
  public static let aaaa = DNSRecordType(rawValue: 28)
  public static let srv = DNSRecordType(rawValue: 33)
  public static let opt = DNSRecordType(rawValue: 41)
  public static let https = DNSRecordType(rawValue: 65)
  public static let any = DNSRecordType(rawValue: 255)

  private static let names: [UInt16: String] = [
    1: "A", 2: "NS", 5: "CNAME", 6: "SOA", 12: "PTR", 15: "MX", 16: "TXT", 28: "AAAA", 33: "SRV", 41: "OPT",
    65: "HTTPS", 255: "ANY",
  ]

  /// The mnemonic, or `TYPE<number>` (RFC 3597) for types without one here.
  public var name: String { Self.names[rawValue] ?? "TYPE\(rawValue)" }
  public var description: String { name }

  /// Parses a mnemonic (any case) or `TYPE<number>`.
  public init?(name: String) {
    let upper = name.uppercased()
    if let known = Self.names.first(where: { $0.value == upper }) {
      self.init(rawValue: known.key)
    } else if upper.hasPrefix("TYPE"), let number = UInt16(upper.dropFirst(4)) {
      self.init(rawValue: number)
    } else {
      return nil
    }
  }

  /// The address family of an address record type (A, AAAA); nil for others.
  public var addressFamily: AddressFamily? {
    switch self {
    case .a: return .ipv4
    case .aaaa: return .ipv6
    default: return nil
    }
  }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let type = DNSRecordType(name: text) else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a record type: \(text)"))
    }
    self = type
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(name)
  }
}

/// The response code of the header (RCODE). Encodes to JSON as its name: `"NXDOMAIN"`.
public struct DNSResponseCode: RawRepresentable, Hashable, Sendable, Codable, CustomStringConvertible {
  public var rawValue: UInt8
  public init(rawValue: UInt8) { self.rawValue = rawValue & 0x0F }

  public static let noError = DNSResponseCode(rawValue: 0)
  public static let formatError = DNSResponseCode(rawValue: 1)
  public static let serverFailure = DNSResponseCode(rawValue: 2)
  public static let nameError = DNSResponseCode(rawValue: 3)
  public static let notImplemented = DNSResponseCode(rawValue: 4)
  public static let refused = DNSResponseCode(rawValue: 5)

  private static let names: [UInt8: String] = [
    0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED", 6: "YXDOMAIN",
    7: "YXRRSET", 8: "NXRRSET", 9: "NOTAUTH", 10: "NOTZONE",
  ]

  /// `NXDOMAIN`, or `RCODE<number>`.
  public var name: String { Self.names[rawValue] ?? "RCODE\(rawValue)" }
  public var description: String { name }

  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    if let known = Self.names.first(where: { $0.value == text }) {
      self.init(rawValue: known.key)
    } else if text.hasPrefix("RCODE"), let number = UInt8(text.dropFirst(5)), number < 16 {
      self.init(rawValue: number)
    } else {
      throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a response code: \(text)"))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(name)
  }
}

/// The 12-byte header: id, flags, response code and the section counts as the message states them.
public struct DNSHeader: Hashable, Sendable, Codable {
  public var id: UInt16
  /// QR: a response, not a query.
  public var isResponse: Bool
  public var opcode: UInt8
  /// AA: the server is authoritative for the name.
  public var isAuthoritative: Bool
  /// TC: the message was cut to fit the transport; a resolver retries over TCP.
  public var isTruncated: Bool
  /// RD: the query asked the server to recurse.
  public var recursionDesired: Bool
  /// RA: the server offers recursion.
  public var recursionAvailable: Bool
  /// AD: the server validated the answer with DNSSEC.
  public var authenticData: Bool
  /// CD: the query asked the server not to validate.
  public var checkingDisabled: Bool
  public var responseCode: DNSResponseCode
  public var questionCount: UInt16
  public var answerCount: UInt16
  public var authorityCount: UInt16
  public var additionalCount: UInt16

  public static let length = 12

  public init(id: UInt16, isResponse: Bool = false, opcode: UInt8 = 0, isAuthoritative: Bool = false,
              isTruncated: Bool = false, recursionDesired: Bool = true, recursionAvailable: Bool = false,
              authenticData: Bool = false, checkingDisabled: Bool = false, responseCode: DNSResponseCode = .noError,
              questionCount: UInt16 = 0, answerCount: UInt16 = 0, authorityCount: UInt16 = 0, additionalCount: UInt16 = 0) {
    self.id = id
    self.isResponse = isResponse
    self.opcode = opcode & 0x0F
    self.isAuthoritative = isAuthoritative
    self.isTruncated = isTruncated
    self.recursionDesired = recursionDesired
    self.recursionAvailable = recursionAvailable
    self.authenticData = authenticData
    self.checkingDisabled = checkingDisabled
    self.responseCode = responseCode
    self.questionCount = questionCount
    self.answerCount = answerCount
    self.authorityCount = authorityCount
    self.additionalCount = additionalCount
  }

  /// Reads the header at the start of a message.
  public init(parsing bytes: [UInt8]) throws(DNSMessageError) {
    var reader = DNSWireReader(bytes: bytes)
    self = try reader.readHeader()
  }

  /// The flags as a dig-style list: `qr aa rd ra`.
  public var flagNames: [String] {
    [(isResponse, "qr"), (isAuthoritative, "aa"), (isTruncated, "tc"), (recursionDesired, "rd"),
     (recursionAvailable, "ra"), (authenticData, "ad"), (checkingDisabled, "cd")].filter(\.0).map(\.1)
  }

  var flagBits: UInt16 {
    var bits = UInt16(opcode & 0x0F) << 11 | UInt16(responseCode.rawValue)
    if isResponse { bits |= 0x8000 }
    if isAuthoritative { bits |= 0x0400 }
    if isTruncated { bits |= 0x0200 }
    if recursionDesired { bits |= 0x0100 }
    if recursionAvailable { bits |= 0x0080 }
    if authenticData { bits |= 0x0020 }
    if checkingDisabled { bits |= 0x0010 }
    return bits
  }
}

/// One entry of the question section.
public struct DNSQuestion: Hashable, Sendable, Codable, CustomStringConvertible {
  public var name: DNSName
  public var type: DNSRecordType
  /// The class; 1 (IN) for everything this tool asks.
  public var recordClass: UInt16

  public static let internetClass: UInt16 = 1

  public init(name: DNSName, type: DNSRecordType, recordClass: UInt16 = DNSQuestion.internetClass) {
    self.name = name
    self.type = type
    self.recordClass = recordClass
  }

  /// `www.example.test/AAAA`
  public var description: String { "\(name)/\(type)" }
}

/// The start of authority that comes with a negative answer (NXDOMAIN, NODATA): who is authoritative and how
/// long the negative answer may be cached (`minimum`, RFC 2308).
public struct DNSStartOfAuthority: Hashable, Sendable, Codable {
  public var primaryServer: DNSName
  public var responsibleMailbox: DNSName
  public var serial: UInt32
  public var refresh: UInt32
  public var retry: UInt32
  public var expire: UInt32
  public var minimum: UInt32

  public init(primaryServer: DNSName, responsibleMailbox: DNSName, serial: UInt32 = 1, refresh: UInt32 = 3600,
              retry: UInt32 = 600, expire: UInt32 = 86_400, minimum: UInt32 = 60) {
    self.primaryServer = primaryServer
    self.responsibleMailbox = responsibleMailbox
    self.serial = serial
    self.refresh = refresh
    self.retry = retry
    self.expire = expire
    self.minimum = minimum
  }
}

/// A record's data: what this tool reads (addresses, CNAME targets, SOA), and only the length of the rest.
public enum DNSRecordData: Hashable, Sendable {
  /// A or AAAA.
  case address(IPAddress)
  /// CNAME: the name this one is an alias of.
  case canonicalName(DNSName)
  case startOfAuthority(DNSStartOfAuthority)
  /// Any other type: kept as its length only.
  case other(length: Int)
}

/// A resource record of the answer, authority or additional section.
///
/// JSON: `{"name": "www.test", "type": "A", "class": 1, "ttl": 60, "address": "198.18.0.10"}`; a CNAME has
/// `target`, an SOA `soa`, any other type `length`.
public struct DNSRecord: Hashable, Sendable, Codable {
  public var name: DNSName
  public var type: DNSRecordType
  public var recordClass: UInt16
  public var ttl: UInt32
  public var data: DNSRecordData

  public init(name: DNSName, type: DNSRecordType, recordClass: UInt16 = DNSQuestion.internetClass, ttl: UInt32,
              data: DNSRecordData) {
    self.name = name
    self.type = type
    self.recordClass = recordClass
    self.ttl = ttl
    self.data = data
  }

  /// An A or AAAA record for the address.
  public static func address(_ address: IPAddress, name: DNSName, ttl: UInt32 = 60) -> DNSRecord {
    DNSRecord(name: name, type: address.family == .ipv4 ? .a : .aaaa, ttl: ttl, data: .address(address))
  }

  /// The address of an A or AAAA record; nil for other records.
  public var address: IPAddress? {
    if case let .address(address) = data { return address }
    return nil
  }

  /// The target of a CNAME record; nil for other records.
  public var canonicalName: DNSName? {
    if case let .canonicalName(target) = data { return target }
    return nil
  }

  private enum CodingKeys: String, CodingKey {
    case name, type, recordClass = "class", ttl, address, target, soa, length
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    name = try container.decode(DNSName.self, forKey: .name)
    type = try container.decode(DNSRecordType.self, forKey: .type)
    recordClass = try container.decode(UInt16.self, forKey: .recordClass)
    ttl = try container.decode(UInt32.self, forKey: .ttl)
    if let address = try container.decodeIfPresent(IPAddress.self, forKey: .address) {
      data = .address(address)
    } else if let target = try container.decodeIfPresent(DNSName.self, forKey: .target) {
      data = .canonicalName(target)
    } else if let soa = try container.decodeIfPresent(DNSStartOfAuthority.self, forKey: .soa) {
      data = .startOfAuthority(soa)
    } else {
      data = .other(length: try container.decode(Int.self, forKey: .length))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(name, forKey: .name)
    try container.encode(type, forKey: .type)
    try container.encode(recordClass, forKey: .recordClass)
    try container.encode(ttl, forKey: .ttl)
    switch data {
    case let .address(address): try container.encode(address, forKey: .address)
    case let .canonicalName(target): try container.encode(target, forKey: .target)
    case let .startOfAuthority(soa): try container.encode(soa, forKey: .soa)
    case let .other(length): try container.encode(length, forKey: .length)
    }
  }
}

/// A whole DNS message: header and the four sections.
public struct DNSMessage: Hashable, Sendable, Codable {
  public var header: DNSHeader
  public var questions: [DNSQuestion]
  public var answers: [DNSRecord]
  public var authorities: [DNSRecord]
  public var additionals: [DNSRecord]

  public init(header: DNSHeader, questions: [DNSQuestion] = [], answers: [DNSRecord] = [],
              authorities: [DNSRecord] = [], additionals: [DNSRecord] = []) {
    self.header = header
    self.questions = questions
    self.answers = answers
    self.authorities = authorities
    self.additionals = additionals
  }

  /// A recursive query for one name and type, with a random id (no EDNS0).
  public static func query(for name: DNSName, type: DNSRecordType, id: UInt16 = DNSMessage.randomID()) -> DNSMessage {
    DNSMessage(header: DNSHeader(id: id, recursionDesired: true), questions: [DNSQuestion(name: name, type: type)])
  }

  /// A query id from the system's random source, so an off-path sender cannot guess it.
  public static func randomID() -> UInt16 {
    var generator = SystemRandomNumberGenerator()
    return UInt16.random(in: .min ... .max, using: &generator)
  }

  /// Parses a whole message, following compression pointers. Throws on anything out of bounds or malformed.
  public init(parsing bytes: [UInt8]) throws(DNSMessageError) {
    var reader = DNSWireReader(bytes: bytes)
    header = try reader.readHeader()
    questions = []
    answers = []
    authorities = []
    additionals = []
    // The counts come from the sender: each entry is read against the real data, so a count larger than the
    // data ends in `.truncated` after at most (data / smallest entry) steps.
    for index in 0..<Int(header.questionCount) { questions.append(try reader.readQuestion(context: "question \(index + 1)")) }
    for index in 0..<Int(header.answerCount) { answers.append(try reader.readRecord(context: "answer \(index + 1)")) }
    for index in 0..<Int(header.authorityCount) { authorities.append(try reader.readRecord(context: "authority \(index + 1)")) }
    for index in 0..<Int(header.additionalCount) { additionals.append(try reader.readRecord(context: "additional \(index + 1)")) }
  }

  /// Reads the header and the first question only: enough to match a response to its query before trusting
  /// the rest. The question is nil when the message has none (some servers send none with FORMERR or REFUSED).
  public static func headerAndQuestion(parsing bytes: [UInt8]) throws(DNSMessageError) -> (DNSHeader, DNSQuestion?) {
    var reader = DNSWireReader(bytes: bytes)
    let header = try reader.readHeader()
    guard header.questionCount > 0 else { return (header, nil) }
    return (header, try reader.readQuestion(context: "question 1"))
  }

  /// The message on the wire (no name compression). Section counts come from the arrays, not the header.
  public func encoded() -> [UInt8] {
    var writer = DNSWireWriter()
    var header = header
    header.questionCount = UInt16(clamping: questions.count)
    header.answerCount = UInt16(clamping: answers.count)
    header.authorityCount = UInt16(clamping: authorities.count)
    header.additionalCount = UInt16(clamping: additionals.count)
    writer.write(header)
    for question in questions.prefix(Int(header.questionCount)) { writer.write(question) }
    for record in answers.prefix(Int(header.answerCount)) { writer.write(record) }
    for record in authorities.prefix(Int(header.authorityCount)) { writer.write(record) }
    for record in additionals.prefix(Int(header.additionalCount)) { writer.write(record) }
    return writer.bytes
  }
}

/// Why a message could not be read: what was wrong, at which byte, in which part.
public struct DNSMessageError: Error, Hashable, Sendable, Codable, CustomStringConvertible {
  public enum Kind: String, Hashable, Sendable, Codable {
    /// Fewer than 12 bytes: no complete header.
    case truncatedHeader = "truncated-header"
    /// The data ends inside a question or record (or the counts promise more than there is).
    case truncated
    /// A length byte of 64-191: longer than 63, or a label type other than a plain label or a pointer.
    case labelTooLong = "label-too-long"
    /// The name would exceed 255 bytes.
    case nameTooLong = "name-too-long"
    /// A compression pointer leads back into the name it is part of: following it would never end.
    case pointerLoop = "pointer-loop"
    /// A compression pointer points ahead of itself (only earlier names may be referred to).
    case forwardPointer = "forward-pointer"
    /// More compression pointers in one name than any real name needs.
    case tooManyPointers = "too-many-pointers"
    /// A record's data length does not fit its type (an A record that is not 4 bytes, a name that overruns).
    case badRecordLength = "bad-record-length"
  }

  public var kind: Kind
  /// The byte offset in the message where the problem was found.
  public var offset: Int
  /// The part being read: `header`, `question 1`, `answer 2`, ...
  public var context: String

  public init(_ kind: Kind, offset: Int, context: String) {
    self.kind = kind
    self.offset = offset
    self.context = context
  }

  /// `truncated at byte 40 in answer 2`
  public var description: String { "\(kind.rawValue) at byte \(offset) in \(context)" }
}

/// Reads a message with a bounds check before every access.
struct DNSWireReader {
  let bytes: [UInt8]
  var offset = 0

  /// More jumps than labels a name can hold (127) means a crafted chain.
  static let maximumPointerJumps = 127

  init(bytes: [UInt8]) { self.bytes = bytes }

  mutating func readHeader() throws(DNSMessageError) -> DNSHeader {
    guard bytes.count >= DNSHeader.length else { throw DNSMessageError(.truncatedHeader, offset: bytes.count, context: "header") }
    let id = try readUInt16(context: "header")
    let flags = try readUInt16(context: "header")
    let counts = (try readUInt16(context: "header"), try readUInt16(context: "header"), try readUInt16(context: "header"),
                  try readUInt16(context: "header"))
    return DNSHeader(
      id: id, isResponse: flags & 0x8000 != 0, opcode: UInt8((flags >> 11) & 0x0F), isAuthoritative: flags & 0x0400 != 0,
      isTruncated: flags & 0x0200 != 0, recursionDesired: flags & 0x0100 != 0, recursionAvailable: flags & 0x0080 != 0,
      authenticData: flags & 0x0020 != 0, checkingDisabled: flags & 0x0010 != 0,
      responseCode: DNSResponseCode(rawValue: UInt8(flags & 0x0F)),
      questionCount: counts.0, answerCount: counts.1, authorityCount: counts.2, additionalCount: counts.3)
  }

  mutating func readQuestion(context: String) throws(DNSMessageError) -> DNSQuestion {
    let name = try readName(context: context)
    let type = DNSRecordType(rawValue: try readUInt16(context: context))
    return DNSQuestion(name: name, type: type, recordClass: try readUInt16(context: context))
  }

  mutating func readRecord(context: String) throws(DNSMessageError) -> DNSRecord {
    let name = try readName(context: context)
    let type = DNSRecordType(rawValue: try readUInt16(context: context))
    let recordClass = try readUInt16(context: context)
    let ttl = try readUInt32(context: context)
    let length = Int(try readUInt16(context: context))
    let start = offset
    let end = start + length
    guard end <= bytes.count else { throw DNSMessageError(.truncated, offset: bytes.count, context: context) }
    func badLength() -> DNSMessageError { DNSMessageError(.badRecordLength, offset: start, context: context) }
    let data: DNSRecordData
    switch type {
    case .a:
      guard length == 4 else { throw badLength() }
      data = .address(.v4(bytes[start], bytes[start + 1], bytes[start + 2], bytes[start + 3]))
    case .aaaa:
      guard length == 16 else { throw badLength() }
      data = .address(.v6(Array(bytes[start..<end])))
    case .cname:
      let (target, next) = try Self.name(in: bytes, at: start, limit: end, context: context)
      guard next == end else { throw badLength() }
      data = .canonicalName(target)
    case .soa:
      let (primary, afterPrimary) = try Self.name(in: bytes, at: start, limit: end, context: context)
      let (mailbox, afterMailbox) = try Self.name(in: bytes, at: afterPrimary, limit: end, context: context)
      guard end - afterMailbox == 20 else { throw badLength() }
      var numbers = DNSWireReader(bytes: Array(bytes[afterMailbox..<end]))
      data = .startOfAuthority(DNSStartOfAuthority(
        primaryServer: primary, responsibleMailbox: mailbox, serial: try numbers.readUInt32(context: context),
        refresh: try numbers.readUInt32(context: context), retry: try numbers.readUInt32(context: context),
        expire: try numbers.readUInt32(context: context), minimum: try numbers.readUInt32(context: context)))
    default:
      data = .other(length: length)
    }
    offset = end
    return DNSRecord(name: name, type: type, recordClass: recordClass, ttl: ttl, data: data)
  }

  mutating func readName(context: String) throws(DNSMessageError) -> DNSName {
    let (name, next) = try Self.name(in: bytes, at: offset, limit: bytes.count, context: context)
    offset = next
    return name
  }

  mutating func readUInt16(context: String) throws(DNSMessageError) -> UInt16 {
    guard offset + 2 <= bytes.count else { throw DNSMessageError(.truncated, offset: bytes.count, context: context) }
    defer { offset += 2 }
    return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
  }

  mutating func readUInt32(context: String) throws(DNSMessageError) -> UInt32 {
    let high = try readUInt16(context: context)
    return UInt32(high) << 16 | UInt32(try readUInt16(context: context))
  }

  /// Reads a possibly compressed name at `start`; returns it and the offset just after it in the original place.
  /// Labels before the first pointer must end by `limit` (a record's data); after a jump, by the message end.
  ///
  /// Every pointer must lead to a place before the stretch of labels it ends (the name start, or the previous
  /// jump's target): the places strictly decrease, so no chain of pointers can loop. A pointer back into its
  /// own stretch is a loop; one past itself is a forward pointer; both are refused.
  static func name(in bytes: [UInt8], at start: Int, limit: Int, context: String) throws(DNSMessageError) -> (DNSName, Int) {
    var labels: [[UInt8]] = []
    var wireLength = 1
    var position = start
    var stretchStart = start
    var bound = min(limit, bytes.count)
    var resumeAt: Int?
    var jumps = 0
    while true {
      guard position < bound else { throw DNSMessageError(.truncated, offset: position, context: context) }
      let length = Int(bytes[position])
      switch length & 0xC0 {
      case 0x00:
        if length == 0 { return (DNSName(checkedLabels: labels), resumeAt ?? position + 1) }
        guard position + 1 + length <= bound else { throw DNSMessageError(.truncated, offset: position, context: context) }
        wireLength += 1 + length
        guard wireLength <= DNSName.maximumWireLength else { throw DNSMessageError(.nameTooLong, offset: position, context: context) }
        labels.append(Array(bytes[(position + 1)...(position + length)]))
        position += 1 + length
      case 0xC0:
        guard position + 1 < bound else { throw DNSMessageError(.truncated, offset: position, context: context) }
        let target = (length & 0x3F) << 8 | Int(bytes[position + 1])
        jumps += 1
        guard jumps <= maximumPointerJumps else { throw DNSMessageError(.tooManyPointers, offset: position, context: context) }
        if target > position { throw DNSMessageError(.forwardPointer, offset: position, context: context) }
        if target >= stretchStart { throw DNSMessageError(.pointerLoop, offset: position, context: context) }
        if resumeAt == nil { resumeAt = position + 2 }
        position = target
        stretchStart = target
        bound = bytes.count
      default:
        throw DNSMessageError(.labelTooLong, offset: position, context: context)
      }
    }
  }
}

/// Writes a message without compression.
struct DNSWireWriter {
  var bytes: [UInt8] = []

  mutating func write(_ value: UInt16) {
    bytes.append(UInt8(value >> 8))
    bytes.append(UInt8(value & 0xFF))
  }

  mutating func write(_ value: UInt32) {
    write(UInt16(value >> 16))
    write(UInt16(value & 0xFFFF))
  }

  mutating func write(_ name: DNSName) {
    for label in name.labels {
      bytes.append(UInt8(label.count))
      bytes += label
    }
    bytes.append(0)
  }

  mutating func write(_ header: DNSHeader) {
    write(header.id)
    write(header.flagBits)
    write(header.questionCount)
    write(header.answerCount)
    write(header.authorityCount)
    write(header.additionalCount)
  }

  mutating func write(_ question: DNSQuestion) {
    write(question.name)
    write(question.type.rawValue)
    write(question.recordClass)
  }

  mutating func write(_ record: DNSRecord) {
    write(record.name)
    write(record.type.rawValue)
    write(record.recordClass)
    write(record.ttl)
    var data = DNSWireWriter()
    switch record.data {
    case let .address(address): data.bytes = address.bytes
    case let .canonicalName(target): data.write(target)
    case let .startOfAuthority(soa):
      data.write(soa.primaryServer)
      data.write(soa.responsibleMailbox)
      for number in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] { data.write(number) }
    case let .other(length): data.bytes = [UInt8](repeating: 0, count: min(length, Int(UInt16.max)))
    }
    write(UInt16(clamping: data.bytes.count))
    bytes += data.bytes
  }
}
