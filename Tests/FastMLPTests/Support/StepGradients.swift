@_spi(Benchmarks) @testable import FastMLP

extension Network {
    /// The mean loss over a batch and the gradient of that mean, through the engine's training
    /// step (its row tiles, fused epilogues and weight-gradient tiles), on `threads` threads.
    func stepGradients(
        _ loss: Loss, input: [Float], labels: [Int], dropout: Dropout? = nil, threads: Int = 1
    ) throws -> (loss: Double, gradient: [Float]) {
        let count = labels.count
        let data = try Dataset(
            features: input, featureCount: architecture.inputCount, labels: labels.map(UInt8.init),
            classCount: max(2, (labels.max() ?? 0) + 1))
        let step = TrainingStep(
            network: self, loss: loss, optimizer: nil, capacity: count,
            pool: threads > 1 ? ThreadPool(threadCount: threads) : nil)
        let order = (0..<Int32(count)).map { $0 }
        let total = order.withUnsafeBufferPointer { step.gradients(on: data, indices: $0, dropout: dropout) }
        return (total / Double(count), step.workspace.gradients.array)
    }
}

extension TrainingStep {
    /// A softmax cross-entropy step with SGD (momentum 0.9) on `network`, for batches of up to
    /// `capacity`, on a pool of `threads` threads (none for one, unless `poolOfOne`).
    static func momentumSGD(
        network: Network, learningRate: Float, capacity: Int, threads: Int, poolOfOne: Bool = false
    ) -> TrainingStep {
        TrainingStep(
            network: network, loss: .softmaxCrossEntropy,
            optimizer: Optimizer(
                configuration: OptimizerConfiguration(learningRate: learningRate, momentum: 0.9),
                parameterCount: network.architecture.parameterCount),
            capacity: capacity, pool: threads > 1 || poolOfOne ? ThreadPool(threadCount: threads) : nil)
    }

    /// Runs over `order` in batches of `batch` rows, the n-th with dropout at `rate` (`runSeed`, step n).
    func run(on data: Dataset, order: [Int32], batch: Int, dropoutRate rate: Float, runSeed: UInt64) {
        order.withUnsafeBufferPointer { order in
            for (n, first) in stride(from: 0, to: order.count, by: batch).enumerated() {
                _ = run(
                    on: data, indices: UnsafeBufferPointer(rebasing: order[first..<min(order.count, first + batch)]),
                    dropout: Dropout(rate: rate, runSeed: runSeed, step: n))
            }
        }
    }
}
