/// A set of samples: images kept as bytes (`UInt8`, 0...255, scaled to [0, 1] only when a batch is
/// formed) or rows of a table kept as floats; with class labels, or with real-valued targets for
/// regression.
///
/// Bytes rather than floats keep MNIST's 60,000 training images at 47 MB instead of 188 MB. Copies of a dataset
/// share storage; `prefix(_:)` and `keeping(classes:)` copy only the samples they keep.
public struct Dataset: Sendable, Equatable {
    /// The number of samples.
    public let count: Int
    /// The image height (1 for a table).
    public let rows: Int
    /// The image width (the number of features for a table).
    public let columns: Int
    /// Pixels per sample, `rows × columns`.
    public var featureCount: Int { rows * columns }
    /// Labels are in `0..<classCount`.
    public let classCount: Int
    /// `count × featureCount` bytes, one sample after another, each row-major (empty for tables).
    @_spi(Tools) public let pixels: [UInt8]
    /// `count × featureCount` floats, one row after another (tables; empty for images).
    @_spi(Tools) public let features: [Float]
    /// `count` labels, one per sample (classification; empty for regression).
    @_spi(Tools) public let labels: [UInt8]
    /// `count × targetCount` real-valued targets (regression; empty for classification).
    @_spi(Tools) public let targets: [Float]
    /// Targets per sample (0 for classification).
    public let targetCount: Int

    /// Whether the samples carry real-valued targets rather than class labels.
    public var isRegression: Bool { targetCount > 0 }

    /// Validates that there is one label per `rows × columns` block of pixels and that every label is below
    /// `classCount` (which must be in 1...256, the labels being bytes).
    public init(pixels: [UInt8], labels: [UInt8], rows: Int, columns: Int, classCount: Int) throws(DataError) {
        guard rows > 0, columns > 0 else {
            throw .invalidDataset("image shape \(rows) × \(columns) is not positive")
        }
        guard (1...256).contains(classCount) else {
            throw .invalidDataset("class count \(classCount) is not in 1...256")
        }
        let (featureCount, featureOverflow) = rows.multipliedReportingOverflow(by: columns)
        let (expected, countOverflow) = labels.count.multipliedReportingOverflow(by: featureCount)
        guard !featureOverflow, !countOverflow, pixels.count == expected else {
            throw .invalidDataset(
                "\(pixels.count) pixels do not make \(labels.count) images of \(rows) × \(columns)")
        }
        if let index = labels.firstIndex(where: { Int($0) >= classCount }) {
            throw .invalidDataset("label \(labels[index]) at index \(index) is out of range 0..<\(classCount)")
        }
        self.init(unchecked: pixels, labels: labels, rows: rows, columns: columns, classCount: classCount)
    }

    /// A table of `featureCount` float columns with class labels in `0..<classCount`.
    public init(features: [Float], featureCount: Int, labels: [UInt8], classCount: Int) throws(DataError) {
        guard featureCount > 0, features.count == labels.count * featureCount else {
            throw .invalidDataset("\(features.count) values do not make \(labels.count) rows of \(featureCount) features")
        }
        guard (1...256).contains(classCount) else { throw .invalidDataset("class count \(classCount) is not in 1...256") }
        if let index = labels.firstIndex(where: { Int($0) >= classCount }) {
            throw .invalidDataset("label \(labels[index]) at index \(index) is out of range 0..<\(classCount)")
        }
        self.init(
            unchecked: [], features: features, labels: labels, targets: [], targetCount: 0, count: labels.count,
            rows: 1, columns: featureCount, classCount: classCount)
    }

    /// A table of `featureCount` float columns with `targetCount` real-valued targets per row.
    public init(features: [Float], featureCount: Int, targets: [Float], targetCount: Int) throws(DataError) {
        guard featureCount > 0, targetCount > 0, targets.count % targetCount == 0,
            features.count == targets.count / targetCount * featureCount
        else {
            throw .invalidDataset("\(features.count) values and \(targets.count) targets do not make rows of \(featureCount) + \(targetCount)")
        }
        self.init(
            unchecked: [], features: features, labels: [], targets: targets, targetCount: targetCount,
            count: targets.count / targetCount, rows: 1, columns: featureCount, classCount: 0)
    }

    private init(unchecked pixels: [UInt8], labels: [UInt8], rows: Int, columns: Int, classCount: Int) {
        self.init(
            unchecked: pixels, features: [], labels: labels, targets: [], targetCount: 0, count: labels.count, rows: rows,
            columns: columns, classCount: classCount)
    }

    private init(
        unchecked pixels: [UInt8], features: [Float], labels: [UInt8], targets: [Float], targetCount: Int, count: Int,
        rows: Int, columns: Int, classCount: Int
    ) {
        self.count = count
        self.rows = rows
        self.columns = columns
        self.classCount = classCount
        self.pixels = pixels
        self.features = features
        self.labels = labels
        self.targets = targets
        self.targetCount = targetCount
    }

