/// What a received TTL (or IPv6 hop limit) says about how far away its sender is.
///
/// Senders start from a few well-known values (64: Linux, macOS, most network gear; 128: Windows; 255: many routers
/// and firewalls) and every router on the way takes one off, so the nearest well-known value at or above the TTL is
/// the likely start and the difference the routers crossed.
public struct TTLEstimate: Codable, Sendable, Hashable {
  public var ttl: UInt8
  /// The likely initial TTL: 64, 128 or 255.
  public var initialTTL: Int
  /// Routers the packet likely crossed: initial TTL − TTL.
  public var routersCrossed: Int

  public init(ttl: UInt8) {
    self.ttl = ttl
    initialTTL = [64, 128, 255].first { Int(ttl) <= $0 } ?? 255
    routersCrossed = initialTTL - Int(ttl)
  }
}

/// Whether a packet (typically an RST) came from a device in the path rather than from the destination, judged by its
/// TTL against the path's length or against a packet the destination itself sent.
public struct TTLJudgement: Codable, Sendable, Hashable {
  public var estimate: TTLEstimate
  /// Routers between us and the destination, as far as known: from the path length (exact or a lower bound) or from
  /// a reference packet of the destination.
  public var expectedRoutersCrossed: Int?
  /// True when the TTL says the sender is nearer than the destination: a device in the path answered in its name.
  public var fromDeviceInPath: Bool
  /// The reasoning in words, e.g. "TTL 64: 0 routers crossed, but the destination is at least 1 router away".
  public var reason: String

  /// Judges `ttl`.
  ///
  /// - Parameters:
  ///   - pathLength: hops to the destination as traceroute counts them (the destination is hop N, so N − 1
  ///     routers), exact or a lower bound (a routed destination is at least 2 hops, an on-link one 1).
  ///   - referenceTTL: the TTL of a packet the destination itself sent (its SYN-ACK, an echo reply), if one was seen.
  public init(ttl: UInt8, pathLength: Int?, referenceTTL: UInt8? = nil) {
    estimate = TTLEstimate(ttl: ttl)
    let crossed = estimate.routersCrossed
    let hops = crossed == 1 ? "1 router" : "\(crossed) routers"
    if let referenceTTL {
      let reference = TTLEstimate(ttl: referenceTTL)
      expectedRoutersCrossed = reference.routersCrossed
      if reference.initialTTL == estimate.initialTTL {
        fromDeviceInPath = crossed < reference.routersCrossed
        reason = fromDeviceInPath
          ? "TTL \(ttl) means \(hops) crossed, the destination's own packets cross \(reference.routersCrossed) (TTL \(referenceTTL))"
          : "TTL \(ttl) matches the destination's distance (its TTL \(referenceTTL))"
      } else {
        // A different starting TTL means another system sent it; where it sits cannot be told from the TTL alone.
        fromDeviceInPath = false
        reason = "TTL \(ttl) starts from \(estimate.initialTTL), the destination's packets from \(reference.initialTTL) (TTL \(referenceTTL)): another system sent it"
      }
      return
    }
    guard let pathLength, pathLength >= 1 else {
      expectedRoutersCrossed = nil
      fromDeviceInPath = false
      reason = "TTL \(ttl): \(hops) crossed (initial \(estimate.initialTTL)); the path length is unknown"
      return
    }
    let routers = pathLength - 1
    expectedRoutersCrossed = routers
    fromDeviceInPath = crossed < routers
    let expected = routers == 1 ? "1 router" : "\(routers) routers"
    reason = fromDeviceInPath
      ? "TTL \(ttl) means \(hops) crossed, but the destination is at least \(expected) away"
      : "TTL \(ttl): \(hops) crossed, consistent with the path"
  }
}
