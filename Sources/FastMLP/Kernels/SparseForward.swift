// The first layer's forward product on a sparse batch, Y = f(X·W + b), summing each output over
// only the nonzero inputs, with a panel of the outputs held in registers while those rows of W
// stream past from L1: for a 128-column panel two images at a time, each over its own nonzero
// inputs; for a 97- to 112-column panel the same on Zen 4, and elsewhere slivers of three images
// over the inputs at which one of them is nonzero.

/// Whether ``sparseForward(masks:origin:m:n:k:inputs:w:ldw:packed:c:ldc:epilogue:scratch:)`` has a
/// register tile for a layer of `n` outputs (and this CPU's vector registers): panels of 128
/// columns, the last 97 to 128 wide — the hidden layers of seed-sigmoid (100), mlp-128 and
/// speedrun (256). Other widths keep the GEMM's 8 × 32 tile over step lists.
func sparseForwardCovers(columns n: Int) -> Bool {
    KernelConfig.wideKernel && n >= 97 && (n % 128 == 0 || n % 128 >= 97)
}

/// Whether ``sparseForward(masks:origin:m:n:k:inputs:w:ldw:packed:c:ldc:epilogue:scratch:)`` can
/// read W from the GEMM's packed panels for a layer of `n` outputs: when every panel is 128
/// columns wide (`mlp-wide`'s 1024) and the GEMM's panels are 32 wide.
func sparseForwardReadsPanels(columns n: Int) -> Bool {
    KernelConfig.wideKernel && KernelConfig.nr == 32 && n > 0 && n % 128 == 0
}

/// The blocking of ``sparseForward(masks:origin:m:n:k:inputs:w:ldw:packed:c:ldc:epilogue:scratch:)``,
/// and the scratch it takes: a chunk's accumulators between blocks, then its sums of the passes
/// before. Measured on seed-sigmoid and mlp-128 (family 26, one thread, µs a step for the
/// forward products): blocks of 64 steps and chunks of 8 slivers 14.0 and 30.3; 32 steps 15.4
/// and 32.5; 16 steps 18.4; chunks of 4 or 6 slivers, or 11, the same within noise; unblocked
/// (each sliver streaming W from L2) 18.3 and 36.
enum SparseForwardScratch {
    /// Slivers of 3 that share each block of W (the pair kernel's chunks are ``pairChunkRows``).
    static let chunkSlivers = 8
    /// Steps (rows of W) per block: at most 64, one word of the masks.
    static let blockSteps = 64
    /// Rows per chunk of the pair kernel: a whole row tile (up to 64 rows) in one chunk, so that
    /// each block of W comes from L2 once per tile (`mlp-128`, family 25: a C model of the kernel
    /// on MNIST batches, 12.0–12.1 against 12.4–13.7 cycles per nonzero with chunks of 24 rows,
    /// 13.3 against 15.0 with W₁ evicted from L2 before each step; the first layer's forward in
    /// `epoch --breakdown`, one thread, 8 runs alternating, 44.1 against 49.5 µs a step, median).
    static let pairChunkRows = 64
    /// Floats of scratch it needs (panels of up to 128 floats).
    static let size = 2 * max(chunkSlivers * 3, pairChunkRows) * 128
}

/// C (m × n, rows `ldc` apart) = epilogue(X·W) for the rows `origin ..< origin + m` of a batch X
/// (`inputs`, floats or bytes with their values, whose row i is the batch's row origin + i) whose
/// nonzero inputs `masks` records, W k × n row-major (`ldw` apart).
///
/// Bitwise what ``gemmSerial(m:n:k:a:b:c:ldc:epilogue:zeroSteps:scratch:)`` gives: every element
/// is summed over k in passes of kc steps, each pass a chain of fused multiply-adds from zero in
/// ascending k, added to the passes before, then the epilogue on the total. The chain of a row
/// leaves out steps at which it is zero: exact zeros added to a running sum from +0, which change
/// no bit. The kernel reads X in place, with nothing packed; a byte input and the float the
/// dense path made of it are the same value, so the bytes give the same sums.
/// - A 128-column panel runs two images side by side, each over its own nonzero inputs, 2 × 8
///   accumulators: no step of an image is spent on another's pixels (`mlp-128`, family 26, one
///   thread: 27.2–27.7 µs a step for the forward products against 31.2–33.8 with slivers of 3).
/// - A 97- to 112-column panel (a layer of 100) runs slivers of 3 images over the union of their
///   nonzero inputs, 3 × 7 accumulators (before blocking over k, on seed-sigmoid, one thread,
///   family 26: 3 rows 18.7 µs a step, 2 rows 20.6, 4 rows 25.1 as they spill, the GEMM's 8 × 32
///   tile over step lists 21.9). Pairs of images with 7 vectors measured slower there: 16.0–16.4
///   µs a step against 14.7–15.0. Where a 512-bit FMA issues once a cycle rather than twice
///   (``KernelConfig/halfRateWideFMA``, Zen 4) the FMAs the union spends on zeros cost more than
///   the loads they share, and such a panel runs pairs of images too, 2 × 7 accumulators
///   (`seed-sigmoid`, family 25, `epoch --breakdown`, the first layer's forward, medians of 14
///   runs alternating with the slivers: 25.7–27.8 → 22.8–22.9 µs a step on one thread, 15.6 →
///   14.6–15.8 on two).
///
/// With `packed` (W in the GEMM's panels of 32 columns, for a layer that
/// ``sparseForwardReadsPanels(columns:)`` accepts), the pair kernel reads W from there: rows 128
/// bytes apart rather than a power-of-two row of W that would put a block in a few L1 sets.
///
/// Reads up to 15 floats past the end of W's last row (within a `FloatBuffer`'s padding, or the
/// parameters that follow W); the lanes past n are never stored. `epilogue` is a forward one
/// (`.biasActivation`), whose tile is the sliver.
///
/// With `passes`, only those passes over k run, each leaving its sums unfinished where `passes`
/// says (``finishPasses(_:rows:n:c:ldc:epilogue:)`` adds them up and applies the epilogue).
/// `narrowPairs` chooses the kernel of a 97- to 112-column panel (the same bits either way).
func sparseForward(
    masks: NonzeroMasks, origin: Int, m: Int, n: Int, k: Int, inputs: SparseInputs,
    w: UnsafePointer<Float>, ldw: Int, packed: MatrixOperand? = nil, c: UnsafeMutablePointer<Float>, ldc: Int,
    epilogue: Epilogue, passes: ForwardPasses? = nil, narrowPairs: Bool = KernelConfig.halfRateWideFMA,
    scratch: UnsafeMutableRawPointer
) {
    switch inputs {
    case .floats(let x):
        sparseForward(
            masks: masks, origin: origin, m: m, n: n, k: k, x: x, w: w, ldw: ldw, packed: packed, c: c, ldc: ldc,
            epilogue: epilogue, passes: passes, narrowPairs: narrowPairs, scratch: scratch)
    case .bytes(let x):
        sparseForward(
            masks: masks, origin: origin, m: m, n: n, k: k, x: x, w: w, ldw: ldw, packed: packed, c: c, ldc: ldc,
            epilogue: epilogue, passes: passes, narrowPairs: narrowPairs, scratch: scratch)
    }
}

