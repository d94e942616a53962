import LeNetReports
import LeNetFigures
import LeNetModel
import LeNetTraining

/// The figure of `lesson ablation` and lesson 9.
public enum AblationFigures {
    /// Test error of each row, with ± one standard deviation over seeds, beside the paper's 0.95%.
    public static func testErrors(_ report: Ablation.Report) -> BarChart {
        var chart = BarChart(
            title: "From the 1998 LeNet-5 to today's tutorial model, one change at a time",
            xLabel: "row (\(report.path.rawValue) path; see the table for each change)",
            yLabel: "test error (%)",
            values: report.rows.map { 100 * $0.testErrorMean },
            labels: report.rows.map(\.label))
        let seeds = Set(report.rows.map { $0.seeds.count }).sorted().map(String.init).joined(separator: "/")
        chart.subtitle =
            "mean over \(seeds) seeds, whiskers ± 1 standard deviation; \(report.passes) passes; \(report.data)"
        chart.whiskers = report.rows.map { 100 * $0.testErrorStd }
        chart.reference = (100 * PaperFacts.testError, "the paper: \(Format.percent(PaperFacts.testError))")
        chart.highlighted = report.rows.firstIndex { $0.key == "paper" }
        chart.highlightNote = nil
        return chart
    }
}

/// The ablation's table, for the terminal and the lesson.
public enum AblationTable {
    public static func render(_ report: Ablation.Report) -> String {
        var table = TextTable(
            headers: [
                "row", "parameters", "connections", "test error (mean ± sd)", "training error", "time", "vs. row above",
            ],
            alignments: [.left, .right, .right, .right, .right, .right, .left])
        for (i, r) in report.rows.enumerated() {
            let previous = i > 0 ? report.rows[i - 1] : nil
            table.add([
                r.label, Format.count(r.parameters), Format.count(r.connections),
                "\(Format.percent(r.testErrorMean)) ± \(Format.percent(r.testErrorStd)) (\(r.seeds.count) seeds)",
                Format.percent(r.trainingErrorMean), String(format: "%.0f s", r.secondsMean),
                previous.map { comparison(r, $0, in: report) } ?? "",
            ])
        }
        return table.rendered + "\n\n" + report.rows.map { "\($0.label): \($0.name)" }.joined(separator: "\n")
    }

    /// "within noise", or "better by 0.21 points" / "worse by …".
    public static func comparison(_ row: Ablation.Summary, _ previous: Ablation.Summary, in report: Ablation.Report)
        -> String
    {
        if report.withinNoise(row, previous) { return "within noise" }
        let d = row.testErrorMean - previous.testErrorMean
        return String(format: "%@ by %.2f points", d < 0 ? "better" : "worse", 100 * abs(d))
    }
}
