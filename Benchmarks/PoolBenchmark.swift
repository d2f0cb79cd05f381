@_spi(Benchmarks) import FastMLP
import Foundation

/// Fork/join cost of the thread pool: regions of two tiny tasks separated by a short serial gap,
/// as in a training step.
enum PoolBenchmark {
    static func run(arguments: [String]) {
        let threads = EpochBenchmark.value("--threads", in: arguments).flatMap(Int.init) ?? 2
        let gap = EpochBenchmark.value("--gap", in: arguments).flatMap(Int.init) ?? 2000
        let pool = ThreadPool(threadCount: threads)
        var sink: Float = 0
        for round in 0..<5 {
            let regions = 20_000
            var spin: Float = 1
            let seconds = time {
                for _ in 0..<regions {
                    pool.run(tasks: threads) { _, _ in
                        var x: Float = 1
                        for _ in 0..<200 { x = x * 1.000001 + 1e-7 }
                        blackHole(x)
                    }
                    for _ in 0..<gap { spin = spin * 1.000001 + 1e-7 }
                }
            }
            let gapOnly = time { for _ in 0..<(regions * gap) { spin = spin * 1.000001 + 1e-7 } }
            sink += spin
            print(String(format: "round %d: %.2f µs per region + gap, gap alone %.2f µs", round, seconds / Double(regions) * 1e6, gapOnly / Double(regions) * 1e6))
        }
        blackHole(sink)
    }
}
