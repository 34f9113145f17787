/// The checklist's steps, in the order the screen shows them (DESIGN.md). Raw values are stable ids.
public enum StepID: String, Codable, Sendable, Hashable, CaseIterable {
  case pathPicture = "path-picture"
  case networkingTrace = "networking-trace"
  case localStack = "local-stack"
  case neighbours
  case defaultGateway = "default-gateway"
  case destination
  case socketState = "socket-state"

  /// The step's name on screen and in reports.
  public var title: String {
    switch self {
    case .pathPicture: return "Path picture"
    case .networkingTrace: return "Networking trace"
    case .localStack: return "Local stack"
    case .neighbours: return "Neighbours"
    case .defaultGateway: return "Default gateway"
    case .destination: return "Destination"
    case .socketState: return "Socket state"
    }
  }
}

/// How a step ended. Raw values appear in `check --json`.
public enum StepStatus: String, Codable, Sendable, Hashable {
  case pending, running, pass, warn, fail, skip, info

  public var isFinished: Bool { self != .pending && self != .running }
}
