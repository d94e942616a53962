import LeNetCore
import LeNetData
import LeNetModel
@testable import LeNetTraining
import XCTest

final class TrainingTests: XCTestCase {
    /// 30 real digits, 3 of each class.
    lazy var small: Digits = {
        let train = try! DataSource.embedded().train!
        return train.subset((0..<10).flatMap { c in (0..<3).map { c * 450 + $0 } })
    }()

    func testKerasLearnsASmallSetPerfectly() throws {
        var config = TrainingConfig.defaults(for: .keras)
        config.batchSize = 5
        config.learningRate = 0.05
        var trainer = Trainer(config: config)
        for _ in 0..<30 { try trainer.trainEpoch(small) }
        XCTAssertEqual(Evaluation(net: trainer.net, digits: small).errors, 0)
        XCTAssertLessThan(trainer.log.last!.trainLoss, trainer.log.first!.trainLoss / 5)
    }

    func testPaperVariantWithSDLMLearnsASmallSetPerfectly() throws {
        var config = TrainingConfig.defaults(for: .paper)
        config.schedule = .constant
        config.learningRate = 0.0001
        var trainer = Trainer(config: config)
        for _ in 0..<30 { try trainer.trainEpoch(small) }
        XCTAssertEqual(Evaluation(net: trainer.net, digits: small).errors, 0)
        // SDLM's curvature is positive, so every step size η/(μ + h) is at most η/μ.
        XCTAssertTrue(trainer.optimizer.state.joined().allSatisfy { $0.scalars.allSatisfy { $0 >= 0 } })
    }

    func testSameSeedSameWeights() throws {
        func run(seed: UInt64) throws -> [Tensor] {
            var config = TrainingConfig.defaults(for: .keras)
            config.seed = seed
            config.augment = true
            var trainer = Trainer(config: config)
            try trainer.trainEpoch(small)
            try trainer.trainEpoch(small)
            return trainer.net.parameters.map(\.value)
        }
        XCTAssertEqual(try run(seed: 4), try run(seed: 4))
        XCTAssertNotEqual(try run(seed: 4), try run(seed: 5))
    }

    /// Online SDLM steps as it back-propagates (`LeNet5.onlineStep`, C5 and F6 fused in one
    /// sweep over their weights): its weights are those of the whole backward pass followed by
    /// the optimizer's step, bit for bit. Both variants: the keras output's 84 inputs take the
    /// sweep's one-at-a-time tail.
    func testOnlineStepIsTheBackwardPassThenTheStepBitForBit() {
        for variant in Variant.allCases {
            for kind in [OptimizerKind.sdlm, .sgd] { checkOnlineStep(variant, kind) }
        }
        var momentum = Optimizer(kind: .momentum, for: LeNet5(variant: .keras, seed: 3))
        XCTAssertNil(momentum.stepSizes(rate: 0.01), "momentum keeps a velocity: no fused step")
    }

