import CPUFeatures
/// One optimiser step on one minibatch — gather → forward → loss → backward → update — written
/// once: the synchronous trainer runs it over all its threads, every Hogwild thread runs its own
/// alone, and the benchmarks and tests call the same code.
///
/// A step is two parallel regions, so two barriers:
/// 1. **Row tiles of the batch.** Each task gathers its rows, runs them forward through every
///    layer, evaluates their loss and back-propagates their deltas down to layer 1
///    (dZ·Wᵀ ⊙ f′): the whole per-sample chain, with no barrier inside it and no sum across tiles.
/// 2. **Weight-gradient tiles.** Each task computes a block of input rows of one layer's
///    dW = Xᵀ·dZ (the block at row 0 also the bias gradient Σ dZ), summed over the whole batch
///    in sample order, then applies the optimiser to those parameters while they are in cache.
///    No thread ever reduces another's partial sums. Layer 1 computes no input gradient.
///
/// A network with large hidden layers (``columnSplitLayers``: `mlp-wide`'s 1024 × 1024) runs
/// those layers' forward and deltas products, on more than one thread, as regions of their own
/// over column tiles of the whole batch, with region 1's row tiles before, between and after
/// them: two more barriers per such layer, and each thread packs only its own columns of W.
///
/// On two threads, the first layer's forward product (W₁ read in place, narrower than 512) runs
/// over k instead (``firstLayerSums``), on the sparse kernels or the GEMM: region 1 becomes a gather
/// in row tiles, then each thread's passes over k (blocks of 256 inputs, alternating between
/// the threads) for the whole batch, then the row tiles, which add the passes up in order and go
/// on; and region 2 gives each thread the rows of W₁ its passes read. Each core then reads and
/// writes only its own rows of W₁: two more barriers, and no line of W₁ taken back from the
/// other core every step (`mlp-128`, family 25, two threads: 121 → 87 µs a step). A small batch
/// of images (``threadCopiesLimit``) after a sparse one is instead gathered whole by each thread
/// into its own copy, on which it runs its passes in the same region: one barrier fewer.
///
/// Between the regions the caller adds the rows' losses in row order and checks the sum: a
/// non-finite loss returns before region 2, leaving parameters and optimiser state untouched.
///
/// Every element of every product is computed by one task, summing in a fixed order: a row's
/// results do not depend on which rows share its tile (so row tiles may follow the thread count),
/// and the weight-gradient tiles depend on the shapes alone. The parameters after any number of
/// steps are bitwise the same at every thread count. (This is how libxsmm lays out its MLP
/// training step.)
final class TrainingStep: RegionJob {
    /// Where one task of region 2 works: rows `rows` of layer `layer`'s weight gradient.
    struct GradientTile {
        let layer: Int
        let rows: Range<Int>
    }

