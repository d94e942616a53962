import ArgumentParser
import Foundation
import LeNetCore
import LeNetLessons
import LeNetModel
import LeNetTraining

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test error and confusion matrix of saved weights.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Weights to evaluate (safetensors).")
    var weights: String

    @Option(help: "Write one row per image: its 10 outputs (RBF penalties for paper, pre-softmax logits for keras).")
    var dumpLogits: String?

    func run() throws {
        var net = try Weights.load(weights, variant: model.variant)
        net.path = model.path
        let splits = try model.splits()
        guard let digits = splits.test ?? splits.validation ?? splits.train else { throw OptionError("no digits in \(splits.source)") }
        let result = Evaluation(net: net, digits: digits)
        print("\(digits.name) digits of \(splits.source)")
        print("test error: \(result.errors)/\(result.count) = \(Format.percent(result.errorRate))")
        print("\nconfusion matrix (rows: true digit, columns: predicted)")
        print(TrainingReport.confusionTable(result.confusion).rendered)
        if let dumpLogits {
            let rows = (0..<result.count).map { s in (0..<10).map { "\(result.outputs[s, $0])" }.joined(separator: ",") }
            try AtomicFile.write(rows.joined(separator: "\n") + "\n", to: dumpLogits)
            print("outputs written: \(dumpLogits)")
        }
    }
}
