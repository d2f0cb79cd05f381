/// Adam and AdamW, in PyTorch's formulation (step t counts from 1):
///
///     g ← g + wd·w                     (Adam with weight decay: L2 in the gradient)
///     w ← w − lr·wd·w                  (AdamW: decay decoupled from the gradient)
///     m ← β1·m + (1 − β1)·g
///     v ← β2·v + (1 − β2)·g²
///     w ← w − (lr / (1 − β1ᵗ)) · m / (√v / √(1 − β2ᵗ) + ε)
struct Adam {
    let learningRate: Float
    let beta1: Float
    let beta2: Float
    let epsilon: Float
    let weightDecay: Float
    let decoupled: Bool
    let step: Int

    @inline(__always)
    func update(
        parameters: UnsafeMutablePointer<Float>, gradients: UnsafePointer<Float>,
        m: UnsafeMutablePointer<Float>, v: UnsafeMutablePointer<Float>, range: Range<Int>
    ) {
        // Bias corrections in Double, rounded once, as PyTorch computes them on the host.
        let correction1 = 1 - _powDouble(Double(beta1), Double(step))
        let correction2 = 1 - _powDouble(Double(beta2), Double(step))
        let stepSize = Vector(repeating: -Float(Double(learningRate) / correction1))
        let correction2Root = Vector(repeating: Float(correction2.squareRoot()))
        let b1 = Vector(repeating: beta1), b2 = Vector(repeating: beta2)
        let oneMinusB1 = Vector(repeating: 1 - beta1), oneMinusB2 = Vector(repeating: 1 - beta2)
        let eps = Vector(repeating: epsilon), decay = Vector(repeating: weightDecay)
        let shrink = Vector(repeating: 1 - learningRate * weightDecay)
        forEachVector(in: range) { i, lanes in
            var w = VectorMath.load(parameters + i, count: lanes)
            var g = VectorMath.load(gradients + i, count: lanes)
            if weightDecay != 0 {
                if decoupled { w *= shrink } else { g = g.multiplyAdd(decay, w) }
            }
            let mNew = (oneMinusB1 * g).multiplyAdd(b1, VectorMath.load(m + i, count: lanes))
            let vNew = (oneMinusB2 * g * g).multiplyAdd(b2, VectorMath.load(v + i, count: lanes))
            VectorMath.store(mNew, m + i, count: lanes)
            VectorMath.store(vNew, v + i, count: lanes)
            let denominator = vNew.vectorSquareRoot() / correction2Root + eps
            VectorMath.store(w.multiplyAdd(stepSize, mNew / denominator), parameters + i, count: lanes)
        }
    }
}
