import CPUFeatures
/// Copies of a network's weights in the layout the GEMM reads its B operand from — panels of
/// the micro-kernel's width, each panel's rows one after another, zero-padded — for the two
/// products of a training step that read W: the forward X·W and the deltas dZ·Wᵀ.
///
/// Read in place, a packed panel streams through L1 in order. W itself would not serve as well:
/// a power-of-two width puts a panel's rows in a handful of L1 sets (so every row tile would
/// repack it), a partial last panel (100 = 3·32 + 4) is repacked by every tile, and Wᵀ has to be
/// packed by every tile that reads it. Here each product's packing happens once per step, inside
/// the update: the task that updates rows i0..<i1 of W rewrites those rows of both copies while
/// they are in its cache. A large W keeps its copies only where that measured faster than the
/// GEMM packing it as it goes (``keepsLargeCopies``). The copies are derived state:
/// ``refresh()`` rebuilds them from the parameters whenever those may have changed from outside
/// the step.
final class PackedWeights {
    private struct Layer {
        /// W (inputs × outputs) as B of X·W: panels of `forwardWidth` output columns.
        let forward: FloatBuffer
        let forwardWidth: Int
        var packsForward: Bool { forward.count > 0 }
        /// Wᵀ (outputs × inputs) as B of dZ·Wᵀ: panels of `transposedWidth` input columns
        /// (layers after the first only).
        let transposed: FloatBuffer?
        let transposedWidth: Int
    }

    private let network: Network
    private let layers: [Layer]

    /// Whether a large W's copies (``isLarge(_:)``: beyond a core's L2) are kept for the coming
    /// steps; the first layer's forward copy, which the sparse forward kernel reads, always is.
    /// Set it between steps (`TrainingStep` decides); the products' bits are the same either way.
    /// - Row tiles of at most 2·mr rows (16; 8 threads on a batch of 128) need the copies: the
    ///   GEMM would not pack W for so few rows, and W read in place, 4 KiB rows, thrashes L1.
    /// - Without copies each row tile's GEMM packs the kc × nr panels of W or Wᵀ as it reaches
    ///   them (W four panels at a time) instead of the update writing them every step. (On
    ///   several threads a large hidden layer's products run over column tiles, each packing its
    ///   own columns: `TrainingStep.columnSplitLayers`.)
    /// While copies are not kept they go stale; keeping them again rebuilds them.
    var keepsLargeCopies = true {
        didSet {
            guard keepsLargeCopies, !oldValue else { return }
            for (l, layer) in network.layers.enumerated() where l > 0 && Self.isLarge(layer) {
                refresh(layer: l, rows: 0..<layer.inputs)
            }
        }
    }

    init(network: Network) {
        self.network = network
        layers = network.layers.enumerated().map { l, layer in
            let forwardWidth = GEMMPanels.width(columns: layer.outputs)
            let transposedWidth = GEMMPanels.width(columns: layer.inputs)
            return Layer(
                forward: FloatBuffer(
                    count: Self.packsForward(outputs: layer.outputs) ? roundUp(layer.outputs, to: forwardWidth) * layer.inputs : 0),
                forwardWidth: forwardWidth,
                transposed: l > 0 ? FloatBuffer(count: roundUp(layer.inputs, to: transposedWidth) * layer.outputs) : nil,
                transposedWidth: transposedWidth)
        }
        refresh()
    }

    /// Whether X·W reads a packed copy of W: for layers 512 or more wide, where W streams from L3
    /// and its power-of-two rows would conflict in L1. A narrower W stays in L2 and is read in
    /// place, which measured faster than keeping its copy (`epoch --breakdown`).
    static func packsForward(outputs: Int) -> Bool {
        outputs >= 512
    }

    /// Whether a layer's W is 1 MiB or more: beyond a core's L2, so that its copies are kept only
    /// when ``keepsLargeCopies`` says, and written with streaming stores.
    static func isLarge(_ layer: DenseLayer) -> Bool {
        layer.inputs * layer.outputs * MemoryLayout<Float>.stride >= 1 << 20
    }

