@_spi(Benchmarks) import FastMLP
import Foundation

/// Fork/join cost of a parallel region on each backend (the pool's own workers, Dispatch's
/// `concurrentPerform`): regions of one tiny task per thread separated by a short serial gap, as
/// in a training step. The cost of a region is the time per region + gap minus the gap alone.
enum PoolBenchmark {
    static func run(arguments: [String]) {
        let threads = EpochBenchmark.value("--threads", in: arguments).flatMap(Int.init) ?? 2
        let gap = EpochBenchmark.value("--gap", in: arguments).flatMap(Int.init) ?? 2000
        let rounds = 5, regions = 20_000
        var sink: Float = 0
        print("\(threads) threads, \(regions) regions per round, median of \(rounds) rounds")
        for backend in ThreadPool.Backend.allCases {
            let pool = ThreadPool(threadCount: threads, backend: backend)
            var costs: [Double] = []
            for _ in 0..<rounds {
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
                costs.append((seconds - gapOnly) / Double(regions) * 1e6)
            }
            print(String(format: "%@  %.2f µs per region (rounds: %@)", backend.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0),
                         median(costs), costs.map { String(format: "%.2f", $0) }.joined(separator: " ")))
        }
        blackHole(sink)
    }
}
