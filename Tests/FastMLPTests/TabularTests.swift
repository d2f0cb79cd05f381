import Foundation
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// Writes `text` to a temporary CSV file and returns its path.
func csvFile(_ text: String, in directory: URL, name: String = "t.csv") throws -> String {
    let path = directory.appendingPathComponent(name).path
    try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    return path
}

/// y = 3a − 2b + 1 exactly, on a grid, as CSV text.
func linearTable(rows: Int, offset: Int = 0) -> String {
    var text = "a,b,y\n"
    for i in 0..<rows {
        let a = Double((i + offset) % 17) / 4 - 2, b = Double((i * 7 + offset) % 13) / 3 - 2
        text += "\(a),\(b),\(3 * a - 2 * b + 1)\n"
    }
    return text
}

@Suite("Tabular data")
struct TabularTests {
    @Test("CSV parsing: header, numbers, CRLF, quotes, blank lines")
    func parse() throws {
        let table = try CSV.parse(Array("x, \"y\",z\r\n1,2.5,-3e1\r\n\n 4 ,\"5\",6\n".utf8), path: "t.csv")
        #expect(table.columns == ["x", "y", "z"])
        #expect(table.values == [1, 2.5, -30, 4, 5, 6])
        #expect(table.rowCount == 2 && table.column("z") == [.number(-30), .number(6)])
    }

