import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@_spi(Tools) import FastMLP

/// Whether `data` parses as XML.
func XMLWellFormed(_ data: Data) -> Bool {
    XMLParser(data: data).parse()
}

/// What a chart test reads from an SVG: the drawn series (name and stroke), the legend's
/// entries and every text.
final class SVGElements: NSObject, XMLParserDelegate {
    private(set) var series: [(name: String, colour: String)] = []
    private(set) var legendCount = 0
    private(set) var texts: [String] = []
    private var inText = false

    init(_ data: Data) {
        super.init()
        let parser = XMLParser(data: data)
        parser.delegate = self
        _ = parser.parse()
    }

    func parser(
        _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
        attributes: [String: String] = [:]
    ) {
        if name == "polyline", attributes["class"] == "series" {
            series.append((attributes["data-series"] ?? "", attributes["stroke"] ?? ""))
        }
        if name == "line", attributes["class"] == "legend" { legendCount += 1 }
        if name == "text" { inText = true; texts.append("") }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) {
        if inText { texts[texts.count - 1] += string }
    }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "text" { inText = false }
    }
}

func jsonObject(_ text: String) throws -> [String: Any] {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return try #require(object as? [String: Any])
}

@Suite("Command line", .serialized)
struct CLITests {
    @Test("the binary exists")
    func binaryExists() {
        #expect(FileManager.default.isExecutableFile(atPath: fastmlpBinary.path), "\(fastmlpBinary.path)")
    }

