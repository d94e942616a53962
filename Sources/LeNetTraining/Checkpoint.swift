import Foundation
import LeNetCore
import LeNetModel

/// A training run saved mid-way: weights, optimizer state, the log so far and where the
/// current epoch stopped, so that resuming ends with the same weights as a run never
/// interrupted. Stored as safetensors: the weights under their PyTorch names, the optimizer
/// state under "optimizer.<name>", everything else in the header's metadata.
public enum Checkpoint {
    static let optimizerPrefix = "optimizer."

    /// The log as JSON in the log file's own style (`EpochRecord.jsonEncoder`), a loss that is
    /// not a number included ("nan"), so that a checkpoint of a diverging run can be written.
    static var logEncoder: JSONEncoder { EpochRecord.jsonEncoder }
    static var logDecoder: JSONDecoder { EpochRecord.jsonDecoder }

    /// `data`: which digits the run trains on (`DataSplits.identity`), so that a resumed run
    /// can refuse other ones.
    public static func encode(_ trainer: Trainer, data: String? = nil) -> Data {
        let net = trainer.net
        var entries = net.parameters.map {
            Safetensors.Entry(name: $0.name, shape: $0.value.shape, scalars: $0.value.scalars)
        }
        for (p, state) in zip(net.parameters, trainer.optimizer.state.joined()) where p.trainable {
            entries.append(.init(name: optimizerPrefix + p.name, shape: state.shape, scalars: state.scalars))
        }
        let c = trainer.config
        var meta: [String: String] = [
            "format": "lenet5-lessons checkpoint 1", "variant": c.variant.rawValue, "epochs": "\(c.epochs)",
            "batch": "\(c.batchSize)", "optimizer": c.optimizer.rawValue, "learning_rate": "\(c.learningRate)",
            "momentum": "\(c.momentum)", "schedule": c.schedule.rawValue, "seed": "\(c.seed)",
            "augment": "\(c.augment)",
            "loss": lossName(c.loss), "distorted_copies": "\(c.distortedCopies)",
            "evaluate_training_set": "\(c.evaluateTrainingSet)", "curvature_memory": "\(c.curvatureMemory)",
            "initialization": (c.initialization ?? .default(for: c.variant)).rawValue,
            "log": String(decoding: (try? logEncoder.encode(trainer.log)) ?? Data("[]".utf8), as: UTF8.self),
        ]
        if let data { meta["data"] = data }
        if let p = trainer.inProgress {
            meta["progress"] =
                [p.epoch, p.position, p.errors].map(String.init).joined(separator: ",")
                + ",\(p.lossSum.bitPattern),\(p.distorter),\(p.seconds)"
        }
        return Safetensors.encode(entries, metadata: meta)
    }

    /// The digits a checkpoint's run trained on, when it records them.
    public static func data(_ data: Data, file: String) throws -> String? {
        try Safetensors.decodeWithMetadata(data, file: file).metadata["data"]
    }

    /// True for a checkpoint, false for plain weights.
    public static func isCheckpoint(_ data: Data, file: String) throws -> Bool {
        try Safetensors.decodeWithMetadata(data, file: file).metadata["format"] != nil
    }

