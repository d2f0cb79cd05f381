/// The training objective, averaged over the samples of a batch.
public enum Loss: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// −log softmax(z)[label], computed from the logits z with log-sum-exp, so it is finite
    /// for any finite logits; requires a softmax output layer and fuses with it
    /// (∂/∂z = softmax(z) − onehot).
    case softmaxCrossEntropy = "softmax-ce"
    /// Mean over the outputs of (y − t)², t the one-hot label: the convention of PyTorch's
    /// `MSELoss` and Keras' `mse`. With two outputs it equals ½ Σ (y − t)².
    case meanSquaredError = "mse"

    public var description: String { rawValue }

    /// The output activation used when none is named: softmax for cross-entropy, identity for MSE.
    public var defaultOutputActivation: Activation {
        switch self {
        case .softmaxCrossEntropy: return .softmax
        case .meanSquaredError: return .identity
        }
    }

    /// Whether the network should leave logits in its output buffer for this loss.
    var consumesLogits: Bool { self == .softmaxCrossEntropy }

    /// The summed per-sample loss of `rows` outputs against class labels; when `gradient` is
    /// given, also writes ∂(Σ loss)/∂z · `gradientScale` for the output layer's pre-activation z
    /// (pass 1/batch for the mean).
    ///
    /// `output` holds logits for cross-entropy and activated outputs for MSE.
    func evaluate(
        output: UnsafePointer<Float>, labels: UnsafePointer<Int32>, rows: Int, columns: Int,
        outputActivation: Activation, gradient: UnsafeMutablePointer<Float>?, gradientScale: Float
    ) -> Double {
        var total: Double = 0
        for r in 0..<rows {
            let y = output + r * columns
            let label = Int(labels[r])
            switch self {
            case .softmaxCrossEntropy:
                var maximum = -Float.infinity
                for j in 0..<columns { maximum = max(maximum, y[j]) }
                var sum: Float = 0
                for j in 0..<columns { sum += _exp(y[j] - maximum) }
                total += Double(maximum + _logFloat(sum) - y[label])
                if let g = gradient?.advanced(by: r * columns) {
                    let scale = gradientScale / sum
                    for j in 0..<columns { g[j] = _exp(y[j] - maximum) * scale }
                    g[label] -= gradientScale
                }
            case .meanSquaredError:
                var sum: Float = 0
                for j in 0..<columns {
                    let d = y[j] - (j == label ? 1 : 0)
                    sum += d * d
                }
                total += Double(sum / Float(columns))
                if let g = gradient?.advanced(by: r * columns) {
                    let scale = 2 * gradientScale / Float(columns)
                    for j in 0..<columns { g[j] = (y[j] - (j == label ? 1 : 0)) * scale }
                    if outputActivation == .softmax {
                        // Softmax Jacobian: ∂/∂zᵢ = yᵢ (gᵢ − Σⱼ gⱼ yⱼ).
                        var dot: Float = 0
                        for j in 0..<columns { dot += g[j] * y[j] }
                        for j in 0..<columns { g[j] = y[j] * (g[j] - dot) }
                    } else {
                        for j in 0..<columns { g[j] *= outputActivation.derivative(fromOutput: y[j]) }
                    }
                }
            }
        }
        return total
    }
}
