/// Naive, obviously correct implementations: the oracle that every fast kernel is tested
/// against, and a readable statement of what the fast code computes.
@_spi(Benchmarks)
public enum Reference {
    /// C = A·B (m × k times k × n), or C += A·B when `accumulate`, in the plain triple loop with
    /// a `Double` accumulator.
    static func gemm(
        m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
        c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false
    ) {
        for i in 0..<m {
            for j in 0..<n {
                var sum: Double = accumulate ? Double(c[i * ldc + j]) : 0
                for p in 0..<k { sum += Double(a[i, p]) * Double(b[p, j]) }
                c[i * ldc + j] = Float(sum)
            }
        }
    }

    /// Applies an epilogue to C = A·B element by element, as the fast GEMM does in registers.
    public static func gemm(
        m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
        c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue
    ) {
        if case .accumulate = epilogue {
            gemm(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc, accumulate: true)
            return
        }
        gemm(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc)
        for i in 0..<m {
            for j in 0..<n {
                let x = c[i * ldc + j]
                switch epilogue {
                case .store, .accumulate: break
                case .biasActivation(let bias, let activation, let dropout):
                    c[i * ldc + j] = activation.apply(x + bias[j]) * (dropout?.factor(row: i, column: j) ?? 1)
                case .activationGradient(let output, let stride, let activation, let dropout):
                    if let dropout {
                        let mask = dropout.factor(row: i, column: j)
                        c[i * ldc + j] = x * activation.derivative(fromOutput: output[i * stride + j] * dropout.keep) * mask
                    } else {
                        c[i * ldc + j] = x * activation.derivative(fromOutput: output[i * stride + j])
                    }
                }
            }
        }
    }
}

extension Reference {
    /// Forward pass in `Double` with plain loops: the activations of every layer for `count`
    /// rows of `input` (layer 0 is the input). A softmax output is applied unless
    /// `activateOutput` is false (then the last entry holds the logits).
    /// `dropout` applies each hidden layer's mask, as the fast path does.
    static func forward(
        _ architecture: Architecture, parameters: [Double], input: [Double], count: Int, activateOutput: Bool = true,
        dropout: Dropout? = nil
    ) -> [[Double]] {
        var activations = [input]
        var offset = 0
        for l in 0..<architecture.layerCount {
            let (inputs, outputs) = (architecture.layerSizes[l], architecture.layerSizes[l + 1])
            let isOutput = l == architecture.layerCount - 1
            let activation = isOutput && !activateOutput ? .identity : architecture.activations[l]
            let x = activations[l]
            var y = [Double](repeating: 0, count: count * outputs)
            for r in 0..<count {
                for j in 0..<outputs {
                    var sum = parameters[offset + inputs * outputs + j]
                    for i in 0..<inputs { sum += x[r * inputs + i] * parameters[offset + i * outputs + j] }
                    let factor = l < architecture.layerCount - 1
                        ? Double(dropout?.mask(layer: l, width: outputs).factor(row: r, column: j) ?? 1) : 1
                    y[r * outputs + j] = apply(activation, sum) * factor
                }
                if activation == .softmax {
                    let row = y[(r * outputs)..<((r + 1) * outputs)]
                    let maximum = row.max() ?? 0
                    let exps = row.map { _expDouble($0 - maximum) }
                    let total = exps.reduce(0, +)
                    for j in 0..<outputs { y[r * outputs + j] = exps[j] / total }
                }
            }
            activations.append(y)
            offset += inputs * outputs + outputs
        }
        return activations
    }

    /// The mean loss of a batch against class labels, from ``forward(_:parameters:input:count:activateOutput:)``.
    static func loss(
        _ architecture: Architecture, loss: Loss, parameters: [Double], input: [Double], labels: [Int], count: Int,
        dropout: Dropout? = nil
    ) -> Double {
        let n = architecture.outputCount
        // Logits for the cross-entropies (which fuse their activation), outputs for MSE.
        let y = forward(
            architecture, parameters: parameters, input: input, count: count, activateOutput: !loss.consumesLogits,
            dropout: dropout).last!
        var total = 0.0
        for r in 0..<count {
            let row = Array(y[(r * n)..<((r + 1) * n)])
            switch loss {
            case .softmaxCrossEntropy:
                let maximum = row.max() ?? 0
                total += maximum + _log(row.map { _expDouble($0 - maximum) }.reduce(0, +)) - row[labels[r]]
            case .binaryCrossEntropy:
                let z = row[0], t = Double(labels[r])
                total += max(z, 0) - z * t + _log(1 + _expDouble(-abs(z)))
            case .meanSquaredError:
                let outputs = row
                for j in 0..<n {
                    let d = outputs[j] - (j == labels[r] ? 1 : 0)
                    total += d * d / Double(n)
                }
            }
        }
        return total / Double(count)
    }

