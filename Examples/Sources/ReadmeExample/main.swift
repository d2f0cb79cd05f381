import FastMLP
import Foundation

let (training, test) = try MNIST.load(from: MNIST.bundledDirectory!)   // or any directory of the four IDX files
var configuration = TrainingConfiguration()   // the defaults are mlp-128: 784-128-10 ReLU, SGD lr 0.05, momentum 0.9
configuration.layers = [784, 256, 10]
configuration.epochs = 3
let trainer = try Trainer(configuration: configuration)   // a new network, seeded by configuration.seed
try trainer.fit(on: training, test: test) { report in
    print("epoch \(report.epoch): train loss \(report.trainLoss), test accuracy \(report.testAccuracy ?? 0)")
    return .continue
}
let file = URL(fileURLWithPath: "mlp.fmlp")
try ModelFile.save(SavedModel(network: trainer.network, loss: configuration.loss), to: file)
let model = try ModelFile.load(from: file)
print("reloaded: test accuracy \(try model.evaluate(on: test).accuracy), first labels \(try model.predictions(for: test.prefix(5)))")
