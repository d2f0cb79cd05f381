import CPUFeatures

/// Blocking parameters of the GEMM, in the BLIS naming.
///
/// - `mr × nr`: the register tile of the micro-kernel (6 rows × 16 columns: 12 ymm accumulators,
///   2 ymm for a row of B and one broadcast register fit the 16 ymm registers of AVX2).
/// - `kc`: depth of a packed panel; a kc × nr panel of B (16 KiB) stays in the 48 KiB L1.
/// - `mc`: rows of A packed at once; mc × kc (96 KiB) stays in L2.
/// - `nc`: columns of B packed at once; kc × nc stays in L2/L3.
enum KernelConfig {
    static let mr = 6
    static let nr = 16
    static let kc = 256
    static let mc = 96
    static let nc = 2048

    /// Whether this build emits a fused multiply-add instruction (decided by `-target-cpu`).
    static let hasFMA = FASTMLP_HAS_FMA != 0
}
