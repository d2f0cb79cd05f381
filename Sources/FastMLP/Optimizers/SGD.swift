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

    /// How far ahead of the update its lines are asked for in a writable state, in floats: 1 KiB,
    /// or on AMD family 25 (Zen 4) the line being updated itself, which still takes it from the
    /// other core in one request rather than a read and then an invalidation. There 1 KiB ahead
    /// measured slower everywhere the update leaves L2 or its lines move between cores (family 25,
    /// `epoch --breakdown`, runs alternating, the update against the weight gradients of the
    /// same runs: `mlp-wide` one thread 0.247–0.290 → 0.218–0.238 (5 pairs), two threads in a
    /// quiet spell 0.254–0.256 → 0.202 with the step 5147–5150 → 4944 µs; `mlp-128` two threads
    /// against the first layer's 0.408–0.455 → 0.390–0.440; `seed-sigmoid` two threads
    /// 0.622–0.653 → 0.560–0.582; one thread the same). No prefetch at all measured as the
    /// current line.
    static let prefetchDistance = fastmlp_amd_family25() != 0 ? 0 : 256

    @inline(__always)
    func update(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>, velocity: UnsafeMutablePointer<Float>,
        range: Range<Int>
    ) {
        let mu = Vector(repeating: momentum), step = Vector(repeating: -learningRate)
        let decay = Vector(repeating: weightDecay)
        let ahead = SGD.prefetchDistance
        forEachVector(in: range) { i, lanes in
            // Ask for w's and v's lines `ahead` in a writable state. On two threads the other
            // core has just read these rows of W in its row tiles, and each store would otherwise
            // wait for its line's invalidation in turn (two threads, cores near, family 26, µs a
            // step: `mlp-128` update 8.1–8.3 → 6.4–6.9, step 49.6–51.7 → 46.8–47.7; `seed-sigmoid`
            // update 25 → 17.7 with the cores far apart). One thread: the same within noise.
            fastmlp_prefetch_write(parameters + i + ahead)
            fastmlp_prefetch_write(velocity + i + ahead)
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
