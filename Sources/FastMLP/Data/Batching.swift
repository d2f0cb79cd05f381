extension Dataset {
    /// Writes the samples at `indices` into `destination` as rows of `featureCount` floats
    /// scaled to [0, 1], and their labels into `labels`.
    ///
    /// This is the only place pixels become floats: the set itself stays in bytes.
    func gather(
        _ indices: UnsafeBufferPointer<Int32>, into destination: UnsafeMutablePointer<Float>,
        labels: UnsafeMutablePointer<Int32>
    ) {
        let width = featureCount
        let scale: Float = 1 / 255
        pixels.withUnsafeBufferPointer { source in
            guard let base = source.baseAddress else { return }
            for (row, index) in indices.enumerated() {
                let sample = Int(index)
                let from = base + sample * width
                let to = destination + row * width
                for j in 0..<width { to[j] = Float(from[j]) * scale }
                labels[row] = Int32(self.labels[sample])
            }
        }
    }
}
