/// Where one dense layer's parameters live in the network's single parameter buffer.
///
/// W is `inputs × outputs`, row-major (so a batch X, `batch × inputs`, gives Y = X·W + b), and
/// the bias follows it.
struct DenseLayer {
    let inputs: Int
    let outputs: Int
    let activation: Activation
    let weightOffset: Int
    var biasOffset: Int { weightOffset + inputs * outputs }
}

/// A multilayer perceptron: an ``Architecture`` and its parameters.
///
/// All weights and biases live in one contiguous, 64-byte-aligned buffer in layer order
/// (W₀, b₀, W₁, b₁, …), so that an optimiser step is one pass over memory and a saved model is
/// that buffer. A reference type: a ``Trainer`` updates the parameters in place.
public final class Network {
    /// The shape of the network.
    public let architecture: Architecture
    let layers: [DenseLayer]
    let parameters: FloatBuffer

    /// A network with freshly drawn weights and constant biases.
    ///
    /// The same seed gives the same weights on every platform (up to the last bit of the system
    /// `log`/`cos` for the normal initialisers).
    @_spi(Tools) public init(
        architecture: Architecture, weightInitializer: WeightInitializer,
        biasInitializer: Float = 0, seed: UInt64
    ) {
        self.architecture = architecture
        layers = Network.layout(architecture)
        parameters = FloatBuffer(count: architecture.parameterCount)
        var generator = Xoshiro256StarStar(seed: seed)
        for layer in layers {
            weightInitializer.fill(
                parameters.base + layer.weightOffset, fanIn: layer.inputs, fanOut: layer.outputs,
                using: &generator)
            (parameters.base + layer.biasOffset).update(repeating: biasInitializer, count: layer.outputs)
        }
    }

    /// A network with the given parameters, in the layout of ``parameterValues``.
    public init(architecture: Architecture, parameters values: [Float]) throws(ModelError) {
        guard values.count == architecture.parameterCount else {
            throw .parameterCountMismatch(expected: architecture.parameterCount, actual: values.count)
        }
        self.architecture = architecture
        layers = Network.layout(architecture)
        parameters = FloatBuffer(values)
    }

    /// An independent copy.
    @_spi(Benchmarks) public func copy() -> Network {
        // The parameter count matches by construction.
        (try? Network(architecture: architecture, parameters: parameterValues))!
    }

    private static func layout(_ architecture: Architecture) -> [DenseLayer] {
        var offset = 0
        return (0..<architecture.layerCount).map { l in
            let layer = DenseLayer(
                inputs: architecture.layerSizes[l], outputs: architecture.layerSizes[l + 1],
                activation: architecture.activations[l], weightOffset: offset)
            offset += layer.inputs * layer.outputs + layer.outputs
            return layer
        }
    }

    /// All parameters, W₀ (inputs × outputs, row-major), b₀, W₁, b₁, … (a copy).
    public var parameterValues: [Float] { parameters.array }

    /// Layer `index`'s weights, `inputs × outputs` row-major (a copy).
    public func weights(ofLayer index: Int) throws(ModelError) -> [Float] {
        guard layers.indices.contains(index) else { throw .invalidLayer(index) }
        let layer = layers[index]
        return Array(UnsafeBufferPointer(start: parameters.base + layer.weightOffset, count: layer.inputs * layer.outputs))
    }

    /// Layer `index`'s biases (a copy).
    public func bias(ofLayer index: Int) throws(ModelError) -> [Float] {
        guard layers.indices.contains(index) else { throw .invalidLayer(index) }
        let layer = layers[index]
        return Array(UnsafeBufferPointer(start: parameters.base + layer.biasOffset, count: layer.outputs))
    }

