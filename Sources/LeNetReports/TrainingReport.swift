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

    public static func json(_ log: [EpochRecord], config: TrainingConfig, source: String) -> String {
        let object: [String: Any] = [
            "variant": config.variant.rawValue, "optimizer": config.optimizer.rawValue,
            "learning_rate": config.learningRate,
            "schedule": config.schedule.rawValue, "batch": config.batchSize, "epochs": config.epochs,
            "seed": config.seed,
            "augment": config.augment, "data": source,
            "log": log.map { r -> [String: Any] in
                // JSON has no NaN: a number that is not finite is written as null.
                func number(_ v: Double) -> Any { v.isFinite ? v : NSNull() }
                var e: [String: Any] = [
                    "epoch": r.epoch, "learning_rate": r.learningRate, "train_loss": number(Double(r.trainLoss)),
                    "train_error": number(r.trainError), "seconds": r.seconds,
                ]
                if let v = r.validationError { e["validation_error"] = number(v) }
                if let v = r.trainingSetError { e["training_set_error"] = number(v) }
                return e
            },
        ]
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        else { return "{}\n" }
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