    /// Whether layer `l`'s copies other than the first layer's forward one are kept now.
    private func keepsCopies(_ l: Int) -> Bool {
        keepsLargeCopies || !Self.isLarge(network.layers[l])
    }

    /// The B operand of layer `l`'s forward product, when it has a packed copy.
    func forward(_ l: Int) -> MatrixOperand? {
        guard layers[l].packsForward, l == 0 || keepsCopies(l) else { return nil }
        return .scratch(layers[l].forward.base, panelStride: layers[l].forwardWidth * network.layers[l].inputs)
    }

    /// The B operand of layer `l`'s delta product (Wᵀ), when it has a packed copy; `l` ≥ 1.
    func transposed(_ l: Int) -> MatrixOperand? {
        guard keepsCopies(l), let transposed = layers[l].transposed else { return nil }
        return .scratch(transposed.base, panelStride: layers[l].transposedWidth * network.layers[l].outputs)
    }

    /// Rebuilds every copy from the network's parameters.
    func refresh() {
        for (l, layer) in network.layers.enumerated() { refresh(layer: l, rows: 0..<layer.inputs) }
    }

    /// Rewrites rows `rows` of layer `l`'s W in the copies kept now (``keepsLargeCopies``). `rows`
    /// must start at a multiple of the transposed panel width (16 or 32; a step's weight-gradient
    /// tiles start at multiples of 64), so that the rows' transposed panels belong to this call
    /// alone.
    ///
    /// A large W's copies are written with streaming stores: they are not in the core's cache when
    /// the next step reads them anyway, and a streaming store does not first read the line it
    /// overwrites (one thread, `mlp-wide`: repacking 737–782 → 460–483 µs a step). Plain stores,
    /// which leave the copies in cache for the other core, measured faster on two threads with
    /// the cores near (step 2950–3065 → 2850–2938 µs) but much slower with them far apart
    /// (3754–3773 → 4346–4374 µs: repacking 193–205 → 741–751).
    func refresh(layer l: Int, rows: Range<Int>) {
        let layer = network.layers[l], packed = layers[l]
        let writesForward = packed.packsForward && (l == 0 || keepsCopies(l))
        let w = network.parameters.base + layer.weightOffset
        let n = layer.outputs, width = packed.forwardWidth, inputs = layer.inputs
        let streams = Self.isLarge(layer)
        defer { if streams { fastmlp_store_fence() } }
        @inline(__always) func store(_ v: Vector, _ to: UnsafeMutablePointer<Float>) {
            if streams {
                fastmlp_stream16(to, v)
            } else {
                UnsafeMutableRawPointer(to).storeBytes(of: v, as: Vector.self)
            }
        }
        // Forward: row i of panel p holds W[i, p·width ..< p·width + width].
        for p in 0..<ceilDivide(n, width) where writesForward {
            let columns = min(width, n - p * width)
            for i in rows {
                let to = packed.forward.base + p * width * inputs + i * width
                let from = w + i * n + p * width
                if columns == width && width % Vector.scalarCount == 0 {
                    // A whole panel row, a vector at a time (a call to memmove per 128 bytes
                    // cost a third of the repacking).
                    for v in stride(from: 0, to: width, by: Vector.scalarCount) {
                        store(UnsafeRawPointer(from + v).loadUnaligned(as: Vector.self), to + v)
                    }
                } else {
                    to.update(from: from, count: columns)
                    if columns < width { (to + columns).update(repeating: 0, count: width - columns) }
                }
            }
        }
        // Transposed: row j of panel q holds W[q·width' ..< q·width' + width', j], built from
        // 16 × 16 blocks transposed in registers; the ragged edges go one element at a time.
        guard keepsCopies(l), let transposed = packed.transposed else { return }
        let tw = packed.transposedWidth
        var q = rows.lowerBound / tw
        while q * tw < rows.upperBound {
            let panel = transposed.base + q * tw * n
            let first = q * tw, count = min(tw, inputs - first)
            let fullColumns = count / 16 * 16, fullSteps = n / 16 * 16
            for c0 in stride(from: 0, to: fullColumns, by: 16) {
                for j0 in stride(from: 0, to: fullSteps, by: 16) {
                    transpose16x16(
                        from: w + (first + c0) * n + j0, rowStride: n, to: panel + j0 * tw + c0, rowStride: tw,
                        store: store)
                }
                if fullSteps < n {
                    // The last n − fullSteps (< 16) steps: the same transpose, reading 16 floats
                    // from each row (past W's last row into the parameters after it, or the
                    // buffer's padding) and storing only the panel's rows that exist. A 10-wide
                    // layer is all such steps: one element at a time, the repacking phase of
                    // `epoch --breakdown` took 2.2–2.8 µs a step (seed-sigmoid, one thread,
                    // family 25, 3 runs alternating), 1.1–1.7 so; mlp-128 2.0–2.8 → 1.0–1.5.
                    let limit = panel + n * tw
                    transpose16x16(
                        from: w + (first + c0) * n + fullSteps, rowStride: n, to: panel + fullSteps * tw + c0,
                        rowStride: tw, store: { v, p in if p < limit { store(v, p) } })
                }
            }
            for c in fullColumns..<tw {
                for j in 0..<n { panel[j * tw + c] = c < count ? w[(first + c) * n + j] : 0 }
            }
            q += 1
        }
    }
}

