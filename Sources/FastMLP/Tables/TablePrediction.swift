/// A model's prediction for one row of a table.
public enum TablePrediction: Equatable, Sendable {
    /// Classification: the predicted class's name and every class's probability, in the order
    /// of ``TableEncoding/classNames``.
    case category(String, probabilities: [Float])
    /// Regression: the predicted value, in the target's own units.
    case value(Float)
}

extension SavedModel {
    /// Predictions for the rows of `table` (encoded with this model's ``table`` encoding): class
    /// names with probabilities, or values in the target's units.
    ///
    /// - Throws: ``ModelError/incompatibleData(_:)`` when the model was not trained on a table,
    ///   ``ModelError/inputWidthMismatch(expected:actual:)`` when the rows do not fit its inputs.
    public func predictions(for table: EncodedTable) throws(ModelError) -> [TablePrediction] {
        guard let encoding = self.table else { throw .incompatibleData("the model was not trained on a table") }
        let classes = loss == .binaryCrossEntropy ? 2 : network.architecture.outputCount
        if encoding.task == .classification && encoding.classNames.count != classes {
            throw .incompatibleData("the table encoding names \(encoding.classNames.count) classes, the model has \(classes)")
        }
        let outputs = try network.outputs(for: table.inputs, count: table.rowCount)
        let width = network.architecture.outputCount
        return (0..<table.rowCount).map { row in
            let slice = Array(outputs[row * width..<(row + 1) * width])
            switch (encoding.task, loss) {
            case (.regression, _):
                return .value(encoding.standardization?.restoreTargets(slice).first ?? slice[0])
            case (.classification, .binaryCrossEntropy):
                return .category(encoding.classNames[slice[0] > 0.5 ? 1 : 0], probabilities: [1 - slice[0], slice[0]])
            case (.classification, _):
                let best = slice.indices.max { slice[$0] < slice[$1] || (slice[$0] == slice[$1] && $0 > $1) } ?? 0
                return .category(encoding.classNames[min(best, encoding.classNames.count - 1)], probabilities: slice)
            }
        }
    }
}
