import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// An optimiser and the weights it must produce after each of three steps from w₀ = (1, −2, 0.5)
/// with gradients g₁ = (0.5, −0.25, 2), g₂ = (−1, 0.5, 0), g₃ = (0.25, 0.125, −1.5). The expected
/// values are PyTorch's formulas worked out in double precision, independently of this code.
struct OptimizerCase: CustomStringConvertible, Sendable {
    let name: String
    let configuration: OptimizerConfiguration
    let expected: [[Double]]
    var description: String { name }
}

let optimizerCases: [OptimizerCase] = [
    .init(name: "SGD, momentum 0.9", configuration: .init(kind: .sgd, learningRate: 0.1, momentum: 0.9),
          expected: [[0.95, -1.975, 0.3], [1.005, -2.0025, 0.12], [1.0295, -2.03975, 0.108]]),
    .init(name: "SGD, Nesterov 0.9", configuration: .init(kind: .sgd, learningRate: 0.1, momentum: 0.9, nesterov: true),
          expected: [[0.905, -1.9525, 0.12], [1.0545, -2.02725, -0.042], [1.05155, -2.073275, 0.0972]]),
    .init(name: "SGD, weight decay 0.01", configuration: .init(kind: .sgd, learningRate: 0.1, momentum: 0, weightDecay: 0.01),
          expected: [[0.949, -1.973, 0.2995], [1.048051, -2.021027, 0.2992005], [1.02200295, -2.03150597, 0.4489013]]),
    .init(name: "Adam", configuration: .init(kind: .adam, learningRate: 0.01),
          expected: [[0.99, -1.99, 0.49], [0.993661035, -1.99366104, 0.483299418], [0.995027942, -1.99781755, 0.482992591]]),
    .init(name: "Adam, L2 0.1", configuration: .init(kind: .adam, learningRate: 0.01, weightDecay: 0.1),
          expected: [[0.99, -1.99, 0.49], [0.992481989, -1.98857003, 0.483123428], [0.992345163, -1.98661062, 0.482479941]]),
    .init(name: "AdamW, decay 0.1", configuration: .init(kind: .adamw, learningRate: 0.01, weightDecay: 0.1),
          expected: [[0.989, -1.988, 0.4895], [0.991672035, -1.98967304, 0.482309918], [0.99204727, -1.99183987, 0.481520781]]),
    .init(name: "RMSprop", configuration: .init(kind: .rmsprop, learningRate: 0.01),
          expected: [[0.90000002, -1.90000004, 0.400000005], [0.989532308, -1.98953232, 0.400000005], [0.967584957, -2.01147967, 0.460385771]]),
    .init(name: "RMSprop, momentum 0.9", configuration: .init(kind: .rmsprop, learningRate: 0.01, momentum: 0.9),
          expected: [[0.90000002, -1.90000004, 0.400000005], [0.899532326, -1.89953236, 0.310000009], [0.877164051, -1.92105879, 0.28938578]]),
]

