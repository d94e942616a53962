import XCTest
import LeNetData
import LeNetModel
import LeNetCore
import LeNetTraining

final class AblationTests: XCTestCase {
    /// The counts each row reports come from its network: the paper's 60,000 and 340,908
    /// at one end, the seed's Keras model's 61,706 at the other.
    func testRowsCountsAndChanges() {
        let rows = Ablation.rows(.cumulative)
        XCTAssertEqual(
            rows.map(\.key), ["paper", "full-c3", "average-pooling", "tanh", "softmax", "momentum", "keras", "dl4j"])
        XCTAssertEqual(rows[0].parameters, PaperFacts.totalTrainableParameters)
        XCTAssertEqual(rows[0].connections, PaperFacts.totalConnections)
        // Full C3: 16 maps × (6 × 25 + 1) = 2,416 against Table I's 1,516.
        XCTAssertEqual(rows[1].parameters - rows[0].parameters, PaperFacts.fullC3Parameters - 1_516)
        // Average pooling drops S2's and S4's β and b: 2 × (6 + 16).
        XCTAssertEqual(rows[1].parameters - rows[2].parameters, 44)
        XCTAssertEqual(rows[3].parameters, rows[2].parameters, "tanh has no parameters")
        XCTAssertEqual(rows[4].parameters, PaperFacts.kerasTrainableParameters)
        XCTAssertEqual(rows[6].parameters, PaperFacts.kerasTrainableParameters)
        XCTAssertEqual(rows[6].architecture, .keras)
        XCTAssertEqual(rows[5].architecture, .keras, "after the output change the cumulative path has the Keras layers")
        // What each step changes, and nothing else.
        XCTAssertEqual(rows[0].config.optimizer, .sdlm)
        XCTAssertEqual(rows[4].config.loss, .crossEntropy)
        XCTAssertEqual(rows[4].config.optimizer, .sdlm)
        XCTAssertEqual(rows[5].config.optimizer, .momentum)
        XCTAssertEqual(rows[5].config.scaling, .paper, "inputs change only in the Keras row")
        XCTAssertEqual(rows[6].config.scaling, .standard)
        XCTAssertEqual(rows[7].config.optimizer, .nesterov)
        XCTAssertEqual(rows[7].config.learningRate, 0.006)
        XCTAssertTrue(rows[7].architecture.linearConvolutions)
        // The paper's row is `lesson reproduce`'s recipe.
        XCTAssertEqual(rows[0].config(seed: 1, passes: 20).optimizer, TrainingConfig.reproduction(seed: 1).optimizer)
        XCTAssertEqual(rows[0].config.curvatureMemory, TrainingConfig.reproduction().curvatureMemory)
    }

    /// The single path changes one thing each time, always from the paper.
    func testSinglePathChangesOneThing() {
        let rows = Ablation.rows(.single)
        XCTAssertEqual(rows[1].key, "only-full-c3")
        XCTAssertEqual(
            rows[1].architecture, Architecture(c3: .full, pooling: .trainable, squashing: .squash, output: .rbf))
        XCTAssertEqual(
            rows[3].architecture, Architecture(c3: .tableI, pooling: .trainable, squashing: .tanh, output: .rbf))
        XCTAssertEqual(rows[5].architecture, .paper)
        XCTAssertEqual(rows[5].config.optimizer, .momentum)
        XCTAssertEqual(rows[5].config.loss, .map(j: Loss.paperJ))
    }

    /// A row's network is built as the architecture says: layer by layer.
    func testArchitectureBuildsItsLayers() {
        let net = LeNet5(architecture: .dl4j, scaling: .standard)
        XCTAssertEqual(
            net.layers.map(\.activation), [.identity, .identity, .identity, .identity, .tanh, .tanh, .identity])
        XCTAssertEqual(net.variant, .keras)
        let paper = LeNet5(variant: .paper)
        XCTAssertEqual(paper.architecture, .paper)
        XCTAssertEqual(paper.scaling, .paper)
        XCTAssertEqual(LeNet5(variant: .keras).scaling, .standard)
        // A paper-output network with plain tanh answers by the smallest penalty, as the paper's.
        let rbfTanh = LeNet5(
            architecture: Architecture(c3: .tableI, pooling: .trainable, squashing: .tanh, output: .rbf),
            scaling: .paper)
        XCTAssertEqual(rbfTanh.predictions(Tensor(shape: [1, 10], scalars: [5, 4, 3, 2, 1, 0.5, 9, 9, 9, 9])), [5])
    }

    /// Means, sample standard deviations and the noise test, worked by hand.
    func testSummaryStatistics() throws {
        let row = Ablation.rows(.cumulative)[0]
        let runs = [0.0098, 0.0078, 0.0077].enumerated().map {
            Ablation.Run(
                row: "paper", seed: UInt64($0.offset), passes: 20, testError: $0.element, testDigits: 10_000,
                trainingError: 0.002, trainingDigits: 60_000, seconds: 170, data: "d")
        }
        let s = try XCTUnwrap(Ablation.Summary(row: row, runs: runs))
        XCTAssertEqual(s.testErrorMean, 0.008433333, accuracy: 1e-8)
        // deviations 0.0013667, −0.0006333, −0.0007333: Σd² = 2.8067e-6; /2 → sd 0.00118462
        XCTAssertEqual(s.testErrorStd, 0.00118462, accuracy: 1e-7)
        XCTAssertNil(Ablation.Summary(row: row, runs: []))
        var other = s
        other.testErrorMean = s.testErrorMean + 0.0015  // 2·√(2·sd²/3) = 0.00193: within
        let report = Ablation.Report(path: .cumulative, passes: 20, data: "d", command: "c", rows: [s, other])
        XCTAssertTrue(report.withinNoise(s, other))
        other.testErrorMean = s.testErrorMean + 0.0025
        XCTAssertFalse(report.withinNoise(s, other))
        // The JSON round-trips with the keys the issue names.
        let json = try report.encoded()
        for key in [
            "\"name\"", "\"parameters\"", "\"connections\"", "\"test_error_mean\"", "\"test_error_std\"", "\"seeds\"",
        ] {
            XCTAssertTrue(json.contains(key), key)
        }
        XCTAssertEqual(try Ablation.Report.decode(Data(json.utf8), file: "f"), report)
        XCTAssertThrowsError(try Ablation.Report.decode(Data("{\"rows\": 3}".utf8), file: "bad.json")) {
            XCTAssertEqual("\($0)", "bad.json: not an ablation report (the JSON 'lesson ablation' writes)")
        }
    }

    /// Every row trains (a little) on real digits: the loss falls and nothing diverges.
    func testEveryRowTrains() throws {
        let splits = try DataSource.embedded()
        let train = try XCTUnwrap(splits.train), test = try XCTUnwrap(splits.validation)
        let small = train.subset(Array(stride(from: 0, to: train.count, by: 6)))  // 750 digits of every class
        for row in Ablation.rows(.cumulative) {
            let run = try XCTUnwrap(
                try Ablation.Run.train(row, seed: 0, passes: 1, train: small, test: test, data: "embedded"))
            XCTAssertLessThan(run.testError, 0.6, "\(row.key) did not learn: \(run.testError)")
            XCTAssertEqual(run.testDigits, test.count)
        }
    }
}
