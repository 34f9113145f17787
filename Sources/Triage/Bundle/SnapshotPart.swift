/// One part of the system snapshot: what was read, or why it could not be. A part that fails is recorded, never
/// fatal: the rest of the snapshot still goes into the bundle.
///
/// JSON: `{"value": ...}` or `{"error": "open(/etc/resolv.conf): ENOENT (2) No such file or directory"}`.
public struct SnapshotPart<Value: Codable & Sendable & Hashable>: Codable, Sendable, Hashable {
  public var value: Value?
  public var error: String?

  public init(value: Value) {
    self.value = value
    error = nil
  }

  public init(error: String) {
    value = nil
    self.error = error
  }

  /// Runs `read`, keeping its value or its error's description.
  public static func reading(_ read: () throws -> Value) -> SnapshotPart {
    do {
      return SnapshotPart(value: try read())
    } catch {
      return SnapshotPart(error: "\(error)")
    }
  }

  /// From a result, the error described.
  public init<Failure: Error>(_ result: Result<Value, Failure>) {
    switch result {
    case let .success(value): self.init(value: value)
    case let .failure(error): self.init(error: "\(error)")
    }
  }

  /// The value's text lines, or one line saying why there is none.
  public func lines(_ render: (Value) -> [String]) -> [String] {
    if let value { return render(value) }
    return ["could not read: \(error ?? "unknown reason")"]
  }
}
