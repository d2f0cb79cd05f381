import CPUFeatures
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of worker threads for the fork/join parallel regions of a training step.
///
/// `run(tasks:_:)` hands out task indices 0..<tasks to the calling thread and the workers
/// through one atomic ticket holding the region's generation, its task count and the next task:
/// a region costs one atomic store to open and one atomic add per task, and a worker that wakes
/// late finds no task and costs nothing. A claimed task below the count proves its region is
/// still open (the caller waits for every task), so the job the worker then reads is that
/// region's. Between regions workers spin briefly (a step's regions come microseconds apart),
/// then yield, then sleep on a condition variable: an idle pool uses no CPU, and an
/// oversubscribed one (more threads than cores) does not starve the threads doing work.
///
/// Which thread runs a task never changes a result: callers make each task write its own
/// outputs in a fixed order. Regions do not nest, and `run` is called from one thread at a time.
public final class ThreadPool: @unchecked Sendable {
    /// Threads that execute tasks, the caller included.
    public let threadCount: Int
    private let shared: Shared

    /// The most tasks one region may have.
    public static let maximumTasks = Shared.maximumTasks

    /// Starts `threadCount − 1` workers (the caller is the remaining one).
    public init(threadCount: Int) {
        precondition(threadCount >= 1, "ThreadPool needs at least one thread")
        self.threadCount = threadCount
        shared = Shared()
        for worker in 1..<threadCount {
            let shared = self.shared
            let thread = Thread { shared.workerLoop(worker) }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    deinit { shared.stop() }

    /// Runs `body(task, worker)` for every task in 0..<tasks across the pool and returns when
    /// all have finished. `worker` (0..<threadCount, 0 is the caller) identifies the thread, for
    /// per-thread scratch memory.
    public func run(tasks: Int, _ body: (_ task: Int, _ worker: Int) -> Void) {
        guard tasks > 0 else { return }
        precondition(tasks <= Shared.maximumTasks, "ThreadPool.run: too many tasks in one region")
        guard threadCount > 1, tasks > 1 else {
            for task in 0..<tasks { body(task, 0) }
            return
        }
        withoutActuallyEscaping(body) { shared.run(tasks: tasks, $0) }
    }
}

/// The state the caller and the workers share; workers keep it alive until they have exited.
private final class Shared: @unchecked Sendable {
    /// Ticket layout: generation (24 bits) | task count (20 bits) | next task (20 bits).
    static let countShift: UInt64 = 20
    static let generationShift: UInt64 = 40
    static let fieldMask: UInt64 = (1 << 20) - 1
    /// The next-task field must not overflow into the count, even after every thread's last claim.
    static let maximumTasks = 1 << 19
    /// Polls of the ticket before a waiting thread starts yielding, and before a worker sleeps.
    static let spinPolls = 2_000
    static let yieldPolls = 20_000

    let ticket = Atomic<UInt64>(0)
    let completed = Atomic<Int>(0)
    let sleeping = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Only the caller touches this.
    var generation: UInt64 = 0
    /// Written before the ticket store that opens a region (release); read by a worker after the
    /// ticket add that claimed one of its tasks (acquire).
    var job: ((_ task: Int, _ worker: Int) -> Void)?

    init() {
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    static func decode(_ ticket: UInt64) -> (generation: UInt64, count: Int, next: Int) {
        (ticket >> generationShift, Int((ticket >> countShift) & fieldMask), Int(ticket & fieldMask))
    }

    /// Opens a region: a new generation (never 0, the workers' initial "seen") with `tasks` tasks.
    private func publish(tasks: Int) {
        generation = generation % ((1 << 24) - 1) + 1
        ticket.store(
            generation << Self.generationShift | UInt64(tasks) << Self.countShift, ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    func run(tasks: Int, _ body: @escaping (_ task: Int, _ worker: Int) -> Void) {
        job = body
        completed.store(0, ordering: .relaxed)
        publish(tasks: tasks)
        var done = 0
        while true {
            let task = Self.decode(ticket.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue).next
            guard task < tasks else { break }
            body(task, 0)
            done += 1
        }
        completed.add(done, ordering: .relaxed)
        var polls = 0
        while completed.load(ordering: .acquiring) < tasks {
            polls += 1
            if polls < Self.spinPolls { fastmlp_spin_pause() } else { sched_yield() }
        }
        job = nil
    }

    /// Tells every worker to exit at its next wake-up.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        publish(tasks: 0)
    }

    /// Calls the open region's job. Not inlined, so that the worker's reference to the closure
    /// is released before the task is counted complete (the caller then ends the closure's life).
    @inline(never)
    private func runJob(task: Int, worker: Int) {
        job?(task, worker)
    }

    func workerLoop(_ worker: Int) {
        var seen: UInt64 = 0
        while true {
            var polls = 0
            while Self.decode(ticket.load(ordering: .acquiring)).generation == seen {
                polls += 1
                if polls < Self.spinPolls {
                    fastmlp_spin_pause()
                } else if polls < Self.yieldPolls {
                    sched_yield()
                } else {
                    pthread_mutex_lock(mutex)
                    sleeping.add(1, ordering: .sequentiallyConsistent)
                    while Self.decode(ticket.load(ordering: .sequentiallyConsistent)).generation == seen {
                        pthread_cond_wait(condition, mutex)
                    }
                    sleeping.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    polls = 0
                }
            }
            if stopping.load(ordering: .acquiring) { return }
            while true {
                let claimed = Self.decode(ticket.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue)
                guard claimed.next < claimed.count else {
                    seen = claimed.generation
                    break
                }
                runJob(task: claimed.next, worker: worker)
                completed.add(1, ordering: .releasing)
            }
        }
    }
}

/// Calls `body` on consecutive ranges covering 0..<count: one range without a pool or for small
/// counts, otherwise a few ranges per thread, split at multiples of 64 elements.
func forEachChunk(count: Int, pool: ThreadPool?, minimumChunk: Int = 16_384, _ body: (Range<Int>) -> Void) {
    guard let pool, pool.threadCount > 1, count >= 2 * minimumChunk else {
        body(0..<count)
        return
    }
    let chunks = min(pool.threadCount * 2, count / minimumChunk)
    let size = roundUp(ceilDivide(count, chunks), to: 64)
    pool.run(tasks: ceilDivide(count, size)) { task, _ in
        body(task * size..<min(count, (task + 1) * size))
    }
}
