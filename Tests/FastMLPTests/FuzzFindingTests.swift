import Foundation
import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// Inputs the fuzzers (Fuzz/run) once crashed on, kept so that they stay fixed.
@Suite("Fuzz findings")
struct FuzzFindingTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("FuzzFindings")

    @Test("a profile whose batch size times the widest layer overflows is refused, not trapped")
    func profileBatchSizeOverflow() throws {
        let data = try Data(contentsOf: Self.directory.appendingPathComponent("profile-batch-size-overflow.json"))
        #expect(throws: ProfileError.self) { _ = try Profile(data: data, name: "finding", path: "finding.json") }
        var configuration = TrainingConfiguration()
        configuration.threads = 1 << 40
        #expect(throws: ConfigurationError.outOfRange(.threads, value: Double(1 << 40), expected: "in 1...1024")) {
            try configuration.validate()
        }
    }

    @Test("a header with as many semicolons as tabs picks the same delimiter every time (comma, then semicolon, then tab)")
    func csvDelimiterTie() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent("csv-delimiter-tie.csv")))
        for _ in 0..<20 {
            #expect(bytes.withUnsafeBufferPointer { CSVParser.detectDelimiter($0) } == UInt8(ascii: ";"))
        }
        #expect(Array("a\tb;c\n".utf8).withUnsafeBufferPointer { CSVParser.detectDelimiter($0) } == UInt8(ascii: ";"))
        #expect(Array("a\tb;c,d\n".utf8).withUnsafeBufferPointer { CSVParser.detectDelimiter($0) } == UInt8(ascii: ","))
        #expect(Array("a\tb\tc;d\n".utf8).withUnsafeBufferPointer { CSVParser.detectDelimiter($0) } == UInt8(ascii: "\t"))
    }

    @Test("a CSV whose first chunk ends inside the header reads as the whole file does (the delimiter is detected from the whole line)")
    func csvDelimiterSplitHeader() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent("csv-delimiter-split-header.csv")))
        let whole = try CSV.parse(bytes, path: "finding.csv")
        #expect(whole.columns == [";", "b", "y"])
        for split in 0...bytes.count {
            var parser = CSVParser(path: "finding.csv")
            try bytes[..<split].withUnsafeBufferPointer { (p) throws(DataError) in try parser.feed(p) }
            try bytes[split...].withUnsafeBufferPointer { (p) throws(DataError) in try parser.feed(p) }
            try parser.finish()
            #expect(parser.columns == whole.columns && parser.values == whole.values, "split at \(split)")
        }
    }

    @Test("a safetensors header claiming a huge architecture is refused before allocating")
    func safetensorsHugeArchitecture() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.directory.appendingPathComponent("safetensors-huge-metadata-architecture.safetensors")))
        #expect(throws: ModelFileError.self) { _ = try SafeTensors.decode(bytes, path: "finding.safetensors") }
    }
}
