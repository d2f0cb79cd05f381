/// What the micro-kernel does with its finished tile besides storing it.
enum TileFinish {
    /// Store (or accumulate) the raw products: an intermediate kc pass, or a plain GEMM.
    case none
    /// Add `bias[j]` and apply the activation; `bias` points at the tile's first column.
    case biasActivation(bias: UnsafePointer<Float>, activation: Activation)
    /// Multiply by f′(Y); `output` points at the tile's (0, 0) element of Y.
    case activationGradient(output: UnsafePointer<Float>, outputStride: Int, activation: Activation)
}

/// The 6 × 16 register tile: C[0..<6, 0..<16] (+)= Ã·B̃ over `kc` packed steps, then the epilogue.
///
/// `a` is a packed A panel (kc steps of 6 values), `b` a packed B panel (kc steps of 16 values);
/// both are zero-padded, so the loop is the same for edge tiles, and only the final store looks
/// at `rows` and `columns`. Per step: one 16-wide load of B (2 ymm), six broadcasts of A and six
/// 16-wide FMAs (12 ymm FMAs) — 12 accumulators keep both FMA pipes busy through their latency.
@inline(__always)
func microKernel6x16(
    kc: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int,
    loadC: Bool, finish: TileFinish
) {
    var c0 = Vector(), c1 = Vector(), c2 = Vector(), c3 = Vector(), c4 = Vector(), c5 = Vector()
    var pa = a
    var pb = UnsafeRawPointer(b)
    for _ in 0..<kc {
        let bv = pb.loadUnaligned(as: Vector.self)
        c0 = c0.multiplyAdd(pa[0], bv)
        c1 = c1.multiplyAdd(pa[1], bv)
        c2 = c2.multiplyAdd(pa[2], bv)
        c3 = c3.multiplyAdd(pa[3], bv)
        c4 = c4.multiplyAdd(pa[4], bv)
        c5 = c5.multiplyAdd(pa[5], bv)
        pa += 6
        pb += MemoryLayout<Vector>.stride
    }
    var bias = Vector()
    if case .biasActivation(let biasPointer, _) = finish {
        bias = VectorMath.load(biasPointer, count: columns)
    }
    storeRow(c0, 0, c: c, ldc: ldc, rows: rows, columns: columns, loadC: loadC, finish: finish, bias: bias)
    storeRow(c1, 1, c: c, ldc: ldc, rows: rows, columns: columns, loadC: loadC, finish: finish, bias: bias)
    storeRow(c2, 2, c: c, ldc: ldc, rows: rows, columns: columns, loadC: loadC, finish: finish, bias: bias)
    storeRow(c3, 3, c: c, ldc: ldc, rows: rows, columns: columns, loadC: loadC, finish: finish, bias: bias)
    storeRow(c4, 4, c: c, ldc: ldc, rows: rows, columns: columns, loadC: loadC, finish: finish, bias: bias)
    storeRow(c5, 5, c: c, ldc: ldc, rows: rows, columns: columns, loadC: loadC, finish: finish, bias: bias)
}

/// Applies the epilogue to one accumulator row and stores its valid columns.
@inline(__always)
private func storeRow(
    _ accumulator: Vector, _ row: Int, c: UnsafeMutablePointer<Float>, ldc: Int,
    rows: Int, columns: Int, loadC: Bool, finish: TileFinish, bias: Vector
) {
    guard row < rows else { return }
    let p = c + row * ldc
    var v = accumulator
    if loadC { v += VectorMath.load(p, count: columns) }
    switch finish {
    case .none:
        break
    case .biasActivation(_, let activation):
        v = VectorMath.activate(v + bias, activation)
    case .activationGradient(let output, let stride, let activation):
        let y = VectorMath.load(output + row * stride, count: columns)
        v *= VectorMath.derivative(fromOutput: y, activation)
    }
    VectorMath.store(v, p, count: columns)
}
