import CCPUID
import Dispatch
import Foundation
import Synchronization

/// Runs `body` for each index on up to `threads` cores and returns the results in index
/// order, so that sums over them do not depend on scheduling. With fewer than eight indices a
/// core, core w takes indices w, w + cores, …, so each core gets the same share on every
/// call; with more, each core claims the next index whenever it is free.
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
    // Many indices (a batch of 1000's 63 slices): each core claims the next one when it is
    // free, so a core that runs slower takes fewer. Few (a batch of 64's 4): the fixed share.
    let claims = count >= 8 * cores ? Claims() : nil
    withoutActuallyEscaping(body) { body in
        let share: @Sendable (Int) -> Void = { w in
            if let claims {
                while true {
                    let i = claims.next.add(1, ordering: .relaxed).oldValue
                    if i >= count { break }
                    slots[i] = body(i)
                }
            } else {
                for i in stride(from: w, to: count, by: cores) { slots[i] = body(i) }
            }
        }
        // A call from inside a share (the workers are busy) runs here, one index at a time.
        if !Workers.shared.run(cores - 1, share) {
            for w in 0..<cores { share(w) }
        }
    }
    return results.map { $0! }
}

/// Elements below which work element by element stays on one core: handing a part to the
/// other core costs a microsecond or two, which a short loop does not win back.
public let sharedWorkMinimum = 16_384

/// Runs `body` on contiguous, near-equal parts of 0..<n, one per core (up to `threads`), or
/// on all of it on this core when n is under `minimum`. For work element by element (an
/// optimizer's step), whose numbers do not depend on the split.
public func forEachPart(
    _ n: Int, threads: Int, minimum: Int = sharedWorkMinimum, _ body: @Sendable (Range<Int>) -> Void
) {
    let parts = n >= minimum ? threads : 1
    guard parts > 1 else { return body(0..<n) }
    let ranges = Tensor.chunks(n, parts: parts)
    _ = parallelMap(ranges.count, threads: parts) { body(ranges[$0]) }
}

/// The next index to claim, shared by the cores of one `parallelMap`.
final class Claims: Sendable {
    let next = Atomic<Int>(0)
}

/// Cores this process may use: those of its affinity mask (`taskset -c 0` leaves one) that
/// are online.
public let coreCount: Int = {
    let online = ProcessInfo.processInfo.activeProcessorCount, allowed = Int(lenet_allowed_cpus())
    return allowed > 0 ? min(allowed, online) : online
}()

/// Threads that live as long as the process, one per core but the caller's. Each stays on
/// its core from one call to the next, and so keeps its caches warm. libdispatch's
/// `concurrentPerform` handed each share to whichever pool thread was free, moving the
/// work between cores: two training threads did a third less than two processes.
///
/// A call is handed over without sleeping when it can be: after a share a worker watches
/// for the next call for a while (`patience`) before it sleeps on its semaphore, and the
/// caller, its own share done, watches the workers' count of shares still running instead of
/// sleeping until they signal. Sleeping and waking cost about 150 µs per batch of 64 (a
/// call of 1.7 ms on two cores, whose two shares take 0.8 ms each); watching, about 50.
final class Workers: @unchecked Sendable {
    static let shared = Workers(count: coreCount - 1)

    /// How long a worker watches for the next call before it sleeps.
    static let patience: UInt64 = 500_000  // nanoseconds

    let count: Int
    private let start: [DispatchSemaphore]
    private let busy = NSLock()
    /// Bumped for each call, after `share` is set.
    private let calls = Atomic<Int>(0)
    /// Shares the workers have still to finish in the current call.
    private let running = Atomic<Int>(0)
    /// Whether worker w sleeps on start[w] (and must be signalled).
    private let asleep: [Flag]
    /// The share being run; set before `calls` is bumped, read only by the workers.
    nonisolated(unsafe) private var share: (@Sendable (Int) -> Void)?

    final class Flag: Sendable { let value = Atomic<Bool>(false) }

    init(count: Int) {
        self.count = max(0, count)
        start = (0..<self.count).map { _ in DispatchSemaphore(value: 0) }
        asleep = (0..<self.count).map { _ in Flag() }
        for w in 0..<self.count {
            let thread = Thread { [self] in
                var seen = 0
                while true {
                    seen = next(after: seen, worker: w)
                    share?(w + 1)
                    running.subtract(1, ordering: .releasing)
                }
            }
            thread.name = "lenet-worker-\(w + 1)"
            thread.start()
        }
    }

    /// Waits, watching then sleeping, until a call after `seen` is published; returns it.
    private func next(after seen: Int, worker w: Int) -> Int {
        let since = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while true {
            let call = calls.load(ordering: .acquiring)
            if call != seen { return call }
            spins &+= 1
            if spins & 255 == 0 && DispatchTime.now().uptimeNanoseconds - since > Workers.patience { break }
        }
        // Announce the sleep, then look once more: a caller that bumped `calls` before seeing
        // the announcement did not signal, and one that saw it will.
        asleep[w].value.store(true, ordering: .sequentiallyConsistent)
        if calls.load(ordering: .sequentiallyConsistent) == seen {
            start[w].wait()
        } else if !asleep[w].value.exchange(false, ordering: .sequentiallyConsistent) {
            // The caller saw the announcement and signalled: take the signal.
            start[w].wait()
        }
        return calls.load(ordering: .acquiring)
    }

