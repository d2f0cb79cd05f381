/// Stochastic gradient descent with classical momentum, in PyTorch's convention:
///
///     v ← μ·v + g
///     w ← w − lr·v
///
/// With μ = 0 this is plain SGD (v = g).
public struct SGDConfiguration: Equatable, Hashable, Sendable, Codable {
    public var learningRate: Float
    public var momentum: Float

    public init(learningRate: Float, momentum: Float = 0) {
        self.learningRate = learningRate
        self.momentum = momentum
    }
}

/// The optimiser state (one velocity per parameter) and the update step.
final class SGD {
    let configuration: SGDConfiguration
    let velocity: FloatBuffer

    init(configuration: SGDConfiguration, parameterCount: Int) {
        self.configuration = configuration
        velocity = FloatBuffer(count: parameterCount)
    }

    /// One update of `count` parameters from their gradients, spread over `pool` in fixed
    /// chunks (each parameter's update is independent, so any split gives the same bits).
    func step(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, count: Int, pool: ThreadPool? = nil) {
        forEachChunk(count: count, pool: pool) { range in
            update(parameters: parameters, gradients: gradients, range: range)
        }
    }

    /// The update of parameters `range`, 16 lanes at a time.
    private func update(parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, range: Range<Int>) {
        let lr = configuration.learningRate, mu = configuration.momentum
        let v = velocity.base
        let count = range.upperBound
        var i = range.lowerBound
        while i + Vector.scalarCount <= count {
            let g = UnsafeRawPointer(gradients + i).loadUnaligned(as: Vector.self)
            let vOld = UnsafeRawPointer(v + i).loadUnaligned(as: Vector.self)
            let vNew = g.multiplyAdd(Vector(repeating: mu), vOld)
            let w = UnsafeRawPointer(parameters + i).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(v + i).storeBytes(of: vNew, as: Vector.self)
            UnsafeMutableRawPointer(parameters + i).storeBytes(of: w.multiplyAdd(Vector(repeating: -lr), vNew), as: Vector.self)
            i += Vector.scalarCount
        }
        while i < count {
            let vNew = KernelConfig.hasFMA ? gradients[i].addingProduct(mu, v[i]) : gradients[i] + mu * v[i]
            v[i] = vNew
            parameters[i] = KernelConfig.hasFMA ? parameters[i].addingProduct(-lr, vNew) : parameters[i] - lr * vNew
            i += 1
        }
    }
}
