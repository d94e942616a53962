import ArgumentParser
import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetLessons
import LeNetModel
import LeNetTraining

extension OptimizerKind: ExpressibleByArgument {}
extension Schedule: ExpressibleByArgument {}
extension Initialization: ExpressibleByArgument {}
extension SeedExample: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train LeNet-5 and save its weights (safetensors, PyTorch names) and training log.")

    @OptionGroup var model: ModelOptions

    @Option(parsing: .unconditional, help: "Passes over the training digits (default 20).")
    var epochs: Int?
    @Option(parsing: .unconditional, help: "Samples per update (default: 1 for paper, as the paper; 32 for keras).")
    var batch: Int?
    @Option(help: "sgd, momentum, nesterov or sdlm (default: sdlm for paper, momentum for keras).")
    var optimizer: OptimizerKind?
    @Option(
        parsing: .unconditional,
        help:
            "Learning rate; η for SDLM, its first pass's (default: 0.0005 for paper, the table's start; 0.01 for keras)."
    )
    var lr: Float?
    @Option(parsing: .unconditional, help: "Momentum coefficient for momentum and nesterov.")
    var momentum: Float?
    @Option(
        help:
            "constant, step, cosine or paper (the 1998 table, scaled to --lr; default: paper for paper, constant for keras)."
    )
    var schedule: Schedule?
    @Option(parsing: .unconditional, help: "Seed of the initial weights, the shuffles and the distortions.")
    var seed: UInt64?
    @Option(
        help:
            "Initial weights: paper (±√3/√fan-in: sums of unit variance, Appendix A's aim), paper-literal (±2.4/fan-in, as printed), glorot or pytorch (default: paper for paper, glorot for keras)."
    )
    var initialization: Initialization?
    @Option(
        parsing: .unconditional,
        help:
            "SDLM: share of the earlier curvature estimate kept at each pass's re-estimate, 0…1 (default 0.7; 0 is the paper as printed)."
    )
    var curvatureMemory: Float?
    @Flag(help: "Distort each training digit at random (shift, scale, squeeze, shear), as the paper's extra patterns.")
    var augment = false
    @Flag(help: "On the embedded digits: train on all 5,000, with no validation split.")
    var noValidation = false
    @Option(
        help:
            "Train one of the seed article's examples as it gives it: keras (tanh, average pooling, softmax) or dl4j (linear C1 and C3, Nesterov momentum, lr 0.006, momentum 0.9); the keras variant's weights."
    )
    var seedExample: SeedExample?

    @Option(help: "Where to save the weights; the log goes beside them (.csv, .json).")
    var save: String = "Output/weights.safetensors"
    @Option(help: "Start from these weights instead of a fresh initialization.")
    var resume: String?

    func validate() throws {
        if let epochs, epochs <= 0 { throw OptionError("--epochs must be a positive whole number, not \(epochs)") }
        if let batch, batch <= 0 { throw OptionError("--batch must be a positive whole number, not \(batch)") }
        if let lr, !(lr.isFinite && lr > 0) { throw OptionError("--lr must be a positive finite number, not \(lr)") }
        if let momentum, !(momentum.isFinite && (0..<1).contains(momentum)) {
            throw OptionError("--momentum must be a number from 0 up to 1 (not 1), not \(momentum)")
        }
        guard save.hasSuffix(".safetensors") else {
            throw OptionError(
                "--save must name a .safetensors file (the log goes beside it as .csv and .json), not \(save)")
        }
        if let curvatureMemory, !(0...1).contains(curvatureMemory) {
            throw OptionError("--curvature-memory must be between 0 and 1, not \(curvatureMemory)")
        }
    }

    var config: TrainingConfig {
        var c = seedExample?.config ?? TrainingConfig.defaults(for: model.variant)
        c.epochs = epochs ?? c.epochs
        c.batchSize = batch ?? c.batchSize
        c.optimizer = optimizer ?? c.optimizer
        c.learningRate = lr ?? c.learningRate
        c.momentum = momentum ?? c.momentum
        c.schedule = schedule ?? c.schedule
        c.seed = seed ?? 0
        c.augment = augment
        c.initialization = initialization ?? c.initialization
        c.curvatureMemory = curvatureMemory ?? c.curvatureMemory
        return c
    }

    func run() throws {
        let splits = try model.splits(validationPerClass: noValidation ? 0 : DataSource.validationPerClass)
        print(splits.announcement)
        guard let train = splits.train else {
            throw OptionError("\(splits.source) has no training digits (train-images-idx3-ubyte)")
        }
        let check = splits.checkDigits
        try AtomicFile.checkWritable(save)
        var trainer = try startingTrainer(splits: splits)
        trainer.net.path = model.path
        let config = trainer.config
        let resumeFile = (save as NSString).deletingPathExtension + ".resume.safetensors"
        if trainer.epochsDone > 0 || trainer.inProgress != nil {
            print(
                "resuming after \(trainer.epochsDone) epochs"
                    + (trainer.inProgress.map { " and \($0.position) digits of epoch \($0.epoch + 1)" } ?? ""))
        }
        print(
            "training LeNet-5 (\(config.variant.rawValue)\(seedExample.map { ", the seed's \($0.label) example" } ?? "")) on \(Format.count(train.count)) digits of \(splits.source): \(config.passesDescription), seed \(config.seed)\(config.augment ? ", augmented" : "")"
        )
        let keep = KeptRun(
            weights: save, resumeFile: resumeFile,
            resumeCommand: "lesson train \(model.data.map { "--data \($0) " } ?? "")--save \(save)",
            data: splits.identity, save: { try saveResults($0, source: splits.source) })
        try runEpochs(
            &trainer, on: train, check: check, unit: "epoch", keep: keep,
            report: { print(TrainingReport.line($0, checkName: splits.checkName)) })
        // The finished weights carry how they were made, and their test error when the test set is here.
        var provenance: [String: String] = [:]
        if let test = splits.test {
            provenance = Provenance.metadata(
                command: (["lesson"] + CommandLine.arguments.dropFirst()).joined(separator: " "),
                seed: config.seed, test: Evaluation(net: trainer.net, digits: test),
                trainingError: nil, data: splits.source, log: trainer.log)
        }
        try saveResults(trainer, source: splits.source, metadata: provenance)
        try? FileManager.default.removeItem(atPath: resumeFile)
        let base = (save as NSString).deletingPathExtension
        print("weights written: \(save)\nlog written: \(base).csv, \(base).json")
        print(String(format: "peak memory %.0f MB", Benchmark.peakMemoryMB()))
    }

    /// A checkpoint continues its run exactly; plain weights start a new run from them.
    func startingTrainer(splits: DataSplits) throws -> Trainer {
        guard let resume else { return Trainer(config: config) }
        guard let data = FileManager.default.contents(atPath: resume) else { throw WeightsError.unreadable(resume) }
        if try Checkpoint.isCheckpoint(data, file: resume) {
            let trainer = try Checkpoint.decode(data, file: resume)
            let c = trainer.config
            var conflicts = try dataConflict(data, file: resume, splits: splits)
            func differs<T: Equatable>(_ option: String, _ given: T?, _ saved: T) {
                if let given, given != saved { conflicts.append((option, "\(given)", "\(saved)")) }
            }
            differs("--epochs", epochs, c.epochs)
            differs("--batch", batch, c.batchSize)
            differs("--optimizer", optimizer?.rawValue, c.optimizer.rawValue)
            differs("--lr", lr, c.learningRate)
            differs("--momentum", momentum, c.momentum)
            differs("--schedule", schedule?.rawValue, c.schedule.rawValue)
            differs("--seed", seed, c.seed)
            differs(
                "--initialization", initialization?.rawValue, (c.initialization ?? .default(for: c.variant)).rawValue)
            differs("--curvature-memory", curvatureMemory, c.curvatureMemory)
            if augment != c.augment { conflicts.append(("--augment", "\(augment)", "\(c.augment)")) }
            if c.variant != config.variant {
                conflicts.append(("--variant", config.variant.rawValue, c.variant.rawValue))
            }
            try refuseConflicts(resume, conflicts)
            return trainer
        }
        return Trainer(config: config, net: try Weights.decode(data, file: resume, variant: config.variant))
    }

    func saveResults(_ trainer: Trainer, source: String, metadata: [String: String] = [:]) throws {
        try TrainingReport.save(trainer, to: save, source: source, metadata: metadata)
    }
}

/// Ctrl-C asks training to stop after the current step; a second Ctrl-C ends the process.
final class Interrupt: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    private let source: DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in
            signal(SIGINT, SIG_DFL)
            self?.lock.withLock { self?.flag = true }
        }
        source.resume()
    }

    var requested: Bool { lock.withLock { flag } }
}
