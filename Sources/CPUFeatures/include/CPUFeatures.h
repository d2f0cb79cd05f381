#ifndef FASTMLP_CPU_FEATURES_H
#define FASTMLP_CPU_FEATURES_H

// The instruction-set features the Swift code is being compiled for. The Swift compiler's
// Clang importer sees the same target CPU as the Swift code (`-target-cpu`), so these constants
// tell Swift at compile time whether a fused multiply-add is a single instruction and how many
// vector registers the micro-kernel may use.
#if defined(__FMA__) || defined(__aarch64__) || defined(__ARM_FEATURE_FMA)
#define FASTMLP_HAS_FMA 1
#else
#define FASTMLP_HAS_FMA 0
#endif

#if defined(__AVX512F__)
#define FASTMLP_HAS_AVX512F 1
#else
#define FASTMLP_HAS_AVX512F 0
#endif

#if defined(__AVX2__)
#define FASTMLP_HAS_AVX2 1
#else
#define FASTMLP_HAS_AVX2 0
#endif

/// The CPU's spin-wait hint (`pause` on x86, `yield` on ARM): lets the other hardware thread
/// and the memory system breathe while a thread polls a flag.
static inline void fastmlp_spin_pause(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

/// Asks for the cache line holding `address` to be brought into L2 ahead of use (`prefetcht1`);
/// a hint only, never a fault.
static inline void fastmlp_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 2);
}

/// Asks for the cache line holding `address` in a state it may be written in (`prefetchw`):
/// a hint only, never a fault.
static inline void fastmlp_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// Bit i of the result is set when the float p[i] is nonzero (±0 count as zero), for the 16
/// floats at `p`: one compare into a mask register with AVX-512.
static inline __attribute__((always_inline)) unsigned fastmlp_nonzero_mask16(const float *p) {
    typedef unsigned int u32x16 __attribute__((ext_vector_type(16)));
    typedef _Bool bool16 __attribute__((ext_vector_type(16)));
    u32x16 v;
    __builtin_memcpy(&v, p, sizeof v);
    bool16 nonzero = __builtin_convertvector((v & 0x7fffffffu) != 0, bool16);
    unsigned short mask;
    __builtin_memcpy(&mask, &nonzero, sizeof mask);
    return mask;
}

/// Bit i of the result is set when the byte p[i] has one of the bits of `select`, for the 64
/// bytes at `p`.
static inline __attribute__((always_inline)) unsigned long long fastmlp_nonzero_mask64_bytes_and(
    const unsigned char *p, unsigned char select) {
    typedef unsigned char u8x64 __attribute__((ext_vector_type(64)));
    typedef _Bool bool64 __attribute__((ext_vector_type(64)));
    u8x64 v;
    __builtin_memcpy(&v, p, sizeof v);
    bool64 nonzero = __builtin_convertvector((v & select) != 0, bool64);
    unsigned long long mask;
    __builtin_memcpy(&mask, &nonzero, sizeof mask);
    return mask;
}

/// Transposes an 8 × 8 block of bytes: byte c of row r (8 bytes at `in + r·inStride`) goes to byte r
/// of row c (at `out + c·outStride`). One permute of a 64-byte vector (`vpermb` with AVX-512 VBMI).
static inline __attribute__((always_inline)) void fastmlp_transpose8x8_bytes(
    const unsigned char *in, long inStride, unsigned char *out, long outStride) {
    typedef unsigned char u8x64 __attribute__((ext_vector_type(64)));
    u8x64 v;
    for (int r = 0; r < 8; r++) __builtin_memcpy((unsigned char *)&v + 8 * r, in + r * inStride, 8);
    u8x64 t = __builtin_shufflevector(v, v,
        0, 8, 16, 24, 32, 40, 48, 56, 1, 9, 17, 25, 33, 41, 49, 57,
        2, 10, 18, 26, 34, 42, 50, 58, 3, 11, 19, 27, 35, 43, 51, 59,
        4, 12, 20, 28, 36, 44, 52, 60, 5, 13, 21, 29, 37, 45, 53, 61,
        6, 14, 22, 30, 38, 46, 54, 62, 7, 15, 23, 31, 39, 47, 55, 63);
    for (int c = 0; c < 8; c++) __builtin_memcpy(out + c * outStride, (unsigned char *)&t + 8 * c, 8);
}