@Suite("Optimisers")
struct OptimizerTests {
    @Test("three steps match the hand-computed weights", arguments: optimizerCases)
    func steps(_ optimizerCase: OptimizerCase) {
        let gradients: [[Float]] = [[0.5, -0.25, 2], [-1, 0.5, 0], [0.25, 0.125, -1.5]]
        // Pad to 35 parameters so that both the 16-lane body and the tail are exercised: the
        // three test values sit at the start of each of two vectors and of the tail.
        for offset in [0, 16, 32] {
            var weights = [Float](repeating: 0, count: 35)
            weights[offset..<offset + 3] = [1, -2, 0.5]
            let optimizer = Optimizer(configuration: optimizerCase.configuration, parameterCount: 35)
            for (step, g) in gradients.enumerated() {
                var full = [Float](repeating: 0, count: 35)
                full[offset..<offset + 3] = g[...]
                weights.withUnsafeMutableBufferPointer { w in
                    full.withUnsafeBufferPointer { optimizer.step(parameters: w.baseAddress!, gradients: $0.baseAddress!, count: 35) }
                }
                for i in 0..<3 {
                    let expected = optimizerCase.expected[step][i]
                    #expect(abs(Double(weights[offset + i]) - expected) <= 2e-6 * max(1, abs(expected)),
                            "\(optimizerCase) step \(step + 1), element \(i) at \(offset): \(weights[offset + i]) vs \(expected)")
                }
            }
        }
    }

    @Test("defaults are the usual ones")
    func defaults() {
        let adam = OptimizerConfiguration(kind: .adam, learningRate: 0.001)
        #expect(adam.resolvedBeta1 == 0.9 && adam.resolvedBeta2 == 0.999 && adam.resolvedEpsilon == 1e-8 && adam.resolvedWeightDecay == 0)
        #expect(OptimizerConfiguration(kind: .adamw, learningRate: 0.001).resolvedWeightDecay == 0.01)
        #expect(OptimizerConfiguration(kind: .rmsprop, learningRate: 0.01).resolvedBeta2 == 0.99)
        // The momentum a training configuration leaves unset is its optimiser's default.
        var configuration = TrainingConfiguration()
        #expect(configuration.optimizer.resolvedMomentum == 0.9)
        configuration.optimizer.kind = .rmsprop
        #expect(configuration.optimizer.resolvedMomentum == 0)
        configuration.optimizer.momentum = 0.5
        #expect(configuration.optimizer.resolvedMomentum == 0.5)
    }

    @Test("invalid settings are refused with a typed error naming the setting and carrying the value")
    func validation() {
        let bad: [(OptimizerConfiguration, ConfigurationError)] = [
            (.init(kind: .sgd, learningRate: 0.1, momentum: 0, nesterov: true), .nesterovNeedsMomentum(optimizer: .sgd, momentum: 0)),
            (.init(kind: .adam, learningRate: 0.1, beta1: 1), .outOfRange(.beta1, value: 1, expected: "in [0, 1)")),
            (.init(kind: .adam, learningRate: 0.1, beta2: -0.5), .outOfRange(.beta2, value: -0.5, expected: "in [0, 1)")),
            (.init(kind: .adam, learningRate: 0.1, epsilon: 0), .outOfRange(.epsilon, value: 0, expected: "a positive number")),
            (.init(kind: .adamw, learningRate: 0.1, weightDecay: -1), .outOfRange(.weightDecay, value: -1, expected: "0 or more")),
            (.init(kind: .sgd, learningRate: -1), .outOfRange(.learningRate, value: -1, expected: "a positive number")),
        ]
        for (configuration, expected) in bad {
            #expect(throws: expected) { try configuration.validate() }
            // The description speaks of the setting, never of a command-line flag.
            #expect(expected.description.hasPrefix(expected.field.description) && !expected.description.contains("--"))
        }
    }

    @Test("Adam trains mlp-128 on a subset to a lower loss than it started with, identically at 1 and 2 threads")
    func adamTrains() throws {
        var configuration = try profile("mlp-128")
        configuration.optimizer = OptimizerConfiguration(kind: .adam, learningRate: 0.001)
        let subset = shippedMNIST.training.prefix(3000)
        var results: [[UInt32]] = []
        for threads in [1, 2] {
            configuration.threads = threads
            configuration.seed = 5
            configuration.weightInitializer = .heNormal
            let trainer = try Trainer(configuration: configuration)
            let network = trainer.network
            let before = try network.evaluate(on: subset, loss: .softmaxCrossEntropy).loss
            _ = try trainer.trainEpoch(on: subset)
            #expect(try network.evaluate(on: subset, loss: .softmaxCrossEntropy).loss < before / 3)
            results.append(network.parameterValues.map(\.bitPattern))
        }
        #expect(results[0] == results[1])
    }
}
