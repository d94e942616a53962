import LeNetReports
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetModel
import LeNetTraining

extension Cells {
    static let lesson7: [String: Cell] = [
        "rbf-scores": { ctx in
            let y = ctx.trace.last!.scalars
            let winner = ctx.net.predictions(ctx.trace.last!)[0]
            var chart = BarChart(
                title: "The 10 RBF penalties for \(ctx.sampleName) (\(ctx.labelText))", xLabel: "class",
                yLabel: "penalty yᵢ = Σⱼ (xⱼ − wᵢⱼ)²", values: y.map(Double.init), labels: (0..<10).map(String.init))
            chart.highlighted = winner
            chart.highlightNote = "smallest"
            try ctx.save(chart, as: "rbf-scores")
            return "Penalties: "
                + y.enumerated().map { "\($0.offset): \(Cells.value($0.element, 1))" }.joined(separator: "  ")
                + "\nPredicted: \(winner) (the smallest penalty); label: \(ctx.sampleLabel)."
        },
        "training-curves": { ctx in
            let log = ctx.model.log
            guard !log.isEmpty else { return "No training log: the weights came from \(ctx.model.origin)." }
            if log.allSatisfy({ $0.trainLoss.isFinite }) {
                var loss = LineChart(
                    title: "Training loss per pass", xLabel: "pass (epoch)", yLabel: "loss (eq. 9)",
                    series: [
                        .init(
                            name: "training loss", points: log.map { (Double($0.epoch), Double($0.trainLoss)) },
                            markers: true)
                    ])
                loss.logY = true
                try ctx.save(loss, as: "loss-curve")
            }
            // Each rate with ±1 standard error for the number of digits it was measured on.
            let trainCount = ctx.model.provenance != nil ? PaperFacts.trainingDigits : ctx.splits.train?.count
            let checkCount = ctx.model.provenance?.testDigits ?? ctx.splits.checkDigits?.count
            func series(_ name: String, _ rates: [(Double, Double)], count: Int?, dashed: Bool) -> LineChart.Series {
                let points = rates.filter { $0.1.isFinite }
                var s = LineChart.Series(
                    name: name + (count.map { " (\(Format.count($0)) digits, ±1 s.e.)" } ?? ""), points: points,
                    dashed: dashed, markers: true)
                s.band = count.map { n in
                    points.map { p in
                        let e = ErrorRate(rate: p.1, count: n).standardError
                        return (p.1 - e, p.1 + e)
                    }
                }
                return s
            }
            var curves = [
                series(
                    "training error", log.map { (Double($0.epoch), $0.trainingSetError ?? $0.trainError) },
                    count: trainCount, dashed: false)
            ]
            let check = ctx.model.checkName
            if log.allSatisfy({ $0.validationError != nil }) {
                curves.append(
                    series(
                        "\(check) error", log.map { (Double($0.epoch), $0.validationError!) }, count: checkCount,
                        dashed: true))
            }
            var errors = LineChart(
                title: "Error rate per pass", xLabel: "pass (epoch)", yLabel: "error rate", series: curves)
            errors.logY = true
            errors.percentY = true
            errors.reference = .init(
                value: PaperFacts.testError, label: "paper, test: \(Format.percent(PaperFacts.testError))")
            try ctx.save(errors, as: "error-curves")
            if ctx.model.provenance != nil {
                return log.map {
                    String(
                        format: "pass %2d  training error %@  test error %@", $0.epoch, Format.percent($0.trainError),
                        Format.percent($0.validationError ?? .nan))
                }.joined(separator: "\n")
            }
            return log.map { TrainingReport.line($0, checkName: check) }.joined(separator: "\n")
        },
        "confusion": { ctx in
            let e = ctx.evaluation
            var heat = HeatMap(
                title: "Confusion matrix on \(Format.count(e.count)) \(ctx.digits.name) digits",
                cells: e.confusion.map { $0.map(Double.init) }, rowLabels: (0..<10).map(String.init),
                columnLabels: (0..<10).map(String.init), rowAxis: "true digit", columnAxis: "predicted")
            heat.subtitle = "error \(e.errors)/\(e.count): \(ErrorRate(errors: e.errors, count: e.count).described)"
            try ctx.save(heat, as: "confusion")
            // The figure is the matrix; the text names the confusions that matter most.
            var pairs: [(truth: Int, answer: Int, count: Int)] = []
            for t in 0..<10 {
                for p in 0..<10 where p != t && e.confusion[t][p] > 0 { pairs.append((t, p, e.confusion[t][p])) }
            }
            pairs.sort { $0.count > $1.count }
            guard !pairs.isEmpty else { return "No digit is confused with another." }
            let named: [String] = pairs.prefix(5).map { "\($0.truth) → \($0.answer): \($0.count)" }
            return "Most frequent confusions (true → predicted): " + named.joined(separator: ", ") + "."
        },
        "misclassified": { ctx in
            let e = ctx.evaluation
            let shown = Array(e.misclassified.prefix(24))
            guard !shown.isEmpty else { return "No digit is misclassified." }
            let tiles = shown.map { i in
                ImageGrid.Tile(
                    caption: "true \(e.labels[i]) → \(e.predictions[i])", values: ctx.digits.image(i).map { Float($0) },
                    rows: ctx.digits.rows, columns: ctx.digits.columns)
            }
            try ctx.save(
                ImageGrid(
                    title: "Misclassified digits (\(shown.count) of \(e.errors))", subtitle: "true label → predicted",
                    tiles: tiles, columns: 8, scale: .shared(.grayscale(low: 0, high: 255)),
                    colorBarLabel: "grey level", tileSize: 84),
                as: "misclassified")
            return "\(e.errors) of \(e.count) digits are misclassified; the figure shows the first \(shown.count)."
        },
        "unit-health": { ctx in
            let h = ctx.health
            return """
                Dead C3 maps: \(h.deadMaps.isEmpty ? "none" : h.deadMaps.map(String.init).joined(separator: ", ")) of \(h.c3.count).
                C5 units saturated on ≥ \(Int(100 * UnitHealth.saturatedShare))% of \(Format.count(h.digits)) digits: \(h.saturatedC5.count) of \(h.c5SaturatedShare.count), of which \(h.stuckC5.count) stuck at one sign.
                """
        },
        "results": { ctx in
            let e = ctx.evaluation
            let measured = ErrorRate(errors: e.errors, count: e.count)
            let isTest = ctx.splits.test != nil
            var t = TextTable(headers: ["", "this network", "paper (III.C)"], alignments: [.left, .right, .right])
            t.add([
                isTest ? "test error" : "error on the \(ctx.digits.name) digits", measured.described,
                "\(Format.percent(PaperFacts.testError)) on \(Format.count(PaperFacts.testDigits)) test digits",
            ])
            if let last = ctx.model.log.last {
                let training = last.trainingSetError ?? last.trainError
                t.add([
                    "training error, pass \(last.epoch)", Format.percent(training),
                    "\(Format.percent(PaperFacts.trainingError)) (pass \(PaperFacts.trainingErrorPass))",
                ])
                t.add(["passes", "\(last.epoch)", "\(PaperFacts.passes)"])
            }
            t.add([
                "training digits",
                ctx.model.provenance != nil
                    ? Format.count(PaperFacts.trainingDigits) : ctx.splits.train.map { Format.count($0.count) } ?? "–",
                Format.count(PaperFacts.trainingDigits),
            ])
            var text = "Weights: \(ctx.model.origin).\n" + t.rendered
            if isTest {
                let verdict =
                    measured.matches(paper: PaperFacts.testError)
                    ? "matches the paper's (it is lower, or the paper's lies within two standard errors of it)"
                    : "is higher than the paper's by more than two standard errors"
                text +=
                    "\nOn the same 10,000 test digits as the paper, this network's error \(verdict). The ± is one standard error, √(p(1−p)/n)."
            } else if ctx.model.provenance != nil {
                text +=
                    "\nThe MNIST test set is not here, so this is not a test error: the \(Format.count(e.count)) digits shown were among the 60,000 the shipped network trained on. Put full MNIST in Data/mnist ('lesson data download') or point $\(DataSource.environmentVariable) at it to measure the test error."
            } else {
                text +=
                    "\nThese \(Format.count(e.count)) digits are a held-out part of the embedded digits, not the paper's 10,000 test digits, and the network trained on \(ctx.splits.train.map { Format.count($0.count) } ?? "few") digits instead of 60,000: the two errors measure different things."
            }
            return text
        },
    ]
}
