import Foundation
import Synchronization

/// How a trial is scored on its held-out samples.
public enum SearchMetric: String, Sendable, Codable, CaseIterable {
    /// The loss (lower is better).
    case loss
    /// The share of samples classified right.
    case accuracy
    /// The coefficient of determination of a regression.
    case r2
    /// The macro-averaged F1 score over the classes.
    case f1

    /// Whether a higher score is better (all but ``loss``).
    public var higherIsBetter: Bool { self != .loss }

    /// The score of an evaluation.
    func score(_ evaluation: Evaluation) -> Double {
        switch self {
        case .loss: evaluation.loss
        case .accuracy: evaluation.accuracy
        case .r2: evaluation.regression?.r2 ?? .nan
        case .f1: evaluation.macroAverage.f1
        }
    }
}

/// One setting of the hyper-parameters to try, and the configuration it stands for.
public struct SearchTrial: Sendable {
    /// The settings, as the caller named them.
    public var settings: [SearchSetting]
    /// The configuration they make.
    public var configuration: TrainingConfiguration

    /// A trial.
    public init(settings: [SearchSetting], configuration: TrainingConfiguration) {
        self.settings = settings
        self.configuration = configuration
    }
}

/// A trial's scores over the folds.
public struct TrialResult: Sendable, Codable, Equatable {
    /// The trial's settings.
    public var settings: [SearchSetting]
    /// The score on each fold, in fold order (empty when the trial failed).
    public var foldScores: [Double]
    /// The mean of ``foldScores`` (nil when the trial failed).
    public var meanScore: Double?
    /// Their standard deviation (population; nil when the trial failed).
    public var stdScore: Double?
    /// Wall time of the trial, all folds.
    public var seconds: Double
    /// The epochs each fold was given (early stopping may have ended it sooner).
    public var epochs: Int
    /// Why the trial has no score (for example, its training diverged).
    public var failure: String?

    /// A result with the scores given; the mean and deviation are computed.
    @_spi(Tools) public init(settings: [SearchSetting], foldScores: [Double], seconds: Double, epochs: Int, failure: String? = nil) {
        self.settings = settings
        self.foldScores = foldScores
        self.seconds = seconds
        self.epochs = epochs
        self.failure = failure
        guard failure == nil, !foldScores.isEmpty, foldScores.allSatisfy(\.isFinite) else {
            if self.failure == nil { self.failure = "a score is not a number" }
            self.foldScores = []
            return
        }
        let mean = foldScores.reduce(0, +) / Double(foldScores.count)
        meanScore = mean
        stdScore = (foldScores.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(foldScores.count)).squareRoot()
    }
}

/// A hyper-parameter search: each trial trained and scored on every fold, several trials at a
/// time. A trial whose configuration holds out a validation split (for early stopping) holds it
/// out of each fold's training samples.
///
/// Trials run on `jobs` threads of their own, each training with `threadsPerTrial` threads.
/// Synchronous training gives the same bits at any thread count, so a trial's scores do not
/// depend on how the threads are split. A trial whose training diverges gets no score rather
/// than stopping the search. Cancelling the calling task stops the running trials after their
/// current step; the finished ones come back in ``SearchError/cancelled(finished:)``.
public struct HyperparameterSearch: Sendable {
    /// The folds every trial trains and is scored on.
    public var folds: [Fold]
    /// The score.
    public var metric: SearchMetric
    /// Trials that run at once.
    public var jobs: Int
    /// Threads each trial trains with.
    public var threadsPerTrial: Int

    /// A search over `folds`, scored by `metric`.
    public init(folds: [Fold], metric: SearchMetric, jobs: Int = 1, threadsPerTrial: Int = 1) {
        self.folds = folds
        self.metric = metric
        self.jobs = max(1, jobs)
        self.threadsPerTrial = max(1, threadsPerTrial)
    }

