import Foundation
import LeNetCore
import LeNetData
import LeNetModel
import LeNetTraining
import XCTest

/// Full MNIST for the tests, from one place: $LENET5_MNIST, else ../shared/data/mnist beside
/// the checkout. `bash scripts/test.sh` downloads it when neither is there; a test that needs
/// it fails (never skips) without it.
enum FullMNIST {
    static var folder: String? {
        if let env = ProcessInfo.processInfo.environment[DataSource.environmentVariable], !env.isEmpty { return env }
        let shared = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared/data/mnist").path
        return FileManager.default.fileExists(atPath: shared) ? shared : nil
    }

    static func splits(file: StaticString = #filePath, line: UInt = #line) throws -> DataSplits {
        let folder = try XCTUnwrap(
            folder, "full MNIST is missing: set $LENET5_MNIST or run 'bash scripts/test.sh', which fetches it",
            file: file, line: line)
        return try DataSource.folder(folder)
    }
}

final class ReproductionTests: XCTestCase {
    /// Each shipped weights file still gives, with today's code, the test error recorded in
    /// it when it was made: the same number of misclassified digits out of 10,000.
    func testShippedWeightsGiveTheirRecordedTestError() throws {
        let splits = try FullMNIST.splits()
        XCTAssertTrue(splits.isFullMNIST, splits.source)
        let test = try XCTUnwrap(splits.test)
        for shipped in ShippedWeights.allCases {
            guard shipped.path != nil else { XCTFail("\(shipped.rawValue).safetensors is not in the build"); continue }
            let (net, provenance) = try shipped.load()
            let recorded = try XCTUnwrap(provenance.testErrors, "\(shipped.rawValue) records no test error")
            XCTAssertEqual(provenance.testDigits, 10_000, shipped.rawValue)
            XCTAssertEqual(Evaluation(net: net, digits: test).errors, recorded, shipped.rawValue)
            XCTAssertNotNil(provenance.command, shipped.rawValue)
        }
    }

    /// The paper's shipped network reaches the paper's figure on the test set.
    func testShippedPaperWeightsMatchThePaper() throws {
        let (_, p) = try ShippedWeights.paper.load()
        let rate = ErrorRate(errors: try XCTUnwrap(p.testErrors), count: try XCTUnwrap(p.testDigits))
        XCTAssertLessThanOrEqual(rate.rate, PaperFacts.testError + 1e-12)
    }

    /// A short run of the reproduction's recipe (2,000 digits of full MNIST, one pass, SDLM)
    /// gives the same weights twice, on one core or two: reproducible to the bit.
    func testShortReproductionIsBitReproducible() throws {
        let train = try XCTUnwrap(try FullMNIST.splits().train).subset(Array(0..<2_000))
        func run(threads: Int) throws -> [UInt32] {
            var trainer = Trainer(config: .reproduction(passes: 1, seed: 3))
            trainer.net.threads = threads
            try trainer.trainEpoch(train)
            return trainer.net.parameters.flatMap { $0.value.scalars.map(\.bitPattern) }
        }
        let first = try run(threads: 2)
        XCTAssertEqual(first, try run(threads: 2))
        XCTAssertEqual(first, try run(threads: 1))
    }

    /// `hasTheWeights(of:)`, which `lesson bench --reproduce` asks of its run: true for the
    /// file's own weights, false when one number differs by one bit (the last bit of C1's
    /// first weight) and for another network.
    func testShippedWeightsKnowTheirOwnBits() throws {
        let shipped = ShippedWeights.paper
        var net = try shipped.load().net
        XCTAssertTrue(try shipped.hasTheWeights(of: net))
        net.layers[0].updateTrainable { p, value in
            if p == 0 { value.scalars[0] = Float(bitPattern: value.scalars[0].bitPattern ^ 1) }
        }
        XCTAssertFalse(try shipped.hasTheWeights(of: net))
        XCTAssertFalse(try shipped.hasTheWeights(of: LeNet5(variant: .paper, seed: 1)))
    }

