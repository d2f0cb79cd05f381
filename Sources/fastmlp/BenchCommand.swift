@_spi(Benchmarks) @_spi(Tools) import FastMLP
import Foundation

enum BenchCommand {
    static let spec = CommandSpec(
        name: "bench",
        summary: "Time training on the 60k MNIST set: 1 vs N threads, sync vs Hogwild, speed and accuracy side by side.",
        options: [
            OptionSpec("profile", "NAME|PATH", "The recipe to train (default mlp-128)."),
            OptionSpec("threads", "N,N,...", "Thread counts to compare (default: 1 and the online cores)."),
            OptionSpec("modes", "MODE,...", "sync, hogwild or both (default sync,hogwild)."),
            OptionSpec("epochs", "E", "Epochs per row (default 5); the first is a warm-up unless E is 1."),
            OptionSpec("seed", "N", "Seed of every row's initial weights and order (default: the profile's)."),
            OptionSpec("dense", nil, "Force the dense first layer in every row (by default it skips zero inputs on sparse data)."),
            CommonOptions.data,
            CommonOptions.json,
            OptionSpec("plot", "PATH", "Also write an SVG chart of samples/s and test accuracy per row."),
            CommonOptions.quiet,
        ],
        details: """
            Every row starts from the same initial weights. s/epoch is the median over the timed epochs
            (training only); speed-up is over the 1-thread row of the same mode. "path" is the first
            layer's: the share of steps that skipped zero inputs (the default when at most 30 % of a
            batch's inputs are nonzero; MNIST's density is printed), or dense. GFLOP/s counts the
            FLOPs done (a skipped zero input's are not), and % peak relates them to a register-only
            FMA probe run first (per core, times min(threads, cores)); dense-eq counts the FLOPs of
            the dense path in the same time, and can pass the peak. Test accuracy and loss are after
            the last epoch.
            Example: fastmlp bench --profile mlp-128 --threads 1,2 --epochs 5 --plot bench.svg
            """)

    struct Row: Encodable {
        let mode: String
        let threads: Int
        let medianSecondsPerEpoch: Double
        let samplesPerSecond: Double
        var speedup: Double?
        /// The share of the timed steps whose first layer skipped zero inputs.
        let stepsSkippingZerosPercent: Double
        /// FLOPs done ÷ time: a skipped zero input's products are not counted.
        let gflops: Double
        /// The dense path's FLOPs ÷ time (can pass the peak when zeros are skipped).
        let denseEquivalentGflops: Double
        /// Of ``gflops``.
        let percentOfPeak: Double
        let testAccuracy: Double
        let testLoss: Double
        /// Sync rows: the share of steps that ran on one thread because that measured faster
        /// (the short probes that measure it not counted).
        let stepsOnOneThreadPercent: Double
    }

    struct Result: Encodable {
        let profile: String
        let architecture: String
        let epochs: Int
        let timedEpochs: Int
        let trainSamples: Int
        /// The share of the training inputs that are nonzero.
        let inputDensity: Double
        let peakGflopsPerCore: Double
        let cores: Int
        let rows: [Row]
    }

    /// The thread counts and modes to compare (`--threads`, `--modes`), checked.
    static func rowsAsked(_ arguments: ParsedArguments, cores: Int) throws -> (threads: [Int], modes: [ParallelMode]) {
        let threadCounts = try arguments.intList("threads") ?? Array(Set([1, cores])).sorted()
        if let bad = threadCounts.first(where: { !(1...1024).contains($0) }) {
            throw arguments.usage("--threads: every count must be in 1...1024, got \(bad)")
        }
        var modes: [ParallelMode] = [.synchronous, .hogwild]
        if let text = arguments.string("modes") {
            modes = []
            for name in text.split(separator: ",", omittingEmptySubsequences: false) {
                guard let mode = ParallelMode(rawValue: String(name)) else {
                    throw arguments.usage("--modes must list sync and/or hogwild, got '\(text)'")
                }
                modes.append(mode)
            }
        }
        return (threadCounts, modes)
    }

    static func run(_ arguments: ParsedArguments) throws {
        let profileName = arguments.string("profile") ?? "mlp-128"
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let (threadCounts, modes) = try rowsAsked(arguments, cores: cores)
        let epochs = try arguments.int("epochs", range: 1...10_000) ?? 5
        let seed = try arguments.uint64("seed")
        if let path = arguments.string("plot") { try checkPlotPath(path, arguments) }
        var configuration: TrainingConfiguration
        configuration = try resolveProfile(profileName, arguments).configuration
        if let seed { configuration.seed = seed }
        if arguments.has("dense") { configuration.skipsZeroInputs = false }
        let quiet = arguments.has("quiet")
        let (training, test) = try loadMNIST(arguments, classes: configuration.classes)
        let architecture = try configuration.architecture()
        if threadCounts.contains(where: { $0 > cores }) && !quiet {
            printError("warning: --threads asks for more threads than the \(cores) online cores; threads will share cores")
        }
        let peak = EpochTiming.median([PeakProbe.fmaGFLOPs(), PeakProbe.fmaGFLOPs(), PeakProbe.fmaGFLOPs()])
        let density = training.inputDensity
        let progress = ProgressLine(quiet: quiet)
        var rows: [Row] = []
        for mode in modes {
            for threads in threadCounts {
                var rowConfiguration = configuration
                rowConfiguration.mode = mode
                rowConfiguration.threads = threads
                rows.append(try measureRow(
                    rowConfiguration, epochs: epochs, training: training, density: density, test: test, peak: peak, cores: cores,
                    progress: progress))
            }
        }
        setSpeedups(&rows)
        let result = Result(
            profile: profileName, architecture: architecture.description, epochs: epochs, timedEpochs: max(epochs - 1, 1),
            trainSamples: training.count, inputDensity: density, peakGflopsPerCore: peak, cores: cores, rows: rows)
        if let path = arguments.string("plot") { try writePlot(result, to: path) }
        if arguments.has("json") {
            printLine(jsonLine(result))
            return
        }
        printTable(result)
        if let path = arguments.string("plot"), !quiet { printLine("wrote \(path)") }
    }

