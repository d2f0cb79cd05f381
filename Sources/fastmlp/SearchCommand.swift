@_spi(Tools) import FastMLP
import Foundation
import Synchronization

enum SearchCommand {
    /// `train` options that a search does not take: outputs, resuming, and `--val-split`, which
    /// here holds out the scoring set.
    static let excluded: Set<String> = ["save", "plot", "checkpoint", "resume", "json", "quiet", "val-split", "init-from"]
    /// `train` options whose value is itself a comma list: each occurrence is one value.
    static let listOptions: Set<String> = ["layers", "hidden", "classes", "features", "ignore"]
    /// `train` options that define the data and its encoding, read once for every trial: they
    /// take one value, never split at commas.
    static let dataOptions: Set<String> = [
        "train-csv", "test-csv", "target", "features", "ignore", "missing", "task", "delimiter", "classes", "data",
    ]
    static var trainOptions: [OptionSpec] { TrainCommand.spec.options.filter { !excluded.contains($0.name) } }

    static let spec = CommandSpec(
        name: "search",
        summary: "Search hyper-parameters: a grid, random settings or successive halving, scored by cross-validation.",
        options: trainOptions + [
            OptionSpec("cv", "K", "Score each setting by K-fold cross-validation on the training set, stratified for classes (default 3)."),
            OptionSpec("val-split", "F", "Score on one held-out fraction F of the training set instead of --cv."),
            OptionSpec("metric", "NAME", "accuracy, f1, r2 or loss (default: accuracy for classes, r2 for regression)."),
            OptionSpec("random", "N", "Sample N settings instead of the whole grid; ranges such as --lr log:1e-4..1e-1, --dropout 0..0.5."),
            OptionSpec("search-seed", "N", "Seed of the folds and of --random (default 0)."),
            OptionSpec("halving", nil, "Successive halving: all settings train --min-epochs, the best 1/--factor go on with --factor times as many, up to --epochs."),
            OptionSpec("factor", "N", "Halving's factor (default 3)."),
            OptionSpec("min-epochs", "N", "Halving's first budget in epochs (default 1)."),
            OptionSpec("jobs", "N", "Trials at once, the threads split between them (default: one per core, see the README)."),
            OptionSpec("shard", "K/N", "Run only the K-th of N disjoint parts of the trials (merge the parts with --merge)."),
            OptionSpec("merge", "FILE...", "Merge the --checkpoint or --json files of shards and report the winner."),
            OptionSpec("checkpoint", "PATH", "Record each finished trial here (atomically); a rerun with the same flags skips them."),
            OptionSpec("save", "PATH", "Retrain the winner on the whole training set and save it here (atomically)."),
            OptionSpec("top", "N", "Rows in the final table (default 10)."),
            OptionSpec("plot", "PATH.svg", "Chart each trial's score, one panel per value of the parameter that mattered most."),
            CommonOptions.json,
            CommonOptions.quiet,
        ],
        details: """
            Any train option may be given several times, or as a comma list for a scalar one; the grid
            is the product of their values:
              fastmlp search --lr 0.01,0.05,0.1 --layers 784,64,10 --layers 784,128,10 --epochs 2 --cv 3
            Scoring never touches the test set: the winner is retrained on the whole training set and
            evaluated on the test set once. Ctrl-C stops the running trials and prints the table so far.
            """)

    static func run(_ arguments: ParsedArguments) throws {
        if !arguments.all("merge").isEmpty { return try merge(arguments) }
        let setup = try SearchSetup(arguments)
        try setup.run()
    }

    /// `--merge`: the shards' trials together, ranked, with the winner.
    static func merge(_ arguments: ParsedArguments) throws {
        var records: [TrialRecord] = []
        var metric: SearchMetric?
        for path in arguments.all("merge") {
            let file = try SearchFile.read(path)
            if let metric, metric != file.metric {
                throw RuntimeError("\(path): scored by \(file.metric.rawValue), the other files by \(metric.rawValue)")
            }
            metric = file.metric
            for record in file.trials where !records.contains(where: { $0.settings == record.settings }) { records.append(record) }
        }
        guard let metric, !records.isEmpty else { throw RuntimeError("--merge: the files hold no trials") }
        let results = records.map(\.result)
        let ranking = HyperparameterSearch.ranking(results, metric: metric)
        if arguments.has("json") {
            printLine(jsonLine(SearchFile(search: nil, metric: metric, trials: ranking.map { records[$0] }, best: records[ranking[0]].best(test: nil))))
            return
        }
        printTable(results, ranking: ranking, metric: metric, top: try arguments.int("top", range: 1...1_000_000) ?? 10)
        printLine("best: \(describe(results[ranking[0]].settings)) (\(metric.rawValue) \(scoreText(results[ranking[0]])))")
    }

