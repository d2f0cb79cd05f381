/// The 16 × 16 register tile for skinny products (n ≤ 16, such as the 10-class output layer)
/// on CPUs with 32 vector registers: C[0..<16, 0..<16] (+)= A·B over `kc` steps.
///
/// Operands as in ``microKernel6x16``. One 16-wide load of B and sixteen broadcasts of A feed
/// sixteen FMAs into 16 zmm accumulators per step. With n = 10 the wide 8 × 32 tile would waste
/// 22 of every 32 lanes; this one wastes 6 of 16.
@inline(__always)
func microKernel16x16(
    kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
    b: UnsafePointer<Float>, bRowStride: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, loadC: Bool, finish: Epilogue
) {
    @inline(__always) func row(_ r: Int) -> UnsafePointer<Float> { r < rows ? a + r * aRowStride : a }
    let a0 = row(0), a1 = row(1), a2 = row(2), a3 = row(3), a4 = row(4), a5 = row(5), a6 = row(6), a7 = row(7)
    let a8 = row(8), a9 = row(9), a10 = row(10), a11 = row(11), a12 = row(12), a13 = row(13), a14 = row(14)
    let a15 = row(15)
    var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector()
    var c6 = Vector(), c7 = Vector(), c8 = Vector(), c9 = Vector(), c10 = Vector(), c11 = Vector()
    var c12 = Vector(), c13 = Vector(), c14 = Vector(), c15 = Vector()
    var offset = 0
    var pb = UnsafeRawPointer(b)
    let bStep = bRowStride * MemoryLayout<Float>.stride
    for _ in 0..<kc {
        let bv = pb.loadUnaligned(as: Vector.self)
        c0 = c0.multiplyAdd(a0[offset], bv); c1 = c1.multiplyAdd(a1[offset], bv)
        c2 = c2.multiplyAdd(a2[offset], bv); c3 = c3.multiplyAdd(a3[offset], bv)
        c4 = c4.multiplyAdd(a4[offset], bv); c5 = c5.multiplyAdd(a5[offset], bv)
        c6 = c6.multiplyAdd(a6[offset], bv); c7 = c7.multiplyAdd(a7[offset], bv)
        c8 = c8.multiplyAdd(a8[offset], bv); c9 = c9.multiplyAdd(a9[offset], bv)
        c10 = c10.multiplyAdd(a10[offset], bv); c11 = c11.multiplyAdd(a11[offset], bv)
        c12 = c12.multiplyAdd(a12[offset], bv); c13 = c13.multiplyAdd(a13[offset], bv)
        c14 = c14.multiplyAdd(a14[offset], bv); c15 = c15.multiplyAdd(a15[offset], bv)
        offset += aColumnStride
        pb += bStep
    }
    let tile = TileStore(
        c: c, ldc: ldc, rows: rows, columns: columns, loadC: loadC, finish: finish, fullRows: 16, fullColumns: 16)
    if tile.isPlainFullTile {
        tile.store(c0, row: 0, column: 0); tile.store(c1, row: 1, column: 0)
        tile.store(c2, row: 2, column: 0); tile.store(c3, row: 3, column: 0)
        tile.store(c4, row: 4, column: 0); tile.store(c5, row: 5, column: 0)
        tile.store(c6, row: 6, column: 0); tile.store(c7, row: 7, column: 0)
        tile.store(c8, row: 8, column: 0); tile.store(c9, row: 9, column: 0)
        tile.store(c10, row: 10, column: 0); tile.store(c11, row: 11, column: 0)
        tile.store(c12, row: 12, column: 0); tile.store(c13, row: 13, column: 0)
        tile.store(c14, row: 14, column: 0); tile.store(c15, row: 15, column: 0)
    } else {
        // As in ``microKernel8x32``: saved once, stored in one call, partial rows masked.
        var sums = (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13, c14, c15)
        tile.storeSaved(&sums, rowStride: 16)
    }
}
