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
}
