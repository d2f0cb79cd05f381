import CPUFeatures

// Skipping the zero inputs of the first layer exactly: which inputs of a batch are nonzero, and
// the steps of a product at which a sliver of A is zero.

/// Which inputs of each row of a batch are nonzero, one bit per input (±0 count as zero): made
/// once per row when the batch is gathered, then read by both products of the first layer to
/// list the steps they may skip.
final class NonzeroMasks {
    /// Inputs per row.
    let inputs: Int
    /// Rows the masks have room for.
    let capacity: Int
    /// 64-bit words per row.
    let words: Int
    private let bits: UnsafeMutablePointer<UInt64>

    init(inputs: Int, capacity: Int) {
        self.inputs = inputs
        self.capacity = capacity
        words = max(1, ceilDivide(inputs, 64))
        bits = .allocate(capacity: capacity * words)
        bits.initialize(repeating: 0, count: capacity * words)
    }

    deinit { bits.deallocate() }

    /// Word `index` of row `row`'s mask: bit j is input 64·index + j.
    @inline(__always) func word(row: Int, _ index: Int) -> UInt64 { bits[row &* words &+ index] }

    /// Marks the nonzero values of `x` (`inputs` floats) as row `row`; returns how many there are.
    @discardableResult
    func build(row: Int, from x: UnsafePointer<Float>) -> Int {
        build(row: row) { first, width in
            guard width == 64 else {
                var mask: UInt64 = 0
                for j in 0..<width where x[first + j] != 0 { mask |= 1 << UInt64(j) }
                return mask
            }
            return UInt64(fastmlp_nonzero_mask16(x + first)) | UInt64(fastmlp_nonzero_mask16(x + first + 16)) << 16
                | UInt64(fastmlp_nonzero_mask16(x + first + 32)) << 32 | UInt64(fastmlp_nonzero_mask16(x + first + 48)) << 48
        }
    }

    /// Marks the nonzero bytes of `x` (`inputs` bytes, then at least 63 more that may be read) as
    /// row `row`; returns how many there are. A byte is nonzero exactly when the float it stands
    /// for is (``ByteRows``), so these are the masks of those floats.
    @discardableResult
    func build(row: Int, fromBytes x: UnsafePointer<UInt8>) -> Int {
        build(row: row) { first, width in
            let mask = fastmlp_nonzero_mask64_bytes_and(x + first, 0xff)
            return width < 64 ? mask & ((1 << UInt64(width)) - 1) : mask
        }
    }

    /// Row `row`'s words from `word(first, width)`, the mask of inputs `first ..< first + width`;
    /// returns how many bits are set.
    @inline(__always)
    private func build(row: Int, word: (_ first: Int, _ width: Int) -> UInt64) -> Int {
        let out = bits + row * words
        var count = 0
        for w in 0..<words {
            let first = w * 64
            let mask = word(first, min(64, inputs - first))
            out[w] = mask
            count += mask.nonzeroBitCount
        }
        return count
    }

    /// Bytes `groups` of rows `rows`' masks, transposed: byte `g` of row `r` goes to
    /// `out[(g − groups.lowerBound)·stride + r − rows.lowerBound]`, so that one group's bytes for
    /// all the rows lie together. 8 × 8 blocks at a time, the ragged edges byte by byte.
    func transposeBytes(rows: Range<Int>, groups: Range<Int>, into out: UnsafeMutablePointer<UInt8>, stride: Int) {
        let source = UnsafeRawPointer(bits).assumingMemoryBound(to: UInt8.self)
        let rowBytes = words * 8
        let fullRows = rows.count / 8 * 8, fullGroups = groups.count / 8 * 8
        for r in Swift.stride(from: 0, to: fullRows, by: 8) {
            for g in Swift.stride(from: 0, to: fullGroups, by: 8) {
                fastmlp_transpose8x8_bytes(
                    source + (rows.lowerBound + r) * rowBytes + groups.lowerBound + g, rowBytes, out + g * stride + r,
                    stride)
            }
        }
        for g in 0..<groups.count {
            let from = g < fullGroups ? fullRows : 0
            for r in from..<rows.count { out[g * stride + r] = byte(row: rows.lowerBound + r, group: groups.lowerBound + g) }
        }
    }

