import Foundation
import LeNetCore
import LeNetData
import LeNetModel
import LeNetTraining
import XCTest

/// Numbers that are not finite never stop the program: they are refused where they enter,
/// or handled where they arise.
final class NumbersTests: XCTestCase {
    func testNonFiniteWeightsAreRefusedNamingTheTensor() throws {
        for bad in [Float.nan, .infinity, -.infinity] {
            var net = LeNet5(variant: .paper, seed: 0)
            var params = net.layers[4].parameters
            params[0].value.scalars[17] = bad
            net.layers[4].parameters = params
            let data = Weights.encode(net)
            XCTAssertThrowsError(try Weights.decode(data, file: "w.safetensors", variant: .paper)) {
                XCTAssertTrue("\($0)".hasPrefix("w.safetensors: tensor c5.weight: value 17 is"), "\($0)")
            }
        }
    }

    func testPredictionsIgnoreNaNAndNeverTrap() {
        let net = LeNet5(variant: .paper)
        let out = Tensor(
            shape: [3, 10],
            scalars: [Float.nan, 5, 2, .nan, 9, 9, 9, 9, 9, 9]
                + [Float](repeating: .nan, count: 10) + [Float](repeating: .infinity, count: 10))
        XCTAssertEqual(net.predictions(out), [2, 0, 0])
        XCTAssertEqual(LeNet5(variant: .keras).predictions(out)[0], 4)
    }

    /// An absurd rate, in batches of 20 (two slices, stepped as their gradients are merged).
    /// SGD on 20 digits: the one step of the epoch leaves non-finite weights behind a finite
    /// loss. Momentum on 40: the second batch's loss is not finite. Either way the epoch
    /// throws and keeps the weights, and the velocity, it started with.
    func testDivergenceKeepsTheLastGoodWeightsAndVelocity() throws {
        for (count, optimizer) in [(20, OptimizerKind.sgd), (40, .momentum)] {
            let digits = try XCTUnwrap(DataSource.embedded().train).subset(Array(0..<count))
            var config = TrainingConfig.defaults(for: .keras)
            config.batchSize = 20
            config.learningRate = .infinity
            config.optimizer = optimizer
            var trainer = Trainer(config: config)
            XCTAssertEqual(trainer.net.slices(20).count, 2)
            let start = trainer.net.parameters.map(\.value), velocity = trainer.optimizer.state
            XCTAssertThrowsError(try trainer.trainEpoch(digits, validation: digits)) {
                XCTAssertTrue($0 is TrainingError)
            }
            // (Compared whole, so that a failure does not print 60,000 numbers.)
            XCTAssertTrue(trainer.net.parameters.map(\.value) == start, "\(optimizer): the epoch's first weights")
            XCTAssertTrue(trainer.optimizer.state == velocity, "\(optimizer): the epoch's first velocity")
        }
    }

    func testCheckpointKeepsALogWithNaN() throws {
        var trainer = Trainer(config: .defaults(for: .keras))
        trainer.log = [
            EpochRecord(
                epoch: 1, learningRate: 0.01, trainLoss: .nan, trainError: 0.5, validationError: nil, seconds: 1)
        ]
        let back = try Checkpoint.decode(Checkpoint.encode(trainer), file: "c")
        XCTAssertTrue(back.log[0].trainLoss.isNaN)
    }
}
