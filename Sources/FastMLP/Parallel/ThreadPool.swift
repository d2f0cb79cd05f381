import CPUFeatures
import Dispatch
import Foundation
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed set of worker threads for the fork/join parallel regions of a training step.
///
/// `run(tasks:_:)` deals task indices 0..<tasks to the calling thread and the workers in
/// contiguous blocks through one atomic ticket per thread (a thread that finishes early steals
/// from the others): a region costs an atomic store per thread to open and one atomic add per
/// task, a worker that wakes late finds no task and costs nothing, and a thread tends to get the
/// same tiles — and so the same data in its cache — every step. Between regions workers spin briefly (a step's regions come microseconds apart),
/// then yield, then sleep on a condition variable: an idle pool uses no CPU, and an
/// oversubscribed one (more threads than cores) does not starve the threads doing work.
///
/// Which thread runs a task never changes a result: callers make each task write its own
/// outputs in a fixed order, and every thread runs a region's tasks in the calling thread's
/// floating-point mode (``FloatControl``). Regions do not nest, and `run` is called from one
/// thread at a time.
@_spi(Benchmarks)
public final class ThreadPool: @unchecked Sendable {  // its state is atomics and a lock-guarded sleep; see above
    /// How a region's tasks reach the threads.
    @_spi(Benchmarks)
    public enum Backend: String, Sendable, CaseIterable {
        /// The pool's own spinning workers, dealing blocks of tasks with stealing (the default).
        case workers
        /// `DispatchQueue.concurrentPerform` with one iteration per thread, each running a
        /// contiguous block of the tasks: kept to measure against (`fastmlp-benchmarks pool` and
        /// `epoch --backends`).
        case dispatch
    }

    /// The backend of pools created without one. Benchmarks set it once, before any trainer exists.
    @_spi(Benchmarks)
    nonisolated(unsafe) public static var defaultBackend = Backend.workers

    /// Threads that execute tasks, the caller included.
    public let threadCount: Int
    /// How this pool runs its regions.
    @_spi(Benchmarks) public let backend: Backend
    private let shared: Shared

    /// The most tasks one region may have.
    public static let maximumTasks = Shared.maximumTasks

    /// Starts `threadCount − 1` workers (the caller is the remaining one).
    public convenience init(threadCount: Int) {
        self.init(threadCount: threadCount, backend: ThreadPool.defaultBackend)
    }

    /// A pool of `threadCount` threads on the given backend (Dispatch starts no workers of ours).
    @_spi(Benchmarks)
    public init(threadCount: Int, backend: Backend) {
        precondition(threadCount >= 1, "ThreadPool needs at least one thread")
        self.threadCount = threadCount
        self.backend = backend
        shared = Shared(threadCount: threadCount)
        for worker in 1..<threadCount where backend == .workers {
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
        switch backend {
        case .workers:
            withoutActuallyEscaping(body) { body in shared.run(tasks: tasks, .closure(body)) }
        case .dispatch:
            let threads = min(threadCount, tasks)
            let mode = FloatControl.mode
            withoutActuallyEscaping(body) { body in
                let job = DispatchJob(body: body)
                DispatchQueue.concurrentPerform(iterations: threads) { worker in
                    FloatControl.with(mode: mode) {
                        for task in tasks * worker / threads..<tasks * (worker + 1) / threads { job.body(task, worker) }
                    }
                }
            }
        }
    }

    /// Runs `job` for every task in 0..<tasks, as ``run(tasks:_:)`` does, without allocating.
    /// With `firstShare`, the calling thread's block is the first `firstShare` tasks and the
    /// other threads share the rest (a caller whose tasks belong with data one thread holds).
    func run(tasks: Int, job: some RegionJob, firstShare: Int? = nil) {
        guard tasks > 0 else { return }
        precondition(tasks <= Shared.maximumTasks, "ThreadPool.run: too many tasks in one region")
        precondition(firstShare.map { (0...tasks).contains($0) } ?? true, "ThreadPool.run: share out of range")
        guard threadCount > 1, tasks > 1 else {
            for task in 0..<tasks { job.run(task: task, worker: 0) }
            return
        }
        switch backend {
        case .workers:
            shared.run(tasks: tasks, .object(job), firstShare: firstShare)
        case .dispatch:
            let threads = min(threadCount, tasks)
            let job = DispatchJob { job.run(task: $0, worker: $1) }
            let mode = FloatControl.mode
            DispatchQueue.concurrentPerform(iterations: threads) { worker in
                let start = laneStart(worker, of: threads, tasks: tasks, firstShare: firstShare)
                let end = laneStart(worker + 1, of: threads, tasks: tasks, firstShare: firstShare)
                FloatControl.with(mode: mode) {
                    for task in start..<end { job.body(task, worker) }
                }
            }
        }
    }
}

/// The first task of thread `index`'s block of `tasks` dealt to `count` threads: even shares, or
/// with `firstShare`, thread 0 takes that many and the others share the rest evenly.
func laneStart(_ index: Int, of count: Int, tasks: Int, firstShare: Int?) -> Int {
    guard let first = firstShare, count > 1 else { return tasks * index / count }
    return index == 0 ? 0 : first + (tasks - first) * (index - 1) / (count - 1)
}

/// A region's tasks as an object, for a caller that runs a region many times (the training
/// step): handing the pool an object allocates nothing, where a closure that does not escape
/// costs a small allocation per region to be passed to the workers.
protocol RegionJob: AnyObject {
    /// Runs task `task` on thread `worker` (0..<threadCount, 0 is the caller).
    func run(task: Int, worker: Int)
}

/// A region's body handed to Dispatch. Unchecked: `concurrentPerform` returns only after every
/// iteration has, and the body's tasks write disjoint outputs (the pool's contract).
private struct DispatchJob: @unchecked Sendable {
    let body: (_ task: Int, _ worker: Int) -> Void
}

/// One thread's share of a region's tasks: a ticket holding generation (24 bits) | end (20 bits) |
/// next task (20 bits), alone on its cache lines so that claims on different lanes do not contend.
private final class Lane: @unchecked Sendable {  // one atomic, padded
    private let padBefore: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0)
    let ticket = Atomic<UInt64>(0)
    private let padAfter: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0, 0, 0, 0, 0)
}

