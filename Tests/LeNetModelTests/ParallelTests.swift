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

    func testManyIndicesAreEachClaimedOnceAndComeBackInOrder() {
        // Eight indices a core or more (a batch of 1000's 63 slices) are claimed one at a time
        // by whichever core is free; the work is made uneven so that one core takes more.
        for call in 0..<300 {
            let count = 8 * coreCount + call % 50
            let runs = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
            runs.initialize(repeating: 0)
            defer { runs.deallocate() }
            nonisolated(unsafe) let counter = runs
            let results = parallelMap(count) { i in
                counter[i] += 1
                if i % 7 == 0 { usleep(20) }
                return i &* 7919 &+ call
            }
            XCTAssertEqual(results, (0..<count).map { $0 &* 7919 &+ call }, "call \(call)")
            XCTAssertEqual(Array(runs), [Int](repeating: 1, count: count), "call \(call)")
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

    /// `runPaired`: both jobs run at once (each waits for a stage only the other posts, so
    /// one run after the other would hang), many times over, each seeing what the other
    /// wrote before it posted; refused while a `Background` job holds a core, and from
    /// inside a share of `parallelMap` (the workers are taken).
    func testPairedJobsRunAtOnceAndHandOverInOrder() throws {
        try XCTSkipIf(coreCount < 2, "two jobs at once need two cores; this machine gives the process one")
        let relay = Relay()
        nonisolated(unsafe) var first = 0, second = 0, faults: [String] = []
        let done = DispatchSemaphore(value: 0)
        Thread {
            for round in 1...2_000 {
                relay.reset()
                let ran = runPaired(
                    {
                        first = round
                        relay.post(1)
                        relay.wait(for: 2)
                        if second != 2 * round { faults.append("round \(round): first saw \(second)") }
                    },
                    {
                        relay.wait(for: 1)
                        if first != round { faults.append("round \(round): second saw \(first)") }
                        second = 2 * round
                        relay.post(2)
                    })
                if !ran { faults.append("round \(round): not run") }
            }
            done.signal()
        }.start()
        XCTAssertEqual(done.wait(timeout: .now() + 120), .success, "the paired jobs hung")
        XCTAssertEqual(faults, [])

        let background = Background { _ = usleep(200_000) }
        XCTAssertFalse(runPaired({ XCTFail("ran") }, { XCTFail("ran") }), "a background job holds the second core")
        background.value
        XCTAssertTrue(runPaired({}, {}), "the second core is free again")
        let inside = parallelMap(2) { _ in runPaired({}, {}) }
        XCTAssertEqual(inside, [false, false], "the workers are taken")
    }

    /// The cores the process may use are those of its affinity mask (what `taskset` sets),
    /// as Linux lists them in /proc/self/status.
    func testCoreCountIsTheAffinityMasks() throws {
        let status = try String(contentsOfFile: "/proc/self/status", encoding: .utf8)
        let list = try XCTUnwrap(status.split(separator: "\n").first { $0.hasPrefix("Cpus_allowed_list:") })
        let allowed = list.dropFirst("Cpus_allowed_list:".count).split(separator: ",").map { part in
            let ends = part.trimmingCharacters(in: .whitespaces).split(separator: "-").compactMap { Int($0) }
            return ends.count == 2 ? ends[1] - ends[0] + 1 : 1
        }.reduce(0, +)
        XCTAssertEqual(coreCount, min(allowed, ProcessInfo.processInfo.activeProcessorCount))
    }

    func testACallFromInsideAShareRunsOnItsOwnThread() {
        let results = parallelMap(4) { i in parallelMap(3) { j in 10 * i + j }.reduce(0, +) }
        XCTAssertEqual(results, (0..<4).map { 30 * $0 + 3 })
    }

    /// The round trip between two cores (`coreRoundTrip`) is measured where a second core is
    /// free: a time above a few nanoseconds (a number cannot cross between caches faster)
    /// and below a millisecond (the worker had its core); nil where there is none: one core,
    /// or the workers taken by the call it is made from.
    func testTheRoundTripBetweenTwoCoresIsMeasuredWhereThereAreTwo() throws {
        guard coreCount > 1 else { return XCTAssertNil(coreRoundTrip()) }
        let trip = try XCTUnwrap(coreRoundTrip(trips: 1_000, runs: 3))
        XCTAssertGreaterThan(trip, 5)
        XCTAssertLessThan(trip, 1_000_000)
        let inside = parallelMap(2) { _ in coreRoundTrip(trips: 10, runs: 1) == nil }
        XCTAssertEqual(inside, [true, true])
    }
}

/// Each thread's scratch memory (`Scratch`): last in, first out; aligned; grown to what the
/// thread has held at once; a thread's own.
final class ScratchTests: XCTestCase {
    func address(_ p: UnsafeMutablePointer<Float>) -> Int { Int(bitPattern: p) }

    func testBuffersNestAreAlignedAndComeBackInOrder() {
        // Ask for more than the block holds once, so that it grows, then twice the same.
        let big = max(1 << 16, Scratch.capacity / 4 + 1)
        Scratch.floats(big) { _ in }
        XCTAssertGreaterThanOrEqual(Scratch.capacity, big * 4, "the block grew to the most held at once")
        let first = Scratch.floats(big) { address($0) }
        let again = Scratch.floats(big) { address($0) }
        XCTAssertEqual(first, again, "a buffer handed back is handed out again")
        Scratch.floats(100, zerosFrom: 40) { outer in
            XCTAssertEqual(address(outer) % 64, 0)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: outer + 40, count: 60)), [Float](repeating: 0, count: 60))
            for k in 0..<100 { outer[k] = Float(k) }
            Scratch.with(Int.self, 7) { inner in
                let start = Int(bitPattern: inner)
                XCTAssertEqual(start % 64, 0)
                XCTAssertGreaterThanOrEqual(start, address(outer) + 100 * 4, "the inner buffer lies past the outer")
                for k in 0..<7 { inner[k] = -1 }
            }
            XCTAssertEqual((0..<100).map { outer[$0] }, (0..<100).map(Float.init), "the outer buffer kept its numbers")
        }
        // A thread of its own has a block of its own.
        let here = Scratch.floats(8) { address($0) }
        let there = parallelMap(2, threads: 2) { _ in Scratch.floats(8) { Int(bitPattern: $0) } }
        XCTAssertTrue(there.contains { $0 != here } || coreCount == 1)
    }

    /// A buffer too big for what is left of the block, asked for inside another (as a layer's
    /// inner loops ask), takes the heap once; the block grows when the outer one is handed
    /// back, and from then on both come from it, one after the other. (It used to grow only
    /// when the heap was taken by an outermost buffer, so such a step took the heap for good.)
    func testABlockTooSmallForAnInnerBufferGrowsOnceTheOuterIsBack() {
        let outerCount = 1000, innerCount = Scratch.capacity / 4 + 1
        let outerBytes = (outerCount * 4 + 63) / 64 * 64
        func nested() -> (outer: Int, inner: Int) {
            Scratch.floats(outerCount) { outer in (address(outer), Scratch.floats(innerCount) { address($0) }) }
        }
        let first = nested()
        XCTAssertNotEqual(first.inner, first.outer + outerBytes, "the inner buffer did not fit: the heap")
        XCTAssertGreaterThanOrEqual(Scratch.capacity, outerBytes + innerCount * 4, "the block grew to both at once")
        let second = nested(), third = nested()
        XCTAssertEqual(second.inner, second.outer + outerBytes, "the inner buffer lies right after the outer")
        XCTAssertEqual(third.outer, second.outer)
        XCTAssertEqual(third.inner, second.inner)
    }
}