    let network: Network
    let loss: Loss
    /// `nil`: compute the gradients only (all of them into `workspace.gradients`) and update
    /// nothing.
    let optimizer: Optimizer?
    let workspace: Workspace
    /// Rows of the batch per task of region 1 when the regions run on more than one thread (see
    /// ``rowTile``).
    let parallelRowTile: Int
    /// The weights in the kernels' B layout, when the step runs on a pool (Hogwild threads,
    /// which share the weights, pack per product instead).
    let packed: PackedWeights?
    /// Whether a step whose large layers' products are not split over column tiles (one thread)
    /// keeps copies of a large W (``PackedWeights/keepsLargeCopies``) rather than packing it in
    /// every product; the same bits either way. Where it measured faster: on AMD family 25 (Zen
    /// 4), `mlp-wide` on one thread, `fastmlp-benchmarks epoch --profiles mlp-wide --threads 1
    /// --epochs 2`, 10 pairs of runs alternating: 5.04–5.47 s/epoch (median 5.29) without the
    /// copies, 4.91–5.53 (median 5.15) with them, faster in 8 pairs (the builds before and after,
    /// 10 pairs: medians 5.38 → 5.32, faster in 7); the breakdown, 3 pairs: the
    /// products of the 1024 × 1024 layer 3109–3338 → 2734–2835 µs a step (forward) and 3080–3336
    /// → 2849–2962 (deltas) against the repacking 165–180 → 521–535. On family 26 (Zen 5, an
    /// earlier build) the step was faster without them, µs a step: without the forward copy of
    /// W₂, repacking 402–461 → 247–275 and step 5683–5752 → 5418–5582; without its transposed
    /// copy too, 5207–5305 → 4935–5053. Two threads split those products by columns and keep no
    /// copies (family 25, `--threads 2 --fixed-threads`, 14 pairs with them forced: faster in 8,
    /// medians 2.67–2.72 against 2.71–2.82 s/epoch, inside the 2.5–3.6 that either takes from one
    /// spell to the next; family 26, with W packed four panels at a time, step 3181–3240 →
    /// 2989–3048 without them).
    var keepsLargeCopiesUnsplit = fastmlp_amd_family25() != 0
    /// Set when the parameters may have changed outside the step; the next run repacks them.
    var parametersChanged = true
    /// Whether the regions run on the pool; false runs them on the calling thread alone, with the
    /// whole batch as one row tile (``rowTile``) and the same results (see `ThreadChoice`).
    var usesPool = true
    /// Whether the first layer's products may skip the inputs that are zero across a sliver of
    /// rows (exact: the same bits either way). They do when at most ``sparseDensityLimit`` of the
    /// inputs are nonzero: the forward product per row tile, the weight gradient per batch.
    var skipsZeroInputs = true
    /// The largest share of nonzero inputs at which zero inputs are skipped. A sliver of 8 rows
    /// skips a step only when all 8 rows are zero there: MNIST (19 % nonzero) keeps 47 % of its
    /// steps; independent inputs at 30 % would keep 94 %, and the lists would cost more than they save.
    static let sparseDensityLimit = 0.3
    /// Steps whose first layer skipped zero inputs (read between steps).
    private(set) var stepsSkippingZeroInputs = 0
    /// Steps whose first layer ran over passes, one set per thread (``firstLayerSums``).
    private(set) var stepsSplittingFirstLayer = 0
    /// Steps in which each thread gathered the whole batch for itself (``threadPixels``).
    private(set) var stepsWithThreadCopies = 0
    private let tileNonzeros: UnsafeMutablePointer<Int>
    /// The batch's nonzero inputs, marked by the row tiles as they gather.
    private let nonzeroMasks: NonzeroMasks
    private var batchIsSparse = false
    /// The batch as bytes, when the first layer's sparse kernels cover it: a batch of images is
    /// gathered here and made into floats only where a tile or the batch turns out dense (the
    /// sparse kernels read the bytes, a quarter of the memory, through the same values).
    private let pixelBatch: PixelBatch?
    /// The tasks of region 2, in a fixed order.
    let gradientTiles: [GradientTile]
    /// Hidden layers after the first whose W is large (``PackedWeights/isLarge(_:)``): on more
    /// than one thread, their forward and deltas products run as regions of their own, over
    /// column tiles of the whole batch, rather than in every row tile. Each thread then packs
    /// only its columns of W, once, instead of every row tile packing all of W.
    let columnSplitLayers: [Int]
    /// On two threads, room for the first layer's forward sums pass by pass (``ForwardPasses``),
    /// when the products read W₁ in place: each thread runs the passes over k (blocks of 256
    /// inputs, alternating between the threads) whose rows of W₁ it then updates, on the sparse
    /// kernels for a sparse batch and on the GEMM otherwise, and the row tiles add the passes up. No line of W₁ is read by one core
    /// and written by the other: split over row tiles, each thread read all of W₁ and then wrote
    /// the rows it updated, which the other core held, one line at a time.
    private let firstLayerSums: FloatBuffer?
    /// Region 2's tasks when the first layer runs over passes: the first thread's blocks of W₁'s
    /// rows (``passFirstShare`` of them, dealt to it), then the second's, then the other layers'.
    let passGradientTiles: [GradientTile]
    let passFirstShare: Int
    /// On two threads with the first layer over passes, for a batch of images small enough
    /// (``threadCopiesLimit``): each thread's own copy of the whole batch as bytes, with its
    /// masks, gathered by that thread, which then runs its passes of the first layer on it in
    /// the same region; a step has one barrier fewer. Empty otherwise.
    private let threadPixels: [PixelBatch]
    private let threadMasks: [NonzeroMasks]
    /// The first copy's count of nonzero inputs (the second's is the same).
    private let copyNonzeros: UnsafeMutablePointer<Int>
    /// Where the second thread's gather writes the labels (the first thread's go to `labels`).
    private let spareLabels: UnsafeMutablePointer<Int32>
    /// Per-phase timing, when a benchmark asks for it.
    var profile: StepProfile?
    private let labels: UnsafeMutablePointer<Int32>
    private let targets: FloatBuffer
    /// Each row's loss, summed in row order whatever the tiles.
    private let rowLosses: UnsafeMutablePointer<Double>
    /// Per thread, room for one weight-gradient tile (when the step updates): the tile's
    /// gradient is made here and read by the optimiser at once, from L2, rather than written to
    /// a gradient buffer as large as W, whose lines would come from memory every step.
    private let gradientBuffers: [FloatBuffer]

