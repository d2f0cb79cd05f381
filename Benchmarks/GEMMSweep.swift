@_spi(Benchmarks) import FastMLP
import Foundation

/// One GEMM shape of the sweep: M×K×N in the notation (C is M×N, the depth is K).
struct GEMMShape {
    enum Form: String { case forward = "X·W", weightGradient = "Xᵀ·dY", inputGradient = "dY·Wᵀ" }
    let m: Int, k: Int, n: Int
    let form: Form
    let workload: String
}

enum GEMMSweep {
    static let shapes: [GEMMShape] = [
        .init(m: 64, k: 784, n: 128, form: .forward, workload: "mlp-128"),
        .init(m: 784, k: 64, n: 128, form: .weightGradient, workload: "mlp-128"),
        .init(m: 64, k: 128, n: 784, form: .inputGradient, workload: "mlp-128 (dX, not needed)"),
        .init(m: 64, k: 128, n: 10, form: .forward, workload: "mlp-128"),
        .init(m: 128, k: 64, n: 10, form: .weightGradient, workload: "mlp-128"),
        .init(m: 64, k: 10, n: 128, form: .inputGradient, workload: "mlp-128"),
        .init(m: 32, k: 784, n: 100, form: .forward, workload: "seed-sigmoid"),
        .init(m: 784, k: 32, n: 100, form: .weightGradient, workload: "seed-sigmoid"),
        .init(m: 32, k: 100, n: 10, form: .forward, workload: "seed-sigmoid"),
        .init(m: 100, k: 32, n: 10, form: .weightGradient, workload: "seed-sigmoid"),
        .init(m: 32, k: 10, n: 100, form: .inputGradient, workload: "seed-sigmoid"),
        .init(m: 128, k: 784, n: 1024, form: .forward, workload: "mlp-wide"),
        .init(m: 784, k: 128, n: 1024, form: .weightGradient, workload: "mlp-wide"),
        .init(m: 128, k: 1024, n: 1024, form: .forward, workload: "mlp-wide"),
        .init(m: 1024, k: 128, n: 1024, form: .weightGradient, workload: "mlp-wide"),
        .init(m: 128, k: 1024, n: 1024, form: .inputGradient, workload: "mlp-wide"),
        .init(m: 128, k: 1024, n: 10, form: .forward, workload: "mlp-wide"),
        .init(m: 1024, k: 128, n: 10, form: .weightGradient, workload: "mlp-wide"),
        .init(m: 128, k: 10, n: 1024, form: .inputGradient, workload: "mlp-wide"),
        .init(m: 256, k: 256, n: 256, form: .forward, workload: "square"),
        .init(m: 512, k: 512, n: 512, form: .forward, workload: "square"),
        .init(m: 1024, k: 1024, n: 1024, form: .forward, workload: "square"),
        .init(m: 2048, k: 2048, n: 2048, form: .forward, workload: "square"),
    ]

    struct Row: Encodable {
        let shape: String
        let form: String
        let workload: String
        let threads: Int
        let gflops: Double
        let percentOfPeak: Double
        let maxError: Double
    }

