/// Early stopping on a validation loss, keeping the best weights seen.
///
/// After every epoch, `update(validationLoss:epoch:network:)` records whether the loss
/// improved on the best so far (keeping a copy of those weights) and says whether to stop:
/// after `patience` epochs in a row without improvement. `restoreBest(into:)` puts the best
/// weights back. A value type, saved in checkpoints, so a resumed run stops where the
/// uninterrupted one would.
@_spi(Tools) public struct EarlyStopping: Equatable, Sendable {
    /// Epochs without improvement before stopping.
    public let patience: Int
    /// The lowest validation loss so far.
    public private(set) var bestLoss: Double = .infinity
    /// The epoch that reached it (0: none yet).
    public private(set) var bestEpoch = 0
    /// Epochs since then.
    public private(set) var epochsWithoutImprovement = 0
    var bestParameters: [Float] = []

    /// Early stopping after `patience` epochs without improvement.
    public init(patience: Int) {
        self.patience = patience
    }

    init(patience: Int, bestLoss: Double, bestEpoch: Int, epochsWithoutImprovement: Int, bestParameters: [Float]) {
        self.patience = patience
        self.bestLoss = bestLoss
        self.bestEpoch = bestEpoch
        self.epochsWithoutImprovement = epochsWithoutImprovement
        self.bestParameters = bestParameters
    }

    /// Records an epoch's validation loss; returns true when training should stop.
    public mutating func update(validationLoss: Double, epoch: Int, network: Network) -> Bool {
        if validationLoss < bestLoss {
            bestLoss = validationLoss
            bestEpoch = epoch
            epochsWithoutImprovement = 0
            bestParameters = network.parameterValues
        } else {
            epochsWithoutImprovement += 1
        }
        return epochsWithoutImprovement >= patience
    }

    /// Copies the best weights seen back into `network` (nothing if no epoch was recorded).
    public func restoreBest(into network: Network) {
        guard bestParameters.count == network.architecture.parameterCount else { return }
        bestParameters.withUnsafeBufferPointer { network.parameters.base.update(from: $0.baseAddress!, count: $0.count) }
    }
}
