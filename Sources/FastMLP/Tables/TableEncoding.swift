/// Whether a table's target is predicted as a class or as a value.
public enum TableTask: String, Codable, Sendable, CaseIterable {
    /// The target names a class: text, or whole numbers with few distinct values.
    case classification
    /// The target is a value to predict.
    case regression
}

/// What encoding does with a missing feature cell.
public enum MissingValuePolicy: String, Codable, Sendable, CaseIterable {
    /// Refuse the table, naming the first missing cell.
    case error
    /// A numeric column's missing cells take the training mean; a categorical column's take a
    /// category of their own.
    case impute
    /// Leave the row out.
    case dropRows
}

/// How to turn a table into a model's inputs; ``TableEncoding/init(fitting:options:)`` fits
/// an encoding with them.
public struct TableOptions: Sendable, Equatable {
    /// The column to predict.
    public var target: String
    /// Classification or regression; nil infers it from the target (see
    /// ``TableEncoding/init(fitting:options:)``).
    public var task: TableTask?
    /// The feature columns, in this order; nil uses every column but the target and `ignored`.
    public var features: [String]?
    /// Columns to leave out.
    public var ignored: [String]
    /// What a missing feature cell does.
    public var missingValues: MissingValuePolicy
    /// Whether numeric features, and a regression target, are standardised with the training
    /// table's mean and deviation.
    public var standardize: Bool

    /// Options for predicting `target`; the defaults impute missing cells and standardise.
    public init(
        target: String, task: TableTask? = nil, features: [String]? = nil, ignored: [String] = [],
        missingValues: MissingValuePolicy = .impute, standardize: Bool = true
    ) {
        self.target = target
        self.task = task
        self.features = features
        self.ignored = ignored
        self.missingValues = missingValues
        self.standardize = standardize
    }
}

/// What a model trained on a CSV table needs to read new rows: how each feature column becomes
/// inputs, what the outputs mean, and the standardisation fitted on the training table. It is
/// stored in the model file.
public struct TableEncoding: Equatable, Sendable {
    /// One feature column and the inputs it becomes.
    public enum Column: Codable, Equatable, Sendable {
        /// A column of numbers: one input. A missing cell takes `fill`, the training mean, when
        /// imputing (`fill` is nil otherwise).
        case numeric(name: String, fill: Float?)
        /// A column with text: one input per category (one-hot), the categories learned from the
        /// training table (numbers among them written as whole numbers when they are, `3` not `3.0`),
        /// and one more input for a missing cell when `missingCategory`. A category the training
        /// table did not have encodes as all zeros.
        case categorical(name: String, categories: [String], missingCategory: Bool)

        /// The column's name in the table.
        public var name: String {
            switch self {
            case .numeric(let name, _), .categorical(let name, _, _): name
            }
        }

        /// The number of network inputs the column becomes.
        public var inputCount: Int {
            switch self {
            case .numeric: 1
            case .categorical(_, let categories, let missingCategory): categories.count + (missingCategory ? 1 : 0)
            }
        }
    }

    /// The feature columns, in input order.
    public var columns: [Column]
    /// The column the model predicts.
    public var target: String
    /// Classification or regression.
    public var task: TableTask
    /// Classification: each class's name, in label order (label i is `classNames[i]`); empty for
    /// regression.
    public var classNames: [String]
    /// What a missing feature cell does.
    public var missingValues: MissingValuePolicy
    /// The standardisation fitted on the training table (one-hot inputs keep mean 0, scale 1).
    @_spi(Tools) public var standardization: Standardization?

    /// The number of network inputs.
    public var inputCount: Int { columns.reduce(0) { $0 + $1.inputCount } }
    /// The feature columns' names, in input order.
    @_spi(Tools) public var featureColumns: [String] { columns.map(\.name) }

    /// An encoding of number columns only, as given.
    @_spi(Tools) public init(
        columns: [Column], target: String, task: TableTask, classNames: [String] = [],
        missingValues: MissingValuePolicy = .impute, standardization: Standardization? = nil
    ) {
        self.columns = columns
        self.target = target
        self.task = task
        self.classNames = classNames
        self.missingValues = missingValues
        self.standardization = standardization
    }

