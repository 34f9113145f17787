import NetProbe

extension ChecklistRun {
  /// Step 1: route lookup for the destination, egress interface, source, gateway.
  func pathPictureStep() async -> StepOutcome {
    .skip("route lookup not wired in yet")
  }

  /// Step 2: packet capture of the probes' own flow.
  func networkingTraceStep() async -> StepOutcome {
    .skip("packet capture is not built yet")
  }

  /// Step 3: usable interfaces, loopback answers.
  func localStackStep() async -> StepOutcome {
    .skip("interface check not wired in yet")
  }

  /// Step 4: ARP/ND for an on-link destination.
  func neighboursStep() async -> StepOutcome {
    .skip("neighbour check not wired in yet")
  }

  /// Step 5: the default gateway answers ARP/ND and ping.
  func defaultGatewayStep() async -> StepOutcome {
    .skip("gateway check not wired in yet")
  }

  /// Step 7: the listener's queue when it is on this machine.
  func socketStateStep() async -> StepOutcome {
    .skip("socket table not wired in yet")
  }
}