    /// Returns once `done()` is true, looking again and again; past `patience`, gives the
    /// core away between looks (the thread being waited for may have lost its core).
    static func watch(until done: () -> Bool) {
        if done() { return }
        let since = DispatchTime.now().uptimeNanoseconds
        var spins = 0
        while !done() {
            spins &+= 1
            if spins & 255 == 0 && DispatchTime.now().uptimeNanoseconds - since > patience { sched_yield() }
        }
    }

    /// Runs `share(0)` on this thread and `share(1…n)` on n workers, and returns when all
    /// are done; false, having run nothing, when the workers are already taken.
    func run(_ n: Int, _ share: @escaping @Sendable (Int) -> Void) -> Bool {
        guard busy.try() else { return false }
        defer { busy.unlock() }
        // Workers past n find the call too and run nothing.
        self.share = { w in if w <= n { share(w) } }
        running.store(count, ordering: .relaxed)
        calls.add(1, ordering: .sequentiallyConsistent)
        for w in 0..<count where asleep[w].value.exchange(false, ordering: .sequentiallyConsistent) {
            start[w].signal()
        }
        share(0)
        // Watch for the workers to finish (a worker that lost its core to another thread of
        // ours needs it back: `watch` gives it away between looks past `patience`).
        Workers.watch { running.load(ordering: .acquiring) == 0 }
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
        BackgroundJobs.running.add(1, ordering: .sequentiallyConsistent)
        let thread = Thread { [self] in
            let value = work()
            lock.withLock { result = value }
            BackgroundJobs.running.subtract(1, ordering: .sequentiallyConsistent)
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

/// How many `Background` jobs are running: while one is, its core is taken, and `runPaired`
/// does not count on a second core.
enum BackgroundJobs {
    static let running = Atomic<Int>(0)
}

/// Runs `first` on this thread and `second` on a worker's core at the same time, for two jobs
/// that hand work to each other as they go (`Relay`); returns when both are done. False,
/// having run neither, when no second core is free: one core, the workers taken (a call from
/// inside `parallelMap`), or a `Background` job running (a core shared by two threads would
/// leave the other waiting at every hand-over for a time slice). The caller then does the
/// work on one core.
public func runPaired(_ first: () -> Void, _ second: @Sendable () -> Void) -> Bool {
    guard Workers.shared.count > 0, BackgroundJobs.running.load(ordering: .sequentiallyConsistent) == 0 else {
        return false
    }
    return withoutActuallyEscaping(first) { first in
        withoutActuallyEscaping(second) { second in
            nonisolated(unsafe) let first = first
            return Workers.shared.run(1) { w in if w == 0 { first() } else { second() } }
        }
    }
}

/// How long a write on this core takes to be seen on a worker's core and answered: the
/// median, in nanoseconds, of `runs` runs of `trips` round trips of a number bounced between
/// the two (`runPaired`); nil when no second core is free. Two threads of one batch wait for
/// each other's writes (every hand-over, the merge of the slices' gradients, the weights one
/// core has stepped and the other reads), so this time bounds how well they share the work.
/// Where a virtual machine's two cores sit on different chiplets it is several times longer
/// than where they share one, and two-thread training is slower for it.
public func coreRoundTrip(trips: Int = 2_000, runs: Int = 5) -> Double? {
    precondition(trips > 0 && runs > 0)
    let ball = Ball()
    var times: [Double] = []
    for _ in 0..<runs {
        ball.position.store(0, ordering: .sequentiallyConsistent)
        nonisolated(unsafe) var nanoseconds: UInt64 = 0
        let paired = runPaired(
            {
                let start = DispatchTime.now().uptimeNanoseconds
                for i in 0..<trips {
                    ball.position.store(2 * i + 1, ordering: .releasing)
                    Workers.watch { ball.position.load(ordering: .acquiring) == 2 * i + 2 }
                }
                nanoseconds = DispatchTime.now().uptimeNanoseconds - start
            },
            {
                for i in 0..<trips {
                    Workers.watch { ball.position.load(ordering: .acquiring) == 2 * i + 1 }
                    ball.position.store(2 * i + 2, ordering: .releasing)
                }
            })
        guard paired else { return nil }
        times.append(Double(nanoseconds) / Double(trips))
    }
    return median(times)
}

/// The number `coreRoundTrip` bounces.
final class Ball: Sendable {
    let position = Atomic<Int>(0)
}

/// Where two jobs of `runPaired` stand: each posts the stages it has reached and waits,
/// watching, for the other's. Posting publishes every write made before it to the job that
/// waits for that stage.
public final class Relay: Sendable {
    private let stage = Atomic<Int>(0)

    public init() {}

    /// Back to stage 0, before the jobs start.
    public func reset() { stage.store(0, ordering: .relaxed) }

    public func post(_ reached: Int) { stage.store(reached, ordering: .releasing) }

    /// Returns once `reached` is posted (`Workers.watch`: the other job may have lost its core).
    public func wait(for reached: Int) {
        Workers.watch { stage.load(ordering: .acquiring) >= reached }
    }
}
