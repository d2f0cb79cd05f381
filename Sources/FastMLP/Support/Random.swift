/// SplitMix64: expands one 64-bit seed into a stream of well-mixed words.
///
/// Used to seed ``Xoshiro256StarStar``; the same seed gives the same numbers on every platform.
@_spi(Benchmarks)
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// A generator whose first output depends only on `seed`.
    public init(seed: UInt64) { state = seed }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// xoshiro256**: the project's generator for initialisation and shuffling.
///
/// Owned by the project (not `SystemRandomNumberGenerator`, not the standard library's
/// `shuffle`), so that a seed gives the same weights and the same sample order on every
/// platform and Swift version.
@_spi(Benchmarks)
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable, Equatable, Codable {
    /// The four state words.
    public private(set) var state: [UInt64]

    /// A generator continuing from the given state (not all zero).
    init(state: [UInt64]) {
        precondition(state.count == 4 && state.contains { $0 != 0 }, "xoshiro256** needs four words, not all zero")
        self.state = state
    }

    /// Seeds the four state words from SplitMix64, as the generator's authors recommend.
    public init(seed: UInt64) {
        var mixer = SplitMix64(seed: seed)
        state = [mixer.next(), mixer.next(), mixer.next(), mixer.next()]
    }

    /// The next 64 random bits.
    public mutating func next() -> UInt64 {
        let result = rotate(state[1] &* 5, 7) &* 9
        let t = state[1] << 17
        state[2] ^= state[0]
        state[3] ^= state[1]
        state[1] ^= state[2]
        state[0] ^= state[3]
        state[2] ^= t
        state[3] = rotate(state[3], 45)
        return result
    }

    private func rotate(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// A uniform `Float` in [0, 1) with 24 random bits.
    public mutating func nextUnitFloat() -> Float {
        Float(next() >> 40) * 0x1p-24
    }

    /// A uniform integer in `0..<bound`, without modulo bias (Lemire's multiply-and-reject).
    public mutating func nextIndex(below bound: Int) -> Int {
        precondition(bound > 0, "nextIndex(below:) needs a positive bound")
        let range = UInt64(bound)
        var product = next().multipliedFullWidth(by: range)
        if product.low < range {
            let threshold = (0 &- range) % range
            while product.low < threshold {
                product = next().multipliedFullWidth(by: range)
            }
        }
        return Int(product.high)
    }

    /// A standard normal deviate (Box–Muller on two uniforms in (0, 1]).
    ///
    /// Computed in `Double` and rounded once, so results agree across platforms up to the last
    /// bit of the system `log`, `cos`.
    public mutating func nextGaussian() -> Float {
        let u1 = Double((next() >> 11) + 1) * 0x1p-53
        let u2 = Double(next() >> 11) * 0x1p-53
        return Float((-2 * _log(u1)).squareRoot() * _cos(2 * Double.pi * u2))
    }

    /// Shuffles `indices` in place with Fisher–Yates, drawing from this generator.
    public mutating func shuffle(_ indices: inout [Int32]) {
        var i = indices.count - 1
        while i > 0 {
            let j = nextIndex(below: i + 1)
            indices.swapAt(i, j)
            i -= 1
        }
    }
}
