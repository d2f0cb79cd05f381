/// Every buffer a forward and backward pass needs for batches of up to `capacity` rows,
/// allocated once per network and batch size and reused by every step.
final class Workspace {
    let capacity: Int
    /// activations[0] is the input batch (capacity, inputs); activations[l + 1] is layer l's
    /// output (capacity, outputs of l), rows ``activationStrides``[l + 1] floats apart.
    let activations: [FloatBuffer]
    /// deltas[l]: ∂loss/∂ pre-activation of layer l, (capacity, outputs of l), rows
    /// ``deltaStrides``[l] floats apart.
    let deltas: [FloatBuffer]
    /// Floats from one row of `activations[l]` to the next (``rowStride(width:hidden:)``).
    let activationStrides: [Int]
    /// Floats from one row of `deltas[l]` to the next (``rowStride(width:hidden:)``).
    let deltaStrides: [Int]
    /// ∂loss/∂parameters, laid out like ``Network/parameterValues``. A training step that
    /// updates makes its weight gradients in per-thread tiles instead and leaves only the biases'
    /// here; a step without an optimiser leaves them all.
    let gradients: FloatBuffer
    let gemm: GEMMWorkspace

    /// Buffers for batches of up to `capacity` rows; products use `pool` when it is given.
    init(architecture: Architecture, capacity: Int, pool: ThreadPool? = nil) {
        self.capacity = capacity
        let sizes = architecture.layerSizes, layers = architecture.layerCount
        activationStrides = sizes.indices.map { Self.rowStride(width: sizes[$0], hidden: $0 > 0 && $0 < layers) }
        deltaStrides = (0..<layers).map { Self.rowStride(width: sizes[$0 + 1], hidden: $0 < layers - 1) }
        activations = activationStrides.map { FloatBuffer(count: capacity * $0) }
        deltas = deltaStrides.map { FloatBuffer(count: capacity * $0) }
        gradients = FloatBuffer(count: architecture.parameterCount)
        gemm = GEMMWorkspace(pool: pool)
    }

    /// Floats from one row of a layer's buffer to the next: its width, and one cache line more
    /// for a hidden layer whose rows would be a multiple of 2 KiB apart. The GEMM's register tile
    /// reads A a column at a time from 8 rows; 4 KiB apart they all fall in one set of the L1,
    /// with the lines of the B panel the tile keeps there (an 8 × 32 tile alone, A in L2, family
    /// 25: 98 GFLOP/s with rows 4 KiB apart, 109 with 4160 bytes, 111 with 1 KiB). The input
    /// batch and the output layer keep their widths: the gather, the loss and the callers read
    /// them as dense rows.
    static func rowStride(width: Int, hidden: Bool) -> Int {
        hidden && width % 512 == 0 ? width + 16 : width
    }
}