    /// The most distinct target values a numeric target of whole numbers may have to be
    /// inferred as classes.
    static let inferredClassLimit = 20
    /// A text feature column is left out as an identifier (a name, an id) when it has more than
    /// this many distinct values and they are more than `identifierFraction` of its cells.
    static let identifierMinimum = 20
    /// See `identifierMinimum`.
    static let identifierFraction = 0.9
    /// The most input values an encoded table may hold (2³¹ Floats, 8 GiB): more is refused,
    /// naming the column with the most categories, rather than exhausting memory.
    static let maximumInputValues = 1 << 31

    /// How a number is written as a category or class name: whole numbers below 10⁷ without a
    /// decimal point ("3"), others as Swift prints a Float ("2.5").
    static func categoryName(_ value: Float) -> String {
        if value == value.rounded() && abs(value) < 1e7 { return String(Int(value)) }
        return "\(value)"
    }
}

/// A feature column left out when an encoding was fitted, and why.
public struct IgnoredColumn: Equatable, Sendable {
    /// Why a column was left out.
    public enum Reason: Equatable, Sendable {
        /// The options asked for it (``TableOptions/ignored``, or not in ``TableOptions/features``).
        case asked
        /// Its text values are nearly all distinct (`distinct` of `cells`): a name or an id.
        case identifier(distinct: Int, cells: Int)
    }

    /// The column's name.
    public var name: String
    /// Why it was left out.
    public var reason: Reason
}

/// A count of cells in one column.
public struct ColumnCount: Equatable, Sendable {
    /// The column's name.
    public var column: String
    /// How many cells.
    public var count: Int
}

/// A table encoded for a model: its inputs and, when the table has the target column, a dataset
/// to train or evaluate on; with what the encoding had to do to the cells.
public struct EncodedTable: Sendable {
    /// `rowCount × inputCount` standardised inputs, row after row.
    @_spi(Tools) public var inputs: [Float]
    /// The number of inputs per row.
    public var inputCount: Int
    /// The table row (0-based) each encoded row came from; rows left out are missing.
    public var sourceRows: [Int]
    /// The inputs with their labels or targets (standardised for regression), when the table has
    /// the target column.
    public var dataset: Dataset?
    /// Missing feature cells given the training mean or the missing category, per column.
    public var imputed: [ColumnCount]
    /// Cells whose category the training table did not have, encoded as all zeros, per column.
    public var unseenCategories: [ColumnCount]
    /// Rows left out because their target cell is missing.
    public var rowsWithoutTarget: Int
    /// Rows left out because a feature cell is missing (``MissingValuePolicy/dropRows``).
    public var rowsWithMissingFeatures: Int

    /// The number of encoded rows.
    public var rowCount: Int { sourceRows.count }
}

extension TableEncoding {
    /// Fits an encoding on a training table.
    ///
    /// - Feature columns: a column with any text cell is categorical (one-hot, categories sorted);
    ///   others are numeric. A text column whose values are nearly all distinct is left out (see
    ///   20) unless ``TableOptions/features`` names it.
    /// - The task, unless given: a target with any text is classification, as is one of whole
    ///   numbers with at most 20 distinct values; any other is regression.
    ///   Classes are sorted (numerically when all are numbers).
    /// - Missing cells are imputed from this table (means; a category of their own) under
    ///   ``MissingValuePolicy/impute``.
    /// - With ``TableOptions/standardize``, numeric inputs and a regression target are
    ///   standardised with this table's mean and deviation, measured after imputation.
    ///
    /// Errors name the file, the line and the column.
    public init(fitting table: CSVTable, options: TableOptions) throws(DataError) {
        self = try Self.fit(table, options: options).encoding
    }

