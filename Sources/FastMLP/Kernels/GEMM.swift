/// Per-thread scratch memory of the GEMM, allocated once and reused by every product: room for a
/// few packed kc × nr panels of B and the step lists of ``StepLists`` (`KernelConfig.scratchCount` floats).
@_spi(Benchmarks)
public final class GEMMWorkspace {
    let scratch: [FloatBuffer]
    /// The thread pool products may use; `nil` runs everything on the calling thread.
    public let pool: ThreadPool?

    /// Scratch for `pool`'s threads (or for the calling thread alone).
    public init(pool: ThreadPool? = nil) {
        self.pool = pool
        scratch = (0..<(pool?.threadCount ?? 1)).map { _ in
            FloatBuffer(count: KernelConfig.scratchCount)
        }
    }
}

/// The width of the B panels a product with `n` columns reads: the skinny tile's for n ≤ 16
/// where there is one, the register tile's otherwise.
enum GEMMPanels {
    static func width(columns n: Int) -> Int {
        KernelConfig.wideKernel && n <= KernelConfig.skinnyNR ? KernelConfig.skinnyNR : KernelConfig.nr
    }
}

@inline(__always) func roundUp(_ x: Int, to multiple: Int) -> Int {
    (x + multiple - 1) / multiple * multiple
}

@inline(__always) func ceilDivide(_ x: Int, _ y: Int) -> Int { (x + y - 1) / y }

/// C (m × n, rows `ldc` apart) = epilogue(A·B) for A m × k and B k × n.
///
/// C is cut into tiles (row blocks × column ranges) that are independent tasks for the pool;
/// within a tile the loops run pc (kc-deep passes) → jr (nr-wide panels of B) → ir (mr-row
/// slivers of A) around the micro-kernel. Operands are read in place when their layout allows:
/// A at any strides (X, dY and Xᵀ all qualify) but an Xᵀ whose steps are a multiple of 1 KiB
/// apart, B when its rows are contiguous (W and dY); a transposed B (Wᵀ), a B whose rows are a
/// multiple of 2 KiB apart and a partial last panel are packed into the thread's scratch, one
/// kc × nr panel at a time (a B with rows 2 KiB apart: a few whole panels at a time). With k > kc
/// the tile is stored raw after every pass but the last, and the epilogue runs on the last pass
/// only.
///
/// Every element of C is computed by one thread, summing over k in the same order whatever the
/// tiling, so results are bitwise the same for any number of threads.
@_spi(Benchmarks)
public func gemm(
    m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
    c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue, workspace: GEMMWorkspace
) {
    guard m > 0, n > 0 else { return }
    var threads = 1
    if let pool = workspace.pool, m * n * max(k, 1) >= KernelConfig.parallelThreshold {
        threads = pool.threadCount
    }
    let plan = GEMMPlan(m: m, n: n, k: k, a: a, b: b, c: c, ldc: ldc, epilogue: epilogue, threads: threads)
    if threads > 1, plan.tiles > 1, let pool = workspace.pool {
        pool.run(tasks: plan.tiles) { task, worker in plan.run(task: task, scratch: workspace.scratch[worker].base) }
    } else {
        for task in 0..<plan.tiles { plan.run(task: task, scratch: workspace.scratch[0].base) }
    }
}

/// The tiles of one product C = epilogue(A·B) for `threads` threads, each an independent task:
/// what ``gemm(m:n:k:a:b:c:ldc:epilogue:workspace:)`` runs, and what a training step runs as a
/// region of its own (which allocates nothing) for the products it splits by columns.
struct GEMMPlan {
    let m: Int, n: Int, k: Int
    let a: MatrixOperand, b: MatrixOperand
    let c: UnsafeMutablePointer<Float>, ldc: Int
    let epilogue: Epilogue
    let skinny: Bool
    let rowsPerTile: Int, columnsPerTile: Int, rowTiles: Int
    /// The number of tasks.
    let tiles: Int

