/// The nonlinearity a layer applies to its weighted sums.
public enum Activation: String, Sendable {
    /// The paper's squashing function (eq. 6): f(a) = A·tanh(S·a), A = 1.7159, S = 2/3,
    /// chosen so that f(±1) = ±1 and the second derivative peaks at ±1.
    case squash
    /// Plain tanh, as the Keras tutorial uses.
    case tanh
    /// No nonlinearity (plain pooling, the Keras output layer).
    case identity

    public static let amplitude: Float = 1.7159
    public static let slope: Float = 2.0 / 3.0

    @inline(__always)
    public func callAsFunction(_ a: Float) -> Float {
        switch self {
        case .squash: return Activation.amplitude * _tanh(Activation.slope * a)
        case .tanh: return _tanh(a)
        case .identity: return a
        }
    }

    /// f′ written in terms of the output y = f(a), so backward needs only the layer's output:
    /// squash′ = (S/A)(A² − y²), tanh′ = 1 − y².
    @inline(__always)
    public func derivative(output y: Float) -> Float {
        let (constant, square) = derivativeCoefficients
        return constant - square * y * y
    }

    /// f′ = constant − square·y² for each activation: (S·A, S/A) for squash, (1, 1) for
    /// tanh, (1, 0) for the identity.
    @inline(__always)
    public var derivativeCoefficients: (constant: Float, square: Float) {
        switch self {
        case .squash: return (Activation.slope * Activation.amplitude, Activation.slope / Activation.amplitude)
        case .tanh: return (1, 1)
        case .identity: return (1, 0)
        }
    }
}

#if canImport(Glibc)
    import Glibc
    @inline(__always) func _tanh(_ x: Float) -> Float { tanhf(x) }
#elseif canImport(Darwin)
    import Darwin
    @inline(__always) func _tanh(_ x: Float) -> Float { tanhf(x) }
#endif
