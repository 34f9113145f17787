import NetProbe

/// The knowledge base's words for a verdict, with this run's values filled into the fix commands.
public enum KnowledgeText {
  /// The verdict's title and its fixes, a line each: "What to do: `linux command` (Windows: `command`)".
  public static func render(_ diagnosis: Diagnosis, target: CheckTarget? = nil) -> (title: String, fixes: [String]) {
    if target == nil, diagnosis.id == .reachable {
      // No target: "reachable" speaks for the local checks, and the only useful next step is a target.
      return ("The local checks pass", ["Check what the user cannot reach, by name and port as the application uses them: `nettriage check HOST:PORT` (or a URL)"])
    }
    let entry = KnowledgeBase.shared.entry(for: diagnosis.id)
    let fixes = entry.fixes(filledWith: values(for: diagnosis, target: target)).map(line)
    return (entry.title, fixes)
  }

  /// What happened on the wire, in plain words, for the verdict.
  public static func onTheWire(_ id: DiagnosisID, hasTarget: Bool = true) -> String {
    if !hasTarget && id == .reachable {
      return "No target was given, so no connection was tried: this machine has a usable interface and route, its default gateway answered ARP/ND (and ping when allowed), and its name servers answered a query."
    }
    return KnowledgeBase.shared.entry(for: id).onTheWire
  }

  /// The placeholder values of this run: the finding's own (address, port, interface, gateway, source, sender)
  /// and the target's (target, host, name, port).
  public static func values(for diagnosis: Diagnosis, target: CheckTarget?) -> [String: String] {
    var values = diagnosis.primary.values
    if let target {
      values["target"] = values["target"] ?? target.text
      if let internet = target.internet {
        values["host"] = values["host"] ?? internet.host.description
        values["port"] = values["port"] ?? String(internet.port)
        if case let .name(name) = internet.host { values["name"] = name }
        if values["address"] == nil, case let .address(address, _) = internet.host { values["address"] = address.description }
        values["url"] = values["url"] ?? url(internet)
      }
    }
    return values
  }

  /// The target as a URL for curl: http on the usual plain-HTTP ports, https elsewhere; an IPv6 address in brackets.
  static func url(_ target: InternetTarget) -> String {
    let host: String
    switch target.host {
    case let .name(name): host = name
    case let .address(address, _): host = address.family == .ipv6 ? "[\(address)]" : address.description
    }
    let scheme = plainHTTPPorts.contains(target.port) ? "http" : "https"
    let port = (scheme == "http" && target.port == 80) || (scheme == "https" && target.port == 443) ? "" : ":\(target.port)"
    return "\(scheme)://\(host)\(port)/"
  }

  /// Ports where a web server usually speaks plain HTTP.
  static let plainHTTPPorts: Set<UInt16> = [80, 591, 3000, 5000, 8000, 8008, 8080, 8081, 8888]

  /// One fix on one line.
  public static func line(_ fix: RenderedFix) -> String {
    var text = fix.text
    if fix.linux != nil || fix.windows != nil, text.hasSuffix(".") { text.removeLast() }
    if let linux = fix.linux { text += ": `\(linux)`" }
    if let windows = fix.windows { text += " (Windows: `\(windows)`)" }
    return text
  }
}
