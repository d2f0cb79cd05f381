import Foundation
import Synchronization
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

@Suite("Checkpoints and resume", .serialized)
struct CheckpointTests {
    /// Trains `epochs` epochs, optionally stopping after `stopAfter` steps, saving a checkpoint,
    /// reading it back from disk and continuing in a fresh trainer.
    func run(_ configuration: TrainingConfiguration, data: Dataset, stopAfter: Int?) throws -> [UInt32] {
        var trainer = try Trainer(configuration: configuration)
        if let stopAfter {
            let steps = StepCounter()
            trainer.shouldStop = { steps.next() >= stopAfter }
            do throws(TrainingError) {
                while trainer.completedEpochs < configuration.epochs { _ = try trainer.trainEpoch(on: data) }
                Issue.record("the run was not interrupted")
            } catch {
                guard case .interrupted = error else { throw error }
            }
            let directory = temporaryDirectory()
            defer { try? FileManager.default.removeItem(at: directory) }
            let path = directory.appendingPathComponent("run.ckpt").path
            trainer.history = [EpochReport(epoch: 1, trainLoss: 0.5, testLoss: 0.4, testAccuracy: 0.9, seconds: 1)]
            try trainer.checkpoint().save(to: path)
            let loaded = try Checkpoint.load(from: path)
            #expect(loaded.history.count == 1)
            trainer = try Trainer(resuming: loaded, threads: 2)
        }
        while trainer.completedEpochs < configuration.epochs { _ = try trainer.trainEpoch(on: data) }
        return trainer.network.parameterValues.map(\.bitPattern)
    }

    @Test("a run stopped mid-epoch and resumed ends bitwise equal to an uninterrupted one", arguments: [
        (OptimizerKind.sgd, ScheduleKind.constant, 7), (.adam, .cosine, 23), (.rmsprop, .step, 16), (.adamw, .constant, 27),
    ])
    func resumeIsExact(_ optimizer: OptimizerKind, _ schedule: ScheduleKind, _ stopAfter: Int) throws {
        var configuration = try profile("mlp-128")
        configuration.optimizer = OptimizerConfiguration(
            kind: optimizer, learningRate: optimizer == .sgd ? 0.05 : 0.001, momentum: optimizer == .rmsprop ? 0.5 : nil)
        configuration.schedule = LearningRateSchedule(kind: schedule, stepSize: 1, gamma: 0.5, warmupEpochs: 0.5)
        configuration.dropout = optimizer == .adam ? 0.3 : 0
        configuration.epochs = 3
        configuration.threads = 1
        let data = shippedMNIST.training.prefix(640)  // 10 steps per epoch
        let straight = try run(configuration, data: data, stopAfter: nil)
        let resumed = try run(configuration, data: data, stopAfter: stopAfter)
        #expect(straight == resumed)
    }

    @Test("cancelling the Task of an async fit stops after the current step, ready to checkpoint; resumed, the run ends as an uninterrupted one")
    func cancellingTheTask() async throws {
        var configuration = try profile("mlp-128")
        configuration.epochs = 3
        configuration.threads = 2
        let data = shippedMNIST.training.prefix(1280)  // 20 steps per epoch
        let outcome = try await Task { () async throws -> (epoch: Int, done: Int, checkpoint: Checkpoint) in
            let trainer = try Trainer(configuration: configuration)
            do throws(TrainingError) {
                // The task cancels itself from the progress callback, after step 5 of epoch 2.
                try await trainer.fit(on: data, onStep: { epoch, done, _ in
                    if epoch == 2 && done == 320 { withUnsafeCurrentTask { $0?.cancel() } }
                })
            } catch {
                guard case .interrupted(let epoch, let done) = error else { throw error }
                return (epoch, done, trainer.checkpoint())
            }
            throw TrainingError.diverged(epoch: 0, step: 0, loss: 0)  // not cancelled: fails below
        }.value
        #expect(outcome.epoch == 2 && outcome.done == 320)
        #expect(outcome.checkpoint.completedEpochs == 1 && outcome.checkpoint.epochPosition == 320)
        // In async code the async fit is chosen; both runs go to the end.
        let resumed = try Trainer(resuming: outcome.checkpoint)
        try await resumed.fit(on: data)
        let straight = try Trainer(configuration: configuration)
        try await straight.fit(on: data)
        let (a, b) = (resumed.network.parameterValues, straight.network.parameterValues)
        expectSameBits(a, b)
    }

    @Test("damaged checkpoints give a typed error naming the file")
    func damaged() throws {
        var configuration = try profile("seed-sigmoid")
        configuration.threads = 1
        configuration.seed = 1
        configuration.weightInitializer = .xavierUniform
        let trainer = try Trainer(configuration: configuration)
        let network = trainer.network
        _ = try trainer.trainEpoch(on: shippedMNIST.training.prefix(100))
        let bytes = trainer.checkpoint().encode()
        #expect(throws: Never.self) { _ = try Checkpoint.decode(bytes, path: "c") }
        let cases: [(String, [UInt8])] = [
            ("empty", []), ("magic only", Array(bytes.prefix(8))), ("cut in half", Array(bytes.prefix(bytes.count / 2))),
            ("one byte short", Array(bytes.dropLast())), ("bad magic", [0x58] + Array(bytes.dropFirst())),
            ("a model file", ModelFile.encode(SavedModel(network: network, loss: .softmaxCrossEntropy))),
            ("flipped bit", { var b = bytes; b[b.count / 3] ^= 4; return b }()),
            ("future version", { var b = bytes; b[8] = 9; return b }()),
        ]
        for (name, damaged) in cases {
            do {
                _ = try Checkpoint.decode(damaged, path: "c.ckpt")
                Issue.record("\(name) was accepted")
            } catch {
                #expect(error.description.hasPrefix("c.ckpt: ") && !error.description.contains("\n"), "\(name): \(error)")
            }
        }
    }
}

/// Counts calls from any thread (a ``Trainer/shouldStop`` is polled by every training thread).
final class StepCounter: Sendable {
    private let count = Atomic<Int>(0)
    func next() -> Int { count.add(1, ordering: .relaxed).newValue }
}
