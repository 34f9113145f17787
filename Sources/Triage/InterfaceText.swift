import NetProbe

/// The text of an interface, in the shape `ip address` prints with the verdict added: `probe iface` and the bundle's
/// snapshot.
public enum InterfaceText {
  public static func lines(_ interface: NetworkInterface) -> [String] {
    let name = SafeText.escape(interface.name)
    var kind = interface.kind.rawValue
    if let linkKind = interface.linkKind, linkKind != kind { kind += ", \(SafeText.escape(linkKind))" }
    let verdict = interface.usable ? "usable" : interface.isLoopback ? "loopback" : "not usable: " + interface.problems.joined(separator: ", ")
    var lines = ["\(interface.index): \(name) (\(kind)) \(verdict)"]
    var state = ["<\(interface.flags.joined(separator: ","))>", "state \(interface.operstate)"]
    if let carrier = interface.carrier { state.append("carrier \(carrier ? "on" : "off")") }
    if let mtu = interface.mtu { state.append("mtu \(mtu)") }
    if let mac = interface.mac { state.append("mac \(mac)") }
    if let master = interface.master { state.append("master \(SafeText.escape(master))") }
    lines.append("    " + state.joined(separator: "  "))
    for address in interface.addresses {
      var text = (address.address.family == .ipv4 ? "inet " : "inet6 ") + "\(address.address)/\(address.prefixLength)"
      if let peer = address.peer { text += " peer \(peer)" }
      if let broadcast = address.broadcast { text += " brd \(broadcast)" }
      text += " scope \(address.scope)"
      if !address.flags.isEmpty { text += " " + address.flags.joined(separator: " ") }
      if let label = address.label, label != interface.name { text += " label \(SafeText.escape(label))" }
      if let preferred = address.preferredLifetimeSeconds { text += " preferred \(preferred)s" }
      if let valid = address.validLifetimeSeconds { text += " valid \(valid)s" }
      lines.append("    " + text)
    }
    if interface.addresses.isEmpty { lines.append("    no addresses") }
    return lines
  }

  public static func verdict(usable: [NetworkInterface], named: String?) -> String {
    if let named {
      return usable.isEmpty ? "\(SafeText.escape(named)) is not usable" : "\(SafeText.escape(named)) is usable"
    }
    if usable.isEmpty {
      return "no usable interface besides loopback (no-interface): nothing is admin up with carrier and a global address"
    }
    return "usable: " + usable.map { SafeText.escape($0.name) }.joined(separator: ", ")
  }
}
