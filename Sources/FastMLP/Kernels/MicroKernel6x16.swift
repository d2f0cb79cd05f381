/// The 6 × 16 register tile for CPUs with 16 vector registers (AVX2, or baseline x86-64):
/// C[0..<6, 0..<16] (+)= A·B over `kc` steps, then the epilogue.
///
/// A is read in place: element (r, p) at `a[r * aRowStride + p * aColumnStride]` (rows past
/// `rows` read row 0 and are not stored). B is a panel whose step p is 16 contiguous floats at
/// `b + p * bRowStride`. Per step: one 16-wide load of B (2 ymm), six broadcasts of A and six
/// 16-wide FMAs (12 ymm FMAs) into 12 accumulators.
@inline(__always)
func microKernel6x16(
    kc: Int, a: UnsafePointer<Float>, aRowStride: Int, aColumnStride: Int,
    b: UnsafePointer<Float>, bRowStride: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, loadC: Bool, finish: Epilogue
) {
    let a0 = a
    let a1 = rows > 1 ? a + aRowStride : a
    let a2 = rows > 2 ? a + 2 * aRowStride : a
    let a3 = rows > 3 ? a + 3 * aRowStride : a
    let a4 = rows > 4 ? a + 4 * aRowStride : a
    let a5 = rows > 5 ? a + 5 * aRowStride : a
    var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector()
    var offset = 0
    var pb = UnsafeRawPointer(b)
    let bStep = bRowStride * MemoryLayout<Float>.stride
    for _ in 0..<kc {
        let bv = pb.loadUnaligned(as: Vector.self)
        c0 = c0.multiplyAdd(a0[offset], bv)
        c1 = c1.multiplyAdd(a1[offset], bv)
        c2 = c2.multiplyAdd(a2[offset], bv)
        c3 = c3.multiplyAdd(a3[offset], bv)
        c4 = c4.multiplyAdd(a4[offset], bv)
        c5 = c5.multiplyAdd(a5[offset], bv)
        offset += aColumnStride
        pb += bStep
    }
    let tile = TileStore(c: c, ldc: ldc, rows: rows, columns: columns, loadC: loadC, finish: finish)
    if tile.isPlainFullTile {
        tile.store(c0, row: 0, column: 0)
        tile.store(c1, row: 1, column: 0)
        tile.store(c2, row: 2, column: 0)
        tile.store(c3, row: 3, column: 0)
        tile.store(c4, row: 4, column: 0)
        tile.store(c5, row: 5, column: 0)
    } else {
        // As in ``microKernel8x32``: saved once, stored in one call, partial rows masked.
        var sums = (c0, c1, c2, c3, c4, c5)
        tile.storeSaved(&sums, rowStride: 16)
    }
}