/// ``sparseForward(masks:origin:m:n:k:inputs:w:ldw:packed:c:ldc:epilogue:scratch:)`` for one
/// kind of input rows.
@inline(__always)
private func sparseForward<X: InputRows>(
    masks: NonzeroMasks, origin: Int, m: Int, n: Int, k: Int, x: X,
    w: UnsafePointer<Float>, ldw: Int, packed: MatrixOperand?, c: UnsafeMutablePointer<Float>, ldc: Int,
    epilogue: Epilogue, passes: ForwardPasses?, narrowPairs: Bool, scratch: UnsafeMutableRawPointer
) {
    precondition(sparseForwardCovers(columns: n), "sparseForward: no tile for \(n) columns")
    precondition(
        passes.map { $0.rowStride >= roundUp(n, to: Vector.scalarCount) } ?? true, "sparseForward: pass rows too short")
    if let packed {
        // W in the GEMM's panels of 32 columns: each 128-column panel reads four of them.
        precondition(sparseForwardReadsPanels(columns: n), "sparseForward: packed W needs whole 128-column panels")
        let floatBytes = MemoryLayout<Float>.stride
        for j in stride(from: 0, to: n, by: 128) {
            runPaired(
                ImagePair8.self, masks: masks, origin: origin, m: m, columns: j..<j + 128, k: k, x: x,
                w: packed.base + j / KernelConfig.nr * packed.panelStride, stepBytes: KernelConfig.nr * floatBytes,
                rows: { GroupedRows($0, groupBytes: packed.panelStride * floatBytes) }, c: c, ldc: ldc,
                epilogue: epilogue, passes: passes, scratch: scratch)
        }
        return
    }
    // Panels of 128 columns, the last one 97 to 128 wide.
    var j = 0
    while j < n {
        let width = min(128, n - j)
        let floatBytes = MemoryLayout<Float>.stride
        if width > 112 {
            runPaired(
                ImagePair8.self, masks: masks, origin: origin, m: m, columns: j..<j + width, k: k, x: x, w: w + j,
                stepBytes: ldw * floatBytes, rows: { ContiguousRows(base: $0) }, c: c, ldc: ldc, epilogue: epilogue,
                passes: passes, scratch: scratch)
        } else if narrowPairs {
            runPaired(
                ImagePair7.self, masks: masks, origin: origin, m: m, columns: j..<j + width, k: k, x: x, w: w + j,
                stepBytes: ldw * floatBytes, rows: { ContiguousRows(base: $0) }, c: c, ldc: ldc, epilogue: epilogue,
                passes: passes, scratch: scratch)
        } else {
            runBlocked(
                SliverBlock3x7.self, masks: masks, origin: origin, m: m, columns: j..<j + width, k: k, x: x,
                w: w, ldw: ldw, c: c, ldc: ldc, epilogue: epilogue, passes: passes, scratch: scratch)
        }
        j += width
    }
}
/// The kernel for one register tile, blocked over k: for chunks of `chunkSlivers` slivers, each
/// block of `blockSteps` rows of W (in L1 once the first sliver has read it) serves every sliver
/// of the chunk in turn; a sliver's accumulators are saved to scratch between blocks and loaded
/// back, which continues the same chain of FMAs.
@inline(__always)
private func runBlocked<Block: SliverBlock, X: InputRows>(
    _: Block.Type, masks: NonzeroMasks, origin: Int, m: Int, columns: Range<Int>, k: Int, x: X,
    w: UnsafePointer<Float>, ldw: Int, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue,
    passes: ForwardPasses?, scratch: UnsafeMutableRawPointer
) {
    let w = w + columns.lowerBound
    let rowsPerSliver = Block.rows
    let width = Block.vectors * Vector.scalarCount
    let rowBytes = width * MemoryLayout<Float>.stride
    let chunkRows = SparseForwardScratch.chunkSlivers * rowsPerSliver
    // Accumulators between blocks, then the sums of the passes before, chunkRows rows each.
    let partials = scratch
    let totals = (scratch + chunkRows * rowBytes).assumingMemoryBound(to: Float.self)
    let wStep = ldw * MemoryLayout<Float>.stride
    var c0 = 0
    while c0 < m {
        let c1 = min(m, c0 + chunkRows)
        var pc = 0
        repeat {
            let depth = min(KernelConfig.kc, k - pc)
            let isLastPass = pc + depth >= k
            let pass = pc / KernelConfig.kc
            if let passes, !passes.computes(pass) {
                pc += depth
                continue
            }
            var b0 = 0
            repeat {
                let steps = min(SparseForwardScratch.blockSteps, depth - b0)
                let isLastBlock = b0 + steps >= depth
                let base = UnsafeRawPointer(w + (pc + b0) * ldw)
                var i = c0
                while i < c1 {
                    let height = min(rowsPerSliver, c1 - i)
                    var mask: UInt64 = 0
                    for r in 0..<height { mask |= masks.bits(row: origin + i + r, first: pc + b0, count: steps) }
                    let slot = partials + (i - c0) * rowBytes
                    var block = Block()
                    if b0 > 0 { block.load(slot, rowBytes: rowBytes) }
                    let rows = SliverRows(x, i, from: pc + b0, height: height)
                    while mask != 0 {
                        let s = mask.trailingZeroBitCount
                        mask &= mask &- 1
                        block.add(rows, s, base + s &* wStep)
                    }
                    if isLastBlock && isLastPass && passes == nil {
                        block.save(slot, rowBytes: rowBytes)
                        storeSliver(
                            slot, previous: pc == 0 ? nil : totals + (i - c0) * width, width: width, c: c, ldc: ldc,
                            rows: i..<i + height, columns: columns, epilogue: epilogue, fullRows: rowsPerSliver)
                    } else if isLastBlock {
                        block.finish(passes.map { PassSink(sums: $0.sums(pass: pass, row: i, column: columns.lowerBound), rows: height) } ?? PassSink(
                            totals: totals + (i - c0) * width, width: width, isFirst: pc == 0))
                    } else {
                        block.save(slot, rowBytes: rowBytes)
                    }
                    i += rowsPerSliver
                }
                b0 += steps
            } while b0 < depth
            pc += depth
        } while pc < k
        c0 = c1
    }
}

