import FoundationEssentials
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Writes lines to stdout at once (a pipe would otherwise buffer them), as text or as NDJSON objects.
struct Output {
  let json: Bool

  func line(_ text: String) {
    writeAll(text + "\n", to: STDOUT_FILENO)
  }

  /// One JSON document on one line, as it is.
  func object<T: Encodable>(_ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(value) else { return }
    line(String(decoding: data, as: UTF8.self))
  }

  /// One JSON object on one line, with its `type` first-class in the object.
  func object<T: Encodable>(type: String, _ value: T) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard let data = try? encoder.encode(Tagged(type: type, value: value)) else { return }
    line(String(decoding: data, as: UTF8.self))
  }
}

/// Adds `"type": NAME` beside the fields of the wrapped value.
private struct Tagged<T: Encodable>: Encodable {
  let type: String
  let value: T

  private enum Key: String, CodingKey { case type }

  func encode(to encoder: any Encoder) throws {
    try value.encode(to: encoder)
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(type, forKey: .type)
  }
}
