import Foundation
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// A 3-class table: the class is which of a, b, c is largest.
private func classTable(rows: Int, offset: Int = 0) -> String {
    var text = "a,b,c,y\n"
    for i in 0..<rows {
        let a = Double((i + offset) * 7 % 19) / 19, b = Double((i + offset) * 11 % 23) / 23, c = Double((i + offset) * 5 % 17) / 17
        let y = a > b && a > c ? "first" : (b > c ? "second" : "third")
        text += "\(a),\(b),\(c),\(y)\n"
    }
    return text
}

@Suite("Search", .serialized)
struct SearchTests {
    @Test("a grid is the product of the values, the first parameter varying slowest; ranges are refused")
    func grid() throws {
        let space = SearchSpace([("lr", .values(["0.01", "0.1"])), ("layers", .values(["784,64,10", "784,128,10", "784,10"]))])
        let trials = try space.grid()
        #expect(trials.count == 6)
        #expect(trials[0] == [SearchSetting(name: "lr", value: "0.01"), SearchSetting(name: "layers", value: "784,64,10")])
        #expect(trials[5] == [SearchSetting(name: "lr", value: "0.1"), SearchSetting(name: "layers", value: "784,10")])
        #expect(try SearchSpace([]).grid() == [[]])
        #expect(throws: SearchError.rangeInGrid(parameter: "dropout")) { try SearchSpace([("dropout", .uniform(0...0.5))]).grid() }
        let huge = SearchSpace((0..<6).map { ("p\($0)", .values((0..<10).map(String.init))) })
        #expect(throws: SearchError.tooManyTrials(1_000_000, limit: SearchSpace.maximumTrials)) { try huge.grid() }
    }

    @Test("random settings are seeded: the same seed the same trials, values inside their ranges")
    func random() throws {
        let space = SearchSpace([("lr", .logUniform(1e-4...1e-1)), ("dropout", .uniform(0...0.5)), ("optimizer", .values(["sgd", "adam"]))])
        let whole = SearchSpace([("epochs", .integers(5...8))]).random(count: 40, seed: 1).map { Int($0[0].value) }
        #expect(Set(whole) == [5, 6, 7, 8])
        let first = space.random(count: 50, seed: 7), again = space.random(count: 50, seed: 7), other = space.random(count: 50, seed: 8)
        #expect(first == again && first != other && first.count == 50)
        for trial in first {
            let lr = try #require(Double(trial[0].value)), dropout = try #require(Double(trial[1].value))
            #expect((1e-4...1e-1).contains(lr) && (0...0.5).contains(dropout) && ["sgd", "adam"].contains(trial[2].value))
        }
        // Log-uniform: about as many below 1e-2.5 as above.
        let low = first.filter { Double($0[0].value)! < pow(10, -2.5) }.count
        #expect((15...35).contains(low))
    }

    @Test("folds are disjoint, cover every sample once, and are stratified by class")
    func folds() throws {
        let labels = (0..<90).map { UInt8($0 < 60 ? 0 : ($0 < 80 ? 1 : 2)) }
        let features = (0..<90).map { Float($0) }
        let data = try Dataset(features: features, featureCount: 1, labels: labels, classCount: 3)
        let folds = try data.folds(3, seed: 1)
        #expect(folds.count == 3)
        let held = folds.flatMap { $0.validation.features }
        #expect(held.sorted() == features)
        for fold in folds {
            #expect(fold.training.count + fold.validation.count == 90)
            #expect(Set(fold.training.features).isDisjoint(with: fold.validation.features))
            let counts = (0..<3).map { label in fold.validation.labels.filter { $0 == label }.count }
            #expect(counts == [20, 7, 3] || counts == [20, 7, 4] || counts == [20, 6, 3] || counts == [20, 6, 4], "\(counts)")
        }
        #expect(try data.folds(3, seed: 1).map(\.validation.features) == folds.map(\.validation.features))
        #expect(throws: SearchError.invalidFolds(1, samples: 90)) { try data.folds(1, seed: 1) }
        let regression = try Dataset(features: features, featureCount: 1, targets: features, targetCount: 1)
        #expect(try regression.folds(4, seed: 2).map(\.validation.count).sorted() == [22, 22, 23, 23])
    }

