import FastMLP
import Foundation

// Trains a small MLP on part of the MNIST copy that ships with fastmlp, through the public API:
// a configuration, a network, a trainer with callbacks, early stopping, evaluation, a saved model.
guard let directory = MNIST.bundledDirectory else {
    FileHandle.standardError.write(Data("Error: the bundled MNIST was not found\n".utf8))
    exit(1)
}
do {
    let (fullTraining, fullTest) = try MNIST.load(from: directory)
    let training = fullTraining.prefix(12000)
    let test = fullTest.prefix(2000)

    var configuration = TrainingConfiguration()
    configuration.layers = [784, 64, 10]
    configuration.activation = .relu
    configuration.optimizer = OptimizerConfiguration(kind: .adam, learningRate: 0.002)
    configuration.batchSize = 64
    configuration.epochs = 4
    configuration.patience = 2
    configuration.validationSplit = 0.1   // held out of `training` by fit, watched by early stopping
    configuration.threads = 2
    configuration.seed = 7

    let trainer = try Trainer(configuration: configuration)
    let result = try trainer.fit(on: training, test: test) { report in
        print("epoch \(report.epoch): train loss \(report.trainLoss), validation loss \(report.validationLoss ?? .nan)")
        return .continue
    }
    let evaluation = try trainer.evaluate(on: test)
    print("epochs \(result.history.count), test accuracy \(evaluation.accuracy)")
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("train-small-\(getpid()).fmlp")
    try ModelFile.save(SavedModel(network: trainer.network, loss: configuration.loss), to: file)
    let reloaded = try ModelFile.load(from: file)
    try? FileManager.default.removeItem(at: file)
    print("reloaded accuracy \(try reloaded.evaluate(on: test).accuracy)")
} catch {
    FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
    exit(1)
}
