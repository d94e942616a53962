import LeNetCore

/// Small loops over raw buffers that the compiler vectorizes: the fast path's building blocks.
/// Each takes counts explicitly; callers guarantee the ranges (tests hold the fast path
/// against the reference layers).
enum Kernels {
    /// y[0..<n] += a · x[0..<n], eight floats at a time.
    @inline(__always)
    static func axpy(_ n: Int, _ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        let rx = UnsafeRawPointer(x), ry = UnsafeMutableRawPointer(y)
        let av = SIMD8<Float>(repeating: a)
        var k = 0
        while k + 8 <= n {
            let sum = ry.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
                .addingProduct(av, rx.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self))
            ry.storeBytes(of: sum, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        while k < n { y[k] += a * x[k]; k += 1 }
    }

    /// Σ x[k]·y[k], with two eight-wide partial sums.
    @inline(__always)
    static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        let rx = UnsafeRawPointer(x), ry = UnsafeRawPointer(y)
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>()
        var k = 0
        while k + 16 <= n {
            s0.addProduct(rx.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self), ry.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self))
            s1.addProduct(rx.loadUnaligned(fromByteOffset: 4 * k + 32, as: SIMD8<Float>.self), ry.loadUnaligned(fromByteOffset: 4 * k + 32, as: SIMD8<Float>.self))
            k += 16
        }
        if k + 8 <= n {
            s0.addProduct(rx.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self), ry.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self))
            k += 8
        }
        var sum = (s0 + s1).sum()
        while k < n { sum += x[k] * y[k]; k += 1 }
        return sum
    }

    /// Applies the activation in place.
    @inline(__always)
    static func activate(_ f: Activation, _ n: Int, _ a: UnsafeMutablePointer<Float>) {
        if f == .identity { return }
        for k in 0..<n { a[k] = f(a[k]) }
    }

    /// da[k] = dy[k] · f′(y[k])
    @inline(__always)
    static func slope(_ f: Activation, _ n: Int, _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>, _ da: UnsafeMutablePointer<Float>) {
        for k in 0..<n { da[k] = dy[k] * f.derivative(output: y[k]) }
    }
}

extension Tensor {
    /// Runs `body` with the scalars' base address.
    @inline(__always)
    func withPointer<R>(_ body: (UnsafePointer<Float>) -> R) -> R {
        scalars.withUnsafeBufferPointer { body($0.baseAddress!) }
    }

    @inline(__always)
    mutating func withMutablePointer<R>(_ body: (UnsafeMutablePointer<Float>) -> R) -> R {
        scalars.withUnsafeMutableBufferPointer { body($0.baseAddress!) }
    }
}
