import Foundation
import LeNetCore
import LeNetFigures
import LeNetModel
import LeNetReports
import LeNetTraining

/// Lessons 1–7: each layer's derivative for one parameter, by hand, beside what the layer's
/// `backward` gives and what nudging the parameter measures.
extension Cells {
    static let gradients: [String: Cell] = [
        "c1-gradient": { ctx in
            let (text, terms) = try convolutionGradient(ctx, layer: "C1")
            let t = ctx.backwardTrip, l = t.index(of: "C1")
            let term = terms[0]
            // ∂E/∂a = ∂E/∂y · f′(a) for each unit of the map: what multiplies the pixels.
            let upstream = (0..<(term.rows * term.columns)).map { u -> Float in
                let (r, c) = (u / term.columns, u % term.columns)
                return t.outputGradient[l][0, term.map, r, c]
                    * t.net.layers[l].activation.derivative(output: t.trace[l + 1][0, term.map, r, c])
            }
            let scale = max(upstream.map(abs).max() ?? 0, term.values.map(abs).max() ?? 0)
            try ctx.save(
                ImageGrid(
                    title: "C1 kernel \(term.map), row \(term.row), column \(term.column): where ∂E/∂w comes from",
                    subtitle:
                        "\(ctx.sampleName): the weight is shared by \(term.values.count) units, so ∂E/∂w is the sum of these \(term.values.count) terms, \(number(term.values.reduce(0, +)))",
                    tiles: [
                        .init(
                            caption: "∂E/∂a of each unit of map \(term.map)", values: upstream, rows: term.rows,
                            columns: term.columns),
                        .init(
                            caption: "× its pixel x[r+\(term.row), c+\(term.column)]: the terms", values: term.values,
                            rows: term.rows, columns: term.columns),
                    ], columns: 2, scale: .shared(.diverging(maxAbs: scale)),
                    colorBarLabel: "∂E/∂a, and its product with the pixel", tileSize: 224),
                as: "c1-gradient")
            return text
        },
        "c3-gradient": { ctx in try convolutionGradient(ctx, layer: "C3").text },
        "c5-gradient": { ctx in try convolutionGradient(ctx, layer: "C5").text },
        "s2-gradient": { ctx in subsamplingGradient(ctx, layer: "S2") },
        "s4-gradient": { ctx in subsamplingGradient(ctx, layer: "S4") },
        "f6-gradient": { ctx in
            let t = ctx.backwardTrip, l = t.index(of: "F6")
            let w = t.net.layers[l].parameters[0].value
            let k = BackwardTrip.largest(t.parameterGradient[l][0])
            let (o, j) = (k / w.shape[1], k % w.shape[1])
            let hand = HandGradient.fullyConnectedWeight(t, layer: l, unit: o, input: j)
            return """
                \(lossLine(ctx)) F6's weight with the largest derivative: w[\(o), \(j)] = \(value(w.scalars[k], 4)), from C5 unit \(j) to F6 unit \(o).
                It belongs to one unit alone, so its derivative is a single product: ∂E/∂w = ∂E/∂y[\(o)] · f′(a[\(o)]) · x[\(j)]
                  = \(number(hand.upstream)) · \(value(hand.slope, 4)) · \(value(hand.input, 4)) = \(number(hand.gradient))
                \(agreement(ctx, layer: l, parameter: 0, index: k, hand: hand.gradient))
                """
        },
        "output-gradient": { ctx in
            let t = ctx.backwardTrip, l = t.index(of: ctx.lessonLayer)
            let penalties = t.trace.last!.scalars
            guard case .map(let j) = t.loss else { return "This lesson's hand derivative is the paper's RBF loss." }
            let dEdy = HandGradient.lossGradient(penalties: penalties, label: t.label, j: j)
            let fromLoss = t.outputGradient[l].scalars
            let lossGap = zip(dEdy, fromLoss).map { abs($0 - $1) }.max()!
            let dx = t.inputGradient[l]
            let k = BackwardTrip.largest(dx)
            let hand = HandGradient.rbfInput(t, layer: l, input: k, lossGradient: dEdy)
            let numeric = t.finiteDifference(inputOf: l, index: k)
            return """
                \(lossLine(ctx)) What the output layer passes down is ∂E/∂x for F6's \(t.trace[l].count) outputs.
                First the loss, eq. 9 differentiated: ∂E/∂yᵢ = [i = \(t.label)] − e^−yᵢ / (e^−j + Σₖ e^−yₖ), j = \(value(j, 0)):
                  \(dEdy.enumerated().map { "\($0.offset): \(number($0.element, 2))" }.joined(separator: "  "))
                  (the loss code's own: the same to \(String(format: "%.1e", lossGap))). Only the correct class's is positive: its penalty is pushed down, the others up.
                Then the penalties yᵢ = Σⱼ (xⱼ − wᵢⱼ)², each of which depends on every xⱼ: ∂E/∂xⱼ = Σᵢ ∂E/∂yᵢ · 2(xⱼ − wᵢⱼ).
                For F6 output \(k) (x = \(value(t.trace[l].scalars[k], 4)), the largest derivative): by hand \(number(hand)); the output layer's backward: \(number(dx.scalars[k])) (apart by \(String(format: "%.1e", abs(hand - dx.scalars[k]))))
                Finite difference (E(x + h) − E(x − h)) / 2h with h = \(BackwardTrip.step): \(number(numeric)) (\(percentApart(numeric, hand)) apart: float32 rounding and E's curvature over ±h).
                """
        },
    ]

    /// The parameter a convolution layer's hand-derivative cell checks: its weight with the
    /// largest derivative, and that derivative's terms over the units that share it.
    struct WeightTerms {
        var map: Int, input: Int, row: Int, column: Int
        var values: [Float]
        var rows: Int, columns: Int
    }

