import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A numeric table read from a CSV file: a header row of column names, then one row of numbers
/// per line.
public struct CSVTable: Sendable, Equatable {
    /// The file it came from, for error messages.
    public let path: String
    /// The column names, from the header row.
    public let columns: [String]
    /// `rowCount × columns.count` values, row after row.
    public let values: [Float]
    /// The number of data rows.
    public var rowCount: Int { columns.isEmpty ? 0 : values.count / columns.count }

    /// Column `name`'s values, top to bottom.
    public func column(_ name: String) -> [Float]? {
        guard let index = columns.firstIndex(of: name) else { return nil }
        return (0..<rowCount).map { values[$0 * columns.count + index] }
    }

    /// Features and target for training or evaluation: every column but `target` as features,
    /// in `featureColumns` order when given (a model's own order, so a test file's columns may
    /// be arranged differently), and the target as class labels (whole numbers in
    /// `0..<classCount`) or, with `classCount` nil, as a regression target.
    public func dataset(target: String, classCount: Int?, featureColumns: [String]? = nil) throws(DataError) -> Dataset {
        guard let targetIndex = columns.firstIndex(of: target) else {
            throw .csv(path: path, line: 1, column: nil, reason: "no column named '\(target)' (columns: \(columns.joined(separator: ", ")))")
        }
        let names = featureColumns ?? columns.filter { $0 != target }
        guard !names.isEmpty else { throw .csv(path: path, line: 1, column: nil, reason: "no feature columns besides '\(target)'") }
        var indices: [Int] = []
        for name in names {
            guard let index = columns.firstIndex(of: name), index != targetIndex else {
                throw .csv(path: path, line: 1, column: name, reason: "the model's feature column is missing")
            }
            indices.append(index)
        }
        var features: [Float] = []
        features.reserveCapacity(rowCount * names.count)
        for row in 0..<rowCount {
            for index in indices { features.append(values[row * columns.count + index]) }
        }
        let targetValues = (0..<rowCount).map { values[$0 * columns.count + targetIndex] }
        guard let classCount else {
            return try Dataset(features: features, featureCount: names.count, targets: targetValues, targetCount: 1)
        }
        guard (1...256).contains(classCount) else {
            let largest = targetValues.max() ?? 0
            throw .csv(path: path, line: 1, column: target, reason: "values up to \(largest) are not class labels (at most 256 classes, 0...255); a numeric target to predict as a value needs the mean-squared-error loss")
        }
        var labels: [UInt8] = []
        labels.reserveCapacity(rowCount)
        for (row, value) in targetValues.enumerated() {
            guard value == value.rounded(), value >= 0, value < Float(classCount) else {
                throw .csv(path: path, line: row + 2, column: target, reason: "\(value) is not a class label 0...\(classCount - 1)")
            }
            labels.append(UInt8(value))
        }
        return try Dataset(features: features, featureCount: names.count, labels: labels, classCount: classCount)
    }
}

/// Reads numeric CSV files (RFC 4180; see ``read(_:delimiter:)``).
public enum CSV {
    /// Files larger than this are refused before they are read.
    public static let maximumSize = 1 << 33

    /// Reads a CSV file with a header row; every other cell must be a finite number.
    ///
    /// RFC 4180: quoted fields may hold the delimiter, line breaks and doubled quotes; `\n` or
    /// `\r\n` line ends; a UTF-8 byte-order mark is skipped. The delimiter is `delimiter` when
    /// given, a tab for a `.tsv` file, otherwise whichever of comma, semicolon and tab the header
    /// line uses most. The file is read in chunks: only the parsed values stay in memory.
    public static func read(_ path: String, delimiter: UInt8? = nil) throws(DataError) -> CSVTable {
        var info = stat()
        guard stat(path, &info) == 0 else { throw .unreadable(path: path, reason: "no such file") }
        guard info.st_mode & S_IFMT != S_IFDIR else { throw .notAFile(path) }
        let size = Int(info.st_size)
        guard size <= maximumSize else { throw .tooLarge(path: path, limit: maximumSize) }
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
        defer { close(descriptor) }
        var parser = CSVParser(path: path, delimiter: delimiter ?? (path.lowercased().hasSuffix(".tsv") ? UInt8(ascii: "\t") : nil))
        let chunkSize = 4 << 20
        let chunk = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: chunkSize)
        defer { chunk.deallocate() }
        while true {
            let count = Glibc.read(descriptor, chunk.baseAddress, chunkSize)
            guard count >= 0 else { throw .unreadable(path: path, reason: String(cString: strerror(errno))) }
            if count == 0 { break }
            try parser.feed(UnsafeBufferPointer(rebasing: chunk[..<count]), sizeHint: size)
        }
        try parser.finish()
        return CSVTable(path: path, columns: parser.columns ?? [], values: parser.values)
    }

    /// Parses CSV text as ``read(_:delimiter:)`` does; `path` names it in errors.
    public static func parse(_ bytes: [UInt8], path: String, delimiter: UInt8? = nil) throws(DataError) -> CSVTable {
        var parser = CSVParser(path: path, delimiter: delimiter)
        try bytes.withUnsafeBufferPointer { (buffer) throws(DataError) in try parser.feed(buffer) }
        try parser.finish()
        return CSVTable(path: path, columns: parser.columns ?? [], values: parser.values)
    }
}

