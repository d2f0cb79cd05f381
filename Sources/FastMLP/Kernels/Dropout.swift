/// The inverted-dropout mask of one layer in one training step: each unit of the layer's output
/// is kept with probability `keep` and then scaled by 1/`keep`, or zeroed.
///
/// The mask is not stored: a unit's fate is a hash of (seed, row, column), computed again in the
/// backward product's epilogue. So dropout costs no memory, gives the same mask for any thread
/// split, and needs no generator state in checkpoints — the seed is derived from the run's
/// seed, the step and the layer (``seed(run:step:layer:)``).
@_spi(Benchmarks)
public struct DropoutMask: Sendable, Equatable {
    let seed: UInt32
    /// The probability of keeping a unit (1 − the dropout rate).
    let keep: Float
    /// The width of the layer's output (the row stride of the mask).
    let width: Int
    /// The mask coordinates of the tile's (0, 0) element, set per tile by the GEMM.
    var originRow = 0
    var originColumn = 0

    /// A mask with the given seed, keep probability and layer width.
    public init(seed: UInt32, keep: Float, width: Int) {
        self.seed = seed
        self.keep = keep
        self.width = width
    }

    /// The seed of layer `layer`'s mask in step `step` of a run seeded with `run`.
    public static func seed(run: UInt64, step: Int, layer: Int) -> UInt32 {
        let mixed = UInt32(truncatingIfNeeded: run) ^ hash(UInt32(truncatingIfNeeded: run >> 32) &+ 0x9E37_79B9)
        return hash(mixed ^ hash(UInt32(truncatingIfNeeded: step) &+ hash(UInt32(truncatingIfNeeded: step >> 32)))
            ^ hash(UInt32(layer) &* 0x85EB_CA6B &+ 1))
    }

    /// This mask shifted to a tile whose (0, 0) element is at (`row`, `column`).
    @inline(__always) func offset(row: Int, column: Int) -> DropoutMask {
        var copy = self
        copy.originRow += row
        copy.originColumn += column
        return copy
    }

    /// The factors (0 or 1/keep) of the 16 units from (`row`, `column`) along the row.
    @inline(__always) func factors(row: Int, column: Int) -> Vector {
        let first = UInt32(truncatingIfNeeded: (originRow + row) * width + originColumn + column)
        let lanes = SIMD16<UInt32>(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) &+ first
        let bits = Self.hash(lanes ^ seed) &>> 8
        let uniform = Vector(SIMD16<Int32>(truncatingIfNeeded: bits)) * 0x1p-24
        return Vector(repeating: 0).replacing(with: 1 / keep, where: uniform .< keep)
    }

    /// The factor of one unit; the scalar twin of ``factors(row:column:)``, for the reference.
    public func factor(row: Int, column: Int) -> Float {
        let bits = Self.hash(UInt32(truncatingIfNeeded: row * width + column) ^ seed) >> 8
        return Float(Int32(bits)) * 0x1p-24 < keep ? 1 / keep : 0
    }

    /// A 32-bit integer hash with good avalanche (Wellons' "lowbias32").
    @inline(__always) static func hash(_ value: UInt32) -> UInt32 {
        var x = value
        x ^= x >> 16
        x = x &* 0x7FEB_352D
        x ^= x >> 15
        x = x &* 0x846C_A68B
        x ^= x >> 16
        return x
    }

    @inline(__always) static func hash(_ value: SIMD16<UInt32>) -> SIMD16<UInt32> {
        var x = value
        x ^= x &>> 16
        x = x &* 0x7FEB_352D
        x ^= x &>> 15
        x = x &* 0x846C_A68B
        x ^= x &>> 16
        return x
    }
}

/// Inverted dropout for one training step: `rate` of every hidden layer's units are zeroed and
/// the rest scaled by 1/(1 − rate), with masks derived from (run seed, step, layer).
struct Dropout {
    let rate: Float
    let runSeed: UInt64
    let step: Int

    func mask(layer: Int, width: Int) -> DropoutMask {
        DropoutMask(seed: DropoutMask.seed(run: runSeed, step: step, layer: layer), keep: 1 - rate, width: width)
    }
}
