import Foundation
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// The repository's shipped MNIST, loaded once for every test that needs real data.
let shippedMNIST: (training: Dataset, test: Dataset) = {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Data/mnist")
    do {
        return try MNIST.load(from: directory)
    } catch {
        fatalError("the shipped MNIST does not load: \(error)")
    }
}()

func profile(_ name: String) throws -> TrainingConfiguration {
    try Profile.resolve(name, in: Profile.bundledDirectory).configuration
}

/// Trains a configuration on the shipped MNIST and returns the test evaluation.
func trainOnMNIST(_ configuration: TrainingConfiguration) throws -> (Network, Evaluation) {
    var (training, test) = shippedMNIST
    if let classes = configuration.classes {
        training = try training.keeping(classes: classes)
        test = try test.keeping(classes: classes)
    }
    let network = Network(
        architecture: try configuration.architecture(), weightInitializer: configuration.weightInitializer,
        biasInitializer: configuration.biasInitializer, seed: configuration.seed)
    let trainer = try Trainer(network: network, configuration: configuration)
    for _ in 0..<configuration.epochs { _ = try trainer.trainEpoch(on: training) }
    return (network, try network.evaluate(on: test, loss: configuration.loss))
}

@Suite("Training")
struct TrainingTests {
    /// 2-2-1, ReLU hidden, identity output, MSE, one sample x = (2, 1) with target 1 (label 0);
    /// every value below is exact in binary floating point.
    @Test("exact 2-2-1 forward pass and two SGD steps with momentum")
    func exactTinyNetwork() throws {
        let architecture = try Architecture(layerSizes: [2, 2, 1], hiddenActivation: .relu, outputActivation: .identity)
        // W0 = [[0.5, −1], [0.25, 0.5]], b0 = [0.5, 0], W1 = [[1], [−2]], b1 = [0.25].
        let network = try Network(architecture: architecture, parameters: [0.5, -1, 0.25, 0.5, 0.5, 0, 1, -2, 0.25])
        let step = TrainingStep(
            network: network, loss: .meanSquaredError,
            optimizer: Optimizer(configuration: OptimizerConfiguration(learningRate: 0.125, momentum: 0.5), parameterCount: 9),
            capacity: 1)
        let workspace = step.workspace
        let sample = try Dataset(features: [2, 1], featureCount: 2, labels: [0], classCount: 1)

        func train() -> Double {
            [Int32(0)].withUnsafeBufferPointer { step.run(on: sample, indices: $0) }
        }

        // z1 = (2·0.5 + 0.25 + 0.5, −2 + 0.5) = (1.75, −1.5); h = (1.75, 0); y = 1.75 + 0.25 = 2.
        let firstLoss = train()
        #expect(workspace.activations[1].array == [1.75, 0])
        #expect(workspace.activations[2].array == [2])
        #expect(firstLoss == 1)  // (2 − 1)²
        // dy = 2; dW1 = (3.5, 0); db1 = 2; dz1 = (2, −4) ⊙ (1, 0) = (2, 0); dW0 = [[4, 0], [2, 0]]; db0 = (2, 0).
        // (A step that updates keeps its weight gradients in per-thread tiles; one that does not
        // leaves them all in the workspace.)
        let initial = try Network(architecture: architecture, parameters: [0.5, -1, 0.25, 0.5, 0.5, 0, 1, -2, 0.25])
        let gradientStep = TrainingStep(network: initial, loss: .meanSquaredError, optimizer: nil, capacity: 1)
        _ = [Int32(0)].withUnsafeBufferPointer { gradientStep.gradients(on: sample, indices: $0) }
        #expect(gradientStep.workspace.gradients.array == [4, 0, 2, 0, 2, 0, 3.5, 0, 2])
        #expect(Array(workspace.gradients.array[4..<6]) == [2, 0] && workspace.gradients.array[8] == 2)
        // First step: v = g, w −= 0.125·g.
        #expect(network.parameterValues == [0, -1, 0, 0.5, 0.25, 0, 0.5625, -2, 0])

        // Second step: h = (0.25, 0), y = 0.140625, dy = −1.71875, dW1[0] = −0.4296875;
        // v = 0.5·3.5 − 0.4296875 = 1.3203125, W1[0] = 0.5625 − 0.125·1.3203125 = 0.3974609375.
        let secondLoss = train()
        #expect(workspace.activations[2].array == [0.140625])
        #expect(secondLoss == 0.859375 * 0.859375)
        #expect(network.parameterValues[6] == 0.3974609375)
        // b1: v = 0.5·2 − 1.71875 = −0.71875, b1 = 0 + 0.125·0.71875.
        #expect(network.parameterValues[8] == 0.08984375)
    }