    /// Runs the forward pass on rows `rows` of `workspace.activations[0]`, on the calling thread
    /// with `scratch` for packing (a row tile of a training step, or of an evaluation chunk).
    ///
    /// Each layer is one GEMM with the bias and activation fused into its epilogue (a softmax
    /// output is applied row-wise afterwards). With `activateOutput` false the output layer's
    /// activation is skipped, leaving the logits for a loss that fuses it (softmax or sigmoid).
    /// With `dropout`, every hidden layer's output is multiplied by its mask for this step. With
    /// `packed`, W is read from its packed copy (the same values, so the same results). With
    /// `nonzeroMasks` (the batch's, for all of its rows), the first layer's product leaves out the
    /// inputs that are zero in every row of a sliver (exact, so again the same results). A row's results do not depend on which
    /// other rows share its tile.
    ///
    /// With `inputBytes` too (the batch's rows as bytes, from its first row; only when
    /// ``sparseKernelsRunFirstLayer(packed:)``), the first layer reads its inputs there rather than
    /// from `workspace.activations[0]`: the same values, so again the same results.
    ///
    /// With `layers`, only those layers run (a training step that runs a large layer's product
    /// over column tiles runs the layers around it in row tiles).
    func forward(
        _ workspace: Workspace, rows: Range<Int>, layers run: Range<Int>? = nil, activateOutput: Bool = true,
        dropout: Dropout? = nil, packed: PackedWeights? = nil, nonzeroMasks: NonzeroMasks? = nil,
        inputBytes: ByteRows? = nil, scratch: UnsafeMutablePointer<Float>
    ) {
        precondition(
            inputBytes == nil || (nonzeroMasks != nil && sparseKernelsRunFirstLayer(packed: packed)),
            "Network.forward: input bytes need the sparse kernels")
        let r0 = rows.lowerBound
        for l in run ?? layers.indices {
            let layer = layers[l]
            let (input, ldx, output, ldy, epilogue) = forwardOperands(
                workspace, layer: l, row: r0, activateOutput: activateOutput, dropout: dropout)
            let activation = l == layers.count - 1 && !activateOutput ? Activation.identity : layer.activation
            let packedW = packed?.forward(l)
            if l == 0, let nonzeroMasks, sparseForwardCovers(columns: layer.outputs),
                packedW == nil || sparseForwardReadsPanels(columns: layer.outputs)
            {
                let x: SparseInputs = inputBytes.map { .bytes($0.from(row: r0)) }
                    ?? .floats(FloatRows(base: input, ldx: ldx))
                sparseForward(
                    masks: nonzeroMasks, origin: r0, m: rows.count, n: layer.outputs, k: layer.inputs, inputs: x,
                    w: parameters.base + layer.weightOffset, ldw: layer.outputs, packed: packedW,
                    c: output, ldc: ldy, epilogue: epilogue, scratch: UnsafeMutableRawPointer(scratch))
            } else {
                gemmSerial(
                    m: rows.count, n: layer.outputs, k: layer.inputs,
                    a: MatrixOperand(rowMajor: input, leadingDimension: ldx),
                    b: packedW
                        ?? MatrixOperand(rowMajor: parameters.base + layer.weightOffset, leadingDimension: layer.outputs),
                    c: output, ldc: ldy, epilogue: epilogue,
                    zeroSteps: l == 0 ? nonzeroMasks.map { ZeroSteps(masks: $0, origin: r0) } : nil,
                    scratch: scratch)
            }
            if activation == .softmax {
                softmaxRows(output, rows: rows.count, columns: layer.outputs, stride: ldy)
            }
        }
    }

    /// Layer `l`'s forward input and output from row `row` on, and its epilogue (bias,
    /// activation, and the dropout mask of a hidden layer) for a tile starting at that row.
    private func forwardOperands(
        _ workspace: Workspace, layer l: Int, row r0: Int, activateOutput: Bool, dropout: Dropout?
    ) -> (
        input: UnsafeMutablePointer<Float>, ldx: Int, output: UnsafeMutablePointer<Float>, ldy: Int, epilogue: Epilogue
    ) {
        let layer = layers[l]
        let isOutput = l == layers.count - 1
        let mask = isOutput ? nil : dropout?.mask(layer: l, width: layer.outputs).offset(row: r0, column: 0)
        let activation = isOutput && !activateOutput ? .identity : layer.activation
        return (
            workspace.activations[l].base + r0 * workspace.activationStrides[l], workspace.activationStrides[l],
            workspace.activations[l + 1].base + r0 * workspace.activationStrides[l + 1], workspace.activationStrides[l + 1],
            .biasActivation(bias: parameters.base + layer.biasOffset, activation: activation, dropout: mask))
    }

