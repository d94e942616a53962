import LeNetReports
import LeNetCore
import LeNetFigures
import LeNetModel
import LeNetTraining

extension Cells {
    static let lesson9: [String: Cell] = [
        "ablation-table": { ctx in
            let report = try ctx.ablation.get()
            return "Measured on \(report.data), \(report.passes) passes per run; made by `\(report.command)`.\n\n"
                + AblationTable.render(report)
        },
        "ablation-chart": { ctx in
            try ctx.save(AblationFigures.testErrors(try ctx.ablation.get()), as: "ablation")
            return "The bars are the mean test error of each row; the whiskers, one standard deviation over seeds."
        },
        "ablation-costs": { ctx in
            let rows = Ablation.rows(.cumulative)
            func row(_ key: String) -> Ablation.Row { rows.first { $0.key == key }! }
            let paper = row("paper"), full = row("full-c3"), pooled = row("average-pooling"), dense = row("softmax")
            let c3 = { (r: Ablation.Row) in r.network.layer(named: "C3")!.connections(input: [6, 14, 14]) }
            return """
                Table I: C3 has \(Format.count(c3(paper))) connections and \(Format.count(paper.network.layer(named: "C3")!.trainableParameterCount)) parameters; \
                a full C3 has \(Format.count(c3(full))) and \(Format.count(full.network.layer(named: "C3")!.trainableParameterCount)): \
                Table I saves \(Format.count(c3(full) - c3(paper))) multiply-adds per digit (\(Format.percent(Double(c3(full) - c3(paper)) / Double(full.connections), digits: 0)) of the full network's).
                Trainable subsampling: \(full.parameters - pooled.parameters) parameters in all (a β and a b per map of S2 and S4).
                Output: the RBF's \(Format.count(RBFCodes.matrix.scalars.count)) weights are fixed codes; the dense layer trains \(Format.count(dense.network.layers.last!.trainableParameterCount)).
                """
        },
        "ablation-noise": { ctx in
            let report = try ctx.ablation.get()
            guard let first = report.rows.first else { return "The table has no rows yet." }
            let oneRun = ErrorRate(rate: first.testErrorMean, count: first.testDigits)
            var lines = [
                "One run's error on \(Format.count(first.testDigits)) digits carries a binomial standard error of "
                    + "\(Format.percent(oneRun.standardError)) near \(Format.percent(oneRun.rate)); "
                    + "the seeds' spread says how much training itself varies. Row by row:"
            ]
            for (i, r) in report.rows.enumerated().dropFirst() {
                let previous = report.rows[i - 1]
                let verdict =
                    report.withinNoise(r, previous)
                    ? "within the noise: this change cannot be told apart from no change"
                    : AblationTable.comparison(r, previous, in: report) + ", more than twice the seeds' standard error"
                lines.append(
                    "- \(r.label) (\(r.name)): \(Format.percent(previous.testErrorMean)) → \(Format.percent(r.testErrorMean)), \(verdict)"
                )
            }
            if let paper = report.rows.first(where: { $0.key == "paper" }),
                let keras = report.rows.first(where: { $0.key == "keras" })
            {
                lines.append(
                    "End to end, the paper's network against the seed's Keras model: "
                        + (report.withinNoise(paper, keras)
                            ? "within the noise." : AblationTable.comparison(keras, paper, in: report) + "."))
            }
            return lines.joined(separator: "\n")
        },
    ]
}