    /// Online steps on one core and on two (`LeNet5.pairedStep`: C5 and above on the second
    /// core, stepping after they hand ∂E/∂x down) against the backward pass then the step.
    func checkOnlineStep(_ variant: Variant, _ kind: OptimizerKind) {
        var stepped = LeNet5(variant: variant, seed: 3)
        let start = stepped.parameters.map(\.value)
        let loss = Loss.default(for: variant), indices = Array(0..<12)
        let x = small.batch(indices, scaling: stepped.scaling), labels = indices.map { Int(small.labels[$0]) }
        var optimizer = Optimizer(kind: kind, for: stepped)
        optimizer.estimateCurvature(stepped, samples: x, labels: labels, loss: loss)
        var fused = [stepped, stepped], workspaces = [OnlineWorkspace(), OnlineWorkspace()]
        fused[0].threads = 1
        fused[1].threads = 2
        // No step is too slow to pair here: on a loaded machine a step past `slowStep` would
        // send the next ones to one core (the fallback `testASlowStepOnTwoCoresSendsTheNextStepsToOne` covers).
        workspaces[1].cores.slowStep = .max
        for s in indices {
            let (lossA, grads, outA) = stepped.gradients(x.sample(s), labels: [labels[s]], loss: loss)
            optimizer.step(&stepped, gradients: grads, rate: 0.002)
            for k in 0..<2 {
                let (lossB, outB) = fused[k].onlineStep(
                    x.sample(s), label: labels[s], loss: loss, rates: optimizer.stepSizes(rate: 0.002)!,
                    workspace: &workspaces[k])
                XCTAssertEqual(lossA.bitPattern, lossB.bitPattern)
                XCTAssertEqual(outA, outB)
            }
        }
        XCTAssertEqual(workspaces[0].pairedSteps, 0, "one thread: one core")
        XCTAssertEqual(
            workspaces[1].pairedSteps, coreCount > 1 ? indices.count : 0, "two threads: every step on two cores")
        for net in fused {
            for (a, b) in zip(stepped.parameters, net.parameters) {
                XCTAssertEqual(
                    a.value.scalars.map(\.bitPattern), b.value.scalars.map(\.bitPattern),
                    "\(kind) \(a.name), \(net.threads) threads")
            }
            XCTAssertNotEqual(net.parameters.map(\.value), start, "the steps moved the weights")
        }
    }

    /// `steps` online steps (SGD) of the paper's network on two cores and on one, from the
    /// same start, the two-core workspace set up by `setUp`.
    func stepOnTwoCoresAndOne(
        steps: Int, path: ComputePath = .fast, _ setUp: (inout OnlineWorkspace) -> Void
    ) -> (paired: LeNet5, single: LeNet5, workspace: OnlineWorkspace) {
        var paired = LeNet5(variant: .paper, seed: 3)
        paired.path = path
        paired.threads = 2
        var single = paired
        single.threads = 1
        var optimizer = Optimizer(kind: .sgd, for: paired)
        let rates = optimizer.stepSizes(rate: 0.002)!, loss = Loss.default(for: .paper)
        var workspace = OnlineWorkspace(), alone = OnlineWorkspace()
        setUp(&workspace)
        for s in 0..<steps {
            let x = small.batch([s], scaling: paired.scaling), label = Int(small.labels[s])
            _ = paired.onlineStep(x, label: label, loss: loss, rates: rates, workspace: &workspace)
            _ = single.onlineStep(x, label: label, loss: loss, rates: rates, workspace: &alone)
        }
        return (paired, single, workspace)
    }

    /// On the reference path the shared step keeps C1 and S2 whole (their shares are the fast
    /// path's): two cores give the weights of one, bit for bit.
    func testTheReferencePathOnTwoCoresIsItsOneCoreBitForBit() throws {
        try XCTSkipIf(coreCount < 2, "steps on two cores need two cores; this machine gives the process one")
        // The reference path's steps are slow, not shared with another program.
        let (paired, single, workspace) = stepOnTwoCoresAndOne(steps: 3, path: .reference) { $0.cores.slowStep = .max }
        XCTAssertEqual(workspace.pairedSteps, 3)
        XCTAssertTrue(paired.parameters.map(\.value) == single.parameters.map(\.value), "the same weights")
    }

    /// A step on two cores slower than `slowStep` (here every one: the limit is zero) sends
    /// the next `pause` steps to one core, twice as many after each slow step, then two are
    /// tried again; the numbers stay the same.
    func testASlowStepOnTwoCoresSendsTheNextStepsToOne() throws {
        try XCTSkipIf(coreCount < 2, "steps on two cores need two cores; this machine gives the process one")
        let (paired, single, workspace) = stepOnTwoCoresAndOne(steps: 12) {
            $0.cores.slowStep = 0
            $0.cores.pause = 3
        }
        XCTAssertEqual(workspace.pairedSteps, 3, "steps 0, 4 and 11 on two cores, then three and six on one")
        XCTAssertEqual(paired.parameters.map(\.value), single.parameters.map(\.value))
    }

