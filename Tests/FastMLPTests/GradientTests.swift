import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// An output layer and the loss trained through it.
struct OutputCase: CustomStringConvertible, Sendable {
    let loss: Loss
    let activation: Activation
    var description: String { "\(loss)/\(activation)" }
}

let outputCases = [
    OutputCase(loss: .softmaxCrossEntropy, activation: .softmax),
    OutputCase(loss: .meanSquaredError, activation: .identity),
    OutputCase(loss: .meanSquaredError, activation: .sigmoid),
    OutputCase(loss: .meanSquaredError, activation: .tanh),
    OutputCase(loss: .meanSquaredError, activation: .relu),
    OutputCase(loss: .meanSquaredError, activation: .softmax),
]
let hiddenActivations: [Activation] = [.identity, .relu, .sigmoid, .tanh]

/// A small problem: parameters N(0, 0.5²) rounded to Float, inputs in [−1, 1), labels in 0..<outputs.
struct GradientProblem {
    let architecture: Architecture
    let parameters: [Float]
    let input: [Float]
    let labels: [Int]
    let count: Int

    init(sizes: [Int], hidden: Activation, output: Activation, count: Int, seed: UInt64) throws {
        architecture = try Architecture(layerSizes: sizes, hiddenActivation: hidden, outputActivation: output)
        var generator = Xoshiro256StarStar(seed: seed)
        parameters = (0..<architecture.parameterCount).map { _ in generator.nextGaussian() * 0.5 }
        input = (0..<(count * sizes[0])).map { _ in 2 * generator.nextUnitFloat() - 1 }
        labels = (0..<count).map { _ in generator.nextIndex(below: sizes[sizes.count - 1]) }
        self.count = count
    }

    /// Loss and gradient from the fast path: the training step's row tiles with fused GEMM
    /// epilogues and the fused loss, then its weight-gradient tiles.
    func fast(_ loss: Loss, dropout: Dropout? = nil, threads: Int = 1) throws -> (loss: Double, gradient: [Float]) {
        try Network(architecture: architecture, parameters: parameters).stepGradients(
            loss, input: input, labels: labels, dropout: dropout, threads: threads)
    }
}

@Suite("Gradients")
struct GradientTests {
    @Test("reference back-propagation matches central finite differences", arguments: hiddenActivations, outputCases)
    func referenceAgainstFiniteDifferences(hidden: Activation, output: OutputCase) throws {
        let problem = try GradientProblem(sizes: [5, 4, 3, 3], hidden: hidden, output: output.activation, count: 7, seed: 11)
        let parameters = problem.parameters.map(Double.init)
        let input = problem.input.map(Double.init)
        let analytic = Reference.gradient(
            problem.architecture, loss: output.loss, parameters: parameters, input: input, labels: problem.labels,
            count: problem.count)
        let epsilon = 1e-6
        var worst = 0.0
        for i in parameters.indices {
            var plus = parameters, minus = parameters
            plus[i] += epsilon
            minus[i] -= epsilon
            let lossPlus = Reference.loss(problem.architecture, loss: output.loss, parameters: plus, input: input, labels: problem.labels, count: problem.count)
            let lossMinus = Reference.loss(problem.architecture, loss: output.loss, parameters: minus, input: input, labels: problem.labels, count: problem.count)
            let numeric = (lossPlus - lossMinus) / (2 * epsilon)
            worst = max(worst, abs(numeric - analytic[i]) / (1e-6 + abs(numeric)))
        }
        let norm = analytic.map { $0 * $0 }.reduce(0, +).squareRoot()
        #expect(norm > 1e-3, "gradient is trivially zero (norm \(norm))")
        #expect(worst < 1e-4, "\(hidden) → \(output): worst relative difference \(worst)")
    }

