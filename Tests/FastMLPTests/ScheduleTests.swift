import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

@Suite("Learning-rate schedules")
struct ScheduleTests {
    @Test("constant, step and cosine give the stated rates")
    func values() {
        let constant = LearningRateSchedule()
        #expect((0..<50).allSatisfy { constant.learningRate(base: 0.1, step: $0, stepsPerEpoch: 10, totalEpochs: 5) == 0.1 })

        let step = LearningRateSchedule(kind: .step, stepSize: 2, gamma: 0.5)
        let stepRates = [0, 19, 20, 39, 40, 60].map { step.learningRate(base: 0.8, step: $0, stepsPerEpoch: 10, totalEpochs: 8) }
        #expect(stepRates == [0.8, 0.8, 0.4, 0.4, 0.2, 0.1])

        let cosine = LearningRateSchedule(kind: .cosine)
        #expect(cosine.learningRate(base: 1, step: 0, stepsPerEpoch: 10, totalEpochs: 4) == 1)
        #expect(abs(cosine.learningRate(base: 1, step: 20, stepsPerEpoch: 10, totalEpochs: 4) - 0.5) < 1e-7)
        #expect(cosine.learningRate(base: 1, step: 40, stepsPerEpoch: 10, totalEpochs: 4) < 1e-7)
        #expect(abs(cosine.learningRate(base: 1, step: 10, stepsPerEpoch: 10, totalEpochs: 4) - Float(0.5 * (1 + 0.5.squareRoot()))) < 1e-6)
    }

    @Test("warm-up rises linearly to the scheduled rate")
    func warmup() {
        let schedule = LearningRateSchedule(kind: .constant, warmupEpochs: 0.5)
        let rates = (0..<7).map { schedule.learningRate(base: 1, step: $0, stepsPerEpoch: 10, totalEpochs: 2) }
        #expect(rates == [0.2, 0.4, 0.6, 0.8, 1, 1, 1])
    }

    @Test("the trainer steps through the schedule: a step decay of 0 learns nothing after the first epoch")
    func trainerFollowsSchedule() throws {
        var configuration = try profile("mlp-128")
        configuration.schedule = LearningRateSchedule(kind: .step, stepSize: 1, gamma: 1e-30)
        configuration.optimizer.momentum = 0
        configuration.epochs = 3
        let subset = shippedMNIST.training.prefix(640)
        configuration.seed = 1
        configuration.weightInitializer = .heNormal
        let trainer = try Trainer(configuration: configuration)
        let network = trainer.network
        _ = try trainer.trainEpoch(on: subset)
        let afterFirst = network.parameterValues
        _ = try trainer.trainEpoch(on: subset)
        let afterSecond = network.parameterValues
        let change = zip(afterFirst, afterSecond).map { abs($0 - $1) }.max() ?? 0
        #expect(change < 1e-20)
        #expect(trainer.completedSteps == 20)
    }
}