/// A sliver's last pass: its sums, saved at `sums` (rows `width` floats apart), added to the
/// passes before (`previous`, laid out alike) and through the epilogue into C, in one call.
/// The sliver is rows `rows` and columns `columns` of C, a register tile `fullRows` × `width`.
@inline(__always)
private func storeSliver(
    _ sums: UnsafeMutableRawPointer, previous: UnsafeMutablePointer<Float>?, width: Int,
    c: UnsafeMutablePointer<Float>, ldc: Int, rows: Range<Int>, columns: Range<Int>, epilogue: Epilogue, fullRows: Int
) {
    let tile = TileStore(
        c: c + rows.lowerBound * ldc + columns.lowerBound, ldc: ldc, rows: rows.count, columns: columns.count,
        loadC: false, finish: epilogue.tile(row: rows.lowerBound, column: columns.lowerBound, lastPass: true),
        fullRows: fullRows, fullColumns: width)
    tile.storeRows(sums.assumingMemoryBound(to: Float.self), rowStride: width, previous: previous)
}

/// The rows of a sliver of 3 (the first row again past `height`; those sums are never stored).
struct SliverRows<Row: InputRow> {
    let r0, r1, r2: Row

    /// Rows `i ..< i + height` of `x`, from input `first`.
    @inline(__always) init<X: InputRows>(_ x: X, _ i: Int, from first: Int, height: Int) where X.Row == Row {
        r0 = x.row(i).advanced(by: first)
        r1 = height > 1 ? x.row(i + 1).advanced(by: first) : r0
        r2 = height > 2 ? x.row(i + 2).advanced(by: first) : r0
    }
}

/// Where a pass's sums go (but the last pass's, which ``storeSliver(_:previous:width:tile:)``
/// adds to the totals and takes through the epilogue into C): into the sliver's running totals
/// (the first pass stores, later ones add, as the GEMM adds each pass to C).
struct PassSink {
    let totals: UnsafeMutablePointer<Float>
    let width: Int
    let isFirst: Bool
    /// With ``ForwardPasses``: the pass's own sums go here, whole vectors, rows `width` apart,
    /// for the sliver's first `rows` rows.
    let sums: UnsafeMutablePointer<Float>?
    let rows: Int

    @inline(__always) init(totals: UnsafeMutablePointer<Float>, width: Int, isFirst: Bool) {
        self.totals = totals
        self.width = width
        self.isFirst = isFirst
        sums = nil
        rows = 0
    }

    @inline(__always) init(sums: (UnsafeMutablePointer<Float>, rowStride: Int), rows: Int) {
        totals = sums.0
        width = sums.rowStride
        isFirst = true
        self.sums = sums.0
        self.rows = rows
    }

    @inline(__always) func take(_ sum: Vector, _ row: Int, _ vector: Int) {
        if let sums {
            guard row < rows else { return }
            UnsafeMutableRawPointer(sums + row * width + vector * Vector.scalarCount).storeBytes(of: sum, as: Vector.self)
            return
        }
        let p = UnsafeMutableRawPointer(totals + row * width + vector * Vector.scalarCount)
        p.storeBytes(of: isFirst ? sum : sum + p.loadUnaligned(as: Vector.self), as: Vector.self)
    }
}

/// A register tile of the sliver kernel, written out (Swift keeps named SIMD values in registers,
/// where an array of them would live in memory).
private protocol SliverBlock {
    static var rows: Int { get }
    static var vectors: Int { get }
    init()
    /// Step `s`: row r's x[s] times W's row at `w`, added to row r's accumulators.
    mutating func add<Row: InputRow>(_ x: SliverRows<Row>, _ s: Int, _ w: UnsafeRawPointer)
    /// The accumulators as `save` left them, rows `rowBytes` apart.
    mutating func load(_ p: UnsafeRawPointer, rowBytes: Int)
    func save(_ p: UnsafeMutableRawPointer, rowBytes: Int)
    func finish(_ sink: PassSink)
}