/// Per-column standardisation, fitted on a training set: x ← (x − mean) / scale, for the
/// features and, for regression, the targets; scale is the standard deviation, or 1 for a
/// constant column. Stored in the model, so prediction applies the same transform.
public struct Standardization: Codable, Equatable, Sendable {
    /// Per-feature means of the training set.
    public var featureMeans: [Float]
    /// Per-feature standard deviations (1 for a constant column).
    public var featureScales: [Float]
    /// Per-target means (regression only; empty otherwise).
    public var targetMeans: [Float]
    /// Per-target standard deviations (regression only).
    public var targetScales: [Float]

    /// Fits on a table `data` (its features and, for regression, its targets).
    public init(fitting data: Dataset) {
        (featureMeans, featureScales) = Self.moments(data.features, columns: data.featureCount)
        (targetMeans, targetScales) = data.isRegression ? Self.moments(data.targets, columns: data.targetCount) : ([], [])
    }

    private static func moments(_ values: [Float], columns: Int) -> ([Float], [Float]) {
        let rows = values.count / max(columns, 1)
        var means = [Double](repeating: 0, count: columns), squares = [Double](repeating: 0, count: columns)
        for r in 0..<rows { for j in 0..<columns { means[j] += Double(values[r * columns + j]) } }
        for j in 0..<columns { means[j] /= Double(max(rows, 1)) }
        for r in 0..<rows {
            for j in 0..<columns {
                let d = Double(values[r * columns + j]) - means[j]
                squares[j] += d * d
            }
        }
        let scales = squares.map { ($0 / Double(max(rows, 1))).squareRoot() }.map { $0 > 1e-12 ? Float($0) : 1 }
        return (means.map(Float.init), scales)
    }

    /// `data` with this transform applied (features, and targets for regression).
    public func apply(to data: Dataset) throws(DataError) -> Dataset {
        guard data.featureCount == featureMeans.count, !data.features.isEmpty else {
            throw .invalidDataset("the standardisation has \(featureMeans.count) feature columns, the data \(data.featureCount)")
        }
        let features = data.features.enumerated().map { ($1 - featureMeans[$0 % featureMeans.count]) / featureScales[$0 % featureScales.count] }
        if data.isRegression {
            guard data.targetCount == targetMeans.count else {
                throw .invalidDataset("the standardisation has \(targetMeans.count) targets, the data \(data.targetCount)")
            }
            let targets = data.targets.enumerated().map { ($1 - targetMeans[$0 % targetMeans.count]) / targetScales[$0 % targetScales.count] }
            return try Dataset(features: features, featureCount: data.featureCount, targets: targets, targetCount: data.targetCount)
        }
        return try Dataset(features: features, featureCount: data.featureCount, labels: data.labels, classCount: data.classCount)
    }

    /// Standardised features of rows (`count × featureCount`) for prediction.
    public func applyToFeatures(_ values: [Float]) -> [Float] {
        values.enumerated().map { ($1 - featureMeans[$0 % featureMeans.count]) / featureScales[$0 % featureScales.count] }
    }

    /// Model outputs in standardised target units back in the targets' own units.
    public func restoreTargets(_ values: [Float]) -> [Float] {
        guard !targetMeans.isEmpty else { return values }
        return values.enumerated().map { $1 * targetScales[$0 % targetScales.count] + targetMeans[$0 % targetMeans.count] }
    }
}