    /// Byte `group` of row `row`'s mask: bit j is input 8·group + j.
    @inline(__always) func byte(row: Int, group: Int) -> UInt8 {
        UnsafeRawPointer(bits).load(fromByteOffset: row &* words &* 8 &+ group, as: UInt8.self)
    }

    /// Bits `first ..< first + count` (count ≤ 64) of row `row`'s mask, from bit 0.
    @inline(__always) func bits(row: Int, first: Int, count: Int) -> UInt64 {
        let w = first >> 6, shift = first & 63
        var value = word(row: row, w) >> UInt64(shift)
        if shift + count > 64 { value |= word(row: row, w + 1) << UInt64(64 - shift) }
        return count == 64 ? value : value & ((1 << UInt64(count)) - 1)
    }
}

/// Where the nonzero masks of a product's A come from: A is a block of the batch's inputs X
/// whose rows are the batch's rows from `origin` (the first layer's forward product).
struct ZeroSteps {
    let masks: NonzeroMasks
    let origin: Int
}

/// For each row sliver of an A tile (a block of the batch's inputs), the steps of one kc pass —
/// the inputs — at which any row of the sliver is nonzero, ascending and counted from the pass's first step. A step left out adds an exact zero
/// to every accumulator of the sliver (a running sum from +0 is never −0, so adding ±0 changes no
/// bit), so the product over the listed steps is bitwise the product over all of them.
///
/// Lives in the thread's GEMM scratch, after the panel of B: for each of the mc / mr slivers a
/// count and kc indices.
struct StepLists {
    static let slivers = KernelConfig.mc / KernelConfig.mr
    /// Floats of scratch the lists take (Int32 and Float have the same size).
    static let size = slivers * (KernelConfig.kc + 1)

    private let base: UnsafeMutablePointer<Int32>

    init(_ memory: UnsafeMutableRawPointer) {
        base = memory.bindMemory(to: Int32.self, capacity: Self.size)
    }

    @inline(__always) func count(_ sliver: Int) -> Int { Int(base[sliver * (KernelConfig.kc + 1)]) }
    @inline(__always) func steps(_ sliver: Int) -> UnsafePointer<Int32> {
        UnsafePointer(base + sliver * (KernelConfig.kc + 1) + 1)
    }

    /// Lists, for each sliver of `sliverRows` rows of `rows`, the nonzero steps of
    /// `step ..< step + depth`, from the masks.
    func build(_ source: ZeroSteps, rows: Range<Int>, step: Int, depth: Int, sliverRows mr: Int) {
        let masks = source.masks
        var sliver = 0
        var i = rows.lowerBound
        while i < rows.upperBound {
            let height = min(mr, rows.upperBound - i)
            let list = base + sliver * (KernelConfig.kc + 1) + 1
            // The sliver is batch rows origin + i ..< + height; a step is an input.
            let row = source.origin + i
            var n = 0
            var p = 0
            while p < depth {
                let width = min(64, depth - p)
                var mask: UInt64 = 0
                for r in 0..<height { mask |= masks.bits(row: row + r, first: step + p, count: width) }
                while mask != 0 {
                    list[n] = Int32(truncatingIfNeeded: p &+ mask.trailingZeroBitCount)
                    n &+= 1
                    mask &= mask &- 1
                }
                p += width
            }
            list[-1] = Int32(truncatingIfNeeded: n)
            sliver += 1
            i += mr
        }
    }
}