    /// One row: `configuration` trained for `epochs` (the first a warm-up unless it is the only
    /// one), timed, then tested.
    static func measureRow(
        _ configuration: TrainingConfiguration, epochs: Int, training: Dataset, density: Double, test: Dataset, peak: Double, cores: Int,
        progress: ProgressLine
    ) throws -> Row {
        let (mode, threads) = (configuration.mode, configuration.threads ?? cores)
        let trainer = try Trainer(configuration: configuration)
        let timing: EpochTiming
        do {
            timing = try EpochTiming.measure(trainer, on: training, warmUp: epochs > 1 ? 1 : 0, epochs: max(epochs - 1, 1)) {
                epoch, done, total in
                if done <= configuration.batchSize { progress.begin() }
                progress.update(label: "\(mode) × \(threads): epoch \(epoch)/\(epochs)", done: done, total: total)
            }
        } catch {
            progress.clear()
            throw RuntimeError(describe(error))
        }
        progress.clear()
        let evaluation = try trainer.evaluate(on: test)
        let median = timing.medianSeconds
        let gflops = timing.gflops(try configuration.architecture(), samples: training.count, inputDensity: density)
        return Row(
            mode: mode.rawValue, threads: threads, medianSecondsPerEpoch: median,
            samplesPerSecond: Double(training.count) / median, speedup: nil,
            stepsSkippingZerosPercent: 100 * timing.skippingShare, gflops: gflops.done,
            denseEquivalentGflops: gflops.denseEquivalent,
            percentOfPeak: 100 * gflops.done / (peak * Double(min(threads, cores))),
            testAccuracy: evaluation.accuracy, testLoss: evaluation.loss,
            stepsOnOneThreadPercent: 100 * timing.oneThreadShare)
    }

    /// Each row's samples/s over the 1-thread row of its mode (or any 1-thread row).
    static func setSpeedups(_ rows: inout [Row]) {
        for index in rows.indices {
            let base = rows.first { $0.mode == rows[index].mode && $0.threads == 1 } ?? rows.first { $0.threads == 1 }
            if let base { rows[index].speedup = rows[index].samplesPerSecond / base.samplesPerSecond }
        }
    }

    /// The rows as a text table, with the header line and the one-thread notes.
    static func printTable(_ result: Result) {
        let (rows, epochs) = (result.rows, result.epochs)
        printLine("\(result.profile): \(result.architecture), \(result.trainSamples) samples, \(epochs) epoch\(epochs == 1 ? "" : "s") per row"
            + (epochs > 1 ? " (first is a warm-up)" : "") + String(format: "; FMA peak %.0f GFLOP/s per core", result.peakGflopsPerCore)
            + String(format: "; inputs %.1f %% nonzero", 100 * result.inputDensity))
        printLine("mode     threads  path          s/epoch  samples/s  speed-up  GFLOP/s  % peak  dense-eq  test acc  test loss")
        for row in rows {
            let path = row.stepsSkippingZerosPercent > 0 ? String(format: "skip 0s %3.0f%%", row.stepsSkippingZerosPercent) : "dense"
            printLine(
                row.mode.padding(toLength: 9, withPad: " ", startingAt: 0)
                    + String(format: "%7d  ", row.threads) + path.padding(toLength: 12, withPad: " ", startingAt: 0)
                    + String(format: "  %7.3f  %9.0f  ", row.medianSecondsPerEpoch, row.samplesPerSecond)
                    + leftPad(row.speedup.map { String(format: "%.2f×", $0) } ?? "–", 8)
                    + String(format: "  %7.1f  %5.1f%%  %8.1f  ", row.gflops, row.percentOfPeak, row.denseEquivalentGflops)
                    + leftPad(percent(row.testAccuracy), 8) + String(format: "  %9.4f", row.testLoss))
        }
        for row in rows where row.stepsOnOneThreadPercent > 0 {
            // A few steps out of thousands round to 0 %: say so rather than print "0 %".
            let share = row.stepsOnOneThreadPercent < 0.5 ? "under 1 %" : String(format: "%.0f %%", row.stepsOnOneThreadPercent)
            printLine("\(row.mode) × \(row.threads): \(share) of the timed steps ran on one thread, which measured faster just then"
                + " (the results are the same; see README, Parallel training)")
        }
    }

    /// Samples/s and test accuracy per row as an SVG bar chart, written atomically.
    static func writePlot(_ result: Result, to path: String) throws {
        let rows = result.rows, epochs = result.epochs
        let svg = SVGChart.bars(
            title: "fastmlp bench — \(result.profile), \(epochs) epoch\(epochs == 1 ? "" : "s")",
            panels: [
                .init(title: "samples/s (median epoch)", bars: rows.map {
                    ("\($0.mode) × \($0.threads)", $0.samplesPerSecond, String(format: "%.0f", $0.samplesPerSecond))
                }),
                .init(title: "test accuracy after \(epochs) epochs", bars: rows.map {
                    ("\($0.mode) × \($0.threads)", $0.testAccuracy, percent($0.testAccuracy))
                }),
            ])
        do {
            try AtomicFile.write(Array(svg.utf8), to: path)
        } catch {
            throw RuntimeError("--plot: \(describe(error))")
        }
    }
}
