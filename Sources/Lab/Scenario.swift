import NetProbe

/// One fault the lab reproduces: how to build it, what a user would complain about, what the probes show, and the
/// diagnosis id (DESIGN.md's vocabulary) the checklist must give for it.
///
/// Teardown is the same for every scenario: a scenario's steps change only things inside lab namespaces or files
/// under /etc/netns/ntlab-*, and its services run inside lab namespaces, so `lab down` (end the recorded
/// processes, delete the namespaces, remove the files) undoes any of them completely. `lab up` builds each
/// scenario on a fresh topology, so no earlier fault (or ICMP rate-limit state) carries over.
public struct Scenario: Sendable, Hashable, Identifiable {
  /// The name `lab up` takes: `port-closed`.
  public var name: String
  /// One line for `lab list`: the fault, in a trainee's words.
  public var summary: String
  /// What the user at the client reports (shown by `lab practice`, which hides the name).
  public var complaint: String
  /// The diagnosis id `nettriage check --json` must give from the client (DESIGN.md).
  public var diagnosis: String
  /// Secondary findings the check must also report (icmp-blocked, packet-loss, high-latency).
  public var secondary: [String]
  /// What the client tries to reach: `HOST:PORT`.
  public var target: String
  /// The nettriage arguments that show the fault from the client (`lab exec -- nettriage ARGS`).
  public var probe: [String]
  /// What that probe ends with: a `ProbeOutcome` raw value for probes, or for `resolve` either `resolved` or a
  /// `ResolutionError.Kind` raw value.
  public var expectedOutcome: String
  /// What happens on the wire and why the diagnosis is what it is (`lab reveal`).
  public var explanation: String
  /// Steps run after the topology is built.
  public var setup: [LabStep]
  /// Background programs, started after the setup, ended on down.
  public var services: [LabService]
  /// Why the scenario cannot be built on this kind of machine yet; `lab up` refuses it with this reason.
  public var unavailable: String?
  /// The `--timeout` (seconds) `nettriage check` needs to reach the diagnosis: 1 for most; more where the evidence
  /// is a handshake that completes only on a SYN retransmit, which a shorter connect gives up before.
  public var checkTimeoutSeconds: Int = 1

  public var id: String { name }

  /// Whether `lab up` can build it.
  public var isAvailable: Bool { unavailable == nil }
}

/// Values a user may change for the scenarios that take them.
public struct ScenarioParameters: Sendable, Hashable, Codable {
  /// How long the delay line holds each packet, each way (high-latency).
  public var delayMilliseconds: Int
  /// The share of forwarded packets the router drops (packet-loss).
  public var lossPercent: Int

  public static let standard = ScenarioParameters(delayMilliseconds: 100, lossPercent: 25)

  public init(delayMilliseconds: Int, lossPercent: Int) {
    self.delayMilliseconds = delayMilliseconds
    self.lossPercent = lossPercent
  }
}
