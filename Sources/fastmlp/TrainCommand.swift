@_spi(Tools) import FastMLP
import Foundation

enum TrainCommand {
    static let spec = CommandSpec(
        name: "train",
        summary: "Train a multilayer perceptron on MNIST (or a CSV table) and report loss and accuracy after every epoch.",
        options: [
            OptionSpec("profile", "NAME|PATH", "Start from a preset in Profiles/ (or a JSON file); flags override it."),
            OptionSpec("layers", "N,N,...", "Layer widths from input to output (default 784,128,10)."),
            OptionSpec("hidden", "N,...|none", "Hidden layer widths only; the input and output widths stay those of the data (none: no hidden layer)."),
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
            OptionSpec("train-csv", "FILE", "Train on a CSV table (header row; numbers, text and missing cells) instead of MNIST."),
            OptionSpec("test-csv", "FILE", "The table to test on (the same columns, in any order)."),
            OptionSpec("target", "COLUMN", "The column to predict: text or a few whole numbers are classes, other numbers values."),
            CommonOptions.delimiter,
        ] + TableFlags.specs + [
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
            A table (--train-csv) starts from its own recipe instead of the defaults above: one hidden
            layer of 64, Adam lr 0.001, batch 32, up to 200 epochs, stopping after 20 without a better
            loss on a fifth of the training table held out; any flag overrides a part of it.
            Example: fastmlp train --profile mlp-128 --epochs 5 --save mlp128.fmlp
            Example: fastmlp train --train-csv train.csv --test-csv test.csv --target species --save s.fmlp
            """)

    /// Flags that may accompany --resume; everything else is fixed by the checkpoint.
    static let resumableFlags = Set([
        "resume", "epochs", "threads", "checkpoint", "save", "data", "json", "quiet", "plot", "delimiter",
    ] + TableFlags.flagNames)

    static func run(_ arguments: ParsedArguments) throws {
        let run = try TrainRun(arguments)
        let data = try run.loadData()
        let trainer = try run.makeTrainer(for: data)
        run.printHeader(trainer, data)
        let result = try run.train(trainer, data)
        try run.finish(trainer, data, result)
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
        if let text = arguments.string("hidden") {
            guard arguments.string("layers") == nil else { throw arguments.usage("--hidden and --layers do not go together: give one") }
            let hidden = text == "none" ? [] : try arguments.intList("hidden")!
            if let bad = hidden.first(where: { $0 < 1 }) { throw arguments.usage("--hidden: a layer of \(bad) units") }
            c.layers = [c.layers[0]] + hidden + [c.layers[c.layers.count - 1]]
        }
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
        if let value = try arguments.float("lr") { c.optimizer.learningRate = value }
        if let value = try arguments.float("momentum") { c.optimizer.momentum = value }
        if let value = try arguments.choice("optimizer", OptimizerKind.init(rawValue:), expected: "sgd, adam, adamw, rmsprop") {
            // A profile's momentum is its optimiser's: another optimiser takes its own default.
            if value != c.optimizer.kind && arguments.string("momentum") == nil { c.optimizer.momentum = nil }
            c.optimizer.kind = value
        }
        if arguments.has("nesterov") { c.optimizer.nesterov = true }
        if arguments.has("dense") { c.skipsZeroInputs = false }
        if let value = try arguments.float("beta1") { c.optimizer.beta1 = value }
        if let value = try arguments.float("beta2") { c.optimizer.beta2 = value }
        if let value = try arguments.float("eps") { c.optimizer.epsilon = value }
        if let value = try arguments.float("weight-decay") { c.optimizer.weightDecay = value }
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
