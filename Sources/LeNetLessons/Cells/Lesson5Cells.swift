import LeNetReports
import LeNetCore
import LeNetFigures
import LeNetModel
import LeNetTraining

extension Cells {
    static let lesson5: [String: Cell] = [
        "c5-health": { ctx in
            let h = ctx.health
            let shares = h.c5SaturatedShare.sorted(by: >)
            var chart = BarChart(
                title: "C5: how often each unit is saturated", xLabel: "C5 units, most saturated first",
                yLabel: "share of digits with |f(a)| ≥ \(Cells.value(UnitHealth.saturationLevel, 2))·A", values: shares,
                labels: shares.indices.map { "\($0 + 1)" })
            chart.labelEvery = 10
            chart.subtitle =
                "\(h.saturatedC5.count) of \(shares.count) units saturated on ≥ \(Int(100 * UnitHealth.saturatedShare))% of \(Format.count(h.digits)) digits"
            try ctx.save(chart, as: "c5-health")
            let halfOrMore = shares.filter { $0 >= 0.5 }.count
            return """
                Saturated on at least \(Int(100 * UnitHealth.saturatedShare))% of \(Format.count(h.digits)) digits: \(h.saturatedC5.count) of \(shares.count) C5 units; on at least half of them: \(halfOrMore).
                Stuck at the same sign on at least \(Int(100 * UnitHealth.saturatedShare))% of them: \(h.stuckC5.count).
                A saturated unit has f′ ≈ 0, so almost no gradient flows back through it: it has stopped learning. One that saturates at +A for some digits and −A for others still tells digits apart, as a yes/no feature; one stuck at the same sign carries no information at all.
                """
        },
        "saturation-before-after": { ctx in
            guard let train = ctx.splits.train, train.count > 0 else { return "No training digits loaded." }
            // The start of the paper's recipe twice, with Appendix A's initialization as printed
            // and as this tool reads it (everything else alike, the same seed and digits), beside
            // the shown network. Within the first pass only the initialization differs: the
            // curvature memory acts from the second pass on.
            let updates = min(2_000, train.count)
            func started(_ initialization: Initialization) throws -> LeNet5 {
                var config = TrainingConfig.defaults(for: .paper)
                config.seed = ctx.model.provenance?.seed ?? ctx.model.config.seed
                config.initialization = initialization
                return try Cells.runStart(config, on: train, stops: [updates]).last!.net
            }
            let passes = ctx.model.provenance?.passes.count ?? ctx.model.log.count
            let nets: [(name: String, label: String, net: LeNet5)] = [
                (
                    "±2.4/Fᵢ as printed, \(Format.count(updates)) digits", "as printed, ±2.4/Fᵢ",
                    try started(.paperLiteral)
                ),
                ("±√3/√Fᵢ (default), \(Format.count(updates)) digits", "default, ±√3/√Fᵢ", try started(.paper)),
                ("shown network, \(passes) passes", "shown, \(passes) passes", ctx.net),
            ]
            let shown = min(500, ctx.digits.count)
            let inputs = ctx.digits.batch(Array(0..<shown), scaling: ctx.net.scaling)
            let check = ctx.digits.subset(Array(0..<min(2_000, ctx.digits.count)))
            var table = TextTable(
                headers: [
                    "network", "dead C3 maps", "C5 saturated", "stuck", "error (\(Format.count(check.count)) digits)",
                ],
                alignments: [.left, .right, .right, .right, .right])
            var series: [LineChart.Series] = []
            for (k, (name, label, net)) in nets.enumerated() {
                // The shown network's health is the lessons' own, on the same first digits.
                let health = k == nets.count - 1 ? ctx.health : UnitHealth(net: net, inputs: inputs)
                let e = Evaluation(net: net, digits: check)
                table.add([
                    name, "\(health.deadMaps.count) of \(health.c3.count)",
                    "\(health.saturatedC5.count) of \(health.c5SaturatedShare.count)", "\(health.stuckC5.count)",
                    {
                        let r = ErrorRate(errors: e.errors, count: e.count)
                        return String(format: "%.2f%% ± %.2f%%", 100 * r.rate, 100 * r.standardError)
                    }(),
                ])
                // C5's outputs over the digits, as a share per bin of y/A from −1 to 1.
                let c5 = health.c5Outputs.map { Double($0 / Activation.amplitude) }
                series.append(
                    .init(
                        name: label, points: Cells.histogram(c5, from: -1, to: 1, bins: 34),
                        dashed: series.count == 1))
            }
            var chart = LineChart(
                title: "C5's outputs: the recipe as printed against this tool's reading",
                xLabel: "C5 output y ÷ A (±1: the flat tails of the squashing function)",
                yLabel: "share of C5 outputs", series: series)
            chart.subtitle =
                "all 120 units on \(shown) digits; the first two after the same \(Format.count(updates)) training digits, from one seed"
            chart.logY = true
            try ctx.save(chart, as: "saturation-before-after")
            let both = ctx.health.saturatedC5.count - ctx.health.stuckC5.count
            return table.rendered
                + "\nOf the shown network's \(ctx.health.saturatedC5.count) saturated C5 units, \(both) saturate to one sign for some digits and to the other for the rest: yes/no features."
                + "\nSaturated: on ≥ \(Int(100 * UnitHealth.saturatedShare))% of \(shown) digits |y| ≥ \(Cells.value(UnitHealth.saturationLevel, 2))·A; stuck: saturated at the same sign on as many. Errors on the first \(Format.count(check.count)) of the \(ctx.digits.name) digits, ± one standard error."
        },
        "c5-activations": { ctx in
            let c5 = ctx.output(of: "C5").scalars
            var chart = BarChart(
                title: "C5: the 120 units for \(ctx.sampleName)", xLabel: "C5 unit", yLabel: "activation",
                values: c5.map(Double.init), labels: c5.indices.map(String.init))
            chart.labelEvery = 10
            chart.subtitle = "each unit is a 1×1 map: a 5×5 kernel over all 16 S4 maps"
            let A = Double(Activation.amplitude)
            chart.guides = [(A, "+A = \(Cells.value(Activation.amplitude, 4)), the limit of f"), (-A, "−A")]
            try ctx.save(chart, as: "c5-activations")
            let saturated = c5.filter { abs($0) > 0.9 * Activation.amplitude }.count
            return
                "C5 output: \(Format.shape(Array(ctx.output(of: "C5").shape.dropFirst()))); \(saturated) of \(c5.count) units are near saturation (|y| > 90% of 1.7159)."
        },
        "c5-larger-input": { ctx in
            // The same layers on the digit padded to 40×40: C5's maps are no longer 1×1.
            let side = 40, border = (side - 32) / 2
            var x = Tensor(repeating: ctx.net.scaling.background, shape: [1, 1, side, side])
            for r in 0..<32 { for c in 0..<32 { x[0, 0, r + border, c + border] = ctx.input[0, 0, r, c] } }
            var shapes: [String] = ["input \(Format.shape(Array(x.shape.dropFirst())))"]
            for layer in ctx.net.layers where !(layer is FullyConnected || layer is RBFOutput) {
                x = layer.forward(x)
                shapes.append("\(layer.name) \(Format.shape(Array(x.shape.dropFirst())))")
            }
            return "The same trained C1…C5 run on a 40×40 input: " + shapes.joined(separator: " → ")
                + "\nC5 is a convolution layer: on 32×32 its maps happen to be 1×1."
        },
        "c5-counts": { ctx in
            let c5 = ctx.layer("C5", as: Convolution.self)
            return """
                Parameters: \(c5.table.outputMaps) × (\(c5.table.inputMaps) × 25 + 1) = \(Format.count(c5.trainableParameterCount)).
                Connections: the same, \(Format.count(c5.connections(input: Array(ctx.output(of: "S4").shape.dropFirst())))), because each map has a single unit.
                """
        },
    ]
}
