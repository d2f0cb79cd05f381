import Foundation
import Synchronization

/// Why training stopped with an error.
public enum TrainingError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The loss became NaN or infinite; the parameters of the failing step were not applied.
    case diverged(epoch: Int, step: Int, loss: Double)
    /// The run's `Task` was cancelled; the trainer stopped after a whole step, and its state
    /// (``Trainer/checkpoint()``) resumes exactly there.
    case interrupted(epoch: Int, samplesDone: Int)
    /// The data does not fit the network, or a resumed epoch does not fit the data (the
    /// ``ModelError`` says how).
    case model(ModelError)

    /// `error` as a training error: itself, or wrapped.
    init(_ error: any Error) {
        switch error {
        case let error as TrainingError: self = error
        case let error as ModelError: self = .model(error)
        default: self = .model(.incompatibleData(String(describing: error)))
        }
    }

    public var description: String {
        switch self {
        case .model(let error):
            return error.description
        case .interrupted(let epoch, let done):
            return "interrupted during epoch \(epoch) after \(done) samples"
        case .diverged(let epoch, let step, let loss):
            return "training diverged: loss is \(loss) at epoch \(epoch), step \(step); try a smaller learningRate, or standardised inputs"
        }
    }
}

/// Minibatch training of a ``Network`` with the configured optimiser, schedule and dropout.
///
/// Each epoch visits every sample once in an order drawn from the trainer's own generator
/// (seeded from the configuration), in batches of `batchSize`; the last, partial batch is
/// included and its loss is its own mean. All buffers are allocated here, none per step.
///
/// In ``ParallelMode/synchronous`` mode (the default) each step is data-parallel over the
/// trainer's threads: row tiles of the batch run the per-sample chain, then tiles of the weight
/// gradients are summed over the whole batch and updated (see `TrainingStep`). Each value is
/// computed by one thread in a fixed order, so the weights after any number of steps are bitwise
/// the same for every thread count. In ``ParallelMode/hogwild`` mode each thread trains its own
/// slice of the epoch on the shared weights without locks (`HogwildSchedule`); runs are not
/// reproducible.
public final class Trainer {
    /// The network being trained (updated in place).
    public let network: Network
    /// The run's settings.
    public let configuration: TrainingConfiguration
    /// The worker threads of this trainer (`configuration.threads`, default: online cores).
    @_spi(Benchmarks) public let pool: ThreadPool
    /// How many threads train (``TrainingConfiguration/threads``, default: one per online core).
    @_spi(Tools) public var threadCount: Int { pool.threadCount }
    /// The synchronous step (Hogwild threads have their own).
    let step: TrainingStep
    var optimizer: Optimizer { step.optimizer! }
    let hogwild: HogwildSchedule?
    private var shuffler: Xoshiro256StarStar
    /// This epoch's visiting order (a permutation of the sample indices).
    private(set) var order: [Int32] = []
    /// Epochs finished so far.
    public private(set) var completedEpochs = 0
    /// Optimiser steps taken so far over the whole run: the schedule's position.
    @_spi(Benchmarks) public private(set) var completedSteps = 0
    /// Samples already trained in the current, unfinished epoch (0 between epochs).
    @_spi(Tools) public private(set) var epochPosition = 0
    /// The summed loss of those samples.
    private(set) var epochLossSum: Double = 0
    /// The reports of the epochs trained by `fit(on:validation:test:onEpoch:onStep:)` (and
    /// restored from a checkpoint).
    public internal(set) var history: [EpochReport] = []
    /// Early stopping, when the configuration has a `patience`.
    @_spi(Tools) public internal(set) var earlyStopping: EarlyStopping?
    /// Polled after every step (in Hogwild mode by every thread after each of its steps; the
    /// interrupted epoch then starts over on resume): returning true makes
    /// `trainEpoch(on:progress:)` stop after the step and throw ``TrainingError/interrupted(epoch:samplesDone:)``.
    /// The async `fit` sets it from its task's cancellation.
    @_spi(Tools) public var shouldStop: (@Sendable () -> Bool)?

    /// Whether synchronous steps may run on the calling thread alone when timings show that to be
    /// faster than all the threads (the results are the same either way; see `ThreadChoice`).
    /// Benchmarks that measure the scaling itself turn it off.
    @_spi(Benchmarks) public var adaptsThreadCount = true
    private var threadChoice = ThreadChoice()
    /// Synchronous steps that ran on one thread because that measured faster than all of them (the
    /// probes that measure it not counted).
    @_spi(Benchmarks) public private(set) var stepsOnOneThread = 0
    /// Steps (of this trainer's lifetime) whose first layer skipped the batch's zero inputs: the
    /// default when at most 30 % of them are nonzero, as on MNIST (see
    /// ``TrainingConfiguration/skipsZeroInputs``). Every other step took the dense path.
    @_spi(Benchmarks) public var stepsSkippingZeroInputs: Int { hogwild?.stepsSkippingZeroInputs ?? step.stepsSkippingZeroInputs }