    static func describe(_ settings: [SearchSetting]) -> String {
        settings.isEmpty ? "(the flags as given)" : settings.map { "--\($0.name) \($0.value)" }.joined(separator: " ")
    }

    static func scoreText(_ result: TrialResult) -> String {
        guard let mean = result.meanScore, let std = result.stdScore else { return "failed: \(result.failure ?? "")" }
        return String(format: "%.4f ± %.4f", mean, std)
    }

    /// The ranked table: rank, score, time, settings.
    static func printTable(_ results: [TrialResult], ranking: [Int], metric: SearchMetric, top: Int) {
        printLine("rank  \(metric.rawValue) (mean ± std)   seconds  settings")
        for (rank, index) in ranking.prefix(top).enumerated() {
            let result = results[index]
            printLine(leftPad(String(rank + 1), 4) + "  " + scoreText(result).padding(toLength: 20, withPad: " ", startingAt: 0)
                + "  " + leftPad(String(format: "%.1f", result.seconds), 7) + "  " + describe(result.settings))
        }
        if ranking.count > top { printLine("… \(ranking.count - top) more") }
    }
}

/// A search as the flags describe it: the parameters, the data, the folds and the trials.
struct SearchSetup {
    let arguments: ParsedArguments
    /// The options that stay the same in every trial, as `train` arguments.
    var fixed: [String] = []
    /// The parameters that vary, in the order given.
    var space = SearchSpace([])
    var metric = SearchMetric.accuracy
    var trials: [[SearchSetting]] = []
    /// A string that identifies the search, for its checkpoint.
    var signature = ""

