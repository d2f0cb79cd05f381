/// Every buffer a forward and backward pass needs for batches of up to `capacity` rows,
/// allocated once per network and batch size and reused by every step.
final class Workspace {
    let capacity: Int
    /// activations[0] is the input batch (capacity, inputs); activations[l + 1] is layer l's
    /// output (capacity, outputs of l).
    let activations: [FloatBuffer]
    /// deltas[l]: ∂loss/∂ pre-activation of layer l, (capacity, outputs of l).
    let deltas: [FloatBuffer]
    /// ∂loss/∂parameters, laid out like ``Network/parameterValues``. A training step that
    /// updates makes its weight gradients in per-thread tiles instead and leaves only the biases'
    /// here; a step without an optimiser leaves them all.
    let gradients: FloatBuffer
    let gemm: GEMMWorkspace

    /// Buffers for batches of up to `capacity` rows; products use `pool` when it is given.
    init(architecture: Architecture, capacity: Int, pool: ThreadPool? = nil) {
        self.capacity = capacity
        activations = architecture.layerSizes.map { FloatBuffer(count: capacity * $0) }
        deltas = architecture.layerSizes.dropFirst().map { FloatBuffer(count: capacity * $0) }
        gradients = FloatBuffer(count: architecture.parameterCount)
        gemm = GEMMWorkspace(pool: pool)
    }
}
