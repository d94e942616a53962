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

    static func cachePaths(_ output: String) -> (weights: String, log: String, csv: String, key: String) {
        let dir = output + "/cache"
        return (
            dir + "/paper-weights.safetensors", dir + "/paper-weights.json", dir + "/paper-weights.csv",
            dir + "/paper-key.json"
        )
    }

    /// What a cached network was made from: it is reused only for the same variant, passes
    /// and training digits (their place and their content's fingerprint).
    struct CacheKey: Codable, Equatable {
        var variant: String
        var passes: Int
        var data: String
        var trainingDigits: Int
        var fingerprint: String

        init(config: TrainingConfig, splits: DataSplits, train: Digits) {
            variant = config.variant.rawValue
            passes = config.epochs
            data = splits.identity
            trainingDigits = train.count
            fingerprint = train.fingerprint
        }

        /// How `other` (the cache's key) differs from this one, in words.
        func difference(from other: CacheKey) -> String {
            var parts: [String] = []
            if other.variant != variant { parts.append("variant \(other.variant), not \(variant)") }
            if other.passes != passes { parts.append("\(other.passes) passes, not \(passes)") }
            if other.data != data || other.trainingDigits != trainingDigits || other.fingerprint != fingerprint {
                parts.append(
                    "\(other.trainingDigits) training digits from \(other.data), not \(trainingDigits) from \(data)"
                        + (other.data == data && other.trainingDigits == trainingDigits
                            ? " (their content changed)" : ""))
            }
            return parts.joined(separator: "; ")
        }
    }

    /// The shipped full-MNIST weights unless told otherwise; `weights` loads a file;
    /// `retrain` (or a build without shipped weights) trains on `splits` and caches the result.
    /// A cache is reused only when its key matches; a stale or damaged one is rebuilt, and
    /// `origin` says why.
    public static func obtain(
        output: String, splits: DataSplits, epochs: Int, retrain: Bool, weights: String?,
        progress: (String, Int, Int) -> Void, epochDone: (EpochRecord) -> Void
    ) throws -> TrainedModel {
        let config = lessonConfig(epochs: epochs)
        if let weights {
            return TrainedModel(
                net: try Weights.load(weights, variant: .paper), log: [], config: config, origin: weights)
        }
        if !retrain, splits.digitsAreMNIST, let shipped = try shipped() { return shipped }
        guard let train = splits.train else { throw DataSourceError.noTrainingDigits(splits.source) }
        // The shipped weights know MNIST's digits only: other images get a network of their own.
        let notMNIST = !retrain && !splits.digitsAreMNIST && ShippedWeights.paper.path != nil
        let paths = cachePaths(output)
        let key = CacheKey(config: config, splits: splits, train: train)
        var rebuilt = notMNIST ? " on these images (the shipped weights know MNIST's digits only)" : ""
        if !retrain, FileManager.default.fileExists(atPath: paths.key) {
            /// Reads one file of the cache; nil, with the reason noted, when it is damaged.
            func read<T>(_ path: String, _ reader: () throws -> T) -> T? {
                do { return try reader() } catch {
                    rebuilt += " (the cache's \((path as NSString).lastPathComponent) was damaged or missing)"
                    return nil
                }
            }
            if let cached = read(
                paths.key,
                {
                    try JSONDecoder().decode(CacheKey.self, from: Data(contentsOf: URL(fileURLWithPath: paths.key)))
                })
            {
                if cached != key {
                    rebuilt += " (the cache held \(key.difference(from: cached)))"
                } else if let net = read(paths.weights, { try Weights.load(paths.weights, variant: .paper) }),
                    let log = read(paths.log, { try TrainingLog.read(paths.log).log })
                {
                    return TrainedModel(
                        net: net, log: log, config: config, origin: "cached in \(paths.weights)",
                        checkName: splits.checkName)
                }
            }
        } else if !retrain, FileManager.default.fileExists(atPath: paths.weights) {
            rebuilt += " (the cache did not say what it was made from)"
        }
        // The key goes first and last: a run killed half-way leaves no key, so no mix of two runs.
        try? FileManager.default.removeItem(atPath: paths.key)
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
        try TrainingReport.save(trainer, to: paths.weights, source: splits.source)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(key), to: paths.key)
        return TrainedModel(
            net: trainer.net, log: trainer.log, config: config,
            origin: "trained now\(rebuilt), cached in \(paths.weights)",
            checkName: splits.checkName)
    }
}