    @Test("--help on every command prints usage and exits 0", arguments: [[], ["train"], ["eval"], ["predict"], ["bench"], ["export"], ["profiles"]])
    func help(_ command: [String]) throws {
        let result = try fastmlp(command + ["--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("Usage: fastmlp"))
        #expect(result.stderr.isEmpty)
    }

    @Test("usage errors exit 64 with one line on stderr", arguments: [
        ["train", "--frobnicate"], ["bogus"], ["train", "--epochs", "x"], ["train", "--lr", "-1"],
        ["train", "--threads", "0"], ["train", "--batch-size", "0"], ["train", "--activation", "swish"],
        ["train", "--loss", "softmax-ce", "--output-activation", "sigmoid"], ["train", "--layers", "784"],
        ["train", "extra"], ["train", "--epochs"], ["eval"],
        ["train", "--classes", "3,12", "--layers", "784,10,2"], ["train", "--classes", "1,1", "--layers", "784,10,2"],
        ["train", "--layers", "784,16777216,10"], ["train", "--layers", "784,100000,10", "--batch-size", "100000"],
        ["predict", "--model", "m", "--show", "-1"],
        ["train", "--mode", "async"], ["bench", "--modes", "sync,lockfree"], ["bench", "--threads", "0,2"],
        ["bench", "--epochs", "0"], ["bench", "--threads", "one"],
        ["train", "--resume", "x.ckpt", "--lr", "0.1"], ["train", "--optimizer", "lion"], ["train", "--schedule", "linear"],
        ["train", "--nesterov", "--momentum", "0"], ["train", "--beta2", "1.5", "--optimizer", "adam"],
        ["train", "--patience", "3"], ["train", "--val-split", "1.5"], ["train", "--val-split", "0.1", "--patience", "0"],
    ])
    func usageErrors(_ arguments: [String]) throws {
        let result = try fastmlp(arguments)
        #expect(result.status == 64, "\(arguments): status \(result.status), stderr \(result.stderr)")
        #expect(result.stderrLines.count == 1, "\(arguments): \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: "))
        #expect(result.stdout.isEmpty)
    }

    @Test("mistakes get a suggestion: a command, an option or a profile by spelling or a synonym from other tools",
          arguments: [
            (["trian"], "'train'"), (["train", "--epoch", "3"], "'--epochs'"), (["train", "--learning-rate", "0.1"], "'--lr'"),
            (["train", "--units", "64"], "'--layers'"), (["train", "--optim", "adam"], "'--optimizer'"),
            (["bench", "--thread", "2"], "'--threads'"), (["train", "--profile", "mlp128"], "'mlp-128'"),
            (["evla"], "'eval'"), (["train", "--val", "0.1"], "'--val-split'"),
          ])
    func suggestions(_ arguments: [String], _ suggested: String) throws {
        let result = try fastmlp(arguments)
        #expect(result.status == 64 && result.stderrLines.count == 1, "\(arguments): \(result.stderr)")
        #expect(result.stderr.contains("did you mean \(suggested)?"), "\(arguments): \(result.stderr)")
        // Nothing close: no suggestion.
        let far = try fastmlp("train", "--zzzzzz", "1")
        #expect(far.status == 64 && !far.stderr.contains("did you mean"))
    }

    @Test("a bare fastmlp prints the usage and exits 64; --version prints the version")
    func bareAndVersion() throws {
        let bare = try fastmlp([])
        #expect(bare.status == 64 && bare.stdout.isEmpty && bare.stderr.contains("Usage: fastmlp <command>"))
        let version = try fastmlp("--version")
        #expect(version.status == 0 && version.stdout.hasPrefix("fastmlp ") && version.stderr.isEmpty)
    }

    @Test("a missing data directory exits 1 and names it")
    func missingData() throws {
        let result = try fastmlp("train", "--data", "/nonexistent/mnist", "--epochs", "1")
        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1)
        #expect(result.stderr.contains("/nonexistent/mnist"))
    }

    @Test("an unknown profile and a missing model exit 1 and name them")
    func missingFiles() throws {
        // An unknown profile name is a usage error; a profile file that cannot be read a runtime one.
        let profile = try fastmlp("train", "--profile", "no-such-profile")
        #expect(profile.status == 64 && profile.stderr.contains("no-such-profile") && profile.stderrLines.count == 1)
        #expect(profile.stderr.contains("mlp-128"), "lists the available profiles")
        let file = try fastmlp("train", "--profile", "/nonexistent/p.json")
        #expect(file.status == 1 && file.stderr.contains("/nonexistent/p.json") && file.stderrLines.count == 1)
        let model = try fastmlp("eval", "--model", "/nonexistent/model.fmlp")
        #expect(model.status == 1 && model.stderr.contains("/nonexistent/model.fmlp") && model.stderrLines.count == 1)
    }

    @Test("--epochs 0 trains nothing, exits 0 and reports the initial weights' test figures")
    func zeroEpochs() throws {
        let result = try fastmlp("train", "--epochs", "0", "--quiet")
        #expect(result.status == 0 && result.stderr.isEmpty)
        let last = try #require(result.stdout.split(separator: "\n").last)
        #expect(last.hasPrefix("no epoch to train: test loss ") && last.contains("accuracy "), "\(result.stdout)")
    }

    @Test("--save into a missing directory fails before training")
    func unwritableSave() throws {
        let result = try fastmlp("train", "--epochs", "1", "--save", "/nonexistent/dir/m.fmlp")
        #expect(result.status == 1)
        #expect(result.stderr.contains("/nonexistent/dir"))
        #expect(result.stdout.isEmpty)
    }

    @Test("bench prints one row per mode and thread count, as text, JSON and SVG")
    func bench() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plot = directory.appendingPathComponent("bench.svg").path
        let result = try fastmlp("bench", "--epochs", "1", "--threads", "1,2", "--json", "--plot", plot, "--quiet")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        #expect(object["profile"] as? String == "mlp-128")
        let rows = try #require(object["rows"] as? [[String: Any]])
        #expect(rows.map { "\($0["mode"] ?? "")×\($0["threads"] ?? "")" } == ["sync×1", "sync×2", "hogwild×1", "hogwild×2"])
        for row in rows {
            let seconds = try #require(row["median_seconds_per_epoch"] as? Double)
            let rate = try #require(row["samples_per_second"] as? Double)
            #expect(seconds > 0 && abs(rate * seconds - 60000) < 1)
            #expect((row["gflops"] as? Double ?? 0) > 0 && (row["percent_of_peak"] as? Double ?? 0) > 0)
            #expect((0.9...1).contains(row["test_accuracy"] as? Double ?? 0))
            #expect((row["test_loss"] as? Double ?? .nan) > 0)
            #expect(row["speedup"] is Double)
            // MNIST is sparse: every step skips zero inputs, and the dense-equivalent rate, which
            // counts the skipped products too, is the higher one.
            #expect(row["steps_skipping_zeros_percent"] as? Double == 100)
            #expect((row["dense_equivalent_gflops"] as? Double ?? 0) > (row["gflops"] as? Double ?? .infinity))
        }
        #expect((0.15...0.25).contains(object["input_density"] as? Double ?? 0))
        #expect(rows[0]["speedup"] as? Double == 1 && rows[2]["speedup"] as? Double == 1)
        // Sync runs are deterministic: both sync rows end at the same accuracy.
        #expect(rows[0]["test_accuracy"] as? Double == rows[1]["test_accuracy"] as? Double)
        let svg = try Data(contentsOf: URL(fileURLWithPath: plot))
        #expect(XMLWellFormed(svg), "the SVG does not parse as XML")

        let text = try fastmlp("bench", "--epochs", "1", "--threads", "1", "--modes", "sync", "--quiet")
        #expect(text.status == 0)
        #expect(text.stdout.contains("mode") && text.stdout.contains("sync") && text.stdout.contains("skip 0s 100%"))
        #expect(text.stdout.contains("19.1 % nonzero"))

        let dense = try fastmlp("bench", "--epochs", "1", "--threads", "1", "--modes", "sync", "--dense", "--json", "--quiet")
        let denseRow = try #require((try jsonObject(dense.stdout)["rows"] as? [[String: Any]])?.first)
        #expect(denseRow["steps_skipping_zeros_percent"] as? Double == 0)
        #expect(denseRow["dense_equivalent_gflops"] as? Double == denseRow["gflops"] as? Double)

        let badPlot = try fastmlp("bench", "--epochs", "1", "--plot", "/nonexistent/dir/b.svg")
        #expect(badPlot.status == 1 && badPlot.stderr.contains("--plot") && badPlot.stderrLines.count == 1)
    }

