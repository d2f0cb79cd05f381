import Foundation
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// A fresh empty directory under the system temporary directory.
func temporaryDirectory(_ label: String = #function) -> URL {
    let name = "fastmlp-\(label.filter { $0.isLetter || $0.isNumber })-\(UInt64.random(in: 0...UInt64.max))"
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(name)
    try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

func smallModel(seed: UInt64 = 9) throws -> SavedModel {
    let architecture = try Architecture(layerSizes: [784, 16, 10], hiddenActivation: .tanh, outputActivation: .softmax)
    return SavedModel(network: Network(architecture: architecture, weightInitializer: .xavierNormal, biasInitializer: 0.1, seed: seed),
                      loss: .softmaxCrossEntropy)
}

/// Model-file bytes altered in one way, and the error they must give.
struct CorruptModelCase: CustomStringConvertible, Sendable {
    let name: String
    let alter: @Sendable ([UInt8]) -> [UInt8]
    let matches: @Sendable (ModelFileError) -> Bool
    var description: String { name }
}

func isTruncated(_ e: ModelFileError) -> Bool { if case .truncated = e { return true }; return false }
func isCorrupt(_ e: ModelFileError) -> Bool { if case .corrupt = e { return true }; return false }

let corruptModelCases: [CorruptModelCase] = [
    .init(name: "empty", alter: { _ in [] }, matches: isTruncated),
    .init(name: "magic only", alter: { Array($0.prefix(8)) }, matches: isTruncated),
    .init(name: "cut in the header", alter: { Array($0.prefix(21)) }, matches: isTruncated),
    .init(name: "cut in the parameters", alter: { Array($0.prefix($0.count / 2)) }, matches: isTruncated),
    .init(name: "cut before the checksum", alter: { Array($0.dropLast(4)) }, matches: isTruncated),
    .init(name: "one byte missing", alter: { Array($0.dropLast()) }, matches: isTruncated),
    .init(name: "trailing bytes", alter: { $0 + [0] }, matches: isCorrupt),
    .init(name: "bad magic", alter: { var b = $0; b[0] = UInt8(ascii: "X"); return b }, matches: {
        if case .notAModelFile = $0 { return true }; return false
    }),
    .init(name: "future version", alter: { var b = $0; b[8] = 3; return b }, matches: {
        if case .unsupportedVersion(_, 3, 2) = $0 { return true }; return false
    }),
    .init(name: "version 0", alter: { var b = $0; b[8] = 0; return b }, matches: isCorrupt),
    .init(name: "zero layers", alter: { var b = $0; b[12] = 0; return b }, matches: isCorrupt),
    .init(name: "huge layer count", alter: { var b = $0; b[15] = 0x7F; return b }, matches: isCorrupt),
    .init(name: "zero width", alter: { var b = $0; b[16] = 0; b[17] = 0; return b }, matches: isCorrupt),
    .init(name: "huge width", alter: { var b = $0; b[19] = 0x40; return b }, matches: isCorrupt),
    .init(name: "unknown activation", alter: { var b = $0; b[28] = 9; return b }, matches: isCorrupt),
    .init(name: "unknown loss", alter: { var b = $0; b[30] = 7; return b }, matches: isCorrupt),
    .init(name: "flipped parameter bit", alter: { var b = $0; b[b.count / 2] ^= 0x10; return b }, matches: isCorrupt),
    .init(name: "flipped checksum bit", alter: { var b = $0; b[b.count - 1] ^= 0x01; return b }, matches: isCorrupt),
]

@Suite("Model files")
struct IOTests {
    @Test("save then load gives the same parameters and identical predictions")
    func roundTrip() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.fmlp").path
        let model = try smallModel()
        try ModelFile.save(model, to: path)
        let loaded = try ModelFile.load(from: path)
        #expect(loaded.network.architecture == model.network.architecture)
        #expect(loaded.loss == model.loss)
        #expect(loaded.classes == nil)
        expectSameBits(loaded.network.parameterValues, model.network.parameterValues)
        let test = shippedMNIST.test.prefix(500)
        #expect(try loaded.network.predictions(for: test) == model.network.predictions(for: test))
        #expect(try loaded.network.evaluate(on: test, loss: .softmaxCrossEntropy)
            == model.network.evaluate(on: test, loss: .softmaxCrossEntropy))
    }

    @Test("class labels and the loss are stored")
    func classesAndLoss() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("binary.fmlp").path
        let architecture = try Architecture(layerSizes: [784, 10, 2], hiddenActivation: .sigmoid, outputActivation: .sigmoid)
        let model = SavedModel(
            network: Network(architecture: architecture, weightInitializer: .normal(standardDeviation: 1), seed: 1),
            loss: .meanSquaredError, classes: [1, 7])
        try ModelFile.save(model, to: path)
        let loaded = try ModelFile.load(from: path)
        #expect(loaded.classes == [1, 7])
        #expect(loaded.loss == .meanSquaredError)
        #expect(loaded.network.architecture.activations == [.sigmoid, .sigmoid])
    }

    @Test("damaged files give a typed error", arguments: corruptModelCases)
    func damaged(_ damage: CorruptModelCase) throws {
        let bytes = ModelFile.encode(try smallModel())
        let path = "/tmp/damaged.fmlp"
        #expect(throws: Never.self) { _ = try ModelFile.decode(bytes, path: path) }
        do {
            _ = try ModelFile.decode(damage.alter(bytes), path: path)
            Issue.record("\(damage) was accepted")
        } catch {
            #expect(damage.matches(error), "\(damage): got \(error)")
            #expect(error.description.hasPrefix(path + ": "))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("a non-finite parameter is refused even with a valid checksum")
    func nonFinite() throws {
        let model = try smallModel()
        model.network.parameters[5] = .nan
        let bytes = ModelFile.encode(model)
        #expect(throws: ModelFileError.corrupt(path: "m", reason: "parameter 5 is nan")) {
            _ = try ModelFile.decode(bytes, path: "m")
        }
    }

    @Test("inconsistent metadata is refused even with a valid checksum")
    func inconsistentMetadata() throws {
        let architecture = try Architecture(layerSizes: [4, 3, 2], hiddenActivation: .relu, outputActivation: .sigmoid)
        let network = Network(architecture: architecture, weightInitializer: .heNormal, seed: 1)
        let wrongLoss = ModelFile.encode(SavedModel(network: network, loss: .softmaxCrossEntropy))
        #expect(throws: ModelFileError.self) { _ = try ModelFile.decode(wrongLoss, path: "m") }
        let repeated = ModelFile.encode(SavedModel(network: network, loss: .meanSquaredError, classes: [7, 7]))
        #expect(throws: ModelFileError.self) { _ = try ModelFile.decode(repeated, path: "m") }
        let fine = ModelFile.encode(SavedModel(network: network, loss: .meanSquaredError, classes: [1, 7]))
        #expect(try ModelFile.decode(fine, path: "m").classes == [1, 7])
    }

    @Test("missing paths and directories are refused by name")
    func badPaths() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: ModelFileError.unreadable(path: directory.path + "/none", reason: "no such file")) {
            _ = try ModelFile.load(from: directory.path + "/none")
        }
        #expect(throws: ModelFileError.unreadable(path: directory.path, reason: "is a directory, not a model file")) {
            _ = try ModelFile.load(from: directory.path)
        }
    }

    @Test("a failed save leaves the existing file intact and no temporary file behind")
    func failedSaveKeepsOldFile() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("model.fmlp").path
        let old = try smallModel(seed: 1)
        try ModelFile.save(old, to: path)
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        // Overwriting works and replaces the content in one step.
        try ModelFile.save(try smallModel(seed: 2), to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) != before)
        try ModelFile.save(old, to: path)
        // Saving into a directory that does not exist fails with the path named.
        let missing = directory.appendingPathComponent("no/such/dir/model.fmlp").path
        #expect(throws: ModelFileError.self) { try ModelFile.save(old, to: missing) }
        // Saving where a directory stands fails and leaves the directory alone.
        try FileManager.default.createDirectory(atPath: path + ".d", withIntermediateDirectories: false)
        #expect(throws: ModelFileError.self) { try ModelFile.save(old, to: path + ".d") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty, "temporary files left: \(leftovers)")
    }

    @Test("a save removes the temporary files of killed writes to the same file, and nothing else")
    func abandonedTemporaryFiles() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let gone: pid_t = 2_147_483_000  // above any pid_max: no such process
        let names = [
            (".model.fmlp.tmp-\(gone)-k3x9", false),  // a killed write of model.fmlp: removed
            (".model.fmlp.tmp-\(getpid())-k3x9", true),  // a live process's write: kept
            (".model.fmlp.tmp-k3x9", true),  // not this naming: kept
            (".model.fmlp.tmp-\(gone)-", true),
            (".other.fmlp.tmp-\(gone)-k3x9", true),  // another destination: kept
            ("model.fmlp.tmp-\(gone)-k3x9", true),
        ]
        for (name, _) in names { try Data([1]).write(to: directory.appendingPathComponent(name)) }
        try ModelFile.save(try smallModel(), to: directory.appendingPathComponent("model.fmlp").path)
        for (name, kept) in names {
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path) == kept, "\(name)")
        }
    }
}