    /// A step for batches of up to `capacity` rows, run on `pool` when one is given.
    init(network: Network, loss: Loss, optimizer: Optimizer?, capacity: Int, pool: ThreadPool? = nil) {
        self.network = network
        self.loss = loss
        self.optimizer = optimizer
        let architecture = network.architecture
        workspace = Workspace(architecture: architecture, capacity: capacity, pool: pool)
        parallelRowTile = Self.rowTile(capacity: capacity, threads: pool?.threadCount ?? 1)
        packed = pool != nil ? PackedWeights(network: network) : nil
        gradientTiles = Self.gradientTiles(network.layers)
        columnSplitLayers = network.layers.indices.filter { l in
            l >= 1 && l < network.layers.count - 1 && PackedWeights.isLarge(network.layers[l])
        }
        let first = network.layers[0]
        let passCount = ceilDivide(first.inputs, KernelConfig.kc)
        let splitsPasses = pool?.threadCount == 2 && network.layers.count > 1 && passCount > 1
            && packed?.forward(0) == nil && columnSplitLayers.isEmpty
        firstLayerSums = splitsPasses
            ? FloatBuffer(count: passCount * capacity * roundUp(first.outputs, to: Vector.scalarCount)) : nil
        let firstLayerTiles = gradientTiles.filter { $0.layer == 0 }
        let owned = { (thread: Int) in firstLayerTiles.filter { $0.rows.lowerBound / KernelConfig.kc % 2 == thread } }
        passGradientTiles = splitsPasses ? owned(0) + owned(1) + gradientTiles.filter { $0.layer != 0 } : []
        passFirstShare = owned(0).count
        let tileFloats = gradientTiles.map { $0.rows.count * network.layers[$0.layer].outputs }.max() ?? 0
        gradientBuffers = optimizer == nil ? [] : (0..<(pool?.threadCount ?? 1)).map { _ in FloatBuffer(count: tileFloats) }
        labels = .allocate(capacity: capacity)
        labels.initialize(repeating: 0, count: capacity)
        targets = FloatBuffer(count: capacity * architecture.outputCount)
        let tiles = ceilDivide(capacity, parallelRowTile)
        rowLosses = .allocate(capacity: capacity)
        rowLosses.initialize(repeating: 0, count: capacity)
        tileNonzeros = .allocate(capacity: tiles)
        tileNonzeros.initialize(repeating: 0, count: tiles)
        nonzeroMasks = NonzeroMasks(inputs: architecture.inputCount, capacity: capacity)
        pixelBatch = network.sparseKernelsRunFirstLayer(packed: packed)
            ? PixelBatch(width: architecture.inputCount, capacity: capacity) : nil
        let copies = splitsPasses && pixelBatch != nil && capacity * architecture.inputCount <= Self.threadCopiesLimit ? 2 : 0
        threadPixels = (0..<copies).map { _ in PixelBatch(width: architecture.inputCount, capacity: capacity) }
        threadMasks = (0..<copies).map { _ in NonzeroMasks(inputs: architecture.inputCount, capacity: capacity) }
        copyNonzeros = .allocate(capacity: 1)
        copyNonzeros.initialize(to: 0)
        spareLabels = .allocate(capacity: capacity)
        spareLabels.initialize(repeating: 0, count: capacity)
    }

    /// The largest batch, in bytes of its images, that each thread gathers whole for itself
    /// (``threadPixels``). A copy costs each thread the gather of the other half of the batch and
    /// saves a region, and the other core's lines of the batch. On AMD family 25, 32 images of
    /// 784 pixels (`seed-sigmoid`), not 64 (`mlp-128`): two threads, `epoch --breakdown`, three
    /// pairs alternating: `seed-sigmoid` 41.1–43.4 → 39.3–40.0 µs a step, waiting at barriers
    /// 5.3–6.2 → 4.1–4.6, six more pairs without the breakdown 0.072–0.076 → 0.069–0.074 s an
    /// epoch; `mlp-128` with copies 68.6 and 69.6 µs against 65.9 and 68.1 without, its gather per
    /// thread 3.1–3.8 → 4.0–4.3. Elsewhere 64 KiB, which takes in `mlp-128`'s 64 images: on an
    /// Intel Xeon (family 6 model 207, whose cores pass lines to each other more slowly: a pool
    /// region 1.0–1.7 µs) `epoch --profiles mlp-128 --threads 2 --epochs 5`, alternating through
    /// an environment toggle in one binary, `--fixed-threads` 6 pairs, median 0.103 → 0.085 s an
    /// epoch, faster in 5; the trainer's own thread choice, 8 pairs, median 0.095 → 0.087, faster
    /// in 6. Family 26 has not been measured either way.
    static let threadCopiesLimit = fastmlp_amd_family25() != 0 ? 32 * 1024 : 64 * 1024

