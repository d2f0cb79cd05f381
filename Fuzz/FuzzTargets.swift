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
        guard let table = try? CSV.parse(bytes, path: "fuzz"), let target = table.columns.last else { return }
        _ = try? table.dataset(target: target, classCount: 3)
        _ = try? table.dataset(target: target, classCount: nil)
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