    /// Hidden layer `l`'s forward product over the first `count` rows, as tiles for `threads`
    /// threads (a training step's column-split product of a large layer): the same elements, each
    /// summed in the same order, as ``forward(_:rows:layers:activateOutput:dropout:packed:nonzeroMasks:inputBytes:scratch:)``.
    func forwardPlan(
        _ workspace: Workspace, layer l: Int, count: Int, dropout: Dropout?, packed: PackedWeights?, threads: Int
    ) -> GEMMPlan {
        precondition(l < layers.count - 1, "Network.forwardPlan: hidden layers only")
        let layer = layers[l]
        let (input, ldx, output, ldy, epilogue) = forwardOperands(
            workspace, layer: l, row: 0, activateOutput: true, dropout: dropout)
        return GEMMPlan(
            m: count, n: layer.outputs, k: layer.inputs, a: MatrixOperand(rowMajor: input, leadingDimension: ldx),
            b: packed?.forward(l)
                ?? MatrixOperand(rowMajor: parameters.base + layer.weightOffset, leadingDimension: layer.outputs),
            c: output, ldc: ldy, epilogue: epilogue, threads: threads)
    }

    /// The passes over k that `passes` selects of the first layer's forward product over the
    /// batch's first `count` rows, each pass's sums left where `passes` says: a training step's
    /// first layer split over k between threads. ``finishFirstLayer(_:rows:passes:dropout:)``
    /// adds the passes up. With `nonzeroMasks` (a sparse batch, its rows as bytes in
    /// `inputBytes` or as floats in `workspace.activations[0]`), on the sparse kernels; otherwise
    /// each pass is a GEMM of its own over the pass's kc inputs, which sums from zero in the same
    /// order as that pass of the whole product.
    func forwardFirstLayer(
        _ workspace: Workspace, count: Int, passes: ForwardPasses, nonzeroMasks: NonzeroMasks?, inputBytes: ByteRows?,
        scratch: UnsafeMutablePointer<Float>
    ) {
        precondition(layers.count > 1, "Network.forwardFirstLayer: a hidden first layer read in place")
        let layer = layers[0]
        let (input, ldx, output, ldy, epilogue) = forwardOperands(
            workspace, layer: 0, row: 0, activateOutput: true, dropout: nil)
        guard let nonzeroMasks else {
            let w = parameters.base + layer.weightOffset, kc = KernelConfig.kc
            for pass in 0..<passes.count where passes.computes(pass) {
                let first = pass * kc
                gemmSerial(
                    m: count, n: layer.outputs, k: min(kc, layer.inputs - first),
                    a: MatrixOperand(rowMajor: input + first, leadingDimension: ldx),
                    b: MatrixOperand(rowMajor: w + first * layer.outputs, leadingDimension: layer.outputs),
                    c: passes.sums(pass: pass, row: 0, column: 0).0, ldc: passes.rowStride, epilogue: .store,
                    scratch: scratch)
            }
            return
        }
        let x: SparseInputs = inputBytes.map { .bytes($0) } ?? .floats(FloatRows(base: input, ldx: ldx))
        sparseForward(
            masks: nonzeroMasks, origin: 0, m: count, n: layer.outputs, k: layer.inputs, inputs: x,
            w: parameters.base + layer.weightOffset, ldw: layer.outputs, c: output, ldc: ldy,
            epilogue: epilogue, passes: passes, scratch: UnsafeMutableRawPointer(scratch))
    }

    /// Rows `rows` of the first layer's output from the sums of every pass that
    /// ``forwardFirstLayer(_:count:passes:nonzeroMasks:inputBytes:scratch:)`` left, added in pass
    /// order, through its epilogue (bias, activation, dropout): the same bits as
    /// ``forward(_:rows:layers:activateOutput:dropout:packed:nonzeroMasks:inputBytes:scratch:)``.
    func finishFirstLayer(_ workspace: Workspace, rows: Range<Int>, passes: ForwardPasses, dropout: Dropout?) {
        let layer = layers[0]
        let (_, _, output, ldy, epilogue) = forwardOperands(
            workspace, layer: 0, row: 0, activateOutput: true, dropout: dropout)
        finishPasses(passes, rows: rows, n: layer.outputs, c: output, ldc: ldy, epilogue: epilogue)
    }

