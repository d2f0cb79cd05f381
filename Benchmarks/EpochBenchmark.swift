@_spi(Benchmarks) import FastMLP
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// End-to-end training throughput: each (profile, threads) row runs in its own child process,
/// so that its peak resident memory is its own; the parent measures the FMA peak once.
enum EpochBenchmark {
    struct Row: Codable {
        let profile: String
        let threads: Int
        let epochs: Int
        let medianSeconds: Double
        let samplesPerSecond: Double
        let gflops: Double
        var percentOfPeak: Double
        var floorSeconds: Double
        let peakRssMib: Double
    }

    static func run(arguments: [String]) {
        let profiles = value("--profiles", in: arguments)?.split(separator: ",").map(String.init)
            ?? ["mlp-128", "seed-sigmoid", "mlp-wide"]
        let threads = value("--threads", in: arguments)?.split(separator: ",").compactMap { Int($0) } ?? [1, 2]
        let epochs = value("--epochs", in: arguments).flatMap(Int.init) ?? 3
        let json = arguments.contains("--json")
        let peak = median((0..<3).map { _ in PeakProbe.fmaGFLOPs() })
        if !json {
            print(String(format: "FMA peak (register-only probe): %.1f GFLOP/s per core; a row's peak is that × threads (≤ cores)", peak))
            print("median of \(epochs) epochs after one warm-up epoch, 60000 samples each, training only")
            print("profile        threads  s/epoch  samples/s  GFLOP/s  % peak  floor s  peak RSS")
        }
        var rows: [Row] = []
        for profile in profiles {
            for count in threads {
                guard var row = child(profile: profile, threads: count, epochs: epochs) else { exit(1) }
                let rowPeak = peak * Double(min(count, ProcessInfo.processInfo.activeProcessorCount))
                row.percentOfPeak = 100 * row.gflops / rowPeak
                row.floorSeconds = row.gflops * row.medianSeconds / rowPeak
                rows.append(row)
                if !json {
                    print(
                        profile.padding(toLength: 15, withPad: " ", startingAt: 0)
                            + String(format: "%7d  %7.3f  %9.0f  %7.1f  %5.1f%%  %7.3f  %5.1f MiB",
                                     count, row.medianSeconds, row.samplesPerSecond, row.gflops, row.percentOfPeak,
                                     row.floorSeconds, row.peakRssMib))
                }
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            struct Output: Encodable { let peakGflopsPerCore: Double; let rows: [Row] }
            if let data = try? encoder.encode(Output(peakGflopsPerCore: peak, rows: rows)) {
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    /// Runs one row in a child process (`epoch-row`) and decodes its JSON line.
    static func child(profile: String, threads: Int, epochs: Int) -> Row? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = ["epoch-row", "--profile", profile, "--threads", "\(threads)", "--epochs", "\(epochs)"]
        let output = Pipe()
        process.standardOutput = output
        do {
            try process.run()
        } catch {
            FileHandle.standardError.write(Data("Error: cannot start the benchmark child: \(error)\n".utf8))
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard process.terminationStatus == 0, let row = try? decoder.decode(Row.self, from: data) else {
            FileHandle.standardError.write(Data("Error: benchmark row \(profile) × \(threads) failed\n".utf8))
            return nil
        }
        return row
    }

    /// The child: trains one profile and prints one JSON row (peak and floor are filled in by the parent).
    static func runRow(arguments: [String]) {
        guard let name = value("--profile", in: arguments), let threads = value("--threads", in: arguments).flatMap(Int.init),
            let epochs = value("--epochs", in: arguments).flatMap(Int.init)
        else { exit(64) }
        do {
            var configuration = try Profile.resolve(name, in: Profile.bundledDirectory).configuration
            configuration.threads = threads
            guard let directory = MNIST.bundledDirectory else { exit(1) }
            var (training, _) = try MNIST.load(from: directory)
            if let classes = configuration.classes { training = try training.keeping(classes: classes) }
            let architecture = try configuration.architecture()
            let network = Network(
                architecture: architecture, weightInitializer: configuration.weightInitializer,
                biasInitializer: configuration.biasInitializer, seed: configuration.seed)
            let trainer = try Trainer(network: network, configuration: configuration)
            _ = try trainer.trainEpoch(on: training)
            var seconds: [Double] = []
            for _ in 0..<epochs {
                let elapsed = try time { _ = try trainer.trainEpoch(on: training) }
                seconds.append(elapsed)
            }
            let medianSeconds = median(seconds)
            let flops = architecture.trainingFLOPsPerSample * Double(training.count)
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            let row = Row(
                profile: name, threads: threads, epochs: epochs, medianSeconds: medianSeconds,
                samplesPerSecond: Double(training.count) / medianSeconds, gflops: flops / medianSeconds / 1e9,
                percentOfPeak: 0, floorSeconds: 0, peakRssMib: Double(usage.ru_maxrss) / 1024)
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(row), as: UTF8.self))
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            exit(1)
        }
    }

    static func value(_ flag: String, in arguments: [String]) -> String? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }
}
