/// Loss and accuracy of a network on a labelled set, with the confusion matrix; for regression,
/// the error metrics instead.
public struct Evaluation: Equatable, Sendable, Codable {
    /// Mean loss per sample.
    public let loss: Double
    /// Fraction of samples whose predicted class is the label (0 for regression).
    public let accuracy: Double
    /// The number of samples evaluated.
    public let count: Int
    /// `confusion[truth][prediction]` counts (empty for regression).
    public let confusion: [[Int]]
    /// Mean squared error, mean absolute error and R² (regression only).
    public let regression: RegressionMetrics?

    /// An evaluation with the given values.
    @_spi(Tools) public init(loss: Double, accuracy: Double, count: Int, confusion: [[Int]], regression: RegressionMetrics? = nil) {
        self.loss = loss
        self.accuracy = accuracy
        self.count = count
        self.confusion = confusion
        self.regression = regression
    }
}

/// Errors of a regression, over every target of every sample, in the targets' own units.
public struct RegressionMetrics: Equatable, Sendable, Codable {
    /// Mean squared error.
    public let mse: Double
    /// Mean absolute error.
    public let mae: Double
    /// 1 − Σ(y − t)² / Σ(t − t̄)², each target column against its own mean.
    public let r2: Double
}

extension Network {
    /// Loss, accuracy and the confusion matrix (regression: MSE, MAE and R²) of the network on
    /// `data` with `loss`.
    ///
    /// Classification predicts the highest output (for a single sigmoid output trained with
    /// binary cross-entropy: class 1 when the output is above ½). Regression compares the
    /// outputs with the targets; `targetScales` (a standardisation's) converts the errors back to
    /// the targets' original units.
    ///
    /// - Throws: ``ModelError/inputWidthMismatch(expected:actual:)`` when the data's width is not
    ///   the model's input, ``ModelError/incompatibleData(_:)`` when its labels or targets do not fit the outputs.
    @_spi(Tools) public func evaluate(on data: Dataset, loss: Loss, targetScales: [Float]? = nil) throws(ModelError) -> Evaluation {
        try evaluate(on: data, loss: loss, chunkSize: 1000, pool: nil, targetScales: targetScales)
    }

    /// ``evaluate(on:loss:targetScales:)`` in chunks of `chunkSize` samples (one workspace for
    /// the whole call), on `pool`'s threads.
    func evaluate(
        on data: Dataset, loss: Loss, chunkSize: Int, pool: ThreadPool?, targetScales: [Float]?
    ) throws(ModelError) -> Evaluation {
        try checkCompatible(with: data, loss: loss)
        let outputs = architecture.outputCount
        let classes = loss == .binaryCrossEntropy ? 2 : outputs
        var confusion = data.isRegression ? [] : Array(repeating: Array(repeating: 0, count: classes), count: classes)
        var total: Double = 0
        var correct = 0
        var predictions: [Float] = []
        forEachBatch(of: data, chunkSize: chunkSize, activateOutput: !loss.consumesLogits, pool: pool) { output, labels, targets, rows in
            total += loss.evaluate(
                output: output, labels: labels, targets: targets, rows: rows, columns: outputs,
                outputActivation: architecture.outputActivation, gradient: nil, gradientScale: 0)
            if data.isRegression {
                predictions += UnsafeBufferPointer(start: output, count: rows * outputs)
                return
            }
            for r in 0..<rows {
                let predicted = loss == .binaryCrossEntropy ? (output[r] > 0 ? 1 : 0) : argmax(output + r * outputs, count: outputs)
                let truth = Int(labels[r])
                confusion[truth][predicted] += 1
                if predicted == truth { correct += 1 }
            }
        }
        let n = max(data.count, 1)
        let regression = data.isRegression
            ? regressionMetrics(predictions: predictions, targets: data.targets, columns: outputs, scales: targetScales) : nil
        return Evaluation(
            loss: total / Double(n), accuracy: Double(correct) / Double(n), count: data.count, confusion: confusion,
            regression: regression)
    }

    /// The predicted output of every sample: the highest output, or for one output (a sigmoid
    /// trained with binary cross-entropy) class 1 when it is above ½ (see ``evaluate(on:loss:targetScales:)``).
    @_spi(Tools) public func predictions(for data: Dataset, loss: Loss = .softmaxCrossEntropy) throws(ModelError) -> [Int] {
        try predictions(for: data, loss: loss, chunkSize: 1000, pool: nil)
    }

    /// ``predictions(for:loss:)`` in chunks of `chunkSize` samples, on `pool`'s threads.
    func predictions(for data: Dataset, loss: Loss, chunkSize: Int, pool: ThreadPool?) throws(ModelError) -> [Int] {
        try checkCompatible(with: data, loss: loss)
        var result: [Int] = []
        result.reserveCapacity(data.count)
        let outputs = architecture.outputCount
        forEachBatch(of: data, chunkSize: chunkSize, activateOutput: false, pool: pool) { output, _, _, rows in
            for r in 0..<rows {
                result.append(outputs == 1 ? (output[r] > 0 ? 1 : 0) : argmax(output + r * outputs, count: outputs))
            }
        }
        return result
    }

    /// The network's outputs (after the output activation) for `count` samples of `inputCount`
    /// features each, row-major.
    public func outputs(for features: [Float], count: Int) throws(ModelError) -> [Float] {
        guard features.count == count * architecture.inputCount else {
            throw .inputWidthMismatch(expected: architecture.inputCount, actual: count > 0 ? features.count / count : 0)
        }
        guard count > 0 else { return [] }
        let workspace = Workspace(architecture: architecture, capacity: count)
        features.withUnsafeBufferPointer { workspace.activations[0].base.update(from: $0.baseAddress!, count: features.count) }
        FloatControl.withSubnormalsFlushed { forward(workspace, count: count) }
        return Array(UnsafeBufferPointer(start: workspace.activations[architecture.layerCount].base, count: count * architecture.outputCount))
    }

