import Foundation
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// IDX bytes: magic 0 0 type ndims, big-endian dimensions, payload.
private func idxBytes(_ dimensions: [Int], _ payload: [UInt8], type: UInt8 = 0x08) -> [UInt8] {
    var bytes: [UInt8] = [0, 0, type, UInt8(dimensions.count)]
    for d in dimensions { bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)] }
    return bytes + payload
}

/// A tiny, valid MNIST-shaped directory: 20 training and 10 test images of 28 × 28.
private func writeTinyMNIST(_ directory: URL, images: [UInt8]? = nil, labels: [UInt8]? = nil) throws {
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    func write(_ name: String, _ bytes: [UInt8]) throws {
        try Data(bytes).write(to: directory.appendingPathComponent(name))
    }
    let pixels = (0..<(20 * 784)).map { UInt8($0 % 251) }
    try write("train-images-idx3-ubyte", images ?? idxBytes([20, 28, 28], pixels))
    try write("train-labels-idx1-ubyte", labels ?? idxBytes([20], (0..<20).map { UInt8($0 % 10) }))
    try write("t10k-images-idx3-ubyte", idxBytes([10, 28, 28], Array(pixels.prefix(10 * 784))))
    try write("t10k-labels-idx1-ubyte", idxBytes([10], (0..<10).map { UInt8($0 % 10) }))
}

/// One row of the matrix: how to set the input up, the command, and what must happen.
struct BadInput: CustomStringConvertible, Sendable {
    let name: String
    /// Builds the input files in the directory and returns the command's arguments.
    let setup: @Sendable (URL) throws -> [String]
    let status: Int32
    /// Text the one-line error must contain ("{dir}" stands for the case's directory).
    let mentions: String
    var description: String { name }
}