    /// Fits an encoding as ``init(fitting:options:)`` does, with the columns it left out and
    /// whether it inferred the task.
    public static func fit(
        _ table: CSVTable, options: TableOptions
    ) throws(DataError) -> (encoding: TableEncoding, ignored: [IgnoredColumn], inferredTask: Bool) {
        let path = table.path
        func unknown(_ name: String) -> DataError {
            .csv(path: path, line: 1, column: nil, reason: "no column named '\(name)' (columns: \(table.columns.joined(separator: ", ")))")
        }
        guard let targetIndex = table.columns.firstIndex(of: options.target) else { throw unknown(options.target) }
        for name in (options.features ?? []) + options.ignored where !table.columns.contains(name) { throw unknown(name) }
        if options.features?.contains(options.target) == true {
            throw .csv(path: path, line: 1, column: options.target, reason: "the target cannot also be a feature")
        }
        var ignored: [IgnoredColumn] = []
        let candidates: [String]
        if let features = options.features {
            candidates = features
            ignored = table.columns.filter { $0 != options.target && !features.contains($0) }.map { IgnoredColumn(name: $0, reason: .asked) }
        } else {
            candidates = table.columns.filter { $0 != options.target && !options.ignored.contains($0) }
            ignored = options.ignored.filter { $0 != options.target }.map { IgnoredColumn(name: $0, reason: .asked) }
        }

        // The target: which rows have one, the task, the classes.
        let targetCells = (0..<table.rowCount).map { table.cell(row: $0, column: targetIndex) }
        let present = targetCells.filter { $0 != .missing }
        guard !present.isEmpty else {
            throw .csv(path: path, line: 2, column: options.target, reason: "every cell of the target is missing")
        }
        let numbers = present.compactMap { if case .number(let v) = $0 { v } else { nil } }
        var task = options.task
        let inferred = task == nil
        if task == nil {
            let wholeNumbers = numbers.count == present.count && numbers.allSatisfy { $0 == $0.rounded() }
            task = wholeNumbers && Set(numbers).count <= inferredClassLimit || numbers.count < present.count
                ? .classification : .regression
        }
        var classNames: [String] = []
        if task == .classification {
            if numbers.count == present.count {
                classNames = Set(numbers).sorted().map(categoryName)
            } else {
                classNames = Set(present.map(Self.categoryName(of:))).sorted()
            }
            guard classNames.count <= 256 else {
                throw .csv(path: path, line: 1, column: options.target,
                    reason: "\(classNames.count) distinct values: at most 256 classes (a target to predict as a value is regression)")
            }
            guard classNames.count >= 2 else {
                throw .csv(path: path, line: 1, column: options.target, reason: "only one class (\(classNames.first ?? "")): nothing to learn")
            }
        } else if let row = targetCells.firstIndex(where: { if case .text = $0 { true } else { false } }) {
            throw .csv(path: path, line: table.line(ofRow: row), column: options.target,
                reason: "'\(categoryName(of: targetCells[row]).prefix(40))' is not a number; a regression target must be numeric")
        }

        // The feature columns, from the rows that have a target.
        let rows = targetCells.indices.filter { targetCells[$0] != .missing }
        var columns: [Column] = []
        for name in candidates {
            let index = table.columns.firstIndex(of: name)!
            var sum = 0.0, count = 0, names = Set<String>()
            let text = table.hasText(column: index)
            for row in rows {
                switch table.cell(row: row, column: index) {
                case .number(let v):
                    count += 1
                    if text { names.insert(categoryName(v)) } else { sum += Double(v) }
                case .text(let t):
                    count += 1
                    names.insert(t)
                case .missing: break
                }
            }
            guard count > 0 else {
                throw .csv(path: path, line: 1, column: name, reason: "every cell is missing; leave the column out")
            }
            let hasMissing = count < rows.count
            if hasMissing && options.missingValues == .error, let row = rows.first(where: { table.cell(row: $0, column: index) == .missing }) {
                throw .csv(path: path, line: table.line(ofRow: row), column: name, reason: "the cell is missing")
            }
            if !text {
                columns.append(.numeric(name: name, fill: options.missingValues == .impute ? Float(sum / Double(count)) : nil))
            } else if options.features == nil && names.count > identifierMinimum && Double(names.count) > identifierFraction * Double(count) {
                ignored.append(IgnoredColumn(name: name, reason: .identifier(distinct: names.count, cells: count)))
            } else {
                columns.append(.categorical(
                    name: name, categories: names.sorted(), missingCategory: hasMissing && options.missingValues == .impute))
            }
        }
        guard !columns.isEmpty else {
            throw .csv(path: path, line: 1, column: nil, reason: "no feature columns left besides the target '\(options.target)'")
        }

        var encoding = TableEncoding(
            columns: columns, target: options.target, task: task!, classNames: classNames, missingValues: options.missingValues)
        if options.standardize {
            let raw = try encoding.encodeUnstandardized(table)
            guard let data = raw.dataset else { throw .invalidDataset("the training table has no target") }
            var fitted = Standardization(fitting: data)
            var input = 0
            for column in columns {
                if case .categorical = column {
                    for k in input..<input + column.inputCount {
                        fitted.featureMeans[k] = 0
                        fitted.featureScales[k] = 1
                    }
                }
                input += column.inputCount
            }
            encoding.standardization = fitted
        }
        return (encoding, ignored, inferred)
    }