    @Test("Ctrl-C writes the checkpoint and exits 130; resuming ends with the uninterrupted run's weights")
    func interruptAndResume() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("run.ckpt").path
        let resumed = directory.appendingPathComponent("resumed.fmlp").path
        let straight = directory.appendingPathComponent("straight.fmlp").path
        let process = Process()
        process.executableURL = fastmlpBinary
        process.arguments = ["train", "--profile", "seed-sigmoid", "--epochs", "40", "--checkpoint", checkpoint, "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        // Interrupt once the first checkpoint exists, that is after epoch 1, well before epoch 40.
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: checkpoint) && Date() < deadline { usleep(20_000) }
        kill(process.processIdentifier, SIGINT)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(message)")
        #expect(message.contains("interrupted") && message.contains(checkpoint))
        // The message gives the command that resumes the run.
        #expect(message.contains("resume with: fastmlp train --resume \(checkpoint) --epochs 40 --quiet"), "\(message)")
        let saved = try Checkpoint.load(from: checkpoint)
        #expect(saved.completedEpochs >= 1 && saved.completedEpochs < 40)
        let total = String(saved.completedEpochs + 1)
        // --epochs is the total: one that leaves nothing to train is refused, naming what is done.
        let tooFew = try fastmlp("train", "--resume", checkpoint, "--epochs", String(saved.completedEpochs))
        #expect(tooFew.status == 64 && tooFew.stderr.contains("\(saved.completedEpochs) done") && tooFew.stderrLines.count == 1)
        let resume = try fastmlp("train", "--resume", checkpoint, "--epochs", total, "--save", resumed)
        #expect(resume.status == 0, "\(resume.stderr)")
        // Replayed epochs are marked, and the resumed run went on writing the checkpoint it came from.
        let replayed = resume.stdout.split(separator: "\n").filter { $0.hasSuffix("(from the checkpoint)") }
        #expect(replayed.count == saved.completedEpochs, "\(resume.stdout)")
        #expect(try Checkpoint.load(from: checkpoint).completedEpochs == saved.completedEpochs + 1)
        let reference = try fastmlp("train", "--profile", "seed-sigmoid", "--epochs", total, "--save", straight, "--quiet")
        #expect(reference.status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: resumed)) == Data(contentsOf: URL(fileURLWithPath: straight)))
    }

    @Test("the default (zero-skipping) first layer saves the same model file as --dense, byte for byte, at 1, 2 and 3 threads",
          arguments: [["--profile", "mlp-128"], ["--profile", "seed-sigmoid"], ["--profile", "mlp-128", "--dropout", "0.3"]])
    func sparsePathSavesTheDenseFile(_ recipe: [String]) throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var files: [Data] = []
        for threads in ["1", "2", "3"] {
            for dense in [false, true] {
                let path = directory.appendingPathComponent("m\(threads)\(dense).fmlp").path
                let run = try fastmlp(["train"] + recipe + ["--epochs", "2", "--threads", threads, "--seed", "3", "--save", path, "--quiet"]
                    + (dense ? ["--dense"] : []))
                #expect(run.status == 0, "\(run.stderr)")
                files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
            }
        }
        #expect(!files[0].isEmpty)
        for index in 1..<files.count { #expect(files[index] == files[0], "\(recipe): run \(index) saved a different file") }
    }

    @Test("SIGTERM stops like Ctrl-C with status 143; with --save and no --checkpoint the model as it stands is saved")
    func terminateSavesTheModel() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("m.fmlp").path
        let process = Process()
        process.executableURL = fastmlpBinary
        process.arguments = ["train", "--profile", "seed-sigmoid", "--epochs", "40", "--save", model]
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Wait for the first epoch's row: training is under way and the handler installed.
        var printed = ""
        while !printed.contains("\n    1  ") {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            printed += String(decoding: data, as: UTF8.self)
        }
        kill(process.processIdentifier, SIGTERM)
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        _ = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 143, "\(message)")
        #expect(message.contains("saved to \(model)"), "\(message)")
        let saved = try ModelFile.load(from: model)
        #expect(saved.network.architecture.layerSizes == [784, 100, 10])
    }

    @Test("--val-split reports validation loss and accuracy; --patience stops early with the best weights")
    func validationAndPatience() throws {
        let result = try fastmlp(
            "train", "--profile", "binary-1v7", "--epochs", "6", "--val-split", "0.2", "--patience", "1", "--lr", "2", "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        let epochs = try #require(object["epochs"] as? [[String: Any]])
        #expect(!epochs.isEmpty && epochs.allSatisfy { $0["validation_loss"] is Double && $0["validation_accuracy"] is Double })
        #expect(object["train_samples"] as? Int == 13007 - 2601)
    }

    @Test("export to safetensors, evaluate it, and start training from it")
    func safetensors() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("b.fmlp").path
        let exported = directory.appendingPathComponent("b.safetensors").path
        #expect(try fastmlp("train", "--profile", "binary-1v7", "--save", model, "--quiet").status == 0)
        let export = try fastmlp("export", "--model", model, "--format", "safetensors", "--output", exported)
        #expect(export.status == 0, "\(export.stderr)")
        #expect(export.stdout.hasPrefix("wrote \(exported): safetensors"), "export says what it wrote")
        let native = try jsonObject(try fastmlp("eval", "--model", model, "--json").stdout)
        let converted = try jsonObject(try fastmlp("eval", "--model", exported, "--json").stdout)
        #expect(native["test_accuracy"] as? Double == converted["test_accuracy"] as? Double)
        #expect(converted["classes"] as? [Int] == [1, 7])
        let resumed = try fastmlp("train", "--profile", "binary-1v7", "--init-from", exported, "--epochs", "1", "--json")
        #expect(resumed.status == 0, "\(resumed.stderr)")
        let mismatch = try fastmlp("train", "--init-from", exported, "--epochs", "1")
        #expect(mismatch.status == 1 && mismatch.stderr.contains("--init-from") && mismatch.stderrLines.count == 1, "\(mismatch.stderr)")
        let badFormat = try fastmlp("export", "--model", model, "--format", "onnx", "--output", exported)
        #expect(badFormat.status == 64)
    }

    @Test("tables: regression and binary classification from CSV, eval and predict on CSV, bad cells named")
    func tables() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try csvFile(linearTable(rows: 400), in: directory, name: "train.csv")
        let test = try csvFile(linearTable(rows: 100, offset: 5), in: directory, name: "test.csv")
        let model = directory.appendingPathComponent("reg.fmlp").path
        let result = try fastmlp(
            "train", "--train-csv", train, "--test-csv", test, "--target", "y", "--loss", "mse", "--standardize",
            "--optimizer", "adam", "--lr", "0.01", "--batch-size", "16", "--epochs", "40", "--threads", "1", "--json",
            "--save", model)
        #expect(result.status == 0, "\(result.stderr)")
        let object = try jsonObject(result.stdout)
        #expect((object["r2"] as? Double ?? 0) > 0.99 && object["mse"] is Double && object["mae"] is Double)
        let eval = try jsonObject(try fastmlp("eval", "--model", model, "--test-csv", test, "--json").stdout)
        #expect(eval["r2"] as? Double == object["r2"] as? Double)
        let predict = try fastmlp("predict", "--model", model, "--csv", test, "--json")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [[String: Any]])
        let truth = try #require(try CSV.read(test).column("y"))
        #expect(rows.count == 100 && zip(rows, truth).allSatisfy { row, cell in
            guard case .number(let y) = cell else { return false }
            return abs((row["prediction"] as? Double ?? 0) - Double(y)) < 1
        })

        // Binary classification with bce: label = a > b.
        var text = "a,b,label\n"
        for i in 0..<300 {
            let a = Double(i % 19) / 9 - 1, b = Double((i * 5) % 23) / 11 - 1
            text += "\(a),\(b),\(a > b ? 1 : 0)\n"
        }
        let binary = try csvFile(text, in: directory, name: "binary.csv")
        let bce = try fastmlp(
            "train", "--train-csv", binary, "--test-csv", binary, "--target", "label", "--loss", "bce", "--optimizer", "adam",
            "--lr", "0.02", "--epochs", "40", "--batch-size", "16", "--json", "--quiet")
        #expect(bce.status == 0, "\(bce.stderr)")
        #expect((try jsonObject(bce.stdout)["test_accuracy"] as? Double ?? 0) > 0.95)

        let bad = try csvFile("a,b,y\n1,2,3\n4,1e40,6\n", in: directory, name: "bad.csv")
        let refused = try fastmlp("train", "--train-csv", bad, "--test-csv", test, "--target", "y", "--loss", "mse")
        #expect(refused.status == 1 && refused.stderrLines.count == 1)
        #expect(refused.stderr.contains("bad.csv: line 3, column 'b'"), "\(refused.stderr)")
        // Without --loss a target of fractions is a value to predict: regression, inferred and said.
        let inferred = try fastmlp("train", "--train-csv", train, "--test-csv", test, "--target", "y", "--epochs", "2")
        #expect(inferred.status == 0 && inferred.stdout.contains("target y: regression, inferred from its numbers; loss mse"), "\(inferred.stdout)")
        let partial = try fastmlp("train", "--train-csv", train, "--target", "y")
        #expect(partial.status == 64)

        // A table's model asks for its table rather than failing on MNIST's width.
        for command in [["eval", "--model", model], ["predict", "--model", model]] {
            let wrong = try fastmlp(command)
            #expect(wrong.status == 64 && wrong.stderrLines.count == 1, "\(command): \(wrong.stderr)")
            #expect(wrong.stderr.contains("trained on a table (columns a, b; target y)"), "\(wrong.stderr)")
        }
        let show = try fastmlp("predict", "--model", model, "--csv", test, "--show", "2")
        #expect(show.status == 64 && show.stderr.contains("--show"))

        // Other delimiters: a semicolon table is detected, a '|' one is named with --delimiter.
        let semicolons = try csvFile(linearTable(rows: 100).replacingOccurrences(of: ",", with: ";"), in: directory, name: "semi.csv")
        let detected = try fastmlp("train", "--train-csv", semicolons, "--test-csv", semicolons, "--target", "y", "--loss", "mse",
                                   "--epochs", "1", "--json")
        #expect(detected.status == 0, "\(detected.stderr)")
        let pipes = try csvFile(linearTable(rows: 100).replacingOccurrences(of: ",", with: "|"), in: directory, name: "pipe.csv")
        let named = try fastmlp("eval", "--model", model, "--test-csv", pipes, "--delimiter", "|", "--json")
        #expect(named.status == 0, "\(named.stderr)")
        let badDelimiter = try fastmlp("eval", "--model", model, "--test-csv", pipes, "--delimiter", "ab")
        #expect(badDelimiter.status == 64 && badDelimiter.stderr.contains("--delimiter"))
    }

    @Test("a raw table (quoted names with commas, text label and features, missing cells) trains with no other flag; eval names the classes; predict writes CSV")
    func rawTable() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // A passenger-list-like table as pandas writes it: survival follows sex and class.
        func rows(_ range: Range<Int>) -> String {
            var text = "id,name,sex,class,age,fare,port,survived\n"
            for i in range {
                let female = i % 3 != 0, pclass = 1 + (i / 3) % 3
                let age = i % 7 == 0 ? "" : String(format: "%.1f", Double(18 + (i * 13) % 50))
                let port = i % 11 == 0 ? "" : ["S", "C", "Q"][i % 3]
                let survived = female && pclass < 3 || (!female && pclass == 1)
                text += "\(i),\"Person\(i), Mx. \(["A", "B"][i % 2])\",\(female ? "female" : "male"),\(pclass),\(age),"
                    + "\(Double(10 + (i * 7) % 90)),\(port),\(survived ? "yes" : "no")\n"
            }
            return text
        }
        let train = try csvFile(rows(0..<400), in: directory, name: "train.csv")
        let test = try csvFile(rows(400..<500), in: directory, name: "test.csv")
        let model = directory.appendingPathComponent("t.fmlp").path
        let run = try fastmlp("train", "--train-csv", train, "--test-csv", test, "--target", "survived", "--save", model, "--threads", "1")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("categorical (sex 2, port 3)") && run.stdout.contains("left out 1: name: 400 distinct of 400, an identifier"), "\(run.stdout)")
        #expect(run.stdout.contains("target survived: classification, 2 classes (no, yes), inferred from its values; loss bce on one sigmoid output"))
        #expect(run.stderr.contains("missing cells imputed (age 58 with the mean") && run.stderr.contains("port 37 as a missing category"), "\(run.stderr)")
        let eval = try fastmlp("eval", "--model", model, "--test-csv", test, "--json")
        let report = try jsonObject(eval.stdout)
        #expect((report["test_accuracy"] as? Double ?? 0) >= 0.95, "\(eval.stdout)")
        #expect(report["class_names"] as? [String] == ["no", "yes"])
        let text = try fastmlp("eval", "--model", model, "--test-csv", test)
        #expect(text.stdout.contains("\n   no ") && text.stdout.contains("\n  yes "), "\(text.stdout)")

        // predict: the rows as they are, plus the prediction and each class's probability.
        let output = directory.appendingPathComponent("predictions.csv").path
        let predict = try fastmlp("predict", "--model", model, "--csv", test, "--proba", "--output", output)
        #expect(predict.status == 0 && predict.stdout.isEmpty, "\(predict.stderr)")
        let written = try String(contentsOfFile: output, encoding: .utf8)
        let lines = written.split(separator: "\n")
        let original = try String(contentsOfFile: test, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 101 && lines[0] == original[0] + ",prediction,probability_no,probability_yes")
        #expect(zip(lines.dropFirst(), original.dropFirst()).allSatisfy { $0.hasPrefix($1 + ",") })
        let table = try CSV.read(output)
        #expect(table.column("prediction")?.allSatisfy { $0 == .text("yes") || $0 == .text("no") } == true)
        let agreeing = (0..<100).filter { table.cell(row: $0, column: 7) == table.cell(row: $0, column: 8) }.count
        #expect(agreeing >= 95)
        let stdout = try fastmlp("predict", "--model", model, "--csv", test)
        #expect(stdout.stdout.split(separator: "\n").count == 101 && stdout.stdout.hasPrefix(String(original[0]) + ",prediction\n"))
        // A bad table leaves the earlier output as it was.
        let bad = try csvFile("id,name\n1,x\n", in: directory, name: "bad.csv")
        let refused = try fastmlp("predict", "--model", model, "--csv", bad, "--output", output)
        #expect(refused.status == 1 && refused.stderrLines.count == 1 && refused.stderr.contains("bad.csv"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == written)
        #expect(try fastmlp("predict", "--model", model, "--proba").status == 64)
    }

    @Test("a network that does not fit the data is refused before training, naming --layers and what the data needs",
          arguments: [
            (["--layers", "784,128"], "--layers 784,128: the data needs 784 inputs and 10 outputs (10 classes), e.g. --layers 784,128,10"),
            (["--layers", "100,10"], "--layers 100,10: the data needs 784 inputs and 10 outputs (10 classes), e.g. --layers 784,10"),
            (["--activation", "softmax"], "--activation: softmax normalises the output layer"),
          ])
    func shapeMistakes(_ arguments: [String], _ message: String) throws {
        let result = try fastmlp(["train", "--epochs", "1"] + arguments)
        #expect(result.status == 64 && result.stderrLines.count == 1 && result.stdout.isEmpty, "\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
    }

    @Test("--quiet keeps the epoch table, header included, and drops only the informational lines")
    func quietKeepsTheTable() throws {
        let result = try fastmlp("train", "--profile", "binary-1v7", "--epochs", "2", "--quiet")
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n")
        #expect(lines.count == 3 && lines[0].hasPrefix("epoch  train_loss"), "\(result.stdout)")
    }

    @Test("train --plot: one colour per series in every panel, a legend of the series drawn, whole epochs, accuracy in percent")
    func trainPlot() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for validation in [false, true] {
            let plot = directory.appendingPathComponent("curve\(validation).svg").path
            let result = try fastmlp(
                ["train", "--profile", "binary-1v7", "--epochs", "3", "--plot", plot, "--quiet"]
                    + (validation ? ["--val-split", "0.1"] : []))
            #expect(result.status == 0, "\(result.stderr)")
            let data = try Data(contentsOf: URL(fileURLWithPath: plot))
            #expect(XMLWellFormed(data))
            let chart = SVGElements(data)
            let expected = validation ? ["train", "validation", "test", "validation", "test"] : ["train", "test", "test"]
            #expect(chart.series.map(\.name) == expected)
            // The same name has the same colour in both panels, and names differ in colour.
            var colours: [String: String] = [:]
            for series in chart.series {
                #expect(colours[series.name, default: series.colour] == series.colour, "\(series.name)")
                colours[series.name] = series.colour
            }
            #expect(Set(colours.values).count == colours.count)
            #expect(chart.legendCount == colours.count)
            #expect(chart.texts.contains("validation") == validation)
            #expect(chart.texts.contains { $0.hasSuffix(" %") }, "accuracy ticks in percent")
            #expect(["1", "2", "3"].allSatisfy(chart.texts.contains) && !chart.texts.contains("1.0"), "whole epochs")
        }
        let png = try fastmlp("train", "--epochs", "1", "--plot", directory.appendingPathComponent("c.png").path)
        #expect(png.status == 64 && png.stderr.contains(".svg"))
        let none = try fastmlp("train", "--epochs", "0", "--plot", directory.appendingPathComponent("c.svg").path)
        #expect(none.status == 64 && none.stderr.contains("--plot"))
    }

    @Test("the progress line fits the terminal, shortened at 40 columns and in full at 160, and is erased after the epoch",
          arguments: [40, 160])
    func progressLineFitsTheTerminal(_ columns: Int) throws {
        // A pseudo-terminal of the given width, through util-linux's script(1).
        let command = "stty cols \(columns) rows 24; exec \(fastmlpBinary.path) train --profile seed-sigmoid --epochs 1 --threads 1"
        let result = try runProcess(URL(fileURLWithPath: "/usr/bin/script"), ["-qec", command, "/dev/null"])
        #expect(result.status == 0, "\(result.stderr)")
        // Every redraw starts with CR and erase-line; what follows up to the next CR is the line.
        let draws = result.stdout.components(separatedBy: "\r\u{1B}[2K").dropFirst()
            .map { $0.prefix { $0 != "\r" && $0 != "\n" } }
        // The last erase clears the line for the epoch's row: nothing stale is left before it.
        #expect(draws.last?.hasPrefix("    1  ") == true, "\(draws.last ?? "")")
        let progress = draws.dropLast()
        #expect(!progress.isEmpty, "no progress line drawn")
        #expect(progress.allSatisfy { $0.count < columns }, "\(progress.map(\.count).max() ?? 0) characters at \(columns) columns")
        #expect(progress.allSatisfy { $0.contains("ETA") })
        #expect(progress.contains { $0.contains("samples/s") } == (columns == 160))
    }

    @Test("profiles lists the four presets")
    func profiles() throws {
        let result = try fastmlp("profiles")
        #expect(result.status == 0)
        for name in ["seed-sigmoid", "mlp-128", "mlp-wide", "binary-1v7"] { #expect(result.stdout.contains(name)) }
        let json = try fastmlp("profiles", "--json")
        let rows = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(rows.count >= 4)
    }

    @Test("train → save → eval → predict end to end")
    func endToEnd() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("seed.fmlp").path
        let train = try fastmlp("train", "--profile", "seed-sigmoid", "--epochs", "1", "--json", "--save", path)
        #expect(train.status == 0, "\(train.stderr)")
        let result = try jsonObject(train.stdout)
        let accuracy = try #require(result["test_accuracy"] as? Double)
        #expect(accuracy >= 0.95)
        #expect(result["test_loss"] is Double)
        let epochs = try #require(result["epochs"] as? [[String: Any]])
        #expect(epochs.count == 1)
        for key in ["epoch", "train_loss", "test_loss", "test_accuracy", "seconds", "samples_per_second"] {
            #expect(epochs[0][key] != nil, "missing \(key)")
        }

        let eval = try fastmlp("eval", "--model", path, "--json")
        #expect(eval.status == 0, "\(eval.stderr)")
        let evaluation = try jsonObject(eval.stdout)
        #expect(evaluation["test_accuracy"] as? Double == accuracy)
        let confusion = try #require(evaluation["confusion"] as? [[Int]])
        #expect(confusion.count == 10 && confusion.joined().reduce(0, +) == 10000)
        let report = try #require(evaluation["report"] as? [[String: Any]])
        #expect(report.count == 10 && report.allSatisfy { row in ["label", "precision", "recall", "f1", "support"].allSatisfy { row[$0] != nil } })
        #expect(report.map { $0["support"] as? Int ?? 0 }.reduce(0, +) == 10000)

        let text = try fastmlp("eval", "--model", path)
        #expect(text.status == 0 && text.stdout.contains("confusion matrix"))

        let predict = try fastmlp("predict", "--model", path, "--show", "2", "--count", "5")
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout.contains("#0: predicted"))
        #expect(predict.stdout.contains("█"))
        // The table row of the first test image (a 7): index 0, then the prediction, then the label.
        let firstRow = predict.stdout.split(separator: "\n").first { $0.split(separator: " ").first == "0" }
        let fields = try #require(firstRow?.split(separator: " ").map(String.init))
        #expect(fields.count == 3 && fields[2] == "7" && Int(fields[1]) != nil, "\(fields)")

        // A corrupt model is refused with one line, and the good file is not touched.
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let corrupt = directory.appendingPathComponent("corrupt.fmlp").path
        try Data("FASTMLP\0garbage".utf8).write(to: URL(fileURLWithPath: corrupt))
        let bad = try fastmlp("eval", "--model", corrupt)
        #expect(bad.status == 1 && bad.stderrLines.count == 1 && bad.stderr.contains(corrupt))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
    }

    @Test("--classes trains the 1-vs-7 net and eval applies the stored classes")
    func classes() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("b.fmlp").path
        let train = try fastmlp("train", "--profile", "binary-1v7", "--json", "--quiet", "--save", path)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(try jsonObject(train.stdout)["test_samples"] as? Int == 2163)
        let eval = try fastmlp("eval", "--model", path, "--json")
        let evaluation = try jsonObject(eval.stdout)
        #expect(evaluation["classes"] as? [Int] == [1, 7])
        #expect((evaluation["test_accuracy"] as? Double ?? 0) >= 0.98)
    }
}