/// 3 rows × 7 vectors of accumulators, held in registers.
private struct SliverBlock3x7: SliverBlock {
    static var rows: Int { 3 }
    static var vectors: Int { 7 }
    var c00 = Vector(), c01 = Vector(), c02 = Vector(), c03 = Vector(), c04 = Vector(), c05 = Vector(), c06 = Vector()
    var c10 = Vector(), c11 = Vector(), c12 = Vector(), c13 = Vector(), c14 = Vector(), c15 = Vector(), c16 = Vector()
    var c20 = Vector(), c21 = Vector(), c22 = Vector(), c23 = Vector(), c24 = Vector(), c25 = Vector(), c26 = Vector()
    @inline(__always) init() {}
    @inline(__always) mutating func add<Row: InputRow>(_ x: SliverRows<Row>, _ s: Int, _ w: UnsafeRawPointer) {
        let x0 = x.r0[s]
        let x1 = x.r1[s]
        let x2 = x.r2[s]
        var w0 = w.loadUnaligned(as: Vector.self)
        c00 = c00.multiplyAdd(x0, w0); c10 = c10.multiplyAdd(x1, w0); c20 = c20.multiplyAdd(x2, w0)
        w0 = w.loadUnaligned(fromByteOffset: 64, as: Vector.self)
        c01 = c01.multiplyAdd(x0, w0); c11 = c11.multiplyAdd(x1, w0); c21 = c21.multiplyAdd(x2, w0)
        w0 = w.loadUnaligned(fromByteOffset: 128, as: Vector.self)
        c02 = c02.multiplyAdd(x0, w0); c12 = c12.multiplyAdd(x1, w0); c22 = c22.multiplyAdd(x2, w0)
        w0 = w.loadUnaligned(fromByteOffset: 192, as: Vector.self)
        c03 = c03.multiplyAdd(x0, w0); c13 = c13.multiplyAdd(x1, w0); c23 = c23.multiplyAdd(x2, w0)
        w0 = w.loadUnaligned(fromByteOffset: 256, as: Vector.self)
        c04 = c04.multiplyAdd(x0, w0); c14 = c14.multiplyAdd(x1, w0); c24 = c24.multiplyAdd(x2, w0)
        w0 = w.loadUnaligned(fromByteOffset: 320, as: Vector.self)
        c05 = c05.multiplyAdd(x0, w0); c15 = c15.multiplyAdd(x1, w0); c25 = c25.multiplyAdd(x2, w0)
        w0 = w.loadUnaligned(fromByteOffset: 384, as: Vector.self)
        c06 = c06.multiplyAdd(x0, w0); c16 = c16.multiplyAdd(x1, w0); c26 = c26.multiplyAdd(x2, w0)
    }
    @inline(__always) mutating func load(_ p: UnsafeRawPointer, rowBytes: Int) {
        c00 = p.load(fromByteOffset: 0 * rowBytes + 0, as: Vector.self); c01 = p.load(fromByteOffset: 0 * rowBytes + 64, as: Vector.self); c02 = p.load(fromByteOffset: 0 * rowBytes + 128, as: Vector.self); c03 = p.load(fromByteOffset: 0 * rowBytes + 192, as: Vector.self); c04 = p.load(fromByteOffset: 0 * rowBytes + 256, as: Vector.self); c05 = p.load(fromByteOffset: 0 * rowBytes + 320, as: Vector.self); c06 = p.load(fromByteOffset: 0 * rowBytes + 384, as: Vector.self)
        c10 = p.load(fromByteOffset: 1 * rowBytes + 0, as: Vector.self); c11 = p.load(fromByteOffset: 1 * rowBytes + 64, as: Vector.self); c12 = p.load(fromByteOffset: 1 * rowBytes + 128, as: Vector.self); c13 = p.load(fromByteOffset: 1 * rowBytes + 192, as: Vector.self); c14 = p.load(fromByteOffset: 1 * rowBytes + 256, as: Vector.self); c15 = p.load(fromByteOffset: 1 * rowBytes + 320, as: Vector.self); c16 = p.load(fromByteOffset: 1 * rowBytes + 384, as: Vector.self)
        c20 = p.load(fromByteOffset: 2 * rowBytes + 0, as: Vector.self); c21 = p.load(fromByteOffset: 2 * rowBytes + 64, as: Vector.self); c22 = p.load(fromByteOffset: 2 * rowBytes + 128, as: Vector.self); c23 = p.load(fromByteOffset: 2 * rowBytes + 192, as: Vector.self); c24 = p.load(fromByteOffset: 2 * rowBytes + 256, as: Vector.self); c25 = p.load(fromByteOffset: 2 * rowBytes + 320, as: Vector.self); c26 = p.load(fromByteOffset: 2 * rowBytes + 384, as: Vector.self)
    }
    @inline(__always) func save(_ p: UnsafeMutableRawPointer, rowBytes: Int) {
        p.storeBytes(of: c00, toByteOffset: 0 * rowBytes + 0, as: Vector.self); p.storeBytes(of: c01, toByteOffset: 0 * rowBytes + 64, as: Vector.self); p.storeBytes(of: c02, toByteOffset: 0 * rowBytes + 128, as: Vector.self); p.storeBytes(of: c03, toByteOffset: 0 * rowBytes + 192, as: Vector.self); p.storeBytes(of: c04, toByteOffset: 0 * rowBytes + 256, as: Vector.self); p.storeBytes(of: c05, toByteOffset: 0 * rowBytes + 320, as: Vector.self); p.storeBytes(of: c06, toByteOffset: 0 * rowBytes + 384, as: Vector.self)
        p.storeBytes(of: c10, toByteOffset: 1 * rowBytes + 0, as: Vector.self); p.storeBytes(of: c11, toByteOffset: 1 * rowBytes + 64, as: Vector.self); p.storeBytes(of: c12, toByteOffset: 1 * rowBytes + 128, as: Vector.self); p.storeBytes(of: c13, toByteOffset: 1 * rowBytes + 192, as: Vector.self); p.storeBytes(of: c14, toByteOffset: 1 * rowBytes + 256, as: Vector.self); p.storeBytes(of: c15, toByteOffset: 1 * rowBytes + 320, as: Vector.self); p.storeBytes(of: c16, toByteOffset: 1 * rowBytes + 384, as: Vector.self)
        p.storeBytes(of: c20, toByteOffset: 2 * rowBytes + 0, as: Vector.self); p.storeBytes(of: c21, toByteOffset: 2 * rowBytes + 64, as: Vector.self); p.storeBytes(of: c22, toByteOffset: 2 * rowBytes + 128, as: Vector.self); p.storeBytes(of: c23, toByteOffset: 2 * rowBytes + 192, as: Vector.self); p.storeBytes(of: c24, toByteOffset: 2 * rowBytes + 256, as: Vector.self); p.storeBytes(of: c25, toByteOffset: 2 * rowBytes + 320, as: Vector.self); p.storeBytes(of: c26, toByteOffset: 2 * rowBytes + 384, as: Vector.self)
    }
    @inline(__always) func finish(_ sink: PassSink) {
        sink.take(c00, 0, 0); sink.take(c01, 0, 1); sink.take(c02, 0, 2); sink.take(c03, 0, 3); sink.take(c04, 0, 4); sink.take(c05, 0, 5); sink.take(c06, 0, 6)
        sink.take(c10, 1, 0); sink.take(c11, 1, 1); sink.take(c12, 1, 2); sink.take(c13, 1, 3); sink.take(c14, 1, 4); sink.take(c15, 1, 5); sink.take(c16, 1, 6)
        sink.take(c20, 2, 0); sink.take(c21, 2, 1); sink.take(c22, 2, 2); sink.take(c23, 2, 3); sink.take(c24, 2, 4); sink.take(c25, 2, 5); sink.take(c26, 2, 6)
    }
}