    /// C1, C3 and C5: a kernel weight's derivative, summed by hand over the units sharing it.
    static func convolutionGradient(_ ctx: LessonContext, layer name: String) throws -> (
        text: String, terms: [WeightTerms]
    ) {
        let t = ctx.backwardTrip, l = t.index(of: name)
        let w = t.net.layers[l].parameters[0].value
        let k = BackwardTrip.largest(t.parameterGradient[l][0])
        let (inputs, side) = (w.shape[1], w.shape[2])
        let (o, i, u, v) = (k / (inputs * side * side), k / (side * side) % inputs, k / side % side, k % side)
        let (terms, rows, columns) = HandGradient.convolutionWeightTerms(
            t, layer: l, map: o, input: i, row: u, column: v)
        let hand = terms.reduce(0, +)
        let order = terms.indices.sorted { abs(terms[$0]) > abs(terms[$1]) }
        let top =
            order.prefix(10).reduce(Float(0)) { $0 + abs(terms[$1]) } / max(terms.reduce(0) { $0 + abs($1) }, 1e-30)
        let source = l == 0 ? "input pixel" : "\(t.net.layers[l - 1].name) map \(i) value"
        let rule =
            terms.count == 1
            ? """
            It is used by one unit only (map \(o) is 1×1), so its derivative is a single product:
              ∂E/∂w = ∂E/∂y[\(o)] · f′(a[\(o)]) · x[\(i),\(u),\(v)], with f′(a) = (S/A)(A² − y²) read off the unit's output y and x the \(source) the weight multiplies.
            """
            : """
            It is shared by all \(terms.count) units of map \(o) (\(rows)×\(columns)), so its derivative is a sum of \(terms.count) terms, one per unit:
              ∂E/∂w = Σ_(r,c) ∂E/∂y[\(o),r,c] · f′(a[\(o),r,c]) · x[\(i),r+\(u),c+\(v)], with f′(a) = (S/A)(A² − y²) read off each unit's output y and x the \(source) the weight multiplies.
            """
        let text = """
            \(lossLine(ctx)) Back-propagation hands \(name) ∂E/∂y for each of its outputs.
            \(name)'s weight with the largest derivative: kernel \(o), \(l == 0 ? "" : "input map \(i), ")row \(u), column \(v), w = \(value(w.scalars[k], 4)).
            \(rule)
            By hand: \(terms.count == 1 ? "" : "\(terms.count) terms from \(number(terms.min()!)) to \(number(terms.max()!)); the 10 largest carry \(Int((100 * top).rounded()))% of their total size; ")∂E/∂w = \(number(hand))
            \(agreement(ctx, layer: l, parameter: 0, index: k, hand: hand))
            """
        return (text, [WeightTerms(map: o, input: i, row: u, column: v, values: terms, rows: rows, columns: columns)])
    }

    /// S2 and S4: the trainable coefficient β and the bias b of the map whose β matters most.
    static func subsamplingGradient(_ ctx: LessonContext, layer name: String) -> String {
        let t = ctx.backwardTrip, l = t.index(of: name)
        let c = BackwardTrip.largest(t.parameterGradient[l][0])
        let hand = HandGradient.subsampling(t, layer: l, map: c)
        let β = t.net.layers[l].parameters[0].value.scalars[c], b = t.net.layers[l].parameters[1].value.scalars[c]
        return """
            \(lossLine(ctx)) Each \(name) map has two parameters, both shared by its \(hand.units) units. Take map \(c) (β = \(value(β, 4)), b = \(value(b, 4))), whose coefficient has the largest derivative.
              ∂E/∂β = Σ_(r,q) ∂E/∂y[r,q] · f′(a[r,q]) · (sum of the 2×2 window under unit (r,q))
              ∂E/∂b = Σ_(r,q) ∂E/∂y[r,q] · f′(a[r,q])
            By hand, over \(hand.units) units: ∂E/∂β = \(number(hand.coefficient)), ∂E/∂b = \(number(hand.bias)).
            Coefficient: \(agreement(ctx, layer: l, parameter: 0, index: c, hand: hand.coefficient))
            Bias: \(agreement(ctx, layer: l, parameter: 1, index: c, hand: hand.bias))
            """
    }

    /// "For digit 3 (a 7), the paper's loss (eq. 9) is E = 1.234."
    static func lossLine(_ ctx: LessonContext) -> String {
        "For \(ctx.sampleName) (\(ctx.labelText)), the loss (eq. 9) is E = \(value(ctx.backwardTrip.error, 4))."
    }

    /// The hand value beside the layer's backward and a finite difference, with how far apart.
    static func agreement(_ ctx: LessonContext, layer l: Int, parameter p: Int, index k: Int, hand: Float) -> String {
        let t = ctx.backwardTrip
        let backprop = t.parameterGradient[l][p].scalars[k]
        let numeric = t.finiteDifference(layer: l, parameter: p, index: k)
        return """
            \(t.net.layers[l].name)'s backward gives \(number(backprop)) (apart by \(String(format: "%.1e", abs(hand - backprop)))); \
            the finite difference (E(w + h) − E(w − h)) / 2h with h = \(BackwardTrip.step) gives \(number(numeric)) (\(percentApart(numeric, hand)) apart: float32 rounding and E's curvature over ±h).
            """
    }

    static func number(_ v: Float, _ digits: Int = 5) -> String { String(format: "%.\(digits)g", v) }

    static func percentApart(_ a: Float, _ b: Float) -> String {
        String(format: "%.2f%%", 100 * abs(a - b) / max(abs(b), 1e-30))
    }
}
