// The first layer's forward product on a sparse batch, Y = f(X·W + b), summing for each sliver
// of a few rows over only the inputs at which one of them is nonzero, with the sliver's whole
// output row (up to 112 columns) held in registers while the listed rows of W stream past.

/// Whether ``sparseForward(masks:origin:m:n:k:x:ldx:w:ldw:c:ldc:epilogue:scratch:)`` has a
/// register tile for a layer of `n` outputs (and this CPU's vector registers).
func sparseForwardCovers(columns n: Int) -> Bool {
    KernelConfig.wideKernel && (97...112).contains(n)
}

/// Scratch floats ``sparseForward(masks:origin:m:n:k:x:ldx:w:ldw:c:ldc:epilogue:scratch:)`` needs:
/// a list of kc steps, then one sliver's running sums over the kc passes.
enum SparseForwardScratch {
    static let maximumRows = 4
    static let size = KernelConfig.kc + maximumRows * 128
}

/// C (m × n, rows `ldc` apart) = epilogue(X·W) for the rows `origin ..< origin + m` of a batch X
/// (`ldx` floats per row) whose nonzero inputs `masks` records, W k × n row-major (`ldw` apart).
///
/// Bitwise what ``gemmSerial(m:n:k:a:b:c:ldc:epilogue:zeroSteps:scratch:)`` gives: every element
/// is summed over k in passes of kc steps, each pass a chain of fused multiply-adds from zero in
/// ascending k, added to the passes before, then the epilogue on the total. The chain of a row
/// leaves out the steps at which every row of its sliver of 3 is zero: exact zeros added to a
/// running sum from +0, which change no bit. The kernel reads X in place, with nothing packed.
/// Three rows × 7 vectors is 21 accumulators, which leave registers for W and the broadcasts
/// (4 rows spill; on seed-sigmoid, one thread, family 26: 3 rows 18.7 µs a step, 2 rows 20.6,
/// 4 rows 25.1, the GEMM's 8 × 32 tile over step lists 21.9).
///
/// Reads up to 15 floats past the end of W's last row (within a `FloatBuffer`'s padding, or the
/// parameters that follow W); the lanes past n are never stored. `epilogue` is a forward one
/// (`.biasActivation`), whose tile is the sliver.
func sparseForward(
    masks: NonzeroMasks, origin: Int, m: Int, n: Int, k: Int, x: UnsafePointer<Float>, ldx: Int,
    w: UnsafePointer<Float>, ldw: Int, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue,
    scratch: UnsafeMutableRawPointer
) {
    precondition(sparseForwardCovers(columns: n), "sparseForward: no tile for \(n) columns")
    run(
        SliverBlock3x7.self, masks: masks, origin: origin, m: m, n: n, k: k, x: x, ldx: ldx, w: w, ldw: ldw, c: c,
        ldc: ldc, epilogue: epilogue, scratch: scratch)
}

