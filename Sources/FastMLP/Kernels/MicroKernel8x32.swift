/// The 8 × 32 register tile for CPUs with 32 vector registers (AVX-512):
/// C[0..<8, 0..<32] (+)= A·B over `kc` steps, then the epilogue.
///
/// Operands as in ``microKernel6x16``, with 32-float steps of B. Per step: two 16-wide loads of
/// B, eight broadcasts of A and sixteen 16-wide FMAs into 16 zmm accumulators — enough
/// independent chains to fill two FMA pipes of latency 4.
///
/// With `steps`, only the `kc` steps listed there (ascending, from the pass's first step) are
/// taken: the steps at which every row of this sliver of A is zero, whose products add exact
/// zeros, are left out (see ``StepLists``).
@inline(__always)
func microKernel8x32(
    kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
    b: UnsafePointer<Float>, bRowStride: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, loadC: Bool, finish: Epilogue,
    steps: UnsafePointer<Int32>? = nil
) {
    let a0 = a
    let a1 = rows > 1 ? a + aRowStride : a
    let a2 = rows > 2 ? a + 2 * aRowStride : a
    let a3 = rows > 3 ? a + 3 * aRowStride : a
    let a4 = rows > 4 ? a + 4 * aRowStride : a
    let a5 = rows > 5 ? a + 5 * aRowStride : a
    let a6 = rows > 6 ? a + 6 * aRowStride : a
    let a7 = rows > 7 ? a + 7 * aRowStride : a
    var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector()
    var c20 = Vector(), c21 = Vector(), c30 = Vector(), c31 = Vector()
    var c40 = Vector(), c41 = Vector(), c50 = Vector(), c51 = Vector()
    var c60 = Vector(), c61 = Vector(), c70 = Vector(), c71 = Vector()
    let bStep = bRowStride * MemoryLayout<Float>.stride
    let half = MemoryLayout<Vector>.stride
    @inline(__always) func step(_ offset: Int, _ pb: UnsafeRawPointer) {
        let b0 = pb.loadUnaligned(as: Vector.self)
        let b1 = pb.loadUnaligned(fromByteOffset: half, as: Vector.self)
        var x = a0[offset]
        c00 = c00.multiplyAdd(x, b0); c01 = c01.multiplyAdd(x, b1)
        x = a1[offset]
        c10 = c10.multiplyAdd(x, b0); c11 = c11.multiplyAdd(x, b1)
        x = a2[offset]
        c20 = c20.multiplyAdd(x, b0); c21 = c21.multiplyAdd(x, b1)
        x = a3[offset]
        c30 = c30.multiplyAdd(x, b0); c31 = c31.multiplyAdd(x, b1)
        x = a4[offset]
        c40 = c40.multiplyAdd(x, b0); c41 = c41.multiplyAdd(x, b1)
        x = a5[offset]
        c50 = c50.multiplyAdd(x, b0); c51 = c51.multiplyAdd(x, b1)
        x = a6[offset]
        c60 = c60.multiplyAdd(x, b0); c61 = c61.multiplyAdd(x, b1)
        x = a7[offset]
        c70 = c70.multiplyAdd(x, b0); c71 = c71.multiplyAdd(x, b1)
    }
    if let steps {
        let base = UnsafeRawPointer(b)
        for t in 0..<kc {
            let p = Int(steps[t])
            step(p * aColumnStride, base + p * bStep)
        }
    } else {
        var offset = 0
        var pb = UnsafeRawPointer(b)
        for _ in 0..<kc {
            step(offset, pb)
            offset += aColumnStride
            pb += bStep
        }
    }
    let tile = TileStore(c: c, ldc: ldc, rows: rows, columns: columns, loadC: loadC, finish: finish)
    if tile.isPlainFullTile {
        tile.store(c00, row: 0, column: 0); tile.store(c01, row: 0, column: 16)
        tile.store(c10, row: 1, column: 0); tile.store(c11, row: 1, column: 16)
        tile.store(c20, row: 2, column: 0); tile.store(c21, row: 2, column: 16)
        tile.store(c30, row: 3, column: 0); tile.store(c31, row: 3, column: 16)
        tile.store(c40, row: 4, column: 0); tile.store(c41, row: 4, column: 16)
        tile.store(c50, row: 5, column: 0); tile.store(c51, row: 5, column: 16)
        tile.store(c60, row: 6, column: 0); tile.store(c61, row: 6, column: 16)
        tile.store(c70, row: 7, column: 0); tile.store(c71, row: 7, column: 16)
    } else {
        // A fused epilogue or an edge tile: the accumulators saved once, rows of 32 floats, and
        // the tile stored in one call (see ``TileStore/storeRows(_:rowStride:previous:)``).
        var sums = (c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51, c60, c61, c70, c71)
        tile.storeSaved(&sums, rowStride: 32)
    }
}