    public static func decode(_ data: Data, file: String) throws -> Trainer {
        let (entries, meta) = try Safetensors.decodeWithMetadata(data, file: file)
        func field(_ key: String) throws -> String {
            guard let v = meta[key] else {
                throw WeightsError.badEntry(file, tensor: "__metadata__", reason: "not a checkpoint: no '\(key)'")
            }
            return v
        }
        guard meta["format"] == "lenet5-lessons checkpoint 1" else {
            throw WeightsError.badEntry(
                file, tensor: "__metadata__",
                reason: "not a training checkpoint (use it with --weights, or resume from a .resume.safetensors file)")
        }
        guard let variant = Variant(rawValue: try field("variant")), let epochs = Int(try field("epochs")),
            let batch = Int(try field("batch")), let optimizer = OptimizerKind(rawValue: try field("optimizer")),
            let rate = Float(try field("learning_rate")), let momentum = Float(try field("momentum")),
            let schedule = Schedule(rawValue: try field("schedule")), let seed = UInt64(try field("seed")),
            let loss = loss(named: try field("loss"))
        else { throw WeightsError.badEntry(file, tensor: "__metadata__", reason: "unreadable training settings") }
        var config = TrainingConfig(
            variant: variant, epochs: epochs, batchSize: batch, optimizer: optimizer, learningRate: rate,
            schedule: schedule, loss: loss)
        config.momentum = momentum
        config.seed = seed
        config.augment = try field("augment") == "true"
        // Fields added after the first checkpoints: absent means the old behaviour.
        config.distortedCopies = meta["distorted_copies"].flatMap { Int($0) } ?? 0
        config.evaluateTrainingSet = meta["evaluate_training_set"] == "true"
        config.curvatureMemory = meta["curvature_memory"].flatMap { Float($0) } ?? 0
        config.initialization = meta["initialization"].flatMap(Initialization.init(rawValue:))
        guard (0...1000).contains(config.distortedCopies), (0...1).contains(config.curvatureMemory),
            epochs > 0, batch > 0, rate.isFinite, rate > 0, momentum.isFinite, (0..<1).contains(momentum)
        else {
            throw WeightsError.badEntry(
                file, tensor: "__metadata__",
                reason:
                    "training settings out of range (epochs \(epochs), batch \(batch), learning rate \(rate), momentum \(momentum))"
            )
        }
        let net = try Weights.network(
            from: entries.filter { !$0.name.hasPrefix(optimizerPrefix) }, file: file, variant: variant)
        var trainer = Trainer(config: config, net: net)
        let saved = Dictionary(
            uniqueKeysWithValues: entries.filter { $0.name.hasPrefix(optimizerPrefix) }.map {
                (String($0.name.dropFirst(optimizerPrefix.count)), $0)
            })
        for l in trainer.optimizer.state.indices {
            for (p, param) in net.layers[l].parameters.enumerated() where param.trainable {
                guard let s = saved[param.name], s.scalars.count == trainer.optimizer.state[l][p].count else {
                    throw WeightsError.missing(file, tensor: optimizerPrefix + param.name, hint: "")
                }
                trainer.optimizer.state[l][p].scalars = s.scalars
            }
        }
        guard let log = try? logDecoder.decode([EpochRecord].self, from: Data(try field("log").utf8)) else {
            throw WeightsError.badEntry(file, tensor: "__metadata__", reason: "unreadable training log")
        }
        trainer.log = log
        if let progress = meta["progress"] {
            let f = progress.split(separator: ",").map(String.init)
            guard f.count == 6, let e = Int(f[0]), let pos = Int(f[1]), let err = Int(f[2]), let bits = UInt64(f[3]),
                let d = UInt64(f[4]), let sec = Double(f[5])
            else {
                throw WeightsError.badEntry(file, tensor: "__metadata__", reason: "unreadable epoch progress")
            }
            guard e == log.count, e < epochs, pos >= 0, err >= 0, err <= pos, sec.isFinite, sec >= 0 else {
                throw WeightsError.badEntry(
                    file, tensor: "__metadata__",
                    reason: "epoch progress out of range (epoch \(e + 1), position \(pos))")
            }
            trainer.inProgress = EpochProgress(
                epoch: e, position: pos, lossSum: Double(bitPattern: bits), errors: err, distorter: d, seconds: sec)
        }
        return trainer
    }

    static func lossName(_ loss: Loss) -> String {
        switch loss {
        case .map(let j): return "map:\(j)"
        case .mse: return "mse"
        case .crossEntropy: return "cross-entropy"
        }
    }

    static func loss(named name: String) -> Loss? {
        if name.hasPrefix("map:"), let j = Float(name.dropFirst(4)) { return .map(j: j) }
        return name == "mse" ? .mse : name == "cross-entropy" ? .crossEntropy : nil
    }
}
