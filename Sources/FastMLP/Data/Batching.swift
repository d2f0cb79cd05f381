extension Dataset {
    /// Writes the samples at `indices` into `destination` as rows of `featureCount` floats
    /// scaled to [0, 1], and their labels into `labels`.
    ///
    /// This is the only place pixels become floats: the set itself stays in bytes, and the
    /// batch it forms is the first layer's A operand, read in place by the GEMM. Rows are split
    /// over `pool` when one is given.
    func gather(
        _ indices: UnsafeBufferPointer<Int32>, into destination: UnsafeMutablePointer<Float>,
        labels: UnsafeMutablePointer<Int32>, pool: ThreadPool? = nil
    ) {
        let width = featureCount
        let scale: Float = 1 / 255
        pixels.withUnsafeBufferPointer { source in
            self.labels.withUnsafeBufferPointer { sourceLabels in
                guard let base = source.baseAddress, let labelBase = sourceLabels.baseAddress else { return }
                forEachChunk(count: indices.count, pool: pool, minimumChunk: 16) { rows in
                    for row in rows {
                        let sample = Int(indices[row])
                        let from = base + sample * width
                        let to = destination + row * width
                        for j in 0..<width { to[j] = Float(from[j]) * scale }
                        labels[row] = Int32(labelBase[sample])
                    }
                }
            }
        }
    }
}
