import FastMLP
import Foundation

enum PredictCommand {
    static let spec = CommandSpec(
        name: "predict",
        summary: "Predict labels for MNIST test images with a saved model.",
        options: [
            CommonOptions.model, CommonOptions.data,
            OptionSpec("count", "N", "Predict the first N test images (default 10)."),
            OptionSpec("show", "N", "Also draw the first N of them in the terminal with predicted and true labels."),
            OptionSpec("csv", "FILE", "Predict the rows of a CSV table (for a model trained on a table)."),
            CommonOptions.delimiter,
            CommonOptions.json,
        ],
        details: "Prints one line per image: index, predicted label, true label.")

    static func run(_ arguments: ParsedArguments) throws {
        let show = try arguments.int("show", range: 0...10_000) ?? 0
        let count = try arguments.int("count", range: 1...1_000_000) ?? max(10, show)
        let model = try loadModel(arguments)
        if let path = arguments.string("csv") {
            if arguments.string("show") != nil {
                throw arguments.usage("--show draws MNIST images; it does not go with --csv")
            }
            try predictTable(model, path: path, delimiter: try csvDelimiter(arguments), json: arguments.has("json"))
            return
        }
        try requireImageModel(model, arguments, flag: "--csv")
        let (_, fullTest) = try loadMNIST(arguments, classes: model.classes)
        let test = fullTest.prefix(count)
        let predicted: [Int]
        do {
            predicted = try model.network.predictions(for: test, loss: model.loss)
        } catch {
            throw RuntimeError("\(arguments.string("model") ?? ""): \(describe(error))")
        }
        let names = model.classes ?? Array(0..<model.network.architecture.outputCount)
        let rows = predicted.indices.map {
            PredictionRow(index: $0, predicted: names[predicted[$0]], label: names[Int(test.labels[$0])])
        }
        if arguments.has("json") {
            printLine(jsonLine(rows))
            return
        }
        for row in rows.prefix(show) {
            printLine(drawDigit(test, index: row.index))
            printLine("#\(row.index): predicted \(row.predicted), label \(row.label) \(row.predicted == row.label ? "✓" : "✗")")
            printLine()
        }
        printLine("index  predicted  label")
        for row in rows {
            printLine(leftPad(String(row.index), 5) + leftPad(String(row.predicted), 11) + leftPad(String(row.label), 7))
        }
        let correct = rows.filter { $0.predicted == $0.label }.count
        printLine("\(correct)/\(rows.count) correct")
    }

    /// One line per CSV row: the prediction (a class, or a value in the target's units) and the
    /// target when the file has that column.
    static func predictTable(_ model: SavedModel, path: String, delimiter: UInt8?, json: Bool) throws {
        let (_, features, rows, truth) = try tableForModel(model, path: path, flag: "--csv", delimiter: delimiter, requireTarget: false)
        let outputs: [Float]
        do {
            outputs = try model.network.outputs(for: features, count: rows)
        } catch {
            throw RuntimeError("--csv: \(path): \(describe(error))")
        }
        let width = model.network.architecture.outputCount
        var predictions: [Double] = []
        for row in 0..<rows {
            let slice = Array(outputs[row * width..<(row + 1) * width])
            switch model.loss {
            case .meanSquaredError:
                predictions.append(Double(model.tabular?.standardization?.restoreTargets(slice).first ?? slice[0]))
            case .binaryCrossEntropy:
                predictions.append(slice[0] > 0.5 ? 1 : 0)
            case .softmaxCrossEntropy:
                predictions.append(Double(slice.indices.max { slice[$0] < slice[$1] } ?? 0))
            }
        }
        if json {
            printLine(jsonLine(predictions.indices.map { row in TableRow(row: row, predicted: predictions[row], target: truth.map { Double($0[row]) }) }))
            return
        }
        printLine("row  predicted" + (truth != nil ? "  target" : ""))
        for row in 0..<rows {
            let value = model.loss == .meanSquaredError ? String(format: "%.6g", predictions[row]) : String(Int(predictions[row]))
            printLine(leftPad(String(row), 3) + "  " + leftPad(value, 9) + (truth.map { "  " + String(format: "%g", $0[row]) } ?? ""))
        }
    }

    /// The image as text, two pixel rows per line with Unicode half blocks shaded by intensity.
    static func drawDigit(_ data: Dataset, index: Int) -> String {
        let shades: [Character] = [" ", "░", "▒", "▓", "█"]
        var lines: [String] = []
        var row = 0
        while row < data.rows {
            var line = ""
            for column in 0..<data.columns {
                let top = Int(data.pixels[index * data.featureCount + row * data.columns + column])
                let bottom = row + 1 < data.rows ? Int(data.pixels[index * data.featureCount + (row + 1) * data.columns + column]) : 0
                let level = ((top + bottom) / 2 * (shades.count - 1) + 127) / 255
                line.append(shades[min(level, shades.count - 1)])
            }
            lines.append(line)
            row += 2
        }
        return lines.joined(separator: "\n")
    }
}

struct TableRow: Encodable {
    let row: Int
    let predicted: Double
    let target: Double?
}

struct PredictionRow: Encodable {
    let index: Int
    let predicted: Int
    let label: Int
}