    @Test("the same seed gives bit-identical weights; another seed does not")
    func determinism() throws {
        var configuration = try profile("mlp-128")
        configuration.epochs = 1
        let subset = shippedMNIST.training.prefix(3000)
        func run(seed: UInt64) throws -> [Float] {
            configuration.seed = seed
            let trainer = try Trainer(configuration: configuration)
            _ = try trainer.trainEpoch(on: subset)
            return trainer.network.parameterValues
        }
        let first = try run(seed: 7)
        let again = try run(seed: 7)
        expectSameBits(again, first)
        #expect(try run(seed: 8) != first)
    }

    @Test("Trainer(configuration:) builds the configured network from its seed and initialisers; Trainer(model:) copies the model")
    func buildingATrainer() throws {
        var configuration = try profile("seed-sigmoid")
        configuration.biasInitializer = 0.25
        configuration.seed = 11
        let trainer = try Trainer(configuration: configuration)
        let expected = Network(
            architecture: try configuration.architecture(), weightInitializer: configuration.weightInitializer,
            biasInitializer: 0.25, seed: 11)
        expectSameBits(trainer.network.parameterValues, expected.parameterValues)
        // Invalid settings come back typed, naming the setting.
        configuration.optimizer.learningRate = 0
        #expect(throws: ModelError.invalidConfiguration(.outOfRange(.learningRate, value: 0, expected: "a positive number"))) {
            _ = try Trainer(configuration: configuration)
        }
        configuration.optimizer.learningRate = 0.1
        let model = SavedModel(network: expected, loss: configuration.loss)
        let before = expected.parameterValues.map(\.bitPattern)
        let continued = try Trainer(model: model, configuration: configuration)
        _ = try continued.trainEpoch(on: shippedMNIST.training.prefix(200))
        #expect(model.network.parameterValues.map(\.bitPattern) == before && continued.network.parameterValues.map(\.bitPattern) != before)
    }

    @Test("an epoch visits every sample once, in batches whose loss is their own mean, the partial last one included")
    func epochSemantics() throws {
        var configuration = try profile("mlp-128")
        configuration.batchSize = 64
        let subset = shippedMNIST.training.prefix(100)  // one batch of 64, one of 36
        let architecture = try configuration.architecture()
        let network = Network(architecture: architecture, weightInitializer: .heNormal, seed: 1)
        let replica = network.copy()
        let trainer = try Trainer(network: network, configuration: configuration)
        var steps: [Int] = []
        let meanLoss = try trainer.trainEpoch(on: subset) { done, _ in steps.append(done) }
        #expect(steps == [64, 100])
        #expect(trainer.order.sorted() == (0..<Int32(100)).map { $0 })

        // The same two steps through a step of our own on one thread, in the trainer's order,
        // with each batch's mean loss.
        let step = TrainingStep(
            network: replica, loss: configuration.loss,
            optimizer: Optimizer(configuration: configuration.optimizer, parameterCount: architecture.parameterCount),
            capacity: 64)
        var total = 0.0
        for batch in [0..<64, 64..<100] {
            total += trainer.order.withUnsafeBufferPointer { order in
                step.run(on: subset, indices: UnsafeBufferPointer(rebasing: order[batch]))
            }
        }
        expectSameBits(replica.parameterValues, network.parameterValues)
        #expect(abs(meanLoss - total / 100) < 1e-12)
    }

    @Test("the step's gradients at 2 and 3 threads are bitwise those at 1 thread, and match the reference")
    func stepGradientsAcrossThreads() throws {
        let problem = try GradientProblem(sizes: [300, 70, 33, 10], hidden: .relu, output: .softmax, count: 45, seed: 4)
        let dropout = Dropout(rate: 0.25, runSeed: 3, step: 1)
        let (_, single) = try problem.fast(.softmaxCrossEntropy, dropout: dropout)
        for threads in [2, 3] {
            let (_, parallel) = try problem.fast(.softmaxCrossEntropy, dropout: dropout, threads: threads)
            expectSameBits(parallel, single, "\(threads) threads")
        }
        let expected = Reference.gradient(
            problem.architecture, loss: .softmaxCrossEntropy, parameters: problem.parameters.map(Double.init),
            input: problem.input.map(Double.init), labels: problem.labels, count: problem.count, dropout: dropout)
        let scale = 1e-3 + (expected.map(abs).max() ?? 0)
        #expect(zip(single, expected).map { abs(Double($0) - $1) }.max()! / scale < 1e-4)
    }

    @Test("steps on packed weights (a pool) are bitwise those on the plain weights, wide and ragged layers included, short row tiles or not")
    func packedWeightsMatchPlain() throws {
        // 520 outputs get a packed forward copy; the 520 × 520 layer's W is large, so that a row
        // tile of more than 16 rows keeps neither of its copies; 37 and 520 inputs end in partial
        // transposed panels.
        let architecture = try Architecture(
            layerSizes: [50, 520, 520, 37, 10], hiddenActivation: .relu, outputActivation: .softmax)
        let start = Network(architecture: architecture, weightInitializer: .heNormal, seed: 9)
        var generator = Xoshiro256StarStar(seed: 2)
        let data = try Dataset(
            features: (0..<(60 * 50)).map { _ in generator.nextUnitFloat() }, featureCount: 50,
            labels: (0..<60).map { _ in UInt8(generator.nextIndex(below: 10)) }, classCount: 10)
        // Two threads take row tiles of 16 and 3 rows, which read the copies. `alternating`: every
        // other step on the calling thread as one tile of 19 rows, which packs the large W itself
        // and lets its copies go stale; the next pooled step rebuilds them.
        func train(pool: ThreadPool?, alternating: Bool = false) -> [Float] {
            let network = start.copy()
            let step = TrainingStep(
                network: network, loss: .softmaxCrossEntropy,
                optimizer: Optimizer(
                    configuration: OptimizerConfiguration(learningRate: 0.05, momentum: 0.9), parameterCount: architecture.parameterCount),
                capacity: 19, pool: pool)
            #expect((step.packed != nil) == (pool != nil))
            let order = (0..<Int32(60)).map { $0 }
            order.withUnsafeBufferPointer { order in
                for start in stride(from: 0, to: 60, by: 19) {
                    if alternating { step.usesPool = start % 38 != 0 }
                    _ = step.run(on: data, indices: UnsafeBufferPointer(rebasing: order[start..<min(60, start + 19)]))
                }
            }
            return network.parameterValues
        }
        let plain = train(pool: nil)
        expectSameBits(train(pool: ThreadPool(threadCount: 1)), plain, "one thread")
        expectSameBits(train(pool: ThreadPool(threadCount: 2)), plain, "two threads")
        expectSameBits(train(pool: ThreadPool(threadCount: 2), alternating: true), plain, "one row tile and several in turn")
    }

    @Test("hidden rows padded by a line (512 and 1024 wide): the reference's gradients, bitwise the same at 1, 2 and 3 threads and on either first-layer path")
    func paddedHiddenRows() throws {
        let architecture = try Architecture(layerSizes: [200, 512, 1024, 10], hiddenActivation: .relu, outputActivation: .softmax)
        let workspace = Workspace(architecture: architecture, capacity: 4)
        #expect(workspace.activationStrides == [200, 528, 1040, 10])
        #expect(workspace.deltaStrides == [528, 1040, 10])
        // Gradients against the reference (layer 2 is large: column tiles on 2 and 3 threads).
        let problem = try GradientProblem(sizes: [30, 512, 1024, 10], hidden: .tanh, output: .softmax, count: 9, seed: 6)
        let dropout = Dropout(rate: 0.25, runSeed: 2, step: 1)
        let (_, single) = try problem.fast(.softmaxCrossEntropy, dropout: dropout)
        for threads in [2, 3] {
            expectSameBits(try problem.fast(.softmaxCrossEntropy, dropout: dropout, threads: threads).gradient, single, "\(threads) threads")
        }
        let expected = Reference.gradient(
            problem.architecture, loss: .softmaxCrossEntropy, parameters: problem.parameters.map(Double.init),
            input: problem.input.map(Double.init), labels: problem.labels, count: problem.count, dropout: dropout)
        let scale = 1e-3 + (expected.map(abs).max() ?? 0)
        #expect(zip(single, expected).map { abs(Double($0) - $1) }.max()! / scale < 1e-4)
        // Training on images about 1/5 nonzero: the sparse first layer (deltas read at the padded
        // stride) against the dense one, at 1, 2 and 3 threads.
        let start = Network(architecture: architecture, weightInitializer: .heNormal, seed: 3)
        var generator = Xoshiro256StarStar(seed: 9)
        let rows = 48
        let pixels = (0..<(rows * 200)).map { _ in generator.nextIndex(below: 5) == 0 ? UInt8(1 + generator.nextIndex(below: 255)) : 0 }
        let data = try Dataset(
            pixels: pixels, labels: (0..<rows).map { _ in UInt8(generator.nextIndex(below: 10)) }, rows: 1, columns: 200,
            classCount: 10)
        func train(threads: Int, dense: Bool) -> [Float] {
            let network = start.copy()
            let step = TrainingStep.momentumSGD(network: network, learningRate: 0.02, capacity: 24, threads: threads)
            step.skipsZeroInputs = !dense
            let order = (0..<Int32(rows)).map { ($0 * 5) % Int32(rows) }
            step.run(on: data, order: order, batch: 24, dropoutRate: 0.2, runSeed: 4)
            #expect(step.stepsSkippingZeroInputs == (dense ? 0 : 2), "threads \(threads), dense \(dense)")
            return network.parameterValues
        }
        let one = train(threads: 1, dense: false)
        #expect(one.allSatisfy { $0.isFinite })
        for threads in [1, 2, 3] {
            expectSameBits(train(threads: threads, dense: true), one, "\(threads) threads, dense")
            if threads > 1 { expectSameBits(train(threads: threads, dense: false), one, "\(threads) threads") }
        }
    }

    @Test("large hidden layers' products over column tiles (two threads or three), and on one thread with or without copies of their W, are bitwise the one-thread step, with dropout")
    func columnSplitMatchesOneThread() throws {
        // Layers 1 and 4 (520 × 520) are large hidden layers: on a pool their forward and deltas
        // products run over column tiles, with row tiles between them (layers 2–3 forward, then
        // their deltas between the two deltas products).
        let architecture = try Architecture(
            layerSizes: [30, 520, 520, 40, 520, 520, 10], hiddenActivation: .relu, outputActivation: .softmax)
        let start = Network(architecture: architecture, weightInitializer: .heNormal, seed: 4)
        var generator = Xoshiro256StarStar(seed: 5)
        let data = try Dataset(
            features: (0..<(80 * 30)).map { _ in generator.nextUnitFloat() }, featureCount: 30,
            labels: (0..<80).map { _ in UInt8(generator.nextIndex(below: 10)) }, classCount: 10)
        func train(threads: Int, keepsCopies: Bool? = nil) -> [Float] {
            let network = start.copy()
            // With `keepsCopies`, on a pool of one thread, as the trainer runs (packed weights).
            let step = TrainingStep.momentumSGD(
                network: network, learningRate: 0.02, capacity: 40, threads: threads, poolOfOne: keepsCopies != nil)
            #expect(step.columnSplitLayers == [1, 4])
            if let keepsCopies { step.keepsLargeCopiesUnsplit = keepsCopies }
            let order = (0..<Int32(80)).map { $0 }
            step.run(on: data, order: order, batch: 40, dropoutRate: 0.3, runSeed: 11)
            if let keepsCopies {
                // One row tile of 40 on one thread: the copies of layer 1's W as chosen.
                #expect((step.packed?.transposed(1) != nil) == keepsCopies, "one thread, copies \(keepsCopies)")
                #expect((step.packed?.forward(1) != nil) == keepsCopies, "one thread, copies \(keepsCopies)")
            }
            return network.parameterValues
        }
        let one = train(threads: 1, keepsCopies: false)
        #expect(one.allSatisfy { $0.isFinite })
        expectSameBits(train(threads: 1, keepsCopies: true), one, "one thread with copies of the large W")
        expectSameBits(train(threads: 2), one, "two threads")
        expectSameBits(train(threads: 3), one, "three threads")
    }

    /// How the images of ``firstLayerPassesMatchOneThread(_:images:)`` are made.
    enum PassImages: Sendable {
        /// About 1/5 of the pixels nonzero: the sparse kernels.
        case sparse
        /// About 4/5 nonzero: the GEMM.
        case dense
        /// The first half of the steps sparse, the rest dense.
        case sparseThenDense
    }

    @Test("the first layer over passes, each thread's own (two threads; sparse, dense and sparse-then-dense images; batches each thread gathers whole or in row tiles), is bitwise the one-thread step, with dropout",
          arguments: [[784, 128, 10], [784, 100, 10], [600, 256, 30, 10]],
          [(PassImages.sparse, 96), (.sparseThenDense, 96), (.sparse, 64), (.dense, 64), (.sparseThenDense, 64), (.sparse, 32), (.dense, 32), (.sparseThenDense, 32)])
    func firstLayerPassesMatchOneThread(_ sizes: [Int], images: (kind: PassImages, batch: Int)) throws {
        // On two threads each thread runs the passes over k (256 inputs each) whose rows of W₁
        // it updates. After a sparse batch, a batch of at most `threadCopiesLimit` bytes (32 KiB
        // or 64 KiB by machine kind: 32 or 64 images of 784, never 96) is gathered whole by each
        // thread into its own copy; otherwise in row tiles.
        let architecture = try Architecture(layerSizes: sizes, hiddenActivation: .relu, outputActivation: .softmax)
        let start = Network(architecture: architecture, weightInitializer: .heNormal, seed: 7)
        var generator = Xoshiro256StarStar(seed: 8)
        let rows = 192, width = sizes[0]
        let pixels = (0..<(rows * width)).map { i in
            let sparse = images.kind == .sparse || (images.kind == .sparseThenDense && i < rows / 2 * width)
            return generator.nextIndex(below: 5) < (sparse ? 1 : 4) ? UInt8(1 + generator.nextIndex(below: 255)) : 0
        }
        let data = try Dataset(
            pixels: pixels, labels: (0..<rows).map { _ in UInt8(generator.nextIndex(below: 10)) }, rows: 1,
            columns: width, classCount: 10)
        // Mixed images in sample order, so that the sparse batches come first.
        let order = (0..<Int32(rows)).map { images.kind == .sparseThenDense ? $0 : ($0 * 7) % Int32(rows) }
        func train(threads: Int) -> (parameters: [Float], splitSteps: Int, copySteps: Int) {
            let network = start.copy()
            let step = TrainingStep.momentumSGD(
                network: network, learningRate: 0.05, capacity: images.batch, threads: threads)
            step.run(on: data, order: order, batch: images.batch, dropoutRate: 0.2, runSeed: 3)
            return (network.parameterValues, step.stepsSplittingFirstLayer, step.stepsWithThreadCopies)
        }
        let one = train(threads: 1)
        #expect(one.parameters.allSatisfy { $0.isFinite } && one.splitSteps == 0)
        let two = train(threads: 2), three = train(threads: 3)
        let steps = rows / images.batch
        #expect(two.splitSteps == steps && three.splitSteps == 0, "\(sizes): steps over passes")
        // Copies follow a sparse batch: every step but the first, or the steps after the sparse
        // half (the first dense batch among them).
        let copies = images.batch * width > TrainingStep.threadCopiesLimit ? 0
            : images.kind == .sparse ? steps - 1 : images.kind == .dense ? 0 : steps / 2
        #expect(two.copySteps == copies, "\(sizes): steps with copies")
        expectSameBits(two.parameters, one.parameters, "\(sizes), two threads")
        expectSameBits(three.parameters, one.parameters, "\(sizes), three threads")
    }

    @Test(
        "a step's update, tile by tile from per-thread gradient tiles, is bitwise the optimiser's step on the whole gradient",
        arguments: [
            OptimizerConfiguration(kind: .sgd, learningRate: 0.05, momentum: 0.9, nesterov: true, weightDecay: 0.001),
            OptimizerConfiguration(kind: .adam, learningRate: 0.01),
            OptimizerConfiguration(kind: .rmsprop, learningRate: 0.01, momentum: 0.5),
        ])
    func tiledUpdateMatchesWholeStep(_ configuration: OptimizerConfiguration) throws {
        // 150 inputs make three weight-gradient tiles of layer 1 (64, 64 and 22 rows), and 520
        // outputs tiles of 64 rows of 520 floats; the tiles' ends fall inside vectors of the flat
        // parameters.
        let architecture = try Architecture(layerSizes: [150, 520, 37, 10], hiddenActivation: .relu, outputActivation: .softmax)
        let start = Network(architecture: architecture, weightInitializer: .heNormal, seed: 5)
        var generator = Xoshiro256StarStar(seed: 8)
        let data = try Dataset(
            features: (0..<(40 * 150)).map { _ in generator.nextUnitFloat() }, featureCount: 150,
            labels: (0..<40).map { _ in UInt8(generator.nextIndex(below: 10)) }, classCount: 10)
        let order = (0..<Int32(40)).map { $0 }
        let count = architecture.parameterCount
        // The whole gradient, then one optimiser step over all the parameters.
        let reference = start.copy()
        let gradientStep = TrainingStep(network: reference, loss: .softmaxCrossEntropy, optimizer: nil, capacity: 20)
        let optimizer = Optimizer(configuration: configuration, parameterCount: count)
        order.withUnsafeBufferPointer { order in
            for first in [0, 20] {
                _ = gradientStep.gradients(on: data, indices: UnsafeBufferPointer(rebasing: order[first..<first + 20]))
                optimizer.step(
                    parameters: reference.parameters.base, gradients: gradientStep.workspace.gradients.base, count: count)
            }
        }
        for threads in [1, 2] {
            let network = start.copy()
            let step = TrainingStep(
                network: network, loss: .softmaxCrossEntropy,
                optimizer: Optimizer(configuration: configuration, parameterCount: count), capacity: 20,
                pool: ThreadPool(threadCount: threads))
            order.withUnsafeBufferPointer { order in
                for first in [0, 20] {
                    _ = step.run(on: data, indices: UnsafeBufferPointer(rebasing: order[first..<first + 20]))
                }
            }
            expectSameBits(network.parameterValues, reference.parameterValues, "\(threads) threads")
        }
    }

    @Test("a step flushes subnormals to zero and gives the caller back its own floating-point mode", arguments: [1, 2])
    func subnormalsFlushed(_ threads: Int) throws {
        guard FloatControl.subnormalFlushBits != 0 else { return }  // no such mode on this architecture
        let architecture = try Architecture(layerSizes: [2, 3, 2], hiddenActivation: .relu, outputActivation: .softmax)
        let network = try Network(architecture: architecture, parameters: (0..<17).map { Float($0 % 5) * 0.1 - 0.2 })
        let optimizer = Optimizer(configuration: OptimizerConfiguration(learningRate: 0.1, momentum: 0.9), parameterCount: 17)
        // Every velocity starts subnormal; the weights of input 0 (always zero) get no gradient,
        // so in IEEE arithmetic their velocity would stay subnormal (0.9 × v).
        let subnormal = Float.leastNormalMagnitude / 4
        optimizer.first.base.update(repeating: subnormal, count: 17)
        let step = TrainingStep(
            network: network, loss: .softmaxCrossEntropy, optimizer: optimizer, capacity: 2,
            pool: threads > 1 ? ThreadPool(threadCount: threads) : nil)
        let data = try Dataset(features: [0, 1, 0, -1], featureCount: 2, labels: [0, 1], classCount: 2)
        let before = FloatControl.mode
        let loss = [Int32(0), 1].withUnsafeBufferPointer { step.run(on: data, indices: $0) }
        #expect(loss.isFinite)
        #expect(FloatControl.mode == before)
        let velocity = optimizer.first.array
        #expect(velocity.allSatisfy { $0 == 0 || $0.isNormal }, "\(velocity)")
        #expect(velocity.contains(0) && velocity.contains { $0 != 0 })
    }

    @Test("a non-finite loss leaves the parameters and the optimiser untouched")
    func divergedStepChangesNothing() throws {
        let architecture = try Architecture(layerSizes: [2, 3, 2], hiddenActivation: .relu, outputActivation: .softmax)
        let network = try Network(architecture: architecture, parameters: (0..<17).map { Float($0) * 0.1 })
        let before = network.parameterValues.map(\.bitPattern)
        let optimizer = Optimizer(configuration: OptimizerConfiguration(learningRate: 0.1, momentum: 0.9), parameterCount: 17)
        let step = TrainingStep(network: network, loss: .softmaxCrossEntropy, optimizer: optimizer, capacity: 2)
        let data = try Dataset(features: [1, .infinity, 0, 1], featureCount: 2, labels: [0, 1], classCount: 2)
        let loss = [Int32(0), 1].withUnsafeBufferPointer { step.run(on: data, indices: $0) }
        #expect(!loss.isFinite)
        #expect(network.parameterValues.map(\.bitPattern) == before)
        #expect(optimizer.steps == 0)
        #expect(optimizer.first.array.allSatisfy { $0 == 0 })
    }

    @Test("divergence stops training with a clear error")
    func divergence() throws {
        var configuration = try profile("mlp-128")
        configuration.optimizer.learningRate = 1e30
        configuration.optimizer.momentum = 0
        configuration.seed = 1
        configuration.weightInitializer = .heNormal
        let trainer = try Trainer(configuration: configuration)
        let network = trainer.network
        #expect(throws: TrainingError.self) {
            for _ in 0..<3 { _ = try trainer.trainEpoch(on: shippedMNIST.training.prefix(2000)) }
        }
    }

    @Test("initialisers have the stated spread")
    func initializers() throws {
        let architecture = try Architecture(layerSizes: [784, 128], hiddenActivation: .relu, outputActivation: .identity)
        func weights(_ initializer: WeightInitializer) throws -> [Float] {
            try Network(architecture: architecture, weightInitializer: initializer, biasInitializer: 0.5, seed: 3).weights(ofLayer: 0)
        }
        func standardDeviation(_ x: [Float]) -> Double {
            let mean = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
            return (x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(x.count)).squareRoot()
        }
        #expect(try weights(.zeros).allSatisfy { $0 == 0 })
        #expect(abs(standardDeviation(try weights(.heNormal)) / (2.0 / 784).squareRoot() - 1) < 0.02)
        #expect(abs(standardDeviation(try weights(.xavierNormal)) / (2.0 / 912).squareRoot() - 1) < 0.02)
        #expect(abs(standardDeviation(try weights(.normal(standardDeviation: 1))) - 1) < 0.02)
        let heLimit = Float((6.0 / 784).squareRoot()), xavierLimit = Float((6.0 / 912).squareRoot())
        let he = try weights(.heUniform), xavier = try weights(.xavierUniform)
        #expect(he.allSatisfy { abs($0) <= heLimit } && he.max()! > 0.95 * heLimit)
        #expect(xavier.allSatisfy { abs($0) <= xavierLimit } && xavier.max()! > 0.95 * xavierLimit)
        #expect(try Network(architecture: architecture, weightInitializer: .heNormal, biasInitializer: 0.5, seed: 3)
            .bias(ofLayer: 0).allSatisfy { $0 == 0.5 })
    }

    @Test("SplitMix64 and shuffling are the published, platform-independent streams")
    func randomStreams() {
        var mixer = SplitMix64(seed: 0)
        #expect(mixer.next() == 0xE220_A839_7B1D_CDAF)
        // The reference implementation's stream from the state (1, 2, 3, 4).
        var reference = Xoshiro256StarStar(state: [1, 2, 3, 4])
        #expect((0..<4).map { _ in reference.next() } == [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240])
        var generator = Xoshiro256StarStar(seed: 42)
        var indices = (0..<Int32(1000)).map { $0 }
        generator.shuffle(&indices)
        #expect(Set(indices).count == 1000)
        #expect(indices != (0..<Int32(1000)).map { $0 })
        var again = Xoshiro256StarStar(seed: 42)
        var second = (0..<Int32(1000)).map { $0 }
        again.shuffle(&second)
        #expect(indices == second)
    }
}

