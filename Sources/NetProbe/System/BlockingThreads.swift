#if canImport(Glibc)
import Glibc
#endif

/// Threads for blocking system calls (a connect's wait, poll, getaddrinfo): every job in flight gets a thread of
/// its own at once; a thread that finishes waits for the next job, and one idle for `idleLifetime` ends.
///
/// Dispatch's global queues cannot carry this on Linux: their pool starts with about one thread per core and grows
/// only when a monitor notices that the threads are blocked, so the third or fourth blocking wait on this 2-core
/// machine starts up to a second late (measured: four 500 ms sleeps put on `DispatchQueue.global()` at once end at
/// 0.50, 0.50, 0.51 and 1.00 s). A checklist run has a dozen such waits at once (getaddrinfo, a DNS query per
/// server and type, pings, neighbour checks, the connect), and every one of them delayed the verdict.
public final class BlockingThreads: @unchecked Sendable {
  public static let shared = BlockingThreads()

  /// How long an idle thread waits for another job before it ends.
  public static let idleLifetime: Int = 10
  /// At most this many threads; beyond it jobs queue until one is free.
  public static let maximumThreads = 512

  private var mutex = pthread_mutex_t()
  private var wakeUp = pthread_cond_t()
  private var jobs: [() -> Void] = []
  private var nextJob = 0
  private var idle = 0
  private var threads = 0

  init() {
    pthread_mutex_init(&mutex, nil)
    var attributes = pthread_condattr_t()
    pthread_condattr_init(&attributes)
    pthread_condattr_setclock(&attributes, CLOCK_MONOTONIC)
    pthread_cond_init(&wakeUp, &attributes)
    pthread_condattr_destroy(&attributes)
  }

  /// Runs `job` on a thread of the pool: an idle one, else a new one.
  public func run(_ job: @escaping @Sendable () -> Void) {
    pthread_mutex_lock(&mutex)
    jobs.append(job)
    let waiting = jobs.count - nextJob
    let spawn = idle < waiting && threads < Self.maximumThreads
    if spawn { threads += 1 } else if idle > 0 { pthread_cond_signal(&wakeUp) }
    pthread_mutex_unlock(&mutex)
    if spawn && !startThread() {
      // No thread could be made: run it here rather than never (the caller waits for it either way).
      pthread_mutex_lock(&mutex)
      threads -= 1
      let orphan = takeJob()
      pthread_mutex_unlock(&mutex)
      orphan?()
    }
  }

  /// Runs `body` on a thread of the pool and returns what it returns (or throws what it throws): a blocking call
  /// (a netlink or sock_diag dump, a /proc read) made from async code without holding a cooperative-pool thread, nor
  /// the actor the caller runs on, while the kernel answers.
  public func value<T: Sendable, Failure: Error>(_ body: @escaping @Sendable () throws(Failure) -> T) async throws(Failure) -> T {
    let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, Failure>, Never>) in
      run { continuation.resume(returning: Result(catching: body)) }
    }
    return try result.get()
  }

  /// Threads alive and idle now (for tests).
  public var counts: (threads: Int, idle: Int) {
    pthread_mutex_lock(&mutex)
    defer { pthread_mutex_unlock(&mutex) }
    return (threads, idle)
  }

  private func startThread() -> Bool {
    DetachedThread.start { [self] in work() }
  }

  /// Called with the mutex held.
  private func takeJob() -> (() -> Void)? {
    guard nextJob < jobs.count else { return nil }
    let job = jobs[nextJob]
    nextJob += 1
    if nextJob == jobs.count {
      jobs.removeAll(keepingCapacity: true)
      nextJob = 0
    }
    return job
  }

  private func work() {
    pthread_mutex_lock(&mutex)
    while true {
      if let job = takeJob() {
        pthread_mutex_unlock(&mutex)
        job()
        pthread_mutex_lock(&mutex)
        continue
      }
      var deadline = timespec()
      clock_gettime(CLOCK_MONOTONIC, &deadline)
      deadline.tv_sec += Self.idleLifetime
      idle += 1
      var timedOut = false
      while nextJob >= jobs.count && !timedOut {
        timedOut = pthread_cond_timedwait(&wakeUp, &mutex, &deadline) == ETIMEDOUT
      }
      idle -= 1
      if nextJob >= jobs.count {
        threads -= 1
        pthread_mutex_unlock(&mutex)
        return
      }
    }
  }
}
