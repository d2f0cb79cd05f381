import CPUFeatures

/// A read-only view of a matrix in memory: element (i, j) is `base[i * rowStride + j * columnStride]`.
///
/// Transposes are expressed by swapping the strides, so the three products of training
/// (X·W, dY·Wᵀ, Xᵀ·dY) read their operands in place; the packing routines absorb the layout.
@_spi(Benchmarks)
public struct MatrixOperand {
    /// The element at (0, 0).
    public let base: UnsafePointer<Float>
    /// Elements between consecutive rows.
    public let rowStride: Int
    /// Elements between consecutive columns.
    public let columnStride: Int
    /// For a B operand already in the micro-kernel's panel layout (``scratch(_:panelStride:)``):
    /// elements between consecutive panels; 0 for a strided view.
    public let panelStride: Int

    /// A row-major matrix whose rows are `leadingDimension` elements apart.
    public init(rowMajor base: UnsafePointer<Float>, leadingDimension: Int) {
        self.init(base: base, rowStride: leadingDimension, columnStride: 1)
    }

    /// A view with arbitrary strides.
    public init(base: UnsafePointer<Float>, rowStride: Int, columnStride: Int) {
        self.base = base
        self.rowStride = rowStride
        self.columnStride = columnStride
        panelStride = 0
    }

    /// A B operand stored as the GEMM packs it: panels of ``GEMMPanels/width(columns:)`` columns
    /// (zero-padded), `panelStride` elements apart, each holding its rows one after another.
    /// The GEMM reads it in place (see `PackedWeights`). Element (i, j) is
    /// `base[(j / w) * panelStride + i * w + j % w]` for panel width w.
    public static func scratch(_ base: UnsafePointer<Float>, panelStride: Int) -> MatrixOperand {
        MatrixOperand(base: base, panelStride: panelStride)
    }

    private init(base: UnsafePointer<Float>, panelStride: Int) {
        self.base = base
        rowStride = 0
        columnStride = 0
        self.panelStride = panelStride
    }

    /// The same memory read as the transpose.
    public var transposed: MatrixOperand {
        MatrixOperand(base: base, rowStride: columnStride, columnStride: rowStride)
    }

    @inline(__always) subscript(row: Int, column: Int) -> Float {
        base[row * rowStride + column * columnStride]
    }
}

/// What a GEMM does with each finished tile of A·B as it leaves the registers.
@_spi(Benchmarks)
public enum Epilogue {
    /// C = A·B.
    case store
    /// C += A·B.
    case accumulate
    /// C = f(A·B + bias), with one bias element per column. Softmax is left to the caller
    /// (it is not elementwise): the tile gets A·B + bias.
    /// With `dropout`, the result is then multiplied by the layer's dropout mask.
    case biasActivation(bias: UnsafePointer<Float>, activation: Activation, dropout: DropoutMask? = nil)
    /// C = (A·B) ⊙ f′(Y), where Y = f(·) is the forward output laid out like C with rows
    /// `outputStride` apart. This is the backward step through the previous layer's activation.
    /// With `dropout`, Y is the output after dropout: the gradient is also multiplied by the mask,
    /// and f′ is taken at Y·keep (the output before the 1/keep scaling).
    case activationGradient(
        output: UnsafePointer<Float>, outputStride: Int, activation: Activation, dropout: DropoutMask? = nil)
}

extension Epilogue {
    /// Asks for the lines of the forward output that a tile's `.activationGradient` epilogue
    /// will read (`rows` × `columns` from the tile's corner) ahead of its k loop, so that they
    /// arrive while the tile is summed. That output was written long before (the forward pass),
    /// and a large layer's (`mlp-wide`'s 128 × 1024, 512 KiB) has left L2 by then (`mlp-wide`,
    /// one thread, family 25, 3 runs alternating: the deltas product against the forward one of
    /// the same runs 0.969–0.976 → 0.950–0.962; into L1 rather than L2, no different).
    @inline(__always)
    func prefetchOperands(rows: Int, columns: Int) {
        guard case .activationGradient(let output, let stride, _, _) = self else { return }
        for r in 0..<rows {
            var j = 0
            while j < columns {
                fastmlp_prefetch(output + r * stride + j)
                j += 16
            }
        }
    }

    /// The epilogue of the tile whose (0, 0) element is C's (`row`, `column`): on the last kc
    /// pass the fused operation with its operands moved to the tile; otherwise, and for a plain
    /// product, `.store` (the kernel's `loadC` says whether C is added).
    @inline(__always)
    func tile(row: Int, column: Int, lastPass: Bool) -> Epilogue {
        guard lastPass else { return .store }
        switch self {
        case .store, .accumulate:
            return .store
        case .biasActivation(let bias, let activation, let dropout):
            return .biasActivation(bias: bias + column, activation: activation, dropout: dropout?.offset(row: row, column: column))
        case .activationGradient(let output, let stride, let activation, let dropout):
            return .activationGradient(
                output: output + row * stride + column, outputStride: stride, activation: activation,
                dropout: dropout?.offset(row: row, column: column))
        }
    }
}
