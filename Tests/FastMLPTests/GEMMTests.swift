import Testing
@_spi(Benchmarks) @_spi(Tools) @testable import FastMLP

/// The three product forms of training, as (A, B) layouts over row-major storage.
enum ProductForm: String, CaseIterable, CustomStringConvertible {
    /// X·W: A and B row-major.
    case forward
    /// dY·Wᵀ: B is the transpose of a row-major n × k matrix.
    case inputGradient
    /// Xᵀ·dY: A is the transpose of a row-major k × m matrix.
    case weightGradient

    var description: String { rawValue }

    /// Operands for an m × k times k × n product over the given storage.
    func operands(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>) -> (MatrixOperand, MatrixOperand) {
        switch self {
        case .forward:
            return (MatrixOperand(rowMajor: a, leadingDimension: k), MatrixOperand(rowMajor: b, leadingDimension: n))
        case .inputGradient:
            return (MatrixOperand(rowMajor: a, leadingDimension: k), MatrixOperand(rowMajor: b, leadingDimension: k).transposed)
        case .weightGradient:
            return (MatrixOperand(rowMajor: a, leadingDimension: m).transposed, MatrixOperand(rowMajor: b, leadingDimension: n))
        }
    }
}

/// Deterministic values in [−1, 1).
func randomValues(_ count: Int, seed: UInt64) -> [Float] {
    var generator = Xoshiro256StarStar(seed: seed)
    return (0..<count).map { _ in 2 * generator.nextUnitFloat() - 1 }
}

/// Runs the fast GEMM and the reference on the same inputs; returns the largest absolute
/// difference relative to the size of the terms, max |fast − ref| / (1 + max |ref|).
func gemmDifference(
    m: Int, n: Int, k: Int, form: ProductForm, threads: Int = 1, ldc: Int? = nil,
    epilogue: (UnsafePointer<Float>, UnsafePointer<Float>) -> Epilogue = { _, _ in .store }
) -> Float {
    let ldc = ldc ?? n
    let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2)
    let bias = randomValues(n, seed: 3)
    let output = randomValues(m * ldc, seed: 4).map { ($0 + 1) / 2 }  // forward outputs in [0, 1)
    let initial = randomValues(m * ldc, seed: 5)
    var fast = initial, reference = initial
    let workspace = GEMMWorkspace(pool: threads > 1 ? ThreadPool(threadCount: threads) : nil)
    a.withUnsafeBufferPointer { a in
        b.withUnsafeBufferPointer { b in
            bias.withUnsafeBufferPointer { bias in
                output.withUnsafeBufferPointer { output in
                    let (opA, opB) = form.operands(m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!)
                    let e = epilogue(bias.baseAddress!, output.baseAddress!)
                    fast.withUnsafeMutableBufferPointer {
                        gemm(m: m, n: n, k: k, a: opA, b: opB, c: $0.baseAddress!, ldc: ldc, epilogue: e, workspace: workspace)
                    }
                    reference.withUnsafeMutableBufferPointer {
                        Reference.gemm(m: m, n: n, k: k, a: opA, b: opB, c: $0.baseAddress!, ldc: ldc, epilogue: e)
                    }
                }
            }
        }
    }
    // Elements outside the m × n window (ldc > n) must be untouched.
    for i in 0..<m where ldc > n {
        for j in n..<ldc where fast[i * ldc + j] != initial[i * ldc + j] { return .infinity }
    }
    let scale = 1 + (reference.map(abs).max() ?? 0)
    return zip(fast, reference).map { abs($0 - $1) }.max().map { $0 / scale } ?? 0
}

/// Odd shapes (edge tiles in every direction, k across several kc passes) and the MLP shapes,
/// as (m, n, k). The odd shapes appear in both orders of M×K×N and M×N×K.
let gemmShapes: [(Int, Int, Int)] = [
    (1, 1, 1), (7, 13, 5), (7, 5, 13), (33, 785, 129), (33, 129, 785), (6, 16, 256), (8, 32, 256),
    (13, 17, 257), (97, 33, 520), (1, 40, 3), (5, 3, 0), (130, 70, 9),
    // Xᵀ·dY with X's rows a multiple of 1 KiB (its transpose is packed): one pass and two.
    (256, 96, 40), (512, 128, 300),
    // B's rows 2 KiB apart with enough rows of A to pack it, in groups of whole panels.
    (24, 512, 70),
    // More than nc columns over more than one pass: column blocks, the last one partial.
    (29, 300, 300),
    // mlp-128, seed-sigmoid and mlp-wide: X·W, Xᵀ·dY, dY·Wᵀ shapes of every layer.
    (64, 128, 784), (784, 128, 64), (64, 784, 128), (64, 10, 128), (128, 10, 64), (64, 128, 10),
    (32, 100, 784), (784, 100, 32), (32, 10, 100), (100, 10, 32), (32, 100, 10),
    (128, 1024, 784), (784, 1024, 128), (128, 1024, 1024), (128, 10, 1024), (1024, 10, 128), (128, 1024, 10),
]