/// Convergence on the real 60k MNIST, to the accuracies the recipes are known to reach.
@Suite("Convergence on MNIST", .serialized)
struct ConvergenceTests {
    @Test("seed-sigmoid reaches ≥ 95 % test accuracy after 1 epoch")
    func seedSigmoid() throws {
        var configuration = try profile("seed-sigmoid")
        configuration.epochs = 1
        let (_, evaluation) = try trainOnMNIST(configuration)
        #expect(evaluation.accuracy >= 0.95, "test accuracy \(evaluation.accuracy)")
    }

    @Test("mlp-128 reaches ≥ 97.5 % test accuracy after 5 epochs")
    func mlp128() throws {
        var configuration = try profile("mlp-128")
        configuration.epochs = 5
        let (_, evaluation) = try trainOnMNIST(configuration)
        #expect(evaluation.accuracy >= 0.975, "test accuracy \(evaluation.accuracy)")
    }

    @Test("binary-1v7 reaches ≥ 98 % on the test digits 1 and 7")
    func binary1v7() throws {
        let configuration = try profile("binary-1v7")
        let (_, evaluation) = try trainOnMNIST(configuration)
        #expect(evaluation.count == 1135 + 1028)
        #expect(evaluation.accuracy >= 0.98, "test accuracy \(evaluation.accuracy)")
    }
}

