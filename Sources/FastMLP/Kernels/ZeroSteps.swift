import CPUFeatures

// Skipping the zero inputs of the first layer exactly: the steps of a product at which a sliver
// of A is zero, and how dense a batch is.

/// For each row sliver of an A tile, the steps of one kc pass at which any row of the sliver is
/// nonzero, ascending and counted from the pass's first step. A step left out adds an exact zero
/// to every accumulator of the sliver (a running sum from +0 is never −0, so adding ±0 changes no
/// bit), so the product over the listed steps is bitwise the product over all of them.
///
/// Lives in the thread's GEMM scratch, after the panel of B: for each of the mc / mr slivers a
/// count and kc indices.
struct StepLists {
    static let slivers = KernelConfig.mc / KernelConfig.mr
    /// Floats of scratch the lists take (Int32 and Float have the same size).
    static let size = slivers * (KernelConfig.kc + 1)

    private let base: UnsafeMutablePointer<Int32>

    init(_ memory: UnsafeMutableRawPointer) {
        base = memory.bindMemory(to: Int32.self, capacity: Self.size)
    }

    @inline(__always) func count(_ sliver: Int) -> Int { Int(base[sliver * (KernelConfig.kc + 1)]) }
    @inline(__always) func steps(_ sliver: Int) -> UnsafePointer<Int32> {
        UnsafePointer(base + sliver * (KernelConfig.kc + 1) + 1)
    }

    /// Lists, for each sliver of `sliverRows` rows of `rows`, the nonzero steps of
    /// `step ..< step + depth`. A must have contiguous rows (steps along a row) or contiguous
    /// columns (a sliver's rows side by side at each step).
    func build(_ a: MatrixOperand, rows: Range<Int>, step: Int, depth: Int, sliverRows mr: Int) {
        var sliver = 0
        var i = rows.lowerBound
        while i < rows.upperBound {
            let height = min(mr, rows.upperBound - i)
            let list = base + sliver * (KernelConfig.kc + 1) + 1
            let origin = a.base + i * a.rowStride + step * a.columnStride
            var n = 0
            if a.columnStride == 1 {
                // Steps run along each row: OR the rows 16 steps at a time into a bit mask.
                var p = 0
                while p + Vector.scalarCount <= depth {
                    var mask = fastmlp_nonzero_steps16(origin + p, a.rowStride, Int32(height))
                    while mask != 0 {
                        list[n] = Int32(p + mask.trailingZeroBitCount)
                        n += 1
                        mask &= mask - 1
                    }
                    p += Vector.scalarCount
                }
                while p < depth {
                    var nonzero = false
                    for r in 0..<height where origin[r * a.rowStride + p] != 0 { nonzero = true }
                    list[n] = Int32(p)
                    n &+= nonzero ? 1 : 0
                    p += 1
                }
            } else {
                // The sliver's rows sit side by side at each step.
                for p in 0..<depth {
                    let source = origin + p * a.columnStride
                    var nonzero: Bool
                    if height == 8 {
                        nonzero = fastmlp_any_nonzero8(source) != 0
                    } else {
                        nonzero = false
                        for r in 0..<height where source[r] != 0 { nonzero = true }
                    }
                    list[n] = Int32(p)
                    n &+= nonzero ? 1 : 0
                }
            }
            list[-1] = Int32(n)
            sliver += 1
            i += mr
        }
    }
}

/// The number of nonzero floats among `count` at `x` (±0 count as zero).
func countNonzeros(_ x: UnsafePointer<Float>, count: Int) -> Int {
    var counts = SIMD16<Int32>()
    var i = 0
    while i + Vector.scalarCount <= count {
        let v = UnsafeRawPointer(x + i).loadUnaligned(as: Vector.self)
        counts &+= SIMD16<Int32>().replacing(with: 1, where: v .!= 0)
        i += Vector.scalarCount
    }
    var total = Int(counts.wrappedSum())
    while i < count {
        if x[i] != 0 { total += 1 }
        i += 1
    }
    return total
}