    /// Distorted copies: pattern p ≥ count gets the same distortion in every pass.
    func testDistortedCopiesAreFixed() {
        let trainer = Trainer(config: .reproduction(passes: 1, seed: 5, distortions: true))
        XCTAssertEqual(trainer.config.distortedCopies, 9)
        XCTAssertEqual(trainer.fixedDistortion(70_000, digits: 60_000), trainer.fixedDistortion(70_000, digits: 60_000))
        XCTAssertNotEqual(
            trainer.fixedDistortion(70_000, digits: 60_000), trainer.fixedDistortion(70_001, digits: 60_000))
        XCTAssertEqual(trainer.fixedDistortion(59_999, digits: 60_000), Distortion())
    }
}

final class PaperLedgerTests: XCTestCase {
    /// 95 errors in 10,000: p = 0.0095, √(p(1−p)/n) = √(0.0095·0.9905/10,000) = 0.000970.
    func testErrorRateAndItsStandardError() {
        let e = ErrorRate(errors: 95, count: 10_000)
        XCTAssertEqual(e.rate, 0.0095, accuracy: 1e-12)
        XCTAssertEqual(e.standardError, 0.000970, accuracy: 5e-7)
        XCTAssertEqual(e.described, "0.95% ± 0.10% on 10,000 digits")
        XCTAssertEqual(ErrorRate(errors: 13, count: 500).described, "2.60% ± 0.71% on 500 digits")
        XCTAssertTrue(e.matches(paper: 0.0095))
        // 115 errors: 1.15% − 2 × 0.106% = 0.94% ≤ 0.95%: not distinguishable from the paper.
        XCTAssertTrue(ErrorRate(errors: 115, count: 10_000).matches(paper: 0.0095))
        // 125 errors: 1.25% − 2 × 0.111% = 1.03% > 0.95%.
        XCTAssertFalse(ErrorRate(errors: 125, count: 10_000).matches(paper: 0.0095))
        XCTAssertEqual(ErrorRate(errors: 0, count: 0).standardError, 0)
    }

    /// The curve settles at the first pass from which it stays within two standard errors of its end.
    func testSettlingPass() {
        // Last: 100 of 10,000, standard error √(0.01·0.99/10,000) = 0.000995: tolerance 0.00199,
        // 19.9 digits. 118 (pass 5) onwards is within it; 121 (pass 4) is not.
        let curve = [300, 200, 150, 121, 118, 104, 82, 101, 100].map { ErrorRate(errors: $0, count: 10_000) }
        XCTAssertEqual(PaperLedger.settlingPass(curve), 5)
        XCTAssertEqual(PaperLedger.settlingPass([ErrorRate(errors: 1, count: 10)]), 1)
        XCTAssertNil(PaperLedger.settlingPass([]))
    }

    func testLedgerRowsForThePaperVariant() {
        let test = [200, 120, 100, 95].map { ErrorRate(errors: $0, count: 10_000) }
        let training = [900, 400, 300, 210].map { ErrorRate(errors: $0, count: 60_000) }
        let ledger = PaperLedger(
            testErrors: test, trainingErrors: training, distortions: false, net: LeNet5(variant: .paper, seed: 0))
        XCTAssertEqual(
            ledger.rows.map(\.claim),
            [
                "test error after 4 passes", "misclassified test digits", "training error after 4 passes",
                "pass after which the test error settles", "trainable parameters", "connections",
            ])
        XCTAssertEqual(ledger.rows[0].holds, true)
        XCTAssertEqual(ledger.rows[1].measured, "95 of 10,000")
        XCTAssertEqual(ledger.rows[2].holds, true, "210/60,000 = 0.35%")
        XCTAssertEqual(ledger.rows[4].measured, "60,000")
        XCTAssertEqual(ledger.rows[5].measured, "340,908")
        XCTAssertTrue(ledger.allHold)
    }
}