    func checkCompatible(with data: Dataset, loss: Loss) throws(ModelError) {
        guard data.featureCount == architecture.inputCount else {
            throw .inputWidthMismatch(expected: architecture.inputCount, actual: data.featureCount)
        }
        if data.isRegression {
            guard data.targetCount == architecture.outputCount, loss == .meanSquaredError else {
                throw .incompatibleData(
                    "the data has \(data.targetCount) regression targets; the model needs as many outputs (it has \(architecture.outputCount)) and the mean-squared-error loss")
            }
            return
        }
        let classes = loss == .binaryCrossEntropy ? 2 : architecture.outputCount
        guard data.classCount <= classes else {
            throw .incompatibleData(
                "the data has \(data.classCount) classes but the model has \(architecture.outputCount) outputs")
        }
    }

    private func forEachBatch(
        of data: Dataset, chunkSize: Int, activateOutput: Bool, pool: ThreadPool?,
        _ body: (UnsafePointer<Float>, UnsafePointer<Int32>, UnsafePointer<Float>?, Int) -> Void
    ) {
        let capacity = max(1, min(chunkSize, data.count))
        let workspace = Workspace(architecture: architecture, capacity: capacity, pool: pool)
        var labels = [Int32](repeating: 0, count: capacity)
        var targets = [Float](repeating: 0, count: data.isRegression ? capacity * data.targetCount : 0)
        var indices = [Int32](repeating: 0, count: capacity)
        var start = 0
        FloatControl.withSubnormalsFlushed {
            while start < data.count {
                let rows = min(capacity, data.count - start)
                for r in 0..<rows { indices[r] = Int32(start + r) }
                labels.withUnsafeMutableBufferPointer { labelBuffer in
                    targets.withUnsafeMutableBufferPointer { targetBuffer in
                        // Only regression has targets (an empty buffer may still have an address).
                        let batchTargets = data.isRegression ? targetBuffer.baseAddress : nil
                        indices.withUnsafeBufferPointer { indexBuffer in
                            data.gather(
                                UnsafeBufferPointer(rebasing: indexBuffer[0..<rows]),
                                into: workspace.activations[0].base, labels: labelBuffer.baseAddress!,
                                targets: batchTargets, pool: pool)
                        }
                        forward(workspace, count: rows, activateOutput: activateOutput)
                        body(
                            workspace.activations[architecture.layerCount].base, labelBuffer.baseAddress!,
                            batchTargets.map { UnsafePointer($0) }, rows)
                    }
                }
                start += rows
            }
        }
    }
}

/// MSE, MAE and R² of `predictions` against `targets` (both `rows × columns`), with errors scaled
/// per column by `scales` when given.
func regressionMetrics(predictions: [Float], targets: [Float], columns: Int, scales: [Float]?) -> RegressionMetrics {
    let rows = targets.count / max(columns, 1)
    var means = [Double](repeating: 0, count: columns)
    for r in 0..<rows { for j in 0..<columns { means[j] += Double(targets[r * columns + j]) } }
    for j in 0..<columns { means[j] /= Double(max(rows, 1)) }
    var squared = 0.0, absolute = 0.0, variance = 0.0
    for r in 0..<rows {
        for j in 0..<columns {
            let scale = Double(scales?[j] ?? 1)
            let error = (Double(predictions[r * columns + j]) - Double(targets[r * columns + j])) * scale
            let deviation = (Double(targets[r * columns + j]) - means[j]) * scale
            squared += error * error
            absolute += abs(error)
            variance += deviation * deviation
        }
    }
    let n = Double(max(rows * columns, 1))
    return RegressionMetrics(mse: squared / n, mae: absolute / n, r2: variance > 0 ? 1 - squared / variance : 0)
}

/// The index of the largest of `count` values (the first on ties).
func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for j in 1..<max(count, 1) where x[j] > x[best] { best = j }
    return best
}

/// Precision, recall, F1 and support of one class, from a confusion matrix.
public struct ClassMetrics: Equatable, Sendable, Codable {
    /// True positives over predicted positives.
    public let precision: Double
    /// True positives over actual positives.
    public let recall: Double
    /// The harmonic mean of precision and recall.
    public let f1: Double
    /// The number of samples whose true label is this class.
    public let support: Int
}

extension Evaluation {
    /// Per-class precision (TP / predicted), recall (TP / actual), F1 (their harmonic mean) and
    /// support, in class order; a ratio with a zero denominator is 0, as scikit-learn reports it.
    public var classMetrics: [ClassMetrics] {
        let classes = confusion.count
        return (0..<classes).map { c in
            let truePositives = Double(confusion[c][c])
            let actual = confusion[c].reduce(0, +)
            let predicted = (0..<classes).reduce(0) { $0 + confusion[$1][c] }
            let precision = predicted > 0 ? truePositives / Double(predicted) : 0
            let recall = actual > 0 ? truePositives / Double(actual) : 0
            let f1 = precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0
            return ClassMetrics(precision: precision, recall: recall, f1: f1, support: actual)
        }
    }

    /// The unweighted mean of the per-class metrics (scikit-learn's "macro avg").
    public var macroAverage: ClassMetrics {
        let metrics = classMetrics
        let n = Double(max(metrics.count, 1))
        return ClassMetrics(
            precision: metrics.reduce(0) { $0 + $1.precision } / n, recall: metrics.reduce(0) { $0 + $1.recall } / n,
            f1: metrics.reduce(0) { $0 + $1.f1 } / n, support: metrics.reduce(0) { $0 + $1.support })
    }
}