    /// ∂(mean loss)/∂parameters by back-propagation with plain loops in `Double`.
    static func gradient(
        _ architecture: Architecture, loss: Loss, parameters: [Double], input: [Double], labels: [Int], count: Int,
        dropout: Dropout? = nil
    ) -> [Double] {
        let activations = forward(architecture, parameters: parameters, input: input, count: count, dropout: dropout)
        let n = architecture.outputCount
        let output = activations[architecture.layerCount]
        // ∂loss/∂z of the output layer.
        var delta = [Double](repeating: 0, count: count * n)
        for r in 0..<count {
            let y = Array(output[(r * n)..<((r + 1) * n)])
            for j in 0..<n {
                let t: Double = j == labels[r] ? 1 : 0
                switch loss {
                case .softmaxCrossEntropy:
                    delta[r * n + j] = (y[j] - t) / Double(count)
                case .binaryCrossEntropy:
                    delta[r * n + j] = (y[j] - Double(labels[r])) / Double(count)
                case .meanSquaredError:
                    let g = { (k: Int) in 2 * (y[k] - (k == labels[r] ? 1 : 0)) / Double(n * count) }
                    if architecture.outputActivation == .softmax {
                        var dot = 0.0
                        for k in 0..<n { dot += g(k) * y[k] }
                        delta[r * n + j] = y[j] * (g(j) - dot)
                    } else {
                        delta[r * n + j] = g(j) * derivative(architecture.outputActivation, y[j])
                    }
                }
            }
        }
        var offsets: [Int] = []
        var offset = 0
        for l in 0..<architecture.layerCount {
            offsets.append(offset)
            offset += architecture.layerSizes[l] * architecture.layerSizes[l + 1] + architecture.layerSizes[l + 1]
        }
        var gradient = [Double](repeating: 0, count: parameters.count)
        for l in (0..<architecture.layerCount).reversed() {
            let (inputs, outputs) = (architecture.layerSizes[l], architecture.layerSizes[l + 1])
            let x = activations[l]
            for i in 0..<inputs {
                for j in 0..<outputs {
                    var sum = 0.0
                    for r in 0..<count { sum += x[r * inputs + i] * delta[r * outputs + j] }
                    gradient[offsets[l] + i * outputs + j] = sum
                }
            }
            for j in 0..<outputs {
                var sum = 0.0
                for r in 0..<count { sum += delta[r * outputs + j] }
                gradient[offsets[l] + inputs * outputs + j] = sum
            }
            guard l > 0 else { break }
            var previous = [Double](repeating: 0, count: count * inputs)
            for r in 0..<count {
                for i in 0..<inputs {
                    var sum = 0.0
                    for j in 0..<outputs { sum += delta[r * outputs + j] * parameters[offsets[l] + i * outputs + j] }
                    if let mask = dropout?.mask(layer: l - 1, width: inputs) {
                        let factor = Double(mask.factor(row: r, column: i))
                        previous[r * inputs + i] = sum * derivative(architecture.activations[l - 1], x[r * inputs + i] * Double(mask.keep)) * factor
                    } else {
                        previous[r * inputs + i] = sum * derivative(architecture.activations[l - 1], x[r * inputs + i])
                    }
                }
            }
            delta = previous
        }
        return gradient
    }

    private static func apply(_ activation: Activation, _ x: Double) -> Double {
        switch activation {
        case .identity, .softmax: return x
        case .relu: return max(x, 0)
        case .sigmoid: return 1 / (1 + _expDouble(-x))
        case .tanh: return 1 - 2 / (1 + _expDouble(2 * x))
        }
    }

    private static func derivative(_ activation: Activation, _ y: Double) -> Double {
        switch activation {
        case .identity, .softmax: return 1
        case .relu: return y > 0 ? 1 : 0
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        }
    }
}
