import Dispatch
import Foundation

/// Runs `body` for each index on up to `threads` cores and returns the results in index
/// order, so that sums over them do not depend on scheduling. Core w takes indices w,
/// w + cores, …, so each core gets the same share on every call.
public func parallelMap<T: Sendable>(_ count: Int, threads: Int = coreCount, _ body: @Sendable (Int) -> T) -> [T] {
    let cores = min(threads, count, Workers.shared.count + 1)
    guard cores > 1 else { return (0..<count).map(body) }
    let results = UnsafeMutableBufferPointer<T?>.allocate(capacity: count)
    results.initialize(repeating: nil)
    defer {
        // Release the results the buffer still holds, then the buffer.
        _ = results.deinitialize()
        results.deallocate()
    }
    nonisolated(unsafe) let slots = results
    withoutActuallyEscaping(body) { body in
        let share: @Sendable (Int) -> Void = { w in
            for i in stride(from: w, to: count, by: cores) { slots[i] = body(i) }
        }
        // A call from inside a share (the workers are busy) runs here, one index at a time.
        if !Workers.shared.run(cores - 1, share) {
            for w in 0..<cores { share(w) }
        }
    }
    return results.map { $0! }
}

/// Cores this process may use.
public let coreCount = ProcessInfo.processInfo.activeProcessorCount

/// Threads that live as long as the process, one per core but the caller's. Each stays on
/// its core from one call to the next, and so keeps its caches warm. libdispatch's
/// `concurrentPerform` handed each share to whichever pool thread was free, moving the
/// work between cores: two training threads did a third less than two processes.
final class Workers: @unchecked Sendable {
    static let shared = Workers(count: coreCount - 1)

    let count: Int
    private let start: [DispatchSemaphore]
    private let done = DispatchSemaphore(value: 0)
    private let busy = NSLock()
    /// The share being run; set before the workers are woken, read only by them.
    private var share: (@Sendable (Int) -> Void)?

    init(count: Int) {
        self.count = max(0, count)
        start = (0..<self.count).map { _ in DispatchSemaphore(value: 0) }
        for w in 0..<self.count {
            let thread = Thread { [self] in
                while true {
                    start[w].wait()
                    share?(w + 1)
                    done.signal()
                }
            }
            thread.name = "lenet-worker-\(w + 1)"
            thread.start()
        }
    }

    /// Runs `share(0)` on this thread and `share(1…n)` on n workers, and returns when all
    /// are done; false, having run nothing, when the workers are already taken.
    func run(_ n: Int, _ share: @escaping @Sendable (Int) -> Void) -> Bool {
        guard busy.try() else { return false }
        defer { busy.unlock() }
        self.share = share
        for w in 0..<n { start[w].signal() }
        share(0)
        for _ in 0..<n { done.wait() }
        self.share = nil
        return true
    }
}

/// Work started on a thread of its own and collected later: a pass's evaluation runs on the
/// second core while the next pass trains on the first.
public final class Background<T: Sendable>: @unchecked Sendable {
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var result: T?

    public init(_ work: @escaping @Sendable () -> T) {
        let thread = Thread { [self] in
            let value = work()
            lock.withLock { result = value }
            finished.signal()
        }
        thread.name = "lenet-background"
        thread.start()
    }

    /// Whether the result is in (`value` will not wait).
    public var isDone: Bool { lock.withLock { result != nil } }

    /// The result, waiting for it if need be.
    public var value: T {
        if !isDone { finished.wait(); finished.signal() }
        return lock.withLock { result! }
    }
}
