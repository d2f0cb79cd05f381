/// Packing buffers for one GEMM caller, allocated once and reused by every product.
@_spi(Benchmarks)
public final class GEMMWorkspace {
    /// One mc × kc block of A in mr-row panels.
    let packedA: FloatBuffer
    /// One kc × nc block of B in nr-column panels.
    let packedB: FloatBuffer

    public init() {
        packedA = FloatBuffer(count: KernelConfig.mc * KernelConfig.kc)
        packedB = FloatBuffer(count: KernelConfig.kc * roundUp(KernelConfig.nc, to: KernelConfig.nr))
    }
}

@inline(__always) func roundUp(_ x: Int, to multiple: Int) -> Int {
    (x + multiple - 1) / multiple * multiple
}

/// C (m × n, rows `ldc` apart) = epilogue(A·B) for A m × k and B k × n: the five BLIS loops
/// around ``microKernel6x16``.
///
/// Loop order jc → pc → ic → jr → ir: a kc × nc block of B is packed once and reused by every
/// row block of A; within a row block a kc × nr micro-panel of B stays in L1 while the mr-row
/// micro-panels of A stream past it from L2. With k > kc the tile is stored raw after every
/// pass but the last, and the epilogue runs on the last pass only.
@_spi(Benchmarks)
public func gemm(
    m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
    c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue, workspace: GEMMWorkspace
) {
    guard m > 0, n > 0 else { return }
    let (mr, nr, kcMax, mcMax, ncMax) =
        (KernelConfig.mr, KernelConfig.nr, KernelConfig.kc, KernelConfig.mc, KernelConfig.nc)
    let accumulateFirst: Bool
    if case .accumulate = epilogue { accumulateFirst = true } else { accumulateFirst = false }
    var jc = 0
    while jc < n {
        let nc = min(ncMax, n - jc)
        var pc = 0
        repeat {
            let kc = min(kcMax, k - pc)
            let isLastPass = pc + kc >= k
            packB(b, row: pc, column: jc, depth: kc, width: nc, into: workspace.packedB.base)
            var ic = 0
            while ic < m {
                let mc = min(mcMax, m - ic)
                packA(a, row: ic, column: pc, height: mc, depth: kc, into: workspace.packedA.base)
                var jr = 0
                while jr < nc {
                    let columns = min(nr, nc - jr)
                    let panelB = workspace.packedB.base + jr * kc
                    var ir = 0
                    while ir < mc {
                        let rows = min(mr, mc - ir)
                        let i = ic + ir, j = jc + jr
                        let finish: TileFinish
                        switch epilogue {
                        case .biasActivation(let bias, let activation) where isLastPass:
                            finish = .biasActivation(bias: bias + j, activation: activation)
                        case .activationGradient(let output, let stride, let activation) where isLastPass:
                            finish = .activationGradient(
                                output: output + i * stride + j, outputStride: stride, activation: activation)
                        default:
                            finish = .none
                        }
                        microKernel6x16(
                            kc: kc, a: workspace.packedA.base + ir * kc, b: panelB,
                            c: c + i * ldc + j, ldc: ldc, rows: rows, columns: columns,
                            loadC: pc > 0 || accumulateFirst, finish: finish)
                        ir += mr
                    }
                    jr += nr
                }
                ic += mc
            }
            pc += kc
        } while pc < k
        jc += nc
    }
}

/// Packs A[row..<row+height, column..<column+depth] into panels of mr rows: panel p holds,
/// for each step s of the depth, the mr values A[row + p·mr + r, column + s], zero-padded
/// past `height`.
func packA(
    _ a: MatrixOperand, row: Int, column: Int, height: Int, depth: Int,
    into destination: UnsafeMutablePointer<Float>
) {
    let mr = KernelConfig.mr
    var panelStart = 0
    var out = destination
    while panelStart < height {
        let rows = min(mr, height - panelStart)
        let origin = a.base + (row + panelStart) * a.rowStride + column * a.columnStride
        if a.rowStride == 1 && rows == mr {
            // Column-major source (Xᵀ): the mr values of a step are contiguous.
            for s in 0..<depth {
                let src = origin + s * a.columnStride
                for r in 0..<mr { out[s * mr + r] = src[r] }
            }
        } else {
            for r in 0..<mr {
                if r < rows {
                    let src = origin + r * a.rowStride
                    if a.columnStride == 1 {
                        for s in 0..<depth { out[s * mr + r] = src[s] }
                    } else {
                        for s in 0..<depth { out[s * mr + r] = src[s * a.columnStride] }
                    }
                } else {
                    for s in 0..<depth { out[s * mr + r] = 0 }
                }
            }
        }
        out += depth * mr
        panelStart += mr
    }
}

/// Packs B[row..<row+depth, column..<column+width] into panels of nr columns: panel p holds,
/// for each step s of the depth, the nr values B[row + s, column + p·nr + c], zero-padded past
/// `width`.
func packB(
    _ b: MatrixOperand, row: Int, column: Int, depth: Int, width: Int,
    into destination: UnsafeMutablePointer<Float>
) {
    let nr = KernelConfig.nr
    var panelStart = 0
    var out = destination
    while panelStart < width {
        let columns = min(nr, width - panelStart)
        let origin = b.base + row * b.rowStride + (column + panelStart) * b.columnStride
        if b.columnStride == 1 {
            // Row-major source (W, dY): each step is one contiguous run of up to nr values.
            for s in 0..<depth {
                let v = VectorMath.load(origin + s * b.rowStride, count: columns)
                UnsafeMutableRawPointer(out + s * nr).storeBytes(of: v, as: Vector.self)
            }
        } else {
            // Transposed source (Wᵀ): walk each column along its contiguous depth.
            for cIndex in 0..<nr {
                if cIndex < columns {
                    let src = origin + cIndex * b.columnStride
                    for s in 0..<depth { out[s * nr + cIndex] = src[s * b.rowStride] }
                } else {
                    for s in 0..<depth { out[s * nr + cIndex] = 0 }
                }
            }
        }
        out += depth * nr
        panelStart += nr
    }
}