@Suite("GEMM against the reference")
struct GEMMTests {
    @Test("plain products", arguments: ProductForm.allCases)
    func plainProducts(form: ProductForm) {
        for (m, n, k) in gemmShapes {
            let difference = gemmDifference(m: m, n: n, k: k, form: form)
            #expect(difference < 1e-5, "\(form) \(m)×\(n)×\(k): max relative difference \(difference)")
        }
    }

    @Test("accumulating products", arguments: ProductForm.allCases)
    func accumulate(form: ProductForm) {
        for (m, n, k) in gemmShapes {
            let difference = gemmDifference(m: m, n: n, k: k, form: form) { _, _ in .accumulate }
            #expect(difference < 1e-5, "\(form) \(m)×\(n)×\(k): max relative difference \(difference)")
        }
    }

    @Test("bias + activation epilogue", arguments: Activation.allCases)
    func biasActivation(activation: Activation) {
        for (m, n, k) in gemmShapes {
            let difference = gemmDifference(m: m, n: n, k: k, form: .forward) { bias, _ in
                .biasActivation(bias: bias, activation: activation)
            }
            #expect(difference < 1e-5, "\(activation) \(m)×\(n)×\(k): max relative difference \(difference)")
        }
    }

    @Test("activation-gradient epilogue", arguments: [Activation.identity, .relu, .sigmoid, .tanh])
    func activationGradient(activation: Activation) {
        for (m, n, k) in gemmShapes {
            let difference = gemmDifference(m: m, n: n, k: k, form: .inputGradient) { _, output in
                .activationGradient(output: output, outputStride: n, activation: activation)
            }
            #expect(difference < 1e-5, "\(activation) \(m)×\(n)×\(k): max relative difference \(difference)")
        }
    }

    @Test("dropout epilogues, forward and backward, on edge tiles and whole ones", arguments: [Activation.relu, .sigmoid])
    func dropoutEpilogues(activation: Activation) {
        for (m, n, k) in gemmShapes {
            let mask = DropoutMask(seed: DropoutMask.seed(run: 7, step: 3, layer: 1), keep: 0.6, width: n)
            let forward = gemmDifference(m: m, n: n, k: k, form: .forward) { bias, _ in
                .biasActivation(bias: bias, activation: activation, dropout: mask)
            }
            #expect(forward < 1e-5, "\(activation) forward \(m)×\(n)×\(k): max relative difference \(forward)")
            let backward = gemmDifference(m: m, n: n, k: k, form: .inputGradient) { _, output in
                .activationGradient(output: output, outputStride: n, activation: activation, dropout: mask)
            }
            #expect(backward < 1e-5, "\(activation) backward \(m)×\(n)×\(k): max relative difference \(backward)")
        }
    }

