import CPUFeatures

/// The vector type of the kernels: 16 lanes, two ymm registers on AVX2, one zmm on AVX-512.
typealias Vector = SIMD16<Float>

extension SIMD16 where Scalar == Float {
    /// self + a·b, as one fused multiply-add where the build targets a CPU that has it, and as a
    /// multiply and an add otherwise (a fused multiply-add without hardware support would be a
    /// slow library call per lane).
    @inline(__always) func multiplyAdd(_ a: Float, _ b: Vector) -> Vector {
        KernelConfig.hasFMA ? addingProduct(a, b) : self + a * b
    }

    @inline(__always) func multiplyAdd(_ a: Vector, _ b: Vector) -> Vector {
        KernelConfig.hasFMA ? addingProduct(a, b) : self + a * b
    }

    /// √ of every lane in one vector instruction (`vsqrtps`); the standard library's SIMD
    /// `squareRoot()` makes one C library call per lane.
    @inline(__always) func vectorSquareRoot() -> Vector {
        fastmlp_sqrt16(self)
    }
}

/// Elementwise functions on whole vectors, for the fused epilogues.
enum VectorMath {
    /// e^x for every lane, with a relative error below 2 ulp over the float range.
    ///
    /// Cephes' method: x = n·ln 2 + r with |r| ≤ ln 2 / 2, a degree-6 polynomial for e^r, and
    /// 2^n built in the exponent bits. Rounding to n uses the 1.5·2²³ trick, which needs no
    /// SSE4.1 `roundps` and so is fast in a baseline x86-64 build too. Inputs are clamped to
    /// [−87.3, 88.3], so that n stays within the normal exponents −126...127.
    @inline(__always) static func exp(_ x: Vector) -> Vector {
        // Compares and blends (the standard library's `clamped` is a call per vector); NaN stays NaN.
        let low = Vector(repeating: -87.3), high = Vector(repeating: 88.3)
        var clamped = x.replacing(with: low, where: x .< low)
        clamped.replace(with: high, where: clamped .> high)
        let shifter: Float = 12_582_912  // 1.5 · 2²³
        let t = Vector(repeating: shifter).multiplyAdd(clamped, Vector(repeating: 1.442_695_04))
        let n = t - shifter
        var r = clamped.multiplyAdd(n, Vector(repeating: -0.693_359_375))
        r = r.multiplyAdd(n, Vector(repeating: 2.121_944_4e-4))
        var p = Vector(repeating: 1.987_569_15e-4)
        p = Vector(repeating: 1.398_199_950_7e-3).multiplyAdd(p, r)
        p = Vector(repeating: 8.333_451_907_3e-3).multiplyAdd(p, r)
        p = Vector(repeating: 4.166_579_589_4e-2).multiplyAdd(p, r)
        p = Vector(repeating: 1.666_666_545_9e-1).multiplyAdd(p, r)
        p = Vector(repeating: 5.000_000_120_1e-1).multiplyAdd(p, r)
        let e = (r + 1).multiplyAdd(p, r * r)
        let bits = unsafeBitCast(t, to: SIMD16<UInt32>.self) &- shifter.bitPattern
        let scale = unsafeBitCast((bits &+ 127) &<< 23, to: Vector.self)
        return e * scale
    }

    @inline(__always) static func activate(_ x: Vector, _ activation: Activation) -> Vector {
        switch activation {
        case .identity, .softmax:
            return x
        case .relu:
            return x.replacing(with: 0, where: x .< 0)
        case .sigmoid:
            return 1 / (1 + exp(-x))
        case .tanh:
            // tanh x = 1 − 2 / (1 + e^2x): exact limits ±1, absolute error near 0 about 1e-7.
            return 1 - 2 / (1 + exp(x + x))
        }
    }

    /// f′ from the forward output y = f(x).
    @inline(__always) static func derivative(fromOutput y: Vector, _ activation: Activation) -> Vector {
        switch activation {
        case .identity, .softmax:
            return Vector(repeating: 1)
        case .relu:
            return Vector(repeating: 0).replacing(with: 1, where: y .> 0)
        case .sigmoid:
            return y * (1 - y)
        case .tanh:
            return 1 - y * y
        }
    }

    /// Loads `count` ≤ 16 elements; the missing lanes are zero.
    @inline(__always) static func load(_ p: UnsafePointer<Float>, count: Int) -> Vector {
        if count == Vector.scalarCount {
            return UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
        }
        return fastmlp_load16_first(p, Int32(truncatingIfNeeded: count))
    }

    /// Stores the first `count` ≤ 16 lanes.
    ///
    /// A partial load or store is one masked instruction with AVX-512 (`fastmlp_store16_first`,
    /// `fastmlp_load16_first`): a lane-by-lane loop spilled the vector and stored it a float at a
    /// time, which in the sparse weight gradient of a 100-wide layer (two partial stores per pair
    /// of rows) cost a third of its time (`seed-sigmoid`, family 25, one thread, 8 pairs of runs
    /// alternating: that weight gradient against the forward product of the same runs 1.15–1.34 →
    /// 1.02–1.16, step 77–97 → 70–86 µs).
    @inline(__always) static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>, count: Int) {
        if count == Vector.scalarCount {
            UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
            return
        }
        fastmlp_store16_first(p, v, Int32(truncatingIfNeeded: count))
    }
}