    /// A cell as a category name (missing: empty).
    static func categoryName(of cell: CSVTable.Cell) -> String {
        switch cell {
        case .number(let v): categoryName(v)
        case .text(let t): t
        case .missing: ""
        }
    }

    /// Encodes `table` for the model: its feature columns (found by name, in any order) as
    /// standardised inputs and, when it has the target column, a dataset with labels or targets.
    /// Errors name the file, the line and the column: a feature column the table lacks, text in
    /// a numeric column, a class the training table did not have, a missing cell under
    /// ``MissingValuePolicy/error``.
    public func encode(_ table: CSVTable) throws(DataError) -> EncodedTable {
        try encode(table, readingTarget: true)
    }

    /// Encodes `table`'s features only, for prediction: every row is encoded (under
    /// ``MissingValuePolicy/dropRows`` a row with a missing feature is still left out), whatever
    /// its target column holds, and there is no dataset.
    public func encodeFeatures(_ table: CSVTable) throws(DataError) -> EncodedTable {
        try encode(table, readingTarget: false)
    }

    private func encode(_ table: CSVTable, readingTarget: Bool) throws(DataError) -> EncodedTable {
        var encoded = try encodeUnstandardized(table, readingTarget: readingTarget)
        guard let standardization else { return encoded }
        encoded.inputs = standardization.applyToFeatures(encoded.inputs)
        if let data = encoded.dataset { encoded.dataset = try standardization.apply(to: data) }
        return encoded
    }

