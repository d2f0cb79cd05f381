/// The epilogue of a register tile: for each 16-wide accumulator, optionally add what C holds,
/// apply the fused operation, and store the lanes that fall inside the matrix. Edge tiles are
/// handled here, so the kernels' loops are the same for every tile.
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

    @inline(__always)
    func store(_ accumulator: Vector, row: Int, column: Int) {
        if isPlainFullTile {
            let p = UnsafeMutableRawPointer(c + row * ldc + column)
            if loadC {
                p.storeBytes(of: accumulator + p.loadUnaligned(as: Vector.self), as: Vector.self)
            } else {
                p.storeBytes(of: accumulator, as: Vector.self)
            }
        } else {
            storeGeneral(accumulator, row: row, column: column)
        }
    }

    /// Edge tiles and fused epilogues.
    @inline(never)
    func storeGeneral(_ accumulator: Vector, row: Int, column: Int) {
        guard row < rows, column < columns else { return }
        let count = min(columns - column, Vector.scalarCount)
        let p = c + row * ldc + column
        var v = accumulator
        if loadC { v += VectorMath.load(p, count: count) }
        switch finish {
        case .store, .accumulate:
            break
        case .biasActivation(let bias, let activation, let dropout):
            v = VectorMath.activate(v + VectorMath.load(bias + column, count: count), activation)
            if let dropout { v *= dropout.factors(row: row, column: column) }
        case .activationGradient(let output, let stride, let activation, let dropout):
            let y = VectorMath.load(output + row * stride + column, count: count)
            if let dropout {
                let mask = dropout.factors(row: row, column: column)
                v *= VectorMath.derivative(fromOutput: y * dropout.keep, activation) * mask
            } else {
                v *= VectorMath.derivative(fromOutput: y, activation)
            }
        }
        VectorMath.store(v, p, count: count)
    }
}
