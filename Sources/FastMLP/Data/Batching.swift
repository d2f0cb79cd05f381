import CPUFeatures

extension Dataset {
    /// Writes the samples at `indices` into `destination` as rows of `featureCount` floats (image
    /// bytes scaled to [0, 1], table values as they are), their labels into `labels`, and for
    /// regression their targets into `targets`.
    ///
    /// This is the only place pixels become floats: the set itself stays in bytes, and the
    /// batch it forms is the first layer's A operand, read in place by the GEMM. Rows are split
    /// over `pool` when one is given.
    func gather(
        _ indices: UnsafeBufferPointer<Int32>, into destination: UnsafeMutablePointer<Float>,
        labels: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Float>? = nil, pool: ThreadPool? = nil
    ) {
        let width = featureCount
        let scale: Float = 1 / 255
        let targetCount = self.targetCount
        // An empty array may still have a base address: decide by the counts.
        let hasPixels = !pixels.isEmpty, hasLabels = !self.labels.isEmpty, hasTargets = !self.targets.isEmpty
        pixels.withUnsafeBufferPointer { source in
            features.withUnsafeBufferPointer { floatSource in
                self.labels.withUnsafeBufferPointer { sourceLabels in
                    self.targets.withUnsafeBufferPointer { sourceTargets in
                        forEachChunk(count: indices.count, pool: pool, minimumChunk: 8, alignment: 1) { rows in
                            for row in rows {
                                let sample = Int(indices[row])
                                let to = destination + row * width
                                if hasPixels, let base = source.baseAddress {
                                    let from = base + sample * width
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
                                } else if let base = floatSource.baseAddress, !hasPixels {
                                    to.update(from: base + sample * width, count: width)
                                }
                                if hasLabels, let labelBase = sourceLabels.baseAddress {
                                    labels[row] = Int32(labelBase[sample])
                                }
                                if hasTargets, let targets, let targetBase = sourceTargets.baseAddress {
                                    (targets + row * targetCount).update(from: targetBase + sample * targetCount, count: targetCount)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Asks the cache to fetch the samples at `indices` (their pixels or features) ahead of a
    /// ``gather(_:into:labels:targets:pool:)``: a batch's images lie at random places in a set
    /// larger than L3, and fetched one by one they cost a memory latency each.
    func prefetch(_ indices: UnsafeBufferPointer<Int32>) {
        let bytesPerSample = pixels.isEmpty ? featureCount * MemoryLayout<Float>.stride : featureCount
        let hasPixels = !pixels.isEmpty
        let storage: UnsafeRawPointer? = hasPixels
            ? pixels.withUnsafeBytes { $0.baseAddress } : features.withUnsafeBytes { $0.baseAddress }
        guard let storage else { return }
        for index in indices {
            let start = storage + Int(index) * bytesPerSample
            var offset = 0
            while offset < bytesPerSample {
                fastmlp_prefetch(start + offset)
                offset += 64
            }
            fastmlp_prefetch(start + bytesPerSample - 1)
        }
    }
}
