@_spi(Tools) import FastMLP
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One `fastmlp train` run, step by step: what the flags (or the checkpoint) ask for, the data,
/// the trainer, the header, the training itself, and what is written at the end.
struct TrainRun {
    let arguments: ParsedArguments
    var configuration = TrainingConfiguration()
    var profileName: String?
    var checkpoint: Checkpoint?
    var table: TableFlags?
    var tables: (training: CSVTable, test: CSVTable)?
    var encoding: (encoding: TableEncoding, ignored: [IgnoredColumn], inferredTask: Bool)?
    var json: Bool { arguments.has("json") }
    var quiet: Bool { arguments.has("quiet") || json }
    /// A resumed run goes on checkpointing to the file it came from unless told otherwise.
    var checkpointPath: String? { arguments.string("checkpoint") ?? arguments.string("resume") }

    /// The data of the run: training (less the validation split), validation, test.
    struct Data {
        var training: Dataset
        var validation: Dataset?
        var test: Dataset
        var table: TableEncoding?
    }

    /// Reads the flags, or the checkpoint and the flags that may accompany it, and checks
    /// everything that can be checked before any data is read.
    init(_ arguments: ParsedArguments) throws {
        self.arguments = arguments
        if let path = arguments.string("resume") {
            try readCheckpoint(path)
            try readTables()
        } else {
            try readTables()
            (configuration, profileName) = try Self.configuration(arguments, table: encoding?.encoding)
        }
        do {
            try configuration.validate()
        } catch {
            throw arguments.usage(flagMessage(error))
        }
        if let path = arguments.string("save") { try checkOutputPath(path, flag: "--save") }
        if let path = arguments.string("checkpoint") { try checkOutputPath(path, flag: "--checkpoint") }
        if let path = arguments.string("plot") {
            try checkPlotPath(path, arguments)
            if configuration.epochs == 0 { throw arguments.usage("--plot needs at least one epoch to draw (--epochs is 0)") }
        }
    }

    /// The configuration the flags describe: the defaults (or, for a table, the table recipe for
    /// the loss asked for or the task's own), then `--profile`, then every other flag. Not yet
    /// validated.
    static func configuration(
        _ arguments: ParsedArguments, table: TableEncoding?
    ) throws -> (TrainingConfiguration, profile: String?) {
        var configuration = TrainingConfiguration()
        var profileName: String?
        if let table {
            let loss = try arguments.choice("loss", Loss.init(rawValue:), expected: "softmax-ce, mse, bce")
            configuration = TrainingConfiguration(table: table, loss: loss)
        }
        if let name = arguments.string("profile") {
            let profile = try resolveProfile(name, arguments)
            configuration = profile.configuration
            profileName = profile.name
        }
        try TrainCommand.applyOverrides(arguments, to: &configuration)
        if let classes = configuration.classes, let bad = classes.first(where: { !(0...9).contains($0) }) {
            throw arguments.usage("--classes: MNIST digits are 0...9, got \(bad)")
        }
        return (configuration, profileName)
    }

    /// `--resume`: the checkpoint fixes the configuration; `--epochs` is the run's total and must
    /// leave something to train.
    private mutating func readCheckpoint(_ path: String) throws {
        let given = Set(arguments.values.keys).union(arguments.flags)
        if let conflicting = given.subtracting(TrainCommand.resumableFlags).sorted().first {
            throw arguments.usage("--\(conflicting) cannot be combined with --resume: the checkpoint fixes the configuration")
        }
        _ = try arguments.int("epochs", range: 1...1_000_000)
        _ = try arguments.int("threads", range: 1...1024)
        let loaded: Checkpoint
        do {
            loaded = try Checkpoint.load(from: path)
        } catch {
            throw RuntimeError(describe(error))
        }
        checkpoint = loaded
        configuration = loaded.configuration
        if let epochs = try arguments.int("epochs") { configuration.epochs = epochs }
        if let threads = try arguments.int("threads") { configuration.threads = threads }
        let done = loaded.completedEpochs
        if configuration.epochs <= done {
            let given = arguments.string("epochs") != nil ? "--epochs \(configuration.epochs)" : "the run's \(configuration.epochs) epochs"
            throw arguments.usage(
                "--epochs is the total number of epochs, and \(path) has \(done) done: \(given) leaves nothing to train; "
                    + "give --epochs \(done + 1) or more")
        }
    }

