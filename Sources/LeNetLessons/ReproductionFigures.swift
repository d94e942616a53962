import Foundation
import LeNetReports
import LeNetData
import LeNetFigures
import LeNetModel
import LeNetTraining

/// The paper's Figures 5 and 8, drawn from a reproduction's own log and results.
public enum ReproductionFigures {
    /// Figure 5: training and test error after each pass, with the paper's end points.
    public static func errorCurves(testErrors: [ErrorRate], trainingErrors: [ErrorRate], distortions: Bool) -> LineChart
    {
        let pass = { (i: Int, e: ErrorRate) in (x: Double(i + 1), y: e.rate) }
        var series = [
            LineChart.Series(
                name: "test (\(Format.count(testErrors.last?.count ?? 0)) digits)",
                points: testErrors.enumerated().map(pass), markers: true),
            LineChart.Series(
                name: "training (\(Format.count(trainingErrors.last?.count ?? 0)) digits)",
                points: trainingErrors.enumerated().map(pass), dashed: true, markers: true),
        ]
        let passes = Double(PaperFacts.passes)
        series.append(
            LineChart.Series(
                name: String(
                    format: "paper test %.2f%%",
                    100 * (distortions ? PaperFacts.distortedTestError : PaperFacts.testError)),
                points: [(passes, distortions ? PaperFacts.distortedTestError : PaperFacts.testError)], markers: true))
        if !distortions {
            series.append(
                LineChart.Series(
                    name: String(format: "paper training %.2f%%", 100 * PaperFacts.trainingError),
                    points: [(Double(PaperFacts.trainingErrorPass), PaperFacts.trainingError)], markers: true))
        }
        var chart = LineChart(
            title: "Figure 5, reproduced: error rate against training passes",
            xLabel:
                "training pass (\(Format.count(trainingErrors.last?.count ?? 0)) digits\(distortions ? " and 9 distorted copies of each" : "") a pass)",
            yLabel: "error rate", series: series)
        chart.subtitle = "LeNet-5, SDLM with the paper's rate table; log scale; single dots: the paper's figures"
        chart.percentY = true
        chart.logY = true
        chart.minimumWidth = 900
        return chart
    }

    /// Figure 8: every misclassified test digit, captioned "true→answer".
    public static func misclassified(_ evaluation: Evaluation, digits: Digits) -> ImageGrid {
        let tiles = evaluation.misclassified.map { i -> ImageGrid.Tile in
            ImageGrid.Tile(
                caption: "\(evaluation.labels[i])→\(evaluation.predictions[i])",
                values: digits.image(i).map { Float($0) / 255 }, rows: digits.rows, columns: digits.columns)
        }
        return ImageGrid(
            title: "Figure 8, reproduced: the \(tiles.count) misclassified test digits",
            subtitle: "caption: true digit → the network's answer (\(Format.count(evaluation.count)) test digits)",
            tiles: tiles, columns: 12, scale: .shared(.grayscale(low: 0, high: 1)),
            colorBarLabel: "ink (grey level / 255)", tileSize: 56)
    }
}
