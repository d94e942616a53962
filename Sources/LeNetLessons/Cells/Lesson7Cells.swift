import LeNetCore
import LeNetFigures
import LeNetModel
import LeNetTraining

extension Cells {
    static let lesson7: [String: Cell] = [
        "rbf-scores": { ctx in
            let y = ctx.trace.last!.scalars
            let winner = ctx.net.predictions(ctx.trace.last!)[0]
            var chart = BarChart(title: "The 10 RBF penalties for digit \(ctx.sample) (label \(ctx.sampleLabel))", xLabel: "class",
                                 yLabel: "penalty yᵢ = Σⱼ (xⱼ − wᵢⱼ)²", values: y.map(Double.init), labels: (0..<10).map(String.init))
            chart.highlighted = winner
            chart.highlightNote = "smallest"
            try ctx.save(chart, as: "rbf-scores")
            return "Penalties: " + y.enumerated().map { "\($0.offset): \(Cells.value($0.element, 1))" }.joined(separator: "  ") + "\nPredicted: \(winner) (the smallest penalty); label: \(ctx.sampleLabel)."
        },
        "training-curves": { ctx in
            let log = ctx.model.log
            guard !log.isEmpty else { return "No training log: the weights came from \(ctx.model.origin)." }
            var loss = LineChart(title: "Training loss per pass", xLabel: "pass (epoch)", yLabel: "loss (eq. 9)",
                                 series: [.init(name: "training loss", points: log.map { (Double($0.epoch), Double($0.trainLoss)) }, markers: true)])
            loss.logY = true
            try ctx.save(loss, as: "loss-curve")
            var series = [LineChart.Series(name: "training error", points: log.map { (Double($0.epoch), $0.trainError) }, markers: true)]
            if log.allSatisfy({ $0.validationError != nil }) {
                series.append(.init(name: "validation error", points: log.map { (Double($0.epoch), $0.validationError!) }, dashed: true, markers: true))
            }
            var errors = LineChart(title: "Error rate per pass", xLabel: "pass (epoch)", yLabel: "error rate", series: series)
            errors.logY = true
            errors.percentY = true
            errors.reference = .init(value: PaperFacts.testError, label: "paper, test: \(Format.percent(PaperFacts.testError))")
            try ctx.save(errors, as: "error-curves")
            return log.map { TrainingReport.line($0, checkName: "validation") }.joined(separator: "\n")
        },
        "confusion": { ctx in
            let e = ctx.evaluation
            var heat = HeatMap(title: "Confusion matrix on \(Format.count(e.count)) \(ctx.digits.name) digits",
                               cells: e.confusion.map { $0.map(Double.init) }, rowLabels: (0..<10).map(String.init),
                               columnLabels: (0..<10).map(String.init), rowAxis: "true digit", columnAxis: "predicted")
            heat.subtitle = "error \(e.errors)/\(e.count) = \(Format.percent(e.errorRate))"
            try ctx.save(heat, as: "confusion")
            return TrainingReport.confusionTable(e.confusion).rendered
        },
        "misclassified": { ctx in
            let e = ctx.evaluation
            let shown = Array(e.misclassified.prefix(24))
            guard !shown.isEmpty else { return "No digit is misclassified." }
            let tiles = shown.map { i in
                ImageGrid.Tile(caption: "true \(e.labels[i]) → \(e.predictions[i])", values: ctx.digits.image(i).map { Float($0) }, rows: ctx.digits.rows, columns: ctx.digits.columns)
            }
            try ctx.save(ImageGrid(title: "Misclassified digits (\(shown.count) of \(e.errors))", subtitle: "true label → predicted",
                                   tiles: tiles, columns: 8, scale: .shared(.grayscale(low: 0, high: 255)), colorBarLabel: "grey level", tileSize: 84),
                         as: "misclassified")
            return "\(e.errors) of \(e.count) digits are misclassified; the figure shows the first \(shown.count)."
        },
        "results": { ctx in
            let e = ctx.evaluation
            var t = TextTable(headers: ["", "this run", "paper (III.C)"], alignments: [.left, .right, .right])
            t.add(["error on \(ctx.digits.name) digits", Format.percent(e.errorRate), Format.percent(PaperFacts.testError) + " (test)"])
            if let last = ctx.model.log.last {
                t.add(["training error, last pass", Format.percent(last.trainError), Format.percent(PaperFacts.trainingError)])
                t.add(["passes", "\(last.epoch)", "\(PaperFacts.passes)"])
            }
            t.add(["training digits", ctx.splits.train.map { Format.count($0.count) } ?? "–", "60,000"])
            return "Weights: \(ctx.model.origin).\n" + t.rendered
        },
    ]
}