    /// `--train-csv`: reads both tables and fits the encoding on the training table.
    private mutating func readTables() throws {
        table = try TableFlags(arguments)
        guard var table else { return }
        // A resumed run's task is its checkpoint's (its loss), unless --task says otherwise.
        if let checkpoint, arguments.string("task") == nil {
            table.options.task = checkpoint.configuration.loss == .meanSquaredError ? .regression : .classification
            self.table = table
        }
        if arguments.string("data") != nil || arguments.string("classes") != nil {
            throw arguments.usage("--data and --classes are for MNIST; they do not go with --train-csv")
        }
        let read = try table.read()
        tables = read
        encoding = try table.fit(read.training)
    }

    /// The tables or MNIST, with the validation split held out.
    func loadData() throws -> Data {
        var data: Data
        if let table, let tables, let encoding = encoding?.encoding {
            var encodedTraining: EncodedTable, encodedTest: EncodedTable
            do {
                encodedTraining = try encoding.encode(tables.training)
                encodedTest = try encoding.encode(tables.test)
            } catch {
                throw RuntimeError(describe(error))
            }
            if !arguments.has("quiet") {
                for line in encodingWarnings(encodedTraining, encoding: encoding, path: table.trainPath)
                    + encodingWarnings(encodedTest, encoding: encoding, path: table.testPath) {
                    printError("warning: " + line)
                }
            }
            guard let training = encodedTraining.dataset, let test = encodedTest.dataset else {
                throw RuntimeError("\(table.testPath): no column named '\(encoding.target)' (columns: \(tables.test.columns.joined(separator: ", ")))")
            }
            data = Data(training: training, test: test, table: encoding)
        } else {
            let (training, test) = try loadMNIST(arguments, classes: configuration.classes)
            data = Data(training: training, test: test)
        }
        if configuration.validationSplit > 0 {
            (data.training, data.validation) = data.training.splitValidation(
                fraction: configuration.validationSplit, seed: configuration.seed)
        }
        return data
    }

    /// A trainer resumed from the checkpoint, started from `--init-from`'s weights, or new.
    func makeTrainer(for data: Data) throws -> Trainer {
        let architecture = try configuration.architecture()
        try TrainCommand.checkShape(architecture, against: data.training, loss: configuration.loss, arguments, resumed: checkpoint != nil)
        do {
            if let checkpoint {
                return try Trainer(resuming: checkpoint, epochs: configuration.epochs, threads: configuration.threads)
            }
            guard let path = arguments.string("init-from") else { return try Trainer(configuration: configuration) }
            let parameters: [Float]
            if isSafeTensors(path) {
                parameters = try SafeTensors.parameters(from: path, for: architecture)
            } else {
                let model = try ModelFile.load(from: path)
                guard model.network.architecture.layerSizes == architecture.layerSizes else {
                    throw RuntimeError("--init-from: \(path) holds a \(model.network.architecture) network, the run trains \(architecture)")
                }
                parameters = model.network.parameterValues
            }
            return try Trainer(network: try Network(architecture: architecture, parameters: parameters), configuration: configuration)
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError((arguments.string("init-from") != nil ? "--init-from: " : "") + describe(error))
        }
    }