    /// `CoreChoice` sends steps one way, tries the other every `every` steps for `trial`
    /// steps, and changes way when the trial's timed steps were faster by more than 3%
    /// (here one core: 60 against 100); back when two cores become the faster again (then
    /// 50 against 60); not for 2% (98 against 100).
    func testCoreChoiceTakesTheFasterWay() {
        var choice = CoreChoice()
        choice.every = 10
        choice.trial = 6
        choice.warmUp = 2
        choice.window = 3
        var ways = [Bool]()
        func run(_ steps: Int, paired: UInt64, single: UInt64) {
            for _ in 0..<steps {
                let way = choice.next()
                ways.append(way)
                choice.took(way ? paired : single, paired: way)
            }
        }
        run(16, paired: 100, single: 60)
        XCTAssertEqual(ways, Array(repeating: true, count: 10) + Array(repeating: false, count: 6))
        XCTAssertTrue(choice.paired, "the trial is not decided before its last step is timed")
        run(1, paired: 100, single: 60)
        XCTAssertFalse(choice.paired, "one core, faster, from the trial's end on")
        XCTAssertEqual(choice.recent, [60, 60, 60], "the trial's last `window` times are the way's")
        XCTAssertEqual([choice.trials, choice.changes], [1, 1])
        // The step that decided counts as one of the next `every`: 9 more on one core, the
        // trial's 6 on two, then the step that decides goes the new way.
        ways = []
        run(16, paired: 50, single: 60)
        XCTAssertEqual(ways, Array(repeating: false, count: 9) + Array(repeating: true, count: 7))
        XCTAssertTrue(choice.paired, "back to two cores")
        XCTAssertEqual([choice.trials, choice.changes], [2, 2])
        run(16, paired: 100, single: 98)
        XCTAssertTrue(choice.paired, "2% faster is not enough")
        XCTAssertEqual([choice.trials, choice.changes], [3, 2])
    }

    /// Steps that change way as `CoreChoice` tries one core every few steps (whichever it
    /// then keeps) leave the weights those of one core, bit for bit.
    func testStepsThatChangeWayKeepTheOneCoreWeights() throws {
        try XCTSkipIf(coreCount < 2, "steps on two cores need two cores; this machine gives the process one")
        let (paired, single, workspace) = stepOnTwoCoresAndOne(steps: 24) {
            $0.cores.slowStep = .max
            $0.cores.every = 4
            $0.cores.trial = 3
            $0.cores.warmUp = 0
        }
        XCTAssertGreaterThan(workspace.cores.trials, 2)
        XCTAssertLessThan(workspace.pairedSteps, 24, "some steps on one core")
        XCTAssertGreaterThan(workspace.pairedSteps, 0, "some on two")
        XCTAssertEqual(
            paired.parameters.map { $0.value.scalars.map(\.bitPattern) },
            single.parameters.map { $0.value.scalars.map(\.bitPattern) })
    }

    func testDivergenceStopsWithTheLastGoodWeights() {
        // A NaN rate turns every weight NaN after the first step, so the second loss is NaN.
        var config = TrainingConfig.defaults(for: .paper)
        config.optimizer = .sgd
        config.learningRate = .nan
        var trainer = Trainer(config: config)
        let start = trainer.net.parameters.map(\.value)
        XCTAssertThrowsError(try trainer.trainEpoch(small)) { XCTAssertTrue("\($0)".contains("epoch 1")) }
        XCTAssertEqual(trainer.net.parameters.map(\.value), start)
    }