    init(_ arguments: ParsedArguments) throws {
        self.arguments = arguments
        var order: [String] = []
        var values: [String: [String]] = [:]
        let trainNames = Set(SearchCommand.trainOptions.map(\.name))
        for (name, value) in arguments.occurrences where trainNames.contains(name) {
            guard let value else {
                fixed.append("--\(name)")
                continue
            }
            if values[name] == nil { order.append(name) }
            if SearchCommand.dataOptions.contains(name) && values[name] != nil {
                throw arguments.usage("--\(name) defines the data, read once for every trial: give it once")
            }
            let whole = SearchCommand.listOptions.contains(name) || SearchCommand.dataOptions.contains(name)
            let parts = whole ? [value] : value.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard !parts.contains(where: { $0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                throw arguments.usage("--\(name): an empty value in '\(value)'")
            }
            values[name, default: []] += parts.map { $0.trimmingCharacters(in: .whitespaces) }
        }
        var parameters: [(name: String, domain: SearchSpace.Domain)] = []
        for name in order {
            let given = values[name]!
            if given.count == 1, Self.range(given[0]) == nil {
                fixed += ["--\(name)", given[0]]
                continue
            }
            if let first = given.first, let range = try Self.parsedRange(first, name: name, arguments) {
                guard given.count == 1 else { throw arguments.usage("--\(name): give a range alone, not with other values") }
                parameters.append((name, range))
            } else {
                guard Set(given).count == given.count else { throw arguments.usage("--\(name): a value is given twice in \(given)") }
                parameters.append((name, .values(given)))
            }
        }
        space = SearchSpace(parameters)
        if let count = try arguments.int("random", range: 1...SearchSpace.maximumTrials) {
            trials = space.random(count: count, seed: try arguments.uint64("search-seed") ?? 0)
        } else {
            do {
                trials = try space.grid()
            } catch .rangeInGrid(let parameter) {
                throw arguments.usage("--\(parameter): a range is sampled by a random search; give --random N")
            } catch {
                throw arguments.usage(error.description)
            }
        }
        if arguments.has("halving") && arguments.string("checkpoint") != nil {
            throw arguments.usage("--halving does not resume from a --checkpoint (its rounds retrain): give one of them")
        }
        if arguments.string("cv") != nil && arguments.string("val-split") != nil {
            throw arguments.usage("--cv and --val-split are two ways to score: give one")
        }
        let excludedFromSignature: Set<String> = ["checkpoint", "jobs", "threads", "json", "quiet", "shard", "save", "top"]
        signature = arguments.occurrences.filter { !excludedFromSignature.contains($0.name) }
            .map { "--\($0.name)" + ($0.value.map { " " + $0 } ?? "") }.joined(separator: " ")
    }

    /// `a..b` or `log:a..b` (two numbers), or nil.
    static func range(_ text: String) -> (low: Double, high: Double, log: Bool)? {
        let isLog = text.hasPrefix("log:")
        let body = isLog ? String(text.dropFirst(4)) : text
        let parts = body.components(separatedBy: "..")
        guard parts.count == 2, let low = Double(parts[0]), let high = Double(parts[1]) else { return nil }
        return (low, high, isLog)
    }

    static func parsedRange(_ text: String, name: String, _ arguments: ParsedArguments) throws(UsageError) -> SearchSpace.Domain? {
        guard let (low, high, isLog) = range(text) else { return nil }
        guard low.isFinite, high.isFinite, low < high else { throw arguments.usage("--\(name): the range \(text) is empty or not finite") }
        // Whole-number bounds (`--epochs 5..50`) sample whole numbers.
        let bounds = text.dropFirst(isLog ? 4 : 0).components(separatedBy: "..")
        if !isLog, let first = Int(bounds[0]), let last = Int(bounds[1]) { return .integers(first...last) }
        if isLog {
            guard low > 0 else { throw arguments.usage("--\(name): a log range needs positive bounds, got \(text)") }
            return .logUniform(low...high)
        }
        return .uniform(low...high)
    }

    /// The `train` arguments of a trial.
    func trainArguments(_ settings: [SearchSetting]) throws -> ParsedArguments {
        let words = fixed + settings.flatMap { ["--\($0.name)", $0.value] }
        do {
            return try ParsedArguments(words, spec: TrainCommand.spec)
        } catch {
            throw arguments.usage(error.message)
        }
    }

    func run() throws {
        let json = arguments.has("json"), quiet = arguments.has("quiet") || json
        if let path = arguments.string("save") { try checkOutputPath(path, flag: "--save") }
        if let path = arguments.string("checkpoint") { try checkOutputPath(path, flag: "--checkpoint") }
        if let path = arguments.string("plot") { try checkPlotPath(path, arguments) }
        // The data, read once with the first trial's flags; every trial's configuration is
        // checked before anything trains.
        var base = try TrainRun(try trainArguments(trials.first ?? []))
        base.configuration.validationSplit = 0
        let data = try base.loadData()
        let all = try searchTrials(base)
        let shard = try self.shard()
        let mine = all.indices.filter { $0 % shard.count == shard.index }.map { all[$0] }
        let metric = try self.metric(for: data.training)
        let folds = try self.folds(of: data.training)
        let (finished, pending) = try resume(mine, quiet: quiet)

        let threads = (try arguments.int("threads", range: 1...1024)) ?? ProcessInfo.processInfo.activeProcessorCount
        let jobs = try arguments.int("jobs", range: 1...1024) ?? max(1, min(threads, pending.count))
        let search = HyperparameterSearch(folds: folds, metric: metric, jobs: jobs, threadsPerTrial: max(1, threads / jobs))
        if !quiet {
            printLine("search: \(mine.count) trials" + (shard.count > 1 ? " (shard \(shard.index + 1)/\(shard.count) of \(all.count))" : "")
                + " × \(folds.count) fold\(folds.count == 1 ? "" : "s") on \(data.training.count) samples, scored by \(metric.rawValue); "
                + "\(search.jobs) at a time with \(search.threadsPerTrial) thread\(search.threadsPerTrial == 1 ? "" : "s") each")
        }
        var results = try execute(search, pending, finished: finished, quiet: quiet)
        // With halving, the rounds in order, the last round's winner first; otherwise every
        // trial ranked, those of an earlier run too.
        let halving = arguments.has("halving")
        if !halving { results = finished.map(\.result) + results }
        if results.isEmpty && shard.count > 1 {
            // A shard with no trial of its own (more shards than trials).
            if json { printLine(jsonLine(SearchFile(search: signature, metric: metric, trials: [], best: nil))) }
            return
        }
        guard !results.isEmpty else { throw RuntimeError("no trial to rank") }
        let ranking = halving ? Array(results.indices) : HyperparameterSearch.ranking(results, metric: metric)
        let best = results[ranking[0]]
        // --quiet keeps the table and the winner's line, as train's keeps the epoch table.
        if !json {
            if !quiet { printLine() }
            SearchCommand.printTable(results, ranking: ranking, metric: metric, top: try arguments.int("top", range: 1...1_000_000) ?? 10)
        }
        if let path = arguments.string("plot") { try writePlot(results, metric: metric, to: path) }
        // The winner, retrained on the whole training set and tested once (not for a shard,
        // whose winner is only a candidate).
        var test: Evaluation?
        if shard.count == 1, best.meanScore != nil {
            test = try retrainWinner(best.settings, base: base, data: data, threads: threads, json: json)
        }
        if json {
            let records = ranking.map { TrialRecord(results[$0]) }
            printLine(jsonLine(SearchFile(search: signature, metric: metric, trials: records, best: TrialRecord(best).best(test: test))))
        }
    }

    /// Every trial's configuration, each checked before anything trains.
    func searchTrials(_ base: TrainRun) throws -> [SearchTrial] {
        try trials.map { settings in
            var (configuration, _) = try TrainRun.configuration(try trainArguments(settings), table: base.encoding?.encoding)
            do throws(ConfigurationError) {
                try configuration.validate()
            } catch {
                throw arguments.usage("trial \(SearchCommand.describe(settings)): " + flagMessage(error))
            }
            configuration.threads = nil
            return SearchTrial(settings: settings, configuration: configuration)
        }
    }

    /// `--metric`, or the task's own: accuracy for classes, R² for regression.
    func metric(for training: Dataset) throws -> SearchMetric {
        let metric = try arguments.choice("metric", SearchMetric.init(rawValue:), expected: "accuracy, f1, r2, loss")
            ?? (training.isRegression ? .r2 : .accuracy)
        if training.isRegression && [.accuracy, .f1].contains(metric) {
            throw arguments.usage("--metric \(metric.rawValue) scores classes; the target is a value (use r2 or loss)")
        }
        if !training.isRegression && metric == .r2 {
            throw arguments.usage("--metric r2 scores a regression; the target is a class (use accuracy, f1 or loss)")
        }
        return metric
    }

    /// `--val-split F` (one fold) or `--cv K` (default 3), seeded by `--search-seed`.
    func folds(of training: Dataset) throws -> [Fold] {
        let seed = try arguments.uint64("search-seed") ?? 0
        if let fraction = try arguments.float("val-split") {
            guard fraction > 0, fraction < 1 else { throw arguments.usage("--val-split must be in (0, 1), got \(fraction)") }
            let split = training.splitValidation(fraction: Double(fraction), seed: seed)
            return [Fold(training: split.training, validation: split.validation)]
        }
        let k = try arguments.int("cv", range: 2...1_000) ?? 3
        do {
            return try training.folds(k, seed: seed)
        } catch {
            throw RuntimeError("--cv \(k): \(error)")
        }
    }

    /// The trials `--checkpoint` already holds, and the ones still to run.
    func resume(_ trials: [SearchTrial], quiet: Bool) throws -> (finished: [TrialRecord], pending: [SearchTrial]) {
        guard let checkpoint = arguments.string("checkpoint"), FileManager.default.fileExists(atPath: checkpoint) else { return ([], trials) }
        let file = try SearchFile.read(checkpoint)
        guard file.search == signature else {
            throw RuntimeError("--checkpoint: \(checkpoint) records another search (\(file.search ?? "no flags")); give another path or remove it")
        }
        let pending = trials.filter { trial in !file.trials.contains { $0.settings == TrialRecord.dictionary(trial.settings) } }
        if !quiet && !file.trials.isEmpty { printLine("\(checkpoint): \(file.trials.count) trials already done, \(pending.count) to run") }
        return (file.trials, pending)
    }

    /// Runs the trials (or halving's rounds) in a task that Ctrl-C and SIGTERM cancel; then the
    /// table so far is printed and the search ends with how to continue.
    func execute(_ search: HyperparameterSearch, _ pending: [SearchTrial], finished: [TrialRecord], quiet: Bool) throws -> [TrialResult] {
        let checkpoint = arguments.string("checkpoint"), metric = search.metric
        let halving = arguments.has("halving")
        let (factor, minimumEpochs) = (try arguments.int("factor", range: 2...100) ?? 3, try arguments.int("min-epochs", range: 1...1_000_000) ?? 1)
        let log = SearchLog(
            total: halving
                ? HyperparameterSearch.halvingRounds(
                    trials: pending.count, minimumEpochs: minimumEpochs, factor: factor,
                    maximumEpochs: pending.map(\.configuration.epochs).max() ?? minimumEpochs).reduce(0) { $0 + $1.trials }
                : pending.count, quiet: quiet, checkpoint: checkpoint, signature: signature, metric: metric, earlier: finished)
        let shared = Handoff(value: log)
        defer { log.progress.clear() }
        do {
            return try runCancellingOnSignals {
                if halving {
                    // Every round, the last (the longest trained) first, each ranked.
                    let outcome = try await search.halving(pending, minimumEpochs: minimumEpochs, factor: factor) { shared.value.finished($0) }
                    return outcome.rounds.reversed().flatMap { round in
                        HyperparameterSearch.ranking(round, metric: metric).map { round[$0] }
                    }
                }
                return try await search.run(pending) { shared.value.finished($0) }
            }
        } catch SearchError.cancelled(let done) {
            log.progress.clear()
            let all = finished.map(\.result) + done
            if !all.isEmpty {
                SearchCommand.printTable(all, ranking: HyperparameterSearch.ranking(all, metric: metric), metric: metric, top: 10)
            }
            var message = "interrupted after \(done.count) of \(pending.count) trials"
            message += checkpoint.map { "; finished trials are in \($0): rerun the same command to continue" }
                ?? "; give --checkpoint PATH to keep finished trials across runs"
            throw Interrupted(message: message, status: stopRequest.load(ordering: .relaxed) == SIGTERM ? 143 : 130)
        } catch let error as SearchError {
            throw RuntimeError(error.description)
        }
    }

    /// The chart of `--plot`: each trial's mean score as a bar, in one panel per value of the
    /// parameter whose values' average scores differ most.
    func writePlot(_ results: [TrialResult], metric: SearchMetric, to path: String) throws {
        let scored = results.filter { $0.meanScore != nil }
        var top: (name: String, spread: Double)?
        for name in space.parameters.map(\.name) {
            var groups: [String: [Double]] = [:]
            for result in scored {
                if let value = result.settings.first(where: { $0.name == name })?.value { groups[value, default: []].append(result.meanScore!) }
            }
            let means = groups.values.map { $0.reduce(0, +) / Double($0.count) }
            if let low = means.min(), let high = means.max(), top == nil || high - low > top!.spread { top = (name, high - low) }
        }
        func group(_ result: TrialResult) -> String {
            top.flatMap { t in result.settings.first { $0.name == t.name }.map { "--\(t.name) \($0.value)" } } ?? "all trials"
        }
        var groups: [String] = []
        for result in scored where !groups.contains(group(result)) { groups.append(group(result)) }
        let panels = groups.map { title in
            SVGChart.BarPanel(title: title, bars: scored.filter { group($0) == title }.map { result in
                let label = result.settings.filter { $0.name != top?.name }.map { "\($0.name) \($0.value)" }.joined(separator: ", ")
                return (label: label.isEmpty ? "—" : label, value: max(result.meanScore!, 0), text: String(format: "%.4f", result.meanScore!))
            })
        }
        // One scale for every panel, from a little below the worst score to the best, so that
        // close scores still differ.
        let means = scored.map { $0.meanScore! }
        let low = means.min() ?? 0, high = means.max() ?? 1
        let margin = max((high - low) * 0.25, 1e-6)
        let svg = SVGChart.bars(
            title: "fastmlp search — \(metric.rawValue) per trial" + (metric.higherIsBetter ? "" : " (lower is better)"),
            panels: panels, range: (low - margin)...high)
        do {
            try AtomicFile.write(Array(svg.utf8), to: path)
        } catch {
            throw RuntimeError("--plot: \(describe(error))")
        }
    }

    /// `--shard K/N` as a 0-based index and a count.
    func shard() throws -> (index: Int, count: Int) {
        guard let text = arguments.string("shard") else { return (0, 1) }
        let parts = text.split(separator: "/").map { Int($0) }
        guard parts.count == 2, let k = parts[0], let n = parts[1], n >= 1, (1...n).contains(k) else {
            throw arguments.usage("--shard expects K/N with 1 ≤ K ≤ N, got '\(text)'")
        }
        return (k - 1, n)
    }

    /// Trains the winner's configuration on the whole training set, tests it once, and saves it
    /// with `--save`.
    func retrainWinner(_ settings: [SearchSetting], base: TrainRun, data: TrainRun.Data, threads: Int, json: Bool) throws -> Evaluation {
        var (configuration, _) = try TrainRun.configuration(try trainArguments(settings), table: base.encoding?.encoding)
        configuration.threads = threads
        do {
            let trainer = try Trainer(configuration: configuration)
            try trainer.fit(on: data.training)
            let evaluation = try trainer.evaluate(on: data.test, targetScales: data.table?.standardization?.targetScales)
            if !json {
                let figure = evaluation.regression.map { String(format: "test r2 %.4f", $0.r2) }
                    ?? "test accuracy \(percent(evaluation.accuracy))"
                printLine("best: \(SearchCommand.describe(settings)); retrained on the \(data.training.count) training samples: \(figure)")
            }
            if let path = arguments.string("save") {
                try ModelFile.save(
                    SavedModel(network: trainer.network, loss: configuration.loss, classes: configuration.classes, table: data.table),
                    to: path)
                if !json && !arguments.has("quiet") { printLine("saved \(path)") }
            }
            return evaluation
        } catch let error as RuntimeError {
            throw error
        } catch {
            throw RuntimeError(describe(error))
        }
    }
}

/// What the search prints and records as trials finish: a line per trial, the progress line,
/// and the checkpoint. Called by the search's threads one at a time.
final class SearchLog: @unchecked Sendable {  // the search serialises its calls to `finished`
    let progress: ProgressLine
    let total: Int
    let quiet: Bool
    let checkpoint: String?
    let signature: String
    let metric: SearchMetric
    private var records: [TrialRecord]
    private var done = 0
    private var warned = false