    /// Trains and scores every trial; `onTrial` is called as each finishes (from the search's
    /// threads, one at a time). The results are in the order of `trials`.
    public func run(
        _ trials: [SearchTrial], onTrial: @escaping @Sendable (TrialResult) -> Void = { _ in }
    ) async throws(SearchError) -> [TrialResult] {
        let cancelled = CancellationFlag()
        let state = SearchState(count: trials.count)
        let search = self
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let group = DispatchGroup()
                for _ in 0..<min(jobs, max(trials.count, 1)) {
                    group.enter()
                    Thread.detachNewThread {
                        while !cancelled.isSet, let index = state.claim() {
                            if let result = search.score(trials[index], cancelled: cancelled) {
                                state.finish(index, result) { onTrial(result) }
                            }
                        }
                        group.leave()
                    }
                }
                group.notify(queue: .global()) { continuation.resume() }
            }
        } onCancel: {
            cancelled.set()
        }
        let results = state.results
        if cancelled.isSet { throw .cancelled(finished: results.compactMap { $0 }) }
        return results.map { $0! }
    }

    /// One trial on every fold; nil when the search was cancelled during it.
    func score(_ trial: SearchTrial, cancelled: CancellationFlag) -> TrialResult? {
        let started = ContinuousClock.now
        var configuration = trial.configuration
        configuration.threads = threadsPerTrial
        var scores: [Double] = []
        func seconds() -> Double {
            let elapsed = started.duration(to: .now)
            return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        }
        for fold in folds {
            do {
                let trainer = try Trainer(configuration: configuration)
                trainer.shouldStop = { cancelled.isSet }
                try trainer.fit(on: fold.training)
                scores.append(metric.score(try trainer.evaluate(on: fold.validation)))
            } catch TrainingError.interrupted {
                return nil
            } catch {
                return TrialResult(
                    settings: trial.settings, foldScores: [], seconds: seconds(), epochs: configuration.epochs,
                    failure: String(describing: error))
            }
        }
        return TrialResult(settings: trial.settings, foldScores: scores, seconds: seconds(), epochs: configuration.epochs)
    }

    /// Successive halving: every trial trains `minimumEpochs`, the best `1/factor` of them
    /// (rounded up) go on with `factor` times the epochs, and so on, until one is left or the
    /// next budget would pass the trials' own `epochs`. Every round's results are returned, in
    /// round order, with the trials that survived the last; `onTrial` sees each as it finishes.
    public func halving(
        _ trials: [SearchTrial], minimumEpochs: Int, factor: Int,
        onTrial: @escaping @Sendable (TrialResult) -> Void = { _ in }
    ) async throws(SearchError) -> (rounds: [[TrialResult]], survivors: [SearchTrial]) {
        var survivors = trials
        var rounds: [[TrialResult]] = []
        let plan = Self.halvingRounds(
            trials: trials.count, minimumEpochs: minimumEpochs, factor: factor,
            maximumEpochs: trials.map(\.configuration.epochs).max() ?? minimumEpochs)
        for (index, step) in plan.enumerated() {
            if index > 0 {
                let order = Self.ranking(rounds[index - 1], metric: metric)
                survivors = order.prefix(step.trials).map { survivors[$0] }
            }
            let round = survivors.map { trial -> SearchTrial in
                var trial = trial
                trial.configuration.epochs = min(step.epochs, trial.configuration.epochs)
                return trial
            }
            rounds.append(try await run(round, onTrial: onTrial))
        }
        return (rounds, survivors)
    }

    /// Successive halving's rounds for `trials` settings: how many train in each and for how
    /// many epochs (`minimumEpochs`, then `factor` times more each round, the trials divided by
    /// `factor`, rounded up, until one is left or the next budget would pass `maximumEpochs`).
    @_spi(Tools) public static func halvingRounds(
        trials: Int, minimumEpochs: Int, factor: Int, maximumEpochs: Int
    ) -> [(trials: Int, epochs: Int)] {
        let factor = max(2, factor)
        var count = trials, budget = max(1, minimumEpochs)
        var rounds: [(trials: Int, epochs: Int)] = []
        while count > 0 {
            rounds.append((count, budget))
            guard count > 1, budget * factor <= maximumEpochs else { break }
            count = (count + factor - 1) / factor
            budget *= factor
        }
        return rounds
    }

    /// The indices of `results`, best first: by mean score (failed trials last), ties by order.
    @_spi(Tools) public static func ranking(_ results: [TrialResult], metric: SearchMetric) -> [Int] {
        results.indices.sorted { a, b in
            switch (results[a].meanScore, results[b].meanScore) {
            case let (x?, y?):
                if x != y { return metric.higherIsBetter ? x > y : x < y }
                return a < b
            case (_?, nil): return true
            case (nil, _?): return false
            case (nil, nil): return a < b
            }
        }
    }
}

/// The trials handed out and the results collected, shared by the search's threads.
private final class SearchState: Sendable {
    private let next = Atomic<Int>(0)
    private let count: Int
    private let collected: Mutex<[TrialResult?]>

    init(count: Int) {
        self.count = count
        collected = Mutex(Array(repeating: nil, count: count))
    }

    func claim() -> Int? {
        let index = next.add(1, ordering: .relaxed).oldValue
        return index < count ? index : nil
    }

    /// Stores a result and reports it, one report at a time.
    func finish(_ index: Int, _ result: TrialResult, report: () -> Void) {
        collected.withLock { results in
            results[index] = result
            report()
        }
    }

    var results: [TrialResult?] { collected.withLock { $0 } }
}
