import Foundation

/// The safetensors format (as read by the `safetensors` Python package, PyTorch and NumPy
/// users): an 8-byte little-endian header length, a JSON header, then the raw tensor bytes.
///
/// A fastmlp network is stored as `layers.N.weight` with shape [outputs, inputs] (how PyTorch's
/// `nn.Linear` stores it; fastmlp's own W is [inputs, outputs], so weights are transposed on the
/// way out and back) and `layers.N.bias` with shape [outputs], all `F32`, in layer order. The
/// header's `__metadata__` records the architecture (`layers`, `activations`), the `loss` and
/// the `classes`, so `fastmlp eval` can use the file directly.
public enum SafeTensors {
    /// Headers larger than this are refused before they are read.
    static let maximumHeader = 100 << 20

    /// Writes `model` to the file at `url` in safetensors format, atomically.
    public static func save(_ model: SavedModel, to url: URL) throws(ModelFileError) { try save(model, to: url.path) }

    /// Reads the safetensors file at `url` as a model (see the path variant).
    public static func load(from url: URL) throws(ModelFileError) -> SavedModel { try load(from: url.path) }

    /// The parameters of `architecture` read from the safetensors file at `url` (see the path variant).
    public static func parameters(from url: URL, for architecture: Architecture) throws(ModelFileError) -> [Float] {
        try parameters(from: url.path, for: architecture)
    }

    /// Writes `model` to `path` in safetensors format, atomically.
    @_spi(Tools) public static func save(_ model: SavedModel, to path: String) throws(ModelFileError) {
        do {
            try AtomicFile.write(encode(model), to: path)
        } catch {
            throw .writeFailed(path: error.path, reason: error.reason)
        }
    }