private func file(_ directory: URL, _ name: String, _ bytes: [UInt8]) throws -> String {
    let path = directory.appendingPathComponent(name).path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

private func model(_ directory: URL) throws -> [UInt8] {
    let architecture = try Architecture(layerSizes: [784, 8, 10], hiddenActivation: .relu, outputActivation: .softmax)
    return ModelFile.encode(SavedModel(network: Network(architecture: architecture, weightInitializer: .heNormal, seed: 1), loss: .softmaxCrossEntropy))
}

private let tiny = "tiny"

let badInputs: [BadInput] = [
    // MNIST directories and IDX files.
    .init(name: "missing data directory", setup: { ["train", "--data", $0.path + "/none", "--epochs", "1"] }, status: 1, mentions: "none"),
    .init(name: "data path is a file", setup: { ["train", "--data", try file($0, "f", [1]), "--epochs", "1"] }, status: 1, mentions: "/f"),
    .init(name: "missing label file", setup: { d in
        try writeTinyMNIST(d.appendingPathComponent(tiny))
        try FileManager.default.removeItem(at: d.appendingPathComponent(tiny).appendingPathComponent("train-labels-idx1-ubyte"))
        return ["train", "--data", d.appendingPathComponent(tiny).path, "--epochs", "1"] }, status: 1, mentions: "train-labels"),
    .init(name: "empty image file", setup: { d in
        try writeTinyMNIST(d.appendingPathComponent(tiny), images: [])
        return ["train", "--data", d.appendingPathComponent(tiny).path, "--epochs", "1"] }, status: 1, mentions: "train-images"),
    .init(name: "truncated images", setup: { d in
        try writeTinyMNIST(d.appendingPathComponent(tiny), images: Array(idxBytes([20, 28, 28], [UInt8](repeating: 1, count: 20 * 784)).prefix(5000)))
        return ["train", "--data", d.appendingPathComponent(tiny).path, "--epochs", "1"] }, status: 1, mentions: "train-images"),
    .init(name: "wrong IDX magic", setup: { d in
        var bytes = idxBytes([20, 28, 28], [UInt8](repeating: 1, count: 20 * 784)); bytes[0] = 7
        try writeTinyMNIST(d.appendingPathComponent(tiny), images: bytes)
        return ["train", "--data", d.appendingPathComponent(tiny).path, "--epochs", "1"] }, status: 1, mentions: "train-images"),
    .init(name: "zero dimension", setup: { d in
        try writeTinyMNIST(d.appendingPathComponent(tiny), images: idxBytes([20, 0, 28], []))
        return ["train", "--data", d.appendingPathComponent(tiny).path, "--epochs", "1"] }, status: 1, mentions: "train-images"),
    .init(name: "declared size far beyond the file", setup: { d in
        try writeTinyMNIST(d.appendingPathComponent(tiny), images: idxBytes([2_000_000_000, 28, 28], [1, 2, 3]))
        return ["train", "--data", d.appendingPathComponent(tiny).path, "--epochs", "1"] }, status: 1, mentions: "train-images"),
    .init(name: "image and label counts differ", setup: { d in
        try writeTinyMNIST(d.appendingPathComponent(tiny), labels: idxBytes([19], [UInt8](repeating: 1, count: 19)))
        return ["train", "--data", d.appendingPathComponent(tiny).path, "--epochs", "1"] }, status: 1, mentions: "train-labels"),
    .init(name: "label 10", setup: { d in
        try writeTinyMNIST(d.appendingPathComponent(tiny), labels: idxBytes([20], [UInt8](repeating: 10, count: 20)))
        return ["train", "--data", d.appendingPathComponent(tiny).path, "--epochs", "1"] }, status: 1, mentions: "train-labels"),
    .init(name: "corrupt gzip", setup: { d in
        let dir = d.appendingPathComponent(tiny)
        try writeTinyMNIST(dir)
        try FileManager.default.removeItem(at: dir.appendingPathComponent("train-images-idx3-ubyte"))
        _ = try file(dir, "train-images-idx3-ubyte.gz", [0x1F, 0x8B, 8, 0, 0, 0, 0, 0, 0, 3, 0xFF, 0xFF, 0xFF])
        return ["train", "--data", dir.path, "--epochs", "1"] }, status: 1, mentions: "train-images-idx3-ubyte.gz"),
    // Model files.
    .init(name: "empty model", setup: { ["eval", "--model", try file($0, "m.fmlp", [])] }, status: 1, mentions: "m.fmlp"),
    .init(name: "truncated model", setup: { ["eval", "--model", try file($0, "m.fmlp", Array(try model($0).prefix(100)))] }, status: 1, mentions: "m.fmlp"),
    .init(name: "model with wrong magic", setup: { ["eval", "--model", try file($0, "m.fmlp", [0x58] + Array(try model($0).dropFirst()))] }, status: 1, mentions: "m.fmlp"),
    .init(name: "model from the future", setup: { d in
        var bytes = try model(d); bytes[8] = 9
        return ["eval", "--model", try file(d, "m.fmlp", bytes)] }, status: 1, mentions: "m.fmlp"),
    .init(name: "model with a NaN weight", setup: { d in
        let architecture = try Architecture(layerSizes: [784, 8, 10], hiddenActivation: .relu, outputActivation: .softmax)
        let network = Network(architecture: architecture, weightInitializer: .heNormal, seed: 1)
        network.parameters[3] = .nan
        return ["eval", "--model", try file(d, "m.fmlp", ModelFile.encode(SavedModel(network: network, loss: .softmaxCrossEntropy)))] }, status: 1, mentions: "m.fmlp"),
    .init(name: "directory as model", setup: { ["eval", "--model", $0.path] }, status: 1, mentions: "directory"),
    .init(name: "missing model", setup: { ["predict", "--model", $0.path + "/none.fmlp"] }, status: 1, mentions: "none.fmlp"),
    .init(name: "model input width differs from the data", setup: { d in
        let architecture = try Architecture(layerSizes: [3, 4, 10], hiddenActivation: .relu, outputActivation: .softmax)
        let bytes = ModelFile.encode(SavedModel(network: Network(architecture: architecture, weightInitializer: .heNormal, seed: 1), loss: .softmaxCrossEntropy))
        return ["eval", "--model", try file(d, "m.fmlp", bytes)] }, status: 1, mentions: "inputs"),
    // Checkpoints.
    .init(name: "missing checkpoint", setup: { ["train", "--resume", $0.path + "/none.ckpt"] }, status: 1, mentions: "none.ckpt"),
    .init(name: "checkpoint that is a model", setup: { ["train", "--resume", try file($0, "c.ckpt", try model($0))] }, status: 1, mentions: "c.ckpt"),
    .init(name: "truncated checkpoint", setup: { ["train", "--resume", try file($0, "c.ckpt", Array("FMLPCKPT\u{1}\0\0\0CONF".utf8))] }, status: 1, mentions: "c.ckpt"),
    // safetensors.
    .init(name: "safetensors with a garbage header", setup: { d in
        ["eval", "--model", try file(d, "m.safetensors", [8, 0, 0, 0, 0, 0, 0, 0] + Array("{oops!!}".utf8))] }, status: 1, mentions: "m.safetensors"),
    .init(name: "safetensors with a huge header length", setup: { d in
        ["train", "--init-from", try file(d, "w.safetensors", [0, 0, 0, 0, 0, 0, 1, 0] + Array("{}".utf8)), "--epochs", "1"] }, status: 1, mentions: "w.safetensors"),
    // CSV tables.
    .init(name: "CSV number beyond a float", setup: { d in
        let path = try file(d, "t.csv", Array("a,y\n1,2\n1e39,3\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--loss", "mse"] }, status: 1, mentions: "line 3, column 'a'"),
    .init(name: "empty CSV", setup: { d in
        let path = try file(d, "t.csv", [])
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--loss", "mse"] }, status: 1, mentions: "t.csv"),
    .init(name: "ragged CSV row", setup: { d in
        let path = try file(d, "t.csv", Array("a,b,y\n1,2,3\n4,5\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--loss", "mse"] }, status: 1, mentions: "line 3"),
    .init(name: "CSV target missing on every row", setup: { d in
        let path = try file(d, "t.csv", Array("a,y\n1,nan\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--loss", "mse"] }, status: 1, mentions: "column 'y'"),
    .init(name: "CSV without the target column", setup: { d in
        let path = try file(d, "t.csv", Array("a,b\n1,2\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--loss", "mse"] }, status: 1, mentions: "'y' (columns: a, b)"),
    .init(name: "CSV target with more than 256 classes", setup: { d in
        let path = try file(d, "t.csv", Array(("a,y\n" + (0..<300).map { "1,\($0)\n" }.joined()).utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--task", "classification"] }, status: 1, mentions: "at most 256"),
    .init(name: "CSV test class unseen in training", setup: { d in
        let train = try file(d, "train.csv", Array("a,y\n1,p\n2,q\n".utf8)), test = try file(d, "test.csv", Array("a,y\n1,r\n".utf8))
        return ["train", "--train-csv", train, "--test-csv", test, "--target", "y", "--epochs", "1"] }, status: 1, mentions: "test.csv: line 2, column 'y'"),
    .init(name: "CSV column entirely missing", setup: { d in
        let path = try file(d, "t.csv", Array("a,b,y\n1,,0\n2,NA,1\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y"] }, status: 1, mentions: "column 'b'"),
    .init(name: "CSV missing cell with --missing error", setup: { d in
        let path = try file(d, "t.csv", Array("a,y\n1,0\n,1\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--missing", "error"] }, status: 1, mentions: "line 3, column 'a'"),
    .init(name: "CSV --ignore of a column that does not exist", setup: { d in
        let path = try file(d, "t.csv", Array("a,y\n1,0\n2,1\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--ignore", "b"] }, status: 1, mentions: "'b'"),
    .init(name: "CSV --task unknown", setup: { d in
        let path = try file(d, "t.csv", Array("a,y\n1,0\n2,1\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--task", "clustering"] }, status: 64, mentions: "--task"),
    .init(name: "CSV --features with --ignore", setup: { d in
        let path = try file(d, "t.csv", Array("a,b,y\n1,2,0\n2,3,1\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--features", "a", "--ignore", "b"] }, status: 64, mentions: "--features"),
    .init(name: "CSV with an unterminated quote", setup: { d in
        let path = try file(d, "t.csv", Array("a,y\n1,2\n\"3,4\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--loss", "mse"] }, status: 1, mentions: "not closed"),
    .init(name: "CSV with a header only", setup: { d in
        let path = try file(d, "t.csv", Array("a,y\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--loss", "mse"] }, status: 1, mentions: "no data rows"),
    .init(name: "CSV delimiter of two characters", setup: { d in
        let path = try file(d, "t.csv", Array("a,y\n1,2\n".utf8))
        return ["train", "--train-csv", path, "--test-csv", path, "--target", "y", "--delimiter", ";;"] }, status: 64, mentions: "--delimiter"),
    .init(name: "CSV path is a directory", setup: { d in
        ["train", "--train-csv", d.path, "--test-csv", d.path, "--target", "y"] }, status: 1, mentions: "not a regular file"),
    .init(name: "missing CSV", setup: { d in
        ["train", "--train-csv", d.path + "/none.csv", "--test-csv", d.path + "/none.csv", "--target", "y"] }, status: 1, mentions: "none.csv"),
    // Profiles.
    .init(name: "profile that is not JSON", setup: { ["train", "--profile", try file($0, "p.json", Array("{nope".utf8))] }, status: 1, mentions: "p.json"),
    .init(name: "profile with an unknown key", setup: { ["train", "--profile", try file($0, "p.json", Array("{\"learning_rat\": 0.1}".utf8))] }, status: 1, mentions: "learning_rat"),
    .init(name: "profile with a bad value", setup: { ["train", "--profile", try file($0, "p.json", Array("{\"learning_rate\": -1}".utf8))] }, status: 1, mentions: "p.json"),
    .init(name: "profile of the wrong type", setup: { ["train", "--profile", try file($0, "p.json", Array("{\"epochs\": \"many\"}".utf8))] }, status: 1, mentions: "epochs"),
    // Flags.
    .init(name: "negative learning rate", setup: { _ in ["train", "--lr", "-1"] }, status: 64, mentions: "--lr"),
    .init(name: "zero batch", setup: { _ in ["train", "--batch-size", "0"] }, status: 64, mentions: "--batch-size"),
    .init(name: "zero threads", setup: { _ in ["train", "--threads", "0"] }, status: 64, mentions: "--threads"),
    .init(name: "unknown activation", setup: { _ in ["train", "--activation", "swish"] }, status: 64, mentions: "--activation"),
    .init(name: "epochs not a number", setup: { _ in ["train", "--epochs", "many"] }, status: 64, mentions: "--epochs"),
    .init(name: "dropout of 1.5", setup: { _ in ["train", "--dropout", "1.5"] }, status: 64, mentions: "--dropout"),
    .init(name: "momentum of 1", setup: { _ in ["train", "--momentum", "1"] }, status: 64, mentions: "--momentum"),
    .init(name: "NaN learning rate", setup: { _ in ["train", "--lr", "nan"] }, status: 64, mentions: "--lr"),
    .init(name: "a zero-width layer", setup: { _ in ["train", "--layers", "784,0,10"] }, status: 64, mentions: "--layers: layer size 0"),
    .init(name: "validation split of 2", setup: { _ in ["train", "--val-split", "2"] }, status: 64, mentions: "--val-split"),
    .init(name: "unknown flag", setup: { _ in ["eval", "--modle", "m"] }, status: 64, mentions: "--modle"),
    // Outputs.
    .init(name: "save into a missing directory", setup: { ["train", "--epochs", "1", "--save", $0.path + "/no/m.fmlp"] }, status: 1, mentions: "/no"),
    .init(name: "save where a directory is", setup: { ["train", "--epochs", "1", "--save", $0.path] }, status: 1, mentions: "directory"),
    .init(name: "checkpoint into a missing directory", setup: { ["train", "--epochs", "1", "--checkpoint", $0.path + "/no/c.ckpt"] }, status: 1, mentions: "--checkpoint"),
    .init(name: "export into a missing directory", setup: { d in
        ["export", "--model", try file(d, "m.fmlp", try model(d)), "--format", "safetensors", "--output", d.path + "/no/m.safetensors"] }, status: 1, mentions: "--output"),
    .init(name: "bench plot into a missing directory", setup: { ["bench", "--epochs", "1", "--plot", $0.path + "/no/b.svg"] }, status: 1, mentions: "--plot"),
]

@Suite("Bad-input matrix")
struct BadInputTests {
    @Test("every bad input: one line on stderr naming it, exit 1 (64 for usage), no crash, outputs untouched", arguments: badInputs)
    func matrix(_ input: BadInput) throws {
        let directory = temporaryDirectory(input.name)
        defer { try? FileManager.default.removeItem(at: directory) }
        let arguments = try input.setup(directory)
        // A file the user already had, next to every input: it must be the same afterwards.
        let sentinel = directory.appendingPathComponent("kept.fmlp")
        try Data("precious".utf8).write(to: sentinel)
        let mentions = input.mentions.replacingOccurrences(of: "{dir}", with: directory.path)
        let result = try fastmlp(arguments + ["--quiet"].filter { _ in arguments.first == "train" || arguments.first == "bench" })
        #expect(result.status == input.status, "\(input): status \(result.status), stderr \(result.stderr)")
        #expect(result.stderrLines.count == 1, "\(input): \(result.stderr)")
        #expect(result.stderr.hasPrefix("Error: "), "\(input): \(result.stderr)")
        #expect(result.stderr.contains(mentions), "\(input): '\(result.stderr)' does not mention \(mentions)")
        #expect(try Data(contentsOf: sentinel) == Data("precious".utf8))
        #expect(try temporaryFiles(in: directory).isEmpty)
    }

    /// How the kills of a test landed: after the process finished, inside a write (its temporary
    /// file is still there), or elsewhere in the run.
    private struct KillTally {
        var completed = 0, insideWrite = 0, elsewhere = 0

        mutating func count(_ process: Process, in directory: URL) throws {
            if process.terminationReason == .exit {
                completed += 1
            } else if try FileManager.default.contentsOfDirectory(atPath: directory.path)
                .contains(where: { $0.contains(".tmp-\(process.processIdentifier)-") }) {
                insideWrite += 1
            } else {
                elsewhere += 1
            }
        }

        /// Each kind of moment was hit at least once, so the test tested something.
        func expectEveryOutcome() {
            #expect(completed > 0 && insideWrite > 0 && elsewhere > 0, "kills: \(self)")
        }
    }

    /// Sends SIGKILL to `process` and waits for it to end. Even rounds kill at a random moment,
    /// 0.2 to 2 times `typical` seconds in; odd rounds wait for the process's first temporary file
    /// to appear and kill 0 to 10 ms later, so that some kills land inside a write even when the
    /// writes are a small part of the run.
    private func killMidRun(_ process: Process, round: Int, typical: Double, watching directory: URL,
                      _ generator: inout SplitMix64) -> Process {
        if round % 2 == 0 {
            usleep(UInt32(typical * (0.2 + 1.8 * Double(generator.next() % 1000) / 1000) * 1e6))
        } else {
            let marker = ".tmp-\(process.processIdentifier)-"
            while process.isRunning,
                  !((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).contains(where: { $0.contains(marker) }) {
                usleep(200)
            }
            usleep(UInt32(generator.next() % 10_000))
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return process
    }

    /// The temporary files of atomic writes in `directory`.
    private func temporaryFiles(in directory: URL) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
    }

    /// Starts the binary with its output discarded.
    private func launch(_ arguments: [String]) throws -> Process {
        let process = Process()
        process.executableURL = fastmlpBinary
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// The median wall time of three uninterrupted runs of the process `start` launches (each must
    /// succeed), so that the kills below land across the run on a fast machine and under a
    /// sanitizer alike.
    private func medianDuration(_ start: () throws -> Process) throws -> Double {
        var times: [Double] = []
        for _ in 0..<3 {
            let begin = Date()
            let process = try start()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0)
            times.append(Date().timeIntervalSince(begin))
        }
        return times.sorted()[1]
    }

    @Test("a save killed at any moment leaves the old file or the new one, complete", .timeLimit(.minutes(3)))
    func killedSaves() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // Two large models (7.6 MB of weights each), so that a write takes long enough to be hit.
        let architecture = try Architecture(layerSizes: [784, 1024, 1024, 10], hiddenActivation: .relu, outputActivation: .softmax)
        let models = try [1, 2].map { seed -> (path: String, parameters: [Float]) in
            let network = Network(architecture: architecture, weightInitializer: .heNormal, seed: UInt64(seed))
            let path = directory.appendingPathComponent("m\(seed).fmlp").path
            try ModelFile.save(SavedModel(network: network, loss: .softmaxCrossEntropy), to: path)
            return (path, network.parameterValues)
        }
        let output = directory.appendingPathComponent("out.safetensors").path
        try SafeTensors.save(try ModelFile.load(from: models[0].path), to: output)
        func export(_ source: String) throws -> Process {
            try launch(["export", "--model", source, "--format", "safetensors", "--output", output])
        }
        // One export takes about 80 ms in a release build, several times that under a sanitizer
        // or on a busy machine: the kills are timed from a measurement.
        let duration = try medianDuration { try export(models[0].path) }
        var generator = SplitMix64(seed: 99)
        var sawNew = false, kills = KillTally()
        for round in 0..<40 {
            let source = models[round % 2]
            let process = killMidRun(try export(source.path), round: round, typical: duration, watching: directory, &generator)
            let loaded = try SafeTensors.load(from: output).network.parameterValues.map(\.bitPattern)
            #expect(loaded == models[0].parameters.map(\.bitPattern) || loaded == models[1].parameters.map(\.bitPattern), "round \(round): a mixed or partial file")
            if loaded == models[1].parameters.map(\.bitPattern) { sawNew = true }
            try kills.count(process, in: directory)
        }
        #expect(sawNew)
        kills.expectEveryOutcome()
        // A complete export clears what the killed ones left.
        let last = try export(models[0].path)
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)
        #expect(try temporaryFiles(in: directory).isEmpty)
    }

    @Test("a training run killed at any moment leaves a complete checkpoint and model file", .timeLimit(.minutes(3)))
    func killedTraining() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var table = "a,b,y\n"
        for i in 0..<64 { table += "\(Double(i % 17) / 4 - 2),\(Double(i * 7 % 13) / 3 - 2),\(i % 5)\n" }
        let csv = try csvFile(table, in: directory)
        let checkpoint = directory.appendingPathComponent("run.ckpt").path
        let model = directory.appendingPathComponent("run.fmlp").path
        // A wide network on a tiny table: each epoch is mostly the write of an 8.4 MB checkpoint,
        // and the run ends with a 4.2 MB model.
        func train(seed: Int) throws -> Process {
            try launch([
                "train", "--train-csv", csv, "--test-csv", csv, "--target", "y", "--loss", "mse", "--lr", "0.001",
                "--layers", "2,1024,1024,1", "--epochs", "3", "--seed", "\(seed)", "--checkpoint", checkpoint,
                "--save", model, "--quiet",
            ])
        }
        let duration = try medianDuration { try train(seed: 0) }
        var generator = SplitMix64(seed: 7)
        var kills = KillTally()
        for round in 1...40 {
            let process = killMidRun(try train(seed: round), round: round, typical: duration, watching: directory, &generator)
            // Each file is a whole one, old or new: its checksum and every size check pass.
            #expect(throws: Never.self, "round \(round)") { _ = try Checkpoint.load(from: checkpoint) }
            #expect(throws: Never.self, "round \(round)") { _ = try ModelFile.load(from: model) }
            try kills.count(process, in: directory)
        }
        kills.expectEveryOutcome()
        let last = try train(seed: 0)
        last.waitUntilExit()
        #expect(last.terminationStatus == 0)
        #expect(try temporaryFiles(in: directory).isEmpty)
    }

    @Test("the matrix has at least 40 cases")
    func size() {
        #expect(badInputs.count >= 40)
    }

    @Test("a diverging run stops with a clear message and leaves the previous model intact")
    func divergence() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("m.fmlp").path
        try Data("previous model".utf8).write(to: URL(fileURLWithPath: path))
        let result = try fastmlp("train", "--lr", "1e20", "--momentum", "0", "--epochs", "2", "--save", path, "--quiet")
        #expect(result.status == 1 && result.stderrLines.count == 1)
        #expect(result.stderr.contains("diverged") && result.stderr.contains("epoch 1") && result.stderr.contains("--lr"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("previous model".utf8))
    }
}
