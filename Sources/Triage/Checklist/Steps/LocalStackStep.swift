import NetProbe

extension ChecklistRun {
  /// Step 3: usable interfaces (up, carrier, an address) and this host's own stack answering on loopback.
  func localStackStep() async -> StepOutcome {
    let selfTest = await BlockingThreads.shared.value { LoopbackSelfTest.run() }
    detail(.localStack, "loopback self-test: \(ProbeText.describe(selfTest, kind: .tcp))")
    let interfaces: [NetworkInterface]
    do {
      interfaces = try await BlockingThreads.shared.value { try Interfaces.list() }
    } catch {
      return StepOutcome(status: .warn, summary: "could not list interfaces: \(error)")
    }
    for interface in interfaces {
      let addresses = interface.addresses.map { "\($0.address)/\($0.prefixLength)" }.joined(separator: " ")
      let state = interface.usable ? "usable" : interface.problems.joined(separator: "; ")
      detail(.localStack, "\(interface.name) (\(interface.kind.rawValue)): \(state)" + (addresses.isEmpty ? "" : "  \(addresses)"))
    }
    let usable = interfaces.filter { $0.usable && !$0.isLoopback }
    let onHostOnly = target?.isLoopback == true || target.map { if case .unix = $0.target { true } else { false } } == true
    if !onHostOnly { updateEvidence { $0.interfaces = InterfaceEvidence(usableCount: usable.count) } }
    guard selfTest.outcome == .connected else {
      return StepOutcome(status: .fail, summary: "this host's own stack does not answer on loopback: \(ProbeText.outcomeWords(selfTest.outcome, kind: .tcp))")
    }
    if usable.isEmpty {
      return StepOutcome(status: onHostOnly ? .info : .fail,
                         summary: "no usable interface beyond loopback" + (onHostOnly ? " (not needed for this target)" : ""))
    }
    let names = usable.map { interface in
      interface.name + (interface.addresses.first { $0.isUsable }.map { " \($0.address)/\($0.prefixLength)" } ?? "")
    }
    return StepOutcome(status: .pass, summary: "loopback answers; usable: \(names.joined(separator: ", "))")
  }
}