    static func run(json: Bool, quick: Bool, threadCounts: [Int]) {
        let peak = median((0..<3).map { _ in PeakProbe.fmaGFLOPs(iterations: quick ? 2_000_000 : 20_000_000) })
        let cores = ProcessInfo.processInfo.activeProcessorCount
        if !json {
            print(String(format: "FMA peak (register-only probe, 1 thread): %.1f GFLOP/s; with T threads the peak is T × that (T ≤ %d cores)", peak, cores))
            print("shape (M×K×N)     form     workload                  " + threadCounts.map { "  \($0)T GFLOP/s  % peak" }.joined() + "  max |err|")
        }
        var rows: [Row] = []
        let pools = threadCounts.map { $0 > 1 ? ThreadPool(threadCount: $0) : nil }
        for shape in shapes where !(quick && shape.m * shape.n * shape.k > 300_000_000) {
            var line = "\(shape.m)×\(shape.k)×\(shape.n)".padding(toLength: 18, withPad: " ", startingAt: 0)
                + shape.form.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)
                + shape.workload.padding(toLength: 26, withPad: " ", startingAt: 0)
            var worst = 0.0
            for (threads, pool) in zip(threadCounts, pools) {
                let (gflops, error) = measure(shape, seconds: quick ? 0.05 : 0.3, pool: pool)
                let rowPeak = peak * Double(min(threads, cores))
                rows.append(Row(
                    shape: "\(shape.m)×\(shape.k)×\(shape.n)", form: shape.form.rawValue, workload: shape.workload,
                    threads: threads, gflops: gflops, percentOfPeak: 100 * gflops / rowPeak, maxError: error))
                worst = max(worst, error)
                line += String(format: "  %11.1f  %5.1f%%", gflops, 100 * gflops / rowPeak)
            }
            if !json { print(line + String(format: "  %.1e", worst)) }
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

    /// Verifies the shape against the reference, then times it: the median GFLOP/s of 5 runs of
    /// enough repetitions to last `seconds / 5` each.
    static func measure(_ shape: GEMMShape, seconds: Double, pool: ThreadPool?) -> (gflops: Double, maxError: Double) {
        let (m, n, k) = (shape.m, shape.n, shape.k)
        var generator = SplitMix64(seed: 1)
        func values(_ count: Int) -> [Float] { (0..<count).map { _ in Float(generator.next() >> 40) * 0x1p-23 - 1 } }
        let a = values(m * k), b = values(k * n), bias = values(n)
        var c = [Float](repeating: 0, count: m * n)
        let workspace = GEMMWorkspace(pool: pool)
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                bias.withUnsafeBufferPointer { bias in
                    c.withUnsafeMutableBufferPointer { c in
                        let opA: MatrixOperand, opB: MatrixOperand
                        switch shape.form {
                        case .forward:
                            opA = MatrixOperand(rowMajor: a.baseAddress!, leadingDimension: k)
                            opB = MatrixOperand(rowMajor: b.baseAddress!, leadingDimension: n)
                        case .weightGradient:
                            opA = MatrixOperand(rowMajor: a.baseAddress!, leadingDimension: m).transposed
                            opB = MatrixOperand(rowMajor: b.baseAddress!, leadingDimension: n)
                        case .inputGradient:
                            opA = MatrixOperand(rowMajor: a.baseAddress!, leadingDimension: k)
                            opB = MatrixOperand(rowMajor: b.baseAddress!, leadingDimension: k).transposed
                        }
                        let epilogue: Epilogue =
                            shape.form == .forward ? .biasActivation(bias: bias.baseAddress!, activation: .relu) : .store
                        // Verify on the full shape, except the largest squares (sampled rows).
                        gemm(m: m, n: n, k: k, a: opA, b: opB, c: c.baseAddress!, ldc: n, epilogue: epilogue, workspace: workspace)
                        let checkRows = m * n * k > 300_000_000 ? Array(stride(from: 0, to: m, by: 97)) : Array(0..<m)
                        var reference = [Float](repeating: 0, count: n)
                        var worst = 0.0
                        for i in checkRows {
                            let rowA = MatrixOperand(base: opA.base + i * opA.rowStride, rowStride: opA.rowStride, columnStride: opA.columnStride)
                            reference.withUnsafeMutableBufferPointer {
                                Reference.gemm(m: 1, n: n, k: k, a: rowA, b: opB, c: $0.baseAddress!, ldc: n, epilogue: epilogue)
                            }
                            for j in 0..<n { worst = max(worst, Double(abs(reference[j] - c[i * n + j]))) }
                        }
                        if worst > 1e-3 * Double(k).squareRoot() {
                            FileHandle.standardError.write(Data("FAILED verification: \(m)×\(k)×\(n) \(shape.form.rawValue) max error \(worst)\n".utf8))
                            exit(1)
                        }
                        let flops = 2 * Double(m) * Double(n) * Double(k)
                        let once = time {
                            gemm(m: m, n: n, k: k, a: opA, b: opB, c: c.baseAddress!, ldc: n, epilogue: epilogue, workspace: workspace)
                        }
                        let repetitions = max(1, Int(seconds / 5 / max(once, 1e-7)))
                        let samples = (0..<5).map { _ in
                            time {
                                for _ in 0..<repetitions {
                                    gemm(m: m, n: n, k: k, a: opA, b: opB, c: c.baseAddress!, ldc: n, epilogue: epilogue, workspace: workspace)
                                }
                            } / Double(repetitions)
                        }
                        blackHole(c)
                        return (flops / median(samples) / 1e9, worst)
                    }
                }
            }
        }
    }
}
