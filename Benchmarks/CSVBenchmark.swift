@_spi(Benchmarks) @_spi(Tools) import FastMLP
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// CSV parsing throughput: writes a numeric table of about `--megabytes` MB (20 columns of
/// numbers as `Float.description` prints them, a header row), then parses it with `CSV.read`
/// in a child process, so that the child's peak RSS is the parser's: MB/s and peak memory
/// against the parsed Float data.
enum CSVBenchmark {
    static func run(arguments: [String]) {
        let megabytes = EpochBenchmark.value("--megabytes", in: arguments).flatMap(Double.init) ?? 1000
        let path = EpochBenchmark.value("--file", in: arguments) ?? FileManager.default.temporaryDirectory
            .appendingPathComponent("fastmlp-csv-benchmark-\(Int(megabytes))MB.csv").path
        if !FileManager.default.fileExists(atPath: path) {
            let seconds = time { generate(path: path, bytes: Int(megabytes * 1e6)) }
            print(String(format: "wrote %@ in %.1f s", path, seconds))
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
        var rates: [Double] = []
        for _ in 0..<3 {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
            process.arguments = ["csv-parse", path]
            let output = Pipe()
            process.standardOutput = output
            try? process.run()
            let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            let fields = text.split(whereSeparator: \.isWhitespace).compactMap { Double($0) }
            guard process.terminationStatus == 0, fields.count == 3 else {
                FileHandle.standardError.write(Data("Error: parsing failed: \(text)\n".utf8))
                exit(1)
            }
            let (seconds, values, rss) = (fields[0], fields[1], fields[2])
            rates.append(Double(size) / 1e6 / seconds)
            print(String(format: "%.0f MB in %.2f s: %.0f MB/s; %.0f values (%.0f MB as Float), peak RSS %.0f MB (%.2f× the Float data)",
                         Double(size) / 1e6, seconds, Double(size) / 1e6 / seconds, values, values * 4 / 1e6,
                         rss / 1e6, rss / (values * 4)))
        }
        print(String(format: "median %.0f MB/s (one core)", median(rates)))
    }

    /// The child: parses the file and prints seconds, values and peak RSS in bytes.
    static func parse(arguments: [String]) {
        guard arguments.count >= 2 else { exit(64) }
        do {
            var table: CSVTable?
            let seconds = try time { table = try CSV.read(arguments[1]) }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            print(seconds, table?.values.count ?? 0, usage.ru_maxrss * 1024)
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            exit(1)
        }
    }

    /// About `bytes` bytes of CSV: a header of 20 names, then rows of 20 numbers.
    static func generate(path: String, bytes: Int) {
        _ = FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { exit(1) }
        defer { try? handle.close() }
        let columns = 20
        handle.write(Data(((0..<columns).map { "c\($0)" }.joined(separator: ",") + "\n").utf8))
        var generator = SplitMix64(seed: 1)
        var written = 0
        var block = ""
        while written < bytes {
            block.removeAll(keepingCapacity: true)
            for _ in 0..<2000 {
                for column in 0..<columns {
                    // Values as a table would hold them: a few significant digits, some negative.
                    let raw = Double(generator.next() % 2_000_000) / 1000 - 1000
                    block += String(format: "%.3f", raw)
                    block += column == columns - 1 ? "\n" : ","
                }
            }
            let data = Data(block.utf8)
            handle.write(data)
            written += data.count
        }
    }
}
