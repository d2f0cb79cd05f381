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
        let backend: String
        /// `mnist`, or `mnist-no-zeros`: every zero pixel raised to 1/255.
        let data: String
        /// The share of the inputs that are nonzero.
        let inputDensity: Double
        /// `default` (the first layer skips zero inputs on sparse enough batches) or `dense` (forced).
        let requestedPath: String
        /// The share of the timed steps whose first layer skipped zero inputs.
        let stepsSkippingZerosPercent: Double
        let epochs: Int
        let medianSeconds: Double
        let samplesPerSecond: Double
        /// FLOPs done ÷ time: the first layer's products count only their nonzero inputs on the
        /// steps that skipped zeros.
        let gflops: Double
        /// The dense path's FLOPs ÷ time; with zeros skipped it can exceed the peak.
        let denseEquivalentGflops: Double
        /// Of ``gflops``.
        var percentOfPeak: Double
        /// The dense FLOPs at the peak.
        var floorSeconds: Double
        let peakRssMib: Double
        /// Per step, microseconds of each phase (per thread: busy time summed over the workers ÷
        /// threads), of waiting at barriers, and of the caller's serial work; with `--breakdown`.
        var breakdown: [Phase]?
        /// With `--breakdown`, when every timed step skipped zero inputs: the batch's nonzero
        /// inputs a step, and each of the first layer's products in core cycles per nonzero
        /// (busy time on all threads × the clock measured by the parent).
        var firstLayerNonzerosPerStep: Double?
        var forwardCyclesPerNonzero: Double?
        var weightGradientCyclesPerNonzero: Double?
    }

    struct Phase: Codable {
        let phase: String
        let microseconds: Double
        let percent: Double
        /// With more than one thread, each worker's busy µs per step (a phase of its own work;
        /// absent for waiting, serial and step).
        var perThread: [Double]? = nil
    }

    static func run(arguments: [String]) {
        let profiles = value("--profiles", in: arguments)?.split(separator: ",").map(String.init)
            ?? ["mlp-128", "seed-sigmoid", "mlp-wide"]
        let threads = value("--threads", in: arguments)?.split(separator: ",").compactMap { Int($0) } ?? [1, 2]
        let epochs = value("--epochs", in: arguments).flatMap(Int.init) ?? 3
        let json = arguments.contains("--json")
        let breakdown = arguments.contains("--breakdown")
        let fixedThreads = arguments.contains("--fixed-threads")
        let backends = (value("--backends", in: arguments) ?? "workers").split(separator: ",").map(String.init)
        let datas = (value("--data", in: arguments) ?? "mnist").split(separator: ",").map(String.init)
        let paths = (value("--paths", in: arguments) ?? "default").split(separator: ",").map(String.init)
        if let bad = datas.first(where: { !["mnist", "mnist-no-zeros"].contains($0) }) ?? paths.first(where: { !["default", "dense"].contains($0) }) {
            FileHandle.standardError.write(Data("Error: --data takes mnist,mnist-no-zeros and --paths default,dense; got '\(bad)'\n".utf8))
            exit(64)
        }
        let peak = median((0..<3).map { _ in PeakProbe.fmaGFLOPs() })
        let clocks = breakdown ? (0..<3).compactMap { _ in PeakProbe.clockGHz() } : []
        let clock = clocks.max()  // interference only slows the chain
        if !json {
            print(String(format: "FMA peak (register-only probe): %.1f GFLOP/s per core; a row's peak is that × threads (≤ cores)", peak))
            if breakdown, let clock {
                print(String(format: "clock: %.2f GHz (a chain of dependent integer additions), for cycles per nonzero input", clock))
            }
            print("median of \(epochs) epochs after one warm-up epoch, 60000 samples each, training only")
            print("path: the first layer's, with the share of steps that skipped zero inputs; density: nonzero share of the inputs")
            print("GFLOP/s: FLOPs done (zero inputs skipped are not counted), % peak of those; dense-eq: the dense path's FLOPs ÷ time")
            print("profile        threads  backend  data            density  path           s/epoch  samples/s  GFLOP/s  % peak  dense-eq  floor s  peak RSS")
        }
        var rows: [Row] = []
        for profile in profiles {
          for data in datas {
            for path in paths {
            for count in threads {
              for backend in backends {
                guard var row = child(
                    profile: profile, threads: count, backend: backend, data: data, path: path, epochs: epochs,
                    breakdown: breakdown, fixedThreads: fixedThreads)
                else { exit(1) }
                let rowPeak = peak * Double(min(count, ProcessInfo.processInfo.activeProcessorCount))
                row.percentOfPeak = 100 * row.gflops / rowPeak
                row.floorSeconds = row.denseEquivalentGflops * row.medianSeconds / rowPeak
                if let clock, let nonzeros = row.firstLayerNonzerosPerStep, let phases = row.breakdown {
                    // Per-thread µs × threads = core time; × GHz × 1000 = cycles.
                    func cycles(_ name: String) -> Double? {
                        phases.first { $0.phase == name }.map { $0.microseconds * Double(count) * clock * 1000 / nonzeros }
                    }
                    row.forwardCyclesPerNonzero = cycles(StepProfile.Phase.firstLayerForward.description)
                    row.weightGradientCyclesPerNonzero = cycles(StepProfile.Phase.firstLayerWeightGradient.description)
                }
                rows.append(row)
                if !json {
                    let taken = row.stepsSkippingZerosPercent > 0
                        ? String(format: "skip 0s %3.0f%%", row.stepsSkippingZerosPercent) : "dense"
                    print(
                        profile.padding(toLength: 15, withPad: " ", startingAt: 0)
                            + String(format: "%7d  ", count) + backend.padding(toLength: 8, withPad: " ", startingAt: 0)
                            + " " + data.padding(toLength: 15, withPad: " ", startingAt: 0)
                            + String(format: "%6.1f%%  ", 100 * row.inputDensity)
                            + taken.padding(toLength: 13, withPad: " ", startingAt: 0)
                            + String(format: "%8.3f  %9.0f  %7.1f  %5.1f%%  %8.1f  %7.3f  %5.1f MiB",
                                     row.medianSeconds, row.samplesPerSecond, row.gflops, row.percentOfPeak,
                                     row.denseEquivalentGflops, row.floorSeconds, row.peakRssMib))
                    for phase in row.breakdown ?? [] {
                        print("    " + phase.phase.padding(toLength: 36, withPad: " ", startingAt: 0)
                            + String(format: "%9.1f µs/step  %5.1f%%", phase.microseconds, phase.percent)
                            + (phase.perThread.map { "   per thread " + $0.map { String(format: "%.1f", $0) }.joined(separator: " / ") } ?? ""))
                    }
                    if let nonzeros = row.firstLayerNonzerosPerStep, let forward = row.forwardCyclesPerNonzero,
                        let gradient = row.weightGradientCyclesPerNonzero
                    {
                        print(String(
                            format: "    first layer: %.0f nonzero inputs a step; core cycles per nonzero: forward %.1f, weight gradient %.1f",
                            nonzeros, forward, gradient))
                    }
                }
              }
            }
            }
          }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            struct Output: Encodable { let peakGflopsPerCore: Double; let clockGhz: Double?; let rows: [Row] }
            if let data = try? encoder.encode(Output(peakGflopsPerCore: peak, clockGhz: clock, rows: rows)) {
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }

    /// Runs one row in a child process (`epoch-row`) and decodes its JSON line.
    static func child(
        profile: String, threads: Int, backend: String, data: String, path: String, epochs: Int, breakdown: Bool,
        fixedThreads: Bool
    ) -> Row? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        process.arguments = [
            "epoch-row", "--profile", profile, "--threads", "\(threads)", "--backend", backend, "--data", data,
            "--path", path, "--epochs", "\(epochs)",
        ]
            + (breakdown ? ["--breakdown"] : []) + (fixedThreads ? ["--fixed-threads"] : [])
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
        let backendName = value("--backend", in: arguments) ?? "workers"
        let dataName = value("--data", in: arguments) ?? "mnist"
        let path = value("--path", in: arguments) ?? "default"
        guard let backend = ThreadPool.Backend(rawValue: backendName) else { exit(64) }
        ThreadPool.defaultBackend = backend
        do {
            var configuration = try Profile.resolve(name, in: Profile.bundledDirectory).configuration
            configuration.threads = threads
            configuration.skipsZeroInputs = path != "dense"
            guard let directory = MNIST.bundledDirectory else { exit(1) }
            var training = try MNIST.loadTraining(from: directory)
            if let classes = configuration.classes { training = try training.keeping(classes: classes) }
            if dataName == "mnist-no-zeros" { training = training.withoutZeroInputs() }
            let density = training.inputDensity
            let trainer = try Trainer(configuration: configuration)
            let architecture = trainer.network.architecture
            _ = try trainer.trainEpoch(on: training)
            let profile = arguments.contains("--breakdown") ? StepProfile(workers: threads) : nil
            trainer.stepProfile = profile
            // The breakdown and --fixed-threads measure every step on all the threads.
            trainer.adaptsThreadCount = profile == nil && !arguments.contains("--fixed-threads")
            let timing = try EpochTiming.measure(trainer, on: training, warmUp: 0, epochs: epochs)
            let medianSeconds = timing.medianSeconds
            let gflops = timing.gflops(architecture, samples: training.count, inputDensity: density)
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            var row = Row(
                profile: name, threads: threads, backend: backendName, data: dataName, inputDensity: density,
                requestedPath: path, stepsSkippingZerosPercent: 100 * timing.skippingShare, epochs: epochs,
                medianSeconds: medianSeconds, samplesPerSecond: Double(training.count) / medianSeconds,
                gflops: gflops.done, denseEquivalentGflops: gflops.denseEquivalent,
                percentOfPeak: 0, floorSeconds: 0, peakRssMib: Double(usage.ru_maxrss) / 1024)
            if let profile {
                row.breakdown = phases(profile, threads: threads)
                if profile.steps > 0 && profile.sparseSteps == profile.steps {
                    row.firstLayerNonzerosPerStep = Double(profile.firstLayerNonzeros) / Double(profile.steps)
                }
            }
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            print(String(decoding: try encoder.encode(row), as: UTF8.self))
        } catch {
            FileHandle.standardError.write(Data("Error: \(error)\n".utf8))
            exit(1)
        }
    }

    /// Per step and per thread: each phase's busy time, the wait at barriers and the serial rest.
    static func phases(_ profile: StepProfile, threads: Int) -> [Phase] {
        let steps = Double(max(profile.steps, 1)), perThread = Double(threads)
        let step = Double(profile.stepNanoseconds) / steps
        func phase(_ name: String, _ nanoseconds: Double) -> Phase {
            Phase(phase: name, microseconds: nanoseconds / 1000, percent: 100 * nanoseconds / step)
        }
        var rows = StepProfile.Phase.allCases.map { p in
            var row = phase(p.description, Double(profile.nanoseconds(p)) / steps / perThread)
            if threads > 1 {
                row.perThread = (0..<threads).map { Double(profile.nanoseconds(p, worker: $0)) / steps / 1000 }
            }
            return row
        }
        rows.append(phase("waiting at barriers", Double(profile.waitNanoseconds) / steps / perThread))
        let regions = Double(profile.regionThreadNanoseconds) / steps / perThread
        rows.append(phase("serial (between regions)", max(0, step - regions)))
        rows.append(phase("step", step))
        return rows
    }

    static func value(_ flag: String, in arguments: [String]) -> String? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }
}
