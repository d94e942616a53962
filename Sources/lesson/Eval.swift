import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetModel
import LeNetTraining

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test error and confusion matrix of saved weights.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Weights to evaluate (safetensors); default: the variant's shipped full-MNIST weights.")
    var weights: String?

    @Option(
        help:
            "The inputs the weights were trained on, for files that do not record it: paper (−0.1/1.175), standard ((p/255 − 0.1307)/0.3081) or unit (p/255)."
    )
    var scaling: InputScaling?

    @Option(help: "Write one row per image: its 10 outputs (RBF penalties for paper, pre-softmax logits for keras).")
    var dumpLogits: String?

    func run() throws {
        if let dumpLogits {
            try OutputPaths.check(
                outputs: [("--dump-logits", dumpLogits)], inputs: weights.map { [("--weights", $0)] } ?? [])
        }
        let chosen = try ChosenWeights(weights, variant: model.variant, scaling: scaling)
        var net = chosen.net
        print("weights: \(chosen.origin)")
        print(chosen.scalingLine)
        net.path = model.path
        let splits = try model.splits()
        print(splits.announcement)
        guard let digits = splits.shownDigits, digits.count > 0 else {
            throw OptionError("\(splits.source) has no digits to evaluate on")
        }
        let result = Evaluation(net: net, digits: digits)
        let rate = ErrorRate(errors: result.errors, count: result.count)
        print("\(digits.name) error: \(result.errors)/\(result.count) = \(rate.described)")
        if weights == nil && splits.test == nil {
            print(
                "note: the shipped weights were trained on all 60,000 MNIST training digits, these included, so this is not a test error"
            )
        }
        print("\nconfusion matrix (rows: true digit, columns: predicted)")
        print(TrainingReport.confusionTable(result.confusion).rendered)
        if let dumpLogits {
            let rows = (0..<result.count).map { s in (0..<10).map { "\(result.outputs[s, $0])" }.joined(separator: ",")
            }
            try AtomicFile.write(rows.joined(separator: "\n") + "\n", to: dumpLogits)
            print("outputs written: \(dumpLogits)")
        }
    }
}
