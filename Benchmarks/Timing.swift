@_spi(Benchmarks) import FastMLP
import Foundation

/// Wall-clock seconds of `body`.
func time(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    let elapsed = start.duration(to: .now)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

/// The median, as the library's epoch timing computes it.
func median(_ values: [Double]) -> Double { EpochTiming.median(values) }

/// Whether this binary was built with optimisation; timing a debug build measures nothing useful.
var isDebugBuild: Bool {
    #if DEBUG
    return true
    #else
    return false
    #endif
}

func warnIfDebug() {
    if isDebugBuild {
        let line = String(repeating: "!", count: 78)
        FileHandle.standardError.write(Data("""
            \(line)
            WARNING: this is a DEBUG build; its timings are meaningless.
            Build with: swift run -c release -Xswiftc -target-cpu -Xswiftc native fastmlp-benchmarks ...
            \(line)

            """.utf8))
    }
}
