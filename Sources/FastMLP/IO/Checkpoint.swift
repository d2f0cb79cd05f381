import Foundation

/// Everything needed to continue a run exactly where it stopped: the configuration, the
/// parameters, the optimiser state, the shuffling generator and this epoch's order, and the
/// position in the run (epochs, steps, samples into the current epoch).
///
/// A synchronous run stopped at any step and resumed from its checkpoint ends with weights
/// bitwise equal to an uninterrupted run's (for the same total `epochs`).
public struct Checkpoint: Sendable {
    /// The configuration of the run (its `epochs` may be raised on resume).
    public var configuration: TrainingConfiguration
    /// Epochs finished before the checkpoint.
    public var completedEpochs: Int
    /// Optimiser steps taken before the checkpoint (the schedule position).
    @_spi(Tools) public var completedSteps: Int
    /// Samples trained in the unfinished epoch (0 between epochs).
    @_spi(Tools) public var epochPosition: Int
    var epochLossSum: Double
    var shufflerState: [UInt64]
    var order: [Int32]
    /// The network parameters, in `Network.parameterValues` order.
    @_spi(Tools) public var parameters: [Float]
    var optimizers: [OptimizerState]
    /// The reports of the finished epochs, for the caller's own bookkeeping.
    public var history: [EpochReport]
    /// Early-stopping state, when the run uses it.
    @_spi(Tools) public var earlyStopping: EarlyStopping?

    struct OptimizerState: Sendable, Equatable {
        var steps: Int
        var first: [Float]
        var second: [Float]
    }
}

/// The checkpoint format, version 1: magic `FMLPCKPT`, a UInt32 version, then tagged sections
/// (4-byte ASCII tag, UInt64 length, payload) in a fixed order — `CONF` (the configuration as
/// JSON), `PROG` (epochs, steps, samples into the epoch, the epoch's loss sum), `RNG `, `ORDR`
/// (this epoch's order), `PARM` (Float32 parameters), one `OPTM` per optimiser (steps, two
/// Float32 buffers), `HIST` (epoch reports as JSON), optionally `STOP` (early stopping: patience,
/// best loss, best epoch, epochs without improvement, the best Float32 weights) — and a CRC-32
/// of everything before it.
/// Little-endian throughout; written atomically like model files.
extension Checkpoint {
    /// The checkpoint format version this build writes and reads.
    static let currentVersion: UInt32 = 1
    static let magic: [UInt8] = Array("FMLPCKPT".utf8)

    /// Writes the checkpoint to the file at `url`, atomically.
    public func save(to url: URL) throws(ModelFileError) { try save(to: url.path) }

    /// Reads and validates the checkpoint at `url`.
    public static func load(from url: URL) throws(ModelFileError) -> Checkpoint { try load(from: url.path) }

    /// Writes the checkpoint to `path` atomically.
    @_spi(Tools) public func save(to path: String) throws(ModelFileError) {
        do {
            try AtomicFile.write(encode(), to: path)
        } catch {
            throw .writeFailed(path: error.path, reason: error.reason)
        }
    }