    func testPaperScheduleFollowsTheTable() {
        let rates = (0..<14).map { Schedule.paper.rate(base: 0.0005, epoch: $0, epochs: 20) }
        XCTAssertEqual(
            rates,
            [
                0.0005, 0.0005, 0.0002, 0.0002, 0.0002, 0.0001, 0.0001, 0.0001,
                0.00005, 0.00005, 0.00005, 0.00005, 0.00001, 0.00001,
            ])
        XCTAssertEqual(Schedule.cosine.rate(base: 1, epoch: 0, epochs: 10), 1)
        XCTAssertEqual(Schedule.cosine.rate(base: 1, epoch: 5, epochs: 10), 0.5, accuracy: 1e-6)
    }

    func testLossesByHand() {
        let out = Tensor(shape: [1, 3], scalars: [2, 0, 5])
        XCTAssertEqual(Loss.mse.evaluate(out, labels: [0]).loss, 2)
        // eq. 9 with j = 1: 2 + log(e^−1 + e^−2 + e^0 + e^−5)
        XCTAssertEqual(
            Loss.map(j: 1).evaluate(out, labels: [0]).loss, 2 + log(exp(-1) + exp(-2) + 1 + exp(-5)), accuracy: 1e-5)
        // cross-entropy: −log softmax
        XCTAssertEqual(
            Loss.crossEntropy.evaluate(out, labels: [2]).loss, -log(exp(5) / (exp(2) + 1 + exp(5))), accuracy: 1e-5)
    }

    func testIdentityDistortionReproducesThePlainBatch() {
        let plain = small.batch([0, 5], scaling: .paper)
        let same = small.batch([0, 5], scaling: .paper, distortions: [Distortion(), Distortion()])
        for (a, b) in zip(plain.scalars, same.scalars) { XCTAssertEqual(a, b, accuracy: 1e-5) }
        let moved = small.batch([0], scaling: .paper, distortions: [Distortion(dx: 1)])
        XCTAssertEqual(moved[0, 0, 10, 11], plain[0, 0, 10, 10], accuracy: 1e-5)
    }
}

final class ResumeTests: XCTestCase {
    /// Interrupting mid-epoch, saving a checkpoint and resuming from it ends with the same
    /// weights, log and optimizer state as a run never interrupted.
    func testResumeFromACheckpointMatchesAnUninterruptedRun() throws {
        let train = try DataSource.embedded().train!.subset(Array(0..<200))
        for variant in Variant.allCases {
            var config = TrainingConfig.defaults(for: variant)
            config.epochs = 2
            config.batchSize = 8
            config.augment = true
            var straight = Trainer(config: config)
            try straight.trainEpoch(train)
            try straight.trainEpoch(train)

            var interrupted = Trainer(config: config)
            var steps = 0
            XCTAssertNil(
                try interrupted.trainEpoch(
                    train,
                    shouldStop: {
                        steps += 1; return steps == 7
                    }))
            XCTAssertEqual(interrupted.inProgress?.position, 56)
            var resumed = try Checkpoint.decode(Checkpoint.encode(interrupted), file: "checkpoint")
            XCTAssertEqual(resumed.inProgress, interrupted.inProgress)
            try resumed.trainEpoch(train)
            try resumed.trainEpoch(train)

            XCTAssertEqual(resumed.net.parameters.map(\.value), straight.net.parameters.map(\.value), "\(variant)")
            XCTAssertEqual(resumed.log.map(\.trainLoss), straight.log.map(\.trainLoss))
            XCTAssertEqual(
                resumed.optimizer.state.joined().map(\.scalars), straight.optimizer.state.joined().map(\.scalars))
        }
    }

    func testPlainWeightsAreNotACheckpoint() throws {
        let data = Weights.encode(LeNet5(variant: .paper, seed: 1))
        XCTAssertFalse(try Checkpoint.isCheckpoint(data, file: "w"))
        XCTAssertThrowsError(try Checkpoint.decode(data, file: "w")) {
            XCTAssertTrue("\($0)".contains("not a training checkpoint"))
        }
    }
}
