/// Which probe goes out next, and when a trace is over.
///
/// Probes go out in TTL order (all queries of a TTL together, so the lowest TTLs lead where the destination
/// rate-limits its answers), at most `window` in flight, and none past the lowest TTL whose answer ended the trace.
/// The trace is over when every probe up to that TTL (or up to `maxHops`) has an outcome; probes in flight beyond it
/// are no longer waited for.
struct TraceSchedule {
  /// One probe's place in the plan. `index` runs 0 ..< maxHops × queries.
  struct Slot: Hashable, Sendable {
    var index: Int
    var ttl: Int
    var query: Int
  }

  let maxHops: Int
  let queries: Int
  let window: Int
  private var nextIndex = 0
  private(set) var inFlight: Set<Int> = []
  private(set) var outcomes: [Int: TraceProbe] = [:]
  /// The lowest TTL with an answer that ends the trace.
  private(set) var stopTTL: Int?

  init(maxHops: Int, queries: Int, window: Int) {
    self.maxHops = maxHops
    self.queries = queries
    self.window = max(1, window)
  }

  func slot(_ index: Int) -> Slot { Slot(index: index, ttl: index / queries + 1, query: index % queries + 1) }

  /// The highest TTL still worth an answer.
  var limitTTL: Int { stopTTL ?? maxHops }

  /// Probes sent so far.
  var sent: Int { nextIndex }

  private var hasMoreToSend: Bool { nextIndex < maxHops * queries && slot(nextIndex).ttl <= limitTTL }

  /// The next probe to send, when the window has room and one is left; it counts as in flight from now.
  mutating func next() -> Slot? {
    guard inFlight.count < window, hasMoreToSend else { return nil }
    let slot = slot(nextIndex)
    nextIndex += 1
    inFlight.insert(slot.index)
    return slot
  }

  /// Whether the probe is sent and still waiting for its outcome.
  func isInFlight(_ index: Int) -> Bool { inFlight.contains(index) }

  /// Records a probe's outcome (once; later ones for the same probe are ignored).
  mutating func record(_ probe: TraceProbe, at index: Int) {
    guard inFlight.remove(index) != nil else { return }
    outcomes[index] = probe
    if probe.answer.endsTrace { stopTTL = min(stopTTL ?? probe.ttl, probe.ttl) }
  }

  /// In-flight probes whose outcome still matters (at or below the limit).
  var awaited: [Int] { inFlight.filter { slot($0).ttl <= limitTTL }.sorted() }

  var isDone: Bool { awaited.isEmpty && !hasMoreToSend }

  /// The hops to report: 1 up to the TTL that ended the trace, else up to the highest TTL sent. A probe without an
  /// outcome (the trace was stopped) shows as `missing`.
  func hops(missing: TraceAnswer = .cancelled) -> [TraceHop] {
    let lastTTL = stopTTL ?? (nextIndex == 0 ? 0 : slot(nextIndex - 1).ttl)
    guard lastTTL >= 1 else { return [] }
    return (1...lastTTL).map { ttl in
      let probes = (1...queries).compactMap { query -> TraceProbe? in
        let index = (ttl - 1) * queries + query - 1
        if let outcome = outcomes[index] { return outcome }
        return index < nextIndex ? TraceProbe(ttl: ttl, query: query, answer: missing) : nil
      }
      return TraceHop(ttl: ttl, probes: probes)
    }
  }
}
