import Foundation
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetModel
import LeNetReports
import LeNetTraining

extension Cells {
    static let lesson8: [String: Cell] = [
        "loss-terms": { ctx in
            let y = ctx.trace.last!
            let d = ctx.sampleLabel, j = Loss.paperJ
            let penalties = (0..<10).map { y[0, $0] }
            let competition = log(exp(-j) + penalties.map { exp(-$0) }.reduce(0, +))
            let map = Loss.map(j: j).evaluate(y, labels: [d]).loss
            return """
                \(ctx.SampleName), \(ctx.picture?.labelKnown == false ? "read as a \(d) (its label not given: the network's answer stands in)" : "a \(d)"). Its RBF penalties: \(penalties.enumerated().map { "\($0.offset): \(value($0.element, 2))" }.joined(separator: "  "))
                Equation 8 (the correct class's penalty): E = y_\(d) = \(value(penalties[d], 4))
                Equation 9 adds log(e^−j + Σᵢ e^−yᵢ) with j = \(value(j, 0)): \(value(competition, 4)), so E = \(value(penalties[d] + competition, 4)) (the loss code gives \(value(map, 4))).
                The second term is large when some class has a small penalty: lowering it pushes every penalty up, the wrong ones most.
                """
        },
        "gradient-by-hand": { ctx in
            // The C1 weight with the largest derivative, for a digit the network gets wrong (a
            // large loss, large gradients), by back-propagation and by finite differences.
            let digit = ctx.evaluation.misclassified.first ?? ctx.sample
            let trip = BackwardTrip(
                net: ctx.net, input: ctx.digits.batch([digit], scaling: ctx.net.scaling),
                label: Int(ctx.digits.labels[digit]))
            let index = BackwardTrip.largest(trip.parameterGradient[0][0])
            let (o, u, v) = (index / 25, index % 25 / 5, index % 5)
            let backprop = trip.parameterGradient[0][0].scalars[index]
            let numeric = trip.finiteDifference(layer: 0, parameter: 0, index: index)
            return """
                Digit \(digit), a \(trip.label) that the network gets wrong: loss \(value(trip.error, 3)). The weight with the largest derivative:
                w = C1 kernel \(o), row \(u), column \(v) = \(value(trip.net.layers[0].parameters[0].value.scalars[index], 4)).
                Back-propagation (the chain rule, layer by layer from the loss down to C1): ∂E/∂w = \(String(format: "%.6f", backprop))
                Finite difference (E(w + h) − E(w − h)) / 2h with h = \(BackwardTrip.step): \(String(format: "%.6f", numeric))
                They differ by \(String(format: "%.3f%%", 100 * abs(backprop - numeric) / abs(numeric))) (float32 arithmetic): back-propagation computes, in one backward pass, what nudging each of the \
                \(Format.count(ctx.net.trainableParameterCount)) weights one at a time would measure.
                """
        },
        "gradient-sizes": { ctx in
            let (_, grads, _) = ctx.net.gradients(
                ctx.digits.batch(Array(0..<min(100, ctx.digits.count)), scaling: ctx.net.scaling),
                labels: (0..<min(100, ctx.digits.count)).map { Int(ctx.digits.labels[$0]) },
                loss: .map(j: Loss.paperJ))
            let layers = ctx.net.layers.indices.filter { ctx.net.layers[$0].trainableParameterCount > 0 }
            let rms = layers.map { l -> Double in
                let g = grads[l].flatMap(\.scalars)
                return (g.reduce(0) { $0 + Double($1 * $1) } / Double(max(g.count, 1))).squareRoot()
            }
            var chart = BarChart(
                title: "How large the gradient is in each layer (100 digits)", xLabel: "layer",
                yLabel: "RMS of ∂E/∂w", values: rms, labels: layers.map { ctx.net.layers[$0].name })
            chart.subtitle = "one plain gradient step would move each layer's weights by η × these: SDLM evens them out"
            try ctx.save(chart, as: "gradient-sizes")
            return zip(layers, rms).map { "\(ctx.net.layers[$0].name): \(String(format: "%.2e", $1))" }.joined(
                separator: "  ")
        },
        "sdlm-steps": { ctx in
            let n = min(PaperFacts.curvatureSamples, ctx.digits.count)
            var optimizer = Optimizer(kind: .sdlm, for: ctx.net)
            optimizer.estimateCurvature(
                ctx.net, samples: ctx.digits.batch(Array(0..<n), scaling: ctx.net.scaling),
                labels: (0..<n).map { Int(ctx.digits.labels[$0]) }, loss: .map(j: Loss.paperJ))
            let eta = PaperFacts.rateTable[0].rate, mu = PaperFacts.sdlmMu
            var table = TextTable(
                headers: ["layer", "median h", "median step η/(μ + h)", "step range"],
                alignments: [.left, .right, .right, .right])
            var medians: [Double] = [], names: [String] = []
            for (l, layer) in ctx.net.layers.enumerated() where layer.trainableParameterCount > 0 {
                let h = zip(layer.parameters, optimizer.state[l]).filter { $0.0.trainable }.flatMap(\.1.scalars)
                    .sorted()
                let steps = h.map { eta / (mu + $0) }.sorted()
                table.add([
                    layer.name, String(format: "%.3g", h[h.count / 2]), String(format: "%.2e", steps[steps.count / 2]),
                    String(format: "%.1e … %.1e", steps.first!, steps.last!),
                ])
                medians.append(Double(steps[steps.count / 2]) / Double(eta))
                names.append(layer.name)
            }
            var chart = BarChart(
                title: "SDLM: each weight's own step size (η = \(eta), μ = \(mu))", xLabel: "layer",
                yLabel: "median step ÷ η = 1/(μ + h)", values: medians, labels: names)
            chart.subtitle =
                "h: Gauss–Newton curvature on \(n) digits; flat directions (small h) get up to 1/μ = \(Int(1 / mu)) × η"
            try ctx.save(chart, as: "sdlm-steps")
            return "Curvature estimated on \(n) digits, as the paper does before each pass:\n" + table.rendered
        },
        "distortions": { ctx in
            var rng = SeededGenerator(seed: UInt64(ctx.sample) &+ 8)
            let picks = (0..<7).map { _ in Distortion.random(using: &rng) }
            let batch = ctx.digits.batch(
                Array(repeating: ctx.sample, count: 8), scaling: ctx.net.scaling,
                distortions: [Distortion()] + picks)
            let side = Digits.inputSize
            let tiles = (0..<8).map { k in
                ImageGrid.Tile(
                    caption: k == 0
                        ? "original"
                        : String(format: "shift %.1f,%.1f ×%.2f", picks[k - 1].dx, picks[k - 1].dy, picks[k - 1].scale),
                    values: Array(batch.scalars[(k * side * side)..<((k + 1) * side * side)]), rows: side, columns: side
                )
            }
            let s = ctx.net.scaling
            try ctx.save(
                ImageGrid(
                    title: "\(ctx.SampleName) and 7 random distortions (translation, scaling, squeezing, shear)",
                    subtitle: "the paper trained on 9 such copies of every digit besides the 60,000 originals",
                    tiles: tiles, columns: 4, scale: .shared(.grayscale(low: s.background, high: s.foreground)),
                    colorBarLabel: "input value", tileSize: 120), as: "distortions")
            return picks.enumerated().map { k, d in
                String(
                    format: "copy %d: shift (%.2f, %.2f) px, scale %.3f, squeeze %.3f, shear %.3f", k + 1, d.dx, d.dy,
                    d.scale, d.squeeze, d.shear)
            }.joined(separator: "\n")
        },
    ]
}