/// The state the caller and the workers share; workers keep it alive until they have exited.
///
/// A region's tasks are dealt out in contiguous blocks, one per thread ("lane"), so that from
/// one step to the next a thread tends to get the same tiles and finds their data in its own
/// cache; a thread that finishes its block steals from the others' lanes.
private final class Shared: @unchecked Sendable {  // lanes are atomics; the job is read only inside a region
    static let endShift: UInt64 = 20
    static let generationShift: UInt64 = 40
    static let fieldMask: UInt64 = (1 << 20) - 1
    /// The next-task field must not overflow into the end, even after every thread's last claim.
    static let maximumTasks = 1 << 19
    /// Polls before a waiting thread starts yielding, and before a worker sleeps.
    static let spinPolls = 2_000
    static let yieldPolls = 20_000

    static func idle(_ task: Int, _ worker: Int) {}

    let lanes: [Lane]
    /// The generation of the newest region, for waiting workers to watch.
    let announced = Atomic<UInt64>(0)
    let completed = Atomic<Int>(0)
    let sleeping = Atomic<Int>(0)
    let stopping = Atomic<Bool>(false)
    let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    /// Only the caller touches this.
    var generation: UInt64 = 0
    /// Written before the lane stores that open a region (release); read by a thread after the
    /// lane add that claimed one of its tasks (acquire). A claimed task below its lane's end
    /// proves the region is still open (the caller waits for every task), so this is its job.
    var job = Job.closure(Shared.idle)
    /// The caller's floating-point mode, published with the job; workers run its tasks in it.
    var mode: UInt32 = 0

    init(threadCount: Int) {
        lanes = (0..<threadCount).map { _ in Lane() }
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
    }

    deinit {
        pthread_cond_destroy(condition)
        pthread_mutex_destroy(mutex)
        condition.deallocate()
        mutex.deallocate()
    }

    /// Opens a region: a new generation (never 0, the workers' initial "seen"), its tasks dealt
    /// to the lanes in contiguous blocks.
    private func publish(tasks: Int, firstShare: Int?) {
        generation = generation % ((1 << 24) - 1) + 1
        let count = lanes.count
        for (index, lane) in lanes.enumerated() {
            let start = UInt64(laneStart(index, of: count, tasks: tasks, firstShare: firstShare))
            let end = UInt64(laneStart(index + 1, of: count, tasks: tasks, firstShare: firstShare))
            lane.ticket.store(generation << Self.generationShift | end << Self.endShift | start, ordering: .releasing)
        }
        announced.store(generation, ordering: .sequentiallyConsistent)
        if sleeping.load(ordering: .sequentiallyConsistent) > 0 {
            pthread_mutex_lock(mutex)
            pthread_cond_broadcast(condition)
            pthread_mutex_unlock(mutex)
        }
    }