    /// The samples at `indices`, in that order, with labels mapped through `relabel` (a copy).
    private func selecting(_ indices: some Collection<Int>, classCount newClassCount: Int? = nil, relabel: ((UInt8) -> UInt8)? = nil) -> Dataset {
        let width = featureCount
        var newPixels: [UInt8] = [], newFeatures: [Float] = [], newLabels: [UInt8] = [], newTargets: [Float] = []
        if !pixels.isEmpty { newPixels.reserveCapacity(indices.count * width) }
        if !features.isEmpty { newFeatures.reserveCapacity(indices.count * width) }
        for index in indices {
            if !pixels.isEmpty { newPixels += pixels[index * width..<(index + 1) * width] }
            if !features.isEmpty { newFeatures += features[index * width..<(index + 1) * width] }
            if !labels.isEmpty { newLabels.append(relabel.map { $0(labels[index]) } ?? labels[index]) }
            if targetCount > 0 { newTargets += targets[index * targetCount..<(index + 1) * targetCount] }
        }
        return Dataset(
            unchecked: newPixels, features: newFeatures, labels: newLabels, targets: newTargets, targetCount: targetCount,
            count: indices.count, rows: rows, columns: columns, classCount: newClassCount ?? classCount)
    }

    /// Keeps only the samples of the given classes, relabelled by their position in `classes` (so `[1, 7]` gives
    /// labels 0 for "1" and 1 for "7", classCount 2), in their original order. Errors on empty, duplicate or
    /// out-of-range classes.
    public func keeping(classes: [Int]) throws(DataError) -> Dataset {
        guard !classes.isEmpty else { throw .invalidClasses("no classes given") }
        // newLabel[old] is the position of `old` in `classes`, or -1 when the class is dropped.
        var newLabel = [Int](repeating: -1, count: classCount)
        for (position, label) in classes.enumerated() {
            guard (0..<classCount).contains(label) else {
                throw .invalidClasses("class \(label) in \(classes) is out of range 0..<\(classCount)")
            }
            guard newLabel[label] < 0 else {
                throw .invalidClasses("class \(label) appears more than once in \(classes)")
            }
            newLabel[label] = position
        }

        let kept = labels.indices.filter { newLabel[Int(labels[$0])] >= 0 }
        return selecting(kept, classCount: classes.count) { UInt8(newLabel[Int($0)]) }
    }

    /// The first `n` samples (`n` clamped to `0...count`).
    public func prefix(_ n: Int) -> Dataset {
        let kept = min(max(n, 0), count)
        guard kept < count else { return self }
        return selecting(0..<kept)
    }

    /// The samples at `indices`, in that order (a copy).
    func subset(_ indices: [Int]) -> Dataset { selecting(indices) }

    /// The share of the inputs that are nonzero (MNIST: about 0.19), which decides whether the
    /// first layer skips zero inputs. Reads every sample.
    @_spi(Benchmarks) public var inputDensity: Double {
        let total = count * featureCount
        guard total > 0 else { return 0 }
        let nonzeros = pixels.isEmpty
            ? features.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
            : pixels.reduce(0) { $0 + ($1 != 0 ? 1 : 0) }
        return Double(nonzeros) / Double(total)
    }

    /// The same samples with every zero input replaced by the smallest nonzero one (pixel 1 of
    /// 255; 2⁻¹⁰ in a table): data as dense as can be, for measuring the dense path against the
    /// zero-skipping one.
    @_spi(Benchmarks) public func withoutZeroInputs() -> Dataset {
        Dataset(
            unchecked: pixels.map { $0 == 0 ? 1 : $0 }, features: features.map { $0 == 0 ? 0x1p-10 : $0 },
            labels: labels, targets: targets, targetCount: targetCount, count: count, rows: rows, columns: columns,
            classCount: classCount)
    }
}

extension Dataset {
    /// Splits off a validation set: `fraction` of the samples (rounded, at least one when the
    /// fraction is positive), drawn with a generator seeded by `seed`; both parts keep their
    /// original order.
    public func splitValidation(fraction: Double, seed: UInt64) -> (training: Dataset, validation: Dataset) {
        // A fraction outside [0, 1] (or NaN) is clamped, never converted as it is.
        let share = fraction.isNaN ? 0 : min(max(fraction, 0), 1)
        let validationCount = share > 0 ? max(1, min(count - 1, Int((Double(count) * share).rounded()))) : 0
        var order = (0..<Int32(count)).map { $0 }
        var generator = Xoshiro256StarStar(seed: seed ^ 0x0A11_DA7E_5EED_0001)
        generator.shuffle(&order)
        let validation = order.prefix(validationCount).map(Int.init).sorted()
        let training = order.dropFirst(validationCount).map(Int.init).sorted()
        return (subset(training), subset(validation))
    }
}
