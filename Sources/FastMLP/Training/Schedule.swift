#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How the learning rate changes over a run.
public enum ScheduleKind: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// The base rate throughout.
    case constant
    /// The base rate × γ^⌊epoch / step size⌋ (epochs counted from 0).
    case step
    /// Cosine annealing from the base rate to 0 over the whole run, step by step.
    case cosine

    public var description: String { rawValue }
}

/// A learning-rate schedule with an optional linear warm-up.
///
/// The rate of a step depends only on the step's position in the run (its index from 0 and the
/// run's length), so a resumed run continues the schedule exactly where it stopped.
public struct LearningRateSchedule: Equatable, Hashable, Sendable, Codable {
    /// The shape of the schedule.
    public var kind: ScheduleKind
    /// Epochs between decays of the `step` schedule.
    public var stepSize: Int
    /// The decay factor of the `step` schedule.
    public var gamma: Float
    /// Epochs (fractions allowed) of linear warm-up from base/warm-up-steps to the base rate.
    public var warmupEpochs: Double

    /// A schedule; the defaults are constant with no warm-up.
    public init(kind: ScheduleKind = .constant, stepSize: Int = 1, gamma: Float = 0.1, warmupEpochs: Double = 0) {
        self.kind = kind
        self.stepSize = stepSize
        self.gamma = gamma
        self.warmupEpochs = warmupEpochs
    }

    /// The rate of step `step` (0-based, counted over the whole run) of a run of `totalEpochs`
    /// epochs of `stepsPerEpoch` steps each.
    public func learningRate(base: Float, step: Int, stepsPerEpoch: Int, totalEpochs: Int) -> Float {
        let perEpoch = max(stepsPerEpoch, 1)
        var factor: Double
        switch kind {
        case .constant:
            factor = 1
        case .step:
            factor = _powDouble(Double(gamma), Double(step / perEpoch / max(stepSize, 1)))
        case .cosine:
            let total = Double(max(perEpoch * totalEpochs, 1))
            factor = 0.5 * (1 + cos(Double.pi * min(Double(step), total) / total))
        }
        let warmupSteps = warmupEpochs * Double(perEpoch)
        if warmupSteps > 0 && Double(step) < warmupSteps {
            factor *= Double(step + 1) / warmupSteps
        }
        return Float(Double(base) * factor)
    }

    func validate() throws(ConfigurationError) {
        guard stepSize >= 1 else { throw .outOfRange(.stepSize, value: Double(stepSize), expected: "at least 1 epoch") }
        guard gamma.isFinite, gamma > 0, gamma <= 1 else {
            throw .outOfRange(.gamma, value: Double(gamma), expected: "in (0, 1]")
        }
        guard warmupEpochs.isFinite, warmupEpochs >= 0 else {
            throw .outOfRange(.warmupEpochs, value: warmupEpochs, expected: "0 or more epochs")
        }
    }
}
