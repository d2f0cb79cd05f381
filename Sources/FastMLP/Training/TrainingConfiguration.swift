/// Everything that defines a training run: the model, the objective, the optimiser and the
/// schedule. Profiles are this structure as JSON (snake_case keys, see `Profiles/`).
public struct TrainingConfiguration: Equatable, Sendable {
    /// Layer widths from input to output.
    public var layers: [Int] = [784, 128, 10]
    /// The activation of every hidden layer.
    public var activation: Activation = .relu
    /// The activation of the output layer; `nil` follows the loss (softmax for softmax cross-entropy, sigmoid for binary cross-entropy, identity for MSE).
    public var outputActivation: Activation?
    /// The objective.
    public var loss: Loss = .softmaxCrossEntropy
    /// How the weights start.
    public var weightInitializer: WeightInitializer = .heNormal
    /// The value every bias starts at.
    public var biasInitializer: Float = 0
    /// Epochs of the run, in total.
    public var epochs: Int = 5
    /// Samples per optimiser step.
    public var batchSize: Int = 64
    /// The optimiser: its rule, base learning rate and hyper-parameters (unset ones take the
    /// rule's defaults, so choosing RMSprop or Adam drops SGD's momentum of 0.9).
    public var optimizer = OptimizerConfiguration(kind: .sgd, learningRate: 0.05)
    /// How the learning rate changes from step to step.
    public var schedule = LearningRateSchedule()
    /// Inverted dropout on every hidden layer's output while training (0: none); evaluation and
    /// prediction never drop.
    public var dropout: Float = 0
    /// The fraction of the training set held out for validation (0: none).
    public var validationSplit: Double = 0
    /// Stop after this many epochs without a better validation loss, restoring the best weights
    /// (`nil`: never; needs a validation split).
    public var patience: Int?
    /// Seeds initialisation, shuffling, dropout and the validation split.
    public var seed: UInt64 = 42
    /// Worker threads; `nil` means one per online core.
    public var threads: Int?
    /// How the threads share the work of an epoch.
    public var mode: ParallelMode = .synchronous
    /// Digits to keep, relabelled 0..<count in this order; `nil` keeps all.
    public var classes: [Int]?
    /// Whether the first layer's products may skip inputs that are zero across a sliver of rows
    /// when the batch is sparse enough (MNIST is). The results are the same bits either way;
    /// `false` forces the dense path, to measure it.
    public var skipsZeroInputs = true

    /// The defaults: the `mlp-128` recipe.
    public init() {}

    /// The most parameters, and the most activations per layer in a batch (2²⁸ floats, 1 GiB),
    /// so that a typo in a width is an error rather than an allocation failure.
    static let maximumElements = 1 << 28

    /// The output activation in force.
    @_spi(Tools) public var resolvedOutputActivation: Activation { outputActivation ?? loss.defaultOutputActivation }

    /// The network shape this configuration trains.
    @_spi(Tools) public func architecture() throws(ModelError) -> Architecture {
        try Architecture(layerSizes: layers, hiddenActivation: activation, outputActivation: resolvedOutputActivation)
    }

    /// Checks every value; the error names the setting and carries the value refused.
    public func validate() throws(ConfigurationError) {
        if activation == .softmax && layers.count > 2 { throw .softmaxHiddenActivation }
        let architecture: Architecture
        do {
            architecture = try self.architecture()
        } catch {
            if case .invalidArchitecture(let why) = error { throw .invalidLayers(layers, reason: why) }
            throw .invalidLayers(layers, reason: "\(error)")
        }
        func invalid(_ field: ConfigurationField, _ value: Double, _ expected: String) -> ConfigurationError {
            .outOfRange(field, value: value, expected: expected)
        }
        if let required = loss.requiredOutputActivation, resolvedOutputActivation != required {
            throw .outputActivationDoesNotFitLoss(loss, required: required, actual: resolvedOutputActivation)
        }
        if loss == .binaryCrossEntropy && architecture.outputCount != 1 {
            throw .binaryCrossEntropyNeedsOneOutput(outputs: architecture.outputCount)
        }
        guard epochs >= 0 else { throw invalid(ConfigurationField.epochs, Double(epochs), "0 or more") }
        guard batchSize >= 1 else { throw invalid(ConfigurationField.batchSize, Double(batchSize), "at least 1") }
        try optimizer.validate()
        try schedule.validate()
        guard dropout.isFinite, dropout >= 0, dropout < 1 else { throw invalid(ConfigurationField.dropout, Double(dropout), "in [0, 1)") }
        guard validationSplit.isFinite, validationSplit >= 0, validationSplit < 1 else {
            throw invalid(ConfigurationField.validationSplit, validationSplit, "in [0, 1)")
        }
        if let patience {
            guard patience >= 1 else { throw invalid(ConfigurationField.patience, Double(patience), "at least 1") }
            guard validationSplit > 0 else { throw .patienceNeedsValidationSplit(patience: patience) }
        }
        guard biasInitializer.isFinite else { throw invalid(ConfigurationField.biasInitializer, Double(biasInitializer), "a finite number") }
        if let threads, !(1...1024).contains(threads) { throw invalid(ConfigurationField.threads, Double(threads), "in 1...1024") }
        if architecture.parameterCount > TrainingConfiguration.maximumElements {
            throw .tooManyParameters(
                layers: layers, parameters: architecture.parameterCount, limit: TrainingConfiguration.maximumElements)
        }
        let (activations, overflow) = batchSize.multipliedReportingOverflow(by: layers.max() ?? 0)
        if overflow || activations > TrainingConfiguration.maximumElements {
            throw .batchTooLarge(batchSize: batchSize, widestLayer: layers.max() ?? 0, limit: TrainingConfiguration.maximumElements)
        }
        if let classes {
            guard !classes.isEmpty, Set(classes).count == classes.count else { throw .repeatedClasses(classes) }
            guard classes.count == architecture.outputCount else {
                throw .classCountMismatch(classes: classes, outputs: architecture.outputCount)
            }
        }
    }
}