    init(
        m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand, c: UnsafeMutablePointer<Float>, ldc: Int,
        epilogue: Epilogue, threads: Int
    ) {
        (self.m, self.n, self.k, self.a, self.b, self.c, self.ldc, self.epilogue) = (m, n, k, a, b, c, ldc, epilogue)
        // A skinny product (the output layer's n = 10) uses the 16 × 16 tile where there is one.
        skinny = KernelConfig.wideKernel && n <= KernelConfig.skinnyNR
        let (mr, nr) = skinny ? (KernelConfig.skinnyMR, KernelConfig.skinnyNR) : (KernelConfig.mr, KernelConfig.nr)
        let rowUnits = ceilDivide(max(m, 1), mr), columnUnits = ceilDivide(max(n, 1), nr)
        // Split columns first (each column range reads A once), then rows.
        let target = threads == 1 ? 1 : threads * KernelConfig.tasksPerThread
        let columnTiles = min(columnUnits, target)
        var rowTiles = min(rowUnits, ceilDivide(target, columnTiles))
        rowTiles = max(rowTiles, ceilDivide(m, KernelConfig.mc))
        rowsPerTile = roundUp(ceilDivide(max(m, 1), rowTiles), to: mr)
        columnsPerTile = roundUp(ceilDivide(max(n, 1), columnTiles), to: nr)
        self.rowTiles = ceilDivide(max(m, 1), rowsPerTile)
        tiles = m > 0 && n > 0 ? self.rowTiles * ceilDivide(n, columnsPerTile) : 0
    }

    /// Task `task`: one tile of C, with `scratch` (``KernelConfig/scratchCount`` floats). Tasks
    /// are numbered down each column of tiles first, so that the pool's contiguous blocks give
    /// each thread whole column ranges: the same columns of W (and of its gradient and optimiser
    /// state) stay with the same thread, in its cache, from one step to the next.
    func run(task: Int, scratch: UnsafeMutablePointer<Float>) {
        let i0 = task % rowTiles * rowsPerTile
        let j0 = task / rowTiles * columnsPerTile
        gemmTile(
            rows: i0..<min(m, i0 + rowsPerTile), columns: j0..<min(n, j0 + columnsPerTile), k: k, a: a, b: b,
            c: c, ldc: ldc, epilogue: epilogue, skinny: skinny, scratch: scratch)
    }
}

/// C = epilogue(A·B) on the calling thread alone, with `scratch` (kc × nr floats) for packing:
/// the products of one row tile or one weight-gradient tile of a training step, which is
/// already a task of its own. Rows go in blocks of at most mc, as in ``gemm(m:n:k:a:b:c:ldc:epilogue:workspace:)``,
/// and every element is summed over k in the same order, so both give the same bits.
///
/// With `zeroSteps`, each row sliver of A takes only the steps at which one of its rows is
/// nonzero (``StepLists``, listed from the masks of A's nonzeros): exact, so the same bits, and
/// much less work on a sparse A such as a batch of MNIST images or its transpose.
func gemmSerial(
    m: Int, n: Int, k: Int, a: MatrixOperand, b: MatrixOperand,
    c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue, zeroSteps: ZeroSteps? = nil,
    scratch: UnsafeMutablePointer<Float>
) {
    guard m > 0, n > 0 else { return }
    let skinny = KernelConfig.wideKernel && n <= KernelConfig.skinnyNR
    // Over more than one pass, blocks of nc columns, all passes each: C's block stays in cache
    // from one pass to the next rather than coming back from L3 (the same sums in the same order).
    // Not with `zeroSteps`: each pass lists its steps for all the tile's rows once, per column block
    // it would list them again.
    let nc = k > KernelConfig.kc && zeroSteps == nil ? KernelConfig.nc : n
    var i0 = 0
    while i0 < m {
        let i1 = min(m, i0 + KernelConfig.mc)
        var j0 = 0
        while j0 < n {
            let j1 = min(n, j0 + nc)
            gemmTile(
                rows: i0..<i1, columns: j0..<j1, k: k, a: a, b: b, c: c, ldc: ldc, epilogue: epilogue, skinny: skinny,
                zeroSteps: zeroSteps, scratch: scratch)
            j0 = j1
        }
        i0 = i1
    }
}

