import Testing
#if canImport(Glibc)
import Glibc
#endif
@testable import NetProbe

/// Every blocking job in flight gets a thread at once (Dispatch's pool on Linux would make the third or fourth wait
/// for about a second), and finished threads are reused.
@Suite struct BlockingThreadsTests {
  /// A countdown every job waits on until all of them have started: it only completes if they all run at once.
  final class Barrier: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var condition = pthread_cond_t()
    private var arrived = 0
    let parties: Int

    init(parties: Int) {
      self.parties = parties
      pthread_mutex_init(&mutex, nil)
      pthread_cond_init(&condition, nil)
    }

    /// True when every party arrived before the (generous) deadline.
    func arriveAndWait(seconds: Int) -> Bool {
      pthread_mutex_lock(&mutex)
      defer { pthread_mutex_unlock(&mutex) }
      arrived += 1
      pthread_cond_broadcast(&condition)
      var deadline = timespec()
      clock_gettime(CLOCK_REALTIME, &deadline)
      deadline.tv_sec += seconds
      while arrived < parties {
        if pthread_cond_timedwait(&condition, &mutex, &deadline) == ETIMEDOUT { return arrived >= parties }
      }
      return true
    }
  }

  @Test func manyBlockingJobsRunAtOnce() async {
    let parties = 24
    let barrier = Barrier(parties: parties)
    let results = await withTaskGroup(of: Bool.self) { group in
      for _ in 0..<parties {
        group.addTask {
          await withCheckedContinuation { continuation in
            BlockingThreads.shared.run { continuation.resume(returning: barrier.arriveAndWait(seconds: 20)) }
          }
        }
      }
      var all: [Bool] = []
      for await result in group { all.append(result) }
      return all
    }
    #expect(results.count == parties && results.allSatisfy { $0 })
  }

  @Test func finishedThreadsWaitForTheNextJob() async throws {
    for _ in 0..<3 {
      await withCheckedContinuation { continuation in BlockingThreads.shared.run { continuation.resume() } }
    }
    // The thread that ran them is idle now, not gone: the next job does not pay for a new thread.
    var counts = BlockingThreads.shared.counts
    for _ in 0..<100 where counts.idle == 0 {
      try await Task.sleep(for: .milliseconds(10))
      counts = BlockingThreads.shared.counts
    }
    #expect(counts.idle >= 1 && counts.threads >= counts.idle)
  }
}
