import Foundation

extension Trainer {
    /// The trainer's complete state, to save and later resume with ``init(resuming:epochs:threads:)``.
    public func checkpoint() -> Checkpoint {
        let optimizers = (hogwild?.optimizers ?? [optimizer]).map {
            Checkpoint.OptimizerState(steps: $0.steps, first: $0.first.array, second: $0.second.array)
        }
        return Checkpoint(
            configuration: configuration, completedEpochs: completedEpochs, completedSteps: completedSteps,
            epochPosition: epochPosition, epochLossSum: epochLossSum, shufflerState: shufflerState, order: order,
            parameters: network.parameterValues, optimizers: optimizers, history: history, earlyStopping: earlyStopping)
    }


    /// A trainer that continues the run saved in `checkpoint`, with its network restored.
    /// `epochs` and `threads` may differ from the checkpoint's (a synchronous run's results do
    /// not depend on the thread count; the total number of epochs shapes a cosine schedule).
    public convenience init(resuming checkpoint: Checkpoint, epochs: Int? = nil, threads: Int? = nil) throws(ModelError) {
        var configuration = checkpoint.configuration
        if let epochs { configuration.epochs = epochs }
        if let threads { configuration.threads = threads }
        let network = try Network(architecture: try configuration.architecture(), parameters: checkpoint.parameters)
        try self.init(network: network, configuration: configuration)
        let targets = hogwild?.optimizers ?? [optimizer]
        guard targets.count == checkpoint.optimizers.count || configuration.mode == .hogwild else {
            throw .checkpointMismatch("the checkpoint holds \(checkpoint.optimizers.count) optimiser states, this run needs \(targets.count)")
        }
        for (index, target) in targets.enumerated() {
            let state = checkpoint.optimizers[min(index, checkpoint.optimizers.count - 1)]
            guard state.first.count == target.first.count, state.second.count == target.second.count else {
                throw .checkpointMismatch("the checkpoint's optimiser state does not fit \(configuration.optimizer.kind)")
            }
            state.first.withUnsafeBufferPointer { target.first.base.update(from: $0.baseAddress!, count: $0.count) }
            state.second.withUnsafeBufferPointer { if let base = $0.baseAddress { target.second.base.update(from: base, count: $0.count) } }
            target.steps = state.steps
        }
        restore(
            completedEpochs: checkpoint.completedEpochs, completedSteps: checkpoint.completedSteps,
            epochPosition: checkpoint.epochPosition, epochLossSum: checkpoint.epochLossSum,
            shufflerState: checkpoint.shufflerState, order: checkpoint.order)
        history = checkpoint.history
        if let stopping = checkpoint.earlyStopping { earlyStopping = stopping }
    }
}
