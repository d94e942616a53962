import Foundation
import LeNetReports
import LeNetCore
import LeNetFigures
import LeNetModel

/// The squashing function's shape, computed: the facts behind the paper's A and S.
public struct SquashingFacts {
    let A = Double(Activation.amplitude), S = Double(Activation.slope)
    public init() {}
    public func slope(_ a: Double) -> Double { A * S * (1 - pow(tanh(S * a), 2)) }
    public func secondDerivative(_ a: Double) -> Double { let t = tanh(S * a); return -2 * A * S * S * t * (1 - t * t) }
    public var slopeAt0: Double { slope(0) }
    public var slopeAt1: Double { slope(1) }
    /// How far the gain strays from 1 over −1 … 1: max |f′ − 1|.
    public var slopeSpread: Double { max(abs(slopeAt0 - 1), abs(slopeAt1 - 1)) }
    /// Where |f″| is largest for a > 0, found on a fine grid.
    public var maxCurvatureAt: Double {
        stride(from: 0.0, through: 4, by: 0.0005).max { abs(secondDerivative($0)) < abs(secondDerivative($1)) }!
    }
}

extension Cells {
    static let lesson2: [String: Cell] = [
        "s2-maps": { ctx in
            try Cells.featureMaps(
                ctx, layer: "S2", title: "subsampled maps",
                subtitle: "half the resolution of C1: each unit summarizes a 2×2 block",
                columns: 6, tileSize: 110)
        },
        "s2-parameters": { ctx in
            let s2 = ctx.layer("S2", as: Subsampling.self)
            var t = TextTable(headers: ["S2 map", "coefficient β", "bias b"], alignments: [.left, .right, .right])
            for c in 0..<s2.maps {
                t.add(["\(c)", Cells.value(s2.coefficient.scalars[c], 4), Cells.value(s2.bias.scalars[c], 4)])
            }
            return "Each S2 map has one trainable coefficient and one bias (trained values):\n" + t.rendered
        },
        "s2-pooling-compare": { ctx in
            let c1 = ctx.output(of: "C1"), s2 = ctx.output(of: "S2")
            let maps = c1.shape[1], side = c1.shape[2] / 2
            func pooled(_ combine: ([Float]) -> Float) -> Tensor {
                var t = Tensor(zeros: [1, maps, side, side])
                for m in 0..<maps {
                    for r in 0..<side {
                        for q in 0..<side {
                            t[0, m, r, q] = combine([
                                c1[0, m, 2 * r, 2 * q], c1[0, m, 2 * r, 2 * q + 1], c1[0, m, 2 * r + 1, 2 * q],
                                c1[0, m, 2 * r + 1, 2 * q + 1],
                            ])
                        }
                    }
                }
                return t
            }
            let average = pooled { $0.reduce(0, +) / 4 }, maximum = pooled { $0.max()! }
            let rows: [(String, Tensor)] = [("trainable", s2), ("average", average), ("max", maximum)]
            let tiles = rows.flatMap { name, t in
                (0..<maps).map {
                    ImageGrid.Tile(caption: "\(name) \($0)", values: t.map(0, $0), rows: side, columns: side)
                }
            }
            try ctx.save(
                ImageGrid(
                    title: "Three ways to halve C1's maps",
                    subtitle: "rows: the paper's trainable subsampling (then squashed), plain average, max pooling",
                    tiles: tiles, columns: maps, scale: .shared(Cells.activationScale), colorBarLabel: "activation",
                    tileSize: 100),
                as: "s2-pooling-compare")
            let s2Layer = ctx.layer("S2", as: Subsampling.self)
            let flipped = s2Layer.coefficient.scalars.filter { $0 < 0 }.count
            return
                "Trainable subsampling can scale, shift and even invert a map (\(flipped) of \(maps) coefficients are negative here); average and max pooling can only summarize it."
        },
        "squashing": { ctx in
            let a = stride(from: -4.0, through: 4.0, by: 0.05)
            let A = Double(Activation.amplitude), S = Double(Activation.slope)
            var plot = LineChart(
                title: "The squashing function f(a) = 1.7159·tanh(2a/3)", xLabel: "weighted sum a", yLabel: "output",
                series: [
                    .init(name: "f(a), the paper's", points: a.map { ($0, Double(Activation.squash(Float($0)))) }),
                    .init(name: "tanh(a)", points: a.map { ($0, tanh($0)) }, dashed: true),
                    .init(name: "logistic 1/(1+e⁻ᵃ)", points: a.map { ($0, 1 / (1 + exp(-$0))) }, dashed: true),
                    .init(name: "f′(a)", points: a.map { ($0, A * S * (1 - pow(tanh(S * $0), 2))) }),
                ])
            // f(±1) = ±1, where |f″| is largest: the two points the paper chose A and S for.
            plot.marks = [
                .init(x: -1, y: -1, label: "f(−1) = −1, max |f″|"), .init(x: 1, y: 1, label: "f(1) = 1, max |f″|"),
            ]
            let curvature = SquashingFacts()
            plot.subtitle = "f(±1) = ±1; |f″| is largest at a = ±\(Cells.value(Float(curvature.maxCurvatureAt), 2))"
            try ctx.save(plot, as: "squashing")
            return """
                f(1) = \(Cells.value(Activation.squash(1), 4)), f(−1) = \(Cells.value(Activation.squash(-1), 4)), f(∞) = \(Activation.amplitude).
                Gain: f′(0) = A·S = \(Cells.value(Float(curvature.slopeAt0), 3)), f′(±1) = \(Cells.value(Float(curvature.slopeAt1), 3)): within \(Cells.value(Float(100 * curvature.slopeSpread), 0))% of 1 over the operating range −1 … 1.
                Curvature: |f″| peaks at a = ±\(Cells.value(Float(curvature.maxCurvatureAt), 3)), the points of maximum curvature, where the targets ±1 sit.
                """
        },
        "s2-counts": { ctx in
            let s2 = ctx.layer("S2", as: Subsampling.self)
            let inShape = Array(ctx.output(of: "C1").shape.dropFirst()), out = s2.outputShape(inShape)
            return """
                Parameters: \(s2.maps) maps × (1 coefficient + 1 bias) = \(s2.trainableParameterCount).
                Connections: \(out[0]) × \(out[1]) × \(out[2]) units × (4 inputs + 1 bias) = \(Format.count(s2.connections(input: inShape))).
                """
        },
    ]
}
