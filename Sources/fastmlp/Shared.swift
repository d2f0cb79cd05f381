import FastMLP
import Foundation

/// Options that several commands share.
enum CommonOptions {
    static let data = OptionSpec(
        "data", "DIR", "Directory with the four MNIST IDX files, raw or .gz (default: the repository's Data/mnist).")
    static let json = OptionSpec("json", nil, "Print one JSON object on stdout instead of text.")
    static let quiet = OptionSpec("quiet", nil, "No progress line and no informational messages.")
    static let model = OptionSpec("model", "PATH", "The model file to use (written by 'fastmlp train --save').")
}

/// The MNIST training and test sets from `--data` or the bundled copy, optionally restricted
/// to some digits (relabelled 0..<count in the given order).
func loadMNIST(_ arguments: ParsedArguments, classes: [Int]?) throws -> (training: Dataset, test: Dataset) {
    let directory: URL
    if let path = arguments.string("data") {
        directory = URL(fileURLWithPath: path)
    } else if let bundled = MNIST.bundledDirectory {
        directory = bundled
    } else {
        throw RuntimeError("--data: no directory given and the bundled Data/mnist was not found")
    }
    do {
        var (training, test) = try MNIST.load(from: directory)
        if let classes {
            training = try training.keeping(classes: classes)
            test = try test.keeping(classes: classes)
        }
        return (training, test)
    } catch {
        throw RuntimeError(describe(error))
    }
}

/// Reads a model file — fastmlp's own format or safetensors, told apart by the first bytes —
/// turning its typed error into a one-line message.
func loadModel(_ arguments: ParsedArguments) throws -> SavedModel {
    guard let path = arguments.string("model") else { throw arguments.usage("--model PATH is required") }
    return try readModel(path)
}

func readModel(_ path: String) throws -> SavedModel {
    do {
        if isSafeTensors(path) { return try SafeTensors.load(from: path) }
        return try ModelFile.load(from: path)
    } catch {
        throw RuntimeError(describe(error))
    }
}

/// Whether `path` is a readable file that does not start with fastmlp's model magic but with
/// a plausible safetensors header length.
func isSafeTensors(_ path: String) -> Bool {
    guard let handle = FileHandle(forReadingAtPath: path) else { return false }
    defer { try? handle.close() }
    guard let head = try? handle.read(upToCount: 9), head.count == 9 else { return false }
    return !head.starts(with: Array("FASTMLP".utf8)) && head[8] == UInt8(ascii: "{")
}

func percent(_ fraction: Double) -> String { String(format: "%.2f%%", 100 * fraction) }

func leftPad(_ text: String, _ width: Int) -> String {
    String(repeating: " ", count: max(0, width - text.count)) + text
}

/// Fails before the work, not after, when an output file could not be written there.
func checkOutputPath(_ path: String, flag: String) throws {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        throw RuntimeError("\(flag): \(path) is a directory")
    }
    let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
    guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw RuntimeError("\(flag): \(path): directory \(directory) does not exist")
    }
    guard FileManager.default.isWritableFile(atPath: directory) else {
        throw RuntimeError("\(flag): \(path): directory \(directory) is not writable")
    }
}
