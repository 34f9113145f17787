import Dispatch
import NetProbe
#if canImport(Glibc)
import Glibc
#endif

/// The repeat loop for probes whose results are not `ProbeResult` (ICMP echo): warm-up probes first (shown, not
/// counted), then `count` probes `interval` apart (0 = until Ctrl-C), each handed to `onEvent` as it ends.
/// Ctrl-C (or SIGTERM) stops the loop so the summary of what completed can print; a second Ctrl-C leaves at once.
///
/// `probe` gets the probe's number (from 1, warm-ups included); a result for which `isCancelled` is true ends the
/// loop without being reported or counted.
func repeatWithInterrupt<Result: Sendable>(
  _ runner: RepeatRunner,
  probe: @escaping @Sendable (Int) async -> Result,
  isCancelled: @escaping @Sendable (Result) -> Bool,
  onEvent: @escaping @Sendable (_ sequence: Int, _ isWarmup: Bool, Result) -> Void
) async -> [Result] {
  let task = Task { await runner.run(probe, isCancelled: isCancelled, onEvent: onEvent) }
  return await withInterrupt(cancelling: task)
}
