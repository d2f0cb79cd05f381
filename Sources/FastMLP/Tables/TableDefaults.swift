extension TableEncoding {
    /// The loss a table trains with unless told otherwise: binary cross-entropy on one sigmoid
    /// output for two classes, softmax cross-entropy for more, mean squared error for regression.
    @_spi(Tools) public var defaultLoss: Loss {
        switch task {
        case .regression: .meanSquaredError
        case .classification: classNames.count == 2 ? .binaryCrossEntropy : .softmaxCrossEntropy
        }
    }

    /// The network outputs the task needs with `loss`: one per class for softmax
    /// cross-entropy, otherwise one.
    @_spi(Tools) public func outputCount(for loss: Loss) -> Int {
        task == .classification && loss == .softmaxCrossEntropy ? classNames.count : 1
    }
}

extension TrainingConfiguration {
    /// The recipe a table trains with when nothing else is asked for: one hidden layer of 64
    /// ReLU units, Adam at 0.001 on batches of 32, up to 200 epochs, stopping after 20 without a
    /// better loss on a validation fifth of the training table and keeping the best weights.
    /// The loss is `loss`, or the one for the encoding's task (softmax cross-entropy for classes, binary cross-entropy for two, MSE for values).
    public init(table encoding: TableEncoding, loss: Loss? = nil) {
        self.init()
        let loss = loss ?? encoding.defaultLoss
        self.loss = loss
        layers = [encoding.inputCount, 64, encoding.outputCount(for: loss)]
        optimizer = OptimizerConfiguration(kind: .adam, learningRate: 0.001)
        batchSize = 32
        epochs = 200
        validationSplit = 0.2
        patience = 20
    }
}
