/// The training objective, averaged over the samples of a batch.
public enum Loss: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// −log softmax(z)[label], computed from the logits z with log-sum-exp, so it is finite
    /// for any finite logits; requires a softmax output layer and fuses with it
    /// (∂/∂z = softmax(z) − onehot).
    case softmaxCrossEntropy = "softmax-ce"
    /// Mean over the outputs of (y − t)², t the one-hot label or the regression target: the
    /// convention of PyTorch's `MSELoss` and Keras' `mse`. With two outputs it equals ½ Σ (y − t)².
    case meanSquaredError = "mse"
    /// Binary cross-entropy −t log σ(z) − (1 − t) log(1 − σ(z)) for one sigmoid output and a 0/1
    /// label, computed from the logit as max(z, 0) − z·t + log(1 + e^−|z|), so it is finite for
    /// any finite z; fuses with the sigmoid (∂/∂z = σ(z) − t).
    case binaryCrossEntropy = "bce"

    public var description: String { rawValue }

    /// The output activation used when none is named: softmax for cross-entropy, identity for MSE.
    var defaultOutputActivation: Activation {
        switch self {
        case .softmaxCrossEntropy: return .softmax
        case .meanSquaredError: return .identity
        case .binaryCrossEntropy: return .sigmoid
        }
    }

    /// The output activation this loss is fused with, if any (its output layer must have it).
    var requiredOutputActivation: Activation? {
        switch self {
        case .softmaxCrossEntropy: return .softmax
        case .binaryCrossEntropy: return .sigmoid
        case .meanSquaredError: return nil
        }
    }

    /// Whether the network should leave logits in its output buffer for this loss.
    var consumesLogits: Bool { self != .meanSquaredError }

    /// The summed per-sample loss of `rows` outputs against class labels; when `gradient` is
    /// given, also writes ∂(Σ loss)/∂z · `gradientScale` for the output layer's pre-activation z
    /// (pass 1/batch for the mean).
    ///
    /// `output` holds logits for the cross-entropies and activated outputs for MSE. With
    /// `targets` (regression, `rows × columns`), MSE compares with them instead of one-hot labels.
    /// With `rowLosses`, each row's loss is also written there (for a sum over a batch in row
    /// order, whatever tiles evaluated it).
    func evaluate(
        output: UnsafePointer<Float>, labels: UnsafePointer<Int32>, targets: UnsafePointer<Float>? = nil,
        rows: Int, columns: Int, outputActivation: Activation, gradient: UnsafeMutablePointer<Float>?,
        gradientScale: Float, rowLosses: UnsafeMutablePointer<Double>? = nil
    ) -> Double {
        var total: Double = 0
        for r in 0..<rows {
            var rowLoss: Double = 0
            defer {
                total += rowLoss
                rowLosses?[r] = rowLoss
            }
            let y = output + r * columns
            let label = targets == nil ? Int(labels[r]) : -1
            @inline(__always) func target(_ j: Int) -> Float {
                if let targets { return targets[r * columns + j] }
                return j == label ? 1 : 0
            }
            switch self {
            case .binaryCrossEntropy:
                let z = y[0]
                let t = targets.map { $0[r] } ?? Float(labels[r])
                rowLoss = Double(max(z, 0) - z * t + _log1pFloat(_exp(-abs(z))))
                if let g = gradient?.advanced(by: r * columns) {
                    g[0] = (1 / (1 + _exp(-z)) - t) * gradientScale
                }
            case .softmaxCrossEntropy:
                var maximum = -Float.infinity
                for j in 0..<columns { maximum = max(maximum, y[j]) }
                var sum: Float = 0
                if let g = gradient?.advanced(by: r * columns) {
                    // e^(z − max) once, kept in the gradient row until the sum is known.
                    for j in 0..<columns {
                        g[j] = _exp(y[j] - maximum)
                        sum += g[j]
                    }
                    let scale = gradientScale / sum
                    for j in 0..<columns { g[j] *= scale }
                    g[label] -= gradientScale
                } else {
                    for j in 0..<columns { sum += _exp(y[j] - maximum) }
                }
                rowLoss = Double(maximum + _logFloat(sum) - y[label])
            case .meanSquaredError:
                var sum: Float = 0
                for j in 0..<columns {
                    let d = y[j] - target(j)
                    sum += d * d
                }
                rowLoss = Double(sum / Float(columns))
                if let g = gradient?.advanced(by: r * columns) {
                    let scale = 2 * gradientScale / Float(columns)
                    for j in 0..<columns { g[j] = (y[j] - target(j)) * scale }
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