    static func encode(_ model: SavedModel) -> [UInt8] {
        let architecture = model.network.architecture
        var header: [String: Any] = [:]
        var metadata: [String: String] = [
            "format": "fastmlp",
            "layers": architecture.layerSizes.map(String.init).joined(separator: ","),
            "activations": architecture.activations.map(\.rawValue).joined(separator: ","),
            "loss": model.loss.rawValue,
        ]
        if let classes = model.classes { metadata["classes"] = classes.map(String.init).joined(separator: ",") }
        header["__metadata__"] = metadata
        var data: [UInt8] = []
        for (index, layer) in model.network.layers.enumerated() {
            let weights = model.network.parameters.base + layer.weightOffset
            let start = data.count
            for out in 0..<layer.outputs {
                for input in 0..<layer.inputs { ModelFile.append(weights[input * layer.outputs + out].bitPattern, to: &data) }
            }
            header["layers.\(index).weight"] = ["dtype": "F32", "shape": [layer.outputs, layer.inputs], "data_offsets": [start, data.count]]
            let biasStart = data.count
            for out in 0..<layer.outputs {
                ModelFile.append(model.network.parameters.base[layer.biasOffset + out].bitPattern, to: &data)
            }
            header["layers.\(index).bias"] = ["dtype": "F32", "shape": [layer.outputs], "data_offsets": [biasStart, data.count]]
        }
        var json = (try? JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])).map { [UInt8]($0) } ?? []
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var bytes: [UInt8] = []
        ModelFile.append(UInt64(json.count), to: &bytes)
        return bytes + json + data
    }

    /// Reads a safetensors file written by fastmlp (or any file with the same tensors and
    /// metadata) as a model.
    @_spi(Tools) public static func load(from path: String) throws(ModelFileError) -> SavedModel {
        let (header, data) = try read(path)
        return try model(header: header, data: data, path: path)
    }

    /// A model from safetensors bytes (`path` names them in errors).
    static func decode(_ bytes: [UInt8], path: String) throws(ModelFileError) -> SavedModel {
        let (header, data) = try parse(bytes, path: path)
        return try model(header: header, data: data, path: path)
    }

    private static func model(header: [String: Any], data: ArraySlice<UInt8>, path: String) throws(ModelFileError) -> SavedModel {
        guard let metadata = header["__metadata__"] as? [String: String],
            let layersText = metadata["layers"], let activationsText = metadata["activations"]
        else {
            throw .noArchitecture(path: path)
        }
        let sizeTexts = layersText.split(separator: ",", omittingEmptySubsequences: false)
        let activationTexts = activationsText.split(separator: ",", omittingEmptySubsequences: false)
        let sizes = sizeTexts.compactMap { Int($0) }
        let activations = activationTexts.compactMap { Activation(rawValue: String($0)) }
        guard sizes.count == sizeTexts.count, activations.count == activationTexts.count else {
            throw .corrupt(path: path, reason: "the metadata's layers or activations do not parse")
        }
        guard let loss = Loss(rawValue: metadata["loss"] ?? "softmax-ce") else {
            throw .corrupt(path: path, reason: "unknown loss '\(metadata["loss"] ?? "")'")
        }
        let classes = metadata["classes"].map { $0.split(separator: ",").compactMap { Int($0) } }
        let architecture: Architecture
        do {
            architecture = try Architecture(layerSizes: sizes, activations: activations)
        } catch {
            throw .corrupt(path: path, reason: error.description)
        }
        if loss == .softmaxCrossEntropy && architecture.outputActivation != .softmax {
            throw .corrupt(path: path, reason: "softmax cross-entropy with a \(architecture.outputActivation) output layer")
        }
        if let classes, classes.count != architecture.outputCount || Set(classes).count != classes.count || classes.contains(where: { !(0..<256).contains($0) }) {
            throw .corrupt(path: path, reason: "the classes do not match the output layer")
        }
        let parameters = try weights(header: header, data: data, architecture: architecture, path: path)
        do {
            return SavedModel(network: try Network(architecture: architecture, parameters: parameters), loss: loss, classes: classes)
        } catch {
            throw .corrupt(path: path, reason: error.description)
        }
    }

    /// The parameters of `architecture` read from a safetensors file (`layers.N.weight` [out, in]
    /// and `layers.N.bias` [out], F32), in ``Network/parameterValues`` order.
    @_spi(Tools) public static func parameters(from path: String, for architecture: Architecture) throws(ModelFileError) -> [Float] {
        let (header, data) = try read(path)
        return try weights(header: header, data: data, architecture: architecture, path: path)
    }

    private static func read(_ path: String) throws(ModelFileError) -> ([String: Any], ArraySlice<UInt8>) {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw .unreadable(path: path, reason: "no such file")
        }
        guard !isDirectory.boolValue else { throw .unreadable(path: path, reason: "is a directory, not a safetensors file") }
        guard let contents = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path, reason: "cannot be read") }
        return try parse([UInt8](contents), path: path)
    }

    /// The header and the data of safetensors bytes (`path` names them in errors).
    static func parse(_ bytes: [UInt8], path: String) throws(ModelFileError) -> ([String: Any], ArraySlice<UInt8>) {
        guard bytes.count >= 8 else { throw .truncated(path: path) }
        var length: UInt64 = 0
        for i in 0..<8 { length |= UInt64(bytes[i]) << (8 * i) }
        guard length <= UInt64(maximumHeader) else {
            throw .corrupt(path: path, reason: "header length \(length) is larger than \(maximumHeader)")
        }
        guard length <= UInt64(bytes.count - 8) else { throw .truncated(path: path) }
        let headerBytes = bytes[8..<(8 + Int(length))]
        guard let object = try? JSONSerialization.jsonObject(with: Data(headerBytes)), let header = object as? [String: Any] else {
            throw .corrupt(path: path, reason: "the header is not a JSON object")
        }
        return (header, bytes[(8 + Int(length))...])
    }

    private static func weights(
        header: [String: Any], data: ArraySlice<UInt8>, architecture: Architecture, path: String
    ) throws(ModelFileError) -> [Float] {
        func corrupt(_ reason: String) -> ModelFileError { .corrupt(path: path, reason: reason) }
        func tensor(_ name: String, shape expected: [Int]) throws(ModelFileError) -> ArraySlice<UInt8> {
            guard let entry = header[name] as? [String: Any] else { throw corrupt("no tensor \(name)") }
            guard let dtype = entry["dtype"] as? String, dtype == "F32" else {
                throw corrupt("\(name) has dtype \(entry["dtype"] as? String ?? "?"), only F32 is supported")
            }
            guard let shape = entry["shape"] as? [Int], shape == expected else {
                throw corrupt("\(name) has shape \(entry["shape"] ?? "?"), expected \(expected)")
            }
            guard let offsets = entry["data_offsets"] as? [Int], offsets.count == 2, offsets[0] >= 0,
                offsets[0] <= offsets[1], offsets[1] <= data.count
            else { throw corrupt("\(name) has data offsets outside the file") }
            guard offsets[1] - offsets[0] == expected.reduce(1, *) * 4 else {
                throw corrupt("\(name) holds \(offsets[1] - offsets[0]) bytes, its shape needs \(expected.reduce(1, *) * 4)")
            }
            return data[(data.startIndex + offsets[0])..<(data.startIndex + offsets[1])]
        }
        func float(_ bytes: ArraySlice<UInt8>, _ index: Int) throws(ModelFileError) -> Float {
            let base = bytes.startIndex + index * 4
            let value = Float(bitPattern: UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16 | UInt32(bytes[base + 3]) << 24)
            guard value.isFinite else { throw corrupt("a parameter is \(value)") }
            return value
        }
        // The data must hold every parameter before any is allocated (a header can claim anything).
        guard architecture.parameterCount <= data.count / 4 else {
            throw corrupt("the file holds \(data.count) bytes of data, a \(architecture) network needs \(architecture.parameterCount * 4)")
        }
        let tensorNames = header.keys.filter { $0 != "__metadata__" }
        guard tensorNames.count == 2 * architecture.layerCount else {
            throw corrupt("\(tensorNames.count) tensors stored, a \(architecture) network has \(2 * architecture.layerCount)")
        }
        var parameters: [Float] = []
        parameters.reserveCapacity(architecture.parameterCount)
        for l in 0..<architecture.layerCount {
            let (inputs, outputs) = (architecture.layerSizes[l], architecture.layerSizes[l + 1])
            let weight = try tensor("layers.\(l).weight", shape: [outputs, inputs])
            var block = [Float](repeating: 0, count: inputs * outputs)
            for out in 0..<outputs {
                for input in 0..<inputs { block[input * outputs + out] = try float(weight, out * inputs + input) }
            }
            parameters += block
            let bias = try tensor("layers.\(l).bias", shape: [outputs])
            for out in 0..<outputs { parameters.append(try float(bias, out)) }
        }
        return parameters
    }
}
