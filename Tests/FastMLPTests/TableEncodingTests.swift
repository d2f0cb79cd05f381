import Foundation
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// A small raw table: a name with a comma and one with a line break, a number column with
/// missing cells, a text column with a missing cell, and a text target missing on the last row.
private let rawTable = "name,size,color,y\n\"Smith, J\",1,red,a\n\"Doe,\nK\",NA,blue,b\nLee,3,,a\nX,?,red,\n"

/// Rows of `columns` cells each, with a header, as CSV text.
private func table(_ header: String, _ rows: [String]) -> [UInt8] { Array((header + "\n" + rows.joined(separator: "\n") + "\n").utf8) }

@Suite("Table encoding")
struct TableEncodingTests {
    @Test("cells are numbers, text or missing (empty, NA, NaN, null, ?), with each row's line and bytes")
    func cells() throws {
        let parsed = try CSV.parse(Array(rawTable.utf8), path: "r.csv")
        #expect(parsed.rowCount == 4 && parsed.columns == ["name", "size", "color", "y"])
        #expect(parsed.cell(row: 0, column: 0) == .text("Smith, J") && parsed.cell(row: 1, column: 0) == .text("Doe,\nK"))
        #expect(parsed.column("size") == [.number(1), .missing, .number(3), .missing])
        #expect(parsed.column("color") == [.text("red"), .text("blue"), .missing, .text("red")])
        #expect(parsed.column("y") == [.text("a"), .text("b"), .text("a"), .missing])
        #expect((0..<4).map(parsed.line(ofRow:)) == [2, 3, 5, 6])
        for marker in ["", "na", "NA", "NaN", "nan", "NULL", "null", "?", "\"\"", " NA "] {
            #expect(try CSV.parse(Array("a,b\n1,\(marker)\n".utf8), path: "m.csv").cell(row: 0, column: 1) == .missing, "\(marker)")
        }
        // A blank line moves the following rows' lines, before the header too, and does not
        // decide the delimiter.
        #expect(try CSV.parse(Array("a\n1\n\n2\n".utf8), path: "b.csv").line(ofRow: 1) == 4)
        let late = try CSV.parse(Array("\n\na;b\n1;2\n".utf8), path: "l.csv")
        #expect(late.columns == ["a", "b"] && late.line(ofRow: 0) == 4)
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try csvFile(rawTable.replacingOccurrences(of: "\n", with: "\r\n"), in: directory)
        let read = try CSV.read(path, delimiter: nil, keepingRowSpans: true)
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let rows = try #require(read.rowSpans).map { String(decoding: bytes[$0], as: UTF8.self) }
        #expect(rows == ["\"Smith, J\",1,red,a\r", "\"Doe,\r\nK\",NA,blue,b\r", "Lee,3,,a\r", "X,?,red,\r"])
        #expect(read.cell(row: 1, column: 0) == .text("Doe,\r\nK") && read.delimiter == UInt8(ascii: ","))
    }