/// Rows `inputs` of the first layer's weight gradient, dW = Xᵀ·dZ over the batch's first `count`
/// rows, into `gradient` (the block's first row, rows `n` apart): bitwise what the dense GEMM
/// gives, for much less work on sparse inputs.
///
/// dW is made two rows (two inputs) at a time, up to 128 columns held in registers, summed over
/// the batch rows at which either input is nonzero: a sliver of two skips far more rows than the
/// GEMM's sliver of eight (MNIST: it keeps 22 % of them against 39 %), and dZ, the only operand
/// it streams, is small enough to stay in L1. As in the GEMM, the sum runs over the batch in
/// passes of kc rows, each a chain of fused multiply-adds from zero that is then added to the
/// passes before; a row left out adds an exact zero. `x` is the batch (floats, or bytes with
/// their values), `dz` its deltas (`n` per row, rows `ldz` apart).
func sparseWeightGradient(
    masks: NonzeroMasks, x: SparseInputs, inputs: Range<Int>, count: Int,
    dz: UnsafePointer<Float>, ldz: Int, n: Int, gradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutableRawPointer
) {
    switch x {
    case .floats(let x):
        sparseWeightGradient(
            masks: masks, x: x, inputs: inputs, count: count, dz: dz, ldz: ldz, n: n, gradient: gradient, scratch: scratch)
    case .bytes(let x):
        sparseWeightGradient(
            masks: masks, x: x, inputs: inputs, count: count, dz: dz, ldz: ldz, n: n, gradient: gradient, scratch: scratch)
    }
}

/// ``sparseWeightGradient(masks:x:inputs:count:dz:ldz:n:gradient:scratch:)`` for one kind of input rows.
private func sparseWeightGradient<X: InputRows>(
    masks: NonzeroMasks, x: X, inputs: Range<Int>, count: Int,
    dz: UnsafePointer<Float>, ldz: Int, n: Int, gradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutableRawPointer
) {
    var first = inputs.lowerBound
    while first < inputs.upperBound {
        // Blocks of at most 128 inputs, ending on a group boundary.
        let last = min(inputs.upperBound, (first & ~7) + 128)
        sparseWeightGradientBlock(
            masks: masks, x: x, inputs: first..<last, count: count, dz: dz, ldz: ldz, n: n,
            gradient: gradient + (first - inputs.lowerBound) * n, scratch: scratch)
        first = last
    }
}

/// ``sparseWeightGradient(masks:x:inputs:count:dz:ldz:n:gradient:scratch:)`` for at most 17
/// groups of 8 inputs.
private func sparseWeightGradientBlock<X: InputRows>(
    masks: NonzeroMasks, x: X, inputs: Range<Int>, count: Int,
    dz: UnsafePointer<Float>, ldz: Int, n: Int, gradient: UnsafeMutablePointer<Float>, scratch: UnsafeMutableRawPointer
) {
    let list = scratch.bindMemory(to: Int32.self, capacity: SparseGradientScratch.listCapacity)
    // The masks' bytes for these inputs, one row of bytes per group of 8 inputs, so that 64 batch
    // rows are tested at once (made here, per task, rather than by the row tiles, whose rows
    // would share cache lines across threads).
    let groups = (scratch + SparseGradientScratch.listCapacity * MemoryLayout<Int32>.stride).bindMemory(
        to: UInt8.self, capacity: SparseGradientScratch.groupBytes)
    let firstGroup = inputs.lowerBound >> 3, groupCount = ((inputs.upperBound - 1) >> 3) - firstGroup + 1
    precondition(groupCount <= SparseGradientScratch.maximumGroups, "sparseWeightGradient: too many inputs")
    var s0 = 0
    repeat {
        let depth = min(KernelConfig.kc, count - s0)
        masks.transposeBytes(
            rows: s0..<s0 + depth, groups: firstGroup..<firstGroup + groupCount, into: groups,
            stride: SparseGradientScratch.groupStride)
        var k = inputs.lowerBound
        while k < inputs.upperBound {
            // A pair never straddles a group of 8 inputs, so that one byte of the masks covers it.
            let height = k & 1 == 0 && k + 1 < inputs.upperBound ? 2 : 1
            let select = UInt8(truncatingIfNeeded: (height == 2 ? 3 : 1) << (k & 7))
            let bytes = groups + ((k >> 3) - firstGroup) * SparseGradientScratch.groupStride
            // A pass of at most 64 rows walks its mask's bits; a longer one lists its rows first
            // (`mlp-128`, family 25, the first layer's weight gradient against its forward in
            // the same runs, 8 alternating: 1.27 → 1.12 on one thread, 1.09 → 0.96 on two;
            // `seed-sigmoid`'s 32-row passes the same within noise).
            var listed = 0
            var single: UInt64 = 0
            if depth <= 64 {
                single = fastmlp_nonzero_mask64_bytes_and(bytes, select)
                if depth < 64 { single &= (1 << UInt64(depth)) - 1 }
            } else {
                var p = 0
                while p < depth {
                    var mask = fastmlp_nonzero_mask64_bytes_and(bytes + p, select)
                    if depth - p < 64 { mask &= (1 << UInt64(depth - p)) - 1 }
                    listed += Int(fastmlp_set_bit_indices64(mask, Int32(truncatingIfNeeded: s0 + p), list + listed))
                    p += 64
                }
            }
            let rows = PairRows(
                x: x, input: k, list: list, count: listed, mask: single, first: s0, height: height,
                output: gradient + (k - inputs.lowerBound) * n, accumulate: s0 > 0)
            var j = 0
            while j < n {
                let vectors = ceilDivide(n - j, Vector.scalarCount)
                if vectors >= 8 {
                    rows.sum(dz + j, ldb: ldz, columns: j, of: n, PairBlock8.self)
                    j += 128
                } else if vectors == 7 {
                    // 97 to 112 columns in one pass (a hidden layer of 100); the last vector
                    // reads up to 15 floats past dZ's row, within the buffer's padding.
                    rows.sum(dz + j, ldb: ldz, columns: j, of: n, PairBlock7.self)
                    j += 112
                } else if vectors >= 4 {
                    rows.sum(dz + j, ldb: ldz, columns: j, of: n, PairBlock4.self)
                    j += 64
                } else {
                    rows.sum(dz + j, ldb: ldz, columns: j, of: n, PairBlock1.self)
                    j += 16
                }
            }
            k += height
        }
        s0 += depth
    } while s0 < count
}

