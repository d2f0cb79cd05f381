import Synchronization

/// Hogwild training: the one place in the engine where threads write shared memory without any
/// synchronisation, by design.
///
/// An epoch's shuffled order is cut into one contiguous slice per thread (the epoch is still
/// every sample once). Each thread runs plain minibatch SGD on its slice through its own
/// ``TrainingStep`` (its own activations, gradients and optimiser state, no pool), whose updates
/// go straight into the network's shared parameters while the other threads read and write them.
/// Steps are numbered in the order the threads start them, and each takes the schedule's rate for
/// its number. Updates can interleave and occasionally be lost; with small steps the effect on
/// convergence is small, and without barriers each thread runs at single-thread speed.
///
/// Why this is acceptable here: every parameter is an aligned 32-bit float, whose loads and
/// stores are single, untearable accesses on x86-64 and arm64, so a thread reads each weight as
/// it was before or after another thread's update, never a mixture; a lost update is the only
/// effect, and that is the algorithm. Swift's strict concurrency cannot express this: the sharing
/// happens through the raw parameter pointer of the network, and this type is the only one that
/// runs steps on one network from several threads at once. The thread sanitizer reports it, and
/// Hogwild runs are excluded from sanitizer runs. Results differ from run to run.
final class HogwildSchedule {
    let network: Network
    let configuration: TrainingConfiguration
    /// Each thread's own step: its activations, gradients and optimiser state, run without a pool.
    private let steps: [TrainingStep]
    /// Each thread's optimiser, for checkpoints.
    var optimizers: [Optimizer] { steps.map { $0.optimizer! } }
    /// Steps, over all the threads, whose first layer skipped zero inputs.
    var stepsSkippingZeroInputs: Int { steps.reduce(0) { $0 + $1.stepsSkippingZeroInputs } }
    /// Called with the sample indices of every batch a thread trains on (tests use it to check
    /// that an epoch visits every sample once). Must be safe to call from any thread.
    var onBatch: ((_ slice: Int, _ indices: UnsafeBufferPointer<Int32>) -> Void)?

    init(network: Network, configuration: TrainingConfiguration, threads: Int) {
        self.network = network
        self.configuration = configuration
        steps = (0..<threads).map { _ in
            TrainingStep(
                network: network, loss: configuration.loss,
                optimizer: Optimizer(
                    configuration: configuration.optimizer,
                    parameterCount: network.architecture.parameterCount),
                capacity: configuration.batchSize)
        }
        for step in steps { step.skipsZeroInputs = configuration.skipsZeroInputs }
    }

    /// The slices of an epoch of `count` samples: `slices` contiguous, nearly equal ranges that
    /// cover 0..<count exactly once.
    static func slices(count: Int, slices: Int) -> [Range<Int>] {
        (0..<slices).map { count * $0 / slices..<count * ($0 + 1) / slices }
    }

    /// Trains one epoch in the given order on `pool`; returns how many steps the threads took and
    /// the summed loss, or throws ``TrainingError/diverged(epoch:step:loss:)`` if any thread saw a
    /// non-finite loss.
    ///
    /// Steps are numbered from `firstStep` in the order the threads start them (one shared
    /// counter), and each takes `learningRate(step)`: the schedule advances step by step, as in
    /// synchronous training. `shouldStop` is polled by every thread after each of its steps.
    func trainEpoch(
        on data: Dataset, order: [Int32], epoch: Int, firstStep: Int, pool: ThreadPool,
        learningRate: (_ step: Int) -> Float, shouldStop: (@Sendable () -> Bool)? = nil,
        progress: ((_ done: Int, _ total: Int) -> Void)?
    ) throws(TrainingError) -> (count: Int, loss: Double) {
        let slices = Self.slices(count: data.count, slices: steps.count)
        let done = Atomic<Int>(0)
        let started = Atomic<Int>(0)
        var losses = [Double](repeating: 0, count: steps.count)
        var diverged = [Double?](repeating: nil, count: steps.count)
        order.withUnsafeBufferPointer { order in
            losses.withUnsafeMutableBufferPointer { losses in
                diverged.withUnsafeMutableBufferPointer { diverged in
                    pool.run(tasks: steps.count) { slice, thread in
                        let result = runSlice(
                            slice, range: slices[slice], order: order, data: data, epoch: epoch,
                            nextStep: { firstStep + started.add(1, ordering: .relaxed).oldValue },
                            learningRate: learningRate, stop: shouldStop, done: done,
                            progress: thread == 0 ? progress : nil)
                        losses[slice] = result.loss
                        diverged[slice] = result.divergedLoss
                    }
                }
            }
        }
        if let loss = diverged.compactMap({ $0 }).first {
            throw .diverged(epoch: epoch, step: 0, loss: loss)
        }
        return (started.load(ordering: .relaxed), losses.reduce(0, +))
    }

    /// One thread's slice: minibatch SGD on the shared parameters, through the thread's own
    /// ``TrainingStep``, whose updates go straight into the network's parameters (see above).
    private func runSlice(
        _ slice: Int, range: Range<Int>, order: UnsafeBufferPointer<Int32>, data: Dataset, epoch: Int,
        nextStep: () -> Int, learningRate: (Int) -> Float, stop: (() -> Bool)?, done: borrowing Atomic<Int>,
        progress: ((Int, Int) -> Void)?
    ) -> (loss: Double, divergedLoss: Double?) {
        let step = steps[slice]
        var total: Double = 0
        var start = range.lowerBound
        var localStep = 0
        while start < range.upperBound, stop?() != true {
            let rows = min(configuration.batchSize, range.upperBound - start)
            let indices = UnsafeBufferPointer(rebasing: order[start..<start + rows])
            let next = UnsafeBufferPointer(rebasing: order[start + rows..<min(range.upperBound, start + rows + rows)])
            // Each thread's steps get their own masks: the epoch, the slice and the local step.
            let dropout = configuration.dropout > 0
                ? Dropout(rate: configuration.dropout, runSeed: configuration.seed, step: epoch << 40 | slice << 24 | localStep)
                : nil
            localStep += 1
            onBatch?(slice, indices)
            let batchLoss = step.run(
                on: data, indices: indices, next: next, learningRate: learningRate(nextStep()), dropout: dropout)
            guard batchLoss.isFinite else { return (total, batchLoss / Double(rows)) }
            total += batchLoss
            start += rows
            let finished = done.add(rows, ordering: .relaxed).newValue
            progress?(finished, data.count)
        }
        return (total, nil)
    }
}
