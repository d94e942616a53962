import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetLessons
import LeNetModel
import LeNetTraining

extension Ablation.Path: ExpressibleByArgument {}

/// `lesson ablation`: the paper's LeNet-5 changed one idea at a time into the seed's Keras
/// and DL4J models, each row trained and measured the same way over several seeds.
struct AblationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ablation",
        abstract:
            "Measure what each of the paper's ideas is worth: from its LeNet-5 to today's tutorial model, one change at a time."
    )

    @Option(
        help:
            "A folder with MNIST; default: full MNIST from $LENET5_MNIST or Data/mnist, else the embedded 5,000 digits."
    )
    var data: String?
    @Option(parsing: .unconditional, help: "Passes over the training digits, for every row.")
    var passes: Int = PaperFacts.passes
    @Option(parsing: .unconditional, help: "Seeds per row (0, 1, …).")
    var seeds: Int = 3
    @Option(
        help: "cumulative: each change on top of the previous ones; single: each change alone on the paper's network.")
    var path: Ablation.Path = .cumulative
    @Option(
        help:
            "Only train these rows (comma-separated keys, e.g. paper,full-c3); the table shows every row that has runs."
    )
    var rows: String?
    @Flag(help: "Train again rows whose runs are already in the output folder.")
    var rerun = false
    @Option(help: "Where the runs, the table, the JSON and the chart go.")
    var output: String = "Output/ablation"
    @Option(help: "Also write the report's JSON here.")
    var json: String?
    @Option(help: "Also write the table as CSV here.")
    var csv: String?
    @Option(help: "Figure formats, comma-separated: png, svg, pdf.")
    var format: String = "png,svg"

    func validate() throws {
        guard passes > 0 else { throw OptionError("--passes must be a positive whole number, not \(passes)") }
        guard seeds > 0, seeds <= 100 else { throw OptionError("--seeds must be between 1 and 100, not \(seeds)") }
    }

    /// The rows this invocation trains.
    func chosenRows() throws -> [Ablation.Row] {
        let all = Ablation.rows(path)
        guard let rows else { return all }
        let keys = rows.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        for key in keys where !all.contains(where: { $0.key == key }) {
            throw OptionError(
                "no row '\(key)' in the \(path.rawValue) path: use \(all.map(\.key).joined(separator: ", "))")
        }
        return all.filter { keys.contains($0.key) }
    }

    var runsFolder: String { "\(output)/runs" }

    func run() throws {
        let formats = try FigureFormat.list(format)
        let chosen = try chosenRows()
        try OutputFolder.ensureWritable(runsFolder)
        let splits = try DataSource.resolve(data)
        print(splits.announcement)
        guard let train = splits.train, let test = splits.heldOut, train.count > 0, test.count > 0
        else {
            throw OptionError("the ablation needs training digits and test (or held-out) digits: \(splits.source)")
        }
        let measuredOn =
            splits.test != nil
            ? "the \(Format.count(test.count)) test digits"
            : "\(Format.count(test.count)) held-out digits (no test set)"
        print(
            "ablation, \(path.rawValue) path: \(Format.count(train.count)) training digits, \(passes) passes, \(seeds) seeds a row; errors on \(measuredOn)"
        )

        let store = Ablation.Store(folder: runsFolder, passes: passes, data: splits.identity)
        let interrupt = Interrupt()
        let progress = ProgressBar()
        for row in chosen {
            for seed in 0..<seeds {
                let obtained = try store.obtain(
                    row, seed: seed, again: rerun, train: train, test: test, shouldStop: { interrupt.requested },
                    progress: {
                        progress.update(label: "\(row.key) seed \(seed) pass \($0)/\(passes)", done: $1, total: $2)
                    })
                progress.finish()
                guard let (run, kept) = obtained else {
                    print(
                        "interrupted during \(row.key), seed \(seed); finished runs are kept in \(runsFolder): run the same command to go on"
                    )
                    throw ExitCode(130)
                }
                if kept {
                    print(
                        "\(row.key), seed \(seed): kept from an earlier run, test error \(Format.percent(run.testError))"
                    )
                    continue
                }
                print(
                    "\(row.key), seed \(seed): test error \(ErrorRate(rate: run.testError, count: run.testDigits).described), "
                        + "training error \(Format.percent(run.trainingError)), \(String(format: "%.0f", run.seconds)) s"
                )
            }
        }

        // The table holds every row of the path whose runs are all there, whoever trained them.
        let report = store.report(path, seeds: seeds, command: commandLine, description: splits.summary)
        let summaries = report.rows
        print("")
        print(AblationTable.render(report))
        let missing = Ablation.rows(path).map(\.key).filter { key in !summaries.contains { $0.key == key } }
        if !missing.isEmpty { print("not yet run with \(seeds) seeds: \(missing.joined(separator: ", "))") }

        let encoded = try report.encoded()
        try AtomicFile.write(encoded, to: "\(output)/ablation.json")
        try AtomicFile.write(report.csv, to: "\(output)/ablation.csv")
        if let json { try AtomicFile.write(encoded, to: json) }
        if let csv { try AtomicFile.write(report.csv, to: csv) }
        if !summaries.isEmpty {
            for f in formats { try AblationFigures.testErrors(report).write(to: "\(output)/ablation.\(f.rawValue)") }
        }
        print(
            "written: \(output)/ablation.json, ablation.csv"
                + (summaries.isEmpty ? "" : ", ablation.{\(formats.map(\.rawValue).joined(separator: ","))}"))
    }

    /// What made this table: the command a reader can run again.
    var commandLine: String {
        "lesson ablation --path \(path.rawValue) --passes \(passes) --seeds \(seeds)"
            + (data.map { " --data \($0)" } ?? "")
    }
}