    @Test("the ranking puts the best mean first (lowest for the loss), failed trials last; halving keeps a third each round")
    func rankingAndHalving() async throws {
        func result(_ name: String, _ scores: [Double]) -> TrialResult {
            TrialResult(settings: [SearchSetting(name: "x", value: name)], foldScores: scores, seconds: 0, epochs: 1)
        }
        let results = [result("a", [0.5, 0.7]), result("b", [0.9, 0.8]), result("c", []), result("d", [0.2, 0.2])]
        #expect(results[0].meanScore! == 0.6 && abs(results[0].stdScore! - 0.1) < 1e-12 && results[2].meanScore == nil)
        #expect(HyperparameterSearch.ranking(results, metric: .accuracy) == [1, 0, 3, 2])
        #expect(HyperparameterSearch.ranking(results, metric: .loss) == [3, 0, 1, 2])

        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let table = try CSV.read(try csvFile(classTable(rows: 120), in: directory))
        let encoding = try TableEncoding(fitting: table, options: TableOptions(target: "y"))
        let data = try #require(try encoding.encode(table).dataset)
        let trials = (1...9).map { k -> SearchTrial in
            var configuration = TrainingConfiguration(table: encoding)
            configuration.validationSplit = 0
            configuration.patience = nil
            configuration.epochs = 9
            configuration.optimizer.learningRate = Float(k) * 1e-3
            return SearchTrial(settings: [SearchSetting(name: "lr", value: "\(k)e-3")], configuration: configuration)
        }
        let search = HyperparameterSearch(folds: try data.folds(2, seed: 0), metric: .loss, jobs: 2)
        let seen = Counter()
        let (rounds, survivors) = try await search.halving(trials, minimumEpochs: 1, factor: 3) { _ in seen.increment() }
        #expect(rounds.map(\.count) == [9, 3, 1] && survivors.count == 1 && seen.value == 13)
        #expect(rounds.map { $0.map(\.epochs) } == [Array(repeating: 1, count: 9), [3, 3, 3], [9]])
        // The second round's trials are the first round's best three.
        let best3 = HyperparameterSearch.ranking(rounds[0], metric: .loss).prefix(3).map { rounds[0][$0].settings }
        #expect(rounds[1].map(\.settings) == best3)
        // Scores are the same bits whatever the split of the threads.
        let two = try await HyperparameterSearch(folds: search.folds, metric: .loss, jobs: 1, threadsPerTrial: 2).run(Array(trials.prefix(3)))
        let one = try await HyperparameterSearch(folds: search.folds, metric: .loss, jobs: 3, threadsPerTrial: 1).run(Array(trials.prefix(3)))
        #expect(two.map(\.foldScores) == one.map(\.foldScores) && two.map(\.settings) == one.map(\.settings))
    }

    @Test("cancelling the task stops the search and returns the trials finished so far")
    func cancellation() async throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let table = try CSV.read(try csvFile(classTable(rows: 600), in: directory))
        let encoding = try TableEncoding(fitting: table, options: TableOptions(target: "y"))
        let data = try #require(try encoding.encode(table).dataset)
        let trials = (1...40).map { k -> SearchTrial in
            var configuration = TrainingConfiguration(table: encoding)
            configuration.validationSplit = 0
            configuration.patience = nil
            configuration.epochs = 1000
            configuration.seed = UInt64(k)
            return SearchTrial(settings: [SearchSetting(name: "seed", value: "\(k)")], configuration: configuration)
        }
        let search = HyperparameterSearch(folds: try data.folds(2, seed: 0), metric: .accuracy, jobs: 1)
        let seen = Counter()
        let task = Task { try await search.run(trials) { _ in seen.increment() } }
        while seen.value == 0 { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        do {
            _ = try await task.value
            Issue.record("the search ran to the end")
        } catch let error as SearchError {
            guard case .cancelled(let finished) = error else { Issue.record("\(error)"); return }
            #expect(!finished.isEmpty && finished.count < trials.count && finished.count <= seen.value + 1)
        }
    }

    @Test("fastmlp search: a grid scored by cross-validation, the winner tested once, JSON; errors name the flag")
    func endToEnd() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try csvFile(classTable(rows: 240), in: directory, name: "train.csv")
        let test = try csvFile(classTable(rows: 60, offset: 500), in: directory, name: "test.csv")
        let common = ["search", "--train-csv", train, "--test-csv", test, "--target", "y", "--epochs", "20", "--cv", "3"]
        let model = directory.appendingPathComponent("best.fmlp").path
        let run = try fastmlp(common + ["--lr", "0.001,0.01", "--hidden", "8", "--hidden", "32", "--json", "--save", model])
        #expect(run.status == 0, "\(run.stderr)")
        let object = try jsonObject(run.stdout)
        let trials = try #require(object["trials"] as? [[String: Any]])
        #expect(trials.count == 4 && trials.allSatisfy { ($0["fold_scores"] as? [Double])?.count == 3 })
        let means = trials.compactMap { $0["mean_score"] as? Double }
        #expect(means == means.sorted(by: >))
        let best = try #require(object["best"] as? [String: Any])
        #expect((best["settings"] as? [String: String]) == (trials[0]["settings"] as? [String: String]))
        #expect((best["test_accuracy"] as? Double ?? 0) > 0.6)
        #expect(FileManager.default.fileExists(atPath: model))
        let plot = directory.appendingPathComponent("search.svg").path
        let text = try fastmlp(common + ["--lr", "0.001,0.01", "--plot", plot])
        #expect(text.stdout.contains("[2/2] --lr") && text.stdout.contains("rank  accuracy (mean ± std)") && text.stdout.contains("best: --lr"))
        let svg = try String(contentsOfFile: plot, encoding: .utf8)
        #expect(svg.contains("accuracy per trial") && svg.contains("--lr 0.001") && svg.contains("--lr 0.01"))