/// The scratch ``sparseWeightGradient(masks:x:inputs:count:dz:ldz:n:gradient:scratch:)`` takes:
/// a list of kc batch rows, then the masks' bytes of a block of up to 17 groups of 8 inputs for
/// kc rows, each padded for a 64-byte read.
enum SparseGradientScratch {
    static let maximumGroups = 17
    static let groupStride = KernelConfig.kc + 64
    static let groupBytes = maximumGroups * groupStride
    /// Entries of the list: kc rows, and 16 that a whole vector of indices may write past them.
    static let listCapacity = KernelConfig.kc + 16
    /// Floats of scratch it needs.
    static let size = listCapacity + ceilDivide(groupBytes, MemoryLayout<Float>.stride)
}

/// One pass of one pair of dW's rows: the listed batch rows, and where the pair's sums go.
private struct PairRows<X: InputRows> {
    /// The batch, and the pair's first input.
    let x: X
    let input: Int
    let list: UnsafePointer<Int32>
    let count: Int
    /// With a pass of at most 64 rows, its rows as bits from row `first` instead of the list.
    let mask: UInt64
    let first: Int
    let height: Int
    let output: UnsafeMutablePointer<Float>
    let accumulate: Bool

    /// Columns `column ..< column + 16V` (of `n`) of the pair's rows: Σ over the listed rows s of
    /// x[s, k]·dZ[s, ·] and x[s, k + 1]·dZ[s, ·], stored (or added to the passes before).
    @inline(__always)
    func sum<Block: PairBlock>(_ b: UnsafePointer<Float>, ldb: Int, columns column: Int, of n: Int, _: Block.Type) {
        let bytes = ldb * MemoryLayout<Float>.stride
        let base = UnsafeRawPointer(b)
        var block = Block()
        for e in 0..<count {
            let s = Int(list[e])
            let row = x.row(s)
            // With one input, the second lane reads the next input and its sums are dropped.
            block.add(row[input], row[input &+ 1], base + s &* bytes)
        }
        var bits = mask
        while bits != 0 {
            let s = first &+ bits.trailingZeroBitCount
            bits &= bits &- 1
            let row = x.row(s)
            block.add(row[input], row[input &+ 1], base + s &* bytes)
        }
        block.finish(PairSink(
            output: output + column, n: n, columns: min(Block.vectors * Vector.scalarCount, n - column),
            vectors: Block.vectors, height: height, accumulate: accumulate))
    }
}