    /// Per-phase timing of the synchronous steps (benchmarks); `nil` reads no clock.
    @_spi(Benchmarks) public var stepProfile: StepProfile? {
        get { step.profile }
        set { step.profile = newValue }
    }

    /// A trainer for a new network: the configuration's architecture, its weights drawn with
    /// its ``TrainingConfiguration/weightInitializer`` from its ``TrainingConfiguration/seed``
    /// and its biases at ``TrainingConfiguration/biasInitializer``. The same configuration always
    /// starts from the same weights.
    ///
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` naming the first setting that cannot be trained.
    public convenience init(configuration: TrainingConfiguration) throws(ModelError) {
        do {
            try configuration.validate()
        } catch {
            throw .invalidConfiguration(error)
        }
        let network = Network(
            architecture: try configuration.architecture(), weightInitializer: configuration.weightInitializer,
            biasInitializer: configuration.biasInitializer, seed: configuration.seed)
        try self.init(network: network, configuration: configuration)
    }

    /// A trainer that continues from a saved model's weights (copied: the model is not changed).
    ///
    /// - Throws: ``ModelError`` if the configuration is invalid or describes another architecture.
    public convenience init(model: SavedModel, configuration: TrainingConfiguration) throws(ModelError) {
        let network = try Network(architecture: model.network.architecture, parameters: model.network.parameterValues)
        try self.init(network: network, configuration: configuration)
    }

    /// A trainer for a network built by the caller, which it trains in place.
    ///
    /// - Throws: ``ModelError`` if the configuration is invalid or does not match the network.
    @_spi(Tools) public init(network: Network, configuration: TrainingConfiguration) throws(ModelError) {
        do {
            try configuration.validate()
        } catch {
            throw .invalidConfiguration(error)
        }
        guard try configuration.architecture() == network.architecture else {
            throw .incompatibleData(
                "the configuration describes \(try configuration.architecture()), the network is \(network.architecture)")
        }
        self.network = network
        self.configuration = configuration
        pool = ThreadPool(threadCount: configuration.threads ?? ProcessInfo.processInfo.activeProcessorCount)
        let optimizer = Optimizer(
            configuration: configuration.optimizer, parameterCount: network.architecture.parameterCount)
        step = TrainingStep(
            network: network, loss: configuration.loss, optimizer: optimizer, capacity: configuration.batchSize,
            pool: configuration.mode == .hogwild ? nil : pool)
        step.skipsZeroInputs = configuration.skipsZeroInputs
        hogwild = configuration.mode == .hogwild
            ? HogwildSchedule(network: network, configuration: configuration, threads: pool.threadCount) : nil
        shuffler = Xoshiro256StarStar(seed: configuration.seed ^ 0x5DEE_CE66_D1CE_5EED)
        earlyStopping = configuration.patience.map { EarlyStopping(patience: $0) }
    }

    /// Trains one epoch over `data`; returns the mean training loss over its samples.
    ///
    /// `progress` is called after every step with the number of samples done and the total.
    @_spi(Benchmarks) public func trainEpoch(
        on data: Dataset, progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws(TrainingError) -> Double {
        do {
            return try trainEpochUntyped(on: data, progress: progress)
        } catch {
            throw TrainingError(error)
        }
    }

    private func trainEpochUntyped(
        on data: Dataset, progress: ((_ done: Int, _ total: Int) -> Void)?
    ) throws -> Double {
        try network.checkCompatible(with: data, loss: configuration.loss)
        if epochPosition == 0 {
            if order.count != data.count { order = (0..<Int32(data.count)).map { $0 } }
            shuffler.shuffle(&order)
            epochLossSum = 0
        } else if order.count != data.count {
            throw ModelError.checkpointMismatch(
                "the interrupted epoch was over \(order.count) samples, this data has \(data.count)")
        }
        let batchSize = configuration.batchSize
        let stepsPerEpoch = (data.count + batchSize - 1) / batchSize
        // Between calls the parameters may have been restored, loaded or edited.
        step.parametersChanged = true
        if let hogwild {
            let steps = try hogwild.trainEpoch(
                on: data, order: order, epoch: completedEpochs + 1, firstStep: completedSteps, pool: pool,
                learningRate: { self.learningRate(step: $0, stepsPerEpoch: stepsPerEpoch) },
                shouldStop: shouldStop, progress: progress)
            if shouldStop?() == true {
                // Hogwild threads finish their current step and stop; the epoch is not counted.
                throw TrainingError.interrupted(epoch: completedEpochs + 1, samplesDone: 0)
            }
            completedEpochs += 1
            completedSteps += steps.count
            return steps.loss / Double(max(data.count, 1))
        }
        var total = epochLossSum
        var start = epochPosition
        while start < data.count {
            let rows = min(batchSize, data.count - start)
            let dropout = configuration.dropout > 0
                ? Dropout(rate: configuration.dropout, runSeed: configuration.seed, step: completedSteps) : nil
            let rate = learningRate(step: completedSteps, stepsPerEpoch: stepsPerEpoch)
            let adapts = adaptsThreadCount && pool.threadCount > 1 && rows == batchSize
            step.usesPool = !adapts || threadChoice.parallel
            let decided = adapts && !threadChoice.isProbing
            let started = adapts ? StepProfile.now() : 0
            let batchLoss = order.withUnsafeBufferPointer { indices in
                let end = start + rows
                return step.run(
                    on: data, indices: UnsafeBufferPointer(rebasing: indices[start..<end]),
                    next: UnsafeBufferPointer(rebasing: indices[end..<min(data.count, end + batchSize)]),
                    learningRate: rate, dropout: dropout)
            }
            if adapts {
                threadChoice.record(seconds: Double(StepProfile.now() - started) * 1e-9)
                if !step.usesPool && decided { stepsOnOneThread += 1 }
            }
            guard batchLoss.isFinite else {
                throw TrainingError.diverged(
                    epoch: completedEpochs + 1, step: start / batchSize + 1, loss: batchLoss / Double(rows))
            }
            completedSteps += 1
            total += batchLoss
            start += rows
            epochPosition = start
            epochLossSum = total
            progress?(start, data.count)
            if start < data.count, shouldStop?() == true {
                throw TrainingError.interrupted(epoch: completedEpochs + 1, samplesDone: start)
            }
        }
        epochPosition = 0
        epochLossSum = 0
        completedEpochs += 1
        return total / Double(max(data.count, 1))
    }

    var shufflerState: [UInt64] { shuffler.state }

    /// Puts the run back where a checkpoint left it.
    func restore(
        completedEpochs: Int, completedSteps: Int, epochPosition: Int, epochLossSum: Double, shufflerState: [UInt64],
        order: [Int32]
    ) {
        self.completedEpochs = completedEpochs
        self.completedSteps = completedSteps
        self.epochPosition = epochPosition
        self.epochLossSum = epochLossSum
        shuffler = Xoshiro256StarStar(state: shufflerState)
        self.order = order
    }

    /// The scheduled learning rate of a step of this run.
    func learningRate(step: Int, stepsPerEpoch: Int) -> Float {
        configuration.schedule.learningRate(
            base: configuration.optimizer.learningRate, step: step, stepsPerEpoch: stepsPerEpoch, totalEpochs: configuration.epochs)
    }

    /// Evaluates the network on `data` using this trainer's threads.
    public func evaluate(on data: Dataset) throws(ModelError) -> Evaluation {
        try evaluate(on: data, targetScales: nil)
    }

    /// Evaluates with the regression errors scaled back to the targets' units (`targetScales`,
    /// one per output, from a table's standardisation).
    @_spi(Tools) public func evaluate(on data: Dataset, targetScales: [Float]?) throws(ModelError) -> Evaluation {
        try network.evaluate(on: data, loss: configuration.loss, chunkSize: 1000, pool: pool, targetScales: targetScales)
    }
}

/// What a `fit(on:validation:test:onEpoch:onStep:)` callback wants next.
public enum FitDecision: Sendable {
    case `continue`
    case stop
}

/// How a `fit(on:validation:test:onEpoch:onStep:)` run ended.
public struct FitResult: Sendable {
    /// Every epoch's report, those of a resumed run's earlier epochs included.
    public let history: [EpochReport]
    /// Whether early stopping or a callback ended the run before `configuration.epochs`.
    public let stoppedEarly: Bool
    /// The epoch whose weights early stopping put back, when it did.
    public let restoredEpoch: Int?
}

extension Trainer {
    /// Trains until `configuration.epochs` epochs are done in total, reporting as it goes.
    ///
    /// After every epoch the network is evaluated on `validation` and `test` (when given), the
    /// report is appended to ``history`` and passed to `onEpoch`, which may stop the run. With a
    /// `patience` in the configuration and a validation set, early stopping watches the
    /// validation loss and, at the end, puts back the best epoch's weights. Without a
    /// `validation` set and with a ``TrainingConfiguration/validationSplit`` above 0, that fraction
    /// of `training` (drawn with the configuration's seed, so a resumed run holds out the same
    /// samples) is held out as the validation set. `onStep` is called
    /// after every step with the samples done in the epoch and its size. To stop a run from
    /// elsewhere, call the `async` variant and cancel its task.
    @discardableResult
    public func fit(
        on training: Dataset, validation: Dataset? = nil, test: Dataset? = nil,
        onEpoch: ((EpochReport) -> FitDecision)? = nil,
        onStep: ((_ epoch: Int, _ done: Int, _ total: Int) -> Void)? = nil
    ) throws(TrainingError) -> FitResult {
        do {
            return try fitUntyped(on: training, validation: validation, test: test, onEpoch: onEpoch, onStep: onStep)
        } catch {
            throw TrainingError(error)
        }
    }

    private func fitUntyped(
        on training: Dataset, validation: Dataset?, test: Dataset?,
        onEpoch: ((EpochReport) -> FitDecision)?,
        onStep: ((_ epoch: Int, _ done: Int, _ total: Int) -> Void)?
    ) throws -> FitResult {
        var (training, validation) = (training, validation)
        if validation == nil, configuration.validationSplit > 0 {
            (training, validation) = training.splitValidation(fraction: configuration.validationSplit, seed: configuration.seed)
        }
        var stoppedEarly = false
        while completedEpochs < configuration.epochs {
            let epoch = completedEpochs + 1
            let samples = training.count - epochPosition
            let started = ContinuousClock.now
            let trainLoss = try trainEpoch(on: training) { done, total in onStep?(epoch, done, total) }
            let elapsed = started.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            let tested = try test.map { try evaluate(on: $0) }
            let validated = try validation.map { try evaluate(on: $0) }
            var report = EpochReport(
                epoch: epoch, trainLoss: trainLoss, testLoss: tested?.loss,
                testAccuracy: tested?.regression == nil ? tested?.accuracy : nil,
                seconds: seconds, validationLoss: validated?.loss, validationAccuracy: validated?.regression == nil ? validated?.accuracy : nil)
            report.testR2 = tested?.regression?.r2
            report.samples = samples
            history.append(report)
            var stop = false
            if let validated, earlyStopping != nil {
                stop = earlyStopping!.update(validationLoss: validated.loss, epoch: epoch, network: network)
            }
            if onEpoch?(report) == .stop { stop = true }
            if stop {
                stoppedEarly = completedEpochs < configuration.epochs
                break
            }
        }
        var restoredEpoch: Int?
        if let stopping = earlyStopping, stopping.bestEpoch > 0, stopping.bestEpoch != history.last?.epoch {
            stopping.restoreBest(into: network)
            restoredEpoch = stopping.bestEpoch
        }
        return FitResult(history: history, stoppedEarly: stoppedEarly, restoredEpoch: restoredEpoch)
    }
}

extension Trainer {
    /// `fit(on:validation:test:onEpoch:onStep:)` for Swift concurrency: cancelling the calling
    /// `Task` stops the run after the current step, and the trainer is
    /// then ready to checkpoint (``checkpoint()``) and resume exactly there.
    ///
    /// The run takes the calling task's thread for its duration (the trainer's own threads do the
    /// parallel work); the callbacks are called on that thread, one at a time.
    ///
    /// - Throws: ``TrainingError/interrupted(epoch:samplesDone:)`` when the task is cancelled,
    ///   ``TrainingError/diverged(epoch:step:loss:)``, or the
    ///   ``ModelError`` of data that does not fit the network.
    @discardableResult
    public func fit(
        on training: Dataset, validation: Dataset? = nil, test: Dataset? = nil,
        onEpoch: (@Sendable (EpochReport) -> FitDecision)? = nil,
        onStep: (@Sendable (_ epoch: Int, _ done: Int, _ total: Int) -> Void)? = nil
    ) async throws(TrainingError) -> FitResult {
        let cancelled = CancellationFlag()
        let previous = shouldStop
        shouldStop = { cancelled.isSet || previous?() == true }
        defer { shouldStop = previous }
        do {
            return try await withTaskCancellationHandler {
                try fit(on: training, validation: validation, test: test, onEpoch: onEpoch, onStep: onStep)
            } onCancel: {
                cancelled.set()
            }
        } catch {
            throw TrainingError(error)
        }
    }
}

/// Set once, from any thread, by a task's cancellation handler; polled by the training threads.
final class CancellationFlag: Sendable {
    private let flag = Atomic<Bool>(false)
    var isSet: Bool { flag.load(ordering: .relaxed) }
    func set() { flag.store(true, ordering: .relaxed) }
}
