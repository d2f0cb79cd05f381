@_spi(Tools) import FastMLP
import Foundation

enum TrainCommand {
    static let spec = CommandSpec(
        name: "train",
        summary: "Train a multilayer perceptron on MNIST and report loss and accuracy after every epoch.",
        options: [
            OptionSpec("profile", "NAME|PATH", "Start from a preset in Profiles/ (or a JSON file); flags override it."),
            OptionSpec("layers", "N,N,...", "Layer widths from input to output (default 784,128,10)."),
            OptionSpec("activation", "NAME", "Hidden activation: relu, sigmoid, tanh, identity (default relu)."),
            OptionSpec("output-activation", "NAME", "Output activation (default: softmax for softmax-ce, identity for mse)."),
            OptionSpec("init", "NAME", "Weights: zeros, normal[:SIGMA], xavier-uniform, xavier-normal, he-uniform, he-normal."),
            OptionSpec("bias-init", "X", "Initial value of every bias (default 0)."),
            OptionSpec("loss", "NAME", "softmax-ce, mse or bce (default softmax-ce); the output activation follows it."),
            OptionSpec("epochs", "N", "Passes over the training set (default 5)."),
            OptionSpec("batch-size", "N", "Samples per SGD step (default 64)."),
            OptionSpec("lr", "X", "Learning rate (default 0.05)."),
            OptionSpec("momentum", "X", "Momentum μ in v = μ·v + g (default 0.9)."),
            OptionSpec("optimizer", "NAME", "sgd, adam, adamw or rmsprop (default sgd)."),
            OptionSpec("nesterov", nil, "SGD with Nesterov momentum."),
            OptionSpec("dense", nil, "Force the dense first layer (by default it skips zero inputs on sparse data such as MNIST; the results are the same bits)."),
            OptionSpec("beta1", "X", "Adam/AdamW decay of the gradient average (default 0.9)."),
            OptionSpec("beta2", "X", "Adam/AdamW decay of the squared gradient average (default 0.999); RMSprop's alpha (0.99)."),
            OptionSpec("eps", "X", "Adam/AdamW/RMSprop epsilon (default 1e-8)."),
            OptionSpec("weight-decay", "X", "L2 weight decay (AdamW: decoupled; default 0, AdamW 0.01)."),
            OptionSpec("schedule", "NAME", "Learning rate: constant, step (× gamma every --step-size epochs) or cosine (to 0)."),
            OptionSpec("step-size", "N", "Epochs between decays of the step schedule (default 1)."),
            OptionSpec("gamma", "X", "Decay factor of the step schedule (default 0.1)."),
            OptionSpec("warmup", "EPOCHS", "Linear warm-up over this many epochs (fractions allowed; default 0)."),
            OptionSpec("dropout", "P", "Inverted dropout on every hidden layer while training, e.g. 0.5 (default 0)."),
            OptionSpec("val-split", "F", "Hold out this fraction of the training set for validation (seeded)."),
            OptionSpec("patience", "N", "Stop after N epochs without a better validation loss; restore the best weights."),
            OptionSpec("seed", "N", "Seed for initialisation and shuffling (default 42)."),
            OptionSpec("threads", "N", "Worker threads (default: online cores)."),
            OptionSpec("mode", "sync|hogwild", "sync: deterministic, bitwise the same at any --threads (default); hogwild: lock-free, not reproducible."),
            CommonOptions.data,
            OptionSpec("classes", "D,D,...", "Keep only these digits, e.g. 1,7 (relabelled in this order)."),
            OptionSpec("train-csv", "FILE", "Train on a CSV table (header row, numeric cells) instead of MNIST."),
            OptionSpec("test-csv", "FILE", "The table to test on (the same columns, in any order)."),
            OptionSpec("target", "COLUMN", "The column to predict: class labels 0, 1, … (softmax-ce, bce) or values (mse)."),
            OptionSpec("standardize", nil, "Standardise the features (and a regression target) with the training set's mean and deviation."),
            OptionSpec("init-from", "PATH", "Start from these weights (a fastmlp model or a .safetensors file) instead of --init."),
            OptionSpec("save", "PATH", "Write the trained model here (atomically)."),
            OptionSpec("plot", "PATH", "Write an SVG chart of the loss and accuracy per epoch."),
            OptionSpec("checkpoint", "PATH", "Write a checkpoint here after every epoch and on Ctrl-C (atomically)."),
            OptionSpec("resume", "PATH", "Continue the run saved in a checkpoint, up to --epochs in total."),
            CommonOptions.json,
            CommonOptions.quiet,
        ],
        details: """
            Each epoch prints: epoch, train loss, test loss, test accuracy, seconds, samples/s.
            Ctrl-C finishes the current step, writes the --checkpoint, and exits with status 130; a
            second Ctrl-C exits at once. A synchronous run resumed with --resume (same total --epochs)
            ends with exactly the weights of an uninterrupted run.
            Example: fastmlp train --profile mlp-128 --epochs 5 --save mlp128.fmlp
            """)

