/// Training throughput as the benchmarks measure it: epochs timed one by one after warm-up
/// epochs, their median, what the trainer did on the timed steps, and the FLOP rates that follow.
/// Used by `fastmlp bench` and `fastmlp-benchmarks epoch`, so that both count the same way.
@_spi(Benchmarks)
public struct EpochTiming: Sendable {
    /// Seconds of each timed epoch (training only).
    public var seconds: [Double] = []
    /// Steps in the timed epochs.
    public var steps = 0
    /// Of ``steps``, those the trainer ran on one thread because that measured faster.
    public var stepsOnOneThread = 0
    /// Of ``steps``, those whose first layer skipped zero inputs.
    public var stepsSkippingZeroInputs = 0

    /// Trains `warmUp` epochs untimed, then `epochs` timed ones; `progress` gets the epoch
    /// (counting the warm-up ones), the samples done and the epoch's size.
    public static func measure(
        _ trainer: Trainer, on data: Dataset, warmUp: Int, epochs: Int,
        progress: ((_ epoch: Int, _ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> EpochTiming {
        var timing = EpochTiming()
        for epoch in 1...(warmUp + epochs) {
            let before = (trainer.completedSteps, trainer.stepsOnOneThread, trainer.stepsSkippingZeroInputs)
            let started = ContinuousClock.now
            _ = try trainer.trainEpoch(on: data) { done, total in progress?(epoch, done, total) }
            let elapsed = started.duration(to: .now)
            guard epoch > warmUp else { continue }
            timing.seconds.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
            timing.steps += trainer.completedSteps - before.0
            timing.stepsOnOneThread += trainer.stepsOnOneThread - before.1
            timing.stepsSkippingZeroInputs += trainer.stepsSkippingZeroInputs - before.2
        }
        return timing
    }

    /// The median of the timed epochs.
    public var medianSeconds: Double { Self.median(seconds) }

    /// The share of the timed steps whose first layer skipped zero inputs.
    public var skippingShare: Double { Double(stepsSkippingZeroInputs) / Double(max(steps, 1)) }

    /// The share of the timed steps that ran on one thread.
    public var oneThreadShare: Double { Double(stepsOnOneThread) / Double(max(steps, 1)) }

    /// GFLOP/s of the work done in the median epoch over `samples` samples of inputs of density
    /// `inputDensity`: a skipped zero input's products are not counted. `denseEquivalent` counts
    /// the dense path's FLOPs over the same time instead (it can pass the peak).
    public func gflops(_ architecture: Architecture, samples: Int, inputDensity: Double) -> (done: Double, denseEquivalent: Double) {
        let dense = architecture.trainingFLOPsPerSample * Double(samples)
        let skipped = skippingShare * (1 - inputDensity) * architecture.firstLayerInputFLOPsPerSample * Double(samples)
        return ((dense - skipped) / medianSeconds / 1e9, dense / medianSeconds / 1e9)
    }

    /// The median (the mean of the two middle values of an even count); NaN for none.
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return (sorted[sorted.count / 2] + sorted[(sorted.count - 1) / 2]) / 2
    }
}