    private func encodeUnstandardized(_ table: CSVTable, readingTarget: Bool = true) throws(DataError) -> EncodedTable {
        let path = table.path
        var indices: [Int] = []
        for column in columns {
            guard let index = table.columns.firstIndex(of: column.name) else {
                throw .csv(path: path, line: 1, column: column.name,
                    reason: "the model's feature column is missing (columns: \(table.columns.joined(separator: ", ")))")
            }
            indices.append(index)
        }
        let targetIndex = readingTarget ? table.columns.firstIndex(of: target) : nil
        // The first of repeated names wins (a file's encoding is checked for repeats on load).
        let classIndex = Dictionary(classNames.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        let lookups: [[String: Int]] = columns.map {
            if case .categorical(_, let categories, _) = $0 {
                Dictionary(categories.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
            } else { [:] }
        }
        let width = inputCount
        let (cells, overflow) = table.rowCount.multipliedReportingOverflow(by: width)
        guard !overflow, cells <= Self.maximumInputValues else {
            let widest = columns.max { $0.inputCount < $1.inputCount }!
            throw .csv(path: path, line: 1, column: widest.name,
                reason: "\(table.rowCount) rows of \(width) inputs are more than \(Self.maximumInputValues) values (the widest column becomes \(widest.inputCount) inputs)")
        }
        var inputs: [Float] = []
        inputs.reserveCapacity(table.rowCount * width)
        var sourceRows: [Int] = [], labels: [UInt8] = [], targets: [Float] = []
        var imputed = [Int](repeating: 0, count: columns.count), unseen = imputed
        var rowsWithoutTarget = 0, rowsWithMissingFeatures = 0
        let stride = table.columns.count
        var row = [Float](repeating: 0, count: width)
        rows: for r in 0..<table.rowCount {
            var label: UInt8 = 0, value: Float = 0
            if let targetIndex {
                switch table.cell(row: r, column: targetIndex) {
                case .missing:
                    rowsWithoutTarget += 1
                    continue rows
                case let cell where task == .classification:
                    let name = Self.categoryName(of: cell)
                    guard let k = classIndex[name] else {
                        throw .csv(path: path, line: table.line(ofRow: r), column: target,
                            reason: "class '\(name.prefix(40))' is not one of the training table's classes (\(classNames.prefix(10).joined(separator: ", "))\(classNames.count > 10 ? ", …" : ""))")
                    }
                    label = UInt8(k)
                case .number(let v):
                    value = v
                case .text(let t):
                    throw .csv(path: path, line: table.line(ofRow: r), column: target,
                        reason: "'\(t.prefix(40))' is not a number; the model predicts a value")
                }
            }
            var input = 0
            var rowImputed: [Int] = [], rowUnseen: [Int] = []
            for (c, column) in columns.enumerated() {
                let index = indices[c]
                switch column {
                case .numeric(let name, let fill):
                    let v = table.values[r * stride + index]
                    if !v.isNaN {
                        row[input] = v
                    } else if case .text = table.cell(row: r, column: index) {
                        throw .csv(path: path, line: table.line(ofRow: r), column: name,
                            reason: "'\(Self.categoryName(of: table.cell(row: r, column: index)).prefix(40))' is not a number, and the column holds numbers in the training table")
                    } else {
                        switch missingValues {
                        case .dropRows:
                            rowsWithMissingFeatures += 1
                            continue rows
                        case .error where fill == nil:
                            throw .csv(path: path, line: table.line(ofRow: r), column: name, reason: "the cell is missing")
                        default:
                            row[input] = fill ?? 0
                            rowImputed.append(c)
                        }
                    }
                case .categorical(let name, let categories, let missingCategory):
                    for k in input..<input + column.inputCount { row[k] = 0 }
                    let cell = table.cell(row: r, column: index)
                    if cell == .missing {
                        switch missingValues {
                        case .dropRows:
                            rowsWithMissingFeatures += 1
                            continue rows
                        case .error:
                            throw .csv(path: path, line: table.line(ofRow: r), column: name, reason: "the cell is missing")
                        case .impute:
                            if missingCategory { row[input + categories.count] = 1 }
                            rowImputed.append(c)
                        }
                    } else if let k = lookups[c][Self.categoryName(of: cell)] {
                        row[input + k] = 1
                    } else {
                        rowUnseen.append(c)
                    }
                }
                input += column.inputCount
            }
            for c in rowImputed { imputed[c] += 1 }
            for c in rowUnseen { unseen[c] += 1 }
            inputs.append(contentsOf: row)
            sourceRows.append(r)
            if task == .classification { labels.append(label) } else { targets.append(value) }
        }
        var dataset: Dataset?
        if targetIndex != nil {
            guard !sourceRows.isEmpty else {
                throw .csv(path: path, line: 2, column: nil, reason: "no row has both a target and the features the model needs")
            }
            dataset = task == .classification
                ? try Dataset(features: inputs, featureCount: width, labels: labels, classCount: classNames.count)
                : try Dataset(features: inputs, featureCount: width, targets: targets, targetCount: 1)
        }
        func counts(_ values: [Int]) -> [ColumnCount] {
            zip(columns, values).filter { $1 > 0 }.map { ColumnCount(column: $0.name, count: $1) }
        }
        return EncodedTable(
            inputs: inputs, inputCount: width, sourceRows: sourceRows, dataset: dataset, imputed: counts(imputed),
            unseenCategories: counts(unseen), rowsWithoutTarget: rowsWithoutTarget, rowsWithMissingFeatures: rowsWithMissingFeatures)
    }
}

extension TableEncoding: Codable {
    private enum CodingKeys: String, CodingKey {
        case columns, featureColumns, target, task, classNames, missingValues, standardization
    }

    /// Reads an encoding; one stored before categorical columns existed (feature columns and
    /// target only) reads as number columns with the task and classes left for the model file
    /// to fill in from its loss.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        target = try c.decode(String.self, forKey: .target)
        standardization = try c.decodeIfPresent(Standardization.self, forKey: .standardization)
        if let columns = try c.decodeIfPresent([Column].self, forKey: .columns) {
            self.columns = columns
        } else {
            columns = try c.decode([String].self, forKey: .featureColumns).map { .numeric(name: $0, fill: nil) }
        }
        task = try c.decodeIfPresent(TableTask.self, forKey: .task) ?? .classification
        classNames = try c.decodeIfPresent([String].self, forKey: .classNames) ?? []
        missingValues = try c.decodeIfPresent(MissingValuePolicy.self, forKey: .missingValues) ?? .error
    }

    /// Writes the encoding, with the feature columns' names also under their earlier key.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(columns, forKey: .columns)
        try c.encode(featureColumns, forKey: .featureColumns)
        try c.encode(target, forKey: .target)
        try c.encode(task, forKey: .task)
        try c.encode(classNames, forKey: .classNames)
        try c.encode(missingValues, forKey: .missingValues)
        try c.encodeIfPresent(standardization, forKey: .standardization)
    }
}
