/// Per-column standardisation, fitted on a training set: x ← (x − mean) / scale, for the
/// features and, for regression, the targets; scale is the standard deviation, or 1 for a
/// constant column. Stored in the model, so prediction applies the same transform.
@_spi(Tools) public struct Standardization: Codable, Equatable, Sendable {
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