/// Writes the transpose of the 16 × 16 block at `source` (rows `sourceStride` apart) to
/// `target` (rows `targetStride` apart).
///
/// Four rounds of unzipping pairs of rows into their even and odd lanes: each round rotates the
/// 8-bit index (row, column) of every element right by one bit, so after four the row and column
/// bits have swapped. Each unzip is one two-source permute (`vpermt2ps`), 64 for the block.
@inline(__always)
func transpose16x16(
    from source: UnsafePointer<Float>, rowStride sourceStride: Int, to target: UnsafeMutablePointer<Float>,
    rowStride targetStride: Int,
    store write: (Vector, UnsafeMutablePointer<Float>) -> Void = { UnsafeMutableRawPointer($1).storeBytes(of: $0, as: Vector.self) }
) {
    typealias V = SIMD16<Float>
    @inline(__always) func load(_ r: Int) -> V { UnsafeRawPointer(source + r * sourceStride).loadUnaligned(as: V.self) }
    var a = (load(0), load(1), load(2), load(3), load(4), load(5), load(6), load(7),
             load(8), load(9), load(10), load(11), load(12), load(13), load(14), load(15))
    @inline(__always) func even(_ x: V, _ y: V) -> V { V(lowHalf: x.evenHalf, highHalf: y.evenHalf) }
    @inline(__always) func odd(_ x: V, _ y: V) -> V { V(lowHalf: x.oddHalf, highHalf: y.oddHalf) }
    for _ in 0..<4 {
        a = (even(a.0, a.1), even(a.2, a.3), even(a.4, a.5), even(a.6, a.7),
             even(a.8, a.9), even(a.10, a.11), even(a.12, a.13), even(a.14, a.15),
             odd(a.0, a.1), odd(a.2, a.3), odd(a.4, a.5), odd(a.6, a.7),
             odd(a.8, a.9), odd(a.10, a.11), odd(a.12, a.13), odd(a.14, a.15))
    }
    @inline(__always) func store(_ v: V, _ r: Int) { write(v, target + r * targetStride) }
    store(a.0, 0); store(a.1, 1); store(a.2, 2); store(a.3, 3); store(a.4, 4); store(a.5, 5); store(a.6, 6); store(a.7, 7)
    store(a.8, 8); store(a.9, 9); store(a.10, 10); store(a.11, 11); store(a.12, 12); store(a.13, 13); store(a.14, 14)
    store(a.15, 15)
}
