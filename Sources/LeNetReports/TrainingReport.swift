import Foundation
import LeNetCore
import LeNetTraining

/// Training logs and results as text, CSV and JSON.
public enum TrainingReport {
    /// A run's weights at `path` and its log beside them (.csv, .json), written as a set
    /// (`AtomicFile.writeSet`): never the weights of one run beside the log of another.
    public static func save(
        _ trainer: Trainer, to path: String, source: String, metadata: [String: String] = [:]
    ) throws {
        let base = (path as NSString).deletingPathExtension
        try AtomicFile.writeSet([
            (Weights.encode(trainer.net, metadata: metadata), path),
            (Data(csv(trainer.log).utf8), base + ".csv"),
            (Data(json(trainer.log, config: trainer.config, source: source).utf8), base + ".json"),
        ])
    }

    public static func line(_ r: EpochRecord, checkName: String) -> String {
        var s = String(
            format: "epoch %2d  lr %.2g  loss %.4f  train error %@", r.epoch, r.learningRate, r.trainLoss,
            Format.percent(r.trainError))
        if let v = r.validationError { s += "  \(checkName) error \(Format.percent(v))" }
        return s + String(format: "  (%.1f s)", r.seconds)
    }

    public static func csv(_ log: [EpochRecord]) -> String {
        var table = TextTable(headers: [
            "epoch", "learning_rate", "train_loss", "train_error", "validation_error", "seconds",
        ])
        for r in log {
            table.add([
                "\(r.epoch)", "\(r.learningRate)", "\(r.trainLoss)", "\(r.trainError)",
                r.validationError.map { "\($0)" } ?? "", "\(r.seconds)",
            ])
        }
        return table.csv
    }

    /// The run's log as JSON: its recipe and one record per epoch (`TrainingLog`).
    public static func json(_ log: [EpochRecord], config: TrainingConfig, source: String) -> String {
        let file = TrainingLog(config: config, source: source, log: log)
        guard let data = try? TrainingLog.encoder.encode(file) else { return "{}\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    public static func confusionTable(_ m: [[Int]]) -> TextTable {
        var t = TextTable(
            headers: ["true ↓ predicted →"] + (0..<10).map(String.init),
            alignments: [.left] + Array(repeating: .right, count: 10))
        for (d, row) in m.enumerated() { t.add(["\(d)"] + row.map(String.init)) }
        return t
    }
}

/// The JSON log file a run writes beside its weights, and reads back (the lessons' cache):
/// one Codable type for both directions, its epochs the trainer's own `EpochRecord`s, with
/// snake_case keys. A number that is not finite is written as the string "nan", "inf" or
/// "-inf" (JSON has no such numbers).
public struct TrainingLog: Codable, Equatable {
    public var variant: String
    public var optimizer: String
    public var learningRate: Float
    public var schedule: String
    public var batch: Int
    public var epochs: Int
    public var seed: UInt64
    public var augment: Bool
    public var data: String
    public var log: [EpochRecord]

    public init(config: TrainingConfig, source: String, log: [EpochRecord]) {
        variant = config.variant.rawValue
        optimizer = config.optimizer.rawValue
        learningRate = config.learningRate
        schedule = config.schedule.rawValue
        batch = config.batchSize
        epochs = config.epochs
        seed = config.seed
        augment = config.augment
        data = source
        self.log = log
    }

    static var encoder: JSONEncoder {
        let e = EpochRecord.jsonEncoder
        e.outputFormatting.insert(.prettyPrinted)
        return e
    }

    static var decoder: JSONDecoder { EpochRecord.jsonDecoder }

    /// Reads a log file `TrainingReport.json` wrote.
    public static func read(_ path: String) throws -> TrainingLog {
        try decoder.decode(TrainingLog.self, from: Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