    @Test("encoding: one-hot categories, mean imputation and a missing category, rows without a target left out; exact inputs")
    func exactInputs() throws {
        let parsed = try CSV.parse(Array(rawTable.utf8), path: "r.csv")
        let encoding = try TableEncoding(fitting: parsed, options: TableOptions(target: "y", standardize: false))
        #expect(encoding.columns == [
            .categorical(name: "name", categories: ["Doe,\nK", "Lee", "Smith, J"], missingCategory: false),
            .numeric(name: "size", fill: 2),
            .categorical(name: "color", categories: ["blue", "red"], missingCategory: true),
        ])
        #expect(encoding.task == .classification && encoding.classNames == ["a", "b"] && encoding.inputCount == 7)
        #expect(encoding.defaultLoss == .binaryCrossEntropy && encoding.outputCount(for: .binaryCrossEntropy) == 1)
        let encoded = try encoding.encode(parsed)
        let expected: [Float] = [
            0, 0, 1, 1, 0, 1, 0,
            1, 0, 0, 2, 1, 0, 0,
            0, 1, 0, 3, 0, 0, 1,
        ]
        #expect(encoded.inputs == expected)
        #expect(encoded.sourceRows == [0, 1, 2] && encoded.rowsWithoutTarget == 1)
        #expect(encoded.imputed == [ColumnCount(column: "size", count: 1), ColumnCount(column: "color", count: 1)])
        #expect(encoded.dataset?.labels == [0, 1, 0] && encoded.dataset?.classCount == 2)

        // Standardised: the number column has mean 0 and deviation 1 over the training rows;
        // one-hot inputs are left as they are.
        let standardized = try TableEncoding(fitting: parsed, options: TableOptions(target: "y")).encode(parsed)
        let sizes: [Float] = (0..<3).map { standardized.inputs[$0 * 7 + 3] }
        let mean: Float = sizes.reduce(0, +) / 3
        let variance: Float = sizes.map { $0 * $0 }.reduce(0, +) / 3
        #expect(abs(mean) < 1e-6 && abs(variance - 1) < 1e-5)
        let oneHot: [Int] = (0..<3).flatMap { r in [0, 1, 2, 4, 5, 6].map { r * 7 + $0 } }
        #expect(oneHot.map { standardized.inputs[$0] } == oneHot.map { encoded.inputs[$0] })
    }

    @Test("the task and the classes are inferred from the target, or given")
    func targets() throws {
        func fit(_ values: [String], task: TableTask? = nil) throws -> TableEncoding {
            try TableEncoding(
                fitting: try CSV.parse(table("a,y", values.enumerated().map { "\($0.offset),\($0.element)" }), path: "t.csv"),
                options: TableOptions(target: "y", task: task))
        }
        // Whole numbers with few values are classes, named as given: no unused class 0.
        let labels = try fit(["3", "1", "2", "1", "3.0"])
        #expect(labels.task == .classification && labels.classNames == ["1", "2", "3"] && labels.defaultLoss == .softmaxCrossEntropy)
        #expect(try fit(["10", "2"]).classNames == ["2", "10"])
        #expect(try fit(["no", "yes", "no"]).classNames == ["no", "yes"])
        // Many whole numbers, or fractions, are values.
        #expect(try fit((0..<30).map { String(25 + 11 * $0) }).task == .regression)
        #expect(try fit(["0.5", "1.5", "2"]).task == .regression)
        #expect(try fit(["0.5", "1.5"], task: .classification).classNames == ["0.5", "1.5"])
        #expect(try fit(["1", "2", "3"], task: .regression).task == .regression)
        #expect(throws: DataError.csv(path: "t.csv", line: 3, column: "y", reason: "'b' is not a number; a regression target must be numeric")) {
            _ = try fit(["1", "b"], task: .regression)
        }
        #expect(throws: DataError.self) { _ = try fit((0..<300).map(String.init), task: .classification) }
        #expect(throws: DataError.self) { _ = try fit(["1", "1"]) }
        #expect(throws: DataError.csv(path: "t.csv", line: 1, column: nil, reason: "no column named 'z' (columns: a, y)")) {
            _ = try TableEncoding(fitting: try CSV.parse(table("a,y", ["1,2"]), path: "t.csv"), options: TableOptions(target: "z"))
        }
    }

    @Test("columns: identifiers left out, --features and --ignore, an all-missing column refused")
    func columns() throws {
        let rows = (0..<40).map { "person \($0),\($0 % 3 == 0 ? "x" : "y"),\($0 % 5),\($0 % 2)" }
        let parsed = try CSV.parse(table("name,kind,n,y", rows), path: "c.csv")
        let fitted = try TableEncoding.fit(parsed, options: TableOptions(target: "y"))
        #expect(fitted.encoding.featureColumns == ["kind", "n"])
        #expect(fitted.ignored == [IgnoredColumn(name: "name", reason: .identifier(distinct: 40, cells: 40))])
        #expect(fitted.inferredTask)
        let chosen = try TableEncoding.fit(parsed, options: TableOptions(target: "y", features: ["n", "name"]))
        #expect(chosen.encoding.featureColumns == ["n", "name"] && chosen.encoding.inputCount == 41)
        #expect(chosen.ignored == [IgnoredColumn(name: "kind", reason: .asked)])
        let ignoring = try TableEncoding.fit(parsed, options: TableOptions(target: "y", task: .classification, ignored: ["n"]))
        #expect(ignoring.encoding.featureColumns == ["kind"] && !ignoring.inferredTask)
        #expect(throws: DataError.self) { _ = try TableEncoding(fitting: parsed, options: TableOptions(target: "y", ignored: ["nope"])) }
        let empty = try CSV.parse(table("a,b,y", ["1,,0", "2,NA,1"]), path: "e.csv")
        #expect(throws: DataError.csv(path: "e.csv", line: 1, column: "b", reason: "every cell is missing; leave the column out")) {
            _ = try TableEncoding(fitting: empty, options: TableOptions(target: "y"))
        }
    }

    @Test("missing cells: impute, error (naming the cell) or drop the row")
    func missing() throws {
        let parsed = try CSV.parse(table("a,b,y", ["1,2,0", "NA,4,1", "3,,0"]), path: "m.csv")
        let imputed = try TableEncoding(fitting: parsed, options: TableOptions(target: "y", standardize: false))
        #expect(try imputed.encode(parsed).inputs == [1, 2, 2, 4, 3, 3])
        #expect(throws: DataError.csv(path: "m.csv", line: 3, column: "a", reason: "the cell is missing")) {
            _ = try TableEncoding(fitting: parsed, options: TableOptions(target: "y", missingValues: .error))
        }
        let dropping = try TableEncoding(fitting: parsed, options: TableOptions(target: "y", missingValues: .dropRows, standardize: false))
        let dropped = try dropping.encode(parsed)
        #expect(dropped.inputs == [1, 2] && dropped.sourceRows == [0] && dropped.rowsWithMissingFeatures == 2)
    }

    @Test("a test table: columns in any order, unseen categories as zeros and counted, unseen classes and text in number columns refused")
    func testTables() throws {
        let training = try CSV.parse(table("c,n,y", ["red,1,a", "blue,2,b", "red,3,a"]), path: "train.csv")
        let encoding = try TableEncoding(fitting: training, options: TableOptions(target: "y", standardize: false))
        let test = try CSV.parse(table("y,n,c", ["a,5,blue", "b,6,green", "a,7,green"]), path: "test.csv")
        let encoded = try encoding.encode(test)
        #expect(encoded.inputs == [1, 0, 5, 0, 0, 6, 0, 0, 7])
        #expect(encoded.unseenCategories == [ColumnCount(column: "c", count: 2)])
        #expect(throws: DataError.csv(path: "u.csv", line: 3, column: "y", reason: "class 'c' is not one of the training table's classes (a, b)")) {
            _ = try encoding.encode(try CSV.parse(table("c,n,y", ["red,1,a", "red,1,c"]), path: "u.csv"))
        }
        #expect(throws: DataError.self) { _ = try encoding.encode(try CSV.parse(table("c,n,y", ["red,x,a"]), path: "x.csv")) }
        #expect(throws: DataError.self) { _ = try encoding.encode(try CSV.parse(table("c,y", ["red,a"]), path: "k.csv")) }
        // For prediction the target column is not read: an empty or unknown class does not
        // leave a row out or stop the encoding.
        let predicting = try encoding.encodeFeatures(try CSV.parse(table("c,n,y", ["red,1,", "blue,2,zzz"]), path: "p.csv"))
        #expect(predicting.sourceRows == [0, 1] && predicting.inputs == [0, 1, 1, 1, 0, 2] && predicting.dataset == nil)
        // Without the target column: inputs only.
        let rows = try encoding.encode(try CSV.parse(table("n,c", ["1,red"]), path: "p.csv"))
        #expect(rows.dataset == nil && rows.inputs == [0, 1, 1])
    }

    @Test("a model saved with its encoding and read back predicts the same; an encoding stored before categories still reads")
    func savedModel() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let parsed = try CSV.parse(Array(rawTable.utf8), path: "r.csv")
        let encoding = try TableEncoding(fitting: parsed, options: TableOptions(target: "y"))
        var configuration = TrainingConfiguration(table: encoding)
        configuration.epochs = 3
        configuration.validationSplit = 0
        configuration.patience = nil
        configuration.threads = 1
        let encoded = try encoding.encode(parsed)
        let trainer = try Trainer(configuration: configuration)
        try trainer.fit(on: try #require(encoded.dataset))
        let model = SavedModel(network: trainer.network, loss: configuration.loss, table: encoding)
        // A value: training on does not change the model made from the trainer's network.
        let weights = model.network.parameterValues.map(\.bitPattern)
        var more = configuration
        more.epochs = 5
        let continued = try Trainer(network: trainer.network, configuration: more)
        try continued.fit(on: try #require(encoded.dataset))
        #expect(model.network.parameterValues.map(\.bitPattern) == weights && trainer.network.parameterValues.map(\.bitPattern) != weights)
        let path = directory.appendingPathComponent("m.fmlp").path
        try ModelFile.save(model, to: path)
        let loaded = try ModelFile.load(from: path)
        #expect(loaded.table == encoding)
        let before = try model.predictions(for: encoded), after = try loaded.predictions(for: try loaded.table!.encode(parsed))
        #expect(before == after && before.count == 3)
        guard case .category(let name, let probabilities) = before[0] else { Issue.record("not a class"); return }
        #expect(["a", "b"].contains(name) && abs(probabilities.reduce(0, +) - 1) < 1e-6)

        // An encoding that does not name the model's classes is refused, not indexed out of range.
        var wrong = model
        wrong.table?.classNames = ["a"]
        #expect(throws: ModelError.self) { _ = try wrong.predictions(for: encoded) }
        let wide = try Network(
            architecture: try Architecture(layerSizes: [1, 300], hiddenActivation: .relu, outputActivation: .softmax),
            parameters: [Float](repeating: 0, count: 600))
        let many = TableEncoding(
            columns: [.numeric(name: "a", fill: 0)], target: "y", task: .classification, classNames: (0..<300).map(String.init))
        #expect(throws: ModelFileError.self) {
            _ = try ModelFile.decode(ModelFile.encode(SavedModel(network: wide, loss: .softmaxCrossEntropy, table: many)), path: "w.fmlp")
        }

        let legacy = #"{"featureColumns":["a","b"],"target":"y"}"#
        var old = try JSONDecoder().decode(TableEncoding.self, from: Data(legacy.utf8))
        #expect(old.columns == [.numeric(name: "a", fill: nil), .numeric(name: "b", fill: nil)])
        try ModelFile.complete(
            &old, loss: .softmaxCrossEntropy,
            architecture: try Architecture(layerSizes: [2, 3], hiddenActivation: .relu, outputActivation: .softmax), path: "old.fmlp")
        #expect(old.classNames == ["0", "1", "2"] && old.task == .classification)
    }
}