@inline(__always)
private func run<Block: SliverBlock>(
    _: Block.Type, masks: NonzeroMasks, origin: Int, m: Int, n: Int, k: Int, x: UnsafePointer<Float>, ldx: Int,
    w: UnsafePointer<Float>, ldw: Int, c: UnsafeMutablePointer<Float>, ldc: Int, epilogue: Epilogue,
    scratch: UnsafeMutableRawPointer
) {
    let list = scratch.bindMemory(to: Int32.self, capacity: KernelConfig.kc)
    let totals = (scratch + KernelConfig.kc * MemoryLayout<Int32>.stride).bindMemory(
        to: Float.self, capacity: SparseForwardScratch.maximumRows * 128)
    let rowsPerSliver = Block.rows
    let width = Block.vectors * Vector.scalarCount
    let wStep = ldw * MemoryLayout<Float>.stride
    var i = 0
    while i < m {
        let height = min(rowsPerSliver, m - i)
        let first = x + i * ldx
        var pc = 0
        repeat {
            let depth = min(KernelConfig.kc, k - pc)
            // The steps of this pass at which a row of the sliver is nonzero, ascending.
            var count = 0
            var p = 0
            while p < depth {
                let bits = min(64, depth - p)
                var mask: UInt64 = 0
                for r in 0..<height { mask |= masks.bits(row: origin + i + r, first: pc + p, count: bits) }
                while mask != 0 {
                    list[count] = Int32(truncatingIfNeeded: p &+ mask.trailingZeroBitCount)
                    count &+= 1
                    mask &= mask &- 1
                }
                p += bits
            }
            let rows = SliverRows(first + pc, ldx: ldx, height: height)
            let base = UnsafeRawPointer(w + pc * ldw)
            var block = Block()
            for t in 0..<count {
                let s = Int(list[t])
                block.add(rows, s, base + s &* wStep)
            }
            let isLast = pc + depth >= k
            block.finish(PassSink(
                totals: totals, width: width, isFirst: pc == 0,
                tile: isLast
                    ? TileStore(
                        c: c + i * ldc, ldc: ldc, rows: height, columns: n, loadC: false,
                        finish: epilogue.tile(row: i, column: 0, lastPass: true), fullRows: rowsPerSliver,
                        fullColumns: width)
                    : nil))
            pc += depth
        } while pc < k
        i += rowsPerSliver
    }
}

/// The rows of a sliver (the last row repeated past `height`).
struct SliverRows {
    let r0, r1, r2, r3: UnsafePointer<Float>

    @inline(__always) init(_ first: UnsafePointer<Float>, ldx: Int, height: Int) {
        r0 = first
        r1 = height > 1 ? first + ldx : first
        r2 = height > 2 ? first + 2 * ldx : first
        r3 = height > 3 ? first + 3 * ldx : first
    }
}

/// Where a pass's sums go: into the sliver's running totals (the first pass stores, later ones
/// add, as the GEMM adds each pass to C), or, on the last pass, added to the totals and through
/// the epilogue into C.
struct PassSink {
    let totals: UnsafeMutablePointer<Float>
    let width: Int
    let isFirst: Bool
    let tile: TileStore?

    @inline(__always) func take(_ sum: Vector, _ row: Int, _ vector: Int) {
        let p = UnsafeMutableRawPointer(totals + row * width + vector * Vector.scalarCount)
        let total = isFirst ? sum : sum + p.loadUnaligned(as: Vector.self)
        if let tile {
            tile.store(total, row: row, column: vector * Vector.scalarCount)
        } else {
            p.storeBytes(of: total, as: Vector.self)
        }
    }
}

private protocol SliverBlock {
    static var rows: Int { get }
    static var vectors: Int { get }
    init()
    /// Step `s`: row r's x[s] times W's row at `w`, added to row r's accumulators.
    mutating func add(_ x: SliverRows, _ s: Int, _ w: UnsafeRawPointer)
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
    @inline(__always) mutating func add(_ x: SliverRows, _ s: Int, _ w: UnsafeRawPointer) {
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
    @inline(__always) func finish(_ sink: PassSink) {
        sink.take(c00, 0, 0); sink.take(c01, 0, 1); sink.take(c02, 0, 2); sink.take(c03, 0, 3); sink.take(c04, 0, 4); sink.take(c05, 0, 5); sink.take(c06, 0, 6)
        sink.take(c10, 1, 0); sink.take(c11, 1, 1); sink.take(c12, 1, 2); sink.take(c13, 1, 3); sink.take(c14, 1, 4); sink.take(c15, 1, 5); sink.take(c16, 1, 6)
        sink.take(c20, 2, 0); sink.take(c21, 2, 1); sink.take(c22, 2, 2); sink.take(c23, 2, 3); sink.take(c24, 2, 4); sink.take(c25, 2, 5); sink.take(c26, 2, 6)
    }
}
