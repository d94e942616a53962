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

    /// Keras and PyTorch count every input map as a convolution's fan-in; the paper counts
    /// the maps the unit reads (Table I).
    var countsConnectedMapsOnly: Bool { self == .paper || self == .paperLiteral }

    /// A uniform draw in ±limit, or 0 when the limit is 0.
    func draw(_ limit: Float, _ rng: inout SeededGenerator) -> Float { limit == 0 ? 0 : rng.uniform(limit) }

    /// Each layer draws its own parameters, from its own fan-in.
    public func apply(to net: inout LeNet5, using rng: inout SeededGenerator) {
        for l in net.layers.indices { net.layers[l].initialize(self, using: &rng) }
    }
}

extension Convolution {
    public var curvatureIsSquaredBackward: Bool { true }

    public mutating func initialize(_ rule: Initialization, using rng: inout SeededGenerator) {
        let area = kernelSize * kernelSize
        for o in 0..<table.outputMaps {
            let fanIn = rule.countsConnectedMapsOnly ? self.fanIn(o) : table.inputMaps * area
            let limit = rule.weightLimit(fanIn: fanIn, fanOut: table.outputMaps * area)
            for i in table.inputs[o] {
                for u in 0..<kernelSize { for v in 0..<kernelSize { weight[o, i, u, v] = rng.uniform(limit) } }
            }
            bias.scalars[o] = rule.draw(rule.biasLimit(fanIn: fanIn), &rng)
        }
    }
}

extension Subsampling {
    public var curvatureIsSquaredBackward: Bool { false }

    /// Each unit sums 4 inputs through one shared coefficient: fan-in 4. Average pooling
    /// has nothing to draw.
    public mutating func initialize(_ rule: Initialization, using rng: inout SeededGenerator) {
        guard trainable else { return }
        let limit = rule.weightLimit(fanIn: 4, fanOut: 1)
        coefficient.scalars = coefficient.scalars.map { _ in rng.uniform(limit) }
        bias.scalars = bias.scalars.map { _ in rng.uniform(rule.biasLimit(fanIn: 4)) }
    }
}

extension FullyConnected {
    public var curvatureIsSquaredBackward: Bool { true }

    public mutating func initialize(_ rule: Initialization, using rng: inout SeededGenerator) {
        let limit = rule.weightLimit(fanIn: inputs, fanOut: outputs)
        weight.scalars = weight.scalars.map { _ in rng.uniform(limit) }
        let b = rule.biasLimit(fanIn: inputs)
        bias.scalars = bias.scalars.map { _ in rule.draw(b, &rng) }
    }
}

extension RBFOutput {
    public var curvatureIsSquaredBackward: Bool { false }

    /// The codes are drawn by hand (RBFCodes), not at random.
    public mutating func initialize(_ rule: Initialization, using rng: inout SeededGenerator) {}
}
