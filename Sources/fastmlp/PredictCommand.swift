@_spi(Tools) import FastMLP
import Foundation

enum PredictCommand {
    static let spec = CommandSpec(
        name: "predict",
        summary: "Predict labels for MNIST test images, or the rows of a CSV table, with a saved model.",
        options: [
            CommonOptions.model, CommonOptions.data,
            OptionSpec("count", "N", "Predict the first N test images (default 10)."),
            OptionSpec("show", "N", "Also draw the first N of them in the terminal with predicted and true labels."),
            OptionSpec("csv", "FILE", "Predict the rows of a CSV table (for a model trained on a table): prints the rows as CSV with a prediction column."),
            CommonOptions.delimiter,
            OptionSpec("proba", nil, "With --csv: add one probability column per class."),
            OptionSpec("output", "FILE", "With --csv: write the CSV to FILE (atomically) instead of stdout."),
            CommonOptions.json,
        ],
        details: """
            Prints one line per image: index, predicted label, true label.
            With --csv, prints the table's rows as they are, each with a prediction column added (a class
            name or a value in the target's units), and with --proba a probability_<class> column per class.
            """)

    static func run(_ arguments: ParsedArguments) throws {
        let show = try arguments.int("show", range: 0...10_000) ?? 0
        let count = try arguments.int("count", range: 1...1_000_000) ?? max(10, show)
        let model = try loadModel(arguments)
        if let path = arguments.string("csv") {
            if arguments.string("show") != nil {
                throw arguments.usage("--show draws MNIST images; it does not go with --csv")
            }
            try predictTable(model, path: path, arguments)
            return
        }
        for flag in ["proba", "output"] where arguments.has(flag) || arguments.string(flag) != nil {
            throw arguments.usage("--\(flag) goes with --csv")
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

    /// The rows of a CSV table with the model's prediction added (and each class's probability
    /// with --proba), as CSV to stdout or --output; or as JSON.
    static func predictTable(_ model: SavedModel, path: String, _ arguments: ParsedArguments) throws {
        let json = arguments.has("json"), proba = arguments.has("proba"), output = arguments.string("output")
        if let output { try checkOutputPath(output, flag: "--output") }
        let (table, encoded) = try encodeTable(
            for: model, path: path, flag: "--csv", delimiter: try csvDelimiter(arguments), keepingRowSpans: true, quiet: json,
            features: true)
        let predictions: [TablePrediction]
        do {
            predictions = try model.predictions(for: encoded)
        } catch {
            throw RuntimeError("--csv: \(path): \(describe(error))")
        }
        var byRow = [TablePrediction?](repeating: nil, count: table.rowCount)
        for (k, row) in encoded.sourceRows.enumerated() { byRow[row] = predictions[k] }
        let classNames = model.table?.classNames ?? []
        if json {
            printLine(jsonLine(byRow.enumerated().map { TableRow(row: $0, prediction: $1, classNames: classNames, proba: proba) }))
            return
        }
        // The rows are copied from the file as it is, read a second time: it must not have changed.
        guard let bytes = FileManager.default.contents(atPath: path).map([UInt8].init), let spans = table.rowSpans,
            spans.allSatisfy({ $0.upperBound <= bytes.count })
        else {
            throw RuntimeError("--csv: \(path): changed or cannot be read again (a pipe cannot be predicted to CSV; use --json)")
        }
        var added = ["prediction"] + (proba ? classNames.map { "probability_\($0)" } : [])
        for k in added.indices { while table.columns.contains(added[k]) { added[k] += "_" } }
        let delimiter = table.delimiter
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + table.rowCount * 16)
        out += Array((table.columns + added).map { csvField($0, delimiter: delimiter) }.joined(separator: String(UnicodeScalar(delimiter))).utf8)
        out.append(UInt8(ascii: "\n"))
        for (row, span) in spans.enumerated() {
            var end = span.upperBound
            if end > span.lowerBound && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            out += bytes[span.lowerBound..<end]
            var cells: [String]
            switch byRow[row] {
            case .category(let name, let probabilities)?:
                cells = [name] + (proba ? probabilities.map { String(format: "%.6f", $0) } : [])
            case .value(let value)?:
                cells = ["\(value)"]
            case nil:
                cells = Array(repeating: "", count: added.count)
            }
            for cell in cells {
                out.append(delimiter)
                out += Array(csvField(cell, delimiter: delimiter).utf8)
            }
            out.append(UInt8(ascii: "\n"))
        }
        if let output {
            do {
                try AtomicFile.write(out, to: output)
            } catch {
                throw RuntimeError("--output: \(describe(error))")
            }
        } else {
            FileHandle.standardOutput.write(Data(out))
        }
    }

    /// A CSV field, quoted when it holds the delimiter, a quote, a line break or outer spaces.
    static func csvField(_ text: String, delimiter: UInt8) -> String {
        let special = text.utf8.contains { $0 == delimiter || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }
        guard special || text.hasPrefix(" ") || text.hasSuffix(" ") else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
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

/// One row of `predict --csv --json`: the prediction (a class name or a value; null for a row
/// left out) and, with --proba, each class's probability.
struct TableRow: Encodable {
    let row: Int
    let prediction: TablePrediction?
    let classNames: [String]
    let proba: Bool

    enum CodingKeys: String, CodingKey { case row, prediction, probabilities }

    func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(row, forKey: .row)
        switch prediction {
        case .category(let name, let probabilities)?:
            try c.encode(name, forKey: .prediction)
            if proba { try c.encode(Dictionary(uniqueKeysWithValues: zip(classNames, probabilities.map(Double.init))), forKey: .probabilities) }
        case .value(let value)?:
            try c.encode(Double(value), forKey: .prediction)
        case nil:
            try c.encodeNil(forKey: .prediction)
        }
    }
}

struct PredictionRow: Encodable {
    let index: Int
    let predicted: Int
    let label: Int
}