@Suite("Metrics")
struct MetricsTests {
    @Test("precision, recall, F1 and support from a hand-made confusion matrix")
    func classificationReport() {
        // Truth in rows: class 0 has 3 samples (2 right, 1 called 1); class 1 has 2 (both right);
        // class 2 has 1 sample, called 0; nothing is predicted 2.
        let evaluation = Evaluation(loss: 0, accuracy: 4.0 / 6, count: 6, confusion: [[2, 1, 0], [0, 2, 0], [1, 0, 0]])
        let m = evaluation.classMetrics
        #expect(m[0] == ClassMetrics(precision: 2.0 / 3, recall: 2.0 / 3, f1: 2.0 / 3, support: 3))
        #expect(m[1].precision == 2.0 / 3 && m[1].recall == 1 && abs(m[1].f1 - 0.8) < 1e-12 && m[1].support == 2)
        #expect(m[2] == ClassMetrics(precision: 0, recall: 0, f1: 0, support: 1))
        #expect(abs(evaluation.macroAverage.recall - (2.0 / 3 + 1) / 3) < 1e-12 && evaluation.macroAverage.support == 6)
    }
}

@Suite("Validation split and early stopping")
struct EarlyStoppingTests {
    @Test("the validation split is a seeded, disjoint part of the training set")
    func split() {
        let data = shippedMNIST.training.prefix(1000)
        let (training, validation) = data.splitValidation(fraction: 0.1, seed: 3)
        #expect(validation.count == 100 && training.count == 900)
        #expect(data.splitValidation(fraction: 0.1, seed: 3).validation == validation)
        #expect(data.splitValidation(fraction: 0.1, seed: 4).validation != validation)
        // Every sample lands on exactly one side: compare the multisets of images.
        func rows(_ d: Dataset) -> [[UInt8]] { (0..<d.count).map { Array(d.pixels[$0 * 784..<($0 + 1) * 784]) } }
        let all = rows(data).map { $0.description }.sorted()
        let parts = (rows(training) + rows(validation)).map { $0.description }.sorted()
        #expect(all == parts)
        // Fractions out of range are clamped, not converted as they are (1e20 once trapped).
        #expect(data.splitValidation(fraction: 1e20, seed: 3).training.count == 1)
        #expect(data.splitValidation(fraction: -5, seed: 3).validation.count == 0)
        #expect(data.splitValidation(fraction: .nan, seed: 3).validation.count == 0)
    }