    /// Whether a sparse batch's first layer runs on the sparse kernels — the forward product
    /// (reading W from `packed` when given) and the weight gradient — so that its inputs may be
    /// read as bytes and need never be made into floats.
    func sparseKernelsRunFirstLayer(packed: PackedWeights?) -> Bool {
        let n = layers[0].outputs
        return KernelConfig.wideKernel && sparseForwardCovers(columns: n)
            && (packed?.forward(0) == nil || sparseForwardReadsPanels(columns: n))
    }

    /// The forward pass on the first `count` rows of `workspace.activations[0]`, in row tiles
    /// over the workspace's pool (inference: evaluation and prediction).
    func forward(_ workspace: Workspace, count: Int, activateOutput: Bool = true) {
        let tile = 64
        let tasks = ceilDivide(count, tile)
        let body = { (task: Int, worker: Int) in
            self.forward(
                workspace, rows: task * tile..<min(count, (task + 1) * tile), activateOutput: activateOutput,
                scratch: workspace.gemm.scratch[worker].base)
        }
        if let pool = workspace.gemm.pool { pool.run(tasks: tasks, body) } else { for task in 0..<tasks { body(task, 0) } }
    }

    /// Back-propagates the deltas of rows `rows` from the output layer down to layer 1:
    ///   dZ_prev = (dZ·Wᵀ) ⊙ f′_prev(X)
    /// with the activation derivative fused into the GEMM's epilogue. `workspace.deltas[last]`
    /// (∂loss/∂ pre-activation of the output layer) must hold these rows. The first layer's input
    /// needs no gradient, so none is computed.
    ///
    /// `dropout` must be the one the forward pass used: the masks are recomputed, not stored.
    ///
    /// With `layers`, only those layers' deltas products run (each l in it, from the last down,
    /// makes layer l − 1's deltas).
    func backpropagateDeltas(
        _ workspace: Workspace, rows: Range<Int>, layers run: Range<Int>? = nil, dropout: Dropout? = nil,
        packed: PackedWeights? = nil, scratch: UnsafeMutablePointer<Float>
    ) {
        for l in (run ?? layers.indices).reversed() where l > 0 {
            let p = deltaPlan(workspace, layer: l, row: rows.lowerBound, count: rows.count, dropout: dropout, packed: packed)
            gemmSerial(m: p.m, n: p.n, k: p.k, a: p.a, b: p.b, c: p.c, ldc: p.ldc, epilogue: p.epilogue, scratch: scratch)
        }
    }

    /// Layer `l`'s deltas product (l ≥ 1), dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ f′, over rows
    /// `row ..< row + count`, as tiles for `threads` threads (one tile on one thread).
    func deltaPlan(
        _ workspace: Workspace, layer l: Int, row r0: Int = 0, count: Int, dropout: Dropout?, packed: PackedWeights?,
        threads: Int = 1
    ) -> GEMMPlan {
        let layer = layers[l]
        let ldz = workspace.deltaStrides[l], ldc = workspace.deltaStrides[l - 1], ldx = workspace.activationStrides[l]
        return GEMMPlan(
            m: count, n: layer.inputs, k: layer.outputs,
            a: MatrixOperand(rowMajor: workspace.deltas[l].base + r0 * ldz, leadingDimension: ldz),
            b: packed?.transposed(l)
                ?? MatrixOperand(rowMajor: parameters.base + layer.weightOffset, leadingDimension: layer.outputs)
                    .transposed,
            c: workspace.deltas[l - 1].base + r0 * ldc, ldc: ldc,
            epilogue: .activationGradient(
                output: workspace.activations[l].base + r0 * ldx, outputStride: ldx,
                activation: layers[l - 1].activation,
                dropout: dropout?.mask(layer: l - 1, width: layer.inputs).offset(row: r0, column: 0)),
            threads: threads)
    }

