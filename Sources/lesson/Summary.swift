import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetModel

struct Summary: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A Keras/torchinfo-style table: shapes, parameters, multiply-adds, activation memory.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Write the table as CSV to this file.")
    var csv: String?

    @Option(help: "Write the table as JSON to this file.")
    var json: String?

    func run() throws {
        let digits = try model.digitsForDisplay()
        let report = ModelReport(
            net: LeNet5(variant: model.variant), input: digits.batch([0], scaling: model.variant.inputScaling))
        let table = ModelTables.summary(report)
        print("LeNet-5, \(model.variant.rawValue) variant\n")
        print(table.rendered)
        if let csv {
            try AtomicFile.write(table.csv, to: csv)
            print("written: \(csv)")
        }
        if let json {
            try AtomicFile.write(ModelTables.summaryJSON(report), to: json)
            print("written: \(json)")
        }
    }
}
