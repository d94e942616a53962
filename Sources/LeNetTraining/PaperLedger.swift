import Foundation
import LeNetCore
import LeNetModel

/// An error rate measured on `count` digits, with its binomial standard error.
public struct ErrorRate: Sendable, Equatable, Codable {
    public var errors: Int
    public var count: Int

    public init(errors: Int, count: Int) {
        self.errors = errors
        self.count = count
    }

    /// From a logged rate on `count` digits (the log keeps rates; counts are whole).
    public init(rate: Double, count: Int) {
        self.init(errors: Int((rate * Double(count)).rounded()), count: count)
    }

    public var rate: Double { count == 0 ? 0 : Double(errors) / Double(count) }
    /// √(p(1−p)/n): one standard error of the rate.
    public var standardError: Double { count == 0 ? 0 : (rate * (1 - rate) / Double(count)).squareRoot() }

    /// "0.95% ± 0.10% on 10,000 digits".
    public var described: String {
        String(format: "%.2f%% ± %.2f%% on %@ digits", 100 * rate, 100 * standardError, groupedThousands(count))
    }

    /// Whether the paper's figure is matched: the measured rate is at most `paper`, or `paper`
    /// lies within two standard errors of it (a difference chance alone could make).
    public func matches(paper: Double) -> Bool { rate <= paper || rate - 2 * standardError <= paper }
}

/// The paper's claims of section III.C beside what a reproduction measured.
public struct PaperLedger: Sendable {
    public struct Row: Sendable {
        public var claim: String
        public var paper: String
        public var measured: String
        /// nil when the row is only reported (no claim to hold it to).
        public var holds: Bool?
    }

    public var rows: [Row]

    /// Test error after each pass (the reproduction's log), the training-set error after
    /// each pass, and the final test evaluation.
    public init(testErrors: [ErrorRate], trainingErrors: [ErrorRate], distortions: Bool, net: LeNet5) {
        var rows: [Row] = []
        let paperTest = distortions ? PaperFacts.distortedTestError : PaperFacts.testError
        if let final = testErrors.last {
            rows.append(
                Row(
                    claim: "test error after \(testErrors.count) passes" + (distortions ? ", with distortions" : ""),
                    paper: String(format: "%.2f%%", 100 * paperTest), measured: final.described,
                    holds: final.matches(paper: paperTest)))
            let paperCount =
                distortions
                ? PaperFacts.distortedMisclassified : Int((paperTest * Double(PaperFacts.testDigits)).rounded())
            rows.append(
                Row(
                    claim: "misclassified test digits" + (distortions ? " (Figure 8)" : ""),
                    paper: "\(paperCount) of \(groupedThousands(PaperFacts.testDigits))",
                    measured: "\(final.errors) of \(groupedThousands(final.count))",
                    holds: final.matches(paper: paperTest)))
        }
        if !distortions {
            let pass = min(PaperFacts.trainingErrorPass, trainingErrors.count)
            if pass > 0 {
                let t = trainingErrors[pass - 1]
                rows.append(
                    Row(
                        claim: "training error after \(pass) passes",
                        paper: String(format: "%.2f%%", 100 * PaperFacts.trainingError),
                        measured: t.described, holds: t.matches(paper: PaperFacts.trainingError)))
            }
        } else if let t = trainingErrors.last {
            rows.append(
                Row(
                    claim: "training error after \(trainingErrors.count) passes (60,000 undistorted digits)",
                    paper: "not given",
                    measured: t.described, holds: nil))
        }
        if let settled = PaperLedger.settlingPass(testErrors) {
            rows.append(
                Row(
                    claim: "pass after which the test error settles", paper: "about \(PaperFacts.passesToSettle)",
                    measured: "\(settled)", holds: settled <= PaperFacts.passesToSettle + PaperLedger.aboutPasses))
        }
        let counts = zip(net.layers, net.shapes).map { ($0.0.trainableParameterCount, $0.0.connections(input: $0.1)) }
        let parameters = counts.reduce(0) { $0 + $1.0 }, connections = counts.reduce(0) { $0 + $1.1 }
        rows.append(
            Row(
                claim: "trainable parameters",
                paper: groupedThousands(PaperFacts.layers.compactMap(\.trainableParameters).reduce(0, +)),
                measured: groupedThousands(parameters),
                holds: parameters == PaperFacts.layers.compactMap(\.trainableParameters).reduce(0, +)))
        rows.append(
            Row(
                claim: "connections", paper: groupedThousands(PaperFacts.totalConnections),
                measured: groupedThousands(connections),
                holds: connections == PaperFacts.totalConnections))
        self.rows = rows
    }

    /// The first pass from which every later test error stays within two standard errors of
    /// the last one (differences chance alone could make): where the curve has settled.
    public static func settlingPass(_ errors: [ErrorRate]) -> Int? {
        guard let last = errors.last else { return nil }
        let tolerance = 2 * last.standardError + 1e-12
        var pass = errors.count
        for i in stride(from: errors.count - 1, through: 0, by: -1) {
            if abs(errors[i].rate - last.rate) <= tolerance { pass = i + 1 } else { break }
        }
        return pass
    }

    /// "About 10 passes": within this many passes of it.
    public static let aboutPasses = 3

    public var allHold: Bool { rows.allSatisfy { $0.holds != false } }
}
