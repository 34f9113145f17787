import CNetProbe
#if canImport(Glibc)
import Glibc
#endif

/// Waits on many sockets at once: a trace has one socket per probe in flight.
///
/// The one libc call of the trace code outside `System/` (`Socket.wait` polls a single descriptor).
enum DescriptorPoll {
  enum Outcome: Equatable {
    /// The returned events of each descriptor, in the order given (0 when not ready).
    case ready([Int16])
    case deadline
    case cancelled
    case failed(Errno)
  }

  /// Looks once without waiting: the returned events of each descriptor (0 when not ready). The corresponding C
  /// function is `poll(2)`.
  static func check(_ descriptors: [Int32], for events: Int16) -> [Int16] {
    guard !descriptors.isEmpty else { return [] }
    var fds = descriptors.map { pollfd(fd: $0, events: events, revents: 0) }
    while true {
      let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 0) }
      if ready < 0 && errno == EINTR { continue }
      return ready > 0 ? fds.map(\.revents) : Array(repeating: 0, count: descriptors.count)
    }
  }

  /// Waits until one of `descriptors` is ready for `events`, the deadline passes, or `cancellation` fires.
  /// The corresponding C function is `poll(2)`.
  static func wait(_ descriptors: [Int32], for events: Int16, until deadline: ContinuousClock.Instant,
                   cancellation: CancellationSignal?) -> Outcome {
    while true {
      let remaining = deadline - .now
      if remaining <= .zero { return .deadline }
      var fds = descriptors.map { pollfd(fd: $0, events: events, revents: 0) }
      if let cancellation { fds.append(pollfd(fd: cancellation.descriptor, events: Int16(POLLIN), revents: 0)) }
      // Round up to whole milliseconds, as Socket.wait does: waking early would only loop.
      let (seconds, attoseconds) = remaining.components
      let milliseconds = min(Int64(Int32.max), seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
      let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), Int32(milliseconds)) }
      if ready < 0 {
        if errno == EINTR { continue }
        return .failed(Errno.current)
      }
      if ready == 0 { continue }  // re-check the deadline: poll may wake a little early
      if cancellation != nil, fds[descriptors.count].revents != 0 { return .cancelled }
      return .ready(fds.prefix(descriptors.count).map(\.revents))
    }
  }
}
