/// Which update rule an ``OptimizerConfiguration`` describes.
public enum OptimizerKind: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// Stochastic gradient descent, with optional (Nesterov) momentum.
    case sgd
    /// Adam (Kingma & Ba), with bias correction; weight decay is L2 added to the gradient.
    case adam
    /// AdamW (Loshchilov & Hutter): Adam with weight decay decoupled from the gradient.
    case adamw
    /// RMSprop (Hinton), optionally with momentum.
    case rmsprop

    public var description: String { rawValue }
}

/// An optimiser and its hyper-parameters. Every rule follows PyTorch's `torch.optim` to the
/// letter (the same formulas, in the same order), so a recipe means the same thing in both.
/// Unset values take that rule's usual default (``beta1``, ``beta2``, ``epsilon``, ``weightDecay``).
public struct OptimizerConfiguration: Equatable, Hashable, Sendable, Codable {
    /// The update rule.
    public var kind: OptimizerKind
    /// The base learning rate (a schedule scales it step by step).
    public var learningRate: Float
    /// SGD and RMSprop momentum μ; nil takes the rule's default (0.9 for SGD, 0 for RMSprop).
    public var momentum: Float?
    /// SGD only: Nesterov momentum, g ← g + μ·v after v ← μ·v + g.
    public var nesterov: Bool
    /// Adam's and AdamW's decay of the gradient average (default 0.9).
    public var beta1: Float?
    /// Adam's and AdamW's decay of the squared-gradient average (default 0.999); RMSprop's α
    /// (default 0.99).
    public var beta2: Float?
    /// Added to the denominator of Adam, AdamW and RMSprop (default 1e-8).
    public var epsilon: Float?
    /// L2 weight decay: added to the gradient as wd·w for SGD, Adam and RMSprop; applied to the
    /// weights as w ← w − lr·wd·w for AdamW (default 0, AdamW 0.01). Applies to biases too.
    public var weightDecay: Float?

    /// An optimiser configuration; unset values take the rule's defaults.
    public init(
        kind: OptimizerKind = .sgd, learningRate: Float, momentum: Float? = nil, nesterov: Bool = false,
        beta1: Float? = nil, beta2: Float? = nil, epsilon: Float? = nil, weightDecay: Float? = nil
    ) {
        self.kind = kind
        self.learningRate = learningRate
        self.momentum = momentum
        self.nesterov = nesterov
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
    }

    /// The momentum in force: ``momentum``, or the rule's default (SGD 0.9, the recipe of the
    /// defaults; RMSprop 0, PyTorch's default; Adam and AdamW take none).
    @_spi(Tools) public var resolvedMomentum: Float { momentum ?? (kind == .sgd ? 0.9 : 0) }
    /// β1 in force (default 0.9).
    var resolvedBeta1: Float { beta1 ?? 0.9 }
    /// β2 (RMSprop: α) in force (default 0.999; RMSprop 0.99).
    var resolvedBeta2: Float { beta2 ?? (kind == .rmsprop ? 0.99 : 0.999) }
    /// ε in force (default 1e-8).
    var resolvedEpsilon: Float { epsilon ?? 1e-8 }
    /// The weight decay in force (default 0; AdamW 0.01).
    var resolvedWeightDecay: Float { weightDecay ?? (kind == .adamw ? 0.01 : 0) }

    /// Checks the values; the error names the setting and carries its value.
    func validate() throws(ConfigurationError) {
        guard learningRate.isFinite, learningRate > 0 else {
            throw .outOfRange(.learningRate, value: Double(learningRate), expected: "a positive number")
        }
        let momentum = resolvedMomentum
        guard momentum.isFinite, momentum >= 0, momentum < 1 else {
            throw .outOfRange(.momentum, value: Double(momentum), expected: "in [0, 1)")
        }
        if nesterov && (kind != .sgd || momentum == 0) { throw .nesterovNeedsMomentum(optimizer: kind, momentum: momentum) }
        for (field, value) in [(ConfigurationField.beta1, beta1), (.beta2, beta2)] {
            if let value, !(value.isFinite && value >= 0 && value < 1) {
                throw .outOfRange(field, value: Double(value), expected: "in [0, 1)")
            }
        }
        if let epsilon, !(epsilon.isFinite && epsilon > 0) {
            throw .outOfRange(.epsilon, value: Double(epsilon), expected: "a positive number")
        }
        if let weightDecay, !(weightDecay.isFinite && weightDecay >= 0) {
            throw .outOfRange(.weightDecay, value: Double(weightDecay), expected: "0 or more")
        }
    }
}

/// The state of an optimiser (its moment buffers and step count) and the update step.
///
/// A step's rule is chosen once (``beginStep(learningRate:)``), not per element, and its
/// elementwise loop runs 16 lanes at a time over whatever ranges the caller gives it. Each
/// parameter's update is independent of the others, so any split gives the same bits.
final class Optimizer {
    let configuration: OptimizerConfiguration
    /// SGD: the velocity v. Adam/AdamW: the first moment m. RMSprop: the squared-gradient average.
    let first: FloatBuffer
    /// Adam/AdamW: the second moment. RMSprop with momentum: the momentum buffer. Otherwise empty.
    let second: FloatBuffer
    /// Steps taken so far (Adam's t after the next step is `steps + 1`).
    var steps = 0