/// One tile of C: all k passes over the given rows and columns.
@inline(__always)
private func gemmTile(
    rows: Range<Int>, columns: Range<Int>, k: Int, a: MatrixOperand, b: MatrixOperand,
    c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue, skinny: Bool, zeroSteps: ZeroSteps? = nil,
    scratch: UnsafeMutablePointer<Float>
) {
    let (mr, nr) = skinny ? (KernelConfig.skinnyMR, KernelConfig.skinnyNR) : (KernelConfig.mr, KernelConfig.nr)
    let kcMax = KernelConfig.kc
    // A B whose rows are a multiple of 2 KiB apart maps a panel's steps onto one or two L1
    // sets (a 1024-wide W thrashes L1); pack it when enough row slivers reuse the packed panel.
    let packAlways = b.rowStride % 512 == 0 && rows.count > 2 * mr
    // Such a B with contiguous rows (W in the forward product when a step keeps no copy of it,
    // dZ in the weight gradient) is packed `panelGroup` whole panels at a time: each step's run
    // of 512 bytes is read in order, not 128 bytes from each 4 KiB row of a 1024-wide W
    // (`mlp-wide`, one thread: forward products 2073–2131 → 1952–1982 µs a step, step
    // 5960–6201 → 5829–5884).
    let grouped = packAlways && b.panelStride == 0 && b.columnStride == 1 && !skinny && KernelConfig.wideKernel
    // Zero steps are skipped in the 8 × 32 tile.
    let skipping = zeroSteps != nil && KernelConfig.wideKernel && !skinny
    let lists = StepLists(UnsafeMutableRawPointer(scratch + KernelConfig.kc * KernelConfig.nr * KernelConfig.panelGroup))
    // A transposed A whose steps are a multiple of 1 KiB apart (Hᵀ of a layer 256 or more wide,
    // in the weight gradient) reads each step's mr floats from a new line of one L1 set, which
    // evicts the B panel; such an A is packed per pass, mr floats a step, sliver after sliver
    // (`mlp-wide`'s weight gradients 2002–2008 → 1925–1926 µs a step, one thread). A row-major
    // A with such rows (H of the forward and dZ of the deltas) measured no faster packed.
    let packsA = !skinny && KernelConfig.wideKernel && a.rowStride == 1 && a.columnStride % 256 == 0
        && zeroSteps == nil && columns.count > 2 * KernelConfig.nr
        && (columns.count - 1) % KernelConfig.nr >= KernelConfig.skinnyNR
    let packedA = scratch + KernelConfig.kc * KernelConfig.nr * KernelConfig.panelGroup + StepLists.size
    let accumulateFirst: Bool
    if case .accumulate = epilogue { accumulateFirst = true } else { accumulateFirst = false }
    var pc = 0
    repeat {
        let kc = min(kcMax, k - pc)
        let isLastPass = pc + kc >= k
        if skipping, let zeroSteps { lists.build(zeroSteps, rows: rows, step: pc, depth: kc, sliverRows: mr) }
        if packsA { packTransposedA(a, rows: rows, step: pc, depth: kc, into: packedA) }
        var j = columns.lowerBound
        while j < columns.upperBound {
            let width = min(nr, columns.upperBound - j)
            // A last panel of at most 16 columns after wide ones (100 = 3·32 + 4) runs on the
            // 16 × 16 tile, which computes 16 lanes per row instead of 32. Each element is the
            // same chain of FMAs in either tile, so the choice changes no bit.
            let narrow = !skinny && KernelConfig.wideKernel && width <= KernelConfig.skinnyNR
            let sliverRows = narrow ? KernelConfig.skinnyMR : mr
            // The B panel for steps pc..<pc+kc and columns j..<j+width: in place when its steps
            // are contiguous runs of nr floats (or already packed), otherwise packed
            // (zero-padded) into scratch.
            let panel: UnsafePointer<Float>
            let panelStride: Int
            if b.panelStride > 0 {
                panel = b.base + j / nr * b.panelStride + pc * nr
                panelStride = nr
            } else if b.columnStride == 1 && width == nr && !packAlways {
                panel = b.base + pc * b.rowStride + j
                panelStride = b.rowStride
            } else if grouped && width == nr {
                // Whole panels of a B with contiguous rows: pack `panelGroup` of them at once,
                // reading each step's run of up to 1 KiB in order.
                let index = (j - columns.lowerBound) / nr % KernelConfig.panelGroup
                if index == 0 {
                    let whole = (columns.upperBound - j) / nr
                    packBPanels(b, row: pc, column: j, depth: kc, panels: min(whole, KernelConfig.panelGroup), into: scratch)
                }
                panel = UnsafePointer(scratch + index * kc * nr)
                panelStride = nr
            } else {
                let packedWidth = narrow ? KernelConfig.skinnyNR : nr
                packB(b, row: pc, column: j, depth: kc, width: width, panelWidth: packedWidth, into: scratch)
                panel = UnsafePointer(scratch)
                panelStride = packedWidth
            }
            var i = rows.lowerBound
            while i < rows.upperBound {
                let height = min(sliverRows, rows.upperBound - i)
                let finish = epilogue.tile(row: i, column: j, lastPass: isLastPass)
                finish.prefetchOperands(rows: height, columns: width)
                let aTile = packsA
                    ? UnsafePointer(packedA + (i - rows.lowerBound) * kc)
                    : a.base + i * a.rowStride + pc * a.columnStride
                let (aRowStride, aColumnStride) = packsA ? (1, mr) : (a.rowStride, a.columnStride)
                let cTile = c + i * ldc + j
                let loadC = pc > 0 || accumulateFirst
                if skinny || narrow {
                    microKernel16x16(
                        kc: kc, a: aTile, aRowStride: aRowStride, aColumnStride: aColumnStride,
                        b: panel, bRowStride: panelStride, c: cTile, ldc: ldc, rows: height, columns: width,
                        loadC: loadC, finish: finish)
                } else if KernelConfig.wideKernel {
                    // The listed steps when they are at most ¾ of the pass: above that the plain loop,
                    // with no index to load, is faster.
                    let sliver = (i - rows.lowerBound) / mr
                    let listed = skipping && 4 * lists.count(sliver) <= 3 * kc
                    microKernel8x32(
                        kc: listed ? lists.count(sliver) : kc, a: aTile, aRowStride: aRowStride,
                        aColumnStride: aColumnStride, b: panel, bRowStride: panelStride, c: cTile, ldc: ldc, rows: height,
                        columns: width, loadC: loadC, finish: finish, steps: listed ? lists.steps(sliver) : nil)
                } else {
                    microKernel6x16(
                        kc: kc, a: aTile, aRowStride: aRowStride, aColumnStride: aColumnStride,
                        b: panel, bRowStride: panelStride, c: cTile, ldc: ldc, rows: height, columns: width,
                        loadC: loadC, finish: finish)
                }
                i += sliverRows
            }
            j += nr
        }
        pc += kc
    } while pc < k
}