    @Test("every thread count gives bitwise the same product", arguments: [2, 3, 8])
    func threads(_ threads: Int) {
        for (m, n, k) in [(64, 128, 784), (784, 128, 64), (130, 70, 300), (128, 1024, 1024), (33, 785, 129)] {
            for form in ProductForm.allCases {
                let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2)
                func product(_ workspace: GEMMWorkspace) -> [Float] {
                    var c = [Float](repeating: 0, count: m * n)
                    a.withUnsafeBufferPointer { a in
                        b.withUnsafeBufferPointer { b in
                            let (opA, opB) = form.operands(m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!)
                            c.withUnsafeMutableBufferPointer {
                                gemm(m: m, n: n, k: k, a: opA, b: opB, c: $0.baseAddress!, ldc: n, epilogue: .store, workspace: workspace)
                            }
                        }
                    }
                    return c
                }
                let serial = product(GEMMWorkspace())
                let parallel = product(GEMMWorkspace(pool: ThreadPool(threadCount: threads)))
                expectSameBits(serial, parallel, "\(form) \(m)×\(n)×\(k) at \(threads) threads")
            }
        }
    }

    @Test("parallel products and epilogues match the reference", arguments: [2, 3, 8])
    func parallelAgainstReference(_ threads: Int) {
        for (m, n, k) in gemmShapes where m * n * k >= KernelConfig.parallelThreshold {
            for form in ProductForm.allCases {
                let difference = gemmDifference(m: m, n: n, k: k, form: form, threads: threads)
                #expect(difference < 1e-5, "\(form) \(m)×\(n)×\(k) at \(threads) threads: \(difference)")
            }
            let fused = gemmDifference(m: m, n: n, k: k, form: .forward, threads: threads) { bias, _ in
                .biasActivation(bias: bias, activation: .sigmoid)
            }
            #expect(fused < 1e-5, "sigmoid epilogue \(m)×\(n)×\(k) at \(threads) threads: \(fused)")
        }
    }

    @Test("the serial entry and a B already in packed panels give bitwise the pooled product", arguments: ProductForm.allCases)
    func serialAndPackedPanels(form: ProductForm) {
        let scratch = FloatBuffer(count: KernelConfig.scratchCount)
        for (m, n, k) in gemmShapes where m * n * k > 0 {
            let a = randomValues(m * k, seed: 1), b = randomValues(k * n, seed: 2), bias = randomValues(n, seed: 3)
            var pooled = [Float](repeating: 0, count: m * n), serial = pooled, packed = pooled
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    bias.withUnsafeBufferPointer { bias in
                        let (opA, opB) = form.operands(m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!)
                        let epilogue = Epilogue.biasActivation(bias: bias.baseAddress!, activation: .sigmoid)
                        // B in the kernels' panel layout: panel p, row r holds B[r, p·w ..< p·w + w], zero-padded.
                        let width = GEMMPanels.width(columns: n)
                        var panels = [Float](repeating: 0, count: roundUp(n, to: width) * k)
                        for r in 0..<k { for c in 0..<n { panels[c / width * width * k + r * width + c % width] = opB[r, c] } }
                        pooled.withUnsafeMutableBufferPointer {
                            gemm(m: m, n: n, k: k, a: opA, b: opB, c: $0.baseAddress!, ldc: n, epilogue: epilogue,
                                 workspace: GEMMWorkspace(pool: ThreadPool(threadCount: 2)))
                        }
                        serial.withUnsafeMutableBufferPointer {
                            gemmSerial(m: m, n: n, k: k, a: opA, b: opB, c: $0.baseAddress!, ldc: n, epilogue: epilogue, scratch: scratch.base)
                        }
                        panels.withUnsafeBufferPointer { panels in
                            packed.withUnsafeMutableBufferPointer {
                                gemmSerial(
                                    m: m, n: n, k: k, a: opA, b: .scratch(panels.baseAddress!, panelStride: width * k),
                                    c: $0.baseAddress!, ldc: n, epilogue: epilogue, scratch: scratch.base)
                            }
                        }
                    }
                }
            }
            expectSameBits(serial, pooled, "\(form) \(m)×\(n)×\(k): serial")
            expectSameBits(packed, pooled, "\(form) \(m)×\(n)×\(k): packed panels")
        }
    }

    /// A sparse m × k matrix (four in five entries zero, whole zero rows and columns included).
    static func sparseMatrix(rows m: Int, columns k: Int, seed: UInt64) -> [Float] {
        var generator = Xoshiro256StarStar(seed: seed)
        return (0..<(m * k)).map { index -> Float in
            let (row, column) = (index / k, index % k)
            if row % 5 == 3 || column % 7 == 2 { return 0 }
            return generator.nextUnitFloat() < 0.8 ? 0 : 2 * generator.nextUnitFloat() - 1
        }
    }

    /// A sparse m × k matrix of pixel bytes (zeros where ``sparseMatrix(rows:columns:seed:)`` has
    /// them, the rest 1 to 255), then 64 zero bytes that a kernel may read past the end.
    static func sparseBytes(rows m: Int, columns k: Int, seed: UInt64) -> [UInt8] {
        var generator = Xoshiro256StarStar(seed: seed)
        return sparseMatrix(rows: m, columns: k, seed: seed).map {
            $0 == 0 ? 0 : UInt8(1 + generator.next() % 255)
        } + [UInt8](repeating: 0, count: 64)
    }

    /// The nonzero masks of a row-major `rows` × `columns` matrix.
    static func masks(_ x: [Float], rows: Int, columns: Int) -> NonzeroMasks {
        let masks = NonzeroMasks(inputs: columns, capacity: rows)
        x.withUnsafeBufferPointer { x in
            for r in 0..<rows { masks.build(row: r, from: x.baseAddress! + r * columns) }
        }
        return masks
    }

    @Test("skipping the steps at which a sliver of A is zero gives bitwise the full product",
          arguments: [ProductForm.forward, .inputGradient])
    func skippingZeroSteps(form: ProductForm) {
        let scratch = FloatBuffer(count: KernelConfig.scratchCount)
        for (m, n, k) in gemmShapes where m * n * k > 0 {
            let a = Self.sparseMatrix(rows: m, columns: k, seed: UInt64(m * 31 + n * 7 + k))
            let masks = Self.masks(a, rows: m, columns: k)
            let b = randomValues(k * n, seed: 2), bias = randomValues(n, seed: 3)
            var full = [Float](repeating: 0, count: m * n), skipping = full
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    bias.withUnsafeBufferPointer { bias in
                        let (opA, opB) = form.operands(m: m, n: n, k: k, a: a.baseAddress!, b: b.baseAddress!)
                        let epilogue = Epilogue.biasActivation(bias: bias.baseAddress!, activation: .relu)
                        for skip in [false, true] {
                            var out = [Float](repeating: 0, count: m * n)
                            out.withUnsafeMutableBufferPointer {
                                gemmSerial(
                                    m: m, n: n, k: k, a: opA, b: opB, c: $0.baseAddress!, ldc: n, epilogue: epilogue,
                                    zeroSteps: skip ? ZeroSteps(masks: masks, origin: 0) : nil, scratch: scratch.base)
                            }
                            if skip { skipping = out } else { full = out }
                        }
                    }
                }
            }
            expectSameBits(skipping, full, "\(form) \(m)×\(n)×\(k)")
        }
    }

    /// f(X·W + b) for m sparse rows of X from row `origin` (n outputs, k inputs), by the GEMM and
    /// by the sparse forward kernel, with W row-major or (`packed`) in the GEMM's panels of nr
    /// columns; both results.
    /// With `bytes`, X is pixel bytes: the GEMM reads their floats, the kernel the bytes.
    ///
    /// With `passes`, the kernel runs twice, the even passes over k then the odd ones, and
    /// ``finishPasses(_:rows:n:c:ldc:epilogue:)`` adds them up (a first layer split over k).
    static func forwardBothWays(
        m: Int, n: Int, k: Int, origin: Int, activation: Activation, packed: Bool, bytes: Bool = false,
        passes: Bool = false, narrowPairs: Bool = KernelConfig.halfRateWideFMA, scratch: FloatBuffer
    ) -> (dense: [Float], sparse: [Float]) {
        let seed = UInt64(m * 13 + n + k)
        let pixels = PixelBatch(width: k, capacity: origin + m)
        let x: [Float]
        if bytes {
            let values = sparseBytes(rows: origin + m, columns: k, seed: seed)
            pixels.bytes.update(from: values, count: values.count)
            x = values.prefix((origin + m) * k).map { Float($0) * Dataset.pixelScale }
        } else {
            x = sparseMatrix(rows: origin + m, columns: k, seed: seed)
        }
        let masks = masks(x, rows: origin + m, columns: k)
        // W sits in a FloatBuffer, whose padding the kernel may read past its last row.
        let w = FloatBuffer(randomValues(k * n, seed: 5)), bias = randomValues(n, seed: 6)
        // The GEMM's layout: panels of nr columns, each holding its k rows one after another.
        let nr = KernelConfig.nr
        let panels = FloatBuffer(count: packed ? n * k : 0)
        if packed {
            for p in 0..<n / nr {
                for i in 0..<k {
                    for j in 0..<nr { panels.base[p * nr * k + i * nr + j] = w.base[i * n + p * nr + j] }
                }
            }
        }
        let panelOperand = packed ? MatrixOperand.scratch(panels.base, panelStride: nr * k) : nil
        var dense = [Float](repeating: 0, count: m * n), sparse = [Float](repeating: .nan, count: m * n)
        x.withUnsafeBufferPointer { x in
            bias.withUnsafeBufferPointer { bias in
                let epilogue = Epilogue.biasActivation(bias: bias.baseAddress!, activation: activation)
                let rows = x.baseAddress! + origin * k
                dense.withUnsafeMutableBufferPointer {
                    gemmSerial(
                        m: m, n: n, k: k, a: MatrixOperand(rowMajor: rows, leadingDimension: k),
                        b: panelOperand ?? MatrixOperand(rowMajor: w.base, leadingDimension: n), c: $0.baseAddress!,
                        ldc: n, epilogue: epilogue, scratch: scratch.base)
                }
                sparse.withUnsafeMutableBufferPointer { c in
                    let inputs: SparseInputs = bytes ? .bytes(pixels.rows(from: origin)) : .floats(FloatRows(base: rows, ldx: k))
                    guard passes else {
                        sparseForward(
                            masks: masks, origin: origin, m: m, n: n, k: k, inputs: inputs, w: w.base, ldw: n,
                            packed: panelOperand, c: c.baseAddress!, ldc: n, epilogue: epilogue, narrowPairs: narrowPairs,
                            scratch: UnsafeMutableRawPointer(scratch.base))
                        return
                    }
                    // Rows of the sums a vector longer than n, with NaN in every float left unwritten.
                    let rowStride = roundUp(n, to: Vector.scalarCount) + Vector.scalarCount
                    let count = ceilDivide(k, KernelConfig.kc)
                    let sums = FloatBuffer([Float](repeating: .nan, count: count * m * rowStride))
                    for first in 0..<2 {
                        sparseForward(
                            masks: masks, origin: origin, m: m, n: n, k: k, inputs: inputs, w: w.base, ldw: n,
                            c: c.baseAddress!, ldc: n, epilogue: epilogue,
                            passes: ForwardPasses(
                                first: first, stride: 2, base: sums.base, rowStride: rowStride,
                                passFloats: m * rowStride, count: count),
                            narrowPairs: narrowPairs, scratch: UnsafeMutableRawPointer(scratch.base))
                    }
                    finishPasses(
                        ForwardPasses(first: 0, stride: 1, base: sums.base, rowStride: rowStride, passFloats: m * rowStride, count: count),
                        rows: 0..<m, n: n, c: c.baseAddress!, ldc: n, epilogue: epilogue)
                }
            }
        }
        return (dense, sparse)
    }

    /// Expects ``forwardBothWays(m:n:k:origin:activation:packed:bytes:scratch:)`` to give the same
    /// bits both ways, from floats and from bytes, with either kernel for a 97- to 112-column panel.
    static func expectForwardBothWays(
        m: Int, n: Int, k: Int, origin: Int, activation: Activation, packed: Bool, scratch: FloatBuffer
    ) {
        for bytes in [false, true] {
            for narrowPairs in [false, true] {
                let (dense, sparse) = forwardBothWays(
                    m: m, n: n, k: k, origin: origin, activation: activation, packed: packed, bytes: bytes,
                    narrowPairs: narrowPairs, scratch: scratch)
                #expect(
                    sparse.map(\.bitPattern) == dense.map(\.bitPattern),
                    "\(m)×\(n)×\(k) from row \(origin)\(packed ? ", packed" : "")\(bytes ? ", bytes" : "")\(narrowPairs ? ", pairs" : "")")
            }
        }
    }

    @Test("the sparse forward kernel gives bitwise the GEMM's f(X·W + b): slivers or pairs of any height, passes and blocks of any depth, several chunks and panels",
          arguments: [Activation.relu, .sigmoid])
    func sparseForwardIsExact(_ activation: Activation) {
        guard sparseForwardCovers(columns: 100) && sparseForwardCovers(columns: 256) else { return }
        let scratch = FloatBuffer(count: KernelConfig.scratchCount)
        // m batch rows from `origin`, n outputs, k inputs.
        for (m, n, k, origin) in [
            (32, 100, 784, 0), (16, 100, 784, 16), (1, 97, 5, 0), (3, 112, 257, 2), (5, 100, 256, 7), (13, 105, 600, 4),
            (7, 112, 1, 0), (64, 128, 784, 0), (50, 120, 300, 5), (30, 113, 64, 1), (25, 128, 65, 3),
            (16, 256, 784, 0), (9, 228, 100, 2), (4, 384, 70, 1),
        ] {
            Self.expectForwardBothWays(
                m: m, n: n, k: k, origin: origin, activation: activation, packed: false, scratch: scratch)
        }
    }

    @Test("the sparse forward kernel's passes over k, run in two sets and added up, give bitwise the GEMM's f(X·W + b)",
          arguments: [Activation.relu, .sigmoid])
    func sparseForwardPassesAreExact(_ activation: Activation) {
        guard sparseForwardCovers(columns: 100) && sparseForwardCovers(columns: 256) else { return }
        let scratch = FloatBuffer(count: KernelConfig.scratchCount)
        for (m, n, k, origin) in [
            (64, 128, 784, 0), (32, 100, 784, 0), (13, 105, 600, 4), (7, 112, 257, 2), (9, 256, 520, 1), (3, 120, 300, 5),
        ] {
            for bytes in [false, true] {
                for narrowPairs in [false, true] {
                    let (dense, sparse) = Self.forwardBothWays(
                        m: m, n: n, k: k, origin: origin, activation: activation, packed: false, bytes: bytes, passes: true,
                        narrowPairs: narrowPairs, scratch: scratch)
                    #expect(
                        sparse.map(\.bitPattern) == dense.map(\.bitPattern),
                        "\(m)×\(n)×\(k) from row \(origin), passes\(bytes ? ", bytes" : "")\(narrowPairs ? ", pairs" : "")")
                }
            }
        }
    }

    @Test("the sparse forward kernel reading W from the GEMM's packed panels gives bitwise the GEMM's f(X·W + b)",
          arguments: [Activation.relu, .sigmoid])
    func sparseForwardFromPanelsIsExact(_ activation: Activation) {
        guard sparseForwardReadsPanels(columns: 128) else { return }
        let scratch = FloatBuffer(count: KernelConfig.scratchCount)
        for (m, n, k, origin) in [(64, 1024, 784, 0), (7, 256, 300, 3), (30, 128, 65, 1), (1, 384, 257, 0)] {
            Self.expectForwardBothWays(
                m: m, n: n, k: k, origin: origin, activation: activation, packed: true, scratch: scratch)
        }
    }

    @Test("the masks' bytes transposed by 8 × 8 blocks and ragged edges are the masks' bytes")
    func transposedMaskBytes() {
        let x = Self.sparseMatrix(rows: 70, columns: 784, seed: 9)
        let masks = Self.masks(x, rows: 70, columns: 784)
        for (rows, groups) in [(0..<64, 0..<16), (3..<62, 1..<98), (5..<6, 96..<98), (64..<70, 90..<97)] {
            let stride = 80
            var out = [UInt8](repeating: 0xee, count: groups.count * stride)
            out.withUnsafeMutableBufferPointer {
                masks.transposeBytes(rows: rows, groups: groups, into: $0.baseAddress!, stride: stride)
            }
            let expected = groups.flatMap { g in
                (0..<stride).map { r in r < rows.count ? masks.byte(row: rows.lowerBound + r, group: g) : 0xee }
            }
            #expect(out == expected, "rows \(rows), groups \(groups)")
        }
    }

    @Test("the sparse weight gradient gives bitwise the GEMM's Xᵀ·dY, on whole and partial row ranges, from floats or bytes",
          arguments: [false, true])
    func sparseWeightGradientIsExact(bytes: Bool) {
        guard KernelConfig.wideKernel else { return }
        let scratch = FloatBuffer(count: KernelConfig.scratchCount)
        // m inputs, n outputs, k batch rows; X is k × m.
        for (m, n, k) in gemmShapes where m * n * k > 0 {
            let seed = UInt64(m * 17 + n * 5 + k)
            let pixels = PixelBatch(width: m, capacity: k)
            var x: [Float]
            if bytes {
                let values = Self.sparseBytes(rows: k, columns: m, seed: seed)
                pixels.bytes.update(from: values, count: values.count)
                x = values.prefix(k * m).map { Float($0) * Dataset.pixelScale }
            } else {
                x = Self.sparseMatrix(rows: k, columns: m, seed: seed)
            }
            x += [Float](repeating: 0, count: 16)
            let masks = Self.masks(x, rows: k, columns: m)
            // Padded as the workspace's buffers are: a last partial vector of a row is read whole,
            // and a pair's second input past the last one reads the next float.
            let dy = randomValues(k * n, seed: 4) + [Float](repeating: 0, count: 16)
            var dense = [Float](repeating: 0, count: m * n)
            x.withUnsafeBufferPointer { x in
                dy.withUnsafeBufferPointer { dy in
                    let (opA, opB) = ProductForm.weightGradient.operands(
                        m: m, n: n, k: k, a: x.baseAddress!, b: dy.baseAddress!)
                    dense.withUnsafeMutableBufferPointer {
                        gemmSerial(
                            m: m, n: n, k: k, a: opA, b: opB, c: $0.baseAddress!, ldc: n, epilogue: .store,
                            scratch: scratch.base)
                    }
                    // The whole matrix, rows from an odd input, and a 64-row block from input 64.
                    for rows in [0..<m, min(3, m)..<m, min(64, m)..<min(m, 128)] where !rows.isEmpty {
                        // Padded so that a last partial vector may be read whole.
                        var sparse = [Float](repeating: .nan, count: rows.count * n + 16)
                        sparse.withUnsafeMutableBufferPointer {
                            sparseWeightGradient(
                                masks: masks, x: bytes ? .bytes(pixels.rows()) : .floats(FloatRows(base: x.baseAddress!, ldx: m)),
                                inputs: rows, count: k,
                                dz: dy.baseAddress!, ldz: n, n: n,
                                gradient: $0.baseAddress!, scratch: UnsafeMutableRawPointer(scratch.base))
                        }
                        #expect(
                            sparse.prefix(rows.count * n).map(\.bitPattern)
                                == dense[rows.lowerBound * n..<rows.upperBound * n].map(\.bitPattern),
                            "\(m)×\(n)×\(k), rows \(rows)\(bytes ? ", bytes" : "")")
                        #expect(!sparse.suffix(16).contains { !$0.isNaN }, "\(m)×\(n)×\(k): written past the last row")
                    }
                }
            }
        }
    }

    @Test("the packed copies of W hold W in the kernels' panels, a large W's kept or not, with streaming stores or not, built, rebuilt and refreshed a block of rows at a time")
    func packedWeights() throws {
        // 784 × 1024 and 1024 × 1024 are large, written with streaming stores: when a large W's
        // copies are not kept, only the first one's forward copy is. 1024 × 10 and
        // 10 × 3 keep plain copies; 100 × 21 and 21 × 10 have steps past the last whole 16
        // (transposed 16 at a time, storing only the panel's rows).
        for sizes in [[784, 1024, 1024, 10], [20, 10, 3], [30, 100, 21, 10]] {
            let architecture = try Architecture(layerSizes: sizes, hiddenActivation: .relu, outputActivation: .softmax)
            let network = try Network(
                architecture: architecture, parameters: randomValues(architecture.parameterCount, seed: 8))
            let packed = PackedWeights(network: network)
            /// Expects the panels at `panels` (`rows` × `columns` padded to panels of `width`
            /// columns) to hold `value(row, column)`, zero in the padding.
            func expectPanels(
                _ panels: MatrixOperand, rows: Int, columns: Int, width: Int, _ note: String,
                value: (Int, Int) -> Float
            ) {
                var same = true
                for i in 0..<rows {
                    for j in 0..<roundUp(columns, to: width) {
                        let held = panels.base[j / width * panels.panelStride + i * width + j % width]
                        same = same && held == (j < columns ? value(i, j) : 0)
                    }
                }
                #expect(same, "\(sizes): \(note)")
            }
            func expectLayout(_ note: String) {
                for (l, layer) in network.layers.enumerated() {
                    let w = network.parameters.base + layer.weightOffset
                    let (inputs, n) = (layer.inputs, layer.outputs)
                    if let forward = packed.forward(l) {
                        expectPanels(
                            forward, rows: inputs, columns: n, width: GEMMPanels.width(columns: n),
                            "layer \(l) forward copy, \(note)") { i, j in w[i * n + j] }
                    }
                    guard l > 0, let transposed = packed.transposed(l) else { continue }
                    expectPanels(
                        transposed, rows: n, columns: inputs, width: GEMMPanels.width(columns: inputs),
                        "layer \(l) transposed copy, \(note)") { j, c in w[c * n + j] }
                }
            }
            expectLayout("built")
            // Change every weight, then refresh each layer a block of 64 rows at a time: with a
            // large W's copies kept, without them (no copies of a large W after the first layer's
            // forward one), and kept again (those copies rebuilt first).
            for keeps in [true, false, true] {
                let wasKept = packed.keepsLargeCopies
                packed.keepsLargeCopies = keeps
                if keeps && !wasKept { expectLayout("rebuilt when kept again") }
                for i in 0..<architecture.parameterCount { network.parameters.base[i] += 1 }
                for (l, layer) in network.layers.enumerated() {
                    for first in stride(from: 0, to: layer.inputs, by: 64) {
                        packed.refresh(layer: l, rows: first..<min(layer.inputs, first + 64))
                    }
                }
                expectLayout("refreshed \(keeps ? "with a large W's copies" : "without them")")
                // Without them, no copy of a large W but the first layer's forward one.
                for (l, layer) in network.layers.enumerated() {
                    let kept = keeps || !PackedWeights.isLarge(layer)
                    #expect((packed.forward(l) != nil) == (layer.outputs >= 512 && (l == 0 || kept)), "\(sizes) layer \(l)")
                    #expect((packed.transposed(l) != nil) == (l > 0 && kept), "\(sizes) layer \(l)")
                }
            }
        }
    }

    @Test("a leading dimension wider than n leaves the rest of each row alone")
    func leadingDimension() {
        for (m, n, k) in [(7, 13, 5), (64, 100, 784), (9, 40, 300)] {
            for form in ProductForm.allCases {
                let difference = gemmDifference(m: m, n: n, k: k, form: form, ldc: n + 19)
                #expect(difference < 1e-5, "\(form) \(m)×\(n)×\(k), ldc \(n + 19): \(difference)")
            }
        }
    }

    @Test("exact small product")
    func exactSmall() {
        // [1 2; 3 4] · [5 6; 7 8] = [19 22; 43 50], exactly representable.
        let a: [Float] = [1, 2, 3, 4], b: [Float] = [5, 6, 7, 8]
        var c = [Float](repeating: -1, count: 4)
        a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in
                c.withUnsafeMutableBufferPointer {
                    gemm(m: 2, n: 2, k: 2, a: MatrixOperand(rowMajor: a.baseAddress!, leadingDimension: 2),
                         b: MatrixOperand(rowMajor: b.baseAddress!, leadingDimension: 2),
                         c: $0.baseAddress!, ldc: 2, epilogue: .store, workspace: GEMMWorkspace())
                }
            }
        }
        #expect(c == [19, 22, 43, 50])
    }

    @Test("partial vector loads and stores touch exactly their lanes", arguments: 0...16)
    func partialVectorLanes(count: Int) {
        // 16 floats, then 16 guards; the load must zero the lanes past `count`, the store must
        // leave every float past them (and a NaN or a negative zero among them) untouched.
        var memory = (0..<32).map { Float($0) + 0.5 }
        memory[count == 0 ? 0 : count - 1] = -0.0
        var loaded = Vector()
        memory.withUnsafeBufferPointer { loaded = VectorMath.load($0.baseAddress!, count: count) }
        for i in 0..<16 { #expect(loaded[i].bitPattern == (i < count ? memory[i].bitPattern : 0)) }
        var stored = memory
        let value = Vector((0..<16).map { i in i == 0 ? Float.nan : -Float(i) })
        stored.withUnsafeMutableBufferPointer { VectorMath.store(value, $0.baseAddress!, count: count) }
        for i in 0..<32 {
            let expected = i < count ? value[i] : memory[i]
            #expect(stored[i].bitPattern == expected.bitPattern, "lane \(i) of a store of \(count)")
        }
    }

    @Test("vector exp against the C library")
    func vectorExp() {
        var worst: Float = 0
        var x: Float = -87
        while x < 88.0 {
            var v = Vector()
            for i in 0..<16 { v[i] = x + Float(i) * 0.0137 }
            let e = VectorMath.exp(v)
            for i in 0..<16 {
                let exact = Float(_expDouble(Double(v[i])))
                worst = max(worst, abs(e[i] - exact) / exact)
            }
            x += 0.173
        }
        #expect(worst < 3e-7, "worst relative error \(worst)")
    }
}
