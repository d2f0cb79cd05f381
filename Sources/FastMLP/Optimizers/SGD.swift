/// Stochastic gradient descent with momentum, in PyTorch's convention:
///
///     g ← g + wd·w            (weight decay, if any)
///     v ← μ·v + g
///     g ← g + μ·v  (Nesterov)   or   g ← v  (classical)
///     w ← w − lr·g
///
/// With μ = 0 the velocity is the gradient and this is plain SGD.
struct SGD {
    let learningRate: Float
    let momentum: Float
    let nesterov: Bool
    let weightDecay: Float

    @inline(__always)
    func update(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, velocity: UnsafeMutablePointer<Float>,
        range: Range<Int>
    ) {
        let mu = Vector(repeating: momentum), step = Vector(repeating: -learningRate)
        let decay = Vector(repeating: weightDecay)
        forEachVector(in: range) { i, lanes in
            let w = VectorMath.load(parameters + i, count: lanes)
            var g = VectorMath.load(gradients + i, count: lanes)
            if weightDecay != 0 { g = g.multiplyAdd(decay, w) }
            let v = g.multiplyAdd(mu, VectorMath.load(velocity + i, count: lanes))
            VectorMath.store(v, velocity + i, count: lanes)
            let direction = nesterov ? g.multiplyAdd(mu, v) : v
            VectorMath.store(w.multiplyAdd(step, direction), parameters + i, count: lanes)
        }
    }
}