    deinit {
        labels.deallocate()
        rowLosses.deallocate()
        tileNonzeros.deallocate()
        copyNonzeros.deallocate()
        spareLabels.deallocate()
    }

    /// Rows per task of region 1 in this step: on one thread the whole batch (each block of W
    /// serves every row: `mlp-128`, family 26, forward products 28.8–29.2 → 27.5–28.0 µs a step),
    /// on more ``parallelRowTile``. Which rows share a tile changes no bit of any row's results,
    /// and the loss is summed row by row, so the results are the same either way.
    var rowTile: Int { usesPool ? parallelRowTile : workspace.capacity }

    /// Rows per task of region 1 on `threads` threads: the whole batch on one, otherwise a share
    /// of it per thread (at least 16 rows, so that a tile reads each block of W at least twice
    /// from L1; whole register tiles; at most 64 rows). One tile per thread reads each block of
    /// W₁ once per thread: `mlp-128`, 2 threads, family 26, 49.8–51.6 µs a step with tiles of a
    /// quarter of the batch against 49.3–49.5 with halves. Other threads steal a late one's tile.
    static func rowTile(capacity: Int, threads: Int) -> Int {
        guard threads > 1 else { return capacity }
        return min(capacity, 64, roundUp(max(16, ceilDivide(capacity, threads)), to: KernelConfig.mr))
    }

    /// Region 2's tasks: each layer's weight rows in blocks of ``gradientTileRows``, layers in
    /// order.
    static func gradientTiles(_ layers: [DenseLayer]) -> [GradientTile] {
        var tiles: [GradientTile] = []
        for (l, layer) in layers.enumerated() {
            for i in stride(from: 0, to: layer.inputs, by: gradientTileRows) {
                tiles.append(GradientTile(layer: l, rows: i..<min(layer.inputs, i + gradientTileRows)))
            }
        }
        return tiles
    }

    /// Rows of W per weight-gradient tile, every width: a 1024-wide layer's tile is then 256 KiB,
    /// which its update reads back from L2 beside W's and the optimiser's rows. (Tiles of 128
    /// rows for layers 512 or more wide let a packed panel of dZ serve 16 row slivers; with the
    /// padded rows dZ is read in place. `mlp-wide`, family 25, `epoch --breakdown`, 3 runs
    /// alternating, against the other layers' forward of the same run: the first layer's weight
    /// gradient 0.234–0.249 → 0.225–0.242 on one thread (5 pairs), 0.246–0.263 → 0.208–0.230 on
    /// two, and the two-thread step 5790–6643 → 5554–5916 µs; 32 rows no better than 64.)
    static let gradientTileRows = 64

    private var pool: ThreadPool? { workspace.gemm.pool }

    /// Where the first layer's passes leave their sums, for thread `thread` (of two).
    private func firstLayerPasses(thread: Int, sums: FloatBuffer) -> ForwardPasses {
        let layer = network.layers[0]
        let rowStride = roundUp(layer.outputs, to: Vector.scalarCount)
        return ForwardPasses(
            first: thread, stride: 2, base: sums.base, rowStride: rowStride, passFloats: workspace.capacity * rowStride,
            count: ceilDivide(layer.inputs, KernelConfig.kc))
    }

    /// Trains on the samples at `indices` of `data` (at most `capacity` of them) with the given
    /// learning rate and dropout; returns the batch's summed loss. A non-finite loss is returned
    /// without changing the parameters or the optimiser. The samples at `next` (the following
    /// batch) are prefetched while the weight gradients are computed.
    ///
    /// The step computes with subnormals flushed to zero (``FloatControl``).
    func run(
        on data: Dataset, indices: UnsafeBufferPointer<Int32>, next: UnsafeBufferPointer<Int32>? = nil,
        learningRate: Float? = nil, dropout: Dropout? = nil
    ) -> Double {
        FloatControl.withSubnormalsFlushed {
            step(on: data, indices: indices, next: next, learningRate: learningRate, dropout: dropout)
        }
    }