extension TrainingConfiguration: Codable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case layers, activation, outputActivation = "output_activation", loss, weightInitializer = "init"
        case biasInitializer = "bias_init", epochs, batchSize = "batch_size", learningRate = "learning_rate"
        case momentum, optimizer, nesterov, beta1, beta2, epsilon = "eps", weightDecay = "weight_decay"
        case schedule, stepSize = "step_size", gamma, warmupEpochs = "warmup_epochs"
        case dropout, validationSplit = "val_split", patience
        case seed, threads, mode, classes
        case skipsZeroInputs = "skip_zero_inputs"
    }

    /// Decodes a partial configuration: missing keys keep their defaults.
    public init(from decoder: any Decoder) throws {
        self.init()
        let c = try decoder.container(keyedBy: CodingKeys.self)
        layers = try c.decodeIfPresent([Int].self, forKey: .layers) ?? layers
        activation = try c.decodeIfPresent(Activation.self, forKey: .activation) ?? activation
        outputActivation = try c.decodeIfPresent(Activation.self, forKey: .outputActivation)
        loss = try c.decodeIfPresent(Loss.self, forKey: .loss) ?? loss
        weightInitializer = try c.decodeIfPresent(WeightInitializer.self, forKey: .weightInitializer) ?? weightInitializer
        biasInitializer = try c.decodeIfPresent(Float.self, forKey: .biasInitializer) ?? biasInitializer
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? epochs
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? batchSize
        optimizer = OptimizerConfiguration(
            kind: try c.decodeIfPresent(OptimizerKind.self, forKey: .optimizer) ?? optimizer.kind,
            learningRate: try c.decodeIfPresent(Float.self, forKey: .learningRate) ?? optimizer.learningRate,
            momentum: try c.decodeIfPresent(Float.self, forKey: .momentum),
            nesterov: try c.decodeIfPresent(Bool.self, forKey: .nesterov) ?? optimizer.nesterov,
            beta1: try c.decodeIfPresent(Float.self, forKey: .beta1), beta2: try c.decodeIfPresent(Float.self, forKey: .beta2),
            epsilon: try c.decodeIfPresent(Float.self, forKey: .epsilon),
            weightDecay: try c.decodeIfPresent(Float.self, forKey: .weightDecay))
        schedule.kind = try c.decodeIfPresent(ScheduleKind.self, forKey: .schedule) ?? schedule.kind
        schedule.stepSize = try c.decodeIfPresent(Int.self, forKey: .stepSize) ?? schedule.stepSize
        schedule.gamma = try c.decodeIfPresent(Float.self, forKey: .gamma) ?? schedule.gamma
        schedule.warmupEpochs = try c.decodeIfPresent(Double.self, forKey: .warmupEpochs) ?? schedule.warmupEpochs
        dropout = try c.decodeIfPresent(Float.self, forKey: .dropout) ?? dropout
        validationSplit = try c.decodeIfPresent(Double.self, forKey: .validationSplit) ?? validationSplit
        patience = try c.decodeIfPresent(Int.self, forKey: .patience)
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? seed
        threads = try c.decodeIfPresent(Int.self, forKey: .threads)
        mode = try c.decodeIfPresent(ParallelMode.self, forKey: .mode) ?? mode
        classes = try c.decodeIfPresent([Int].self, forKey: .classes)
        skipsZeroInputs = try c.decodeIfPresent(Bool.self, forKey: .skipsZeroInputs) ?? skipsZeroInputs
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(layers, forKey: .layers)
        try c.encode(activation, forKey: .activation)
        try c.encodeIfPresent(outputActivation, forKey: .outputActivation)
        try c.encode(loss, forKey: .loss)
        try c.encode(weightInitializer, forKey: .weightInitializer)
        try c.encode(biasInitializer, forKey: .biasInitializer)
        try c.encode(epochs, forKey: .epochs)
        try c.encode(batchSize, forKey: .batchSize)
        try c.encode(optimizer.learningRate, forKey: .learningRate)
        try c.encodeIfPresent(optimizer.momentum, forKey: .momentum)
        try c.encode(optimizer.kind, forKey: .optimizer)
        if optimizer.nesterov { try c.encode(optimizer.nesterov, forKey: .nesterov) }
        try c.encodeIfPresent(optimizer.beta1, forKey: .beta1)
        try c.encodeIfPresent(optimizer.beta2, forKey: .beta2)
        try c.encodeIfPresent(optimizer.epsilon, forKey: .epsilon)
        try c.encodeIfPresent(optimizer.weightDecay, forKey: .weightDecay)
        try c.encode(schedule.kind, forKey: .schedule)
        if schedule.kind == .step {
            try c.encode(schedule.stepSize, forKey: .stepSize)
            try c.encode(schedule.gamma, forKey: .gamma)
        }
        if schedule.warmupEpochs > 0 { try c.encode(schedule.warmupEpochs, forKey: .warmupEpochs) }
        if dropout > 0 { try c.encode(dropout, forKey: .dropout) }
        if validationSplit > 0 { try c.encode(validationSplit, forKey: .validationSplit) }
        try c.encodeIfPresent(patience, forKey: .patience)
        try c.encode(seed, forKey: .seed)
        try c.encodeIfPresent(threads, forKey: .threads)
        try c.encode(mode, forKey: .mode)
        try c.encodeIfPresent(classes, forKey: .classes)
        if !skipsZeroInputs { try c.encode(skipsZeroInputs, forKey: .skipsZeroInputs) }
    }
}
