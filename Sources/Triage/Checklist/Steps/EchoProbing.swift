import NetProbe

extension ChecklistRun {
  /// Echo requests to `address`, each result recorded as it comes; stops early when the task is cancelled and
  /// returns what it saw. nil evidence fields mean ICMP could not run (with the reason).
  func echo(_ address: SocketAddress, step: StepID, count: Int, interval: Duration, timeout: Duration,
            onFirstReply: (@Sendable (Int64) async -> Void)? = nil) async -> EchoEvidence {
    let session: ICMPEchoSession
    do {
      session = try ICMPEchoProbe.open(to: address, target: address.host, options: .init(timeout: timeout))
    } catch {
      detail(step, "ping \(address.host): skipped: \(error.reason)")
      return EchoEvidence(sent: 0, replies: 0, skippedReason: error.reason)
    }
    defer { session.close() }
    var evidence = EchoEvidence(sent: 0, replies: 0)
    liveEcho[address] = evidence
    var nextStart = ContinuousClock.now
    for sequence in 1...max(1, count) {
      if Task.isCancelled { break }
      if sequence > 1, nextStart > .now {
        do { try await Task.sleep(until: nextStart) } catch { break }
      }
      nextStart = max(nextStart, .now) + interval
      let result = await session.echo(sequence: sequence)
      if result.outcome == .cancelled {
        // The request went out and nothing came back before we stopped waiting: it counts as unanswered.
        evidence.sent += 1
        liveEcho[address] = evidence
        detail(step, "ping \(address.host): no reply in \(ProbeText.milliseconds(result.rttMicroseconds)) (stopped waiting)")
        break
      }
      evidence.sent += 1
      detail(step, "ping \(address.host): " + ICMPText.describe(result))
      if result.outcome != .reply && result.outcome != .timedOut { echoFailures[address] = result.outcome }
      if result.outcome.isAnswer {
        evidence.replies += 1
        evidence.roundTripMicroseconds.append(result.rttMicroseconds)
        if evidence.replyTTL == nil { evidence.replyTTL = result.ttl }
      } else if let icmp = result.icmp, evidence.error == nil {
        evidence.error = icmp
      }
      liveEcho[address] = evidence
      if result.outcome.isAnswer, evidence.replies == 1, let onFirstReply {
        let rtt = result.rttMicroseconds
        Task { await onFirstReply(rtt) }
      }
      // An error no later request would undo (our ARP failed, no route, a router's unreachable): stop here. Another
      // request would only start a new ARP/ND resolution the neighbour step is watching end.
      if result.outcome != .reply && result.outcome != .timedOut { break }
    }
    return evidence
  }
}