/// Where a pair's sums go: its rows of dW (`n` apart), stored or added to the passes before.
/// Every vector of a block but its last is whole (a block is chosen by the columns left), and
/// the last has at least one lane: whole vectors store without a test of the columns, and the
/// second row's stores are one test of the height (family 25, one thread, the first layer's
/// weight gradient against its forward in the same runs, 3–4 alternating: `seed-sigmoid`
/// 1.05–1.15 → 0.91–0.95, `mlp-128` 1.01–1.03 → 0.92–0.96).
private struct PairSink {
    let output: UnsafeMutablePointer<Float>
    let n: Int
    /// Lanes of the block's last vector, 1 to 16.
    let lastLanes: Int
    let height: Int
    let accumulate: Bool

    init(output: UnsafeMutablePointer<Float>, n: Int, columns: Int, vectors: Int, height: Int, accumulate: Bool) {
        self.output = output
        self.n = n
        lastLanes = columns - (vectors - 1) * Vector.scalarCount
        self.height = height
        self.accumulate = accumulate
    }

    /// Vector `vector` of row `row`, of a block of `vectors` (constants once inlined: whole
    /// vectors store without a test, the last one masked).
    @inline(__always) func take(_ sum: Vector, _ row: Int, _ vector: Int, of vectors: Int) {
        let p = output + row * n + vector * Vector.scalarCount
        var total = sum
        if vector < vectors - 1 {
            if accumulate { total += UnsafeRawPointer(p).loadUnaligned(as: Vector.self) }
            UnsafeMutableRawPointer(p).storeBytes(of: total, as: Vector.self)
        } else {
            if accumulate { total += VectorMath.load(p, count: lastLanes) }
            VectorMath.store(total, p, count: lastLanes)
        }
    }
}

/// Two rows of 16V accumulators held in registers. Each width is written out (1, 4, 7 and 8 vectors,
/// alike but for their count): named SIMD values stay in registers, an array of them would not.
private protocol PairBlock {
    static var vectors: Int { get }
    init()
    mutating func add(_ x0: Float, _ x1: Float, _ b: UnsafeRawPointer)
    func finish(_ sink: PairSink)
}

private struct PairBlock1: PairBlock {
    static var vectors: Int { 1 }
    var a0 = Vector()
    var b0 = Vector()
    @inline(__always) init() {}
    @inline(__always) mutating func add(_ x0: Float, _ x1: Float, _ p: UnsafeRawPointer) {
        let v = p.loadUnaligned(as: Vector.self)
        a0 = a0.multiplyAdd(x0, v); b0 = b0.multiplyAdd(x1, v)
    }
    @inline(__always) func finish(_ sink: PairSink) {
        sink.take(a0, 0, 0, of: 1)
        guard sink.height == 2 else { return }
        sink.take(b0, 1, 0, of: 1)
    }
}

private struct PairBlock4: PairBlock {
    static var vectors: Int { 4 }
    var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector()
    var b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector()
    @inline(__always) init() {}
    @inline(__always) mutating func add(_ x0: Float, _ x1: Float, _ p: UnsafeRawPointer) {
        var v = p.loadUnaligned(as: Vector.self)
        a0 = a0.multiplyAdd(x0, v); b0 = b0.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 64, as: Vector.self)
        a1 = a1.multiplyAdd(x0, v); b1 = b1.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 128, as: Vector.self)
        a2 = a2.multiplyAdd(x0, v); b2 = b2.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 192, as: Vector.self)
        a3 = a3.multiplyAdd(x0, v); b3 = b3.multiplyAdd(x1, v)
    }
    @inline(__always) func finish(_ sink: PairSink) {
        sink.take(a0, 0, 0, of: 4); sink.take(a1, 0, 1, of: 4); sink.take(a2, 0, 2, of: 4); sink.take(a3, 0, 3, of: 4)
        guard sink.height == 2 else { return }
        sink.take(b0, 1, 0, of: 4); sink.take(b1, 1, 1, of: 4); sink.take(b2, 1, 2, of: 4); sink.take(b3, 1, 3, of: 4)
    }
}