/// Writes `first + i` for every set bit i of `mask`, ascending, to `out`; returns how many. With
/// AVX-512 without a branch per bit: each 16 bits compress a vector of indices in a register
/// (`vpcompressd`, not its slow form that stores to memory), which is stored whole, so `out` needs
/// room for 16 entries past the count.
static inline __attribute__((always_inline)) int fastmlp_set_bit_indices64(
    unsigned long long mask, int first, int *out) {
#if defined(__AVX512F__)
    typedef int i32x16 __attribute__((ext_vector_type(16)));
    const i32x16 iota = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
    const i32x16 zero = {0};
    int count = 0;
    for (int chunk = 0; chunk < 4; chunk++) {
        unsigned short bits = (unsigned short)(mask >> (16 * chunk));
        if (bits == 0) continue;
        i32x16 indices = iota + (first + 16 * chunk);
        i32x16 packed = __builtin_ia32_compresssi512_mask(indices, zero, bits);
        __builtin_memcpy(out + count, &packed, sizeof packed);
        count += __builtin_popcount(bits);
    }
    return count;
#else
    int count = 0;
    while (mask != 0) {
        out[count++] = first + __builtin_ctzll(mask);
        mask &= mask - 1;
    }
    return count;
#endif
}

/// Sixteen floats, imported into Swift as SIMD16<Float>.
typedef float fastmlp_float16 __attribute__((ext_vector_type(16)));

/// Stores 16 floats at the 64-byte-aligned `p` without first reading the line into the cache,
/// and without keeping it there (`vmovntps`): for copies too large to be in a cache when they
/// are next read. Other threads may read them only after `fastmlp_store_fence`.
static inline __attribute__((always_inline)) void fastmlp_stream16(float *p, fastmlp_float16 v) {
    __builtin_nontemporal_store(v, (fastmlp_float16 *)p);
}

/// Stores the first `count` (0 to 16) of the 16 floats of `v` at `p`, touching no byte past them:
/// one masked store with AVX-512, a loop otherwise.
static inline __attribute__((always_inline)) void fastmlp_store16_first(float *p, fastmlp_float16 v, int count) {
#if defined(__AVX512F__)
    __builtin_ia32_storeups512_mask(p, v, (unsigned short)((1u << count) - 1));
#else
    for (int i = 0; i < count; i++) p[i] = v[i];
#endif
}

/// The first `count` (0 to 16) floats at `p` and zeros after them, reading no byte past them:
/// one masked load with AVX-512, a loop otherwise.
static inline __attribute__((always_inline)) fastmlp_float16 fastmlp_load16_first(const float *p, int count) {
#if defined(__AVX512F__)
    const fastmlp_float16 zero = {0};
    return __builtin_ia32_loadups512_mask(p, zero, (unsigned short)((1u << count) - 1));
#else
    fastmlp_float16 v = {0};
    for (int i = 0; i < count; i++) v[i] = p[i];
    return v;
#endif
}

/// Orders the streaming stores before it before any store after it (`sfence`).
static inline void fastmlp_store_fence(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_sfence();
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/// The square root of every lane, as one vector instruction where the target has one (Swift's
/// SIMD `squareRoot()` calls the C library once per lane). Compiled by Swift's Clang importer for
/// the same target CPU as the Swift code, and inlined into it.
static inline __attribute__((always_inline)) fastmlp_float16 fastmlp_sqrt16(fastmlp_float16 x) {
    return __builtin_elementwise_sqrt(x);
}

/// Whether this is an AMD CPU of family 25 (0x19: Zen 3 and Zen 4), from `cpuid`; 0 elsewhere.
/// With AVX-512 that is Zen 4, whose 512-bit FMAs issue one a cycle (two 256-bit halves), where
/// Zen 5 (family 26) issues two.
int fastmlp_amd_family25(void);

/// A no-op so that the target has an object file.
int fastmlp_cpu_features_version(void);

/// Runs a chain of `rounds` × 8 dependent integer additions, one cycle each on every x86-64
/// core, and returns the chain's end; timing it gives the core's clock. 0 rounds on other
/// architectures (no clock measured).
unsigned long long fastmlp_add_chain(unsigned long long rounds);

/// This thread's floating-point control word: MXCSR on x86-64 (rounding, exception masks, and
/// the flush-to-zero and denormals-are-zero bits); 0 on other architectures.
static inline unsigned fastmlp_float_control(void) {
#if defined(__x86_64__)
    return __builtin_ia32_stmxcsr();
#else
    return 0;
#endif
}

/// Sets this thread's floating-point control word (a value read by `fastmlp_float_control`).
static inline void fastmlp_set_float_control(unsigned control) {
#if defined(__x86_64__)
    __builtin_ia32_ldmxcsr(control);
#else
    (void)control;
#endif
}

/// The control word's sticky exception flags (bits 0–5 of MXCSR), which arithmetic sets as it
/// goes and which change no result; 0 on other architectures.
static inline unsigned fastmlp_float_status_bits(void) {
#if defined(__x86_64__)
    return 0x3Fu;
#else
    return 0;
#endif
}

/// The control word's bits that flush subnormal results to zero (FTZ, bit 15) and read
/// subnormal operands as zero (DAZ, bit 6); 0 on other architectures.
static inline unsigned fastmlp_subnormal_flush_bits(void) {
#if defined(__x86_64__)
    return 0x8040u;
#else
    return 0;
#endif
}

#endif
