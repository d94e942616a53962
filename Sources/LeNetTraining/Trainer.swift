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
    /// Fixed distorted copies of every training digit added to each pass, as the paper's
    /// 540,000 (9 per digit): the same copies every pass, drawn from the seed.
    public var distortedCopies = 0
    /// Also measure the error on the whole (undistorted) training set after each pass,
    /// as the paper's Figure 5 plots it.
    public var evaluateTrainingSet = false
    public var loss: Loss
    public var initialization: Initialization? = nil
    /// SDLM: the share of the previous passes' curvature kept when it is re-estimated
    /// (0: each pass's estimate replaces the last). See `Optimizer.estimateCurvature`.
    public var curvatureMemory: Float = 0
    /// The network's design when it is not the variant's own (`lesson ablation`).
    public var architecture: Architecture? = nil
    /// The input scaling when it is not the variant's own.
    public var scaling: InputScaling? = nil

    /// paper: the paper's recipe (III.B, Appendix C) as far as it trains: SDLM, online
    /// (batch 1), μ = 0.02, curvature from 500 digits before each pass, the paper's rate
    /// table from η = 0.0005, 20 passes, eq. 9. Two readings make it train (README, "The
    /// paper's recipe"): the ±√3/√Fᵢ initialization (`Initialization.paper`) and curvature
    /// estimates that keep 70% of the previous passes' (`curvatureMemory`). As printed
    /// (±2.4/Fᵢ, each estimate replacing the last) the network saturates in pass 1.
    /// keras: the usual PyTorch recipe, momentum 0.9, lr 0.01, batch 32, 20 epochs.
    /// The share of earlier curvature estimates SDLM keeps at each re-estimate (paper variant).
    public static let paperCurvatureMemory: Float = 0.7

    public static func defaults(for variant: Variant) -> TrainingConfig {
        switch variant {
        case .paper:
            var c = TrainingConfig(
                variant: .paper, epochs: PaperFacts.passes, batchSize: 1, optimizer: .sdlm,
                learningRate: PaperFacts.rateTable[0].rate, schedule: .paper, loss: .default(for: .paper))
            c.curvatureMemory = TrainingConfig.paperCurvatureMemory
            return c
        case .keras:
            return TrainingConfig(
                variant: .keras, epochs: 20, batchSize: 32, optimizer: .momentum, learningRate: 0.01,
                schedule: .constant, loss: .default(for: .keras))
        }
    }
}

/// The two examples of the article this project started from, as it gives them: one place
/// for their recipes, which `lesson train --seed-example` and the ablation's last rows use.
public enum SeedExample: String, CaseIterable, Sendable {
    /// The Keras model: full C3, average pooling, tanh, a dense softmax output (61,706
    /// parameters), with MNIST-standardized inputs and Glorot initialization.
    case keras
    /// The DL4J configuration: as Keras, but C1 and C3 linear, Nesterov momentum, lr 0.006,
    /// momentum 0.9.
    case dl4j

    public var config: TrainingConfig {
        var c = TrainingConfig.defaults(for: .keras)
        c.architecture = .keras
        c.scaling = .standard
        c.initialization = .glorot
        if self == .dl4j {
            c.architecture = .dl4j
            c.optimizer = .nesterov
            c.learningRate = 0.006
            c.momentum = 0.9
        }
        return c
    }

    public var change: String {
        switch self {
        case .keras: "the seed's Keras model (+ MNIST-standardized inputs, Glorot initialization)"
        case .dl4j: "the seed's DL4J model (linear C1 and C3, Nesterov, lr 0.006)"
        }
    }

    public var label: String { self == .keras ? "Keras" : "DL4J" }
}

