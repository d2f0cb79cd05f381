/// How the weights of a dense layer are drawn. fanIn and fanOut are the layer's input and output widths.
public enum WeightInitializer: Equatable, Hashable, Sendable, CustomStringConvertible {
    /// All zeros (every unit then learns the same thing; useful in tests).
    case zeros
    /// N(0, σ²).
    case normal(standardDeviation: Float)
    /// U(−a, a) with a = √(6 / (fanIn + fanOut)) (Glorot & Bengio).
    case xavierUniform
    /// N(0, 2 / (fanIn + fanOut)).
    case xavierNormal
    /// U(−a, a) with a = √(6 / fanIn) (He et al.).
    case heUniform
    /// N(0, 2 / fanIn), not truncated.
    case heNormal

    /// Parses the names used on the command line and in profiles: `zeros`, `normal` (σ = 1),
    /// `normal:σ`, `xavier-uniform`, `xavier-normal`, `he-uniform`, `he-normal`.
    public init?(name: String) {
        switch name {
        case "zeros": self = .zeros
        case "normal": self = .normal(standardDeviation: 1)
        case "xavier-uniform", "xavier": self = .xavierUniform
        case "xavier-normal": self = .xavierNormal
        case "he-uniform": self = .heUniform
        case "he-normal", "he": self = .heNormal
        default:
            guard name.hasPrefix("normal:"), let sigma = Float(name.dropFirst("normal:".count)),
                sigma.isFinite, sigma >= 0
            else { return nil }
            self = .normal(standardDeviation: sigma)
        }
    }

    /// The name that ``init(name:)`` parses back to this value.
    var name: String {
        switch self {
        case .zeros: return "zeros"
        case .normal(let sigma): return "normal:\(sigma)"
        case .xavierUniform: return "xavier-uniform"
        case .xavierNormal: return "xavier-normal"
        case .heUniform: return "he-uniform"
        case .heNormal: return "he-normal"
        }
    }

    /// The name that ``init(name:)`` parses back to this value, as in profiles.
    public var description: String { name }

    /// Fills `count = fanIn · fanOut` weights in row-major order, drawing from `generator`.
    func fill(
        _ weights: UnsafeMutablePointer<Float>, fanIn: Int, fanOut: Int,
        using generator: inout Xoshiro256StarStar
    ) {
        let count = fanIn * fanOut
        func uniform(_ limit: Float) {
            for i in 0..<count { weights[i] = (2 * generator.nextUnitFloat() - 1) * limit }
        }
        func normal(_ sigma: Float) {
            for i in 0..<count { weights[i] = generator.nextGaussian() * sigma }
        }
        switch self {
        case .zeros: weights.update(repeating: 0, count: count)
        case .normal(let sigma): normal(sigma)
        case .xavierUniform: uniform((6 / Float(fanIn + fanOut)).squareRoot())
        case .xavierNormal: normal((2 / Float(fanIn + fanOut)).squareRoot())
        case .heUniform: uniform((6 / Float(fanIn)).squareRoot())
        case .heNormal: normal((2 / Float(fanIn)).squareRoot())
        }
    }
}

extension WeightInitializer: Codable {
    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let name = try container.decode(String.self)
        guard let value = WeightInitializer(name: name) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "unknown initialiser '\(name)'")
        }
        self = value
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}