    /// Claims the next task of `lane`, if it has one left.
    @inline(__always)
    private func claim(_ lane: Lane) -> Int? {
        let ticket = lane.ticket.wrappingAdd(1, ordering: .acquiringAndReleasing).oldValue
        let next = Int(ticket & Self.fieldMask), end = Int((ticket >> Self.endShift) & Self.fieldMask)
        return next < end ? next : nil
    }

    /// Runs tasks from this thread's own lane, then from the others'; returns how many it ran.
    private func work(_ worker: Int, _ run: (Int) -> Void) -> Int {
        var done = 0
        for offset in 0..<lanes.count {
            let lane = lanes[(worker + offset) % lanes.count]
            while let task = claim(lane) {
                run(task)
                done += 1
            }
        }
        return done
    }

    /// A region's work: a closure, or an object that runs tasks.
    enum Job {
        case closure((_ task: Int, _ worker: Int) -> Void)
        case object(any RegionJob)

        @inline(__always) func callAsFunction(_ task: Int, _ worker: Int) {
            switch self {
            case .closure(let body): body(task, worker)
            case .object(let job): job.run(task: task, worker: worker)
            }
        }
    }

    func run(tasks: Int, _ body: Job, firstShare: Int? = nil) {
        job = body
        mode = FloatControl.mode
        completed.store(0, ordering: .relaxed)
        publish(tasks: tasks, firstShare: firstShare)
        let done = work(0) { body($0, 0) }
        completed.add(done, ordering: .relaxed)
        var polls = 0
        while completed.load(ordering: .acquiring) < tasks {
            polls += 1
            if polls < Self.spinPolls { fastmlp_spin_pause() } else { sched_yield() }
        }
        job = .closure(Shared.idle)
    }

    /// Tells every worker to exit at its next wake-up.
    func stop() {
        stopping.store(true, ordering: .sequentiallyConsistent)
        publish(tasks: 0, firstShare: nil)
    }

    /// Calls the open region's job. Not inlined, so that the worker's reference to the closure
    /// is released before the task is counted complete (the caller then ends the closure's life).
    @inline(never)
    private func runJob(task: Int, worker: Int) {
        job(task, worker)
    }

    func workerLoop(_ worker: Int) {
        var seen: UInt64 = 0
        var workerMode = FloatControl.mode
        while true {
            var polls = 0
            var current = announced.load(ordering: .acquiring)
            while current == seen {
                polls += 1
                if polls < Self.spinPolls {
                    fastmlp_spin_pause()
                } else if polls < Self.yieldPolls {
                    sched_yield()
                } else {
                    pthread_mutex_lock(mutex)
                    sleeping.add(1, ordering: .sequentiallyConsistent)
                    while announced.load(ordering: .sequentiallyConsistent) == seen {
                        pthread_cond_wait(condition, mutex)
                    }
                    sleeping.subtract(1, ordering: .sequentiallyConsistent)
                    pthread_mutex_unlock(mutex)
                    polls = 0
                }
                current = announced.load(ordering: .acquiring)
            }
            if stopping.load(ordering: .acquiring) { return }
            _ = work(worker) { task in
                // Read after the claim, as the job is: a claimed task proves this region's mode.
                if mode != workerMode {
                    workerMode = mode
                    FloatControl.mode = workerMode
                }
                runJob(task: task, worker: worker)
                completed.add(1, ordering: .releasing)
            }
            seen = current
        }
    }
}

/// Calls `body` on consecutive ranges covering 0..<count: one range without a pool or for small
/// counts, otherwise a few ranges per thread, split at multiples of `alignment` elements.
func forEachChunk(
    count: Int, pool: ThreadPool?, minimumChunk: Int = 16_384, alignment: Int = 64, _ body: (Range<Int>) -> Void
) {
    guard let pool, pool.threadCount > 1, count >= 2 * minimumChunk else {
        body(0..<count)
        return
    }
    let chunks = min(pool.threadCount * 2, count / minimumChunk)
    let size = roundUp(ceilDivide(count, chunks), to: alignment)
    pool.run(tasks: ceilDivide(count, size)) { task, _ in
        body(task * size..<min(count, (task + 1) * size))
    }
}
