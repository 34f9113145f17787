import FoundationEssentials

/// One kernel parameter of a namespace: KEY is the path under /proc/sys (`net/ipv4/ip_forward`).
public struct SysctlSetting: Sendable, Hashable, Codable {
  public var key: String
  public var value: String

  public init(_ key: String, _ value: String) {
    self.key = key
    self.value = value
  }
}

/// A program the lab runs in the background inside a namespace: `nettriage lab ARGUMENTS...`, tracked by pid.
public struct LabService: Sendable, Hashable, Codable {
  /// What it is, for the status display and its log file: `tcp-listeners`, `dns`, `delay-line`.
  public var role: String
  public var host: LabHost
  /// The arguments after `nettriage lab`, e.g. `["serve-tcp", "--port", "80"]`.
  public var arguments: [String]

  public init(role: String, host: LabHost, arguments: [String]) {
    self.role = role
    self.host = host
    self.arguments = arguments
  }

  /// `ntlab-server: nettriage lab serve-tcp --port 80 --banner 'ntlab server'`, for `lab reveal`.
  public var commandLine: String {
    let words = arguments.map { $0.contains(" ") || $0.isEmpty ? "'\($0)'" : $0 }
    return "\(host.namespace): nettriage lab " + words.joined(separator: " ")
  }
}

/// One step of building the lab or a fault: data, so a scenario reads as what it does and `lab reveal` can
/// print it. Every program runs by absolute path with an argument vector, never through a shell.
public enum LabStep: Sendable, Hashable {
  /// `ip netns add NAME`, recorded in the state file before it runs so `lab down` always finds it.
  case namespace(String)
  /// `/usr/sbin/ip ARGUMENTS...`; every call names its namespace with `-n`.
  case ip([String])
  /// Kernel parameters of one namespace, written to /proc/sys by a thread that joined it.
  case sysctl(namespace: String, [SysctlSetting])
  /// An nftables ruleset loaded in a namespace: `ip netns exec NS nft -f FILE`.
  case nftables(namespace: String, ruleset: String)
  /// A file the lab writes (under /etc/netns/ntlab-*/), removed on down.
  case file(path: String, contents: String)

  /// The step as a command a person could type, for `lab reveal` and error messages.
  public var commandLine: String {
    switch self {
    case let .namespace(name):
      return "ip netns add \(name)"
    case let .ip(arguments):
      return "ip " + arguments.joined(separator: " ")
    case let .sysctl(namespace, settings):
      let assignments = settings.map { "\($0.key.replacing("/", with: "."))=\($0.value)" }
      return "ip netns exec \(namespace) sysctl -w " + assignments.joined(separator: " ")
    case let .nftables(namespace, ruleset):
      let rules = ruleset.split(separator: "\n").map { String($0.trimmingWhitespace()) }
        .filter { !$0.isEmpty && !$0.hasPrefix("table") && !$0.hasPrefix("chain") && $0 != "}" && !$0.hasPrefix("type ") }
      return "ip netns exec \(namespace) nft: " + rules.joined(separator: "; ")
    case let .file(path, contents):
      let lines = contents.split(separator: "\n").filter { !$0.hasPrefix("#") }
      return "write \(path): " + lines.joined(separator: " | ")
    }
  }
}
