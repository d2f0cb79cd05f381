/// The epilogue of a register tile: optionally add what C holds, apply the fused operation, and
/// store the lanes that fall inside the matrix. A kernel stores a whole tile with nothing fused
/// from its registers, a vector at a time (``store(_:row:column:)``); any other tile (a fused
/// epilogue, an edge) it saves once and hands to ``storeRows(_:rowStride:previous:)``. Edge tiles
/// are handled here, so the kernels' loops are the same for every tile.
struct TileStore {
    let c: UnsafeMutablePointer<Float>
    let ldc: Int
    let rows: Int
    let columns: Int
    let loadC: Bool
    /// The tile's own epilogue (``Epilogue/tile(row:column:lastPass:)``); `.store` and
    /// `.accumulate` both mean nothing fused here (`loadC` says whether C is added).
    let finish: Epilogue
    /// A full tile with nothing fused: the common case of the short-k weight-gradient products,
    /// stored inline with plain vector moves.
    let isPlainFullTile: Bool

    @inline(__always)
    init(
        c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, columns: Int, loadC: Bool, finish: Epilogue,
        fullRows: Int = KernelConfig.mr, fullColumns: Int = KernelConfig.nr
    ) {
        self.c = c
        self.ldc = ldc
        self.rows = rows
        self.columns = columns
        self.loadC = loadC
        self.finish = finish
        switch finish {
        case .store, .accumulate: isPlainFullTile = rows == fullRows && columns == fullColumns
        case .biasActivation, .activationGradient: isPlainFullTile = false
        }
    }

    /// One whole vector of a plain full tile (``isPlainFullTile``), C's (`row`, `column`).
    @inline(__always)
    func store(_ accumulator: Vector, row: Int, column: Int) {
        let p = UnsafeMutableRawPointer(c + row * ldc + column)
        if loadC {
            p.storeBytes(of: accumulator + p.loadUnaligned(as: Vector.self), as: Vector.self)
        } else {
            p.storeBytes(of: accumulator, as: Vector.self)
        }
    }

    /// The whole tile from sums in memory: row r's accumulators at `sums + r·rowStride` (whole
    /// vectors, at least `columns` rounded up to 16), each added to the same place in `previous`
    /// when given (`sum + previous`), C added when `loadC`, then the epilogue, with its cases
    /// chosen once for the tile; the last vector of a row is loaded and stored masked when
    /// partial. A kernel saves its accumulators and calls this once rather than a function per
    /// vector: so the sparse forward product's slivers (with it, and the pair kernel's chunks of
    /// a whole tile, the first layer's sparse forward of `mlp-128` went from 45.9 to 37.0 µs a
    /// step on one thread and from 29.1 to 23.8 on two; family 25, `epoch --breakdown`, medians
    /// of 8 runs alternating with the build before), and the GEMM kernels' fused and edge tiles.
    /// The tile from a kernel's accumulators saved in `sums` (a tuple of vectors, row after row,
    /// `rowStride` floats a row) through ``storeRows(_:rowStride:previous:)``: the way a kernel
    /// stores a tile that is not a plain full one.
    @inline(__always)
    func storeSaved<Accumulators>(_ sums: inout Accumulators, rowStride: Int) {
        withUnsafeBytes(of: &sums) {
            storeRows($0.baseAddress!.assumingMemoryBound(to: Float.self), rowStride: rowStride, previous: nil)
        }
    }

    @inline(never)
    func storeRows(_ sums: UnsafePointer<Float>, rowStride: Int, previous: UnsafePointer<Float>?) {
        @inline(__always) func total(_ r: Int, _ j: Int) -> Vector {
            let sum = UnsafeRawPointer(sums + r * rowStride + j).loadUnaligned(as: Vector.self)
            guard let previous else { return sum }
            return sum + UnsafeRawPointer(previous + r * rowStride + j).loadUnaligned(as: Vector.self)
        }
        // Each vector of the tile, the last of a row partial (`count` lanes, loaded and stored
        // masked), through `f`, the epilogue's expression for its case.
        @inline(__always) func each(_ f: (_ v: Vector, _ r: Int, _ j: Int, _ count: Int) -> Vector) {
            for r in 0..<rows {
                let p = c + r * ldc
                var j = 0
                while j < columns {
                    let count = min(columns - j, Vector.scalarCount)
                    var v = total(r, j)
                    if loadC { v += VectorMath.load(p + j, count: count) }
                    VectorMath.store(f(v, r, j, count), p + j, count: count)
                    j += Vector.scalarCount
                }
            }
        }
        switch finish {
        case .store, .accumulate:
            each { v, _, _, _ in v }
        case .biasActivation(let bias, let activation, let dropout):
            @inline(__always) func apply(_ f: Activation) {
                if let dropout {
                    each { v, r, j, count in
                        VectorMath.activate(v + VectorMath.load(bias + j, count: count), f)
                            * dropout.factors(row: r, column: j)
                    }
                } else {
                    each { v, _, j, count in VectorMath.activate(v + VectorMath.load(bias + j, count: count), f) }
                }
            }
            switch activation {
            case .relu: apply(.relu)
            case .sigmoid: apply(.sigmoid)
            case .tanh: apply(.tanh)
            case .identity, .softmax: apply(.identity)
            }
        case .activationGradient(let output, let stride, let activation, let dropout):
            @inline(__always) func apply(_ f: Activation) {
                if let dropout {
                    each { v, r, j, count in
                        let y = VectorMath.load(output + r * stride + j, count: count)
                        let mask = dropout.factors(row: r, column: j)
                        return v * (VectorMath.derivative(fromOutput: y * dropout.keep, f) * mask)
                    }
                } else {
                    each { v, r, j, count in
                        v * VectorMath.derivative(fromOutput: VectorMath.load(output + r * stride + j, count: count), f)
                    }
                }
            }
            switch activation {
            case .relu: apply(.relu)
            case .sigmoid: apply(.sigmoid)
            case .tanh: apply(.tanh)
            case .identity, .softmax: apply(.identity)
            }
        }
    }
}
