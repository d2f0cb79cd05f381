import Foundation
import Synchronization
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

@Suite("Thread pool", .serialized)
struct ThreadPoolTests {
    @Test("every task of every region runs exactly once, on a valid worker", arguments: [1, 2, 3, 8])
    func tasksRunOnce(_ threads: Int) {
        let pool = ThreadPool(threadCount: threads)
        for tasks in [1, 2, 3, 7, 64, 1000] {
            for _ in 0..<50 {
                let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: tasks)
                counts.initialize(repeating: 0)
                defer { counts.deallocate() }
                let badWorker = Atomic<Bool>(false)
                pool.run(tasks: tasks) { task, worker in
                    counts[task] += 1  // each task index is handed out once, so no two threads share a slot
                    if !(0..<threads).contains(worker) { badWorker.store(true, ordering: .relaxed) }
                }
                #expect(counts.allSatisfy { $0 == 1 }, "\(tasks) tasks on \(threads) threads")
                let sawBadWorker = badWorker.load(ordering: .relaxed)
                #expect(!sawBadWorker)
            }
        }
    }

    @Test("with a first share, the calling thread's block is the first tasks and the others share the rest; every task runs once")
    func firstShare() {
        #expect((0...2).map { laneStart($0, of: 2, tasks: 15, firstShare: 8) } == [0, 8, 15])
        #expect((0...3).map { laneStart($0, of: 3, tasks: 10, firstShare: 2) } == [0, 2, 6, 10])
        #expect((0...2).map { laneStart($0, of: 2, tasks: 15, firstShare: nil) } == [0, 7, 15])
        final class Counts: RegionJob, @unchecked Sendable {  // each task index is handed out once
            var counts = [Int](repeating: 0, count: 15)
            func run(task: Int, worker: Int) { counts[task] += 1 }
        }
        for backend in ThreadPool.Backend.allCases {
            let pool = ThreadPool(threadCount: 2, backend: backend)
            for share in [0, 1, 8, 15] {
                let job = Counts()
                for _ in 0..<20 { pool.run(tasks: 15, job: job, firstShare: share) }
                #expect(job.counts == [Int](repeating: 20, count: 15), "\(backend), first share \(share)")
            }
        }
    }

    @Test("workers that went to sleep wake up for the next region")
    func wakesSleepingWorkers() {
        let pool = ThreadPool(threadCount: 3)
        for _ in 0..<3 {
            usleep(50_000)  // long enough for the workers to stop spinning and sleep
            let ran = Atomic<Int>(0)
            pool.run(tasks: 100) { _, _ in ran.add(1, ordering: .relaxed) }
            let count = ran.load(ordering: .relaxed)
            #expect(count == 100)
        }
    }

    @Test("a pool is released and its workers exit")
    func releases() {
        for _ in 0..<20 {
            let pool = ThreadPool(threadCount: 4)
            pool.run(tasks: 8) { _, _ in }
        }
    }

    @Test("every thread runs a region's tasks with the calling thread's floating-point control", arguments: [2, 3])
    func callersFloatControl(_ threads: Int) {
        let flush = FloatControl.subnormalFlushBits
        guard flush != 0 else { return }  // no such mode on this architecture
        let before = FloatControl.mode
        for backend in ThreadPool.Backend.allCases {
            let pool = ThreadPool(threadCount: threads, backend: backend)
            for flushed in [true, false, true] {
                let tasks = 64
                let seen = UnsafeMutableBufferPointer<UInt32>.allocate(capacity: tasks)
                seen.initialize(repeating: 0xFFFF)
                defer { seen.deallocate() }
                let record = { (task: Int, _: Int) in
                    seen[task] = FloatControl.current & flush
                    // Long enough for the other threads to take some of the tasks.
                    var x = 1.0
                    for _ in 0..<2_000 { x = x * 1.000001 + 1e-9 }
                    if x < 0 { seen[task] = 0xFFFF }
                }
                if flushed { FloatControl.withSubnormalsFlushed { pool.run(tasks: tasks, record) } } else { pool.run(tasks: tasks, record) }
                let expected = flushed ? flush : before & flush
                #expect(seen.allSatisfy { $0 == expected }, "\(backend), \(threads) threads, flushed: \(flushed)")
                #expect(FloatControl.mode == before, "the caller's own mode is restored")
            }
        }
    }
}

