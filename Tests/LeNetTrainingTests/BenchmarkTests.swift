import LeNetCore
import LeNetData
import LeNetModel
import LeNetTraining
import XCTest

/// Medians and ranges of several benchmark runs, worked out by hand.
final class BenchmarkTests: XCTestCase {
    func result(_ b1: Double, _ b64: Double, _ inference: Double, memory: Double = 40) -> Benchmark.Result {
        Benchmark.Result(
            variant: .keras, trainBatch1: b1, trainBatch64: b64, inferBatch1000: inference, forwardMultiplyAdds: 7,
            peakMemoryMB: memory)
    }

    func testSummaryTakesEachRatesMedianAndRange() {
        let odd = Benchmark.Summary([result(1, 50, 300), result(5, 10, 100), result(3, 30, 200, memory: 60)])
        XCTAssertEqual([odd.median.trainBatch1, odd.median.trainBatch64, odd.median.inferBatch1000], [3, 30, 200])
        XCTAssertEqual([odd.lowest.trainBatch1, odd.lowest.trainBatch64, odd.lowest.inferBatch1000], [1, 10, 100])
        XCTAssertEqual([odd.highest.trainBatch1, odd.highest.trainBatch64, odd.highest.inferBatch1000], [5, 50, 300])
        XCTAssertEqual(odd.median.peakMemoryMB, 60)
        XCTAssertEqual(odd.runs, 3)
        let even = Benchmark.Summary([result(1, 4, 10), result(2, 3, 40), result(3, 2, 20), result(10, 1, 30)])
        XCTAssertEqual(
            [even.median.trainBatch1, even.median.trainBatch64, even.median.inferBatch1000], [2.5, 2.5, 25])
    }

    /// The one median every report uses: the middle value, the mean of the middle two, none
    /// of nothing; the order given does not matter.
    func testTheMedianIsTheMiddleValueOrTheMeanOfTheMiddleTwo() {
        XCTAssertEqual(median([7]), 7)
        XCTAssertEqual(median([50, 10, 30]), 30)
        XCTAssertEqual(median([40, 10, 20, 30]), 25)
        XCTAssertEqual(median([-1, -3, 2, 2]), 0.5)
        XCTAssertNil(median([]))
    }

    /// `bench --layers` times every layer of the network, in its order, for a slice of a
    /// batch and for the paper's online step (one sample, back-propagation fused with a step
    /// of size zero).
    func testLayerTimesCoverEveryLayerForASliceAndForTheOnlineStep() throws {
        let digits = try XCTUnwrap(try DataSource.embedded().train)
        let bench = Benchmark(digits: digits, seconds: 0.05)
        let names = LeNet5(variant: .paper, seed: 1).layers.map(\.name)
        for batch in [1, 16] {
            let times = bench.layerTimes(.paper, batch: batch)
            XCTAssertEqual(times.map(\.layer), names, "batch \(batch)")
            for t in times {
                XCTAssertTrue(t.forward > 0 && t.forward.isFinite, "\(t.layer) forward at batch \(batch)")
                XCTAssertTrue(t.backward > 0 && t.backward.isFinite, "\(t.layer) backward at batch \(batch)")
            }
        }
    }
}
