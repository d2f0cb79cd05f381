import Foundation

/// One setting of a trial: a parameter's name and its value, as text (the caller turns it into
/// a configuration; see ``HyperparameterSearch``).
public struct SearchSetting: Hashable, Sendable, Codable {
    /// The parameter's name.
    public var name: String
    /// Its value.
    public var value: String

    /// A setting.
    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

/// The values a search tries: for each parameter a list of values, or a range to sample from.
public struct SearchSpace: Sendable, Equatable {
    /// Where a parameter's values come from.
    public enum Domain: Sendable, Equatable {
        /// These values, in this order.
        case values([String])
        /// Uniform between the bounds (random search only).
        case uniform(ClosedRange<Double>)
        /// Uniform in the logarithm between the bounds, both positive (random search only).
        case logUniform(ClosedRange<Double>)
        /// A whole number drawn uniformly from the range (random search only).
        case integers(ClosedRange<Int>)
    }

    /// The parameters, in the order given; a grid varies the last one fastest.
    public var parameters: [(name: String, domain: Domain)]

    /// A space of the given parameters.
    public init(_ parameters: [(name: String, domain: Domain)]) { self.parameters = parameters }

    public static func == (a: SearchSpace, b: SearchSpace) -> Bool {
        a.parameters.map(\.name) == b.parameters.map(\.name) && a.parameters.map(\.domain) == b.parameters.map(\.domain)
    }

    /// The most trials a grid may have.
    @_spi(Tools) public static let maximumTrials = 100_000

    /// Every combination of the parameters' values (their Cartesian product), the first
    /// parameter varying slowest.
    ///
    /// - Throws: ``SearchError/rangeInGrid(parameter:)`` for a range (ranges are sampled by
    ///   ``random(count:seed:)``), ``SearchError/tooManyTrials(_:limit:)`` past 100,000 trials.
    public func grid() throws(SearchError) -> [[SearchSetting]] {
        var trials: [[SearchSetting]] = [[]]
        for (name, domain) in parameters {
            guard case .values(let values) = domain else { throw .rangeInGrid(parameter: name) }
            let (count, overflow) = trials.count.multipliedReportingOverflow(by: values.count)
            guard !overflow, count <= Self.maximumTrials else { throw .tooManyTrials(count, limit: Self.maximumTrials) }
            trials = trials.flatMap { trial in values.map { trial + [SearchSetting(name: name, value: $0)] } }
        }
        return trials
    }

    /// `count` settings drawn at random, seeded: a list's values uniformly, a range uniformly
    /// (in the logarithm for ``Domain/logUniform(_:)``), printed with 4 significant digits.
    /// The same seed gives the same trials.
    public func random(count: Int, seed: UInt64) -> [[SearchSetting]] {
        var generator = Xoshiro256StarStar(seed: seed ^ 0x5EA2_C4ED_0000_0001)
        return (0..<max(count, 0)).map { _ in
            parameters.map { name, domain in
                let u = Double(generator.next() >> 11) * 0x1p-53
                let value: String
                switch domain {
                case .values(let values): value = values[min(Int(u * Double(values.count)), values.count - 1)]
                case .uniform(let range): value = Self.format(range.lowerBound + u * (range.upperBound - range.lowerBound))
                case .integers(let range):
                    let span = Double(range.upperBound - range.lowerBound + 1)
                    value = String(range.lowerBound + min(Int(u * span), range.upperBound - range.lowerBound))
                case .logUniform(let range):
                    let low = log(range.lowerBound), high = log(range.upperBound)
                    value = Self.format(exp(low + u * (high - low)))
                }
                return SearchSetting(name: name, value: value)
            }
        }
    }

    /// A sampled number with 4 significant digits.
    static func format(_ value: Double) -> String { String(format: "%.4g", value) }
}

/// Why a search could not be set up or run.
public enum SearchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A range was given to a grid search; ranges are for random search.
    case rangeInGrid(parameter: String)
    /// The grid has more trials than the limit.
    case tooManyTrials(Int, limit: Int)
    /// Cross-validation needs at least 2 folds and no more folds than samples.
    case invalidFolds(Int, samples: Int)
    /// A trial's settings do not make a configuration (the reason comes from the caller).
    case invalidTrial(settings: [SearchSetting], reason: String)
    /// Training or scoring a trial failed.
    case trialFailed(settings: [SearchSetting], reason: String)
    /// The task running the search was cancelled; the finished trials are kept.
    case cancelled(finished: [TrialResult])

    public var description: String {
        func text(_ settings: [SearchSetting]) -> String { settings.map { "\($0.name)=\($0.value)" }.joined(separator: " ") }
        switch self {
        case .rangeInGrid(let parameter): return "\(parameter): a range can only be sampled by a random search"
        case .tooManyTrials(let count, let limit): return "the grid has \(count) trials, more than \(limit)"
        case .invalidFolds(let folds, let samples): return "\(folds) folds of \(samples) samples: give at least 2 and at most one per sample"
        case .invalidTrial(let settings, let reason): return "trial \(text(settings)): \(reason)"
        case .trialFailed(let settings, let reason): return "trial \(text(settings)) failed: \(reason)"
        case .cancelled(let finished): return "the search was cancelled after \(finished.count) trials"
        }
    }
}