    /// The informational lines (not with `--quiet`) and the epoch table's header and replayed
    /// epochs (not with `--json`).
    func printHeader(_ trainer: Trainer, _ data: Data) {
        let threads = trainer.threadCount, cores = ProcessInfo.processInfo.activeProcessorCount
        if threads > cores && !arguments.has("quiet") {
            printError("warning: --threads \(threads) is more than the \(cores) online cores; threads will share cores")
        }
        if !quiet {
            if let checkpoint {
                printLine(
                    "resuming \(arguments.string("resume") ?? "") at epoch \(checkpoint.completedEpochs + 1)"
                        + (checkpoint.epochPosition > 0 ? " (\(checkpoint.epochPosition) samples in)" : "")
                        + " of \(configuration.epochs)")
            }
            printLine(
                "training \(trainer.network.architecture) on \(data.training.count) samples (test \(data.test.count)): loss \(configuration.loss), "
                    + "init \(configuration.weightInitializer), batch \(configuration.batchSize), \(configuration.optimizer.kind) lr \(configuration.optimizer.learningRate), "
                    + ([.sgd, .rmsprop].contains(configuration.optimizer.kind) ? "momentum \(configuration.optimizer.resolvedMomentum), " : "") + "seed \(configuration.seed), \(threads) thread\(threads == 1 ? "" : "s") (\(configuration.mode))")
            if let encoding {
                for line in tableSummary(encoding.encoding, ignored: encoding.ignored, inferredTask: encoding.inferredTask, loss: configuration.loss) {
                    printLine(line)
                }
            }
            if let validation = data.validation { printLine("validation: \(validation.count) samples held out of the training set") }
        }
        // --quiet keeps the table, header included; --json prints only the JSON.
        if !json {
            printLine("epoch  train_loss" + (data.validation != nil ? "  val_loss   val_acc" : "") + "  test_loss  "
                + (data.test.isRegression ? " test_r2" : "test_acc") + "  seconds  samples/s")
            for report in checkpoint?.history ?? [] {
                TrainCommand.printEpoch(report, trainingSamples: data.training.count, fromCheckpoint: true)
            }
        }
    }

    /// The model as the run leaves it, written atomically.
    func saveModel(_ trainer: Trainer, _ data: Data, to path: String) throws {
        do {
            try ModelFile.save(
                SavedModel(network: trainer.network, loss: configuration.loss, classes: configuration.classes, table: data.table),
                to: path)
        } catch {
            throw RuntimeError(describe(error))
        }
    }
}

extension TrainRun {
    /// Trains to the configured epochs in a task that Ctrl-C and SIGTERM cancel (this thread
    /// waits), checkpointing after every epoch. Interrupted, it writes the checkpoint and the
    /// model as they stand and throws ``Interrupted`` with the command that resumes the run.
    func train(_ trainer: Trainer, _ data: Data) throws -> FitResult {
        let progress = ProgressLine(quiet: arguments.has("quiet"))
        let shared = Handoff(value: (trainer: trainer, progress: progress, failure: FailureSlot()))
        let (configuration, checkpointPath, json) = (configuration, checkpointPath, json)
        do {
            progress.begin()
            let result = try runCancellingOnSignals {
                try await shared.value.trainer.fit(
                    on: data.training, validation: data.validation, test: data.test,
                    onEpoch: { report in
                        shared.value.progress.clear()
                        do {
                            try TrainCommand.saveCheckpoint(shared.value.trainer, to: checkpointPath)
                        } catch {
                            shared.value.failure.error = error
                            return .stop
                        }
                        if !json { TrainCommand.printEpoch(report, trainingSamples: data.training.count) }
                        return .continue
                    },
                    onStep: { epoch, done, total in
                        if done <= configuration.batchSize { shared.value.progress.begin() }
                        shared.value.progress.update(label: "epoch \(epoch)/\(configuration.epochs)", done: done, total: total)
                    })
            }
            if let failure = shared.value.failure.error { throw failure }
            return result
        } catch TrainingError.interrupted(let epoch, let done) {
            progress.clear()
            try TrainCommand.saveCheckpoint(trainer, to: checkpointPath)
            var message = "interrupted in epoch \(epoch) after \(done) samples"
            if let path = arguments.string("save") {
                try saveModel(trainer, data, to: path)
                message += "; the model as it stands saved to \(path)"
            }
            if let checkpointPath {
                message += "; checkpoint written to \(checkpointPath); resume with: "
                    + TrainCommand.resumeCommand(arguments, checkpoint: checkpointPath, epochs: configuration.epochs)
            } else if arguments.string("save") == nil {
                message += "; nothing saved (give --checkpoint PATH to be able to resume, or --save PATH to keep the model)"
            }
            throw Interrupted(message: message, status: stopRequest.load(ordering: .relaxed) == SIGTERM ? 143 : 130)
        } catch let error as RuntimeError {
            throw error
        } catch {
            progress.clear()
            throw RuntimeError(describe(error))
        }
    }