    @Test("RFC 4180: quoted delimiters, doubled quotes and line breaks, CRLF, a BOM, detected or given delimiters")
    func rfc4180() throws {
        let quoted = try CSV.parse(Array("\u{FEFF}\"a,b\",\"say \"\"hi\"\"\",\"two\r\nlines\"\r\n1,\"2\",3\r\n".utf8), path: "q.csv")
        #expect(quoted.columns == ["a,b", "say \"hi\"", "two\r\nlines"] && quoted.values == [1, 2, 3])
        #expect(try CSV.parse(Array("a;b;c\n1;2;3\n".utf8), path: "s.csv").values == [1, 2, 3])
        #expect(try CSV.parse(Array("a\tb\n1\t2\n".utf8), path: "t.tsv").values == [1, 2])
        #expect(try CSV.parse(Array("a|b\n1|2\n".utf8), path: "p.csv", delimiter: UInt8(ascii: "|")).values == [1, 2])
        // A line break inside quotes counts: the bad cell is on line 4.
        #expect(throws: DataError.csv(path: "l.csv", line: 4, column: "b", reason: "'inf' is not a finite number")) {
            _ = try CSV.parse(Array("\"a\nA\",b\n1,2\n3,inf\n".utf8), path: "l.csv")
        }
        #expect(throws: DataError.csv(path: "u.csv", line: 2, column: "b", reason: "a quoted field is not closed before the end of the file")) {
            _ = try CSV.parse(Array("a,b\n1,\"2\n".utf8), path: "u.csv")
        }
        #expect(throws: DataError.self) { _ = try CSV.parse(Array("a,b\n1,\"2\"x\n".utf8), path: "x.csv") }
        // A .tsv file is tab-separated whatever its header holds.
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let tsv = directory.appendingPathComponent("t.tsv").path
        try Data("a,x\tb\n1\t2\n".utf8).write(to: URL(fileURLWithPath: tsv))
        #expect(try CSV.read(tsv).columns == ["a,x", "b"])
    }

    @Test("numbers convert exactly as Swift's correctly rounded parser does, and chunk boundaries change nothing")
    func numbersAndChunks() throws {
        var generator = SplitMix64(seed: 9)
        var text = "a,b,c\n"
        var expected: [Float] = []
        for _ in 0..<3000 {
            for column in 0..<3 {
                let digits = Int(generator.next() % 12) + 1, point = Int(generator.next() % UInt64(digits + 1))
                var cell = generator.next() % 2 == 0 ? "-" : ""
                for d in 0..<digits {
                    if d == point && d > 0 { cell += "." }
                    cell += String(generator.next() % 10)
                }
                if generator.next() % 5 == 0 { cell += "e\(Int(generator.next() % 20) - 10)" }
                text += cell + (column == 2 ? "\n" : ",")
                expected.append(Float(cell)!)
            }
        }
        let bytes = Array(text.utf8)
        let whole = try CSV.parse(bytes, path: "n.csv")
        expectSameBits(whole.values, expected)
        for chunk in [1, 2, 3, 7, 64, 4093] {
            var parser = CSVParser(path: "n.csv")
            var start = 0
            while start < bytes.count {
                let end = min(bytes.count, start + chunk)
                try bytes[start..<end].withUnsafeBufferPointer { (p) throws(DataError) in try parser.feed(p) }
                start = end
            }
            try parser.finish()
            #expect(parser.columns == whole.columns, "chunks of \(chunk)")
            expectSameBits(parser.values, expected, "chunks of \(chunk)")
        }
    }

    @Test("CSV errors name the file, the line and the column", arguments: [
        ("", "t.csv: line 1: the file is empty: no header row"),
        ("a,b\n", "no data rows"),
        ("a,a\n1,2\n", "repeats a column name"),
        ("a,,c\n1,2,3\n", "empty column name"),
        ("a,b\n1,2\n3\n", "t.csv: line 3: 1 cells, the header has 2"),
        ("a,b\n1,2\n3,-inf\n", "t.csv: line 3, column 'b': '-inf' is not a finite number"),
        ("a,b\n1,Infinity\n", "not a finite number"),
        ("a,b\n1,1e39\n", "not a finite number"),
    ])
    func errors(_ text: String, _ message: String) {
        do {
            _ = try CSV.parse(Array(text.utf8), path: "t.csv")
            Issue.record("accepted \(text.debugDescription)")
        } catch {
            #expect(error.description.contains(message), "\(error)")
            #expect(error.description.hasPrefix("t.csv: line ") && !error.description.contains("\n"))
        }
    }

    @Test("standardisation: zero mean, unit deviation, and back")
    func standardization() throws {
        let data = try Dataset(features: [1, 10, 3, 10, 5, 10], featureCount: 2, targets: [2, 4, 6], targetCount: 1)
        let fitted = Standardization(fitting: data)
        #expect(fitted.featureMeans == [3, 10] && fitted.targetMeans == [4])
        #expect(abs(fitted.featureScales[0] - (8.0 / 3).squareRoot()) < 1e-6 && fitted.featureScales[1] == 1)
        let applied = try fitted.apply(to: data)
        #expect(abs(applied.features.enumerated().filter { $0.offset % 2 == 0 }.map(\.element).reduce(0, +)) < 1e-6)
        #expect(applied.features.enumerated().filter { $0.offset % 2 == 1 }.allSatisfy { $0.element == 0 })
        let restored = fitted.restoreTargets(applied.targets)
        #expect(zip(restored, [2, 4, 6] as [Float]).allSatisfy { abs($0 - $1) < 1e-5 })
    }

    @Test("binary cross-entropy: the fused gradient matches the reference and finite differences")
    func bceGradient() throws {
        let architecture = try Architecture(layerSizes: [5, 4, 1], hiddenActivation: .tanh, outputActivation: .sigmoid)
        var generator = Xoshiro256StarStar(seed: 3)
        let parameters = (0..<architecture.parameterCount).map { _ in generator.nextGaussian() * 0.7 }
        let count = 6
        let input = (0..<(count * 5)).map { _ in 2 * generator.nextUnitFloat() - 1 }
        let labels = (0..<count).map { $0 % 2 }
        let reference = Reference.gradient(
            architecture, loss: .binaryCrossEntropy, parameters: parameters.map(Double.init), input: input.map(Double.init),
            labels: labels, count: count)
        var worst = 0.0
        for i in parameters.indices {
            var plus = parameters.map(Double.init), minus = parameters.map(Double.init)
            plus[i] += 1e-6
            minus[i] -= 1e-6
            let numeric = (Reference.loss(architecture, loss: .binaryCrossEntropy, parameters: plus, input: input.map(Double.init), labels: labels, count: count)
                - Reference.loss(architecture, loss: .binaryCrossEntropy, parameters: minus, input: input.map(Double.init), labels: labels, count: count)) / 2e-6
            worst = max(worst, abs(numeric - reference[i]) / (1e-6 + abs(numeric)))
        }
        #expect(worst < 1e-4)
        let network = try Network(architecture: architecture, parameters: parameters)
        let (meanLoss, gradient) = try network.stepGradients(.binaryCrossEntropy, input: input, labels: labels)
        let expectedLoss = Reference.loss(
            architecture, loss: .binaryCrossEntropy, parameters: parameters.map(Double.init), input: input.map(Double.init),
            labels: labels, count: count)
        #expect(abs(meanLoss - expectedLoss) < 1e-5)
        let difference = zip(gradient, reference).map { abs(Double($0) - $1) }.max()!
        #expect(difference < 1e-5)
    }

    @Test("regression on a table: MSE with standardisation learns a linear target")
    func regression() throws {
        let directory = temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let encoding = try TableEncoding(
            fitting: try CSV.read(try csvFile(linearTable(rows: 400), in: directory)), options: TableOptions(target: "y"))
        #expect(encoding.task == .regression)
        let training = try #require(try encoding.encode(try CSV.read(try csvFile(linearTable(rows: 400), in: directory))).dataset)
        let test = try #require(try encoding.encode(try CSV.read(try csvFile(linearTable(rows: 100, offset: 5), in: directory, name: "u.csv"))).dataset)
        let standardization = try #require(encoding.standardization)
        var configuration = TrainingConfiguration()
        configuration.layers = [2, 16, 1]
        configuration.loss = .meanSquaredError
        configuration.optimizer = OptimizerConfiguration(kind: .adam, learningRate: 0.01)
        configuration.batchSize = 16
        configuration.epochs = 60
        configuration.threads = 1
        configuration.seed = 1
        configuration.weightInitializer = .heNormal
        let trainer = try Trainer(configuration: configuration)
        let network = trainer.network
        try trainer.fit(on: training)
        let evaluation = try trainer.evaluate(on: test, targetScales: standardization.targetScales)
        let metrics = try #require(evaluation.regression)
        #expect(metrics.r2 > 0.995, "\(metrics)")
        #expect(metrics.mae < 0.3, "\(metrics)")
    }
}
