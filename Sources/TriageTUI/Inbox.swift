import Synchronization
import NetProbe
import Triage

/// News for the UI thread from the engine's tasks and signal handlers. Posting wakes the UI thread's poll through
/// the wake pipe; snapshots of one run are coalesced (the screen only needs the latest).
final class Inbox: @unchecked Sendable {
  enum Item: Sendable {
    /// A snapshot of run number `generation`.
    case snapshot(generation: Int, RunSnapshot)
    /// A result of loop number `generation`.
    case loopResult(generation: Int, ProbeResult)
    case loopFailed(generation: Int, String)
    /// SIGINT, SIGTERM or SIGHUP arrived.
    case terminate(Int32)
  }

  private let items = Mutex<[Item]>([])
  private let pipe: WakePipe

  init(pipe: WakePipe) {
    self.pipe = pipe
  }

  func post(_ item: Item) {
    let wasEmpty = items.withLock { items in
      let wasEmpty = items.isEmpty
      if case .snapshot(let generation, _) = item,
         let index = items.lastIndex(where: { if case .snapshot(generation, _) = $0 { return true } else { return false } }) {
        items[index] = item
      } else {
        items.append(item)
      }
      return wasEmpty
    }
    if wasEmpty { pipe.wake() }
  }

  /// Everything posted so far, oldest first.
  func take() -> [Item] {
    pipe.drain()
    return items.withLock { items in
      let taken = items
      items = []
      return taken
    }
  }
}

/// A flag one task sets and another reads.
final class DoneFlag: @unchecked Sendable {
  private let done = Atomic<Bool>(false)

  var isSet: Bool { done.load(ordering: .acquiring) }

  func set() { done.store(true, ordering: .releasing) }
}
