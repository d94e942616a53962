import Dispatch
import Foundation

/// Runs `body` for each index on up to `threads` cores and returns the results in index
/// order, so that sums over them do not depend on scheduling.
public func parallelMap<T: Sendable>(_ count: Int, threads: Int = coreCount, _ body: @Sendable (Int) -> T) -> [T] {
    let workers = min(threads, count)
    guard workers > 1 else { return (0..<count).map(body) }
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer {
        // Release the results the buffer still holds, then the buffer.
        _ = results.deinitialize()
        results.deallocate()
    }
    nonisolated(unsafe) let slots = results
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        for i in stride(from: w, to: count, by: workers) { slots[i] = body(i) }
    }
    return results.map { $0! }
}

/// Cores this process may use.
public let coreCount = ProcessInfo.processInfo.activeProcessorCount
