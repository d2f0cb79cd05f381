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
                forEachChunk(count: indices.count, pool: pool, minimumChunk: 8, alignment: 1) { rows in
                    for row in rows {
                        let sample = Int(indices[row])
                        let from = base + sample * width
                        let to = destination + row * width
                        var j = 0
                        while j + 16 <= width {
                            let bytes = UnsafeRawPointer(from + j).loadUnaligned(as: SIMD16<UInt8>.self)
                            UnsafeMutableRawPointer(to + j).storeBytes(of: Vector(bytes) * scale, as: Vector.self)
                            j += 16
                        }
                        while j < width {
                            to[j] = Float(from[j]) * scale
                            j += 1
                        }
                        labels[row] = Int32(labelBase[sample])
                    }
                }
            }
        }
    }
}
