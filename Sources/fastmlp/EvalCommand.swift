@_spi(Tools) import FastMLP
import Foundation

enum EvalCommand {
    static let spec = CommandSpec(
        name: "eval",
        summary: "Evaluate a saved model on the MNIST test set (or a CSV table): loss, accuracy, a classification report and the confusion matrix.",
        options: [
            CommonOptions.model, CommonOptions.data,
            OptionSpec("test-csv", "FILE", "Evaluate a model trained on a table on this CSV file instead of MNIST."),
            CommonOptions.delimiter,
            CommonOptions.json,
        ],
        details: "Rows of the confusion matrix are true labels, columns predictions.")

    /// The test set: `--test-csv` encoded with the model's table encoding, or MNIST's.
    static func testData(_ model: SavedModel, _ arguments: ParsedArguments) throws -> Dataset {
        guard let path = arguments.string("test-csv") else {
            try requireImageModel(model, arguments, flag: "--test-csv")
            return try loadMNIST(arguments, classes: model.classes).test
        }
        let (table, encoded) = try encodeTable(
            for: model, path: path, flag: "--test-csv", delimiter: try csvDelimiter(arguments), quiet: arguments.has("json"))
        guard let data = encoded.dataset else {
            throw RuntimeError("--test-csv: \(path): no column named '\(model.table?.target ?? "")' (columns: \(table.columns.joined(separator: ", ")))")
        }
        return data
    }

    static func run(_ arguments: ParsedArguments) throws {
        let model = try loadModel(arguments)
        let test = try testData(model, arguments)
        let evaluation: Evaluation
        do {
            evaluation = try model.network.evaluate(
                on: test, loss: model.loss, targetScales: model.table?.standardization?.targetScales)
        } catch {
            throw RuntimeError("\(arguments.string("model") ?? ""): \(describe(error))")
        }
        if let regression = evaluation.regression {
            if arguments.has("json") {
                printLine(jsonLine(RegressionResult(
                    model: arguments.string("model") ?? "", architecture: model.network.architecture.description,
                    testSamples: evaluation.count, testLoss: evaluation.loss, mse: regression.mse, mae: regression.mae,
                    r2: regression.r2)))
            } else {
                printLine("model \(arguments.string("model") ?? "") — \(model.network.architecture), loss \(model.loss)")
                printLine(String(format: "test samples %d  mse %.6g  mae %.6g  r2 %.6f (in the target's units)",
                                 evaluation.count, regression.mse, regression.mae, regression.r2))
            }
            return
        }
        let labels = model.classes
            ?? Array(0..<(model.loss == .binaryCrossEntropy ? 2 : model.network.architecture.outputCount))
        // A table's classes by name; MNIST's by digit.
        let names = model.table?.classNames ?? labels.map(String.init)
        if arguments.has("json") {
            printLine(jsonLine(EvalResult(
                model: arguments.string("model") ?? "", architecture: model.network.architecture.description,
                loss: model.loss.rawValue, testSamples: evaluation.count, testLoss: evaluation.loss,
                testAccuracy: evaluation.accuracy, classes: labels, classNames: model.table?.classNames,
                confusion: evaluation.confusion,
                report: zip(labels, evaluation.classMetrics).map { ClassReport(label: $0, name: model.table?.classNames[$0], metrics: $1) },
                macroAverage: evaluation.macroAverage)))
            return
        }
        printLine("model \(arguments.string("model") ?? "") — \(model.network.architecture), loss \(model.loss)")
        printLine("test samples \(evaluation.count)  test_loss \(String(format: "%.4f", evaluation.loss))  test_acc \(percent(evaluation.accuracy))")
        printLine()
        let nameWidth = max(5, names.map(\.count).max() ?? 0)
        printLine(leftPad("class", nameWidth) + "  precision  recall  f1-score  support")
        func reportLine(_ name: String, _ m: ClassMetrics) {
            printLine(leftPad(name, nameWidth) + String(format: "  %9.4f  %6.4f  %8.4f  %7d", m.precision, m.recall, m.f1, m.support))
        }
        for (name, metrics) in zip(names, evaluation.classMetrics) { reportLine(name, metrics) }
        reportLine("macro", evaluation.macroAverage)
        printLine()
        printLine("confusion matrix (rows: true label, columns: predicted)")
        let width = max(5, String(evaluation.count).count + 1, (names.map(\.count).max() ?? 0) + 1)
        printLine(String(repeating: " ", count: nameWidth + 1) + names.map { leftPad($0, width) }.joined())
        for (row, counts) in evaluation.confusion.enumerated() {
            printLine(leftPad(names[row], nameWidth) + " " + counts.map { leftPad(String($0), width) }.joined())
        }
    }
}

struct EvalResult: Encodable {
    let model: String
    let architecture: String
    let loss: String
    let testSamples: Int
    let testLoss: Double
    let testAccuracy: Double
    let classes: [Int]
    /// A table model's class names, in the order of `classes`.
    let classNames: [String]?
    let confusion: [[Int]]
    let report: [ClassReport]
    let macroAverage: ClassMetrics
}

struct RegressionResult: Encodable {
    let model: String
    let architecture: String
    let testSamples: Int
    let testLoss: Double
    let mse: Double
    let mae: Double
    let r2: Double
}

struct ClassReport: Encodable {
    let label: Int
    let name: String?
    let metrics: ClassMetrics

    enum CodingKeys: String, CodingKey { case label, name, precision, recall, f1, support }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(label, forKey: .label)
        try c.encodeIfPresent(name, forKey: .name)
        try c.encode(metrics.precision, forKey: .precision)
        try c.encode(metrics.recall, forKey: .recall)
        try c.encode(metrics.f1, forKey: .f1)
        try c.encode(metrics.support, forKey: .support)
    }
}
