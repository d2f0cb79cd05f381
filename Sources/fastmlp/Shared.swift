@_spi(Tools) import FastMLP
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
        throw RuntimeError(
            "--data: no directory given, and the bundled MNIST copy is not at \(MNIST.bundledDirectoryLocation.path) "
                + "(where this binary's source tree keeps it); give --data DIR")
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

/// The profile `--profile` names: a bundled name (an unknown one is a usage error, with the
/// closest name suggested) or a JSON file (a file that cannot be used is a runtime error).
func resolveProfile(_ name: String, _ arguments: ParsedArguments) throws -> Profile {
    do {
        return try Profile.resolve(name, in: Profile.bundledDirectory)
    } catch .unknownName(_, let available) {
        let suggestion = Suggestions.closest(to: name, in: available)
        throw arguments.usage("--profile: " + ProfileError.unknownName(name, available: available).description
            + (suggestion.map { "; did you mean '\($0)'?" } ?? ""))
    } catch {
        throw RuntimeError("--profile: \(describe(error))")
    }
}

/// Refuses to run a table's model on MNIST: it names the model's columns and the flag that
/// gives it a table (`flag`) instead of reporting mismatched widths.
func requireImageModel(_ model: SavedModel, _ arguments: ParsedArguments, flag: String) throws {
    guard let tabular = model.table else { return }
    let columns = tabular.featureColumns.prefix(8).joined(separator: ", ") + (tabular.featureColumns.count > 8 ? ", …" : "")
    throw arguments.usage(
        "\(arguments.string("model") ?? "the model") was trained on a table (columns \(columns); target \(tabular.target)); give \(flag) FILE")
}

/// `--plot` writes SVG: any other extension is a usage error (a `.png` would hold SVG text);
/// then the path must be writable.
func checkPlotPath(_ path: String, _ arguments: ParsedArguments) throws {
    let suffix = URL(fileURLWithPath: path).pathExtension.lowercased()
    guard suffix == "svg" else {
        throw arguments.usage("--plot writes SVG: give a path ending in .svg, got '\(path)' (rsvg-convert makes a PNG from it)")
    }
    try checkOutputPath(path, flag: "--plot")
}

/// The flag that sets each configuration setting: the one table from the library's terms to the
/// command line's.
let flagNames: [ConfigurationField: String] = [
    .layers: "--layers", .activation: "--activation", .outputActivation: "--output-activation", .loss: "--loss",
    .biasInitializer: "--bias-init", .epochs: "--epochs", .batchSize: "--batch-size", .learningRate: "--lr",
    .momentum: "--momentum", .nesterov: "--nesterov", .beta1: "--beta1", .beta2: "--beta2", .epsilon: "--eps",
    .weightDecay: "--weight-decay", .stepSize: "--step-size", .gamma: "--gamma", .warmupEpochs: "--warmup",
    .dropout: "--dropout", .validationSplit: "--val-split", .patience: "--patience", .threads: "--threads",
    .classes: "--classes",
]

/// A configuration error as the command line says it: naming the flag instead of the setting.
func flagMessage(_ error: ConfigurationError) -> String {
    func flag(_ field: ConfigurationField) -> String { flagNames[field] ?? field.description }
    switch error {
    case .outOfRange(let field, let value, let expected):
        return "\(flag(field)) must be \(expected), got \(ConfigurationError.formatted(value))"
    case .invalidLayers(_, let reason):
        return "--layers: \(reason)"
    case .softmaxHiddenActivation:
        return "--activation: softmax normalises the output layer (it comes with --loss softmax-ce); hidden layers take relu, sigmoid, tanh or identity"
    case .outputActivationDoesNotFitLoss(let loss, let required, let actual):
        return "--loss \(loss) needs a \(required) output layer, not \(actual) (--output-activation)"
    case .binaryCrossEntropyNeedsOneOutput(let outputs):
        return "--loss bce needs one output unit, the last layer has \(outputs) (--layers)"
    case .nesterovNeedsMomentum:
        return "--nesterov needs --optimizer sgd with a momentum above 0"
    case .patienceNeedsValidationSplit:
        return "--patience needs a validation set: give --val-split too"
    case .tooManyParameters(let layers, let parameters, let limit):
        return "--layers \(layers.map(String.init).joined(separator: ",")) has \(parameters) parameters, more than the \(limit) this build allows"
    case .batchTooLarge(let batchSize, let widest, let limit):
        return "--batch-size \(batchSize) × the widest layer (\(widest)) is more than the \(limit) activations this build allows"
    case .repeatedClasses(let classes):
        return "--classes must list distinct classes, got \(classes.map(String.init).joined(separator: ","))"
    case .classCountMismatch(let classes, let outputs):
        return "--classes lists \(classes.count) classes but the output layer has \(outputs) units"
    }
}

/// The one-line description of a library error (they are all `CustomStringConvertible`), in
/// the command line's terms where the library speaks of configuration settings.
func describe(_ error: any Error) -> String {
    switch error {
    case let error as ConfigurationError:
        return flagMessage(error)
    case ModelError.invalidConfiguration(let error):
        return flagMessage(error)
    case ModelFileError.noArchitecture(let path):
        return "\(path): no fastmlp architecture in the metadata (layers, activations); use it with train --init-from and --layers"
    case TrainingError.model(let error):
        return describe(error)
    case TrainingError.diverged(let epoch, let step, let loss):
        return "training diverged: loss is \(loss) at epoch \(epoch), step \(step); try a smaller --lr"
    default:
        return String(describing: error)
    }
}

/// `--delimiter`: one ASCII character, or `tab` (default: detected from the header line).
func csvDelimiter(_ arguments: ParsedArguments) throws(UsageError) -> UInt8? {
    guard let text = arguments.string("delimiter") else { return nil }
    if text == "tab" || text == "\\t" { return UInt8(ascii: "\t") }
    guard text.utf8.count == 1, let byte = text.utf8.first, byte < 128, byte != UInt8(ascii: "\""),
        byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r")
    else {
        throw arguments.usage("--delimiter must be one ASCII character other than a quote or a line break, or tab; got '\(text)'")
    }
    return byte
}

extension CommonOptions {
    static let delimiter = OptionSpec(
        "delimiter", "CHAR", "The CSV field separator: one character, or tab (default: detected; a .tsv file is tab-separated).")
}
