import CZlib
import Foundation

/// Why a model file could not be read or written. Descriptions name the file and what was wrong.
public enum ModelFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file cannot be opened or read.
    case unreadable(path: String, reason: String)
    /// The file does not start with a model file's magic.
    case notAModelFile(path: String)
    /// The file does not start with a checkpoint's magic.
    case notACheckpoint(path: String)
    /// The file was written by a newer build, in a format version this one does not read.
    case unsupportedVersion(path: String, version: UInt32, supported: UInt32)
    /// The file ends before its contents do.
    case truncated(path: String)
    /// The contents are inconsistent (`reason` says how): a bad checksum, size or value.
    case corrupt(path: String, reason: String)
    /// A safetensors file without fastmlp's architecture metadata: its tensors can still be
    /// loaded for an architecture given separately (``SafeTensors/parameters(from:for:)``).
    case noArchitecture(path: String)
    /// The file could not be written; whatever was at `path` before is untouched.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path, let reason): return "\(path): \(reason)"
        case .notAModelFile(let path): return "\(path): not a fastmlp model file (bad magic)"
        case .notACheckpoint(let path): return "\(path): not a fastmlp checkpoint (bad magic)"
        case .unsupportedVersion(let path, let version, let supported):
            return "\(path): format version \(version) is newer than this build reads (\(supported))"
        case .truncated(let path): return "\(path): the file is truncated"
        case .corrupt(let path, let reason): return "\(path): corrupt file: \(reason)"
        case .noArchitecture(let path):
            return "\(path): no fastmlp architecture in the metadata (layers, activations); its tensors can be loaded for a given architecture"
        case .writeFailed(let path, let reason): return "\(path): \(reason)"
        }
    }
}

/// A trained network with what is needed to use it: the loss it was trained with and, for a
/// model trained on a subset of the classes, which original class each output stands for.
///
/// A value: it holds its own copy of the network's weights, taken when it is made (or its
/// network is set), so a trainer that goes on training the network it was made from does not
/// change it, and copies of it never change each other. To train on from it, use
/// ``Trainer/init(model:configuration:)``, which copies the weights again.
public struct SavedModel {
    private var storage: Network
    /// The trained network (a copy of the one given).
    public var network: Network {
        get { storage }
        set { storage = newValue.copy() }
    }
    /// The loss it was trained with (evaluation uses it).
    public var loss: Loss
    /// `classes[i]` is the original label of output i (e.g. `[1, 7]`); `nil` when output i is class i.
    public var classes: [Int]?
    /// For a model trained on a table: how rows become inputs, and what the outputs mean.
    public var table: TableEncoding?

    /// A model to save; `classes` and `table` as described on the properties.
    public init(network: Network, loss: Loss, classes: [Int]? = nil, table: TableEncoding? = nil) {
        storage = network.copy()
        self.loss = loss
        self.classes = classes
        self.table = table
    }

    /// Loss, accuracy and the confusion matrix on `data` (regression: MSE, MAE and R² in the
    /// target's own units), with the loss the model was trained with.
    public func evaluate(on data: Dataset) throws(ModelError) -> Evaluation {
        try network.evaluate(on: data, loss: loss, targetScales: table?.standardization?.targetScales)
    }

    /// The predicted output class of every sample of `data` (an index into the outputs; see
    /// ``classes`` for the original labels).
    public func predictions(for data: Dataset) throws(ModelError) -> [Int] {
        try network.predictions(for: data, loss: loss)
    }
}

/// The native model format, version 2 (version 1 files, without the tabular field, still load). All integers and floats little-endian:
///
///     offset  size        field
///     0       8           magic "FASTMLP\0"
///     8       4  UInt32   format version (2; 1 is still read)
///     12      4  UInt32   L, the number of dense layers (1...1024)
///     16      4(L+1)      layer widths, UInt32 each (1...2²⁴)
///     ..      L           activation codes, UInt8 each (identity 0, relu 1, sigmoid 2, tanh 3, softmax 4)
///     ..      1           loss code, UInt8 (softmax-ce 0, mse 1)
///     ..      4  UInt32   C, the number of class labels the outputs stand for (0: outputs are 0..<n)
///     ..      4C          the digit each output stands for, UInt32 each (e.g. 1, 7 for "1 vs 7")
///     ..      4  UInt32   T, the length of the tabular metadata (version 2; 0: none)
///     ..      T           ``TableEncoding`` as JSON (columns, target, classes, standardisation)
///     ..      8  UInt64   P, the parameter count (must match the widths)
///     ..      4P          parameters, Float32, in ``Network/parameterValues`` order
///     ..      4  UInt32   CRC-32 (zlib) of every byte before it
///
/// Files are written atomically; loading checks every field, the exact length and the CRC, and
/// refuses non-finite parameters.
public enum ModelFile {
    /// The model format version this build writes (it reads 1 and 2).
    public static let currentVersion: UInt32 = 2
    static let magic: [UInt8] = Array("FASTMLP".utf8) + [0]

