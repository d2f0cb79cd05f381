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