/// The kernel for a panel over pairs of images (`Block`: 8 vectors for 113 to 128 columns, 7 for
/// 97 to 112), each walking its own nonzero inputs, blocked over k as
/// ``runBlocked(_:masks:origin:m:columns:k:x:w:ldw:c:ldc:epilogue:scratch:)`` but in chunks of
/// ``SparseForwardScratch/pairChunkRows`` images: in each block the two chains advance together while both have steps left, then the longer
/// one alone. Padding the shorter chain with one of its own zero inputs (one loop, no tails)
/// measured slower: 37.9–40.0 µs a step against 36.7–37.1 on a busy machine. The blocked walk
/// is written out here and in ``runBlocked(_:masks:origin:m:columns:k:x:w:ldw:c:ldc:epilogue:scratch:)``:
/// one walk handing each unit of rows to a closure cost 1.5–1.8 µs a step on both workloads.
@inline(__always)
private func runPaired<Block: ImagePair, Rows: RowsOfW, X: InputRows>(
    _: Block.Type, masks: NonzeroMasks, origin: Int, m: Int, columns: Range<Int>, k: Int, x: X,
    w: UnsafePointer<Float>, stepBytes wStep: Int, rows makeRows: (UnsafeRawPointer) -> Rows,
    c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue, passes: ForwardPasses?,
    scratch: UnsafeMutableRawPointer
) {
    let width = Block.vectors * Vector.scalarCount
    let rowBytes = width * MemoryLayout<Float>.stride
    let chunkRows = SparseForwardScratch.pairChunkRows
    let partials = scratch
    let totals = (scratch + chunkRows * rowBytes).assumingMemoryBound(to: Float.self)
    var c0 = 0
    while c0 < m {
        let c1 = min(m, c0 + chunkRows)
        var pc = 0
        repeat {
            let depth = min(KernelConfig.kc, k - pc)
            let isLastPass = pc + depth >= k
            let pass = pc / KernelConfig.kc
            if let passes, !passes.computes(pass) {
                pc += depth
                continue
            }
            var b0 = 0
            repeat {
                let steps = min(SparseForwardScratch.blockSteps, depth - b0)
                let isLastBlock = b0 + steps >= depth
                let rowsOfW = makeRows(UnsafeRawPointer(w) + (pc + b0) * wStep)
                var i = c0
                while i < c1 {
                    let height = min(2, c1 - i)
                    var mask0 = masks.bits(row: origin + i, first: pc + b0, count: steps)
                    var mask1 = height > 1 ? masks.bits(row: origin + i + 1, first: pc + b0, count: steps) : 0
                    let x0 = x.row(i).advanced(by: pc + b0)
                    let x1 = height > 1 ? x.row(i + 1).advanced(by: pc + b0) : x0
                    let slot = partials + (i - c0) * rowBytes
                    var block = Block()
                    if b0 > 0 { block.load(slot, rowBytes: rowBytes) }
                    while mask0 != 0 && mask1 != 0 {
                        let s0 = mask0.trailingZeroBitCount, s1 = mask1.trailingZeroBitCount
                        mask0 &= mask0 &- 1
                        mask1 &= mask1 &- 1
                        block.add(x0[s0], s0 &* wStep, x1[s1], s1 &* wStep, rowsOfW)
                    }
                    while mask0 != 0 {
                        let s = mask0.trailingZeroBitCount
                        mask0 &= mask0 &- 1
                        block.addFirst(x0[s], s &* wStep, rowsOfW)
                    }
                    while mask1 != 0 {
                        let s = mask1.trailingZeroBitCount
                        mask1 &= mask1 &- 1
                        block.addSecond(x1[s], s &* wStep, rowsOfW)
                    }
                    if isLastBlock && isLastPass && passes == nil {
                        block.save(slot, rowBytes: rowBytes)
                        storeSliver(
                            slot, previous: pc == 0 ? nil : totals + (i - c0) * width, width: width, c: c, ldc: ldc,
                            rows: i..<i + height, columns: columns, epilogue: epilogue, fullRows: 2)
                    } else if isLastBlock {
                        block.finish(passes.map { PassSink(sums: $0.sums(pass: pass, row: i, column: columns.lowerBound), rows: height) } ?? PassSink(
                            totals: totals + (i - c0) * width, width: width, isFirst: pc == 0))
                    } else {
                        block.save(slot, rowBytes: rowBytes)
                    }
                    i += 2
                }
                b0 += steps
            } while b0 < depth
            pc += depth
        } while pc < k
        c0 = c1
    }
}

