/// Heap storage for `Float`s, aligned to a 64-byte cache line, allocated once and reused.
///
/// A reference type because identity is the point: layers, the optimiser and the kernels all
/// work in place on the same parameter and activation memory.
final class FloatBuffer {
    /// The number of elements.
    let count: Int
    /// The first element; valid for `count` elements for the lifetime of the buffer.
    let base: UnsafeMutablePointer<Float>

    /// Zeroed floats allocated past the end, so that a kernel may load a whole vector whose last
    /// lanes fall outside the buffer, and discard them.
    static let padding = 16

    /// Allocates `count` zeroed elements.
    init(count: Int) {
        precondition(count >= 0, "FloatBuffer: negative count")
        self.count = count
        let bytes = (count + Self.padding) * MemoryLayout<Float>.stride
        let large = bytes >= hugePageBytes
        let allocated = large ? roundUp(bytes, to: hugePageBytes) : bytes
        let raw = UnsafeMutableRawPointer.allocate(byteCount: allocated, alignment: large ? hugePageBytes : 64)
        // A buffer of 2 MiB or more (`mlp-wide`'s parameters, optimiser state and packed copies)
        // on 2 MiB pages, allocated in whole ones: the update streams through them with a TLB
        // walk per 4 KiB page otherwise (family 25, one thread, 3 runs alternating: update
        // against the other layers' weight gradients 0.33–0.37 → 0.26–0.28), and the sparse
        // forward product reads W₁'s packed copy (3.1 MiB, four panels' rows 98 KiB apart) row
        // by row (its time against the other layers' forward products, 3 runs alternating:
        // 0.280–0.282 → 0.268–0.274 with that copy on huge pages too). Smaller ones are left
        // alone, so that a small model's resident memory does not grow.
        if large { adviseHugePages(raw, byteCount: allocated) }
        base = raw.initializeMemory(as: Float.self, repeating: 0, count: count + Self.padding)
    }

    /// Allocates a copy of `values`.
    convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { source in
            guard let from = source.baseAddress else { return }
            base.update(from: from, count: values.count)
        }
    }

    deinit { base.deallocate() }

    /// The elements as an array (a copy).
    var array: [Float] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Sets every element to zero.
    func zero() { base.update(repeating: 0, count: count) }

    subscript(index: Int) -> Float {
        get { base[index] }
        set { base[index] = newValue }
    }
}