    init(total: Int, quiet: Bool, checkpoint: String?, signature: String, metric: SearchMetric, earlier: [TrialRecord]) {
        progress = ProgressLine(quiet: quiet, unit: "trials")
        self.total = total
        self.quiet = quiet
        self.checkpoint = checkpoint
        self.signature = signature
        self.metric = metric
        records = earlier
        progress.begin()
    }

    func finished(_ result: TrialResult) {
        done += 1
        progress.clear()
        if !quiet {
            printLine("[\(done)/\(total)] \(SearchCommand.describe(result.settings)): \(metric.rawValue) \(SearchCommand.scoreText(result)) (\(String(format: "%.1f", result.seconds)) s)")
        }
        records.removeAll { $0.settings == TrialRecord.dictionary(result.settings) && $0.epochs <= result.epochs }
        records.append(TrialRecord(result))
        if let checkpoint {
            do {
                try AtomicFile.write(Array(jsonLine(SearchFile(search: signature, metric: metric, trials: records, best: nil)).utf8), to: checkpoint)
            } catch {
                // Said once; the search goes on, and the file keeps its last complete version.
                if !warned { printError("warning: --checkpoint: \(describe(error)); finished trials are not being recorded") }
                warned = true
            }
        }
        progress.update(label: "trials", done: done, total: total)
    }
}

/// A trial as the JSON output and the checkpoint record it.
struct TrialRecord: Codable, Equatable {
    let settings: [String: String]
    /// The settings' order, for reading them back.
    let order: [String]
    let meanScore: Double?
    let stdScore: Double?
    let foldScores: [Double]
    let seconds: Double
    let epochs: Int
    let failure: String?

