import CPUFeatures

/// Blocking parameters of the GEMM, in the BLIS naming, chosen at compile time from the target
/// CPU's features (see `Sources/CPUFeatures`).
///
/// - `mr × nr`: the register tile. With AVX-512 (32 vector registers, two 512-bit FMA pipes of
///   latency 4 on Zen 4/5) it is 8 × 32: 16 zmm accumulators keep both pipes busy through the
///   latency, two zmm hold a row of B, and A is broadcast from memory into the FMAs. Otherwise
///   it is 6 × 16: 12 ymm accumulators, 2 for B, 1 broadcast — the 16 ymm registers of AVX2.
/// - `kc`: depth of one pass; a kc × nr slice of B (32 KiB at 8 × 32) stays in the 48 KiB L1
///   while the row tiles of A stream past it.
/// - `mc`: the most rows of A one task covers; mc × kc (128 KiB) stays in the 1 MiB L2.
enum KernelConfig {
    static let wideKernel = FASTMLP_HAS_AVX512F != 0
    static let mr = wideKernel ? 8 : 6
    static let nr = wideKernel ? 32 : 16
    /// The skinny tile for n ≤ 16 with 32 vector registers: 16 × 16 (see ``microKernel16x16``).
    static let skinnyMR = 16
    static let skinnyNR = 16
    static let kc = 256
    static let mc = 128
    /// The most columns of C one tile of ``gemmSerial(m:n:k:a:b:c:ldc:epilogue:zeroSteps:scratch:)``
    /// covers over all its passes: mc × nc (128 KiB) stays in L2 between passes; a whole multiple
    /// of `panelGroup` panels. (`mlp-wide`, one thread, family 25, `epoch --breakdown`, 3 runs
    /// alternating: the 1024 × 1024 layer's forward and deltas products 6.77–7.70 ms a step
    /// with all 1024 columns per pass, 6.34–6.93 with nc 256; against the weight gradients of the
    /// same runs, which nc does not touch, 2.41 → 2.22; nc 128: 2.23, 512: 2.30.)
    static let nc = 256
    /// Whole B panels packed together when B must be packed and its rows are contiguous: 4
    /// panels, 512 bytes of each step (8 measured no faster, 16 slower).
    static let panelGroup = 4

    /// Floats of one thread's scratch: `panelGroup` kc × nr panels of B, the step lists of the row slivers
    /// of an mc-row tile (``StepLists``), then an mc × kc block of A packed in slivers; or the
    /// lists of the sparse weight gradient; or the sparse forward product's accumulators.
    static let scratchCount = max(
        kc * nr * panelGroup + StepLists.size + mc * kc, SparseGradientScratch.size, SparseForwardScratch.size)

    /// Whether the CPU issues one 512-bit FMA a cycle rather than two (Zen 4, found by `cpuid`),
    /// which makes FMAs rather than loads the limit of the sparse forward product: there a
    /// panel of 97 to 112 columns runs pairs of images, each over its own nonzero inputs, rather
    /// than slivers of 3 over the union of theirs (see ``sparseForwardCovers(columns:)``).
    static let halfRateWideFMA = wideKernel && fastmlp_amd_family25() != 0

    /// Whether this build emits a fused multiply-add instruction (decided by `-target-cpu`).
    static let hasFMA = FASTMLP_HAS_FMA != 0

    /// Products with fewer multiply-adds than this run on the calling thread: below it the
    /// fork/join costs more than it saves.
    static let parallelThreshold = 1 << 18
    /// Tasks per thread a parallel product aims for, so that uneven tiles still balance.
    static let tasksPerThread = 4
}