extension TrainingConfig {
    /// The paper's experiment (III.C): the paper variant's recipe with its rate table, for
    /// `passes` passes; with distortions, 9 fixed distorted copies of every digit join it.
    public static func reproduction(passes: Int = PaperFacts.passes, seed: UInt64 = 0, distortions: Bool = false)
        -> TrainingConfig
    {
        var c = TrainingConfig.defaults(for: .paper)
        c.epochs = passes
        c.seed = seed
        c.distortedCopies = distortions ? PaperFacts.distortedPatterns / PaperFacts.trainingDigits : 0
        c.evaluateTrainingSet = true
        return c
    }

    /// "SDLM (μ 0.02), η 0.0005 → 0.00001 (the paper's table), 20 passes".
    public var passesDescription: String {
        let rates = (0..<epochs).map { schedule.rate(base: learningRate, epoch: $0, epochs: epochs) }
        let eta =
            rates.first == rates.last
            ? "η \(learningRate)" : "η \(rates.first!) → \(rates.last!) (\(schedule.rawValue) schedule)"
        return
            "\(optimizer.rawValue)\(optimizer == .sdlm ? " (μ \(Optimizer.sdlmMu))" : ""), \(eta), batch \(batchSize), \(epochs) pass\(epochs == 1 ? "" : "es")"
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
    /// Error on the whole training set after the epoch, when the run measures it.
    public var trainingSetError: Double?
    public var seconds: Double

    public init(
        epoch: Int, learningRate: Float, trainLoss: Float, trainError: Double, validationError: Double?, seconds: Double
    ) {
        self.epoch = epoch
        self.learningRate = learningRate
        self.trainLoss = trainLoss
        self.trainError = trainError
        self.validationError = validationError
        self.seconds = seconds
    }
}

extension EpochRecord {
    /// The one JSON style of training records, in log files and checkpoints alike: snake_case
    /// keys, and numbers that are not finite as the strings "nan", "inf", "-inf".
    public static var jsonEncoder: JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        e.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return e
    }

    public static var jsonDecoder: JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        d.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        return d
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
    /// The most samples whose inputs and activations are held at once: a larger batch is
    /// worked through in parts of this size and their gradients averaged, so `--batch 100000`
    /// costs the memory of `--batch 1024`.
    public static let largestPart = 1024
    public let config: TrainingConfig
    public var net: LeNet5
    public var optimizer: Optimizer
    public var log: [EpochRecord] = []
    /// Set while an epoch is unfinished (after an interruption).
    public var inProgress: EpochProgress?
    /// The online steps' buffers, kept from step to step.
    var workspace = OnlineWorkspace()

    public init(config: TrainingConfig, net: LeNet5? = nil) {
        self.config = config
        let net =
            net
            ?? LeNet5(
                architecture: config.architecture ?? config.variant.architecture,
                scaling: config.scaling ?? config.variant.inputScaling, seed: config.seed,
                initialization: config.initialization ?? .default(for: config.variant))
        self.net = net
        optimizer = Optimizer(kind: config.optimizer, momentum: config.momentum, for: net)
    }

    public var epochsDone: Int { log.count }

    /// A generator for one purpose in one epoch, so a resumed run draws the same numbers.
    func generator(epoch: Int, stream: UInt64) -> SeededGenerator {
        SeededGenerator(seed: config.seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(epoch) &* 1_000_003 &+ stream)
    }

    /// Pattern p's distortion: none for the first copy of the digits (p < count), else one
    /// drawn from the seed and p alone, so every pass sees the same distorted set.
    public func fixedDistortion(_ pattern: Int, digits: Int) -> Distortion {
        Trainer.fixedDistortion(pattern, digits: digits, seed: config.seed)
    }

    /// `fixedDistortion` of a run with this seed.
    static func fixedDistortion(_ pattern: Int, digits: Int, seed: UInt64) -> Distortion {
        guard pattern >= digits else { return Distortion() }
        var rng = SeededGenerator(seed: seed &* 0x9E37_79B9_7F4A_7C15 &+ UInt64(pattern) &+ 0x5EED)
        return Distortion.random(using: &rng)
    }

