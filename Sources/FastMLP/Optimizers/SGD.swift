import CPUFeatures

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

    /// How far ahead of the update its lines are prefetched, in floats (1 KiB).
    static let prefetchDistance = 256

    @inline(__always)
    func update(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, velocity: UnsafeMutablePointer<Float>,
        range: Range<Int>
    ) {
        let mu = Vector(repeating: momentum), step = Vector(repeating: -learningRate)
        let decay = Vector(repeating: weightDecay)
        forEachVector(in: range) { i, lanes in
            // Ask for w's and v's lines 1 KiB ahead in a writable state. On two threads the other
            // core has just read these rows of W in its row tiles, and each store would otherwise
            // wait for its line's invalidation in turn (two threads, cores near, family 26, µs a
            // step: `mlp-128` update 8.1–8.3 → 6.4–6.9, step 49.6–51.7 → 46.8–47.7; `seed-sigmoid`
            // update 25 → 17.7 with the cores far apart). One thread: the same within noise.
            fastmlp_prefetch_write(parameters + i + SGD.prefetchDistance)
            fastmlp_prefetch_write(velocity + i + SGD.prefetchDistance)
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
