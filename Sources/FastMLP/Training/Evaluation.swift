/// Loss and accuracy of a network on a labelled set, with the confusion matrix.
public struct Evaluation: Equatable, Sendable, Codable {
    /// Mean loss per sample.
    public let loss: Double
    /// Fraction of samples whose highest-scoring output is the label.
    public let accuracy: Double
    public let count: Int
    /// `confusion[truth][prediction]` counts.
    public let confusion: [[Int]]
}

extension Network {
    /// Evaluates on `data` in chunks of `chunkSize` samples (one workspace for the whole call).
    ///
    /// - Throws: ``ModelError/inputWidthMismatch(expected:actual:)`` when the data's width is not
    ///   the model's input, ``ModelError/invalidConfiguration(_:)`` when it has more classes than outputs.
    public func evaluate(
        on data: Dataset, loss: Loss, chunkSize: Int = 1000, pool: ThreadPool? = nil
    ) throws(ModelError) -> Evaluation {
        try checkCompatible(with: data)
        let classes = architecture.outputCount
        var confusion = Array(repeating: Array(repeating: 0, count: classes), count: classes)
        var total: Double = 0
        var correct = 0
        forEachChunk(of: data, chunkSize: chunkSize, softmaxOutput: !loss.consumesLogits, pool: pool) { output, labels, rows in
            total += loss.evaluate(
                output: output, labels: labels, rows: rows, columns: classes,
                outputActivation: architecture.outputActivation, gradient: nil, gradientScale: 0)
            for r in 0..<rows {
                let predicted = argmax(output + r * classes, count: classes)
                let truth = Int(labels[r])
                confusion[truth][predicted] += 1
                if predicted == truth { correct += 1 }
            }
        }
        let n = max(data.count, 1)
        return Evaluation(loss: total / Double(n), accuracy: Double(correct) / Double(n), count: data.count, confusion: confusion)
    }

    /// The predicted class (index of the highest output) of every sample.
    public func predictions(for data: Dataset, chunkSize: Int = 1000, pool: ThreadPool? = nil) throws(ModelError) -> [Int] {
        try checkCompatible(with: data)
        var result: [Int] = []
        result.reserveCapacity(data.count)
        let classes = architecture.outputCount
        forEachChunk(of: data, chunkSize: chunkSize, softmaxOutput: false, pool: pool) { output, _, rows in
            for r in 0..<rows { result.append(argmax(output + r * classes, count: classes)) }
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
        forward(workspace, count: count)
        return Array(UnsafeBufferPointer(start: workspace.activations[architecture.layerCount].base, count: count * architecture.outputCount))
    }

    func checkCompatible(with data: Dataset) throws(ModelError) {
        guard data.featureCount == architecture.inputCount else {
            throw .inputWidthMismatch(expected: architecture.inputCount, actual: data.featureCount)
        }
        guard data.classCount <= architecture.outputCount else {
            throw .invalidConfiguration(
                "the data has \(data.classCount) classes but the model has \(architecture.outputCount) outputs")
        }
    }

    private func forEachChunk(
        of data: Dataset, chunkSize: Int, softmaxOutput: Bool, pool: ThreadPool?,
        _ body: (UnsafePointer<Float>, UnsafePointer<Int32>, Int) -> Void
    ) {
        let capacity = max(1, min(chunkSize, data.count))
        let workspace = Workspace(architecture: architecture, capacity: capacity, pool: pool)
        var labels = [Int32](repeating: 0, count: capacity)
        var indices = [Int32](repeating: 0, count: capacity)
        var start = 0
        while start < data.count {
            let rows = min(capacity, data.count - start)
            for r in 0..<rows { indices[r] = Int32(start + r) }
            labels.withUnsafeMutableBufferPointer { labelBuffer in
                indices.withUnsafeBufferPointer { indexBuffer in
                    data.gather(
                        UnsafeBufferPointer(rebasing: indexBuffer[0..<rows]),
                        into: workspace.activations[0].base, labels: labelBuffer.baseAddress!, pool: pool)
                }
                forward(workspace, count: rows, softmaxOutput: softmaxOutput)
                body(workspace.activations[architecture.layerCount].base, labelBuffer.baseAddress!, rows)
            }
            start += rows
        }
    }
}

/// The index of the largest of `count` values (the first on ties).
func argmax(_ x: UnsafePointer<Float>, count: Int) -> Int {
    var best = 0
    for j in 1..<max(count, 1) where x[j] > x[best] { best = j }
    return best
}

/// Precision, recall, F1 and support of one class, from a confusion matrix.
public struct ClassMetrics: Equatable, Sendable, Codable {
    public let precision: Double
    public let recall: Double
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