/// 2 images × V vectors of accumulators, held in registers; W's rows as ``RowsOfW`` gives them.
/// Each width is written out (7 and 8 vectors, alike but for their count): named SIMD values stay
/// in registers, an array of them would not.
private protocol ImagePair {
    static var vectors: Int { get }
    init()
    /// Image 0's x0 times W's row at offset o0 and image 1's x1 times W's row at offset o1.
    mutating func add<W: RowsOfW>(_ x0: Float, _ o0: Int, _ x1: Float, _ o1: Int, _ w: W)
    mutating func addFirst<W: RowsOfW>(_ x: Float, _ o: Int, _ w: W)
    mutating func addSecond<W: RowsOfW>(_ x: Float, _ o: Int, _ w: W)
    mutating func load(_ p: UnsafeRawPointer, rowBytes: Int)
    func save(_ p: UnsafeMutableRawPointer, rowBytes: Int)
    func finish(_ sink: PassSink)
}

/// 2 images × 7 vectors: a panel of 97 to 112 columns.
private struct ImagePair7: ImagePair {
    static var vectors: Int { 7 }
    var c00 = Vector(), c01 = Vector(), c02 = Vector(), c03 = Vector(), c04 = Vector(), c05 = Vector(), c06 = Vector()
    var c10 = Vector(), c11 = Vector(), c12 = Vector(), c13 = Vector(), c14 = Vector(), c15 = Vector(), c16 = Vector()
    @inline(__always) init() {}
    @inline(__always) mutating func add<W: RowsOfW>(_ x0: Float, _ o0: Int, _ x1: Float, _ o1: Int, _ w: W) {
        c00 = c00.multiplyAdd(x0, w.vector(0, o0)); c10 = c10.multiplyAdd(x1, w.vector(0, o1))
        c01 = c01.multiplyAdd(x0, w.vector(1, o0)); c11 = c11.multiplyAdd(x1, w.vector(1, o1))
        c02 = c02.multiplyAdd(x0, w.vector(2, o0)); c12 = c12.multiplyAdd(x1, w.vector(2, o1))
        c03 = c03.multiplyAdd(x0, w.vector(3, o0)); c13 = c13.multiplyAdd(x1, w.vector(3, o1))
        c04 = c04.multiplyAdd(x0, w.vector(4, o0)); c14 = c14.multiplyAdd(x1, w.vector(4, o1))
        c05 = c05.multiplyAdd(x0, w.vector(5, o0)); c15 = c15.multiplyAdd(x1, w.vector(5, o1))
        c06 = c06.multiplyAdd(x0, w.vector(6, o0)); c16 = c16.multiplyAdd(x1, w.vector(6, o1))
    }
    @inline(__always) mutating func addFirst<W: RowsOfW>(_ x: Float, _ o: Int, _ w: W) {
        c00 = c00.multiplyAdd(x, w.vector(0, o)); c01 = c01.multiplyAdd(x, w.vector(1, o))
        c02 = c02.multiplyAdd(x, w.vector(2, o)); c03 = c03.multiplyAdd(x, w.vector(3, o))
        c04 = c04.multiplyAdd(x, w.vector(4, o)); c05 = c05.multiplyAdd(x, w.vector(5, o))
        c06 = c06.multiplyAdd(x, w.vector(6, o))
    }
    @inline(__always) mutating func addSecond<W: RowsOfW>(_ x: Float, _ o: Int, _ w: W) {
        c10 = c10.multiplyAdd(x, w.vector(0, o)); c11 = c11.multiplyAdd(x, w.vector(1, o))
        c12 = c12.multiplyAdd(x, w.vector(2, o)); c13 = c13.multiplyAdd(x, w.vector(3, o))
        c14 = c14.multiplyAdd(x, w.vector(4, o)); c15 = c15.multiplyAdd(x, w.vector(5, o))
        c16 = c16.multiplyAdd(x, w.vector(6, o))
    }
    @inline(__always) mutating func load(_ p: UnsafeRawPointer, rowBytes: Int) {
        c00 = p.load(fromByteOffset: 0, as: Vector.self); c01 = p.load(fromByteOffset: 64, as: Vector.self); c02 = p.load(fromByteOffset: 128, as: Vector.self); c03 = p.load(fromByteOffset: 192, as: Vector.self); c04 = p.load(fromByteOffset: 256, as: Vector.self); c05 = p.load(fromByteOffset: 320, as: Vector.self); c06 = p.load(fromByteOffset: 384, as: Vector.self)
        c10 = p.load(fromByteOffset: rowBytes + 0, as: Vector.self); c11 = p.load(fromByteOffset: rowBytes + 64, as: Vector.self); c12 = p.load(fromByteOffset: rowBytes + 128, as: Vector.self); c13 = p.load(fromByteOffset: rowBytes + 192, as: Vector.self); c14 = p.load(fromByteOffset: rowBytes + 256, as: Vector.self); c15 = p.load(fromByteOffset: rowBytes + 320, as: Vector.self); c16 = p.load(fromByteOffset: rowBytes + 384, as: Vector.self)
    }
    @inline(__always) func save(_ p: UnsafeMutableRawPointer, rowBytes: Int) {
        p.storeBytes(of: c00, toByteOffset: 0, as: Vector.self); p.storeBytes(of: c01, toByteOffset: 64, as: Vector.self); p.storeBytes(of: c02, toByteOffset: 128, as: Vector.self); p.storeBytes(of: c03, toByteOffset: 192, as: Vector.self); p.storeBytes(of: c04, toByteOffset: 256, as: Vector.self); p.storeBytes(of: c05, toByteOffset: 320, as: Vector.self); p.storeBytes(of: c06, toByteOffset: 384, as: Vector.self)
        p.storeBytes(of: c10, toByteOffset: rowBytes + 0, as: Vector.self); p.storeBytes(of: c11, toByteOffset: rowBytes + 64, as: Vector.self); p.storeBytes(of: c12, toByteOffset: rowBytes + 128, as: Vector.self); p.storeBytes(of: c13, toByteOffset: rowBytes + 192, as: Vector.self); p.storeBytes(of: c14, toByteOffset: rowBytes + 256, as: Vector.self); p.storeBytes(of: c15, toByteOffset: rowBytes + 320, as: Vector.self); p.storeBytes(of: c16, toByteOffset: rowBytes + 384, as: Vector.self)
    }
    @inline(__always) func finish(_ sink: PassSink) {
        sink.take(c00, 0, 0); sink.take(c01, 0, 1); sink.take(c02, 0, 2); sink.take(c03, 0, 3); sink.take(c04, 0, 4); sink.take(c05, 0, 5); sink.take(c06, 0, 6)
        sink.take(c10, 1, 0); sink.take(c11, 1, 1); sink.take(c12, 1, 2); sink.take(c13, 1, 3); sink.take(c14, 1, 4); sink.take(c15, 1, 5); sink.take(c16, 1, 6)
    }
}