    /// ``run(on:indices:next:learningRate:dropout:)``'s work, in the caller's floating-point mode.
    private func step(
        on data: Dataset, indices: UnsafeBufferPointer<Int32>, next: UnsafeBufferPointer<Int32>?,
        learningRate: Float?, dropout: Dropout?
    ) -> Double {
        let rows = indices.count
        precondition(rows <= workspace.capacity, "TrainingStep: batch larger than the workspace")
        let stepStart = profile != nil ? StepProfile.now() : 0
        let rowTile = self.rowTile
        let tiles = ceilDivide(rows, rowTile)
        let threads = usesPool ? pool?.threadCount ?? 1 : 1
        let splitsColumns = tiles > 1 && threads > 1 && !columnSplitLayers.isEmpty
        let splitsPasses = firstLayerSums != nil && tiles > 1 && threads == 2
        packed?.keepsLargeCopies = !splitsColumns && (min(rows, rowTile) <= 2 * KernelConfig.mr || keepsLargeCopiesUnsplit)
        if parametersChanged {
            packed?.refresh()
            parametersChanged = false
        }
        let inBytes = skipsZeroInputs && pixelBatch != nil && data.hasPixels && !data.isRegression
        batch = Batch(data: data, indices: indices, next: next, dropout: dropout, inBytes: inBytes, rowTile: rowTile)
        defer { batch = nil }

        // Region 1: row tiles, gather → forward → loss → deltas.
        usesFirstLayerPasses = false
        usesThreadCopies = false
        var tilesConverted = false
        if splitsColumns {
            runSplittingColumns(rows: rows, tiles: tiles, threads: threads, dropout: dropout)
        } else if splitsPasses {
            if inBytes && !threadPixels.isEmpty && batchIsSparse {
                // After a sparse batch (a dense one would gather the whole batch twice for
                // nothing): each thread gathers the whole batch into its own copy and runs its
                // passes there when the batch is sparse; on a dense batch, the GEMM's passes read
                // floats each thread made of half the rows.
                usesThreadCopies = true
                stepsWithThreadCopies += 1
                region(.copiesAndPasses, tasks: 2)
                passesAreSparse = isSparse(nonzeros: copyNonzeros.pointee, rows: rows)
                if !passesAreSparse {
                    tilesConverted = true
                    region(.firstLayerPasses, tasks: 2)
                }
            } else {
                // Gather; each thread's passes of the first layer (sparse kernels on a sparse
                // batch, the GEMM otherwise).
                chain = ChainPart(gathers: true, forward: 0..<0, deltas: 0..<0)
                region(.rowChains, tasks: tiles)
                var nonzeros = 0
                for t in 0..<tiles { nonzeros += tileNonzeros[t] }
                passesAreSparse = isSparse(nonzeros: nonzeros, rows: rows)
                    && network.sparseKernelsRunFirstLayer(packed: packed)
                if !passesAreSparse && inBytes {
                    convertSparseTiles(tiles: tiles, rowTile: rowTile, rows: rows)
                    tilesConverted = true
                }
                region(.firstLayerPasses, tasks: 2)
            }
            // The rest, in row tiles.
            usesFirstLayerPasses = true
            stepsSplittingFirstLayer += 1
            chain = ChainPart(
                gathers: false, forward: network.layers.indices, deltas: network.layers.indices, finishesFirstLayer: true)
            region(.rowChains, tasks: tiles)
        } else {
            chain = ChainPart(gathers: true, forward: network.layers.indices, deltas: network.layers.indices)
            region(.rowChains, tasks: tiles)
        }
        var total: Double = 0
        for r in 0..<rows { total += rowLosses[r] }
        var nonzeros = 0
        if usesThreadCopies { nonzeros = copyNonzeros.pointee } else { for t in 0..<tiles { nonzeros += tileNonzeros[t] } }
        guard total.isFinite else { return total }
        batchIsSparse = isSparse(nonzeros: nonzeros, rows: rows)
        if batchIsSparse { stepsSkippingZeroInputs += 1 }
        if !batchIsSparse, inBytes, !tilesConverted {
            // The dense weight gradient reads floats.
            convertSparseTiles(tiles: tiles, rowTile: rowTile, rows: rows)
        }

        // Region 2: weight-gradient tiles, each updated in place.
        batch?.rule = optimizer?.beginStep(learningRate: learningRate)
        if usesFirstLayerPasses {
            region(.gradientTiles, tasks: passGradientTiles.count, firstShare: passFirstShare)
        } else {
            region(.gradientTiles, tasks: gradientTiles.count)
        }
        if let profile {
            profile.finishStep(nanoseconds: StepProfile.now() - stepStart, nonzeros: batchIsSparse ? nonzeros : nil)
        }
        return total
    }

    /// Makes floats of the batch's tiles that were gathered as bytes and left so (the sparse
    /// ones; a dense tile made its own), for the dense kernels.
    private func convertSparseTiles(tiles: Int, rowTile: Int, rows: Int) {
        guard let pixelBatch else { return }
        for t in 0..<tiles {
            let range = Self.tileRows(t, rowTile: rowTile, rows: rows)
            guard isSparse(nonzeros: tileNonzeros[t], rows: range.count) else { continue }
            pixelBatch.convert(range, into: workspace.activations[0].base + range.lowerBound * pixelBatch.width)
        }
    }

