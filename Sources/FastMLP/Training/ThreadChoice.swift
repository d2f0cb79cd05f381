/// Decides, from timings, whether synchronous steps run on all of a trainer's threads or on the
/// calling thread alone.
///
/// Both give bitwise the same results: a step's tiles and summation orders do not depend on the
/// thread count. Which is faster depends on the step's size and on the machine. Every
/// data-parallel step moves the weights each thread updated to the other threads' caches; on a
/// VM whose two cores sometimes sit on different dies, that traffic can cost more than the second
/// core saves for a small network (`mlp-128` then takes 0.137 s/epoch on two threads against
/// 0.13 s on one), while a large one still gains.
///
/// So the trainer times a window of steps each way and keeps the one whose median step is
/// faster (one slow step — an interrupt, a page fault — does not decide). The window is taken in
/// interleaved blocks — a few steps on all threads, as many on one, and again — so that a spell
/// of a busy machine (a few milliseconds of a neighbour's load) slows both ways' steps rather than
/// one way's whole window: with one window after the other, such a spell during the threads'
/// window made the trainer run most of a run's steps on one thread (`fastmlp bench --profile
/// mlp-128 --modes sync`, family 25: 2 runs in 10 with 55 % and 77 % of the two-thread row's steps
/// on one thread, one of them slower than the one-thread row). It measures again when
/// the chosen way's steps slow down by a quarter against its window (the machine changed), and
/// every `recheckSteps` steps in any case (a serial run cannot see the cores come closer). After
/// choosing one thread it measures again sooner, after 64 steps and then twice as many each
/// time up to `recheckSteps`: at the start of a run the second thread often shares the first
/// one's core for a few milliseconds until the kernel moves it, and the first probe then sees no
/// gain (`speedrun`, 3 epochs of batch 128 on two threads with the cores near: one run in two
/// took its first 1,024 steps on one thread, 0.34 s instead of 0.23). The probes cost one serial
/// window per recheck: about 1 % of an epoch for the shipped profiles.
///
/// While one thread is chosen, a probe ends after its first block on all threads when both of
/// that block's timed steps are slower than the one-thread steps have lately been (by
/// ``abortMargin``): the cores are still far apart, and the rest of the window would only spend
/// more slow steps finding it out. With the cores far and whole probes every 64 to 1,024 steps,
/// a two-thread `fastmlp bench --profile mlp-128 --modes sync` row ran 97 % of its steps on one
/// thread and still came out 1–5 % slower than the one-thread row in 3 runs of 4 (family 25).
struct ThreadChoice {
    /// Steps timed each way per probe, in blocks of `blockSteps`, each block after `warmupSteps`
    /// untimed ones (the first steps after a switch find the other core's weights in the wrong
    /// cache); the blocks alternate between the ways, all threads first.
    static let windowSteps = 6
    static let warmupSteps = 2
    static let blockSteps = 2
    /// Steps of one block, warm-up included, and of a whole probe.
    static let blockLength = warmupSteps + blockSteps
    static let probeLength = 2 * blockLength * windowSteps / blockSteps
    static let recheckSteps = 1024
    /// The first recheck after choosing one thread.
    static let firstSerialRecheck = 64
    /// How much slower than at the probe the chosen way's steps must run before probing again.
    static let slowdown = 1.25
    /// How much slower than the recent one-thread steps both timed steps of a probe's first
    /// all-threads block must be for a probe begun while one thread is chosen to stop there.
    static let abortMargin = 1.1

    private enum Phase {
        /// `step` counts the probe's steps from 0 to ``probeLength``.
        case probing(step: Int)
        case decided(stepsLeft: Int)
    }

    private var phase = Phase.probing(step: 0)
    /// The probe's step times each way, the first `windowSteps` lanes.
    private var parallelSteps = SIMD8<Double>()
    private var serialSteps = SIMD8<Double>()
    /// The chosen way's mean step time in its probe window, and a running mean since.
    private var reference = 0.0
    private var recent = 0.0
    /// Steps until the next probe after the next decision for one thread.
    private var serialRecheck = firstSerialRecheck
    /// Whether the probe under way began while one thread was chosen (whose recent mean step,
    /// ``recent``, a probe leaves as it was).
    private var probeFollowsSerial = false
    /// Whether the next step should run on all threads.
    private(set) var parallel = true
    /// Whether the next step is part of a probe rather than of a decision.
    var isProbing: Bool {
        if case .probing = phase { return true }
        return false
    }

    /// Whether step `step` of a probe runs on all threads: blocks alternate, all threads first.
    static func probeRunsParallel(_ step: Int) -> Bool { step / blockLength % 2 == 0 }

    /// Records the duration of the step just taken (run as ``parallel`` said).
    mutating func record(seconds: Double) {
        switch phase {
        case .probing(let step):
            let block = step / Self.blockLength, inBlock = step % Self.blockLength
            if inBlock >= Self.warmupSteps {
                // Timed step `lane` of its way: blocks 2b and 2b + 1 fill lanes b·blockSteps ….
                let lane = block / 2 * Self.blockSteps + inBlock - Self.warmupSteps
                if Self.probeRunsParallel(step) {
                    parallelSteps[lane] = seconds
                } else {
                    serialSteps[lane] = seconds
                }
            }
            if step + 1 == Self.blockLength, probeFollowsSerial,
                (0..<Self.blockSteps).allSatisfy({ parallelSteps[$0] > recent * Self.abortMargin })
            {
                // Still slower on all threads: stay on one, as if the whole window had said so.
                decideSerial()
            } else if step + 1 < Self.probeLength {
                phase = .probing(step: step + 1)
                parallel = Self.probeRunsParallel(step + 1)
            } else {
                let parallelMedian = Self.median(parallelSteps), serialMedian = Self.median(serialSteps)
                parallel = parallelMedian <= serialMedian
                reference = min(parallelMedian, serialMedian)
                recent = reference
                if parallel {
                    serialRecheck = Self.firstSerialRecheck
                    phase = .decided(stepsLeft: Self.recheckSteps)
                } else {
                    decideSerial()
                }
            }
        case .decided(let stepsLeft):
            // An exponential mean over about 32 steps, so that one slow step does not trigger a probe.
            recent += (seconds - recent) / 32
            if stepsLeft <= 1 || recent > reference * Self.slowdown {
                restart()
            } else {
                phase = .decided(stepsLeft: stepsLeft - 1)
            }
        }
    }

    /// Keeps one thread until the next recheck, which comes twice as late the next time.
    private mutating func decideSerial() {
        parallel = false
        phase = .decided(stepsLeft: serialRecheck)
        serialRecheck = min(Self.recheckSteps, 2 * serialRecheck)
    }

    /// Starts a new probe with the next step.
    mutating func restart() {
        probeFollowsSerial = !parallel
        phase = .probing(step: 0)
        parallel = true
        parallelSteps = SIMD8()
        serialSteps = SIMD8()
    }

    /// The median of the first `windowSteps` lanes.
    static func median(_ steps: SIMD8<Double>) -> Double {
        var sorted = steps
        for i in 1..<windowSteps {
            var j = i
            while j > 0 && sorted[j - 1] > sorted[j] {
                (sorted[j - 1], sorted[j]) = (sorted[j], sorted[j - 1])
                j -= 1
            }
        }
        let middle = windowSteps / 2
        return windowSteps % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }
}
