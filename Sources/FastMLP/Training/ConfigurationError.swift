/// A setting of a training run, named as the property of ``TrainingConfiguration`` that holds it
/// (the schedule's as `schedule.<property>`).
public enum ConfigurationField: String, Sendable, CaseIterable, CustomStringConvertible {
    case layers, activation, outputActivation, loss, biasInitializer, epochs, batchSize
    case learningRate, momentum, nesterov, beta1, beta2, epsilon, weightDecay
    case stepSize = "schedule.stepSize", gamma = "schedule.gamma", warmupEpochs = "schedule.warmupEpochs"
    case dropout, validationSplit, patience, threads, classes

    /// The property's name, e.g. `learningRate` or `schedule.gamma`.
    public var description: String { rawValue }
}

/// Why a ``TrainingConfiguration`` cannot be trained. Each case names the setting, in the
/// configuration's own terms, and carries the value that was refused.
public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A number outside what its setting accepts; `expected` says what it accepts, e.g. "in [0, 1)".
    case outOfRange(ConfigurationField, value: Double, expected: String)
    /// The layers do not make a network (fewer than two sizes, or a size out of range).
    case invalidLayers([Int], reason: String)
    /// Softmax is an output activation; hidden layers take the others.
    case softmaxHiddenActivation
    /// The loss needs another output activation (softmax cross-entropy needs softmax, binary
    /// cross-entropy sigmoid).
    case outputActivationDoesNotFitLoss(Loss, required: Activation, actual: Activation)
    /// Binary cross-entropy predicts one probability: the last layer must have one unit.
    case binaryCrossEntropyNeedsOneOutput(outputs: Int)
    /// Nesterov momentum needs SGD with a momentum above 0.
    case nesterovNeedsMomentum(optimizer: OptimizerKind, momentum: Float)
    /// Early stopping watches the validation loss: it needs a validation split.
    case patienceNeedsValidationSplit(patience: Int)
    /// More parameters than this build allows (2²⁸ elements).
    case tooManyParameters(layers: [Int], parameters: Int, limit: Int)
    /// A batch times the widest layer is more activations than this build allows.
    case batchTooLarge(batchSize: Int, widestLayer: Int, limit: Int)
    /// The kept classes repeat one, or are empty.
    case repeatedClasses([Int])
    /// The kept classes and the output layer's width differ.
    case classCountMismatch(classes: [Int], outputs: Int)

    /// The setting the error is about.
    public var field: ConfigurationField {
        switch self {
        case .outOfRange(let field, _, _): field
        case .invalidLayers, .binaryCrossEntropyNeedsOneOutput, .tooManyParameters: .layers
        case .softmaxHiddenActivation: .activation
        case .outputActivationDoesNotFitLoss: .outputActivation
        case .nesterovNeedsMomentum: .nesterov
        case .patienceNeedsValidationSplit: .patience
        case .batchTooLarge: .batchSize
        case .repeatedClasses, .classCountMismatch: .classes
        }
    }

    public var description: String {
        switch self {
        case .outOfRange(let field, let value, let expected):
            return "\(field) must be \(expected), got \(Self.formatted(value))"
        case .invalidLayers(let layers, let reason):
            return "layers \(layers): \(reason)"
        case .softmaxHiddenActivation:
            return "activation: softmax is only for the output layer; hidden layers take relu, sigmoid, tanh or identity"
        case .outputActivationDoesNotFitLoss(let loss, let required, let actual):
            return "outputActivation: the \(loss) loss needs a \(required) output layer, not \(actual)"
        case .binaryCrossEntropyNeedsOneOutput(let outputs):
            return "layers: the bce loss needs one output unit, the last layer has \(outputs)"
        case .nesterovNeedsMomentum(let optimizer, let momentum):
            return "nesterov needs the sgd optimizer with a momentum above 0 (optimizer \(optimizer), momentum \(momentum))"
        case .patienceNeedsValidationSplit(let patience):
            return "patience \(patience) needs a validation set: set validationSplit above 0"
        case .tooManyParameters(let layers, let parameters, let limit):
            return "layers \(layers) have \(parameters) parameters, more than the \(limit) this build allows"
        case .batchTooLarge(let batchSize, let widest, let limit):
            return "batchSize \(batchSize) × the widest layer (\(widest)) is more than the \(limit) activations this build allows"
        case .repeatedClasses(let classes):
            return "classes must list distinct classes, got \(classes)"
        case .classCountMismatch(let classes, let outputs):
            return "classes lists \(classes.count) classes but the output layer has \(outputs) units"
        }
    }

    /// A refused value as it was most likely written (whole numbers without a fraction), for
    /// messages that name the setting in other terms (a command-line flag, a file's key).
    @_spi(Tools) public static func formatted(_ value: Double) -> String {
        value.rounded() == value && abs(value) < 1e15 ? String(Int(value)) : "\(Float(value))"
    }
}