    /// Runs (or continues) the next epoch over `train`, reporting (samples done, total) to
    /// `progress`, and evaluates on `validation` when given. When `shouldStop` turns true it
    /// returns nil after the current step, with `inProgress` saying where to continue.
    /// With `evaluate` false the record is logged without its evaluation, for the caller to
    /// work out with `evaluation(of:train:validation:)` (while the next epoch trains) and
    /// fill in with `record(_:epoch:)`.
    @discardableResult
    public mutating func trainEpoch(
        _ train: Digits, validation: Digits? = nil, evaluate: Bool = true,
        shouldStop: () -> Bool = { false },
        progress: (Int, Int) -> Void = { _, _ in }
    ) throws -> EpochRecord? {
        let start = Date()
        let epoch = epochsDone
        let rate = config.schedule.rate(base: config.learningRate, epoch: epoch, epochs: config.epochs)
        let patterns = train.count * (1 + config.distortedCopies)
        var order = Array(0..<patterns)
        var shuffler = generator(epoch: epoch, stream: 1)
        order.shuffle(using: &shuffler)
        let scaling = net.scaling
        var state =
            inProgress
            ?? EpochProgress(
                epoch: epoch, position: 0, lossSum: 0, errors: 0,
                distorter: generator(epoch: epoch, stream: 2).state, seconds: 0)
        var distorter = SeededGenerator(state: state.distorter)

        // SDLM holds its curvature estimate for the pass; a resumed pass keeps the saved one.
        if config.optimizer == .sdlm && state.position == 0 {
            let sample = order.prefix(Optimizer.sdlmSamples).map { $0 % train.count }
            optimizer.estimateCurvature(
                net, samples: train.batch(sample, scaling: scaling),
                labels: sample.map { Int(train.labels[$0]) }, loss: config.loss,
                memory: epoch == 0 ? 0 : config.curvatureMemory)
        }

        let lastGood = net, lastGoodOptimizer = optimizer
        // What making the inputs needs of the run, apart from `self` (whose optimizer steps meanwhile).
        let augment = config.augment, seed = config.seed
        var input = Tensor.empty
        for batchStart in stride(from: state.position, to: order.count, by: config.batchSize) {
            let chosen = order[batchStart..<min(batchStart + config.batchSize, order.count)]
            let labels = chosen.map { Int(train.labels[$0 % train.count]) }
            // The distortions of `part`'s samples, if any: drawn at random here, in order, or
            // the fixed ones of distorted copies.
            func distortions(_ part: ArraySlice<Int>) -> [Distortion]? {
                if augment { return part.map { _ in Distortion.random(using: &distorter) } }
                guard part.contains(where: { $0 >= train.count }) else { return nil }
                return part.map { Trainer.fixedDistortion($0, digits: train.count, seed: seed) }
            }
            // How to make the inputs of any of `part`'s samples, on any core.
            func inputs(_ part: ArraySlice<Int>) -> @Sendable (Range<Int>) -> Tensor {
                let indices = part.map { $0 % train.count }, distortions = distortions(part)
                return { [train] range in
                    let chosen = Array(indices[range])
                    guard let distortions else { return train.batch(chosen, scaling: scaling) }
                    return train.batch(chosen, scaling: scaling, distortions: Array(distortions[range]))
                }
            }
            // The inputs of `part`, into `t`: digits as they are in t's buffer, kept from step to step.
            func write(_ part: ArraySlice<Int>, into t: inout Tensor) {
                let indices = part.map { $0 % train.count }
                if let distortions = distortions(part) {
                    t = train.batch(indices, scaling: scaling, distortions: distortions)
                } else {
                    train.batch(indices, scaling: scaling, into: &t)
                }
            }
            // Online SDLM (the paper) or SGD steps as it back-propagates; other runs take the
            // batch's gradients, then the optimizer's step.
            let rates = chosen.count == 1 ? optimizer.stepSizes(rate: rate) : nil
            // Online, the next digit's memory is fetched while this one trains.
            if rates != nil, batchStart + 1 < order.count { train.prefetch(order[batchStart + 1] % train.count) }
            let (loss, output): (Float, Tensor)
            if let rates {
                // Written into a buffer kept from step to step, which the step's own input buffer
                // is then traded for.
                write(chosen, into: &input)
                (loss, output) = net.onlineStep(
                    label: labels[0], loss: config.loss, rates: rates, workspace: &workspace
                ) { swap(&$0, &input) }
            } else {
                // The next batch's digits are fetched while this one trains: taken at random from
                // 47 MB of them, each one's memory was waited for when a slice's core converted it
                // (keras, batch 64, full MNIST: the conversion's share of a profile 2.05% → 1.31%).
                let next = batchStart + chosen.count
                if chosen.count <= Trainer.largestPart {
                    for i in order[next..<min(next + config.batchSize, order.count)] { train.prefetch(i % train.count) }
                }
                // The step is taken as the slices' gradients are merged; a non-finite loss
                // sends the run back to `lastGood` (and the optimizer's state) below all the same.
                (loss, output) = optimizer.step(
                    &net, on: chosen, labels: labels, partSize: Trainer.largestPart, inputs: inputs, loss: config.loss,
                    rate: rate)
            }
            guard loss.isFinite else {
                net = lastGood
                optimizer = lastGoodOptimizer
                throw TrainingError.diverged(epoch: epoch + 1, learningRate: rate)
            }
            state.lossSum += Double(loss) * Double(chosen.count)
            for (s, label) in labels.enumerated() where net.prediction(output, sample: s) != label { state.errors += 1 }
            state.position = batchStart + chosen.count
            progress(state.position, order.count)
            if shouldStop() && state.position < order.count {
                state.distorter = distorter.state
                state.seconds += Date().timeIntervalSince(start)
                inProgress = state
                return nil
            }
        }
        // A last step can leave non-finite weights behind a finite loss: caught before any evaluation.
        guard net.parameters.allSatisfy({ $0.value.scalars.allSatisfy(\.isFinite) }) else {
            net = lastGood
            optimizer = lastGoodOptimizer
            inProgress = nil
            throw TrainingError.diverged(epoch: epoch + 1, learningRate: rate)
        }
        inProgress = nil
        var record = EpochRecord(
            epoch: epoch + 1, learningRate: rate, trainLoss: Float(state.lossSum / Double(patterns)),
            trainError: Double(state.errors) / Double(patterns), validationError: nil, seconds: 0)
        if evaluate { record.fill(evaluation(of: net, train: train, validation: validation)) }
        record.seconds = state.seconds + Date().timeIntervalSince(start)
        log.append(record)
        return record
    }

    /// What is measured after each epoch: the error on `validation`, and on the whole
    /// training set when the run asks for it (`evaluateTrainingSet`).
    public func evaluation(of net: LeNet5, train: Digits, validation: Digits?) -> EpochEvaluation {
        EpochEvaluation(
            validationError: validation.map { Evaluation(net: net, digits: $0, loss: config.loss).errorRate },
            trainingSetError: config.evaluateTrainingSet
                ? Evaluation(net: net, digits: train, loss: config.loss).errorRate : nil)
    }

    /// Fills in the evaluation of a logged epoch (1-based) that was trained with `evaluate` false.
    public mutating func record(_ evaluation: EpochEvaluation, epoch: Int) {
        log[epoch - 1].fill(evaluation)
    }
}

/// The measurements that end an epoch (`Trainer.evaluation`).
public struct EpochEvaluation: Sendable, Equatable {
    public var validationError: Double?
    public var trainingSetError: Double?
}

extension EpochRecord {
    public mutating func fill(_ e: EpochEvaluation) {
        validationError = e.validationError
        trainingSetError = e.trainingSetError
    }
}
