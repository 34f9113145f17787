/// Why a lab command could not do its work: one line for the user, naming what failed.
public struct LabError: Error, Sendable, Hashable, CustomStringConvertible {
  public var message: String

  public init(_ message: String) { self.message = message }

  public var description: String { message }
}