    /// Rows `inputs` of layer `layer`'s weight gradient, dW = Xᵀ·dZ over the batch's first
    /// `count` rows in sample order, into `workspace.gradients`. With `nonzeroMasks`, the first
    /// layer's product leaves out the samples whose inputs are all zero in a sliver of rows.
    /// With `inputBytes` too (the batch's rows as bytes), the first layer reads its inputs there.
    ///
    /// With `destination`, the rows go there instead (`layer.outputs` apart, the first of `inputs`
    /// first): a training step's per-thread tile, which the optimiser reads while it is in cache.
    func weightGradient(
        _ workspace: Workspace, layer index: Int, inputs: Range<Int>, count: Int, nonzeroMasks: NonzeroMasks? = nil,
        inputBytes: ByteRows? = nil, into destination: UnsafeMutablePointer<Float>? = nil,
        scratch: UnsafeMutablePointer<Float>
    ) {
        let layer = layers[index]
        let gradient = destination ?? workspace.gradients.base + layer.weightOffset + inputs.lowerBound * layer.outputs
        precondition(
            inputBytes == nil || (nonzeroMasks != nil && KernelConfig.wideKernel),
            "Network.weightGradient: input bytes need the sparse kernel")
        if index == 0, let nonzeroMasks, KernelConfig.wideKernel {
            let x: SparseInputs = inputBytes.map { .bytes($0) }
                ?? .floats(FloatRows(base: workspace.activations[0].base, ldx: workspace.activationStrides[0]))
            sparseWeightGradient(
                masks: nonzeroMasks, x: x, inputs: inputs, count: count,
                dz: workspace.deltas[0].base, ldz: workspace.deltaStrides[0], n: layer.outputs, gradient: gradient,
                scratch: UnsafeMutableRawPointer(scratch))
            return
        }
        let input = workspace.activations[index].base + inputs.lowerBound   // column i0 of X (count, inputs)
        gemmSerial(
            m: inputs.count, n: layer.outputs, k: count,
            a: MatrixOperand(rowMajor: input, leadingDimension: workspace.activationStrides[index]).transposed,
            b: MatrixOperand(rowMajor: workspace.deltas[index].base, leadingDimension: workspace.deltaStrides[index]),
            c: gradient, ldc: layer.outputs, epilogue: .store, scratch: scratch)
    }

    /// Layer `layer`'s bias gradient, db = Σ_rows dZ over the batch's first `count` rows.
    func biasGradient(_ workspace: Workspace, layer index: Int, count: Int) {
        let layer = layers[index]
        columnSums(
            workspace.deltas[index].base, rows: count, columns: layer.outputs, stride: workspace.deltaStrides[index],
            into: workspace.gradients.base + layer.biasOffset)
    }
}

/// Row-wise softmax in place, with the row maximum subtracted (no overflow for any finite input).
func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, columns: Int, stride: Int) {
    for r in 0..<rows {
        let row = x + r * stride
        var maximum = -Float.infinity
        for j in 0..<columns { maximum = max(maximum, row[j]) }
        var sum: Float = 0
        for j in 0..<columns {
            let e = _exp(row[j] - maximum)
            row[j] = e
            sum += e
        }
        let scale = 1 / sum
        for j in 0..<columns { row[j] *= scale }
    }
}

/// out[j] = Σᵢ x[i, j] (rows `stride` floats apart), in a fixed order (row by row) so results do
/// not depend on threads.
func columnSums(
    _ x: UnsafePointer<Float>, rows: Int, columns: Int, stride: Int, into out: UnsafeMutablePointer<Float>
) {
    out.update(repeating: 0, count: columns)
    for r in 0..<rows {
        let row = x + r * stride
        var j = 0
        while j + Vector.scalarCount <= columns {
            let sum = UnsafeRawPointer(out + j).loadUnaligned(as: Vector.self)
                + UnsafeRawPointer(row + j).loadUnaligned(as: Vector.self)
            UnsafeMutableRawPointer(out + j).storeBytes(of: sum, as: Vector.self)
            j += Vector.scalarCount
        }
        while j < columns {
            out[j] += row[j]
            j += 1
        }
    }
}
