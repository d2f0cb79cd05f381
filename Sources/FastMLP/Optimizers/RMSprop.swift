/// RMSprop in PyTorch's formulation (not centred):
///
///     g ← g + wd·w                     (weight decay, if any)
///     s ← α·s + (1 − α)·g²
///     d ← g / (√s + ε)
///     b ← μ·b + d,  w ← w − lr·b       (with momentum μ > 0)
///     w ← w − lr·d                     (without)
struct RMSprop {
    let learningRate: Float
    let alpha: Float
    let epsilon: Float
    let momentum: Float
    let weightDecay: Float

    @inline(__always)
    func update(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        squareAverage: UnsafeMutablePointer<Float>, momentumBuffer: UnsafeMutablePointer<Float>?, range: Range<Int>
    ) {
        let a = Vector(repeating: alpha), oneMinusA = Vector(repeating: 1 - alpha)
        let eps = Vector(repeating: epsilon), decay = Vector(repeating: weightDecay)
        let step = Vector(repeating: -learningRate), mu = Vector(repeating: momentum)
        forEachVector(in: range) { i, lanes in
            let w = VectorMath.load(parameters + i, count: lanes)
            var g = VectorMath.load(gradients + i, count: lanes)
            if weightDecay != 0 { g = g.multiplyAdd(decay, w) }
            let s = (oneMinusA * g * g).multiplyAdd(a, VectorMath.load(squareAverage + i, count: lanes))
            VectorMath.store(s, squareAverage + i, count: lanes)
            var direction = g / (s.vectorSquareRoot() + eps)
            if let buffer = momentumBuffer {
                direction = direction.multiplyAdd(mu, VectorMath.load(buffer + i, count: lanes))
                VectorMath.store(direction, buffer + i, count: lanes)
            }
            VectorMath.store(w.multiplyAdd(step, direction), parameters + i, count: lanes)
        }
    }
}