    /// Region 1 with the products of ``columnSplitLayers`` as regions of their own, over column
    /// tiles of the whole batch: row tiles up to such a layer, its forward product, row tiles
    /// on to the output, the loss and the deltas down to that layer, its deltas product, and so
    /// on down. Each element is still computed by one task in the same order: the same bits.
    private func runSplittingColumns(rows: Int, tiles: Int, threads: Int, dropout: Dropout?) {
        let split = columnSplitLayers, layerCount = network.layers.count
        var first = 0
        for (i, l) in split.enumerated() {
            chain = ChainPart(gathers: i == 0, forward: first..<l, deltas: 0..<0)
            region(.rowChains, tasks: tiles)
            product = network.forwardPlan(workspace, layer: l, count: rows, dropout: dropout, packed: packed, threads: threads)
            productPhase = .forward
            region(.product, tasks: product!.tiles)
            first = l + 1
        }
        chain = ChainPart(gathers: false, forward: first..<layerCount, deltas: split.last! + 1..<layerCount)
        region(.rowChains, tasks: tiles)
        for (i, l) in split.enumerated().reversed() {
            product = network.deltaPlan(workspace, layer: l, count: rows, dropout: dropout, packed: packed, threads: threads)
            productPhase = .backward
            region(.product, tasks: product!.tiles)
            let below = i > 0 ? split[i - 1] + 1 : 1
            if below < l {
                chain = ChainPart(gathers: false, forward: 0..<0, deltas: below..<l)
                region(.rowChains, tasks: tiles)
            }
        }
        product = nil
    }

    /// The parallel regions of a step: row tiles, column tiles of one product (with
    /// ``columnSplitLayers``), each thread's passes of the first layer (with ``firstLayerSums``),
    /// weight-gradient tiles.
    private enum Region {
        case rowChains, product, copiesAndPasses, firstLayerPasses, gradientTiles
    }
    /// Whether this step's first layer runs over passes, one set per thread (``firstLayerSums``).
    private var usesFirstLayerPasses = false
    /// Whether each thread gathered its own copy of the batch (``threadPixels``).
    private var usesThreadCopies = false
    /// Whether those passes run on the sparse kernels (a sparse batch), or on the GEMM.
    private var passesAreSparse = false

    /// What a row tile of region 1 runs: with `gathers`, it gathers its rows first; it runs the
    /// forward products of the layers in `forward`, and when those end at the output, the loss;
    /// then the deltas products of the layers in `deltas` (from the last down, l ≥ 1).
    private struct ChainPart {
        var gathers: Bool
        var forward: Range<Int>
        var deltas: Range<Int>
        /// Whether the first layer's forward product is the sum of passes the threads ran
        /// (``firstLayerSums``), to be added up and finished here.
        var finishesFirstLayer = false
    }
    private var chain = ChainPart(gathers: true, forward: 0..<0, deltas: 0..<0)
    /// The product a `.product` region runs, and the phase its time is counted in.
    private var product: GEMMPlan?
    private var productPhase = StepProfile.Phase.forward

    /// What the tasks of the current step read; set by ``run(on:indices:next:learningRate:dropout:)``.
    /// The step hands itself to the pool as the regions' job, so that starting a region allocates nothing.
    private struct Batch {
        let data: Dataset
        let indices: UnsafeBufferPointer<Int32>
        let next: UnsafeBufferPointer<Int32>?
        let dropout: Dropout?
        /// Whether the batch is gathered into `pixelBatch`.
        let inBytes: Bool
        /// Rows per task of region 1.
        let rowTile: Int
        var rule: UpdateRule?
    }
    private var batch: Batch?
    private var current = Region.rowChains

    /// Runs a region on the pool (or inline), timing it when profiled.
    private func region(_ region: Region, tasks: Int, firstShare: Int? = nil) {
        current = region
        let start = profile != nil ? StepProfile.now() : 0
        let pool = usesPool ? self.pool : nil
        if let pool { pool.run(tasks: tasks, job: self, firstShare: firstShare) } else { for task in 0..<tasks { run(task: task, worker: 0) } }
        if let profile {
            profile.addRegion(nanoseconds: StepProfile.now() - start, threads: pool?.threadCount ?? 1)
        }
    }

