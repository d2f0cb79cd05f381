/// An elementwise (or, for softmax, row-wise) nonlinearity applied after a dense layer.
public enum Activation: String, Codable, Sendable, CaseIterable, CustomStringConvertible {
    /// f(x) = x.
    case identity
    /// f(x) = max(x, 0); the derivative at 0 is taken as 0.
    case relu
    /// f(x) = 1 / (1 + e^−x).
    case sigmoid
    /// f(x) = tanh x.
    case tanh
    /// Row-wise e^xᵢ / Σⱼ e^xⱼ, computed with the row maximum subtracted; output layers only.
    case softmax

    public var description: String { rawValue }

    /// The scalar definition, used by the reference implementation.
    func apply(_ x: Float) -> Float {
        switch self {
        case .identity, .softmax: return x
        case .relu: return x > 0 ? x : 0
        case .sigmoid: return 1 / (1 + _exp(-x))
        case .tanh: return _tanh(x)
        }
    }

    /// f′ expressed through the output y = f(x), which is what the backward pass keeps.
    /// Not defined for softmax, whose Jacobian is not diagonal.
    func derivative(fromOutput y: Float) -> Float {
        switch self {
        case .identity, .softmax: return 1
        case .relu: return y > 0 ? 1 : 0
        case .sigmoid: return y * (1 - y)
        case .tanh: return 1 - y * y
        }
    }
}
