/// The shape of a multilayer perceptron: layer widths and one activation per dense layer.
public struct Architecture: Equatable, Hashable, Sendable, Codable, CustomStringConvertible {
    /// Widths from input to output, e.g. `[784, 128, 10]`.
    public let layerSizes: [Int]
    /// The activation after each dense layer; `activations.count == layerSizes.count - 1`.
    public let activations: [Activation]

    /// An architecture with one activation per dense layer.
    ///
    /// - Throws: ``ModelError/invalidArchitecture(_:)`` for fewer than two sizes, a size below 1,
    ///   a count mismatch, or softmax anywhere but the output layer.
    public init(layerSizes: [Int], activations: [Activation]) throws(ModelError) {
        guard layerSizes.count >= 2 else {
            throw .invalidArchitecture("needs at least an input and an output size, got \(layerSizes)")
        }
        if let bad = layerSizes.first(where: { $0 < 1 || $0 > 1 << 24 }) {
            throw .invalidArchitecture("layer size \(bad) is out of range 1...\(1 << 24)")
        }
        guard activations.count == layerSizes.count - 1 else {
            throw .invalidArchitecture(
                "\(layerSizes.count - 1) dense layers need as many activations, got \(activations.count)")
        }
        if activations.dropLast().contains(.softmax) {
            throw .invalidArchitecture("softmax is only supported on the output layer")
        }
        self.layerSizes = layerSizes
        self.activations = activations
    }

    /// The same hidden activation on every layer but the last.
    public init(layerSizes: [Int], hiddenActivation: Activation, outputActivation: Activation) throws(ModelError) {
        try self.init(
            layerSizes: layerSizes,
            activations: Array(repeating: hiddenActivation, count: max(layerSizes.count - 2, 0)) + [outputActivation])
    }

    /// The width of the input.
    public var inputCount: Int { layerSizes[0] }
    /// The width of the output layer.
    public var outputCount: Int { layerSizes[layerSizes.count - 1] }
    /// The number of dense layers.
    public var layerCount: Int { layerSizes.count - 1 }
    /// The output layer's activation.
    public var outputActivation: Activation { activations[activations.count - 1] }

    /// Weights plus biases over all layers.
    public var parameterCount: Int {
        (0..<layerCount).reduce(0) { $0 + layerSizes[$1] * layerSizes[$1 + 1] + layerSizes[$1 + 1] }
    }

    /// Multiply-adds of one forward pass for one sample.
    @_spi(Benchmarks) public var forwardMultiplyAdds: Int {
        (0..<layerCount).reduce(0) { $0 + layerSizes[$1] * layerSizes[$1 + 1] }
    }

    /// Floating-point operations of one training step per sample, counted as needed:
    /// 2 × (forward + weight-gradient + input-gradient multiply-adds, the last for every layer
    /// but the first).
    @_spi(Benchmarks) public var trainingFLOPsPerSample: Double {
        let forward = forwardMultiplyAdds
        let inputGradient = forward - layerSizes[0] * layerSizes[1]
        return 2 * Double(forward + forward + inputGradient)
    }

    /// Of ``trainingFLOPsPerSample``, those that multiply an input of the first layer: its
    /// forward and weight-gradient products. A step that skips zero inputs does this share times
    /// the inputs' density.
    @_spi(Benchmarks) public var firstLayerInputFLOPsPerSample: Double { 4 * Double(layerSizes[0] * layerSizes[1]) }

    /// "784-128(relu)-10(softmax)".
    public var description: String {
        var text = "\(layerSizes[0])"
        for l in 0..<layerCount { text += "-\(layerSizes[l + 1])(\(activations[l]))" }
        return text
    }
}

/// Why a model could not be built or used.
public enum ModelError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The layer sizes and activations do not make a network.
    case invalidArchitecture(String)
    /// A parameter vector of the wrong length for the architecture.
    case parameterCountMismatch(expected: Int, actual: Int)
    /// Samples of another width than the network's input.
    case inputWidthMismatch(expected: Int, actual: Int)
    /// A layer index past the network's layers.
    case invalidLayer(Int)
    /// The training configuration cannot be trained.
    case invalidConfiguration(ConfigurationError)
    /// The data does not fit the model: labels past its outputs, or regression targets for a
    /// classifier.
    case incompatibleData(String)
    /// A checkpoint does not fit the run it is asked to continue.
    case checkpointMismatch(String)

    public var description: String {
        switch self {
        case .invalidArchitecture(let why): return "invalid architecture: \(why)"
        case .parameterCountMismatch(let expected, let actual):
            return "expected \(expected) parameters, got \(actual)"
        case .inputWidthMismatch(let expected, let actual):
            return "the model takes \(expected) inputs per sample, the data has \(actual)"
        case .invalidLayer(let index): return "no dense layer at index \(index)"
        case .invalidConfiguration(let error): return error.description
        case .incompatibleData(let why): return why
        case .checkpointMismatch(let why): return why
        }
    }
}