    /// One task of the current region.
    func run(task: Int, worker: Int) {
        guard let batch else { return }
        switch current {
        case .rowChains:
            rowChain(
                tile: task, rowTile: batch.rowTile, rows: batch.indices.count, data: batch.data, indices: batch.indices,
                dropout: batch.dropout, pixels: batch.inBytes ? pixelBatch : nil, worker: worker)
        case .product:
            var clock = profile?.clock(worker: worker)
            product?.run(task: task, scratch: workspace.gemm.scratch[worker].base)
            clock?.lap(productPhase)
        case .copiesAndPasses:
            guard let firstLayerSums else { return }
            var clock = profile?.clock(worker: worker)
            let rows = batch.indices.count, width = network.architecture.inputCount
            let pixels = threadPixels[task], masks = threadMasks[task]
            batch.data.gather(batch.indices, intoBytes: pixels.bytes, labels: task == 0 ? labels : spareLabels)
            var nonzeros = 0
            for r in 0..<rows { nonzeros += masks.build(row: r, fromBytes: pixels.bytes + r * width) }
            if task == 0 { copyNonzeros.pointee = nonzeros }
            guard isSparse(nonzeros: nonzeros, rows: rows) else {
                // A dense batch: each thread makes floats of half its rows for the GEMM's passes.
                let half = rows * task / 2..<rows * (task + 1) / 2
                pixels.convert(half, into: workspace.activations[0].base + half.lowerBound * width)
                clock?.lap(.gather)
                return
            }
            clock?.lap(.gather)
            network.forwardFirstLayer(
                workspace, count: rows, passes: firstLayerPasses(thread: task, sums: firstLayerSums),
                nonzeroMasks: masks, inputBytes: pixels.rows(), scratch: workspace.gemm.scratch[worker].base)
            clock?.lap(.firstLayerForward)
        case .firstLayerPasses:
            guard let firstLayerSums else { return }
            var clock = profile?.clock(worker: worker)
            network.forwardFirstLayer(
                workspace, count: batch.indices.count, passes: firstLayerPasses(thread: task, sums: firstLayerSums),
                nonzeroMasks: passesAreSparse ? nonzeroMasks : nil,
                inputBytes: passesAreSparse && batch.inBytes ? pixelBatch?.rows() : nil,
                scratch: workspace.gemm.scratch[worker].base)
            clock?.lap(.firstLayerForward)
        case .gradientTiles:
            let tasks = usesFirstLayerPasses ? passGradientTiles.count : gradientTiles.count
            // A thread's own copy of the batch, when each has one (both hold the same values).
            let copy = usesThreadCopies ? min(worker, 1) : nil
            gradientTile(
                usesFirstLayerPasses ? passGradientTiles[task] : gradientTiles[task], rows: batch.indices.count, rule: batch.rule,
                masks: copy.map { threadMasks[$0] } ?? nonzeroMasks,
                inputBytes: batchIsSparse && batch.inBytes ? (copy.map { threadPixels[$0] } ?? pixelBatch)?.rows() : nil,
                worker: worker)
            if let next = batch.next {
                // Each task fetches its share of the next batch, spread over the region.
                batch.data.prefetch(UnsafeBufferPointer(rebasing: next[next.count * task / tasks..<next.count * (task + 1) / tasks]))
            }
        }
    }

    /// The rows of row tile `tile` in a batch of `rows`.
    private static func tileRows(_ tile: Int, rowTile: Int, rows: Int) -> Range<Int> {
        tile * rowTile..<min(rows, (tile + 1) * rowTile)
    }

