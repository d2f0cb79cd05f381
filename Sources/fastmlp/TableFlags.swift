@_spi(Tools) import FastMLP
import Foundation

/// The table flags of `train`: the two files, the target, and how the columns are read.
struct TableFlags {
    let trainPath: String
    let testPath: String
    var options: TableOptions
    let delimiter: UInt8?

    /// The options `train` takes for tables, after --train-csv, --test-csv and --target.
    static let specs: [OptionSpec] = [
        OptionSpec("task", "NAME", "classification or regression (default: inferred from the target; --loss implies it)."),
        OptionSpec("features", "COL,...", "Use only these columns as features, in this order."),
        OptionSpec("ignore", "COL,...", "Leave these columns out."),
        OptionSpec("missing", "HOW", "Missing feature cells (empty, NA, NaN, null, ?): impute (default), error or drop-rows."),
        OptionSpec("no-standardize", nil, "Keep features (and a regression target) in their own units (by default they are standardised)."),
        OptionSpec("standardize", nil, "Standardise the features and a regression target (the default)."),
    ]
    static let flagNames = ["train-csv", "test-csv", "target"] + specs.map(\.name)

    /// nil when no table flag is given; a usage error when only some are.
    init?(_ arguments: ParsedArguments) throws(UsageError) {
        guard Self.flagNames.contains(where: { arguments.string($0) != nil || arguments.has($0) }) else { return nil }
        guard let train = arguments.string("train-csv"), let test = arguments.string("test-csv"),
            let target = arguments.string("target")
        else {
            let given = Self.flagNames.first { arguments.string($0) != nil || arguments.has($0) } ?? "train-csv"
            throw arguments.usage("--\(given) is for tables: --train-csv, --test-csv and --target go together")
        }
        trainPath = train
        testPath = test
        var options = TableOptions(target: target)
        if let task = try arguments.choice("task", TableTask.init(rawValue:), expected: "classification, regression") {
            options.task = task
        } else if let loss = arguments.string("loss").flatMap(Loss.init(rawValue:)) {
            options.task = loss == .meanSquaredError ? .regression : .classification
        }
        let policies: [String: MissingValuePolicy] = ["error": .error, "impute": .impute, "drop-rows": .dropRows]
        if let policy = try arguments.choice("missing", { policies[$0] }, expected: "impute, error, drop-rows") {
            options.missingValues = policy
        }
        let features = try Self.columnList(arguments, "features"), ignored = try Self.columnList(arguments, "ignore")
        if features != nil && ignored != nil { throw arguments.usage("--features and --ignore do not go together: give one") }
        options.features = features
        options.ignored = ignored ?? []
        if arguments.has("standardize") && arguments.has("no-standardize") {
            throw arguments.usage("--standardize and --no-standardize contradict each other")
        }
        options.standardize = !arguments.has("no-standardize")
        self.options = options
        delimiter = try csvDelimiter(arguments)
    }

    /// A comma-separated list of column names, each non-empty and given once.
    private static func columnList(_ arguments: ParsedArguments, _ name: String) throws(UsageError) -> [String]? {
        guard let text = arguments.string(name) else { return nil }
        let names = text.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.contains(where: \.isEmpty) else { throw arguments.usage("--\(name): an empty column name in '\(text)'") }
        guard Set(names).count == names.count else { throw arguments.usage("--\(name): a column is named twice in '\(text)'") }
        return names
    }

    func read() throws -> (training: CSVTable, test: CSVTable) {
        do {
            return (try CSV.read(trainPath, delimiter: delimiter), try CSV.read(testPath, delimiter: delimiter))
        } catch {
            throw RuntimeError(describe(error))
        }
    }

    func fit(_ training: CSVTable) throws -> (encoding: TableEncoding, ignored: [IgnoredColumn], inferredTask: Bool) {
        do {
            return try TableEncoding.fit(training, options: options)
        } catch {
            throw RuntimeError(describe(error))
        }
    }
}

