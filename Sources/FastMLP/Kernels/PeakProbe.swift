import CPUFeatures

/// Measures the FP32 fused-multiply-add peak of one core: a loop of independent vector FMAs
/// on registers only (no loads or stores), the ceiling any kernel on this CPU can approach.
@_spi(Benchmarks)
public enum PeakProbe {
    /// GFLOP/s (2 per multiply-add) of `iterations` rounds of independent 16-lane FMAs: 12
    /// chains with 32 vector registers (AVX-512), 6 (12 ymm) with 16, so that nothing spills.
    public static func fmaGFLOPs(iterations: Int = 20_000_000) -> Double {
        let start = ContinuousClock.now
        let sink = KernelConfig.wideKernel ? fmaLoop12(iterations: iterations) : fmaLoop6(iterations: iterations)
        let elapsed = start.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        blackHole(sink)
        return 2 * 16 * (KernelConfig.wideKernel ? 12 : 6) * Double(iterations) / seconds / 1e9
    }

    /// The core's clock in GHz, from a chain of dependent integer additions (one cycle each), or
    /// `nil` where there is no such chain (not x86-64). Turns a kernel's time into cycles.
    public static func clockGHz(rounds: Int = 25_000_000) -> Double? {
        let start = ContinuousClock.now
        let end = fastmlp_add_chain(UInt64(rounds))
        let elapsed = start.duration(to: .now)
        blackHole(end)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        #if arch(x86_64)
        return 8 * Double(rounds) / seconds / 1e9
        #else
        return nil
        #endif
    }

    @inline(never)
    static func fmaLoop6(iterations: Int) -> Float {
        let b = Vector(repeating: 0.999_999), c = Vector(repeating: 1e-7)
        var a0 = Vector(repeating: 1), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
        for _ in 0..<iterations {
            a0 = c.multiplyAdd(a0, b); a1 = c.multiplyAdd(a1, b); a2 = c.multiplyAdd(a2, b)
            a3 = c.multiplyAdd(a3, b); a4 = c.multiplyAdd(a4, b); a5 = c.multiplyAdd(a5, b)
        }
        return (a0 + a1 + a2 + a3 + a4 + a5).sum()
    }

    @inline(never)
    static func fmaLoop12(iterations: Int) -> Float {
        let b = Vector(repeating: 0.999_999), c = Vector(repeating: 1e-7)
        var a0 = Vector(repeating: 1), a1 = a0 + 1, a2 = a0 + 2, a3 = a0 + 3, a4 = a0 + 4, a5 = a0 + 5
        var a6 = a0 + 6, a7 = a0 + 7, a8 = a0 + 8, a9 = a0 + 9, a10 = a0 + 10, a11 = a0 + 11
        for _ in 0..<iterations {
            a0 = c.multiplyAdd(a0, b); a1 = c.multiplyAdd(a1, b); a2 = c.multiplyAdd(a2, b)
            a3 = c.multiplyAdd(a3, b); a4 = c.multiplyAdd(a4, b); a5 = c.multiplyAdd(a5, b)
            a6 = c.multiplyAdd(a6, b); a7 = c.multiplyAdd(a7, b); a8 = c.multiplyAdd(a8, b)
            a9 = c.multiplyAdd(a9, b); a10 = c.multiplyAdd(a10, b); a11 = c.multiplyAdd(a11, b)
        }
        let sum = a0 + a1 + a2 + a3 + a4 + a5 + a6 + a7 + a8 + a9 + a10 + a11
        return sum.sum()
    }
}

/// Keeps a value alive so that the optimiser cannot delete the work that produced it.
@_spi(Benchmarks)
@inline(never)
public func blackHole<T>(_ value: T) {
    withExtendedLifetime(value) {}
}
