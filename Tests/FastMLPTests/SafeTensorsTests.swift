import Foundation
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

@Suite("safetensors")
struct SafeTensorsTests {
    /// Writes a safetensors file from a header object and raw little-endian floats.
    func write(header: [String: Any], floats: [Float], to path: String) throws {
        var json = try JSONSerialization.data(withJSONObject: header)
        while json.count % 8 != 0 { json.append(UInt8(ascii: " ")) }
        var bytes = withUnsafeBytes(of: UInt64(json.count).littleEndian) { Array($0) } + [UInt8](json)
        for value in floats { bytes += withUnsafeBytes(of: value.bitPattern.littleEndian) { Array($0) } }
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    @Test("save → load keeps the weights, architecture, loss and classes")
    func roundTrip() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("m.safetensors").path
        let architecture = try Architecture(layerSizes: [784, 10, 2], hiddenActivation: .sigmoid, outputActivation: .sigmoid)
        let model = SavedModel(
            network: Network(architecture: architecture, weightInitializer: .normal(standardDeviation: 1), biasInitializer: 1, seed: 2),
            loss: .meanSquaredError, classes: [1, 7])
        try SafeTensors.save(model, to: path)
        let loaded = try SafeTensors.load(from: path)
        #expect(loaded.network.architecture == architecture && loaded.loss == .meanSquaredError && loaded.classes == [1, 7])
        expectSameBits(loaded.network.parameterValues, model.network.parameterValues)
    }

    @Test("a file written by another tool: weights [out, in] become fastmlp's [in, out]")
    func foreignFile() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("torch.safetensors").path
        // A 3-2 linear layer as PyTorch stores it: weight rows are outputs.
        try write(
            header: [
                "layers.0.weight": ["dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]],
                "layers.0.bias": ["dtype": "F32", "shape": [2], "data_offsets": [24, 32]],
            ],
            floats: [1, 2, 3, 4, 5, 6, 0.5, -0.5], to: path)
        let architecture = try Architecture(layerSizes: [3, 2], hiddenActivation: .relu, outputActivation: .identity)
        #expect(try SafeTensors.parameters(from: path, for: architecture) == [1, 4, 2, 5, 3, 6, 0.5, -0.5])
        // No fastmlp metadata: loading as a whole model asks for the architecture.
        #expect(throws: ModelFileError.self) { _ = try SafeTensors.load(from: path) }
    }

    @Test("damaged or mismatched files give a typed error naming the file")
    func damaged() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("bad.safetensors").path
        let architecture = try Architecture(layerSizes: [3, 2], hiddenActivation: .relu, outputActivation: .identity)
        let good: [String: Any] = [
            "layers.0.weight": ["dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]],
            "layers.0.bias": ["dtype": "F32", "shape": [2], "data_offsets": [24, 32]],
        ]
        func with(_ name: String, _ field: String, _ value: Any) -> [String: Any] {
            var header = good
            var entry = header[name] as! [String: Any]
            entry[field] = value
            header[name] = entry
            return header
        }
        let floats: [Float] = [1, 2, 3, 4, 5, 6, 7, 8]
        let cases: [(String, [String: Any], [Float])] = [
            ("F16", with("layers.0.weight", "dtype", "F16"), floats),
            ("transposed shape", with("layers.0.weight", "shape", [3, 2]), floats),
            ("offsets past the end", with("layers.0.bias", "data_offsets", [24, 4000]), floats),
            ("short tensor", with("layers.0.bias", "data_offsets", [24, 28]), floats),
            ("missing bias", good.filter { $0.key != "layers.0.bias" }, floats),
            ("truncated data", good, Array(floats.prefix(5))),
            ("NaN", good, [1, 2, 3, .nan, 5, 6, 7, 8]),
        ]
        for (name, header, values) in cases {
            try write(header: header, floats: values, to: path)
            do {
                _ = try SafeTensors.parameters(from: path, for: architecture)
                Issue.record("\(name) was accepted")
            } catch {
                #expect(error.description.hasPrefix(path + ": ") && !error.description.contains("\n"), "\(name): \(error)")
            }
        }
        // A header length larger than the file, and larger than any header should be.
        for length: UInt64 in [1000, 1 << 40] {
            try Data(withUnsafeBytes(of: length.littleEndian) { Array($0) } + [UInt8](repeating: 0x20, count: 16))
                .write(to: URL(fileURLWithPath: path))
            #expect(throws: ModelFileError.self) { _ = try SafeTensors.parameters(from: path, for: architecture) }
        }
    }
}
