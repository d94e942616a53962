import CPrefetch
import Foundation

/// Working memory that outlives a training step: each thread keeps one block, handed out
/// last-in first-out to the buffers a layer needs only while it runs (an unrolled input, a
/// product's sums, ∂E/∂a). A step of online training asks for some thirty such buffers; from
/// the heap each cost an allocation, a metadata lookup and a free. The contents of a buffer
/// are whatever the last user left: callers write before they read.
///
/// The first steps find the block too small and take the heap; the block then grows, once the
/// thread's outermost buffer is handed back, to the most they held at once (however deep in
/// the nesting the heap was taken).
public enum Scratch {
    /// One thread's block, and how much of it is handed out. Kept behind a plain pointer (not
    /// a class instance), so that reaching it takes no reference counting: a step asks for it
    /// some thirty times, and each retain and release is an atomic operation.
    struct Arena {
        var base: UnsafeMutableRawPointer?
        var capacity = 0
        var top = 0
        /// The most ever asked for at once: the size the block grows to.
        var wanted = 0
    }

    /// Every buffer starts on a 64-byte boundary: a cache line, and a sixteen-float register.
    static let alignment = 64

    /// Where each thread finds its arena: a pthread key whose destructor frees it.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { state in
            guard let state else { return }
            let arena = state.assumingMemoryBound(to: Arena.self)
            arena.pointee.base?.deallocate()
            arena.deinitialize(count: 1)
            arena.deallocate()
        }
        precondition(status == 0, "pthread_key_create failed (\(status))")
        return key
    }()

    @inline(__always)
    static var arena: UnsafeMutablePointer<Arena> {
        if let stored = pthread_getspecific(key) { return stored.assumingMemoryBound(to: Arena.self) }
        let arena = UnsafeMutablePointer<Arena>.allocate(capacity: 1)
        arena.initialize(to: Arena())
        pthread_setspecific(key, arena)
        return arena
    }

    /// Runs `body` with room for `count` values of `T` (unset) from this thread's block.
    @inline(__always)
    public static func with<T: BitwiseCopyable, R>(
        _ type: T.Type, _ count: Int, _ body: (UnsafeMutablePointer<T>) throws -> R
    )
        rethrows -> R
    {
        let bytes = (max(count, 1) * MemoryLayout<T>.stride + alignment - 1) / alignment * alignment
        let arena = arena, start = arena.pointee.top, end = start + bytes
        // The buffer holds [start, end) of the block, or would: buffers asked for inside it go
        // after it either way, so `wanted` counts everything held at once.
        arena.pointee.top = end
        arena.pointee.wanted = max(arena.pointee.wanted, end)
        defer {
            arena.pointee.top = start
            // The outermost buffer is back: a block found too small grows now.
            if start == 0 && arena.pointee.wanted > arena.pointee.capacity { grow(arena) }
        }
        guard let base = arena.pointee.base, end <= arena.pointee.capacity else {
            // Not room enough: the heap, this once.
            let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
            defer { memory.deallocate() }
            return try body(memory.bindMemory(to: T.self, capacity: count))
        }
        return try body((base + start).bindMemory(to: T.self, capacity: count))
    }

    /// `with` for `count` floats, those from `zerosFrom` on set to zero.
    @inline(__always)
    public static func floats<R>(
        _ count: Int, zerosFrom start: Int? = nil, _ body: (UnsafeMutablePointer<Float>) throws -> R
    )
        rethrows -> R
    {
        try with(Float.self, count) { p in
            let from = min(start ?? count, count)
            (p + from).update(repeating: 0, count: count - from)
            return try body(p)
        }
    }

    /// Replaces a free block by one of the size the thread has wanted.
    static func grow(_ arena: UnsafeMutablePointer<Arena>) {
        guard arena.pointee.top == 0, arena.pointee.wanted > arena.pointee.capacity else { return }
        arena.pointee.base?.deallocate()
        arena.pointee.base = UnsafeMutableRawPointer.allocate(byteCount: arena.pointee.wanted, alignment: alignment)
        arena.pointee.capacity = arena.pointee.wanted
    }

    /// Bytes of this thread's block (for tests).
    public static var capacity: Int { arena.pointee.capacity }
}

/// Asks the CPU to fetch `bytes` bytes from `start` into its caches (every cache line they
/// touch), for a read soon after: a digit taken at random from 47 MB of them, or feature maps
/// another core wrote, fetched while this one waits.
public func prefetch(_ start: UnsafeRawPointer, bytes: Int) {
    guard bytes > 0 else { return }
    for offset in stride(from: 0, to: bytes, by: 64) { lenet_prefetch(start + offset) }
    lenet_prefetch(start + bytes - 1)
}