/// Packs `panels` whole nr-wide panels of a B with contiguous rows, B[row..<row+depth,
/// column..<column+panels·nr], panel p at p·depth·nr: each step's run read once, in order.
func packBPanels(
    _ b: MatrixOperand, row: Int, column: Int, depth: Int, panels: Int, into destination: UnsafeMutablePointer<Float>
) {
    let nr = KernelConfig.nr
    let origin = b.base + row * b.rowStride + column
    let vectors = nr / Vector.scalarCount
    for s in 0..<depth {
        let source = UnsafeRawPointer(origin + s * b.rowStride)
        let out = UnsafeMutableRawPointer(destination + s * nr)
        for p in 0..<panels {
            for v in 0..<vectors {
                let offset = (p * nr + v * Vector.scalarCount) * MemoryLayout<Float>.stride
                out.storeBytes(
                    of: source.loadUnaligned(fromByteOffset: offset, as: Vector.self),
                    toByteOffset: (p * depth * nr + v * Vector.scalarCount) * MemoryLayout<Float>.stride, as: Vector.self)
            }
        }
    }
}

/// Packs A[rows, step..<step+depth] of an A whose rows are adjacent (`rowStride` 1: a transposed
/// matrix) in slivers of the 8 × 32 tile's mr = 8 rows: sliver s holds `depth` steps of 8 floats,
/// A[i, step + t] at s·8·depth + 8t + (i mod 8). A partial last sliver repeats its last row (those
/// results are never stored).
func packTransposedA(
    _ a: MatrixOperand, rows: Range<Int>, step: Int, depth: Int, into destination: UnsafeMutablePointer<Float>
) {
    let mr = KernelConfig.mr
    precondition(mr == SIMD8<Float>.scalarCount, "packTransposedA: slivers of 8 rows (the AVX-512 tile) only")
    var i = rows.lowerBound
    var out = destination
    while i < rows.upperBound {
        let height = min(mr, rows.upperBound - i)
        var source = a.base + i + step * a.columnStride
        if height == mr {
            for t in 0..<depth {
                UnsafeMutableRawPointer(out + t * mr).storeBytes(
                    of: UnsafeRawPointer(source).loadUnaligned(as: SIMD8<Float>.self), as: SIMD8<Float>.self)
                source += a.columnStride
            }
        } else {
            for t in 0..<depth {
                for r in 0..<mr { out[t * mr + r] = source[min(r, height - 1)] }
                source += a.columnStride
            }
        }
        out += depth * mr
        i += mr
    }
}