        // Halving: 4 settings at 2 epochs, the best 2 at 4 (factor 2), the best one at 8.
        let halving = try fastmlp(common.filter { $0 != "20" && $0 != "--epochs" } + [
            "--epochs", "8", "--lr", "0.001,0.003,0.01,0.03", "--halving", "--factor", "2", "--min-epochs", "2", "--json"])
        #expect(halving.status == 0, "\(halving.stderr)")
        let rounds = try #require(try jsonObject(halving.stdout)["trials"] as? [[String: Any]]).compactMap { $0["epochs"] as? Int }
        #expect(rounds == [8, 4, 4, 2, 2, 2, 2], "\(rounds)")

        for (words, mention) in [
            (["--lr", "0.1,x"], "--lr expects a finite number, got 'x'"),
            (["--lr", "0.1,"], "--lr: an empty value"),
            (["--lr", "log:1e-4..1e-1"], "--random"),
            (["--lr", "0.1", "--val-split", "0.2"], "--cv and --val-split"),
            (["--shard", "3/2"], "--shard"),
            (["--metric", "r2"], "--metric r2"),
            (["--target", "y"], "--target defines the data"),
            (["--lr", "0.1,0.2", "--halving", "--checkpoint", directory.appendingPathComponent("h.json").path], "--halving"),
        ] {
            let refused = try fastmlp(common + words)
            #expect(refused.status == 64 && refused.stderrLines.count == 1 && refused.stderr.contains(mention), "\(words): \(refused.stderr)")
        }
    }

    @Test("--checkpoint skips finished trials on a rerun; --shard parts cover every trial once and --merge equals the whole")
    func checkpointAndShards() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try csvFile(classTable(rows: 150), in: directory, name: "train.csv")
        let common = ["search", "--train-csv", train, "--test-csv", train, "--target", "y", "--epochs", "5", "--cv", "2",
                      "--lr", "0.001,0.003,0.01", "--hidden", "4", "--hidden", "8", "--json"]
        let whole = try jsonObject(try fastmlp(common).stdout)
        let checkpoint = directory.appendingPathComponent("search.json").path
        let first = try fastmlp(common + ["--checkpoint", checkpoint])
        #expect(first.status == 0, "\(first.stderr)")
        let again = try fastmlp(Array(common.dropLast()) + ["--checkpoint", checkpoint])
        #expect(again.stdout.contains("6 trials already done, 0 to run"), "\(again.stdout)")
        let other = try fastmlp(Array(common.dropLast()) + ["--batch-size", "8", "--checkpoint", checkpoint])
        #expect(other.status == 1 && other.stderr.contains("records another search"))

        var shardFiles: [String] = []
        var seen: [[String: String]] = []
        for k in 1...4 {
            let path = directory.appendingPathComponent("shard\(k).json").path
            let part = try fastmlp(common + ["--shard", "\(k)/4", "--checkpoint", path])
            #expect(part.status == 0, "\(part.stderr)")
            seen += try #require(try jsonObject(part.stdout)["trials"] as? [[String: Any]]).map { $0["settings"] as! [String: String] }
            shardFiles.append(path)
        }
        let all = try #require(whole["trials"] as? [[String: Any]]).map { $0["settings"] as! [String: String] }
        #expect(seen.count == 6 && Set(seen) == Set(all))
        let merged = try jsonObject(try fastmlp(["search", "--merge"] + shardFiles + ["--json"]).stdout)
        let mergedTrials = try #require(merged["trials"] as? [[String: Any]])
        func summary(_ trials: [[String: Any]]) -> [String] {
            trials.map { trial in
                let settings = (trial["settings"] as! [String: String]).sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
                return settings.joined(separator: " ") + ": \(trial["fold_scores"] as! [Double])"
            }
        }
        #expect(summary(mergedTrials).sorted() == summary(try #require(whole["trials"] as? [[String: Any]])).sorted())
    }
}

/// A count shared with a `@Sendable` callback.
private final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

import Synchronization
