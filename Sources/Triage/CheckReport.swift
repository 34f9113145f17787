import FoundationEssentials
import NetProbe

/// The `check --json` document: one object, described by Resources/report.schema.json.
public struct CheckReport: Codable, Sendable {
  public struct ToolInfo: Codable, Sendable {
    public var name: String
    public var version: String
  }

  /// The target as typed and as parsed, flat: host and port for TCP/UDP, path for unix.
  public struct TargetInfo: Codable, Sendable {
    public var given: String
    public var transport: Evidence.Transport
    public var host: String?
    /// The host was a numeric address: no resolver was asked.
    public var numeric: Bool?
    public var zone: String?
    public var port: Int?
    public var service: String?
    public var scheme: String?
    public var path: String?

    public init(_ target: CheckTarget) {
      given = target.text
      transport = target.transport
      switch target.target {
      case let .unix(path):
        self.path = path
      case let .inet(internet):
        switch internet.host {
        case let .name(name):
          host = name
          numeric = false
        case let .address(address, zone):
          host = address.description
          numeric = true
          self.zone = zone
        }
        port = Int(internet.port)
        service = internet.service
        scheme = internet.scheme
      }
    }
  }

  public struct StepReport: Codable, Sendable {
    public var id: StepID
    public var title: String
    public var status: StepStatus
    public var summary: String
    public var skip_reason: String?
    public var details: [String]
    public var findings: [Finding]
    public var duration_ms: Double?
  }

  public struct DiagnosisReport: Codable, Sendable {
    /// One id from the diagnosis vocabulary (DESIGN.md).
    public var id: DiagnosisID
    public var title: String
    public var summary: String
    /// What happened in packets, in plain words (from the knowledge base).
    public var on_the_wire: String?
    public var evidence: [String]
    public var could_not_tell: [String]
    public var fixes: [String]
    public var secondary: [Finding]
    /// Whether a provisional verdict came first, and when each verdict was reached (ms from the start).
    public var provisional_id: DiagnosisID?
    public var provisional_at_ms: Double?
    public var final_at_ms: Double
  }

  public var schema_version: Int
  public var tool: ToolInfo
  public var target: TargetInfo?
  public var started_at: String
  public var duration_ms: Double
  public var host: String
  public var privileges: Privileges
  public var steps: [StepReport]
  public var diagnosis: DiagnosisReport
  public var evidence: Evidence

  public init(snapshot: RunSnapshot, target: CheckTarget?, version: String, startedAt: Date, privileges: Privileges,
              title: String, fixes: [String]) {
    let diagnosis = snapshot.diagnosis ?? Decision.diagnose(snapshot.evidence)
    schema_version = 1
    tool = ToolInfo(name: "nettriage", version: version)
    self.target = target.map(TargetInfo.init)
    started_at = startedAt.formatted(.iso8601)
    duration_ms = Double(snapshot.elapsedMicroseconds) / 1000
    // The kernel's name for this host, read as is: Foundation's hostName looks the name up (getaddrinfo), which
    // can mean a DNS query for the report's sake.
    host = (try? FileAccess.readText("/proc/sys/kernel/hostname").get()).map { String($0.trimmingWhitespace()) } ?? "unknown"
    self.privileges = privileges
    steps = snapshot.steps.map {
      StepReport(id: $0.id, title: $0.title, status: $0.status, summary: $0.summary, skip_reason: $0.skipReason,
                 details: $0.details, findings: $0.findings, duration_ms: $0.durationMicroseconds.map { Double($0) / 1000 })
    }
    self.diagnosis = DiagnosisReport(
      id: diagnosis.id, title: title, summary: diagnosis.primary.summary, on_the_wire: KnowledgeText.onTheWire(diagnosis.id, hasTarget: target != nil),
      evidence: diagnosis.primary.evidence,
      could_not_tell: diagnosis.primary.couldNotTell, fixes: fixes, secondary: diagnosis.secondary,
      provisional_id: snapshot.provisional?.diagnosis.id, provisional_at_ms: snapshot.provisional.map { Double($0.atMicroseconds) / 1000 },
      final_at_ms: Double(snapshot.final?.atMicroseconds ?? snapshot.elapsedMicroseconds) / 1000)
    evidence = snapshot.evidence
  }
}

/// What the tool may do here, and so which probes it could run.
public struct Privileges: Codable, Sendable, Hashable {
  public var user_id: UInt32
  /// CAP_NET_RAW in the effective set: raw ICMP, packet capture.
  public var net_raw: Bool
  /// CAP_NET_ADMIN in the effective set.
  public var net_admin: Bool

  public init(user_id: UInt32, net_raw: Bool, net_admin: Bool) {
    self.user_id = user_id
    self.net_raw = net_raw
    self.net_admin = net_admin
  }

  /// Reads the effective capabilities from /proc/self/status.
  public static func current() -> Privileges {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    var effective: UInt64 = 0
    for line in status.split(separator: "\n") where line.hasPrefix("CapEff:") {
      effective = UInt64(line.dropFirst(7).trimmingWhitespace(), radix: 16) ?? 0
    }
    let uid = status.split(separator: "\n").first { $0.hasPrefix("Uid:") }
      .flatMap { $0.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst(2).first }
      .flatMap { UInt32($0) } ?? UInt32.max
    return Privileges(user_id: uid, net_raw: effective & (1 << 13) != 0, net_admin: effective & (1 << 12) != 0)
  }
}
