import Foundation

/// Working memory that outlives a training step: each thread keeps one block, handed out
/// last-in first-out to the buffers a layer needs only while it runs (an unrolled input, a
/// product's sums, ∂E/∂a). A step of online training asks for some thirty such buffers; from
/// the heap each cost an allocation, a metadata lookup and a free. The contents of a buffer
/// are whatever the last user left: callers write before they read.
///
/// The first steps find the block too small and take the heap; the block then grows, once the
/// thread's outermost buffer is handed back, to the most they held at once.
public enum Scratch {
    /// One thread's block, and how much of it is handed out.
    final class Arena {
        var base: UnsafeMutableRawPointer?
        var capacity = 0
        var top = 0
        /// The most ever asked for at once: the size the block grows to.
        var wanted = 0

        deinit { base?.deallocate() }
    }

    /// Every buffer starts on a 64-byte boundary: a cache line, and a sixteen-float register.
    static let alignment = 64

    /// Where each thread finds its arena: a pthread key whose destructor frees it.
    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        let status = pthread_key_create(&key) { arena in
            guard let arena else { return }
            Unmanaged<Arena>.fromOpaque(arena).release()
        }
        precondition(status == 0, "pthread_key_create failed (\(status))")
        return key
    }()

    @inline(__always)
    static var arena: Arena {
        if let stored = pthread_getspecific(key) { return Unmanaged<Arena>.fromOpaque(stored).takeUnretainedValue() }
        let arena = Arena()
        pthread_setspecific(key, Unmanaged.passRetained(arena).toOpaque())
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
        let arena = arena, start = arena.top
        guard let base = arena.base, start + bytes <= arena.capacity else {
            // Not room enough: the heap, this once; the block grows when it is next free.
            arena.wanted = max(arena.wanted, start + bytes)
            let memory = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: alignment)
            defer {
                memory.deallocate()
                if arena.top == 0 { grow(arena) }
            }
            return try body(memory.bindMemory(to: T.self, capacity: count))
        }
        arena.top = start + bytes
        arena.wanted = max(arena.wanted, arena.top)
        defer { arena.top = start }
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
    static func grow(_ arena: Arena) {
        guard arena.top == 0, arena.wanted > arena.capacity else { return }
        arena.base?.deallocate()
        arena.base = UnsafeMutableRawPointer.allocate(byteCount: arena.wanted, alignment: alignment)
        arena.capacity = arena.wanted
    }

    /// Bytes of this thread's block (for tests).
    public static var capacity: Int { arena.capacity }
}