private struct PairBlock7: PairBlock {
    static var vectors: Int { 7 }
    var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector(), a4 = Vector(), a5 = Vector(), a6 = Vector()
    var b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector(), b4 = Vector(), b5 = Vector(), b6 = Vector()
    @inline(__always) init() {}
    @inline(__always) mutating func add(_ x0: Float, _ x1: Float, _ p: UnsafeRawPointer) {
        var v = p.loadUnaligned(as: Vector.self)
        a0 = a0.multiplyAdd(x0, v); b0 = b0.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 64, as: Vector.self)
        a1 = a1.multiplyAdd(x0, v); b1 = b1.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 128, as: Vector.self)
        a2 = a2.multiplyAdd(x0, v); b2 = b2.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 192, as: Vector.self)
        a3 = a3.multiplyAdd(x0, v); b3 = b3.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 256, as: Vector.self)
        a4 = a4.multiplyAdd(x0, v); b4 = b4.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 320, as: Vector.self)
        a5 = a5.multiplyAdd(x0, v); b5 = b5.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 384, as: Vector.self)
        a6 = a6.multiplyAdd(x0, v); b6 = b6.multiplyAdd(x1, v)
    }
    @inline(__always) func finish(_ sink: PairSink) {
        sink.take(a0, 0, 0, of: 7); sink.take(a1, 0, 1, of: 7); sink.take(a2, 0, 2, of: 7); sink.take(a3, 0, 3, of: 7); sink.take(a4, 0, 4, of: 7); sink.take(a5, 0, 5, of: 7); sink.take(a6, 0, 6, of: 7)
        guard sink.height == 2 else { return }
        sink.take(b0, 1, 0, of: 7); sink.take(b1, 1, 1, of: 7); sink.take(b2, 1, 2, of: 7); sink.take(b3, 1, 3, of: 7); sink.take(b4, 1, 4, of: 7); sink.take(b5, 1, 5, of: 7); sink.take(b6, 1, 6, of: 7)
    }
}

private struct PairBlock8: PairBlock {
    static var vectors: Int { 8 }
    var a0 = Vector(), a1 = Vector(), a2 = Vector(), a3 = Vector(), a4 = Vector(), a5 = Vector(), a6 = Vector(), a7 = Vector()
    var b0 = Vector(), b1 = Vector(), b2 = Vector(), b3 = Vector(), b4 = Vector(), b5 = Vector(), b6 = Vector(), b7 = Vector()
    @inline(__always) init() {}
    @inline(__always) mutating func add(_ x0: Float, _ x1: Float, _ p: UnsafeRawPointer) {
        var v = p.loadUnaligned(as: Vector.self)
        a0 = a0.multiplyAdd(x0, v); b0 = b0.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 64, as: Vector.self)
        a1 = a1.multiplyAdd(x0, v); b1 = b1.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 128, as: Vector.self)
        a2 = a2.multiplyAdd(x0, v); b2 = b2.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 192, as: Vector.self)
        a3 = a3.multiplyAdd(x0, v); b3 = b3.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 256, as: Vector.self)
        a4 = a4.multiplyAdd(x0, v); b4 = b4.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 320, as: Vector.self)
        a5 = a5.multiplyAdd(x0, v); b5 = b5.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 384, as: Vector.self)
        a6 = a6.multiplyAdd(x0, v); b6 = b6.multiplyAdd(x1, v)
        v = p.loadUnaligned(fromByteOffset: 448, as: Vector.self)
        a7 = a7.multiplyAdd(x0, v); b7 = b7.multiplyAdd(x1, v)
    }
    @inline(__always) func finish(_ sink: PairSink) {
        sink.take(a0, 0, 0, of: 8); sink.take(a1, 0, 1, of: 8); sink.take(a2, 0, 2, of: 8); sink.take(a3, 0, 3, of: 8); sink.take(a4, 0, 4, of: 8); sink.take(a5, 0, 5, of: 8); sink.take(a6, 0, 6, of: 8); sink.take(a7, 0, 7, of: 8)
        guard sink.height == 2 else { return }
        sink.take(b0, 1, 0, of: 8); sink.take(b1, 1, 1, of: 8); sink.take(b2, 1, 2, of: 8); sink.take(b3, 1, 3, of: 8); sink.take(b4, 1, 4, of: 8); sink.take(b5, 1, 5, of: 8); sink.take(b6, 1, 6, of: 8); sink.take(b7, 1, 7, of: 8)
    }
}
