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

    /// out[p] = bias + Σ_{j ∈ ranges} w[j]·rows[j][p] for p in 0..<n, n a multiple of 16 and
    /// the rows n floats apart: sixteen outputs are summed in registers over all j, then
    /// stored once.
    @inline(__always)
    static func weightedRows(_ n: Int, bias: Float, _ w: UnsafePointer<Float>, _ rows: UnsafePointer<Float>,
                             _ ranges: [Range<Int>], into out: UnsafeMutablePointer<Float>) {
        let rawOut = UnsafeMutableRawPointer(out)
        for p in stride(from: 0, to: n, by: 16) {
            var a0 = SIMD8<Float>(repeating: bias), a1 = SIMD8<Float>(repeating: bias)
            for range in ranges {
                var row = UnsafeRawPointer(rows + range.lowerBound * n + p)
                for j in range {
                    let wj = SIMD8<Float>(repeating: w[j])
                    a0.addProduct(wj, row.loadUnaligned(as: SIMD8<Float>.self))
                    a1.addProduct(wj, row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
                    row += 4 * n
                }
            }
            rawOut.storeBytes(of: a0, toByteOffset: 4 * p, as: SIMD8<Float>.self)
            rawOut.storeBytes(of: a1, toByteOffset: 4 * (p + 8), as: SIMD8<Float>.self)
        }
    }

    /// Four dot products of x with y0…y3 at once, so each load of x serves four sums;
    /// n a multiple of 8.
    @inline(__always)
    static func dot4(_ n: Int, _ x: UnsafePointer<Float>, _ y0: UnsafePointer<Float>, _ y1: UnsafePointer<Float>,
                     _ y2: UnsafePointer<Float>, _ y3: UnsafePointer<Float>) -> SIMD4<Float> {
        var s0 = SIMD8<Float>(), s1 = SIMD8<Float>(), s2 = SIMD8<Float>(), s3 = SIMD8<Float>()
        for k in stride(from: 0, to: n, by: 8) {
            let xv = UnsafeRawPointer(x + k).loadUnaligned(as: SIMD8<Float>.self)
            s0.addProduct(xv, UnsafeRawPointer(y0 + k).loadUnaligned(as: SIMD8<Float>.self))
            s1.addProduct(xv, UnsafeRawPointer(y1 + k).loadUnaligned(as: SIMD8<Float>.self))
            s2.addProduct(xv, UnsafeRawPointer(y2 + k).loadUnaligned(as: SIMD8<Float>.self))
            s3.addProduct(xv, UnsafeRawPointer(y3 + k).loadUnaligned(as: SIMD8<Float>.self))
        }
        return SIMD4(s0.sum(), s1.sum(), s2.sum(), s3.sum())
    }

    /// Applies the activation in place, eight at a time with `tanh8`.
    @inline(__always)
    static func activate(_ f: Activation, _ n: Int, _ a: UnsafeMutablePointer<Float>) {
        if f == .identity { return }
        let (outer, inner): (Float, Float) = f == .squash ? (Activation.amplitude, Activation.slope) : (1, 1)
        let raw = UnsafeMutableRawPointer(a)
        var k = 0
        while k + 8 <= n {
            let x = raw.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            raw.storeBytes(of: outer * tanh8(inner * x), toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        while k < n { a[k] = f(a[k]); k += 1 }
    }

    /// tanh of eight floats, to within about 1e-7 of tanhf: tanh|x| = 1 − 2/(e^{2|x|} + 1),
    /// with e^y = 2^k·e^r, |r| ≤ ln2/2, and e^r by its Taylor series to r⁷ (error < 1e-8).
    @inline(__always)
    static func tanh8(_ x: SIMD8<Float>) -> SIMD8<Float> {
        // tanh(9) rounds to 1 in Float; clamping keeps 2^k in range.
        let y = 2 * x.replacing(with: -x, where: x .< 0).replacing(with: 9, where: x .> 9 .| x .< -9)
        let k = (y * 1.442_695_04).rounded(.toNearestOrEven)
        // r = y − k·ln2, with ln2 split in two so the product is exact.
        let r = (y - k * 0.693_145_751_953_125) - k * 1.428_606_765_330_187e-6
        var p = r * (1.0 / 5040) + (1.0 / 720)
        p = p * r + (1.0 / 120)
        p = p * r + (1.0 / 24)
        p = p * r + (1.0 / 6)
        p = p * r + 0.5
        p = p * r + 1
        p = p * r + 1
        // 2^k from k's bits: adding 1.5·2²³ puts the integer k in the low mantissa bits
        // (no checked conversion, so a NaN input gives NaN rather than a trap).
        let magic = SIMD8<Float>(repeating: 12_582_912)
        let kBits = unsafeBitCast(k + magic, to: SIMD8<Int32>.self) &- unsafeBitCast(magic, to: SIMD8<Int32>.self)
        let twoToK = unsafeBitCast((kBits &+ 127) &<< 23, to: SIMD8<Float>.self)
        let t = 1 - 2 / (p * twoToK + 1)
        return t.replacing(with: -t, where: x .< 0)
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