    init(configuration: OptimizerConfiguration, parameterCount: Int) {
        self.configuration = configuration
        first = FloatBuffer(count: parameterCount)
        let needsSecond = configuration.kind == .adam || configuration.kind == .adamw
            || (configuration.kind == .rmsprop && configuration.resolvedMomentum > 0)
        second = FloatBuffer(count: needsSecond ? parameterCount : 0)
    }

    /// Starts a step with learning rate `learningRate` (the configuration's, or a schedule's
    /// value for this step): counts it and returns the rule that updates any range of the
    /// parameters. A training step applies it tile by tile, each right after that tile's gradient.
    func beginStep(learningRate: Float? = nil) -> UpdateRule {
        steps += 1
        let lr = learningRate ?? configuration.learningRate
        let c = configuration
        switch c.kind {
        case .sgd:
            return .sgd(
                SGD(learningRate: lr, momentum: c.resolvedMomentum, nesterov: c.nesterov, weightDecay: c.resolvedWeightDecay),
                velocity: first.base)
        case .adam, .adamw:
            return .adam(
                Adam(
                    learningRate: lr, beta1: c.resolvedBeta1, beta2: c.resolvedBeta2, epsilon: c.resolvedEpsilon,
                    weightDecay: c.resolvedWeightDecay, decoupled: c.kind == .adamw, step: steps),
                m: first.base, v: second.base)
        case .rmsprop:
            return .rmsprop(
                RMSprop(
                    learningRate: lr, alpha: c.resolvedBeta2, epsilon: c.resolvedEpsilon, momentum: c.resolvedMomentum,
                    weightDecay: c.resolvedWeightDecay),
                squareAverage: first.base, momentumBuffer: c.resolvedMomentum > 0 ? second.base : nil)
        }
    }

    /// Updates `count` parameters from their gradients in one call (a whole step at once).
    func step(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int,
        learningRate: Float? = nil
    ) {
        beginStep(learningRate: learningRate).apply(parameters: parameters, gradients: gradients, range: 0..<count)
    }
}

/// One step's update rule, bound to its optimiser's state buffers: applied to disjoint ranges of
/// the parameters, in any order and on any thread, it gives the same bits as one pass.
struct UpdateRule {
    private enum Rule {
        case sgd(SGD, velocity: UnsafeMutablePointer<Float>)
        case adam(Adam, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>)
        case rmsprop(RMSprop, squareAverage: UnsafeMutablePointer<Float>, momentumBuffer: UnsafeMutablePointer<Float>?)
    }
    private let rule: Rule

    static func sgd(_ sgd: SGD, velocity: UnsafeMutablePointer<Float>) -> UpdateRule {
        UpdateRule(rule: .sgd(sgd, velocity: velocity))
    }
    static func adam(_ adam: Adam, m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>) -> UpdateRule {
        UpdateRule(rule: .adam(adam, m: m, v: v))
    }
    static func rmsprop(
        _ rmsprop: RMSprop, squareAverage: UnsafeMutablePointer<Float>, momentumBuffer: UnsafeMutablePointer<Float>?
    ) -> UpdateRule {
        UpdateRule(rule: .rmsprop(rmsprop, squareAverage: squareAverage, momentumBuffer: momentumBuffer))
    }

    /// The same rule with its state buffers' elements counted from `offset`: applied to
    /// `parameters + offset` it updates the same parameters from the same state.
    func advanced(by offset: Int) -> UpdateRule {
        switch rule {
        case .sgd(let sgd, let velocity):
            return .sgd(sgd, velocity: velocity + offset)
        case .adam(let adam, let m, let v):
            return .adam(adam, m: m + offset, v: v + offset)
        case .rmsprop(let rmsprop, let squareAverage, let momentumBuffer):
            return .rmsprop(rmsprop, squareAverage: squareAverage + offset, momentumBuffer: momentumBuffer.map { $0 + offset })
        }
    }

    /// Updates `parameters[range]` from `gradients[range]` (and the state at the same offsets).
    @inline(__always)
    func apply(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, range: Range<Int>) {
        switch rule {
        case .sgd(let rule, let velocity):
            rule.update(parameters: parameters, gradients: gradients, velocity: velocity, range: range)
        case .adam(let rule, let m, let v):
            rule.update(parameters: parameters, gradients: gradients, m: m, v: v, range: range)
        case .rmsprop(let rule, let squareAverage, let momentumBuffer):
            rule.update(
                parameters: parameters, gradients: gradients, squareAverage: squareAverage,
                momentumBuffer: momentumBuffer, range: range)
        }
    }
}

/// Runs `body(offset, lanes)` over `range` 16 elements at a time; the last call may have fewer
/// lanes. Rules load with ``VectorMath/load(_:count:)`` and store with
/// ``VectorMath/store(_:_:count:)``, so one vector expression serves the whole range and the
/// lanes past the end are never written.
///
/// The full vectors and the tail are separate calls, so that in the hot loop `lanes` is the
/// constant 16 and the partial loads and stores fold away.
@inline(__always)
func forEachVector(in range: Range<Int>, _ body: (_ offset: Int, _ lanes: Int) -> Void) {
    var i = range.lowerBound
    while i + Vector.scalarCount <= range.upperBound {
        body(i, Vector.scalarCount)
        i += Vector.scalarCount
    }
    if i < range.upperBound { body(i, range.upperBound - i) }
}