    /// After training: early stopping's report, the final test figures, `--save`, `--plot` and
    /// `--json`.
    func finish(_ trainer: Trainer, _ data: Data, _ result: FitResult) throws {
        let history = result.history
        if let epoch = result.restoredEpoch, let stopping = trainer.earlyStopping, !quiet {
            let reason = result.stoppedEarly ? "stopped early: \(stopping.patience) epochs without a better validation loss; " : ""
            printLine("\(reason)restored the weights of epoch \(epoch) (validation loss \(String(format: "%.4f", stopping.bestLoss)))")
        }
        // After restoring the best weights the result is the network as it now stands;
        // otherwise the last epoch's.
        let final = try (result.restoredEpoch != nil ? nil : history.last).flatMap { report in
            report.testLoss.map { (loss: $0, accuracy: report.testAccuracy ?? 0) }
        } ?? trainer.evaluate(on: data.test).lossAndAccuracy
        // Regression errors in the target's own units (undoing a standardisation).
        let regression = data.test.isRegression
            ? try trainer.evaluate(on: data.test, targetScales: data.table?.standardization?.targetScales).regression : nil
        if result.restoredEpoch != nil && regression == nil && !quiet {
            printLine("test loss \(String(format: "%.4f", final.loss))  accuracy \(percent(final.accuracy)) (the restored weights)")
        } else if history.isEmpty && regression == nil && !json {
            // `--epochs 0`: the table has no row, so give the initial weights' figures (a result,
            // which --quiet keeps, as it keeps the table).
            printLine("no epoch to train: test loss \(String(format: "%.4f", final.loss))  accuracy \(percent(final.accuracy))")
        }
        if let regression, !quiet {
            printLine(String(format: "test mse %.6g  mae %.6g  r2 %.6f (in the target's units)", regression.mse, regression.mae, regression.r2))
        }
        if let path = arguments.string("save") {
            try saveModel(trainer, data, to: path)
            if !quiet { printLine("saved \(path)") }
        }
        if let path = arguments.string("plot") {
            try writePlot(history, title: profileName ?? trainer.network.architecture.description, to: path)
            if !quiet { printLine("wrote \(path)") }
        }
        guard json else { return }
        let replayed = checkpoint?.history.count ?? 0
        printLine(jsonLine(TrainResult(
            profile: profileName, architecture: trainer.network.architecture.description, configuration: configuration,
            threads: trainer.threadCount, trainSamples: data.training.count, testSamples: data.test.count,
            epochs: history.map { EpochRecord($0, trainingSamples: data.training.count, fromCheckpoint: $0.epoch <= replayed) },
            testLoss: final.loss, testAccuracy: data.test.isRegression ? nil : final.accuracy,
            mse: regression?.mse, mae: regression?.mae, r2: regression?.r2,
            trainSeconds: history.reduce(0) { $0 + $1.seconds }, savedModel: arguments.string("save"))))
    }

    /// The loss and accuracy per epoch as an SVG chart, written atomically.
    func writePlot(_ history: [EpochReport], title: String, to path: String) throws {
        let epochs = history.map { Double($0.epoch) }
        func series(_ name: String, _ values: (EpochReport) -> Double?) -> (name: String, points: [(x: Double, y: Double)]) {
            (name, zip(epochs, history.map { values($0) ?? .nan }).map { (x: $0.0, y: $0.1) })
        }
        let svg = SVGChart.lines(
            title: "fastmlp train — \(title)", xLabel: "epoch",
            panels: [
                .init(title: "loss", series: [
                    series("train") { $0.trainLoss }, series("validation") { $0.validationLoss }, series("test") { $0.testLoss },
                ]),
                .init(title: "accuracy", unit: " %", series: [
                    series("validation") { $0.validationAccuracy.map { 100 * $0 } },
                    series("test") { $0.testAccuracy.map { 100 * $0 } },
                ]),
            ])
        do {
            try AtomicFile.write(Array(svg.utf8), to: path)
        } catch {
            throw RuntimeError("--plot: \(describe(error))")
        }
    }
}