    @Test("fast forward/backward matches the reference", arguments: hiddenActivations, outputCases)
    func fastAgainstReference(hidden: Activation, output: OutputCase) throws {
        for (sizes, count) in [([5, 4, 3, 3], 7), ([300, 21, 17, 10], 13)] {
            let problem = try GradientProblem(sizes: sizes, hidden: hidden, output: output.activation, count: count, seed: 5)
            let parameters = problem.parameters.map(Double.init)
            let input = problem.input.map(Double.init)
            let expected = Reference.gradient(
                problem.architecture, loss: output.loss, parameters: parameters, input: input, labels: problem.labels,
                count: problem.count)
            let expectedLoss = Reference.loss(
                problem.architecture, loss: output.loss, parameters: parameters, input: input, labels: problem.labels,
                count: problem.count)
            let (loss, gradient) = try problem.fast(output.loss)
            let scale = 1e-3 + (expected.map(abs).max() ?? 0)
            let worst = zip(gradient, expected).map { abs(Double($0) - $1) }.max()! / scale
            #expect(abs(loss - expectedLoss) <= 1e-5 * (1 + abs(expectedLoss)), "loss \(loss) vs \(expectedLoss)")
            #expect(worst < 1e-4, "\(sizes) \(hidden) → \(output): max difference \(worst) of the largest gradient")
        }
    }

    @Test("with dropout: the reference matches finite differences and the fast path matches the reference", arguments: hiddenActivations)
    func dropout(hidden: Activation) throws {
        let dropout = Dropout(rate: 0.4, runSeed: 7, step: 3)
        for (sizes, count) in [([5, 6, 4, 3], 7), ([300, 40, 33, 10], 9)] {
            let problem = try GradientProblem(sizes: sizes, hidden: hidden, output: .softmax, count: count, seed: 9)
            let parameters = problem.parameters.map(Double.init), input = problem.input.map(Double.init)
            let expected = Reference.gradient(
                problem.architecture, loss: .softmaxCrossEntropy, parameters: parameters, input: input,
                labels: problem.labels, count: count, dropout: dropout)
            if sizes[0] == 5 {
                var worst = 0.0
                for i in parameters.indices {
                    var plus = parameters, minus = parameters
                    plus[i] += 1e-6
                    minus[i] -= 1e-6
                    let numeric = (Reference.loss(problem.architecture, loss: .softmaxCrossEntropy, parameters: plus, input: input, labels: problem.labels, count: count, dropout: dropout)
                        - Reference.loss(problem.architecture, loss: .softmaxCrossEntropy, parameters: minus, input: input, labels: problem.labels, count: count, dropout: dropout)) / 2e-6
                    worst = max(worst, abs(numeric - expected[i]) / (1e-6 + abs(numeric)))
                }
                #expect(worst < 1e-4, "\(hidden): finite differences, worst \(worst)")
            }
            let (_, gradient) = try problem.fast(.softmaxCrossEntropy, dropout: dropout)
            let scale = 1e-3 + (expected.map(abs).max() ?? 0)
            let difference = zip(gradient, expected).map { abs(Double($0) - $1) }.max()! / scale
            #expect(difference < 1e-4, "\(sizes) \(hidden): fast vs reference \(difference)")
            // Some units are really dropped: the gradient differs from the one without dropout.
            let (_, undropped) = try problem.fast(.softmaxCrossEntropy)
            #expect(undropped != gradient)
        }
    }

    @Test("dropout masks keep the stated fraction, agree between the vector and scalar forms, and vary by step and layer")
    func masks() {
        let mask = DropoutMask(seed: DropoutMask.seed(run: 42, step: 5, layer: 0), keep: 0.7, width: 320)
        var kept = 0
        for row in 0..<200 {
            for column in stride(from: 0, to: 320, by: 16) {
                let vector = mask.factors(row: row, column: column)
                for lane in 0..<16 {
                    let scalar = mask.factor(row: row, column: column + lane)
                    #expect(vector[lane] == scalar)
                    #expect(scalar == 0 || scalar == 1 / Float(0.7))
                    if scalar != 0 { kept += 1 }
                }
            }
        }
        #expect(abs(Double(kept) / 64000 - 0.7) < 0.01)
        let seeds = Set([(42, 5, 0), (42, 6, 0), (42, 5, 1), (43, 5, 0)].map { DropoutMask.seed(run: UInt64($0.0), step: $0.1, layer: $0.2) })
        #expect(seeds.count == 4)
    }
}