    /// Region 1's task: rows `tile·rowTile ..< …` of the batch, start to finish; with `pixels`,
    /// the rows are gathered as bytes, and made into floats only if the tile is dense.
    @inline(never)  // a function of its own: inlined into the pool's loop, its kernels' loads and stores were not
    private func rowChain(
        tile: Int, rowTile: Int, rows: Int, data: Dataset, indices: UnsafeBufferPointer<Int32>, dropout: Dropout?,
        pixels: PixelBatch?, worker: Int
    ) {
        let architecture = network.architecture
        let outputs = architecture.outputCount, width = architecture.inputCount
        let range = Self.tileRows(tile, rowTile: rowTile, rows: rows)
        let scratch = workspace.gemm.scratch[worker].base
        var clock = profile?.clock(worker: worker)
        let batchTargets = data.isRegression ? targets.base + range.lowerBound * outputs : nil
        let inputs = workspace.activations[0].base + range.lowerBound * width
        let part = chain
        var sparse = false
        if part.gathers {
            var nonzeros = 0
            if let pixels {
                data.gather(
                    UnsafeBufferPointer(rebasing: indices[range]), intoBytes: pixels.bytes + range.lowerBound * width,
                    labels: labels + range.lowerBound)
                for r in range { nonzeros += nonzeroMasks.build(row: r, fromBytes: pixels.bytes + r * width) }
            } else {
                data.gather(
                    UnsafeBufferPointer(rebasing: indices[range]), into: inputs, labels: labels + range.lowerBound,
                    targets: batchTargets)
                if skipsZeroInputs {
                    for r in range { nonzeros += nonzeroMasks.build(row: r, from: inputs + (r - range.lowerBound) * width) }
                }
            }
            sparse = isSparse(nonzeros: nonzeros, rows: range.count)
            if let pixels, !sparse { pixels.convert(range, into: inputs) }
            tileNonzeros[tile] = nonzeros
            clock?.lap(.gather)
        }
        if part.finishesFirstLayer, let firstLayerSums {
            network.finishFirstLayer(
                workspace, rows: range, passes: firstLayerPasses(thread: 0, sums: firstLayerSums), dropout: dropout)
            clock?.lap(.firstLayerForward)
        }
        if !part.forward.isEmpty {
            // The first layer on its own, so that a profile times it apart.
            var layers = part.finishesFirstLayer ? part.forward.dropFirst() : part.forward
            if layers.first == 0 {
                network.forward(
                    workspace, rows: range, layers: 0..<1, activateOutput: !loss.consumesLogits, dropout: dropout,
                    packed: packed, nonzeroMasks: sparse ? nonzeroMasks : nil, inputBytes: sparse ? pixels?.rows() : nil,
                    scratch: scratch)
                clock?.lap(.firstLayerForward)
                layers = layers.dropFirst()
            }
            if !layers.isEmpty {
                network.forward(
                    workspace, rows: range, layers: layers, activateOutput: !loss.consumesLogits, dropout: dropout,
                    packed: packed, scratch: scratch)
            }
            clock?.lap(.forward)
            if part.forward.upperBound == architecture.layerCount {
                _ = loss.evaluate(
                    output: workspace.activations[architecture.layerCount].base + range.lowerBound * outputs,
                    labels: labels + range.lowerBound, targets: batchTargets.map { UnsafePointer($0) },
                    rows: range.count, columns: outputs, outputActivation: architecture.outputActivation,
                    gradient: workspace.deltas[architecture.layerCount - 1].base + range.lowerBound * outputs,
                    gradientScale: 1 / Float(rows), rowLosses: rowLosses + range.lowerBound)
                clock?.lap(.loss)
            }
        }
        if !part.deltas.isEmpty {
            network.backpropagateDeltas(
                workspace, rows: range, layers: part.deltas, dropout: dropout, packed: packed, scratch: scratch)
            clock?.lap(.backward)
        }
    }

    /// Whether `rows` rows of inputs with `nonzeros` nonzero values should skip their zeros.
    private func isSparse(nonzeros: Int, rows: Int) -> Bool {
        skipsZeroInputs && Double(nonzeros) <= Self.sparseDensityLimit * Double(rows * network.architecture.inputCount)
    }

    /// Region 2's task: one block of a layer's weight gradient (and at row 0 its bias gradient),
    /// then the optimiser on exactly those parameters.
    @inline(never)  // as rowChain
    private func gradientTile(
        _ tile: GradientTile, rows: Int, rule: UpdateRule?, masks: NonzeroMasks, inputBytes: ByteRows?, worker: Int
    ) {
        let layer = network.layers[tile.layer]
        var clock = profile?.clock(worker: worker)
        let tileGradient = rule != nil ? gradientBuffers[worker].base : nil
        network.weightGradient(
            workspace, layer: tile.layer, inputs: tile.rows, count: rows, nonzeroMasks: batchIsSparse ? masks : nil,
            inputBytes: tile.layer == 0 ? inputBytes : nil, into: tileGradient, scratch: workspace.gemm.scratch[worker].base)
        if tile.rows.lowerBound == 0 { network.biasGradient(workspace, layer: tile.layer, count: rows) }
        clock?.lap(tile.layer == 0 ? .firstLayerWeightGradient : .weightGradient)
        guard let rule, let tileGradient else { return }
        let parameters = network.parameters.base, gradients = workspace.gradients.base
        let first = layer.weightOffset + tile.rows.lowerBound * layer.outputs
        rule.advanced(by: first).apply(
            parameters: parameters + first, gradients: tileGradient, range: 0..<tile.rows.count * layer.outputs)
        if tile.rows.lowerBound == 0 {
            rule.apply(parameters: parameters, gradients: gradients, range: layer.biasOffset..<layer.biasOffset + layer.outputs)
        }
        clock?.lap(.update)
        packed?.refresh(layer: tile.layer, rows: tile.rows)
        clock?.lap(.repack)
    }

    /// The gradients of the batch's mean loss at `indices`, left in `workspace.gradients`
    /// (a step whose optimiser is `nil`); returns the summed loss.
    func gradients(on data: Dataset, indices: UnsafeBufferPointer<Int32>, dropout: Dropout? = nil) -> Double {
        precondition(optimizer == nil, "TrainingStep.gradients needs a step without an optimiser")
        return run(on: data, indices: indices, dropout: dropout)
    }

    /// The labels of the last batch (tests).
    func batchLabels(count: Int) -> [Int32] { Array(UnsafeBufferPointer(start: labels, count: count)) }
}
