import CPUFeatures

extension Dataset {
    /// Writes the samples at `indices` into `destination` as rows of `featureCount` floats (image
    /// bytes scaled to [0, 1], table values as they are), their labels into `labels`, and for
    /// regression their targets into `targets`.
    ///
    /// Pixels become floats here, or, for a batch kept in bytes (``gather(_:intoBytes:labels:)``),
    /// through ``PixelBatch``'s table of the same values: the set itself stays in bytes, and the
    /// batch it forms is the first layer's A operand, read in place by the GEMM. Rows are split
    /// over `pool` when one is given.
    func gather(
        _ indices: UnsafeBufferPointer<Int32>, into destination: UnsafeMutablePointer<Float>,
        labels: UnsafeMutablePointer<Int32>, targets: UnsafeMutablePointer<Float>? = nil, pool: ThreadPool? = nil
    ) {
        let width = featureCount
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
                                    pixelValues(base + sample * width, count: width, into: to)
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

    /// What a pixel byte b becomes: b · (1/255) in `Float`, the same in a vector as alone.
    static let pixelScale: Float = 1 / 255

    /// Whether the samples are images held in bytes (rather than a table's floats).
    var hasPixels: Bool { !pixels.isEmpty }

    /// Writes the images at `indices` into `destination` as rows of `featureCount` bytes, as the
    /// set holds them, and their labels into `labels`: a batch for the first layer's sparse
    /// kernels, a quarter the size of its floats (``PixelBatch`` gives each byte its value).
    func gather(
        _ indices: UnsafeBufferPointer<Int32>, intoBytes destination: UnsafeMutablePointer<UInt8>,
        labels: UnsafeMutablePointer<Int32>
    ) {
        precondition(hasPixels, "Dataset.gather(intoBytes:): the set holds no pixels")
        let width = featureCount
        let hasLabels = !self.labels.isEmpty
        pixels.withUnsafeBufferPointer { source in
            self.labels.withUnsafeBufferPointer { sourceLabels in
                guard let base = source.baseAddress else { return }
                for row in indices.indices {
                    let sample = Int(indices[row])
                    (destination + row * width).update(from: base + sample * width, count: width)
                    if hasLabels, let labelBase = sourceLabels.baseAddress { labels[row] = Int32(labelBase[sample]) }
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

/// A batch of images kept in bytes, for the first layer's sparse kernels: room for `capacity`
/// rows of `width` bytes (and 64 more that a whole-vector read of the last row may touch), and
/// the table of the float each byte stands for — the very values
/// ``Dataset/gather(_:into:labels:targets:pool:)`` writes, so products over either are the same bits.
final class PixelBatch {
    let width: Int
    let capacity: Int
    /// Row r of the batch is `bytes + r · width`.
    let bytes: UnsafeMutablePointer<UInt8>
    /// 256 floats: `values[b]` is what pixel byte b becomes.
    let values: UnsafeMutablePointer<Float>

    init(width: Int, capacity: Int) {
        self.width = width
        self.capacity = capacity
        // Whole cache lines: each row tile writes only its own (for row tiles of 64-byte multiples).
        bytes = UnsafeMutableRawPointer.allocate(byteCount: width * capacity + 64, alignment: 64)
            .initializeMemory(as: UInt8.self, repeating: 0, count: width * capacity + 64)
        values = UnsafeMutableRawPointer.allocate(byteCount: 256 * MemoryLayout<Float>.stride, alignment: 64)
            .initializeMemory(as: Float.self, repeating: 0, count: 256)
        for b in 0..<256 { values[b] = Float(b) * Dataset.pixelScale }
    }

    deinit {
        bytes.deallocate()
        values.deallocate()
    }

    /// The rows from row `first` on, as the sparse kernels read them.
    func rows(from first: Int = 0) -> ByteRows {
        ByteRows(base: bytes + first * width, ldx: width, values: values)
    }

    /// Rows `rows` as floats, into `destination` (row `rows.lowerBound` first), as
    /// ``Dataset/gather(_:into:labels:targets:pool:)`` would have written them.
    /// (A vector at a time: a lookup per byte cost `seed-sigmoid` 7 µs of a 137 µs step on dense
    /// data, family 25.)
    func convert(_ rows: Range<Int>, into destination: UnsafeMutablePointer<Float>) {
        for r in rows {
            pixelValues(bytes + r * width, count: width, into: destination + (r - rows.lowerBound) * width)
        }
    }
}

/// Writes what each of `count` pixel bytes becomes (b · ``Dataset/pixelScale``, see
/// ``PixelBatch/values``) to `destination`, 16 at a time: one conversion and one multiply per
/// lane, the same operations as for a single byte, so the same floats.
@inline(__always)
func pixelValues(_ source: UnsafePointer<UInt8>, count: Int, into destination: UnsafeMutablePointer<Float>) {
    let scale = Dataset.pixelScale
    var j = 0
    while j + 16 <= count {
        let bytes = UnsafeRawPointer(source + j).loadUnaligned(as: SIMD16<UInt8>.self)
        UnsafeMutableRawPointer(destination + j).storeBytes(of: SIMD16<Float>(bytes) * scale, as: SIMD16<Float>.self)
        j += 16
    }
    while j < count {
        destination[j] = Float(source[j]) * scale
        j += 1
    }
}
