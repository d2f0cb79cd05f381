/// A training set and the held-out set a trial is scored on.
public struct Fold: Sendable {
    /// The samples trained on.
    public var training: Dataset
    /// The samples scored.
    public var validation: Dataset

    /// A fold of the two sets.
    public init(training: Dataset, validation: Dataset) {
        self.training = training
        self.validation = validation
    }
}

extension Dataset {
    /// K-fold cross-validation: the samples dealt into `count` disjoint validation sets that
    /// together cover the data once, each fold training on the rest. Seeded; with class labels
    /// the folds are stratified (each class dealt round-robin in shuffled order, so every fold
    /// holds its share of every class); regression targets are dealt in one shuffled order. Both
    /// sides keep the samples' original order.
    ///
    /// - Throws: ``SearchError/invalidFolds(_:samples:)`` unless `2 ≤ count ≤` the sample count.
    public func folds(_ count: Int, seed: UInt64) throws(SearchError) -> [Fold] {
        guard count >= 2, count <= self.count else { throw .invalidFolds(count, samples: self.count) }
        var generator = Xoshiro256StarStar(seed: seed ^ 0xF01D_5EED_0000_0002)
        var order = (0..<Int32(self.count)).map { $0 }
        generator.shuffle(&order)
        var foldOf = [Int](repeating: 0, count: self.count)
        if isRegression {
            for (position, sample) in order.enumerated() { foldOf[Int(sample)] = position % count }
        } else {
            // Each class in shuffled order, continuing the round-robin where the last class
            // stopped so that fold sizes differ by at most one.
            var next = 0
            for label in 0..<classCount {
                for sample in order where Int(labels[Int(sample)]) == label {
                    foldOf[Int(sample)] = next % count
                    next += 1
                }
            }
        }
        return (0..<count).map { k in
            Fold(
                training: subset(foldOf.indices.filter { foldOf[$0] != k }),
                validation: subset(foldOf.indices.filter { foldOf[$0] == k }))
        }
    }
}