/// 2 images × 8 vectors: a panel of 113 to 128 columns.
private struct ImagePair8: ImagePair {
    static var vectors: Int { 8 }
    var c00 = Vector(), c01 = Vector(), c02 = Vector(), c03 = Vector(), c04 = Vector(), c05 = Vector(), c06 = Vector(), c07 = Vector()
    var c10 = Vector(), c11 = Vector(), c12 = Vector(), c13 = Vector(), c14 = Vector(), c15 = Vector(), c16 = Vector(), c17 = Vector()
    @inline(__always) init() {}
    /// Image 0's x0 times W's row at offset o0 and image 1's x1 times W's row at offset o1.
    @inline(__always) mutating func add<W: RowsOfW>(_ x0: Float, _ o0: Int, _ x1: Float, _ o1: Int, _ w: W) {
        c00 = c00.multiplyAdd(x0, w.vector(0, o0)); c10 = c10.multiplyAdd(x1, w.vector(0, o1))
        c01 = c01.multiplyAdd(x0, w.vector(1, o0)); c11 = c11.multiplyAdd(x1, w.vector(1, o1))
        c02 = c02.multiplyAdd(x0, w.vector(2, o0)); c12 = c12.multiplyAdd(x1, w.vector(2, o1))
        c03 = c03.multiplyAdd(x0, w.vector(3, o0)); c13 = c13.multiplyAdd(x1, w.vector(3, o1))
        c04 = c04.multiplyAdd(x0, w.vector(4, o0)); c14 = c14.multiplyAdd(x1, w.vector(4, o1))
        c05 = c05.multiplyAdd(x0, w.vector(5, o0)); c15 = c15.multiplyAdd(x1, w.vector(5, o1))
        c06 = c06.multiplyAdd(x0, w.vector(6, o0)); c16 = c16.multiplyAdd(x1, w.vector(6, o1))
        c07 = c07.multiplyAdd(x0, w.vector(7, o0)); c17 = c17.multiplyAdd(x1, w.vector(7, o1))
    }
    @inline(__always) mutating func addFirst<W: RowsOfW>(_ x: Float, _ o: Int, _ w: W) {
        c00 = c00.multiplyAdd(x, w.vector(0, o)); c01 = c01.multiplyAdd(x, w.vector(1, o))
        c02 = c02.multiplyAdd(x, w.vector(2, o)); c03 = c03.multiplyAdd(x, w.vector(3, o))
        c04 = c04.multiplyAdd(x, w.vector(4, o)); c05 = c05.multiplyAdd(x, w.vector(5, o))
        c06 = c06.multiplyAdd(x, w.vector(6, o)); c07 = c07.multiplyAdd(x, w.vector(7, o))
    }
    @inline(__always) mutating func addSecond<W: RowsOfW>(_ x: Float, _ o: Int, _ w: W) {
        c10 = c10.multiplyAdd(x, w.vector(0, o)); c11 = c11.multiplyAdd(x, w.vector(1, o))
        c12 = c12.multiplyAdd(x, w.vector(2, o)); c13 = c13.multiplyAdd(x, w.vector(3, o))
        c14 = c14.multiplyAdd(x, w.vector(4, o)); c15 = c15.multiplyAdd(x, w.vector(5, o))
        c16 = c16.multiplyAdd(x, w.vector(6, o)); c17 = c17.multiplyAdd(x, w.vector(7, o))
    }
    @inline(__always) mutating func load(_ p: UnsafeRawPointer, rowBytes: Int) {
        c00 = p.load(fromByteOffset: 0 * rowBytes + 0, as: Vector.self); c01 = p.load(fromByteOffset: 0 * rowBytes + 64, as: Vector.self); c02 = p.load(fromByteOffset: 0 * rowBytes + 128, as: Vector.self); c03 = p.load(fromByteOffset: 0 * rowBytes + 192, as: Vector.self); c04 = p.load(fromByteOffset: 0 * rowBytes + 256, as: Vector.self); c05 = p.load(fromByteOffset: 0 * rowBytes + 320, as: Vector.self); c06 = p.load(fromByteOffset: 0 * rowBytes + 384, as: Vector.self); c07 = p.load(fromByteOffset: 0 * rowBytes + 448, as: Vector.self)
        c10 = p.load(fromByteOffset: 1 * rowBytes + 0, as: Vector.self); c11 = p.load(fromByteOffset: 1 * rowBytes + 64, as: Vector.self); c12 = p.load(fromByteOffset: 1 * rowBytes + 128, as: Vector.self); c13 = p.load(fromByteOffset: 1 * rowBytes + 192, as: Vector.self); c14 = p.load(fromByteOffset: 1 * rowBytes + 256, as: Vector.self); c15 = p.load(fromByteOffset: 1 * rowBytes + 320, as: Vector.self); c16 = p.load(fromByteOffset: 1 * rowBytes + 384, as: Vector.self); c17 = p.load(fromByteOffset: 1 * rowBytes + 448, as: Vector.self)
    }
    @inline(__always) func save(_ p: UnsafeMutableRawPointer, rowBytes: Int) {
        p.storeBytes(of: c00, toByteOffset: 0 * rowBytes + 0, as: Vector.self); p.storeBytes(of: c01, toByteOffset: 0 * rowBytes + 64, as: Vector.self); p.storeBytes(of: c02, toByteOffset: 0 * rowBytes + 128, as: Vector.self); p.storeBytes(of: c03, toByteOffset: 0 * rowBytes + 192, as: Vector.self); p.storeBytes(of: c04, toByteOffset: 0 * rowBytes + 256, as: Vector.self); p.storeBytes(of: c05, toByteOffset: 0 * rowBytes + 320, as: Vector.self); p.storeBytes(of: c06, toByteOffset: 0 * rowBytes + 384, as: Vector.self); p.storeBytes(of: c07, toByteOffset: 0 * rowBytes + 448, as: Vector.self)
        p.storeBytes(of: c10, toByteOffset: 1 * rowBytes + 0, as: Vector.self); p.storeBytes(of: c11, toByteOffset: 1 * rowBytes + 64, as: Vector.self); p.storeBytes(of: c12, toByteOffset: 1 * rowBytes + 128, as: Vector.self); p.storeBytes(of: c13, toByteOffset: 1 * rowBytes + 192, as: Vector.self); p.storeBytes(of: c14, toByteOffset: 1 * rowBytes + 256, as: Vector.self); p.storeBytes(of: c15, toByteOffset: 1 * rowBytes + 320, as: Vector.self); p.storeBytes(of: c16, toByteOffset: 1 * rowBytes + 384, as: Vector.self); p.storeBytes(of: c17, toByteOffset: 1 * rowBytes + 448, as: Vector.self)
    }
    @inline(__always) func finish(_ sink: PassSink) {
        sink.take(c00, 0, 0); sink.take(c01, 0, 1); sink.take(c02, 0, 2); sink.take(c03, 0, 3); sink.take(c04, 0, 4); sink.take(c05, 0, 5); sink.take(c06, 0, 6); sink.take(c07, 0, 7)
        sink.take(c10, 1, 0); sink.take(c11, 1, 1); sink.take(c12, 1, 2); sink.take(c13, 1, 3); sink.take(c14, 1, 4); sink.take(c15, 1, 5); sink.take(c16, 1, 6); sink.take(c17, 1, 7)
    }
}

