import ArgumentParser
import Foundation
import LeNetCore
import LeNetData
import LeNetLessons
import LeNetModel
import LeNetTraining

extension OptimizerKind: ExpressibleByArgument {}
extension Schedule: ExpressibleByArgument {}

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train LeNet-5 and save its weights (safetensors, PyTorch names) and training log.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Passes over the training digits (default 20).")
    var epochs: Int?
    @Option(help: "Samples per update (default: 1 for paper, as the paper; 32 for keras).")
    var batch: Int?
    @Option(help: "sgd, momentum, nesterov or sdlm (default: sdlm for paper, momentum for keras).")
    var optimizer: OptimizerKind?
    @Option(help: "Learning rate; η for SDLM (default: 0.00005 for paper, 0.01 for keras).")
    var lr: Float?
    @Option(help: "Momentum coefficient for momentum and nesterov.")
    var momentum: Float = 0.9
    @Option(help: "constant, step, cosine or paper (default: constant; paper is the 1998 table, scaled to --lr).")
    var schedule: Schedule?
    @Option(help: "Seed of the initial weights, the shuffles and the distortions.")
    var seed: UInt64 = 0
    @Flag(help: "Distort each training digit at random (shift, scale, squeeze, shear), as the paper's extra patterns.")
    var augment = false
    @Option(help: "Where to save the weights; the log goes beside them (.csv, .json).")
    var save: String = "Output/weights.safetensors"
    @Option(help: "Start from these weights instead of a fresh initialization.")
    var resume: String?

    func validate() throws {
        if let epochs, epochs <= 0 { throw OptionError("--epochs must be a positive whole number, not \(epochs)") }
        if let batch, batch <= 0 { throw OptionError("--batch must be a positive whole number, not \(batch)") }
        if let lr, !(lr.isFinite && lr > 0) { throw OptionError("--lr must be a positive finite number, not \(lr)") }
    }

    var config: TrainingConfig {
        var c = TrainingConfig.defaults(for: model.variant)
        c.epochs = epochs ?? c.epochs
        c.batchSize = batch ?? c.batchSize
        c.optimizer = optimizer ?? c.optimizer
        c.learningRate = lr ?? c.learningRate
        c.momentum = momentum
        c.schedule = schedule ?? c.schedule
        c.seed = seed
        c.augment = augment
        return c
    }

    func run() throws {
        let splits = try model.splits()
        guard let train = splits.train else { throw OptionError("\(splits.source) has no training digits (train-images-idx3-ubyte)") }
        let check = splits.validation ?? splits.test
        let config = self.config
        var trainer = Trainer(config: config, net: try resume.map { try Weights.load($0, variant: config.variant) })
        print("training LeNet-5 (\(config.variant.rawValue)) on \(Format.count(train.count)) digits of \(splits.source): \(config.optimizer.rawValue), lr \(config.learningRate), \(config.schedule.rawValue) schedule, batch \(config.batchSize), \(config.epochs) epochs, seed \(config.seed)\(config.augment ? ", augmented" : "")")
        let progress = ProgressBar()
        for _ in 0..<config.epochs {
            let epoch = trainer.epochsDone + 1
            let record = try trainer.trainEpoch(train, validation: check) { done, total in
                progress.update(label: "epoch \(epoch)/\(config.epochs)", done: done, total: total)
            }
            progress.finish()
            print(TrainingReport.line(record, checkName: splits.validation != nil ? "validation" : "test"))
        }
        try Weights.save(trainer.net, to: save)
        let base = (save as NSString).deletingPathExtension
        try AtomicFile.write(TrainingReport.csv(trainer.log), to: base + ".csv")
        try AtomicFile.write(TrainingReport.json(trainer.log, config: config, source: splits.source), to: base + ".json")
        print("weights written: \(save)\nlog written: \(base).csv, \(base).json")
    }
}