    @Test("stops after `patience` epochs without improvement and restores the best weights")
    func stopping() throws {
        let architecture = try Architecture(layerSizes: [2, 1], hiddenActivation: .relu, outputActivation: .identity)
        let network = try Network(architecture: architecture, parameters: [0, 0, 0])
        var stopping = EarlyStopping(patience: 2)
        var decisions: [Bool] = []
        for (epoch, loss) in [0.5, 0.4, 0.45, 0.39, 0.41, 0.42, 0.3].enumerated() {
            network.parameters[0] = Float(epoch + 1)  // the "weights" of this epoch
            decisions.append(stopping.update(validationLoss: loss, epoch: epoch + 1, network: network))
            if decisions.last == true { break }
        }
        #expect(decisions == [false, false, false, false, false, true])
        #expect(stopping.bestEpoch == 4 && stopping.bestLoss == 0.39)
        stopping.restoreBest(into: network)
        #expect(network.parameters[0] == 4)
    }

    @Test("early-stopping state survives a checkpoint")
    func checkpointed() throws {
        var configuration = try profile("seed-sigmoid")
        configuration.threads = 1
        configuration.seed = 1
        configuration.weightInitializer = .xavierUniform
        let trainer = try Trainer(configuration: configuration)
        let network = trainer.network
        var stopping = EarlyStopping(patience: 3)
        _ = stopping.update(validationLoss: 0.25, epoch: 1, network: network)
        _ = stopping.update(validationLoss: 0.5, epoch: 2, network: network)
        trainer.earlyStopping = stopping
        let decoded = try Checkpoint.decode(trainer.checkpoint().encode(), path: "c")
        #expect(decoded.earlyStopping == stopping)
    }

