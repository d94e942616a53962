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
            var medians: [Double] = [], names: [String] = [], used: [[Float]] = []
            for (l, layer) in ctx.net.layers.enumerated() where layer.trainableParameterCount > 0 {
                let h = Cells.usedValues(of: layer, optimizer.state[l]).sorted()
                used.append(h)
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
            // The distribution of h per layer, on a log scale, with μ marked: left of μ the step
            // is close to its largest, η/μ; right of it, the curvature sets the step.
            let floor: Float = 1e-12
            let logs = used.map { $0.map { Double(log10(max($0, floor))) } }
            let all = logs.flatMap { $0 }
            let low = (all.min() ?? -6).rounded(.down), high = max((all.max() ?? 0).rounded(.up), low + 1)
            var histogram = LineChart(
                title: "SDLM's curvature estimates h, layer by layer", xLabel: "log₁₀ h (Gauss–Newton, \(n) digits)",
                yLabel: "share of the layer's parameters",
                series: names.indices.map {
                    .init(name: names[$0], points: Cells.histogram(logs[$0], from: low, to: high, bins: 40))
                })
            histogram.marks = [.init(x: Double(log10(mu)), y: 0, label: "μ = \(mu)")]
            histogram.subtitle =
                "left of μ a weight's step is almost the largest, η/μ; to the right, the curvature shrinks it"
            try ctx.save(histogram, as: "curvature-histograms")
            let belowMu = names.indices.map { k in
                "\(names[k]) \(Int((100 * Double(logs[k].filter { $0 < Double(log10(mu)) }.count) / Double(logs[k].count)).rounded()))%"
            }
            return "Curvature estimated on \(n) digits, as the paper does before each pass:\n" + table.rendered
                + "\nShare of each layer's parameters whose h is below μ = \(mu) (their step is within a factor 2 of η/μ): "
                + belowMu.joined(separator: ", ")
        },
        "rate-table": { ctx in
            let config = TrainingConfig.reproduction()
            let rates = (0..<config.epochs).map {
                Double(config.schedule.rate(base: config.learningRate, epoch: $0, epochs: config.epochs))
            }
            let mu = Double(PaperFacts.sdlmMu)
            var chart = LineChart(
                title: "The paper's rate table: η per pass, and the largest step it allows", xLabel: "pass",
                yLabel: "step size (multiple of ∂E/∂w)",
                series: [
                    .init(
                        name: "η (Appendix C's table)", points: rates.enumerated().map { (Double($0 + 1), $1) },
                        markers: true),
                    .init(
                        name: "η/μ: a weight with h ≈ 0", points: rates.enumerated().map { (Double($0 + 1), $1 / mu) },
                        dashed: true, markers: true),
                ])
            chart.logY = true
            chart.subtitle = "μ = \(PaperFacts.sdlmMu) keeps the step finite where the curvature estimate h is near 0"
            try ctx.save(chart, as: "rate-table")
            var runs: [String] = []
            var start = 0
            for k in 1...rates.count where k == rates.count || rates[k] != rates[start] {
                runs.append("passes \(start + 1)–\(k): η = \(Float(rates[start]))")
                start = k
            }
            return runs.joined(separator: "; ") + ".\n"
                + "Without μ, a weight whose estimated curvature is 0 would get step η/0: μ = \(PaperFacts.sdlmMu) caps every step at η/μ = \(String(format: "%g", rates[0] / mu)) in the first passes."
        },
        "keras-loss": { ctx in
            guard ShippedWeights.keras.path != nil else { return "This build carries no Keras-style weights." }
            let keras = try ShippedWeights.keras.load().net
            let logits = keras.forward(ctx.digits.batch([ctx.sample], scaling: keras.scaling)).scalars
            let d = ctx.sampleLabel
            let m = logits.max()!
            let z = logits.reduce(Float(0)) { $0 + exp($1 - m) }
            let p = logits.map { exp($0 - m) / z }
            let loss = Loss.crossEntropy.evaluate(Tensor(shape: [1, logits.count], scalars: logits), labels: [d]).loss
            return """
                The Keras-style network (dense output, shipped trained on the 60,000 digits) gives \(ctx.sampleName) ten logits:
                  \(logits.enumerated().map { "\($0.offset): \(value($0.element, 2))" }.joined(separator: "  "))
                Softmax turns them into probabilities pᵢ = e^zᵢ / Σₖ e^zₖ: p_\(d) = \(Cells.number(p[d], 4)); the largest wrong one is \(Cells.number(p.enumerated().filter { $0.offset != d }.map(\.element).max()!, 3)).
                Cross-entropy is −log p_\(d) = \(Cells.number(-log(p[d]), 3)) (the loss code gives \(Cells.number(loss, 3))). Its derivative with respect to each logit is pᵢ − [i = D]: as eq. 9, it pulls the correct class up and pushes the others down, but no fixed code sits between the features and the answer.
                """
        },
        "flip-book": { ctx in
            guard let train = ctx.splits.train, train.count > 0 else { return "No training digits loaded." }
            // The start of the run that made the shown weights: the same recipe and seed, so on
            // full MNIST these are that run's first updates exactly.
            let seed = ctx.model.provenance?.seed ?? ctx.model.config.seed
            var config = ctx.model.provenance != nil ? TrainingConfig.reproduction(seed: seed) : ctx.model.config
            config.evaluateTrainingSet = false
            var frames = try Cells.runStart(config, on: train, stops: [60, 200, 600, 2_000, 6_000]).map {
                (label: $0.seen == 0 ? "start" : "\(Format.count($0.seen)) digits", net: $0.net)
            }
            let passes = ctx.model.provenance?.passes.count ?? ctx.model.log.count
            frames.append(("\(passes) passes", ctx.net))
            let x = ctx.input, d = ctx.sampleLabel
            // Each row scaled to its own largest weight: the kernels grow many times over, and
            // one shared scale would leave the early rows blank.
            let largest = frames.map { $0.net.layers[0].parameters[0].value.maxAbs }
            var kernels = ImageGrid(
                title: "C1's six kernels as training goes on",
                subtitle:
                    "after this many training digits (one update each), then the shown weights; each row scaled to its largest |w|",
                tiles: zip(frames, largest).flatMap { f, m in
                    let w = f.net.layers[0].parameters[0].value
                    return (0..<6).map {
                        ImageGrid.Tile(
                            caption: "", values: w.scalars[($0 * 25)..<($0 * 25 + 25)].map { $0 / max(m, 1e-30) },
                            rows: 5, columns: 5)
                    }
                }, columns: 6, scale: .shared(.diverging(maxAbs: 1)), colorBarLabel: "weight ÷ its row's largest |w|",
                tileSize: 56)
            kernels.rowHeaders = zip(frames, largest).map { "\($0.label), |w| ≤ \(value($1, 2))" }
            kernels.columnHeaders = (0..<6).map { "map \($0)" }
            try ctx.save(kernels, as: "flip-book-c1")
            // Each frame's F6 output and answer, from one pass through it.
            let traces = frames.map { f -> [Tensor] in
                var net = f.net
                net.path = .reference
                return net.trace(x)
            }
            let f6 = traces.map { $0[$0.count - 2].scalars }
            let answers = zip(frames, traces).map { $0.net.predictions($1.last!)[0] }
            let code = Array(RBFCodes.matrix.scalars[(d * 84)..<(d * 84 + 84)])
            let distances = f6.map { zip($0, code).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } }
            var flip = ImageGrid(
                title: "F6's output for \(ctx.sampleName) as training goes on, and the code of \(d)",
                subtitle:
                    "above: training digits seen; below: the squared distance to the code of \(d), the penalty y\(d)",
                tiles: frames.indices.map { k in
                    ImageGrid.Tile(
                        caption: "y\(d) = \(value(distances[k], 1))", values: f6[k], rows: RBFCodes.height,
                        columns: RBFCodes.width)
                } + [
                    ImageGrid.Tile(
                        caption: "target", values: code, rows: RBFCodes.height, columns: RBFCodes.width,
                        highlighted: true)
                ], columns: frames.count + 1, scale: .shared(.diverging(maxAbs: Activation.amplitude)),
                colorBarLabel: "value", tileSize: 72)
            flip.columnHeaders =
                frames.map { $0.label.replacingOccurrences(of: " digits", with: "") } + ["code of \(d)"]
            try ctx.save(
                flip,
                as: "flip-book-f6")
            let source =
                ctx.model.provenance != nil && ctx.splits.isFullMNIST
                ? "the first updates of the run that made the shown weights (same recipe, same seed, same digits)"
                : "a run with the shown weights' recipe and seed on these \(Format.count(train.count)) training digits"
            return "Frames from \(source):\n"
                + zip(frames, zip(distances, answers)).map {
                    "  \($0.0.label): penalty of \(d) = \(value($0.1.0, 2)), answer \($0.1.1)"
                }.joined(separator: "\n")
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
