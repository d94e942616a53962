import Foundation
import LeNetCore
import XCTest

/// `parallelMap` and the workers behind it: every index run once, results in index order,
/// whether the workers are caught watching for the next call or have gone to sleep, from
/// two threads at once, and from inside a share.
final class ParallelTests: XCTestCase {
    /// Runs `parallelMap(count)`; what went wrong, if anything: an index not run exactly
    /// once, or results out of index order.
    static func fault(_ count: Int, _ call: Int) -> String? {
        let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
        runs.initialize(repeating: 0)
        defer { runs.deallocate() }
        nonisolated(unsafe) let counter = runs
        let results = parallelMap(count) { i in
            counter[i] += 1  // each index belongs to one core
            return i &* 7919 &+ call
        }
        if results != (0..<count).map({ $0 &* 7919 &+ call }) { return "call \(call): results \(results)" }
        if Array(runs) != [Int](repeating: 1, count: count) { return "call \(call): runs \(Array(runs))" }
        return nil
    }

    func testCallsInQuickSuccessionRunEveryIndexOnceInOrder() {
        // One call after another: the workers are still watching for the next one.
        for call in 0..<3_000 {
            if let fault = ParallelTests.fault(1 + call % 9, call) { return XCTFail(fault) }
        }
    }

    func testCallsAfterTheWorkersHaveGoneToSleepRunEveryIndexOnce() {
        // Spaced wider than the workers' patience, so each call has to wake them; on a thread
        // of its own, so that a lost wake-up fails the test instead of hanging it.
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var faults: [String] = []
        Thread {
            for call in 0..<40 {
                usleep(useconds_t(1_000 + (call % 3) * 400))
                if let fault = ParallelTests.fault(2 + call % 5, call) { faults.append(fault) }
            }
            done.signal()
        }.start()
        XCTAssertEqual(done.wait(timeout: .now() + 120), .success, "a call never returned")
        XCTAssertEqual(faults, [])
    }

    func testTwoThreadsCallingAtOnceBothFinishWithTheirOwnResults() {
        // One thread gets the workers, the other runs its calls itself; neither may hang.
        let done = DispatchSemaphore(value: 0)
        for thread in 0..<2 {
            Thread {
                for call in 0..<1_500 {
                    let results = parallelMap(1 + call % 6) { $0 + 1_000 * thread }
                    precondition(results == (0..<(1 + call % 6)).map { $0 + 1_000 * thread })
                }
                done.signal()
            }.start()
        }
        for _ in 0..<2 { XCTAssertEqual(done.wait(timeout: .now() + 120), .success, "a thread did not finish") }
    }

    func testACallFromInsideAShareRunsOnItsOwnThread() {
        let results = parallelMap(4) { i in parallelMap(3) { j in 10 * i + j }.reduce(0, +) }
        XCTAssertEqual(results, (0..<4).map { 30 * $0 + 3 })
    }
}