    /// Writes a model to the file at `url`, atomically: the old file, if any, stays intact until
    /// the new one is complete on disk.
    public static func save(_ model: SavedModel, to url: URL) throws(ModelFileError) {
        try save(model, to: url.path)
    }

    /// Reads and validates the model file at `url`.
    public static func load(from url: URL) throws(ModelFileError) -> SavedModel {
        try load(from: url.path)
    }

    /// Writes a model to `path`, atomically, as the URL variant does.
    @_spi(Tools) public static func save(_ model: SavedModel, to path: String) throws(ModelFileError) {
        do {
            try AtomicFile.write(encode(model), to: path)
        } catch {
            throw .writeFailed(path: error.path, reason: error.reason)
        }
    }

    /// Reads and validates the model file at `path`.
    @_spi(Tools) public static func load(from path: String) throws(ModelFileError) -> SavedModel {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .unreadable(path: path, reason: "is a directory, not a model file") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .unreadable(path: path, reason: "cannot be read")
        }
        return try decode([UInt8](data), path: path)
    }

    /// Checks a stored table encoding against the network, so that nothing read from a file can
    /// index out of range later; one from before classes were stored gets them from the loss.
    static func complete(
        _ encoding: inout TableEncoding, loss: Loss, architecture: Architecture, path: String
    ) throws(ModelFileError) {
        func corrupt(_ reason: String) -> ModelFileError { .corrupt(path: path, reason: "table metadata: " + reason) }
        guard encoding.inputCount == architecture.inputCount else {
            throw corrupt("\(encoding.inputCount) inputs from the columns for \(architecture.inputCount) network inputs")
        }
        for column in encoding.columns {
            if case .categorical(let name, let categories, _) = column, Set(categories).count != categories.count {
                throw corrupt("column '\(name)' repeats a category")
            }
            if case .numeric(let name, let fill?) = column, !fill.isFinite { throw corrupt("column '\(name)' fills with \(fill)") }
        }
        let outputs = architecture.outputCount
        if loss == .meanSquaredError {
            encoding.task = .regression
            encoding.classNames = []
        } else {
            let classes = loss == .binaryCrossEntropy ? 2 : outputs
            if encoding.classNames.isEmpty { encoding.classNames = (0..<classes).map(String.init) }
            encoding.task = .classification
            guard encoding.classNames.count == classes, Set(encoding.classNames).count == classes, classes <= 256 else {
                throw corrupt("\(encoding.classNames.count) distinct class names for \(classes) classes")
            }
        }
        if let s = encoding.standardization {
            let targets = encoding.task == .regression ? [0, outputs] : [0]
            guard s.featureMeans.count == architecture.inputCount, s.featureScales.count == architecture.inputCount,
                targets.contains(s.targetMeans.count), s.targetScales.count == s.targetMeans.count,
                (s.featureMeans + s.featureScales + s.targetMeans + s.targetScales).allSatisfy(\.isFinite),
                (s.featureScales + s.targetScales).allSatisfy({ $0 != 0 })
            else { throw corrupt("the standardisation does not fit the network") }
        }
    }

    static func encode(_ model: SavedModel) -> [UInt8] {
        let network = model.network
        let architecture = network.architecture
        var bytes = magic
        bytes.reserveCapacity(64 + architecture.parameterCount * 4)
        append(currentVersion, to: &bytes)
        append(UInt32(architecture.layerCount), to: &bytes)
        for size in architecture.layerSizes { append(UInt32(size), to: &bytes) }
        for activation in architecture.activations { bytes.append(activationCodes.firstIndex(of: activation).map(UInt8.init)!) }
        bytes.append(lossCodes.firstIndex(of: model.loss).map(UInt8.init)!)
        let classes = model.classes ?? []
        append(UInt32(classes.count), to: &bytes)
        for digit in classes { append(UInt32(truncatingIfNeeded: digit), to: &bytes) }
        let tabular = model.table.flatMap { try? JSONEncoder().encode($0) }.map { [UInt8]($0) } ?? []
        append(UInt32(tabular.count), to: &bytes)
        bytes += tabular
        append(UInt64(architecture.parameterCount), to: &bytes)
        for value in UnsafeBufferPointer(start: network.parameters.base, count: architecture.parameterCount) {
            append(value.bitPattern, to: &bytes)
        }
        append(crc(bytes[...]), to: &bytes)
        return bytes
    }

    static func decode(_ bytes: [UInt8], path: String) throws(ModelFileError) -> SavedModel {
        var reader = ByteReader(bytes: bytes, path: path)
        guard bytes.count >= magic.count, Array(bytes[0..<magic.count]) == magic else {
            throw bytes.isEmpty ? .truncated(path: path) : .notAModelFile(path: path)
        }
        reader.offset = magic.count
        let version: UInt32 = try reader.read()
        guard version <= currentVersion, version >= 1 else {
            if version > currentVersion { throw .unsupportedVersion(path: path, version: version, supported: currentVersion) }
            throw .corrupt(path: path, reason: "format version \(version) does not exist")
        }
        let layerCount: UInt32 = try reader.read()
        guard (1...1024).contains(layerCount) else {
            throw .corrupt(path: path, reason: "layer count \(layerCount) is out of range 1...1024")
        }
        var sizes: [Int] = []
        for _ in 0...Int(layerCount) {
            let size: UInt32 = try reader.read()
            guard (1...(1 << 24)).contains(size) else {
                throw .corrupt(path: path, reason: "layer width \(size) is out of range 1...\(1 << 24)")
            }
            sizes.append(Int(size))
        }
        var activations: [Activation] = []
        for _ in 0..<Int(layerCount) {
            let code: UInt8 = try reader.read()
            guard Int(code) < activationCodes.count else {
                throw .corrupt(path: path, reason: "unknown activation code \(code)")
            }
            activations.append(activationCodes[Int(code)])
        }
        let lossCode: UInt8 = try reader.read()
        guard Int(lossCode) < lossCodes.count else { throw .corrupt(path: path, reason: "unknown loss code \(lossCode)") }
        let classCount: UInt32 = try reader.read()
        guard classCount == 0 || Int(classCount) == sizes[sizes.count - 1] else {
            throw .corrupt(path: path, reason: "\(classCount) class labels for \(sizes[sizes.count - 1]) outputs")
        }
        var classes: [Int] = []
        for _ in 0..<Int(classCount) {
            let digit: UInt32 = try reader.read()
            guard digit < 256, !classes.contains(Int(digit)) else {
                throw .corrupt(path: path, reason: "class label \(digit) is out of range or repeated")
            }
            classes.append(Int(digit))
        }
        var table: TableEncoding?
        if version >= 2 {
            let length: UInt32 = try reader.read()
            guard Int(length) <= bytes.count - reader.offset else { throw .truncated(path: path) }
            if length > 0 {
                let json = Data(bytes[reader.offset..<reader.offset + Int(length)])
                guard let info = try? JSONDecoder().decode(TableEncoding.self, from: json) else {
                    throw .corrupt(path: path, reason: "the tabular metadata does not decode")
                }
                table = info
                reader.offset += Int(length)
            }
        }
        let architecture: Architecture
        do {
            architecture = try Architecture(layerSizes: sizes, activations: activations)
        } catch {
            throw .corrupt(path: path, reason: error.description)
        }
        if let required = lossCodes[Int(lossCode)].requiredOutputActivation, architecture.outputActivation != required {
            throw .corrupt(path: path, reason: "\(lossCodes[Int(lossCode)]) with a \(architecture.outputActivation) output layer")
        }
        if var encoding = table {
            try Self.complete(&encoding, loss: lossCodes[Int(lossCode)], architecture: architecture, path: path)
            table = encoding
        }
        let parameterCount: UInt64 = try reader.read()
        guard parameterCount == UInt64(architecture.parameterCount) else {
            throw .corrupt(
                path: path,
                reason: "\(parameterCount) parameters stored, the layer widths need \(architecture.parameterCount)")
        }
        let expectedLength = reader.offset + 4 * architecture.parameterCount + 4
        guard bytes.count >= expectedLength else { throw .truncated(path: path) }
        guard bytes.count == expectedLength else {
            throw .corrupt(path: path, reason: "\(bytes.count - expectedLength) unexpected bytes after the parameters")
        }
        let stored = UInt32(littleEndianBytes: bytes[(expectedLength - 4)...])
        guard stored == crc(bytes[..<(expectedLength - 4)]) else {
            throw .corrupt(path: path, reason: "checksum mismatch")
        }
        var parameters = [Float](repeating: 0, count: architecture.parameterCount)
        for i in 0..<parameters.count {
            let value = Float(bitPattern: try reader.read())
            guard value.isFinite else { throw .corrupt(path: path, reason: "parameter \(i) is \(value)") }
            parameters[i] = value
        }
        do {
            return SavedModel(
                network: try Network(architecture: architecture, parameters: parameters), loss: lossCodes[Int(lossCode)],
                classes: classes.isEmpty ? nil : classes, table: table)
        } catch {
            throw .corrupt(path: path, reason: error.description)
        }
    }

    static let activationCodes: [Activation] = [.identity, .relu, .sigmoid, .tanh, .softmax]
    static let lossCodes: [Loss] = [.softmaxCrossEntropy, .meanSquaredError, .binaryCrossEntropy]

    static func crc(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            UInt32(truncatingIfNeeded: crc32_z(0, buffer.baseAddress, buffer.count))
        }
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}

/// Reads little-endian integers from a byte array, failing with `.truncated` at the end.
struct ByteReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0

    mutating func read<T: FixedWidthInteger>() throws(ModelFileError) -> T {
        let size = MemoryLayout<T>.size
        guard offset + size <= bytes.count else { throw .truncated(path: path) }
        var value: T = 0
        for i in 0..<size { value |= T(bytes[offset + i]) << (8 * i) }
        offset += size
        return value
    }
}

extension UInt32 {
    init(littleEndianBytes bytes: ArraySlice<UInt8>) {
        var value: UInt32 = 0
        for (i, byte) in bytes.prefix(4).enumerated() { value |= UInt32(byte) << (8 * i) }
        self = value
    }
}