/// The one-line summaries of a fitted encoding: the columns used and left out, and the target.
func tableSummary(_ encoding: TableEncoding, ignored: [IgnoredColumn], inferredTask: Bool, loss: Loss) -> [String] {
    var numeric = 0
    var categorical: [String] = []
    for column in encoding.columns {
        switch column {
        case .numeric: numeric += 1
        case .categorical(let name, let categories, _): categorical.append("\(name) \(categories.count)")
        }
    }
    var parts = ["\(numeric) numeric"]
    if !categorical.isEmpty {
        parts.append("\(categorical.count) categorical (\(categorical.prefix(8).joined(separator: ", "))\(categorical.count > 8 ? ", …" : ""))")
    }
    var line = "columns: \(encoding.inputCount) inputs from " + parts.joined(separator: ", ")
    if !ignored.isEmpty {
        let described = ignored.prefix(8).map { column -> String in
            switch column.reason {
            case .asked: return column.name
            case .identifier(let distinct, let cells): return "\(column.name): \(distinct) distinct of \(cells), an identifier"
            }
        }
        line += "; left out \(ignored.count): " + described.joined(separator: ", ") + (ignored.count > 8 ? ", …" : "")
    }
    var target = "target \(encoding.target): \(encoding.task)"
    if encoding.task == .classification {
        let names = encoding.classNames
        target += ", \(names.count) classes (\(names.prefix(10).joined(separator: ", "))\(names.count > 10 ? ", …" : ""))"
    }
    if inferredTask {
        target += encoding.task == .regression ? ", inferred from its numbers" : ", inferred from its values"
    }
    target += "; loss \(loss)"
    if !encoding.task.isRegression && loss == .binaryCrossEntropy { target += " on one sigmoid output" }
    return [line, target]
}

/// Warnings about what encoding did to `path`'s cells: imputed cells, rows left out, unseen
/// categories.
func encodingWarnings(_ encoded: EncodedTable, encoding: TableEncoding, path: String) -> [String] {
    var lines: [String] = []
    if !encoded.imputed.isEmpty {
        let total = encoded.imputed.reduce(0) { $0 + $1.count }
        let parts = encoded.imputed.prefix(8).map { count -> String in
            let column = encoding.columns.first { $0.name == count.column }
            if case .numeric(_, let fill?) = column {
                return "\(count.column) \(count.count) with the mean \(String(format: "%.4g", fill))"
            }
            return "\(count.column) \(count.count) as a missing category"
        }
        lines.append("\(path): \(total) missing cell\(total == 1 ? "" : "s") imputed (" + parts.joined(separator: ", ") + ")")
    }
    if encoded.rowsWithoutTarget > 0 {
        lines.append("\(path): \(encoded.rowsWithoutTarget) row\(encoded.rowsWithoutTarget == 1 ? "" : "s") without a \(encoding.target) left out")
    }
    if encoded.rowsWithMissingFeatures > 0 {
        lines.append("\(path): \(encoded.rowsWithMissingFeatures) row\(encoded.rowsWithMissingFeatures == 1 ? "" : "s") with missing cells left out")
    }
    if !encoded.unseenCategories.isEmpty {
        let total = encoded.unseenCategories.reduce(0) { $0 + $1.count }
        lines.append("\(path): \(total) cell\(total == 1 ? "" : "s") with a category the training table does not have, encoded as zeros ("
            + encoded.unseenCategories.prefix(8).map { "\($0.column) \($0.count)" }.joined(separator: ", ") + ")")
    }
    return lines
}

extension TableTask {
    var isRegression: Bool { self == .regression }
}

/// A table model's rows from `path`, read and encoded with the model's encoding; warnings go to
/// stderr unless `quiet`.
func encodeTable(
    for model: SavedModel, path: String, flag: String, delimiter: UInt8?, keepingRowSpans: Bool = false, quiet: Bool,
    features: Bool = false
) throws -> (table: CSVTable, encoded: EncodedTable) {
    guard let encoding = model.table else {
        throw RuntimeError("\(flag): the model was trained on MNIST, not on a table")
    }
    do {
        let table = try CSV.read(path, delimiter: delimiter, keepingRowSpans: keepingRowSpans)
        let encoded = features ? try encoding.encodeFeatures(table) : try encoding.encode(table)
        if !quiet { for line in encodingWarnings(encoded, encoding: encoding, path: path) { printError("warning: " + line) } }
        return (table, encoded)
    } catch {
        throw RuntimeError(describe(error))
    }
}
