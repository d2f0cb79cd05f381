import Foundation

// libFuzzer entry points for every parser of untrusted input. One binary holds them all; the
// FASTMLP_FUZZ_TARGET environment variable picks the parser. Any bytes must give a value or a
// typed error: never a trap, a hang, or an allocation larger than the input justifies.

/// The parsers, by target name.
let fuzzTargets: [String: ([UInt8]) -> Void] = [
    "IDX": { _ = try? IDX.parse($0, path: "fuzz") },
    "Gzip": { _ = try? Gzip.decompress($0, path: "fuzz", maximumSize: 1 << 24) },
    "ModelFile": { _ = try? ModelFile.decode($0, path: "fuzz") },
    "Checkpoint": { _ = try? Checkpoint.decode($0, path: "fuzz") },
    "SafeTensors": { _ = try? SafeTensors.decode($0, path: "fuzz") },
    "CSV": { bytes in
        guard let table = try? CSV.parse(bytes, path: "fuzz") else { return }
        // Fed in two chunks, split where the input says, the reader must read the same table.
        var parser = CSVParser(path: "fuzz")
        let split = bytes.isEmpty ? 0 : Int(bytes[0]) % (bytes.count + 1)
        do {
            try bytes[..<split].withUnsafeBufferPointer { (p) throws(DataError) in try parser.feed(p) }
            try bytes[split...].withUnsafeBufferPointer { (p) throws(DataError) in try parser.feed(p) }
            try parser.finish()
        } catch {
            fatalError("the whole input parsed, in two chunks it failed: \(error)")
        }
        guard parser.columns == table.columns, parser.values.map(\.bitPattern) == table.values.map(\.bitPattern) else {
            fatalError("two chunks read another table than the whole input")
        }
        guard parser.textColumns == table.textColumns else { fatalError("two chunks read other text cells than the whole input") }
        // The whole path from a parsed table to trained batches: an encoding fitted for each task
        // and missing-value policy, the table encoded, a training epoch, an evaluation, predictions,
        // and the model through its file format and back.
        guard table.columns.count >= 2, let target = table.columns.last else { return }
        for (task, missing) in [(nil, .impute), (.classification, .dropRows), (.regression, .error)] as [(TableTask?, MissingValuePolicy)] {
            let options = TableOptions(target: target, task: task, missingValues: missing)
            guard let encoding = try? TableEncoding(fitting: table, options: options),
                let encoded = try? encoding.encode(table), let data = encoded.dataset else { continue }
            var configuration = TrainingConfiguration(table: encoding)
            configuration.layers = [encoding.inputCount, 4, configuration.layers.last!]
            configuration.batchSize = 8
            configuration.threads = 1
            configuration.epochs = 1
            configuration.validationSplit = 0
            configuration.patience = nil
            guard let trainer = try? Trainer(configuration: configuration) else { continue }
            _ = try? trainer.trainEpoch(on: data)
            _ = try? trainer.evaluate(on: data)
            let model = SavedModel(network: trainer.network, loss: configuration.loss, table: encoding)
            let predictions = String(describing: try? model.predictions(for: encoded))
            guard let reloaded = try? ModelFile.decode(ModelFile.encode(model), path: "fuzz"), reloaded.table == encoding,
                String(describing: try? reloaded.predictions(for: encoded)) == predictions
            else { fatalError("a table model read back differs from the one saved") }
        }
    },
    "Profile": { _ = try? Profile(data: Data($0), name: "fuzz", path: "fuzz") },
]

nonisolated(unsafe) private var selectedTarget: (([UInt8]) -> Void)?

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    if selectedTarget == nil {
        let name = ProcessInfo.processInfo.environment["FASTMLP_FUZZ_TARGET"] ?? ""
        guard let target = fuzzTargets[name] else {
            FileHandle.standardError.write(Data("FASTMLP_FUZZ_TARGET must be one of \(fuzzTargets.keys.sorted())\n".utf8))
            exit(64)
        }
        selectedTarget = target
    }
    selectedTarget?(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