@Suite("Deterministic parallel training", .serialized)
struct ParallelTrainingTests {
    @Test("weights after 2 epochs are bitwise equal at 1, 2, 3 and 8 threads", arguments: ["mlp-128", "seed-sigmoid", "binary-1v7"])
    func bitIdentical(_ name: String) throws {
        var configuration = try profile(name)
        var training = shippedMNIST.training
        if let classes = configuration.classes { training = try training.keeping(classes: classes) }
        training = training.prefix(name == "binary-1v7" ? 600 : 4000)
        configuration.epochs = 2
        var results: [[UInt32]] = []
        for threads in [1, 2, 3, 8] {
            configuration.threads = threads
            let network = Network(
                architecture: try configuration.architecture(), weightInitializer: configuration.weightInitializer,
                biasInitializer: configuration.biasInitializer, seed: configuration.seed)
            let trainer = try Trainer(network: network, configuration: configuration)
            for _ in 0..<2 { _ = try trainer.trainEpoch(on: training) }
            results.append(network.parameterValues.map(\.bitPattern))
        }
        for (index, threads) in [2, 3, 8].enumerated() {
            #expect(results[index + 1] == results[0], "\(name): \(threads) threads differ from 1 thread")
        }
    }

    @Test("training with dropout is bitwise equal at 1, 2 and 3 threads")
    func dropoutBitIdentical() throws {
        var configuration = try profile("mlp-128")
        configuration.dropout = 0.5
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            configuration.threads = threads
            configuration.seed = 3
            configuration.weightInitializer = .heNormal
            let trainer = try Trainer(configuration: configuration)
            let network = trainer.network
            _ = try trainer.trainEpoch(on: shippedMNIST.training.prefix(2000))
            results.append(network.parameterValues.map(\.bitPattern))
        }
        #expect(results[1] == results[0] && results[2] == results[0])
    }

    @Test("a deep net with partial row tiles, tanh, dropout and Adam is bitwise equal at 1, 2, 3 and 8 threads")
    func deepPartialTilesBitIdentical() throws {
        var configuration = TrainingConfiguration()
        configuration.layers = [784, 72, 40, 10]
        configuration.activation = .tanh
        configuration.batchSize = 37
        configuration.dropout = 0.3
        configuration.optimizer = OptimizerConfiguration(kind: .adam, learningRate: 0.002)
        var results: [[UInt32]] = [], losses: [Double] = []
        for threads in [1, 2, 3, 8] {
            configuration.threads = threads
            configuration.seed = 5
            configuration.weightInitializer = .heNormal
            let trainer = try Trainer(configuration: configuration)
            let network = trainer.network
            losses.append(try trainer.trainEpoch(on: shippedMNIST.training.prefix(700)))
            results.append(network.parameterValues.map(\.bitPattern))
        }
        for (index, threads) in [2, 3, 8].enumerated() {
            #expect(results[index + 1] == results[0], "\(threads) threads differ from 1 thread")
            #expect(losses[index + 1] == losses[0])
        }
    }

    @Test("skipping zero inputs gives the dense path's weights bit for bit, at 1, 2 and 3 threads",
          arguments: ["mlp-128", "seed-sigmoid", "dropout", "speedrun", "mlp-wide"])
    func skippingZeroInputsIsExact(_ name: String) throws {
        var configuration = try profile(name == "dropout" ? "mlp-128" : name)
        configuration.dropout = name == "dropout" ? 0.3 : 0
        configuration.epochs = 2
        let results = try Self.weightsBothWays(configuration, on: shippedMNIST.training.prefix(1500), epochs: 2)
        for index in 1..<results.count { #expect(results[index] == results[0], "\(name): run \(index) differs") }
    }

    /// The weights after training `configuration` on `data` for `epochs` epochs from the same
    /// initial weights, at 1, 2 and 3 threads, each time densely and then skipping zero inputs;
    /// `check` sees each skipping trainer after its training.
    static func weightsBothWays(
        _ configuration: TrainingConfiguration, on data: Dataset, epochs: Int, check: (Trainer) -> Void = { _ in }
    ) throws -> [[UInt32]] {
        var configuration = configuration
        var results: [[UInt32]] = []
        for threads in [1, 2, 3] {
            for skipping in [false, true] {
                configuration.threads = threads
                let network = Network(
                    architecture: try configuration.architecture(), weightInitializer: configuration.weightInitializer,
                    seed: 4)
                let trainer = try Trainer(network: network, configuration: configuration)
                trainer.step.skipsZeroInputs = skipping
                for _ in 0..<epochs { _ = try trainer.trainEpoch(on: data) }
                if skipping { check(trainer) }
                results.append(network.parameterValues.map(\.bitPattern))
            }
        }
        return results
    }

    @Test("images whose batches and row tiles fall on both sides of the density limit train to the dense path's bits, at 1, 2 and 3 threads")
    func mixedDensityIsExact() throws {
        // One image in six with no zero pixel: about 0.31 of the inputs nonzero, so some batches
        // are sparse and some dense, and within each some row tiles are sparse and some dense
        // (bytes made into floats by the tile, or for a dense batch after the fact).
        let mnist = shippedMNIST.training.prefix(1200)
        var pixels = mnist.pixels
        for image in stride(from: 0, to: mnist.count, by: 6) {
            for p in image * 784..<(image + 1) * 784 { pixels[p] = max(pixels[p], 1) }
        }
        let data = try Dataset(
            pixels: pixels, labels: mnist.labels, rows: mnist.rows, columns: mnist.columns, classCount: mnist.classCount)
        let results = try Self.weightsBothWays(try profile("mlp-128"), on: data, epochs: 1) { trainer in
            #expect(trainer.stepsSkippingZeroInputs > 0 && trainer.stepsSkippingZeroInputs < trainer.completedSteps)
        }
        for index in 1..<results.count { #expect(results[index] == results[0], "run \(index) differs") }
    }

    @Test("the trainer counts the steps that skipped zero inputs: all of them on MNIST, none on data without zeros or with skipping off")
    func stepsSkippingZeroInputsAreCounted() throws {
        let mnist = shippedMNIST.training.prefix(640)
        let filled = mnist.withoutZeroInputs()
        #expect((0.15...0.25).contains(mnist.inputDensity))
        #expect(filled.inputDensity == 1 && filled.labels == mnist.labels)
        #expect(zip(filled.pixels, mnist.pixels).allSatisfy { $0 == max($1, 1) })
        let table = try Dataset(features: [0, 2, 0, 0], featureCount: 2, labels: [0, 1], classCount: 2)
        #expect(table.inputDensity == 0.25 && table.withoutZeroInputs().features == [0x1p-10, 2, 0x1p-10, 0x1p-10])
        var configuration = try profile("mlp-128")
        configuration.threads = 2
        for (data, skips, expected) in [(mnist, true, 10), (filled, true, 0), (mnist, false, 0)] {
            configuration.skipsZeroInputs = skips
            configuration.seed = 1
            configuration.weightInitializer = .heNormal
            let trainer = try Trainer(configuration: configuration)
            let network = trainer.network
            _ = try trainer.trainEpoch(on: data)
            #expect(trainer.completedSteps == 10 && trainer.stepsSkippingZeroInputs == expected)
        }
        let architecture = try configuration.architecture()
        #expect(architecture.firstLayerInputFLOPsPerSample == 4 * 784 * 128)
    }

    @Test("inputs denser than the limit take the dense path; MNIST batches are under it")
    func sparseDensityDecision() throws {
        let mnist = shippedMNIST.training.prefix(64)
        var images = [Float](repeating: 0, count: 64 * 784)
        let order = (0..<Int32(64)).map { $0 }
        var labels = [Int32](repeating: 0, count: 64)
        order.withUnsafeBufferPointer { order in
            labels.withUnsafeMutableBufferPointer { labels in
                images.withUnsafeMutableBufferPointer {
                    mnist.gather(order, into: $0.baseAddress!, labels: labels.baseAddress!)
                }
            }
        }
        let masks = NonzeroMasks(inputs: 784, capacity: 64)
        let nonzeros = images.withUnsafeBufferPointer { x in
            (0..<64).reduce(0) { $0 + masks.build(row: $1, from: x.baseAddress! + $1 * 784) }
        }
        let density = Double(nonzeros) / Double(images.count)
        #expect(nonzeros == images.filter { $0 != 0 }.count)
        #expect(density > 0.1 && density <= TrainingStep.sparseDensityLimit, "MNIST density \(density)")
        for input in [0, 63, 64, 500, 783] {
            #expect((masks.word(row: 5, input / 64) >> UInt64(input % 64)) & 1 == (images[5 * 784 + input] != 0 ? 1 : 0))
        }
        // The masks of the images' bytes are those of their floats.
        let fromBytes = NonzeroMasks(inputs: 784, capacity: 64)
        let bytes = PixelBatch(width: 784, capacity: 64)
        order.withUnsafeBufferPointer { order in
            labels.withUnsafeMutableBufferPointer { mnist.gather(order, intoBytes: bytes.bytes, labels: $0.baseAddress!) }
        }
        #expect((0..<64).reduce(0) { $0 + fromBytes.build(row: $1, fromBytes: bytes.bytes + $1 * 784) } == nonzeros)
        #expect((0..<64).allSatisfy { r in (0..<13).allSatisfy { fromBytes.word(row: r, $0) == masks.word(row: r, $0) } })
        var floats = [Float](repeating: .nan, count: 64 * 784)
        floats.withUnsafeMutableBufferPointer { bytes.convert(0..<64, into: $0.baseAddress!) }
        expectSameBits(floats, images)
        // ±0 count as zero; NaN does not.
        let odd = NonzeroMasks(inputs: 5, capacity: 1)
        #expect([Float]([0, -0.0, 1, .nan, -2]).withUnsafeBufferPointer { odd.build(row: 0, from: $0.baseAddress!) } == 3)
        #expect(odd.word(row: 0, 0) == 0b11100)
    }

    @Test("mlp-wide steps are bitwise equal at 1 and 2 threads")
    func wideBitIdentical() throws {
        var configuration = try profile("mlp-wide")
        let training = shippedMNIST.training.prefix(1000)
        var results: [[UInt32]] = []
        for threads in [1, 2] {
            configuration.threads = threads
            configuration.seed = 3
            configuration.weightInitializer = .heNormal
            let trainer = try Trainer(configuration: configuration)
            let network = trainer.network
            _ = try trainer.trainEpoch(on: training)
            results.append(network.parameterValues.map(\.bitPattern))
        }
        #expect(results[0] == results[1])
    }
}

@Suite("Choosing between all threads and one")
struct ThreadChoiceTests {
    /// Feeds `steps` steps whose duration depends on the way they ran; returns the ways taken.
    func run(_ choice: inout ThreadChoice, steps: Int, parallel: Double, serial: Double) -> [Bool] {
        (0..<steps).map { _ in
            let way = choice.parallel
            choice.record(seconds: way ? parallel : serial)
            return way
        }
    }

    /// The ways a probe's steps take: blocks alternating, all threads first.
    var probePattern: [Bool] { (0..<ThreadChoice.probeLength).map(ThreadChoice.probeRunsParallel) }

    @Test("probes both ways in alternating blocks, then keeps the faster")
    func keepsTheFaster() {
        let window = ThreadChoice.probeLength / 2
        var choice = ThreadChoice()
        let probe = run(&choice, steps: 2 * window, parallel: 1, serial: 2)
        let block = ThreadChoice.blockLength
        #expect(probe == (0..<2 * window / (2 * block)).flatMap { _ in
            Array(repeating: true, count: block) + Array(repeating: false, count: block)
        })
        #expect(run(&choice, steps: 100, parallel: 1, serial: 2).allSatisfy { $0 })

        var slow = ThreadChoice()
        _ = run(&slow, steps: 2 * window, parallel: 2, serial: 1)
        #expect(run(&slow, steps: ThreadChoice.firstSerialRecheck, parallel: 2, serial: 1).allSatisfy { !$0 })
    }

    @Test("one slow step in a probe's window does not decide it: the medians do")
    func medianDecides() {
        let window = ThreadChoice.probeLength / 2
        var choice = ThreadChoice()
        for step in 0..<2 * window {
            let way = choice.parallel
            // The parallel window's second timed step takes 50 (an interrupt); the others 1, serial 2.
            choice.record(seconds: way ? (step == ThreadChoice.warmupSteps + 1 ? 50 : 1) : 2)
        }
        #expect(choice.parallel)
    }

    @Test("a slow spell at the start of a probe slows both ways' steps, not one way's window")
    func slowSpellDoesNotDecide() {
        var choice = ThreadChoice()
        for step in 0..<ThreadChoice.probeLength {
            let way = choice.parallel
            // Threads 1.0 a step, one thread 1.3; the first 2 · blockLength steps take 3× as long.
            let spell = step < 2 * ThreadChoice.blockLength ? 3.0 : 1.0
            choice.record(seconds: (way ? 1.0 : 1.3) * spell)
        }
        #expect(choice.parallel)
    }

    @Test("probes again after recheckSteps — sooner after choosing one thread — and when the chosen way slows down")
    func probesAgain() {
        let window = ThreadChoice.probeLength / 2
        var choice = ThreadChoice()
        _ = run(&choice, steps: 2 * window, parallel: 2, serial: 1)
        // Serial was faster: it probes again after firstSerialRecheck steps, then after twice as
        // many each time serial wins again. Each such probe stops after its first block on all
        // threads, whose steps are slower than one thread's lately.
        var interval = ThreadChoice.firstSerialRecheck
        for _ in 0..<3 {
            #expect(run(&choice, steps: interval, parallel: 2, serial: 1).allSatisfy { !$0 })
            let probe = run(&choice, steps: ThreadChoice.blockLength, parallel: 2, serial: 1)
            #expect(probe == Array(probePattern.prefix(ThreadChoice.blockLength)))
            #expect(!choice.parallel)
            interval *= 2
        }
        // A first block slower by less than abortMargin runs the whole window, which the medians
        // decide (still one thread).
        #expect(run(&choice, steps: interval, parallel: 1.05, serial: 1).allSatisfy { !$0 })
        #expect(run(&choice, steps: 2 * window, parallel: 1.05, serial: 1) == probePattern)
        #expect(!choice.parallel)
        interval *= 2
        // Now the threads are faster: tried after the next interval, the whole window runs, they
        // win, and are kept for recheckSteps steps.
        #expect(run(&choice, steps: interval, parallel: 0.5, serial: 1).allSatisfy { !$0 })
        #expect(run(&choice, steps: 2 * window, parallel: 0.5, serial: 1) == probePattern)
        #expect(choice.parallel)
        #expect(run(&choice, steps: ThreadChoice.recheckSteps, parallel: 0.5, serial: 1).allSatisfy { $0 })
        _ = run(&choice, steps: 2 * window, parallel: 0.5, serial: 1)
        #expect(choice.parallel)
        // The parallel steps then slow down threefold: within a few dozen steps it probes, and
        // moves to the calling thread.
        let after = run(&choice, steps: 200, parallel: 1.5, serial: 1)
        #expect(after.suffix(50).allSatisfy { !$0 })
    }

    @Test("a trainer that switches ways mid-epoch (its probe runs a window on one thread) gives bitwise the weights of one thread")
    func switchingKeepsResults() throws {
        var configuration = try profile("mlp-128")
        configuration.epochs = 1
        let subset = shippedMNIST.training.prefix(64 * 40)
        var results: [[UInt32]] = []
        for threads in [1, 2] {
            configuration.threads = threads
            configuration.seed = 2
            configuration.weightInitializer = .heNormal
            let trainer = try Trainer(configuration: configuration)
            let network = trainer.network
            _ = try trainer.trainEpoch(on: subset)
            #expect(trainer.stepsOnOneThread <= 40)
            results.append(network.parameterValues.map(\.bitPattern))
        }
        #expect(results[0] == results[1])
    }
}
