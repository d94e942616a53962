import LeNetCore

/// Units that stopped learning: C3 maps whose kernels stayed small and whose S4 coefficient
/// all but silences them (dead maps), and C5 units that sit in the squashing function's flat
/// tails for nearly every digit (saturated units: their f′, and with it every gradient through
/// them, is close to 0).
public struct UnitHealth: Sendable {
    public struct Map: Sendable {
        public var index: Int
        /// √(Σ w²) over the map's connected kernels.
        public var kernelNorm: Float
        /// |S4 coefficient| of the map (nil in the keras variant, which has none).
        public var coefficient: Float?
        public var dead: Bool
    }

    /// A C3 map is dead when its kernel norm or its |S4 coefficient| is below this share of the
    /// layer's median.
    public static let deadShare: Float = 0.1
    /// A unit is saturated on a digit when |f(a)| ≥ this share of A (f′ ≤ 10% of f′(0)), and
    /// saturated outright when that holds for at least `saturatedShare` of the digits.
    public static let saturationLevel: Float = 0.95
    public static let saturatedShare = 0.9

    public var c3: [Map]
    /// Per C5 unit: the share of the digits on which it is saturated (either sign).
    public var c5SaturatedShare: [Double]
    /// Per C5 unit: the larger of the shares saturated at +A and at −A. A unit stuck at one
    /// sign for nearly every digit carries no information as well as no gradient.
    public var c5StuckShare: [Double]
    public var digits: Int
    /// C5's outputs for every digit, (digits × units) row by row: what the shares are counted from.
    public var c5Outputs: [Float]

    public var deadMaps: [Int] { c3.filter(\.dead).map(\.index) }
    public var saturatedC5: [Int] {
        c5SaturatedShare.indices.filter { c5SaturatedShare[$0] >= UnitHealth.saturatedShare }
    }
    public var stuckC5: [Int] { c5StuckShare.indices.filter { c5StuckShare[$0] >= UnitHealth.saturatedShare } }

    /// The network's health on `inputs` (N, 1, 32, 32).
    public init(net: LeNet5, inputs: Tensor) {
        guard let c3 = net.layer(named: "C3") as? Convolution,
            let c5Index = net.layers.firstIndex(where: { $0.name == "C5" })
        else {
            self.c3 = []; c5SaturatedShare = []; c5StuckShare = []; digits = 0; c5Outputs = []; return
        }
        let s4 = net.layer(named: "S4") as? Subsampling
        let area = c3.kernelSize * c3.kernelSize
        let norms = (0..<c3.table.outputMaps).map { o -> Float in
            c3.table.inputs[o].reduce(0) { sum, i in
                sum
                    + (0..<area).reduce(0) { s, k in
                        let w = c3.weight.scalars[(o * c3.table.inputMaps + i) * area + k]; return s + w * w
                    }
            }.squareRoot()
        }
        let coefficients: [Float]? = s4.flatMap { $0.trainable ? $0.coefficient.scalars.map(abs) : nil }
        func median(_ v: [Float]) -> Float { let s = v.sorted(); return s.isEmpty ? 0 : s[s.count / 2] }
        let normMedian = median(norms), coefficientMedian = coefficients.map(median) ?? 0
        self.c3 = norms.indices.map { o in
            let c = coefficients?[o]
            let dead =
                norms[o] < UnitHealth.deadShare * normMedian
                || (c.map { $0 < UnitHealth.deadShare * coefficientMedian } ?? false)
            return Map(index: o, kernelNorm: norms[o], coefficient: c, dead: dead)
        }
        let y = net.trace(inputs)[c5Index + 1]
        let n = y.shape[0], units = y.count / max(n, 1)
        let limit = UnitHealth.saturationLevel * (net.variant == .paper ? Activation.amplitude : 1)
        digits = n
        c5Outputs = y.scalars
        let shares = (0..<units).map { u -> (Double, Double) in
            let high = (0..<n).filter { y.scalars[$0 * units + u] >= limit }.count
            let low = (0..<n).filter { y.scalars[$0 * units + u] <= -limit }.count
            return (Double(high) / Double(max(n, 1)), Double(low) / Double(max(n, 1)))
        }
        c5SaturatedShare = shares.map { $0.0 + $0.1 }
        c5StuckShare = shares.map { max($0.0, $0.1) }
    }
}
