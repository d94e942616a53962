import LeNetCore

/// How initial weights are drawn: uniform in ±limit, from each unit's fan-in (and fan-out).
public enum Initialization: String, CaseIterable, Sendable {
    /// Appendix A's aim, met: uniform in ±√3/√Fᵢ for weights and biases, Fᵢ the fan-in of
    /// the unit. Appendix A scales the initial weights by the fan-in so that each unit's
    /// weighted sum starts within the squashing function's operating range. A sum of Fᵢ
    /// terms grows as √Fᵢ, so the bound must shrink as 1/√Fᵢ for that to hold in every layer;
    /// √3/√Fᵢ gives weights of standard deviation 1/√Fᵢ and, for inputs of variance 1, sums
    /// of standard deviation 1: the points f(±1) = ±1 the constants A and S were chosen for.
    /// The printed ±2.4/Fᵢ (`paperLiteral`) starts every sum at a standard deviation of
    /// 0.07–0.3 and SDLM then saturates the network; ±2.4/√Fᵢ trains but less well (README).
    case paper
    /// Appendix A as printed: ±2.4/Fᵢ.
    case paperLiteral = "paper-literal"
    /// Glorot/Xavier, as Keras does: ±√(6/(fan-in + fan-out)), biases zero.
    case glorot
    /// PyTorch's default for Conv2d and Linear: ±1/√fan-in for weights and biases.
    case pytorch

    public static func `default`(for variant: Variant) -> Initialization { variant == .paper ? .paper : .glorot }

    func weightLimit(fanIn: Int, fanOut: Int) -> Float {
        switch self {
        case .paper: return (3 / Float(fanIn)).squareRoot()
        case .paperLiteral: return PaperFacts.initializationNumerator / Float(fanIn)
        case .glorot: return (6 / Float(fanIn + fanOut)).squareRoot()
        case .pytorch: return 1 / Float(fanIn).squareRoot()
        }
    }

    func biasLimit(fanIn: Int) -> Float {
        self == .glorot ? 0 : weightLimit(fanIn: fanIn, fanOut: 0)
    }

    public func apply(to net: inout LeNet5, using rng: inout SeededGenerator) {
        for l in net.layers.indices {
            switch net.layers[l] {
            case var c as Convolution:
                let area = c.kernelSize * c.kernelSize
                for o in 0..<c.table.outputMaps {
                    // Keras and PyTorch count every input map; the paper counts the unit's own.
                    let fanIn = self == .paper || self == .paperLiteral ? c.fanIn(o) : c.table.inputMaps * area
                    let limit = weightLimit(fanIn: fanIn, fanOut: c.table.outputMaps * area)
                    for i in c.table.inputs[o] {
                        for u in 0..<c.kernelSize { for v in 0..<c.kernelSize { c.weight[o, i, u, v] = rng.uniform(limit) } }
                    }
                    let b = biasLimit(fanIn: fanIn)
                    c.bias.scalars[o] = b == 0 ? 0 : rng.uniform(b)
                }
                net.layers[l] = c
            case var s as Subsampling where s.trainable:
                // Each unit sums 4 inputs through one shared coefficient: fan-in 4.
                let limit = weightLimit(fanIn: 4, fanOut: 1)
                s.coefficient.scalars = s.coefficient.scalars.map { _ in rng.uniform(limit) }
                s.bias.scalars = s.bias.scalars.map { _ in rng.uniform(biasLimit(fanIn: 4)) }
                net.layers[l] = s
            case var f as FullyConnected:
                let limit = weightLimit(fanIn: f.inputs, fanOut: f.outputs)
                f.weight.scalars = f.weight.scalars.map { _ in rng.uniform(limit) }
                let b = biasLimit(fanIn: f.inputs)
                f.bias.scalars = f.bias.scalars.map { _ in b == 0 ? 0 : rng.uniform(b) }
                net.layers[l] = f
            default:
                break
            }
        }
    }
}

