import Foundation
import LeNetCore
import LeNetData
import LeNetModel

/// Everything that decides a training run; the same configuration gives the same weights.
public struct TrainingConfig: Sendable, Equatable {
    public var variant: Variant
    public var epochs: Int
    public var batchSize: Int
    public var optimizer: OptimizerKind
    public var learningRate: Float
    public var momentum: Float = 0.9
    public var schedule: Schedule
    public var seed: UInt64 = 0
    public var augment = false
    public var loss: Loss
    public var initialization: Initialization? = nil

    /// paper: SDLM, online (batch 1), 20 passes, η = 0.00005 held constant. The paper's own
    /// η = 0.0005 saturates the network in the first pass here: with the ±2.4/Fᵢ
    /// initialization the curvature estimates fall far below μ, so every step is η/μ (loss
    /// ≈ 225, 90% error on the embedded digits). The paper's rate table scaled by 1/10
    /// (`--schedule paper`) decays too early for 4,500 digits; see README for both runs.
    /// keras: the usual PyTorch recipe, momentum 0.9, lr 0.01, batch 32, 20 epochs.
    public static func defaults(for variant: Variant) -> TrainingConfig {
        switch variant {
        case .paper:
            return TrainingConfig(variant: .paper, epochs: 20, batchSize: 1, optimizer: .sdlm, learningRate: 0.00005,
                                  schedule: .constant, loss: .default(for: .paper))
        case .keras:
            return TrainingConfig(variant: .keras, epochs: 20, batchSize: 32, optimizer: .momentum, learningRate: 0.01,
                                  schedule: .constant, loss: .default(for: .keras))
        }
    }
}

/// One line of the training log.
public struct EpochRecord: Codable, Sendable, Equatable {
    public var epoch: Int
    public var learningRate: Float
    public var trainLoss: Float
    /// Errors on the training digits as they were met during the epoch.
    public var trainError: Double
    public var validationError: Double?
    public var seconds: Double

    public init(epoch: Int, learningRate: Float, trainLoss: Float, trainError: Double, validationError: Double?, seconds: Double) {
        self.epoch = epoch
        self.learningRate = learningRate
        self.trainLoss = trainLoss
        self.trainError = trainError
        self.validationError = validationError
        self.seconds = seconds
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case diverged(epoch: Int, learningRate: Float)
    public var description: String {
        "the loss became NaN or infinite in epoch \(epoch); the last good weights are kept. Try a smaller learning rate than \(learningRate)."
    }
    var epoch: Int { if case .diverged(let e, _) = self { return e }; return 0 }
    var learningRate: Float { if case .diverged(_, let r) = self { return r }; return 0 }
}

/// Where an interrupted epoch stopped: enough to continue it exactly.
public struct EpochProgress: Sendable, Equatable {
    public var epoch: Int
    /// Training digits already used in this epoch.
    public var position: Int
    public var lossSum: Double
    public var errors: Int
    /// The distortion generator's state, so a resumed run draws the same distortions.
    public var distorter: UInt64
    public var seconds: Double

    public init(epoch: Int, position: Int, lossSum: Double, errors: Int, distorter: UInt64, seconds: Double) {
        self.epoch = epoch
        self.position = position
        self.lossSum = lossSum
        self.errors = errors
        self.distorter = distorter
        self.seconds = seconds
    }
}

/// Trains a LeNet-5 epoch by epoch; an epoch can stop after any step and continue later.
public struct Trainer: Sendable {
    public let config: TrainingConfig
    public var net: LeNet5
    public var optimizer: Optimizer
    public var log: [EpochRecord] = []
    /// Set while an epoch is unfinished (after an interruption).
    public var inProgress: EpochProgress?

    public init(config: TrainingConfig, net: LeNet5? = nil) {
        self.config = config
        let net = net ?? LeNet5(variant: config.variant, seed: config.seed, initialization: config.initialization)
        self.net = net
        optimizer = Optimizer(kind: config.optimizer, momentum: config.momentum, for: net)
    }

    public var epochsDone: Int { log.count }

    /// A generator for one purpose in one epoch, so a resumed run draws the same numbers.
    func generator(epoch: Int, stream: UInt64) -> SeededGenerator {
        SeededGenerator(seed: config.seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(epoch) &* 1_000_003 &+ stream)
    }

    /// Runs (or continues) the next epoch over `train`, reporting (samples done, total) to
    /// `progress`, and evaluates on `validation` when given. When `shouldStop` turns true it
    /// returns nil after the current step, with `inProgress` saying where to continue.
    @discardableResult
    public mutating func trainEpoch(_ train: Digits, validation: Digits? = nil,
                                    shouldStop: () -> Bool = { false },
                                    progress: (Int, Int) -> Void = { _, _ in }) throws -> EpochRecord? {
        let start = Date()
        let epoch = epochsDone
        let rate = config.schedule.rate(base: config.learningRate, epoch: epoch, epochs: config.epochs)
        var order = Array(0..<train.count)
        var shuffler = generator(epoch: epoch, stream: 1)
        order.shuffle(using: &shuffler)
        let scaling = config.variant.inputScaling
        var state = inProgress ?? EpochProgress(epoch: epoch, position: 0, lossSum: 0, errors: 0,
                                                distorter: generator(epoch: epoch, stream: 2).state, seconds: 0)
        var distorter = SeededGenerator(state: state.distorter)

        // SDLM holds its curvature estimate for the pass; a resumed pass keeps the saved one.
        if config.optimizer == .sdlm && state.position == 0 {
            let sample = Array(order.prefix(Optimizer.sdlmSamples))
            optimizer.estimateCurvature(net, samples: train.batch(sample, scaling: scaling),
                                        labels: sample.map { Int(train.labels[$0]) }, loss: config.loss)
        }

        let lastGood = net
        for batchStart in stride(from: state.position, to: order.count, by: config.batchSize) {
            let indices = Array(order[batchStart..<min(batchStart + config.batchSize, order.count)])
            let labels = indices.map { Int(train.labels[$0]) }
            let x = config.augment
                ? train.batch(indices, scaling: scaling, distortions: indices.map { _ in Distortion.random(using: &distorter) })
                : train.batch(indices, scaling: scaling)
            let (loss, grads, output) = net.gradients(x, labels: labels, loss: config.loss)
            guard loss.isFinite else {
                net = lastGood
                throw TrainingError.diverged(epoch: epoch + 1, learningRate: rate)
            }
            state.lossSum += Double(loss) * Double(indices.count)
            state.errors += zip(net.predictions(output), labels).filter { $0 != $1 }.count
            optimizer.step(&net, gradients: grads, rate: rate)
            state.position = batchStart + indices.count
            progress(state.position, order.count)
            if shouldStop() && state.position < order.count {
                state.distorter = distorter.state
                state.seconds += Date().timeIntervalSince(start)
                inProgress = state
                return nil
            }
        }
        inProgress = nil
        let record = EpochRecord(epoch: epoch + 1, learningRate: rate, trainLoss: Float(state.lossSum / Double(train.count)),
                                 trainError: Double(state.errors) / Double(train.count),
                                 validationError: validation.map { Evaluation(net: net, digits: $0, loss: config.loss).errorRate },
                                 seconds: state.seconds + Date().timeIntervalSince(start))
        log.append(record)
        return record
    }
}
