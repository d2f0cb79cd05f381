import CPUFeatures

/// The floating-point mode fastmlp computes in: subnormal numbers are flushed to zero, as
/// results (FTZ) and as operands (DAZ), as XLA does on CPU.
///
/// A subnormal operand or result costs a microcode assist on Intel cores. Training makes them as
/// a matter of course: a momentum velocity whose gradient stays zero (the weights of a pixel that
/// is never lit) decays geometrically through the subnormal range, and on a family 6 model 207
/// Xeon that made the optimiser's pass over mlp-128's parameters 10× slower (214 → 22 µs a step,
/// see Benchmarks/HISTORY.md; on AMD family 25 the same pass took 13 µs unflushed). Flushed, such
/// a value becomes zero instead (the README's mlp-128 run saves the same model bytes either way:
/// a step that small leaves a weight of ordinary size as it is).
///
/// Training steps and inference run inside ``withSubnormalsFlushed(_:)``; a ``ThreadPool``'s
/// workers run each region's tasks in the calling thread's mode (its control word without the
/// exception flags), so that which thread computes a tile never changes its bits. The caller's
/// own mode is restored on return, so an application embedding the library keeps its own. On
/// architectures other than x86-64 the mode is left as it is.
enum FloatControl {
    /// This thread's whole control word (MXCSR on x86-64; 0 elsewhere).
    static var current: UInt32 {
        get { fastmlp_float_control() }
        set { fastmlp_set_float_control(newValue) }
    }

    /// The exception flags of the control word, which arithmetic raises and which change no result.
    static let statusBits = fastmlp_float_status_bits()

    /// The control word's flush-to-zero and denormals-are-zero bits (0 where there are none).
    static let subnormalFlushBits = fastmlp_subnormal_flush_bits()

    /// This thread's mode: its control word without the exception flags. Setting it leaves the
    /// flags as they are.
    static var mode: UInt32 {
        get { current & ~statusBits }
        set { current = current & statusBits | newValue & ~statusBits }
    }

    /// Runs `body` on this thread in the mode `mode`, then restores the thread's own.
    @inline(__always)
    static func with<T, E: Error>(mode: UInt32, _ body: () throws(E) -> T) throws(E) -> T {
        let previous = self.mode
        if previous != mode { self.mode = mode }
        defer { if previous != mode { self.mode = previous } }
        return try body()
    }

    /// Runs `body` with subnormals flushed to zero on this thread, then restores the thread's mode.
    @inline(__always)
    static func withSubnormalsFlushed<T, E: Error>(_ body: () throws(E) -> T) throws(E) -> T {
        try with(mode: mode | subnormalFlushBits, body)
    }
}