/// Where a block's rows of W lie for ``ImagePair8``: vector v (of 8) of the row `offset` bytes
/// past the block's first.
private protocol RowsOfW {
    func vector(_ v: Int, _ offset: Int) -> Vector
}

/// Row-major W: a row's 128 columns one after another.
private struct ContiguousRows: RowsOfW {
    let base: UnsafeRawPointer

    @inline(__always) func vector(_ v: Int, _ offset: Int) -> Vector {
        base.loadUnaligned(fromByteOffset: offset &+ 64 &* v, as: Vector.self)
    }
}

/// W in the GEMM's packed panels: a row's 128 columns as four groups of 32, `groupBytes` apart.
private struct GroupedRows: RowsOfW {
    let p0, p1, p2, p3: UnsafeRawPointer

    @inline(__always) init(_ base: UnsafeRawPointer, groupBytes: Int) {
        p0 = base
        p1 = base + groupBytes
        p2 = base + 2 * groupBytes
        p3 = base + 3 * groupBytes
    }

    @inline(__always) func vector(_ v: Int, _ offset: Int) -> Vector {
        let half = (v & 1) &* 64
        switch v >> 1 {
        case 0: return p0.loadUnaligned(fromByteOffset: offset &+ half, as: Vector.self)
        case 1: return p1.loadUnaligned(fromByteOffset: offset &+ half, as: Vector.self)
        case 2: return p2.loadUnaligned(fromByteOffset: offset &+ half, as: Vector.self)
        default: return p3.loadUnaligned(fromByteOffset: offset &+ half, as: Vector.self)
        }
    }
}

/// Which passes over k (kc steps each) a call of the sparse forward product runs, and where each
/// pass leaves its sums: the passes `p` with `p % stride == first`, pass p's row r at
/// `base + p·passFloats + r·rowStride`, whole vectors (rows at least n rounded up to 16 floats).
/// For a first layer split over k between threads: each thread runs the passes over the rows of
/// W it updates, and ``finishPasses(_:rows:n:c:ldc:epilogue:)`` adds the passes up.
struct ForwardPasses {
    let first: Int
    let stride: Int
    let base: UnsafeMutablePointer<Float>
    let rowStride: Int
    let passFloats: Int
    /// How many passes the product has (⌈k / kc⌉).
    let count: Int

    @inline(__always) func computes(_ pass: Int) -> Bool { pass % stride == first }

    @inline(__always) func sums(pass: Int, row: Int, column: Int) -> (UnsafeMutablePointer<Float>, rowStride: Int) {
        (base + pass * passFloats + row * rowStride + column, rowStride)
    }
}

/// Rows `rows` of C (rows `ldc` apart, n columns) = epilogue(((s₀ + s₁) + s₂) + …), from the
/// sums that every pass of `passes` left: added in pass order, as the kernel adds each pass to
/// the ones before, then the kernel's epilogue, so the same bits as one call running every pass.
/// The totals overwrite the first pass's sums of those rows.
func finishPasses(
    _ passes: ForwardPasses, rows: Range<Int>, n: Int, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue
) {
    guard !rows.isEmpty else { return }
    let passBytes = passes.passFloats * MemoryLayout<Float>.stride
    for r in rows {
        // The total replaces the first pass's sums, then the epilogue takes all the rows at once.
        let row = UnsafeMutableRawPointer(passes.base + r * passes.rowStride)
        var j = 0
        while j < n {
            let offset = j * MemoryLayout<Float>.stride
            var total = row.load(fromByteOffset: offset, as: Vector.self)
            for p in 1..<passes.count {
                total = row.load(fromByteOffset: p * passBytes + offset, as: Vector.self) + total
            }
            row.storeBytes(of: total, toByteOffset: offset, as: Vector.self)
            j += Vector.scalarCount
        }
    }
    let first = rows.lowerBound
    TileStore(
        c: c + first * ldc, ldc: ldc, rows: rows.count, columns: n, loadC: false,
        finish: epilogue.tile(row: first, column: 0, lastPass: true), fullRows: rows.count,
        fullColumns: passes.rowStride
    ).storeRows(passes.base + first * passes.rowStride, rowStride: passes.rowStride, previous: nil)
}