    static func dictionary(_ settings: [SearchSetting]) -> [String: String] {
        Dictionary(settings.map { ($0.name, $0.value) }, uniquingKeysWith: { $1 })
    }

    init(_ result: TrialResult) {
        settings = Self.dictionary(result.settings)
        order = result.settings.map(\.name)
        meanScore = result.meanScore
        stdScore = result.stdScore
        foldScores = result.foldScores
        seconds = result.seconds
        epochs = result.epochs
        failure = result.failure
    }

    var result: TrialResult {
        let ordered = order.compactMap { name in settings[name].map { SearchSetting(name: name, value: $0) } }
        return TrialResult(settings: ordered, foldScores: foldScores, seconds: seconds, epochs: epochs, failure: failure)
    }

    func best(test: Evaluation?) -> BestRecord {
        BestRecord(
            settings: settings, meanScore: meanScore, testAccuracy: test.flatMap { $0.regression == nil ? $0.accuracy : nil },
            testR2: test?.regression?.r2)
    }
}

struct BestRecord: Codable {
    let settings: [String: String]
    let meanScore: Double?
    let testAccuracy: Double?
    let testR2: Double?
}

/// The JSON of `--json` and of `--checkpoint`: the search's flags, its metric, the trials.
struct SearchFile: Codable {
    let search: String?
    let metric: SearchMetric
    let trials: [TrialRecord]
    let best: BestRecord?

    static func read(_ path: String) throws -> SearchFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw RuntimeError("\(path): cannot be read") }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(SearchFile.self, from: data)
        } catch {
            throw RuntimeError("\(path): not a fastmlp search file (\(error.localizedDescription))")
        }
    }
}