    /// Flags that may accompany --resume; everything else is fixed by the checkpoint.
    static let resumableFlags: Set<String> = [
        "resume", "epochs", "threads", "checkpoint", "save", "data", "json", "quiet", "plot", "train-csv", "test-csv",
        "target", "standardize",
    ]

    static func run(_ arguments: ParsedArguments) throws {
        var configuration = TrainingConfiguration()
        var profileName: String?
        var checkpoint: Checkpoint?
        if let path = arguments.string("resume") {
            let given = Set(arguments.values.keys).union(arguments.flags)
            if let conflicting = given.subtracting(resumableFlags).sorted().first {
                throw arguments.usage("--\(conflicting) cannot be combined with --resume: the checkpoint fixes the configuration")
            }
            _ = try arguments.int("epochs", range: 1...1_000_000)
            _ = try arguments.int("threads", range: 1...1024)
            do {
                checkpoint = try Checkpoint.load(from: path)
            } catch {
                throw RuntimeError(describe(error))
            }
            configuration = checkpoint!.configuration
            if let epochs = try arguments.int("epochs") { configuration.epochs = epochs }
            if let threads = try arguments.int("threads") { configuration.threads = threads }
            // --epochs is the run's total: it must leave something to train.
            let done = checkpoint!.completedEpochs
            if configuration.epochs <= done {
                let given = arguments.string("epochs") != nil ? "--epochs \(configuration.epochs)" : "the run's \(configuration.epochs) epochs"
                throw arguments.usage(
                    "--epochs is the total number of epochs, and \(path) has \(done) done: \(given) leaves nothing to train; "
                        + "give --epochs \(done + 1) or more")
            }
        } else {
            if let name = arguments.string("profile") {
                let profile = try resolveProfile(name, arguments)
                configuration = profile.configuration
                profileName = profile.name
            }
            try applyOverrides(arguments, to: &configuration)
            if let classes = configuration.classes, let bad = classes.first(where: { !(0...9).contains($0) }) {
                throw arguments.usage("--classes: MNIST digits are 0...9, got \(bad)")
            }
        }
        let table = try TableOptions(arguments)
        var tables: (training: CSVTable, test: CSVTable)?
        if let table {
            if arguments.string("data") != nil || configuration.classes != nil {
                throw arguments.usage("--data and --classes are for MNIST; they do not go with --train-csv")
            }
            let read = try table.read()
            tables = read
            if checkpoint == nil && arguments.string("layers") == nil && profileName == nil {
                // A first guess for a table: one hidden layer of 64, outputs to fit the task.
                let features = read.training.columns.count - 1
                // Class labels 0...max give max + 1 outputs; a target that is no class label
                // (a fraction, a value past 255) is refused with its reason by `dataset`.
                let largest: Float = read.training.column(table.target)?.max() ?? 0
                let outputs = configuration.loss == .softmaxCrossEntropy ? Int(min(Swift.max(largest, 0), 65_536)) + 1 : 1
                configuration.layers = [features, 64, outputs]
            }
        }
        do {
            try configuration.validate()
        } catch {
            throw arguments.usage(flagMessage(error))
        }
        let json = arguments.has("json")
        let quiet = arguments.has("quiet") || json
        if let path = arguments.string("save") { try checkOutputPath(path, flag: "--save") }
        if let path = arguments.string("checkpoint") { try checkOutputPath(path, flag: "--checkpoint") }
        if let path = arguments.string("plot") {
            try checkPlotPath(path, arguments)
            if configuration.epochs == 0 { throw arguments.usage("--plot needs at least one epoch to draw (--epochs is 0)") }
        }

        var training: Dataset, test: Dataset
        var tabular: TabularInfo?
        if let table, let tables {
            (training, test, tabular) = try table.datasets(tables, configuration: configuration)
        } else {
            (training, test) = try loadMNIST(arguments, classes: configuration.classes)
        }
        var validation: Dataset?
        if configuration.validationSplit > 0 {
            (training, validation) = training.splitValidation(fraction: configuration.validationSplit, seed: configuration.seed)
        }
        let architecture = try configuration.architecture()
        try checkShape(architecture, against: training, loss: configuration.loss, arguments, resumed: checkpoint != nil)
        let trainer: Trainer
        do {
            if let checkpoint {
                trainer = try Trainer(resuming: checkpoint, epochs: configuration.epochs, threads: configuration.threads)
            } else if let path = arguments.string("init-from") {
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
                trainer = try Trainer(network: try Network(architecture: architecture, parameters: parameters), configuration: configuration)
            } else {
                trainer = try Trainer(configuration: configuration)
            }
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError((arguments.string("init-from") != nil ? "--init-from: " : "") + describe(error))
        }
        let network = trainer.network
        let threads = trainer.threadCount
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if threads > cores && !arguments.has("quiet") {
            printError("warning: --threads \(threads) is more than the \(cores) online cores; threads will share cores")
        }
        let earlier = checkpoint?.history ?? []
        if !quiet {
            if let checkpoint {
                printLine(
                    "resuming \(arguments.string("resume") ?? "") at epoch \(checkpoint.completedEpochs + 1)"
                        + (checkpoint.epochPosition > 0 ? " (\(checkpoint.epochPosition) samples in)" : "")
                        + " of \(configuration.epochs)")
            }
            printLine(
                "training \(architecture) on \(training.count) samples (test \(test.count)): loss \(configuration.loss), "
                    + "init \(configuration.weightInitializer), batch \(configuration.batchSize), \(configuration.optimizer) lr \(configuration.learningRate), "
                    + "momentum \(configuration.resolvedMomentum), seed \(configuration.seed), \(threads) thread\(threads == 1 ? "" : "s") (\(configuration.mode))")
            if let validation { printLine("validation: \(validation.count) samples held out of the training set") }
        }
        // --quiet keeps the table, header included; --json prints only the JSON.
        if !json {
            printLine("epoch  train_loss" + (validation != nil ? "  val_loss   val_acc" : "") + "  test_loss  "
                + (test.isRegression ? " test_r2" : "test_acc") + "  seconds  samples/s")
            for report in earlier { printEpoch(report, trainingSamples: training.count, fromCheckpoint: true) }
        }
        let progress = ProgressLine(quiet: arguments.has("quiet"))
        // A resumed run goes on checkpointing to the file it came from unless told otherwise.
        let checkpointPath = arguments.string("checkpoint") ?? arguments.string("resume")
        func saveCheckpoint() throws { try Self.saveCheckpoint(trainer, to: checkpointPath) }
        func saveModel(to path: String) throws {
            do {
                try ModelFile.save(
                    SavedModel(network: network, loss: configuration.loss, classes: configuration.classes, tabular: tabular), to: path)
            } catch {
                throw RuntimeError(describe(error))
            }
        }
        let result: FitResult
        do {
            // The async fit runs in a task that Ctrl-C and SIGTERM cancel; this thread waits.
            let shared = Handoff(value: (trainer: trainer, progress: progress, failure: FailureSlot()))
            let (training, validation, test, configuration) = (training, validation, test, configuration)
            progress.begin()
            result = try runCancellingOnSignals {
                try await shared.value.trainer.fit(
                    on: training, validation: validation, test: test,
                    onEpoch: { report in
                        shared.value.progress.clear()
                        do {
                            try Self.saveCheckpoint(shared.value.trainer, to: checkpointPath)
                        } catch {
                            shared.value.failure.error = error
                            return .stop
                        }
                        if !json { printEpoch(report, trainingSamples: training.count) }
                        return .continue
                    },
                    onStep: { epoch, done, total in
                        if done <= configuration.batchSize { shared.value.progress.begin() }
                        shared.value.progress.update(label: "epoch \(epoch)/\(configuration.epochs)", done: done, total: total)
                    })
            }
            if let failure = shared.value.failure.error { throw failure }
        } catch TrainingError.interrupted(let epoch, let done) {
            progress.clear()
            try saveCheckpoint()
            var message = "interrupted in epoch \(epoch) after \(done) samples"
            if let path = arguments.string("save") {
                try saveModel(to: path)
                message += "; the model as it stands saved to \(path)"
            }
            if let checkpointPath {
                message += "; checkpoint written to \(checkpointPath); resume with: "
                    + resumeCommand(arguments, checkpoint: checkpointPath, epochs: configuration.epochs)
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
        let history = result.history
        let restored = result.restoredEpoch != nil
        if let epoch = result.restoredEpoch, let stopping = trainer.earlyStopping, !quiet {
            let reason = result.stoppedEarly ? "stopped early: \(stopping.patience) epochs without a better validation loss; " : ""
            printLine("\(reason)restored the weights of epoch \(epoch) (validation loss \(String(format: "%.4f", stopping.bestLoss)))")
        }
        // After restoring the best weights, with --epochs 0 or a finished checkpoint, the result
        // is the network as it now stands; otherwise the last epoch's.
        let final = try (restored ? nil : history.last).flatMap { report in
            report.testLoss.map { (loss: $0, accuracy: report.testAccuracy ?? 0) }
        } ?? trainer.evaluate(on: test).lossAndAccuracy
        // Regression errors in the target's own units (undoing a standardisation).
        let regression = test.isRegression
            ? try trainer.evaluate(on: test, targetScales: tabular?.standardization?.targetScales).regression : nil
        if let regression, !quiet {
            printLine(String(format: "test mse %.6g  mae %.6g  r2 %.6f (in the target's units)", regression.mse, regression.mae, regression.r2))
        }
        if let path = arguments.string("save") {
            try saveModel(to: path)
            if !quiet { printLine("saved \(path)") }
        }
        if let path = arguments.string("plot") {
            let epochs = history.map { Double($0.epoch) }
            let svg = SVGChart.lines(
                title: "fastmlp train — \(profileName ?? architecture.description)", xLabel: "epoch",
                panels: [
                    .init(title: "loss", series: [
                        ("train", Array(zip(epochs, history.map(\.trainLoss)))),
                        ("validation", Array(zip(epochs, history.map { $0.validationLoss ?? .nan }))),
                        ("test", Array(zip(epochs, history.map { $0.testLoss ?? .nan }))),
                    ].map { (name: $0.0, points: $0.1.map { (x: $0.0, y: $0.1) }) }),
                    .init(title: "accuracy", unit: " %", series: [
                        (name: "validation", points: zip(epochs, history.map { 100 * ($0.validationAccuracy ?? .nan) }).map { (x: $0.0, y: $0.1) }),
                        (name: "test", points: zip(epochs, history.map { 100 * ($0.testAccuracy ?? .nan) }).map { (x: $0.0, y: $0.1) }),
                    ]),
                ])
            do {
                try AtomicFile.write(Array(svg.utf8), to: path)
            } catch {
                throw RuntimeError("--plot: \(describe(error))")
            }
            if !quiet { printLine("wrote \(path)") }
        }
        if json {
            printLine(jsonLine(TrainResult(
                profile: profileName, architecture: architecture.description, configuration: configuration,
                threads: threads, trainSamples: training.count, testSamples: test.count,
                epochs: history.map {
                    EpochRecord($0, trainingSamples: training.count, fromCheckpoint: $0.epoch <= earlier.count)
                },
                testLoss: final.loss, testAccuracy: test.isRegression ? nil : final.accuracy,
                mse: regression?.mse, mae: regression?.mae, r2: regression?.r2,
                trainSeconds: history.reduce(0) { $0 + $1.seconds }, savedModel: arguments.string("save"))))
        }
    }

    /// One row of the epoch table. Epochs replayed from a checkpoint are marked, and so is an
    /// epoch resumed in its middle, whose time and rate cover only the samples trained since.
    static func printEpoch(_ report: EpochReport, trainingSamples: Int, fromCheckpoint: Bool = false) {
        var validation = ""
        if let loss = report.validationLoss, let accuracy = report.validationAccuracy {
            validation = String(format: "  %8.4f  ", loss) + leftPad(percent(accuracy), 8)
        }
        let samples = report.samples ?? trainingSamples
        var note = fromCheckpoint ? "  (from the checkpoint)" : ""
        if samples < trainingSamples { note += "  (resumed: \(samples) of \(trainingSamples) samples)" }
        printLine(
            String(format: "%5d  %10.4f", report.epoch, report.trainLoss) + validation
                + String(format: "  %9.4f  ", report.testLoss ?? .nan)
                + leftPad(report.testR2.map { String(format: "%.4f", $0) } ?? percent(report.testAccuracy ?? .nan), 8)
                + String(format: "  %7.2f  %9.0f", report.seconds, Double(samples) / max(report.seconds, 1e-9)) + note)
    }

    /// Writes the trainer's checkpoint to `path`, if there is one.
    static func saveCheckpoint(_ trainer: Trainer, to path: String?) throws {
        guard let path else { return }
        do {
            try trainer.checkpoint().save(to: path)
        } catch {
            throw RuntimeError(describe(error))
        }
    }

    /// Refuses, before anything is trained or printed, a network whose first or last layer does
    /// not fit the data: `--layers` (or the checkpoint) must take as many inputs as the data has
    /// features and give one output per class (one for bce, one per target for regression).
    static func checkShape(
        _ architecture: Architecture, against data: Dataset, loss: Loss, _ arguments: ParsedArguments, resumed: Bool
    ) throws {
        let outputs = data.isRegression ? data.targetCount : (loss == .binaryCrossEntropy ? 1 : data.classCount)
        let what = data.isRegression ? "\(outputs) regression target\(outputs == 1 ? "" : "s")"
            : loss == .binaryCrossEntropy ? "2 classes with bce" : "\(data.classCount) classes"
        guard architecture.inputCount != data.featureCount || architecture.outputCount != outputs else { return }
        let needs = "the data needs \(data.featureCount) inputs and \(outputs) output\(outputs == 1 ? "" : "s") (\(what))"
        if resumed {
            throw RuntimeError("the checkpoint's network is \(architecture.layerSizes.map(String.init).joined(separator: ",")); \(needs)")
        }
        var fixed = architecture.layerSizes
        fixed[0] = data.featureCount
        // A last width above the outputs reads as a hidden layer with the output layer missing.
        if fixed[fixed.count - 1] > outputs { fixed.append(outputs) } else { fixed[fixed.count - 1] = outputs }
        let given = arguments.string("layers").map { "--layers \($0)" } ?? "--layers (\(architecture.layerSizes.map(String.init).joined(separator: ",")))"
        throw arguments.usage("\(given): \(needs), e.g. --layers \(fixed.map(String.init).joined(separator: ","))")
    }

    /// The command that resumes an interrupted run: its resumable options as given, with
    /// `--resume` and the total `--epochs`.
    static func resumeCommand(_ arguments: ParsedArguments, checkpoint: String, epochs: Int) -> String {
        var words = ["fastmlp", "train", "--resume", checkpoint, "--epochs", "\(epochs)"]
        for name in arguments.spec.options.map(\.name) where resumableFlags.contains(name) {
            guard !["resume", "epochs", "checkpoint"].contains(name) else { continue }
            if let value = arguments.string(name) {
                words += ["--\(name)", value]
            } else if arguments.has(name) {
                words.append("--\(name)")
            }
        }
        return words.map(shellQuoted).joined(separator: " ")
    }

    static func applyOverrides(_ arguments: ParsedArguments, to c: inout TrainingConfiguration) throws(UsageError) {
        if let layers = try arguments.intList("layers") { c.layers = layers }
        let activations = Activation.allCases.map(\.rawValue).joined(separator: ", ")
        if let value = try arguments.choice("activation", Activation.init(rawValue:), expected: activations) {
            c.activation = value
        }
        if let value = try arguments.choice("output-activation", Activation.init(rawValue:), expected: activations) {
            c.outputActivation = value
        }
        if let value = try arguments.choice(
            "init", WeightInitializer.init(name:),
            expected: "zeros, normal, normal:SIGMA, xavier-uniform, xavier-normal, he-uniform, he-normal")
        {
            c.weightInitializer = value
        }
        if let value = try arguments.float("bias-init") { c.biasInitializer = value }
        if let value = try arguments.choice("loss", Loss.init(rawValue:), expected: "softmax-ce, mse, bce") {
            if value != c.loss && arguments.string("output-activation") == nil {
                // A profile's output activation belongs to its loss.
                c.outputActivation = nil
            }
            c.loss = value
        }
        if let value = try arguments.int("epochs", range: 0...1_000_000) { c.epochs = value }
        if let value = try arguments.int("batch-size", range: 1...1_000_000) { c.batchSize = value }
        if let value = try arguments.float("lr") { c.learningRate = value }
        if let value = try arguments.float("momentum") { c.momentum = value }
        if let value = try arguments.choice("optimizer", OptimizerKind.init(rawValue:), expected: "sgd, adam, adamw, rmsprop") {
            // A profile's momentum is its optimiser's: another optimiser takes its own default.
            if value != c.optimizer && arguments.string("momentum") == nil { c.momentum = nil }
            c.optimizer = value
        }
        if arguments.has("nesterov") { c.nesterov = true }
        if arguments.has("dense") { c.skipsZeroInputs = false }
        if let value = try arguments.float("beta1") { c.beta1 = value }
        if let value = try arguments.float("beta2") { c.beta2 = value }
        if let value = try arguments.float("eps") { c.epsilon = value }
        if let value = try arguments.float("weight-decay") { c.weightDecay = value }
        if let value = try arguments.choice("schedule", ScheduleKind.init(rawValue:), expected: "constant, step, cosine") {
            c.schedule.kind = value
        }
        if let value = try arguments.int("step-size", range: 1...1_000_000) { c.schedule.stepSize = value }
        if let value = try arguments.float("gamma") { c.schedule.gamma = value }
        if let value = try arguments.float("warmup") { c.schedule.warmupEpochs = Double(value) }
        if let value = try arguments.float("val-split") { c.validationSplit = Double(value) }
        if let value = try arguments.float("dropout") { c.dropout = value }
        if let value = try arguments.int("patience", range: 1...1_000_000) { c.patience = value }
        if let value = try arguments.uint64("seed") { c.seed = value }
        if let value = try arguments.int("threads", range: 1...1024) { c.threads = value }
        if let value = try arguments.choice("mode", ParallelMode.init(rawValue:), expected: "sync, hogwild") { c.mode = value }
        if let value = try arguments.intList("classes") { c.classes = value }
    }

}

struct EpochRecord: Encodable {
    let epoch: Int
    let trainLoss: Double
    let testLoss: Double?
    let testAccuracy: Double?
    let seconds: Double
    let samplesPerSecond: Double
    let validationLoss: Double?
    let validationAccuracy: Double?
    let testR2: Double?
    /// Samples trained in `seconds` (fewer than the set in an epoch resumed in its middle).
    let samples: Int
    /// Whether the epoch was trained before the run was resumed (its figures come from the checkpoint).
    let fromCheckpoint: Bool

    init(_ report: EpochReport, trainingSamples: Int, fromCheckpoint: Bool) {
        samples = report.samples ?? trainingSamples
        self.fromCheckpoint = fromCheckpoint
        testR2 = report.testR2
        validationLoss = report.validationLoss
        validationAccuracy = report.validationAccuracy
        epoch = report.epoch
        trainLoss = report.trainLoss
        testLoss = report.testLoss
        testAccuracy = report.testAccuracy
        seconds = report.seconds
        samplesPerSecond = Double(samples) / max(report.seconds, 1e-9)
    }
}

struct TrainResult: Encodable {
    let profile: String?
    let architecture: String
    let configuration: TrainingConfiguration
    let threads: Int
    let trainSamples: Int
    let testSamples: Int
    let epochs: [EpochRecord]
    let testLoss: Double
    let testAccuracy: Double?
    let mse: Double?
    let mae: Double?
    let r2: Double?
    let trainSeconds: Double
    let savedModel: String?
}

extension Evaluation {
    var lossAndAccuracy: (loss: Double, accuracy: Double) { (loss, accuracy) }
}

/// Where an epoch callback leaves an error for the command to throw after the run.
final class FailureSlot {
    var error: (any Error)?
}