/// Packs B[row..<row+depth, column..<column+width] as one panel: step s holds the `panelWidth`
/// values B[row + s, column + c], zero past `width`.
func packB(
    _ b: MatrixOperand, row: Int, column: Int, depth: Int, width: Int, panelWidth nr: Int,
    into destination: UnsafeMutablePointer<Float>
) {
    let origin = b.base + row * b.rowStride + column * b.columnStride
    if b.columnStride == 1 && width == nr && nr % Vector.scalarCount == 0 {
        // Rows of B are contiguous and the panel whole (dZ with rows a power of two apart, whose
        // in-place panel would fall in a few L1 sets): copy each step's run a vector at a time.
        for s in 0..<depth {
            let source = UnsafeRawPointer(origin + s * b.rowStride)
            let out = UnsafeMutableRawPointer(destination + s * nr)
            var offset = 0
            while offset < nr * MemoryLayout<Float>.stride {
                out.storeBytes(of: source.loadUnaligned(fromByteOffset: offset, as: Vector.self), toByteOffset: offset, as: Vector.self)
                offset += MemoryLayout<Vector>.stride
            }
        }
    } else if b.columnStride == 1 {
        // A partial panel: copy each step's run, zero past it.
        for s in 0..<depth {
            let source = origin + s * b.rowStride
            let out = destination + s * nr
            for cIndex in 0..<nr { out[cIndex] = cIndex < width ? source[cIndex] : 0 }
        }
    } else if b.rowStride == 1 && width == nr && nr % 16 == 0 && depth % 16 == 0 {
        // Transposed source (Wᵀ, read in place when a step keeps no copy of a large W) in whole
        // 16 × 16 blocks, transposed in registers: a row of W per 16 steps rather than a float.
        for c0 in stride(from: 0, to: nr, by: 16) {
            for s0 in stride(from: 0, to: depth, by: 16) {
                transpose16x16(
                    from: origin + c0 * b.columnStride + s0, rowStride: b.columnStride,
                    to: destination + s0 * nr + c0, rowStride: nr)
            }
        }
    } else {
        // Transposed source (Wᵀ): walk each column along its contiguous depth.
        for cIndex in 0..<nr {
            if cIndex < width {
                let source = origin + cIndex * b.columnStride
                for s in 0..<depth { destination[s * nr + cIndex] = source[s * b.rowStride] }
            } else {
                for s in 0..<depth { destination[s * nr + cIndex] = 0 }
            }
        }
    }
}
