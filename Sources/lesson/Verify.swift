import ArgumentParser
import LeNetReports
import LeNetData
import LeNetModel

struct Verify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a digit through LeNet-5 and check every shape and count against the paper.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Seed of the initial weights.")
    var seed: UInt64 = 0

    func run() throws {
        let digits = try model.digitsForDisplay()
        var net = LeNet5(variant: model.variant, seed: seed)
        net.path = model.path
        let report = ModelReport(net: net, input: digits.batch([0], scaling: model.variant.inputScaling))
        print(
            "LeNet-5, \(model.variant.rawValue) variant: a forward pass on \(digits.name) digit 0 (label \(digits.labels[0]))\n"
        )
        print(ModelTables.verification(report).rendered)
        switch model.variant {
        case .paper:
            print(
                report.matchesPaper
                    ? "\nEvery shape and count matches the paper." : "\nSome figures differ from the paper (✗).")
            if !report.matchesPaper { throw ExitCode(1) }
        case .keras:
            let paper = ModelReport(net: LeNet5(variant: .paper), input: digits.batch([0], scaling: .paper))
            print("\n" + ModelTables.kerasDifferences(keras: report, paper: paper))
        }
    }
}
