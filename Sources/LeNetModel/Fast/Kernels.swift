import LeNetCore

/// Small loops over raw buffers that the compiler vectorizes: the fast path's building blocks.
/// Each takes counts explicitly; callers guarantee the ranges (tests hold the fast path
/// against the reference layers).
enum Kernels {
    /// y[0..<n] += a · x[0..<n]
    @inline(__always)
    static func axpy(_ n: Int, _ a: Float, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>) {
        for k in 0..<n { y[k] += a * x[k] }
    }

    /// Σ x[k]·y[k], with four partial sums so the loop vectorizes.
    @inline(__always)
    static func dot(_ n: Int, _ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>) -> Float {
        var s0: Float = 0, s1: Float = 0, s2: Float = 0, s3: Float = 0
        var k = 0
        while k + 4 <= n {
            s0 += x[k] * y[k]; s1 += x[k + 1] * y[k + 1]; s2 += x[k + 2] * y[k + 2]; s3 += x[k + 3] * y[k + 3]
            k += 4
        }
        while k < n { s0 += x[k] * y[k]; k += 1 }
        return (s0 + s1) + (s2 + s3)
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