    @Test("fit trains to the configured epochs, reports each, stops early and restores the best weights")
    func fit() throws {
        var configuration = try profile("mlp-128")
        configuration.epochs = 6
        configuration.optimizer.learningRate = 1.5  // far too high: the validation loss soon stops improving
        configuration.patience = 1
        configuration.validationSplit = 0.2
        let data = shippedMNIST.training.prefix(2000)
        let (training, validation) = data.splitValidation(fraction: 0.2, seed: 1)
        configuration.seed = 1
        configuration.weightInitializer = .heNormal
        let trainer = try Trainer(configuration: configuration)
        let network = trainer.network
        var reported: [Int] = []
        var steps = 0
        let result = try trainer.fit(
            on: training, validation: validation, test: shippedMNIST.test.prefix(500),
            onEpoch: { reported.append($0.epoch); return .continue }, onStep: { _, _, _ in steps += 1 })
        #expect(reported == result.history.map(\.epoch) && reported == Array(1...reported.count))
        #expect(steps == reported.count * 25)  // 1600 samples in batches of 64
        #expect(result.history.allSatisfy { $0.validationLoss != nil && $0.testAccuracy != nil })
        #expect(result.stoppedEarly && result.history.count < 6)
        let restored = try #require(result.restoredEpoch)
        let best = try #require(result.history.min { ($0.validationLoss ?? 0) < ($1.validationLoss ?? 0) })
        #expect(restored == best.epoch)
        let now = try network.evaluate(on: validation, loss: .softmaxCrossEntropy).loss
        #expect(abs(now - (best.validationLoss ?? 0)) < 1e-9)
        // A callback can stop the run too.
        let second = try Trainer(network: network.copy(), configuration: configuration)
        let stopped = try second.fit(on: training, onEpoch: { _ in .stop })
        #expect(stopped.history.count == 1 && stopped.stoppedEarly)
    }

    @Test("fit holds out the configuration's validationSplit when it is given no validation set")
    func fitHoldsOutValidationSplit() throws {
        var configuration = try profile("mlp-128")
        configuration.epochs = 2
        configuration.validationSplit = 0.2
        configuration.patience = 5
        configuration.threads = 1
        let data = shippedMNIST.training.prefix(1000)
        let automatic = try Trainer(configuration: configuration)
        let held = try automatic.fit(on: data)
        let (training, validation) = data.splitValidation(fraction: 0.2, seed: configuration.seed)
        let manual = try Trainer(configuration: configuration)
        let given = try manual.fit(on: training, validation: validation)
        #expect(held.history.allSatisfy { $0.validationLoss != nil && $0.samples == 800 })
        #expect(held.history.map(\.validationLoss) == given.history.map(\.validationLoss))
        #expect(automatic.network.parameterValues.map(\.bitPattern) == manual.network.parameterValues.map(\.bitPattern))
    }
}
