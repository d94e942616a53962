import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetLessons
import LeNetModel
import LeNetTraining

/// `lesson reproduce`: the paper's MNIST experiment (III.C) in one command, and a ledger of
/// its claims beside what this run measured.
struct Reproduce: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "Train LeNet-5 as the paper did (20 passes over 60,000 digits, SDLM, its rate table) and check its results."
    )

    @Option(help: "A folder with full MNIST; default: $LENET5_MNIST, else Data/mnist.")
    var data: String?
    @Flag(help: "Add 9 distorted copies of every training digit (the paper's 540,000): target 0.8%.")
    var distortions = false
    @Option(parsing: .unconditional, help: "Seed of the initial weights, the shuffles and the distortions.")
    var seed: UInt64 = 0
    @Option(parsing: .unconditional, help: "Passes over the training digits.")
    var passes: Int = PaperFacts.passes
    @Option(help: "Write the ledger and the log as JSON to this file.")
    var json: String?
    @Option(help: "Where the weights, log and figures go.")
    var output: String = "Output/reproduce"
    @Option(help: "Figure formats, comma-separated: png, svg, pdf.")
    var format: String = "png,svg,pdf"
    @Option(help: "Continue an interrupted reproduction from its .resume.safetensors file.")
    var resume: String?

    func validate() throws {
        guard passes > 0 else { throw OptionError("--passes must be a positive whole number, not \(passes)") }
    }

    var config: TrainingConfig {
        TrainingConfig.reproduction(passes: passes, seed: seed, distortions: distortions)
    }

    var name: String { distortions ? "paper-distorted-seed\(seed)" : "paper-seed\(seed)" }

    /// The ledger of the last reproduction, as text, in the output folder.
    static let ledgerFile = "ledger.txt"

    func run() throws {
        let formats = try FigureFormat.list(format)
        try OutputFolder.ensureWritable(output)
        if let json {
            // The run's own files in the output folder: its weights, checkpoint and log.
            let own = ["safetensors", "resume.safetensors", "json", "csv"].map {
                ("the run's", "\(output)/\(name).\($0)")
            }
            try OutputPaths.check(outputs: [("--json", json)], inputs: own)
        }
        let splits = try DataSource.resolve(data)
        print(splits.announcement)
        guard let train = splits.train, let test = splits.test else {
            throw OptionError(
                "reproduce needs the 60,000 training and 10,000 test digits: 'lesson data download', or --data DIR with both"
            )
        }
        let weightsPath = "\(output)/\(name).safetensors", resumeFile = "\(output)/\(name).resume.safetensors"
        var trainer = try startingTrainer(splits: splits)
        let c = trainer.config
        print(
            "reproducing LeNet-5 (III.C): \(Format.count(train.count * (1 + c.distortedCopies))) patterns a pass"
                + (distortions
                    ? " (\(Format.count(train.count)) digits + \(c.distortedCopies) distorted copies of each)" : "")
                + ", \(c.passesDescription), seed \(c.seed)")
        let start = Date()
        // The files' content MD5s, for the weights' provenance: worked out on the second core
        // while the first pass trains (nothing else runs there until the pass is evaluated).
        let folder = try data ?? DataSource.fullMNISTFolder() ?? ""
        let contentSums = Background { MNISTFile.contentSums(in: folder) }
        let keep = KeptRun(
            weights: weightsPath, resumeFile: resumeFile,
            resumeCommand: "lesson reproduce \(data.map { "--data \($0) " } ?? "")--output \(output)",
            data: splits.identity, save: { try save($0, to: weightsPath, source: splits.source) })
        try runEpochs(
            &trainer, on: train, check: test, unit: "pass", keep: keep,
            report: { record in
                let t = ErrorRate(rate: record.validationError ?? 0, count: test.count)
                let tr = record.trainingSetError.map { ErrorRate(rate: $0, count: train.count) }
                print(
                    String(
                        format: "pass %2d  η %.0e  loss %.4f  training error %@  test error %@  (%.1f s)", record.epoch,
                        record.learningRate, record.trainLoss, tr.map { Format.percent($0.rate) } ?? "–", t.described,
                        record.seconds))
            })
        let final = Evaluation(net: trainer.net, digits: test)
        let sums = contentSums.value
        try save(
            trainer, to: weightsPath, source: splits.source,
            metadata: Provenance.metadata(
                command: commandLine, seed: seed, test: final, trainingError: trainer.log.last?.trainingSetError,
                data: "\(splits.source)" + (sums.isEmpty ? "" : " (content MD5 \(sums))"), log: trainer.log))
        try? FileManager.default.removeItem(atPath: resumeFile)

        let testErrors = trainer.log.map { ErrorRate(rate: $0.validationError ?? 0, count: test.count) }
        let trainingErrors = trainer.log.compactMap { r in
            r.trainingSetError.map { ErrorRate(rate: $0, count: train.count) }
        }
        let ledger = PaperLedger(
            testErrors: testErrors, trainingErrors: trainingErrors, distortions: distortions, net: trainer.net)
        var table = TextTable(
            headers: ["the paper (III.C)", "paper", "measured", ""], alignments: [.left, .right, .right, .left])
        for row in ledger.rows { table.add([row.claim, row.paper, row.measured, Format.mark(row.holds)]) }
        let heading = "paper ledger (✓: the paper's figure is matched, or lies within two standard errors of ours)"
        print("\n" + heading)
        print(table.rendered)
        // Kept beside the run for the lessons' front page (`lesson all`).
        try AtomicFile.write(
            "\(commandLine), \(splits.source)\n\(heading)\n\(table.rendered)\n", to: "\(output)/\(Reproduce.ledgerFile)"
        )

        for f in formats {
            try ReproductionFigures.errorCurves(
                testErrors: testErrors, trainingErrors: trainingErrors, distortions: distortions
            )
            .write(to: "\(output)/figure5-\(name).\(f.rawValue)")
            try ReproductionFigures.misclassified(final, digits: test).write(
                to: "\(output)/figure8-\(name).\(f.rawValue)")
        }
        print(
            "figures written: \(output)/figure5-\(name).{\(formats.map(\.rawValue).joined(separator: ","))}, \(output)/figure8-\(name).…"
        )
        print("weights written: \(weightsPath)  (\(String(format: "%.0f", Date().timeIntervalSince(start))) s)")
        if let json {
            try AtomicFile.write(ledgerJSON(ledger, final: final, trainer: trainer, source: splits.source), to: json)
            print("ledger written: \(json)")
        }
    }

    /// A checkpoint of an interrupted reproduction continues it exactly.
    func startingTrainer(splits: DataSplits) throws -> Trainer {
        guard let resume else { return Trainer(config: config) }
        guard let data = FileManager.default.contents(atPath: resume) else { throw WeightsError.unreadable(resume) }
        guard try Checkpoint.isCheckpoint(data, file: resume) else {
            throw OptionError("\(resume) is not a checkpoint (a .resume.safetensors file)")
        }
        let trainer = try Checkpoint.decode(data, file: resume)
        var conflicts = try dataConflict(data, file: resume, splits: splits)
        let c = trainer.config
        if seed != 0 && seed != c.seed { conflicts.append(("--seed", "\(seed)", "\(c.seed)")) }
        if passes != PaperFacts.passes && passes != c.epochs {
            conflicts.append(("--passes", "\(passes)", "\(c.epochs)"))
        }
        if distortions && c.distortedCopies == 0 { conflicts.append(("--distortions", "true", "false")) }
        try refuseConflicts(resume, conflicts)
        return trainer
    }

    /// "lesson reproduce --seed 1 --distortions": what made these weights.
    var commandLine: String { Reproduce.commandLine(seed: seed, distortions: distortions, passes: passes) }

    /// The command line of a reproduction with these settings (what `bench --reproduce` times too).
    static func commandLine(seed: UInt64, distortions: Bool = false, passes: Int) -> String {
        "lesson reproduce --seed \(seed)" + (distortions ? " --distortions" : "")
            + (passes != PaperFacts.passes ? " --passes \(passes)" : "")
    }

    func save(_ trainer: Trainer, to path: String, source: String, metadata: [String: String] = [:]) throws {
        try TrainingReport.save(trainer, to: path, source: source, metadata: metadata)
    }

    func ledgerJSON(_ ledger: PaperLedger, final: Evaluation, trainer: Trainer, source: String) throws -> String {
        let train = trainer.log.last?.trainingSetError ?? 0
        let object: [String: Any] = [
            "test_error": final.errorRate, "test_digits": final.count, "misclassified": final.errors,
            "training_error": train, "passes": trainer.log.count, "distortions": distortions, "seed": seed,
            "paper": [
                "test_error": distortions ? PaperFacts.distortedTestError : PaperFacts.testError,
                "training_error": PaperFacts.trainingError,
                "misclassified": distortions ? PaperFacts.distortedMisclassified as Any : NSNull() as Any,
            ] as [String: Any],
            "seconds": trainer.log.reduce(0) { $0 + $1.seconds }, "data": source,
            "ledger": ledger.rows.map {
                [
                    "claim": $0.claim, "paper": $0.paper, "measured": $0.measured,
                    "holds": $0.holds.map { $0 as Any } ?? NSNull(),
                ]
            },
            "log": trainer.log.map { r -> [String: Any] in
                [
                    "pass": r.epoch, "learning_rate": r.learningRate, "train_loss": r.trainLoss,
                    "test_error": r.validationError.map { $0 as Any } ?? NSNull(),
                    "training_error": r.trainingSetError.map { $0 as Any } ?? NSNull(), "seconds": r.seconds,
                ]
            },
        ]
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }
}
