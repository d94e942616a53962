import Foundation
import LeNetReports
import LeNetCore
import LeNetData
import LeNetModel
import LeNetTraining

/// The trained network the lessons show, and the log of the run that trained it. The first
/// run trains it and caches weights and log under Output/cache; later runs reuse them.
public struct TrainedModel: Sendable {
    public var net: LeNet5
    public var log: [EpochRecord]
    public var config: TrainingConfig
    /// Where the weights came from, for the lessons' captions.
    public var origin: String
    /// What the log's per-pass check was measured on: "test" or "validation".
    public var checkName: String
    /// Set when the weights are the shipped full-MNIST ones: how they were made.
    public var provenance: Provenance?

    public init(
        net: LeNet5, log: [EpochRecord], config: TrainingConfig, origin: String, checkName: String = "validation",
        provenance: Provenance? = nil
    ) {
        self.net = net
        self.log = log
        self.config = config
        self.origin = origin
        self.checkName = checkName
        self.provenance = provenance
    }

    /// The shipped paper-variant weights (full MNIST, `lesson reproduce`), with their run's
    /// per-pass errors as the log; nil when this build carries none.
    public static func shipped() throws -> TrainedModel? {
        guard ShippedWeights.paper.path != nil else { return nil }
        let (net, p) = try ShippedWeights.paper.load()
        var log = p.passes.enumerated().map { i, e in
            EpochRecord(
                epoch: i + 1,
                learningRate: TrainingConfig.defaults(for: .paper).schedule.rate(
                    base: PaperFacts.rateTable[0].rate, epoch: i, epochs: p.passes.count),
                trainLoss: e.loss ?? .nan, trainError: e.training ?? .nan, validationError: e.test, seconds: 0)
        }
        for i in log.indices { log[i].trainingSetError = p.passes[i].training }
        let measured =
            p.testErrors.flatMap { e in p.testDigits.map { ErrorRate(errors: e, count: $0).described } } ?? "?"
        return TrainedModel(
            net: net, log: log, config: .reproduction(),
            origin: "shipped with the tool: \(p.command ?? "lesson reproduce") on full MNIST (test error \(measured))",
            checkName: "test", provenance: p)
    }

    /// The lessons' recipe: the paper variant's default training (SDLM, online; see
    /// `TrainingConfig.defaults`), shortened to `epochs` passes to keep a cold run short.
    public static func lessonConfig(epochs: Int) -> TrainingConfig {
        var c = TrainingConfig.defaults(for: .paper)
        c.epochs = epochs
        return c
    }

    static func cachePaths(_ output: String) -> (weights: String, log: String, csv: String) {
        let dir = output + "/cache"
        return (dir + "/paper-weights.safetensors", dir + "/paper-log.json", dir + "/paper-log.csv")
    }

    /// The shipped full-MNIST weights unless told otherwise; `weights` loads a file;
    /// `retrain` (or a build without shipped weights) trains on `splits` and caches the result.
    public static func obtain(
        output: String, splits: DataSplits, epochs: Int, retrain: Bool, weights: String?,
        progress: (String, Int, Int) -> Void, epochDone: (EpochRecord) -> Void
    ) throws -> TrainedModel {
        let config = lessonConfig(epochs: epochs)
        if let weights {
            return TrainedModel(
                net: try Weights.load(weights, variant: .paper), log: [], config: config, origin: weights)
        }
        if !retrain, let shipped = try shipped() { return shipped }
        let paths = cachePaths(output)
        if !retrain, FileManager.default.fileExists(atPath: paths.weights),
            FileManager.default.fileExists(atPath: paths.log),
            let log = try? TrainingLogFile.read(paths.log)
        {
            return TrainedModel(
                net: try Weights.load(paths.weights, variant: .paper), log: log, config: config,
                origin: "cached in \(paths.weights)",
                checkName: splits.checkName)
        }
        guard let train = splits.train else { throw DataSourceError.noTrainingDigits(splits.source) }
        var trainer = Trainer(config: config)
        for epoch in 1...config.epochs {
            if let record = try trainer.trainEpoch(
                train, validation: splits.checkDigits,
                progress: { done, total in
                    progress("training epoch \(epoch)/\(config.epochs)", done, total)
                })
            {
                epochDone(record)
            }
        }
        try Weights.save(trainer.net, to: paths.weights)
        try AtomicFile.write(TrainingReport.json(trainer.log, config: config, source: splits.source), to: paths.log)
        try AtomicFile.write(TrainingReport.csv(trainer.log), to: paths.csv)
        return TrainedModel(
            net: trainer.net, log: trainer.log, config: config, origin: "trained now, cached in \(paths.weights)",
            checkName: splits.checkName)
    }
}

/// Reads back the JSON log that `TrainingReport.json` writes.
enum TrainingLogFile {
    struct File: Decodable {
        struct Entry: Decodable {
            var epoch: Int
            var learning_rate: Float
            var train_loss: Float
            var train_error: Double
            var validation_error: Double?
            var seconds: Double
        }
        var log: [Entry]
    }

    static func read(_ path: String) throws -> [EpochRecord] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONDecoder().decode(File.self, from: data).log.map {
            EpochRecord(
                epoch: $0.epoch, learningRate: $0.learning_rate, trainLoss: $0.train_loss, trainError: $0.train_error,
                validationError: $0.validation_error, seconds: $0.seconds)
        }
    }
}