    /// Reads and validates a checkpoint.
    @_spi(Tools) public static func load(from path: String) throws(ModelFileError) -> Checkpoint {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .unreadable(path: path, reason: "is a directory, not a checkpoint") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "cannot be read")
        }
        return try decode([UInt8](data), path: path)
    }

    func encode() -> [UInt8] {
        var bytes = Self.magic
        ModelFile.append(Self.currentVersion, to: &bytes)
        func section(_ tag: String, _ payload: [UInt8]) {
            bytes += Array(tag.utf8)
            ModelFile.append(UInt64(payload.count), to: &bytes)
            bytes += payload
        }
        func floats(_ values: [Float], into payload: inout [UInt8]) {
            ModelFile.append(UInt64(values.count), to: &payload)
            for value in values { ModelFile.append(value.bitPattern, to: &payload) }
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        section("CONF", (try? encoder.encode(configuration)).map { [UInt8]($0) } ?? [])
        var progress: [UInt8] = []
        for value in [completedEpochs, completedSteps, epochPosition] { ModelFile.append(UInt64(value), to: &progress) }
        ModelFile.append(epochLossSum.bitPattern, to: &progress)
        section("PROG", progress)
        var rng: [UInt8] = []
        for word in shufflerState { ModelFile.append(word, to: &rng) }
        section("RNG ", rng)
        var orderBytes: [UInt8] = []
        ModelFile.append(UInt64(order.count), to: &orderBytes)
        for index in order { ModelFile.append(UInt32(bitPattern: index), to: &orderBytes) }
        section("ORDR", orderBytes)
        var parameterBytes: [UInt8] = []
        floats(parameters, into: &parameterBytes)
        section("PARM", parameterBytes)
        for state in optimizers {
            var payload: [UInt8] = []
            ModelFile.append(UInt64(state.steps), to: &payload)
            floats(state.first, into: &payload)
            floats(state.second, into: &payload)
            section("OPTM", payload)
        }
        let historyEncoder = JSONEncoder()
        historyEncoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        section("HIST", (try? historyEncoder.encode(history)).map { [UInt8]($0) } ?? [])
        if let stopping = earlyStopping {
            var payload: [UInt8] = []
            ModelFile.append(UInt64(stopping.patience), to: &payload)
            ModelFile.append(stopping.bestLoss.bitPattern, to: &payload)
            ModelFile.append(UInt64(stopping.bestEpoch), to: &payload)
            ModelFile.append(UInt64(stopping.epochsWithoutImprovement), to: &payload)
            floats(stopping.bestParameters, into: &payload)
            section("STOP", payload)
        }
        ModelFile.append(ModelFile.crc(bytes[...]), to: &bytes)
        return bytes
    }

    static func decode(_ bytes: [UInt8], path: String) throws(ModelFileError) -> Checkpoint {
        guard bytes.count >= magic.count + 4 + 4 else {
            throw bytes.count >= magic.count && Array(bytes[0..<magic.count]) != magic
                ? .notACheckpoint(path: path) : .truncated(path: path)
        }
        guard Array(bytes[0..<magic.count]) == magic else { throw .notACheckpoint(path: path) }
        let stored = UInt32(littleEndianBytes: bytes[(bytes.count - 4)...])
        var reader = ByteReader(bytes: Array(bytes.dropLast(4)), path: path)
        reader.offset = magic.count
        let version: UInt32 = try reader.read()
        guard version >= 1 && version <= currentVersion else {
            if version > currentVersion { throw .unsupportedVersion(path: path, version: version, supported: currentVersion) }
            throw .corrupt(path: path, reason: "format version \(version) does not exist")
        }
        guard stored == ModelFile.crc(bytes[..<(bytes.count - 4)]) else {
            // A cut file fails here too; tell the two apart by the sections' declared lengths.
            throw sectionsFit(bytes.dropLast(0), path: path) ? .corrupt(path: path, reason: "checksum mismatch") : .truncated(path: path)
        }
        func corrupt(_ reason: String) -> ModelFileError { .corrupt(path: path, reason: reason) }
        func section(_ tag: String) throws(ModelFileError) -> ByteReader {
            guard reader.offset + 12 <= reader.bytes.count else { throw .truncated(path: path) }
            let found = String(decoding: reader.bytes[reader.offset..<reader.offset + 4], as: UTF8.self)
            guard found == tag else { throw corrupt("expected section \(tag), found \(found)") }
            reader.offset += 4
            let length: UInt64 = try reader.read()
            guard length <= UInt64(reader.bytes.count - reader.offset) else { throw .truncated(path: path) }
            let payload = ByteReader(bytes: Array(reader.bytes[reader.offset..<reader.offset + Int(length)]), path: path)
            reader.offset += Int(length)
            return payload
        }
        func floats(_ payload: inout ByteReader, name: String) throws(ModelFileError) -> [Float] {
            let count: UInt64 = try payload.read()
            guard count <= UInt64((payload.bytes.count - payload.offset) / 4) else { throw corrupt("\(name): \(count) values declared, fewer stored") }
            var values = [Float](repeating: 0, count: Int(count))
            for i in values.indices {
                let value = Float(bitPattern: try payload.read())
                guard value.isFinite else { throw corrupt("\(name) value \(i) is \(value)") }
                values[i] = value
            }
            return values
        }

        let configurationPayload = try section("CONF")
        let configuration: TrainingConfiguration
        do {
            configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(configurationPayload.bytes))
            try configuration.validate()
        } catch {
            throw corrupt("the configuration does not decode or is invalid")
        }
        var progress = try section("PROG")
        let epochs: UInt64 = try progress.read(), steps: UInt64 = try progress.read(), position: UInt64 = try progress.read()
        let lossSum = Double(bitPattern: try progress.read())
        guard epochs < 1 << 32, steps < 1 << 48, position < 1 << 31, lossSum.isFinite, lossSum >= 0 else {
            throw corrupt("the run's position is out of range")
        }
        var rng = try section("RNG ")
        var state: [UInt64] = []
        for _ in 0..<4 { state.append(try rng.read()) }
        guard state.contains(where: { $0 != 0 }) else { throw corrupt("the generator state is all zero") }
        var orderPayload = try section("ORDR")
        let orderCount: UInt64 = try orderPayload.read()
        guard orderCount <= UInt64((orderPayload.bytes.count - orderPayload.offset) / 4) else { throw corrupt("the order is shorter than declared") }
        var order = [Int32](repeating: 0, count: Int(orderCount))
        for i in order.indices {
            let index = Int32(bitPattern: try orderPayload.read())
            guard index >= 0, Int(index) < order.count else { throw corrupt("order entry \(i) is out of range") }
            order[i] = index
        }
        guard position == 0 || Set(order).count == order.count, position <= orderCount else {
            throw corrupt("the order is not a permutation or the position is past it")
        }
        var parameterPayload = try section("PARM")
        let parameters = try floats(&parameterPayload, name: "parameter")
        let parameterCount = (try? configuration.architecture().parameterCount) ?? -1
        guard parameters.count == parameterCount else {
            throw corrupt("\(parameters.count) parameters stored, the configuration needs \(parameterCount)")
        }
        var optimizers: [OptimizerState] = []
        while reader.offset + 4 <= reader.bytes.count,
            String(decoding: reader.bytes[reader.offset..<reader.offset + 4], as: UTF8.self) == "OPTM"
        {
            var payload = try section("OPTM")
            let optimizerSteps: UInt64 = try payload.read()
            let first = try floats(&payload, name: "optimiser state")
            let second = try floats(&payload, name: "optimiser state")
            guard optimizerSteps < 1 << 48, first.count == parameterCount, second.isEmpty || second.count == parameterCount else {
                throw corrupt("optimiser state does not match the parameters")
            }
            optimizers.append(OptimizerState(steps: Int(optimizerSteps), first: first, second: second))
        }
        guard !optimizers.isEmpty, optimizers.count <= 1024 else { throw corrupt("no optimiser state") }
        let historyPayload = try section("HIST")
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        guard let history = try? decoder.decode([EpochReport].self, from: Data(historyPayload.bytes)) else {
            throw corrupt("the epoch history does not decode")
        }
        var earlyStopping: EarlyStopping?
        if reader.offset < reader.bytes.count {
            var payload = try section("STOP")
            let patience: UInt64 = try payload.read()
            let bestLoss = Double(bitPattern: try payload.read())
            let bestEpoch: UInt64 = try payload.read(), waited: UInt64 = try payload.read()
            let best = try floats(&payload, name: "best weight")
            guard (1...1_000_000).contains(patience), bestEpoch < 1 << 32, waited < 1 << 32,
                best.isEmpty || best.count == parameterCount, !bestLoss.isNaN
            else { throw corrupt("early-stopping state is out of range") }
            earlyStopping = EarlyStopping(
                patience: Int(patience), bestLoss: bestLoss, bestEpoch: Int(bestEpoch),
                epochsWithoutImprovement: Int(waited), bestParameters: best)
        }
        guard reader.offset == reader.bytes.count else { throw corrupt("unexpected bytes after the last section") }
        return Checkpoint(
            configuration: configuration, completedEpochs: Int(epochs), completedSteps: Int(steps),
            epochPosition: Int(position), epochLossSum: lossSum, shufflerState: state, order: order,
            parameters: parameters, optimizers: optimizers, history: history, earlyStopping: earlyStopping)
    }

    /// Whether every section's declared length fits in the file (false for a cut file).
    private static func sectionsFit(_ bytes: ArraySlice<UInt8>, path: String) -> Bool {
        var offset = bytes.startIndex + magic.count + 4
        while offset + 12 <= bytes.endIndex - 4 {
            var length: UInt64 = 0
            for i in 0..<8 { length |= UInt64(bytes[offset + 4 + i]) << (8 * i) }
            guard length <= UInt64(bytes.endIndex - 4 - (offset + 12)) else { return false }
            offset += 12 + Int(length)
        }
        return offset == bytes.endIndex - 4
    }
}
