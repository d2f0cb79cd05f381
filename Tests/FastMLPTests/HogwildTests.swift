import Foundation
import Synchronization
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

@Suite("Hogwild", .serialized)
struct HogwildTests {
    @Test("slices cover every sample exactly once", arguments: [1, 2, 3, 8])
    func slices(_ threads: Int) {
        for count in [0, 1, 7, 100, 60000] {
            let slices = HogwildSchedule.slices(count: count, slices: threads)
            #expect(slices.count == threads)
            #expect(slices.flatMap { Array($0) } == Array(0..<count))
        }
    }

    @Test("an epoch visits every sample exactly once across the workers", arguments: [2, 3])
    func visitsEverySampleOnce(_ threads: Int) throws {
        var configuration = try profile("mlp-128")
        configuration.mode = .hogwild
        configuration.threads = threads
        let subset = shippedMNIST.training.prefix(1000)
        configuration.seed = 2
        configuration.weightInitializer = .heNormal
        let trainer = try Trainer(configuration: configuration)
        let network = trainer.network
        let hogwild = try #require(trainer.hogwild)
        // One counter per sample; each slice's thread increments the samples of its batches.
        let visits = UnsafeMutableBufferPointer<Int>.allocate(capacity: subset.count)
        defer { visits.deallocate() }
        let slicesSeen = Mutex<Set<Int>>([])
        for _ in 0..<2 {
            visits.initialize(repeating: 0)
            hogwild.onBatch = { slice, indices in
                for index in indices { visits[Int(index)] += 1 }  // slices are disjoint by construction
                slicesSeen.withLock { _ = $0.insert(slice) }
            }
            _ = try trainer.trainEpoch(on: subset)
            #expect(visits.allSatisfy { $0 == 1 })
        }
        #expect(slicesSeen.withLock { $0 } == Set(0..<threads))
    }

    @Test("Hogwild on mlp-128 reaches ≥ 97 % test accuracy in 5 epochs on 2 threads")
    func converges() throws {
        var configuration = try profile("mlp-128")
        configuration.mode = .hogwild
        configuration.threads = 2
        configuration.epochs = 5
        let (_, evaluation) = try trainOnMNIST(configuration)
        #expect(evaluation.accuracy >= 0.97, "test accuracy \(evaluation.accuracy)")
    }

    @Test("Hogwild on one thread is plain SGD: bitwise equal to sync on one thread")
    func oneThreadIsSync() throws {
        var configuration = try profile("seed-sigmoid")
        let subset = shippedMNIST.training.prefix(2000)
        var results: [[UInt32]] = []
        for mode in [ParallelMode.synchronous, .hogwild] {
            configuration.mode = mode
            configuration.threads = 1
            configuration.seed = 4
            configuration.weightInitializer = .xavierUniform
            let trainer = try Trainer(configuration: configuration)
            let network = trainer.network
            _ = try trainer.trainEpoch(on: subset)
            results.append(network.parameterValues.map(\.bitPattern))
        }
        #expect(results[0] == results[1])
    }
}
