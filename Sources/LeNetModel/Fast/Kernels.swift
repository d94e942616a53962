import LeNetCore
import LeNetKernels
import LeNetKernelsAVX512

/// Small loops over raw buffers that the compiler vectorizes: the fast path's building blocks.
/// Each takes counts explicitly; callers guarantee the ranges (tests hold the fast path
/// against the reference layers).
enum Kernels {
    /// dst[0..<n] = src[0..<n] for the short stretches a convolution keeps of each row of its
    /// input-wide grid (28 or 10 floats): eight, four, two and one at a time, with no call to
    /// memcpy and no loop for the remainder.
    @inline(__always)
    static func copy(_ n: Int, _ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>) {
        let s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        var q = 0
        while q + 8 <= n {
            d.storeBytes(
                of: s.loadUnaligned(fromByteOffset: 4 * q, as: SIMD8<Float>.self), toByteOffset: 4 * q,
                as: SIMD8<Float>.self)
            q += 8
        }
        if q + 4 <= n {
            d.storeBytes(
                of: s.loadUnaligned(fromByteOffset: 4 * q, as: SIMD4<Float>.self), toByteOffset: 4 * q,
                as: SIMD4<Float>.self)
            q += 4
        }
        if q + 2 <= n {
            d.storeBytes(
                of: s.loadUnaligned(fromByteOffset: 4 * q, as: SIMD2<Float>.self), toByteOffset: 4 * q,
                as: SIMD2<Float>.self)
            q += 2
        }
        if q < n { dst[q] = src[q] }
    }

    /// dst[0..<n] += src[0..<n]: eight at a time through pointers (no checked index
    /// arithmetic), then four, then one.
    @inline(__always)
    static func add(_ n: Int, _ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>) {
        var s = UnsafeRawPointer(src), d = UnsafeMutableRawPointer(dst)
        for _ in 0..<n / 8 {
            d.storeBytes(
                of: d.loadUnaligned(as: SIMD8<Float>.self) + s.loadUnaligned(as: SIMD8<Float>.self),
                as: SIMD8<Float>.self)
            s += 32
            d += 32
        }
        var rest = n % 8
        if rest >= 4 {
            d.storeBytes(
                of: d.loadUnaligned(as: SIMD4<Float>.self) + s.loadUnaligned(as: SIMD4<Float>.self),
                as: SIMD4<Float>.self)
            s += 16
            d += 16
            rest -= 4
        }
        let tail = d.assumingMemoryBound(to: Float.self), from = s.assumingMemoryBound(to: Float.self)
        for q in 0..<rest { tail[q] += from[q] }
    }

    /// dst[0..<n] = 0 for the few floats between a convolution's kept columns (4 or 8): eight,
    /// four and one at a time, where a call to memset would cost more than the stores.
    @inline(__always)
    static func zero(_ n: Int, _ dst: UnsafeMutablePointer<Float>) {
        let d = UnsafeMutableRawPointer(dst)
        var q = 0
        while q + 8 <= n {
            d.storeBytes(of: SIMD8<Float>(), toByteOffset: 4 * q, as: SIMD8<Float>.self)
            q += 8
        }
        if q + 4 <= n {
            d.storeBytes(of: SIMD4<Float>(), toByteOffset: 4 * q, as: SIMD4<Float>.self)
            q += 4
        }
        while q < n { dst[q] = 0; q += 1 }
    }

    /// Applies the activation in place: `VectorTanh.apply` in the build `ProductKernels`
    /// selects (eight or sixteen floats a register, the same bits), the last n mod 8 one at a
    /// time.
    @inline(__always)
    static func activate(_ f: Activation, _ n: Int, _ a: UnsafeMutablePointer<Float>) {
        if f == .identity { return }
        var k = vectorTanh(f, n, a)
        while k < n {
            a[k] = f(a[k])
            k += 1
        }
    }

    /// `activate` on each of `runs` runs of `run` floats in turn (a layer's maps, a batch's
    /// samples), with the same numbers, in one pass of the vector tanh instead of one a run:
    /// the last run mod 8 floats of each run, which `activate` leaves to f one at a time, are
    /// kept aside and put through f after. (S4's sixteen maps of 25 units took sixteen
    /// passes of a register and a half each.)
    static func activate(_ f: Activation, runs: Int, of run: Int, _ a: UnsafeMutablePointer<Float>) {
        let tail = run % 8, n = runs * run
        guard f != .identity, runs > 1, tail > 0 else { return activate(f, n, a) }
        Scratch.floats(runs * tail) { kept in
            for r in 0..<runs { (kept + r * tail).update(from: a + r * run + run - tail, count: tail) }
            activateInRegisters(f, n, a)
            for r in 0..<runs {
                for t in 0..<tail { a[r * run + run - tail + t] = f(kept[r * tail + t]) }
            }
        }
    }

    /// The numbers `activate(f, total, a)` gives the floats at `part` (of a run of `total`):
    /// those before the run's last total mod 8 by the vector tanh, in registers, the others by
    /// f. Two cores that share out a layer's maps each squash their own.
    static func activate(_ f: Activation, part: Range<Int>, of total: Int, _ a: UnsafeMutablePointer<Float>) {
        if f == .identity { return }
        let vector = total - total % 8, end = min(part.upperBound, vector)
        if part.lowerBound < end { activateInRegisters(f, end - part.lowerBound, a + part.lowerBound) }
        var k = max(part.lowerBound, vector)
        while k < part.upperBound {
            a[k] = f(a[k])
            k += 1
        }
    }

    /// `VectorTanh.apply` on every one of the n floats, the last n mod 8 in a register of
    /// their own (each lane's number does not depend on the others').
    static func activateInRegisters(_ f: Activation, _ n: Int, _ a: UnsafeMutablePointer<Float>) {
        let k = vectorTanh(f, n, a)
        guard k < n else { return }
        var last = InlineArray<8, Float>(repeating: 0)
        for t in k..<n { last[t - k] = a[t] }
        withUnsafeMutablePointer(to: &last) { p in
            p.withMemoryRebound(to: Float.self, capacity: 8) { lp in
                _ = vectorTanh(f, 8, lp)
                a.advanced(by: k).update(from: lp, count: n - k)
            }
        }
    }

    /// f of the first n / 8 · 8 floats by `VectorTanh.apply` in the build `ProductKernels`
    /// selects (f neither the identity); returns how many it did. Plain tanh (the keras
    /// variant's) has copies of its own, without the two multiplications by 1 per register
    /// (x·1 is x, bit for bit).
    @inline(__always)
    static func vectorTanh(_ f: Activation, _ n: Int, _ a: UnsafeMutablePointer<Float>) -> Int {
        guard f == .squash else {
            return ProductKernels.selected == .avx512 ? WideProducts.tanh(n, a) : narrowTanh(n, a)
        }
        let (outer, inner) = (Activation.amplitude, Activation.slope)
        return ProductKernels.selected == .avx512
            ? WideProducts.squash(n, a, outer: outer, inner: inner)
            : VectorTanh.apply(n, a, outer: outer, inner: inner, wide: false)
    }

    /// `VectorTanh.apply` with scales of 1 in the AVX2 build.
    @inline(never)
    static func narrowTanh(_ n: Int, _ a: UnsafeMutablePointer<Float>) -> Int {
        VectorTanh.apply(n, a, outer: 1, inner: 1, wide: false)
    }

    /// da[k] = dy[k] · f′(y[k]) for k < n, eight at a time; returns Σ da (a bias's gradient).
    /// With a `chunkStride` other than 8, each eight of da go that far apart (into `PairDots`'s
    /// pairs of maps: 16, the other map's eight between), da[k] at
    /// (k / 8)·chunkStride + k mod 8.
    @inline(__always) @discardableResult
    static func slope(
        _ f: Activation, _ n: Int, _ dy: UnsafePointer<Float>, _ y: UnsafePointer<Float>,
        _ da: UnsafeMutablePointer<Float>, chunkStride: Int = 8
    ) -> Float {
        let (constant, square) = f.derivativeCoefficients
        let c = SIMD8<Float>(repeating: constant), sq = SIMD8<Float>(repeating: square)
        var sums = SIMD8<Float>()
        var k = 0, to = da
        while k &+ 8 <= n {
            let yv = UnsafeRawPointer(y + k).loadUnaligned(as: SIMD8<Float>.self)
            let d = UnsafeRawPointer(dy + k).loadUnaligned(as: SIMD8<Float>.self) * (c - sq * yv * yv)
            UnsafeMutableRawPointer(to).storeBytes(of: d, as: SIMD8<Float>.self)
            sums += d
            k &+= 8
            to += chunkStride
        }
        var sum = sums.sum()
        // A last four worked out in a register (the same operations, lane by lane), then
        // added on one at a time, in order, as the loop below adds them.
        if k &+ 4 <= n {
            let yv = UnsafeRawPointer(y + k).loadUnaligned(as: SIMD4<Float>.self)
            let d =
                UnsafeRawPointer(dy + k).loadUnaligned(as: SIMD4<Float>.self)
                * (SIMD4(repeating: constant) - SIMD4(repeating: square) * yv * yv)
            UnsafeMutableRawPointer(to).storeBytes(of: d, as: SIMD4<Float>.self)
            sum += d[0]
            sum += d[1]
            sum += d[2]
            sum += d[3]
            k &+= 4
            to += 4
        }
        var t = 0
        while k < n {
            to[t] = dy[k] * (constant - square * y[k] * y[k])
            sum += to[t]
            k &+= 1
            t &+= 1
        }
        return sum
    }

    /// Zeros at positions first ..< first + n of a buffer whose eights are `chunkStride`
    /// apart (as `slope` writes them).
    @inline(__always)
    static func zero(_ n: Int, from first: Int, _ dst: UnsafeMutablePointer<Float>, chunkStride: Int) {
        guard chunkStride != 8 else { return zero(n, dst + first) }
        // Each eight's stretch at once (C1's gap of four is one stretch).
        var q = first
        let end = first &+ n
        while q < end {
            let run = min(8 &- (q & 7), end &- q)
            zero(run, dst + ((q &>> 3) &* chunkStride &+ (q & 7)))
            q &+= run
        }
    }
}

extension Tensor {
    /// self[k] −= rates[k]·gradient[k], eight at a time: a per-parameter step (SDLM's
    /// w ← w − ε ⊙ g). A product, then a difference, each rounded: the plain loop's numbers.
    /// A large tensor (C5's weights) is split among `threads` cores (`forEachPart`).
    public mutating func subtractProducts(_ rates: Tensor, _ gradient: Tensor, threads: Int = 1) {
        precondition(gradient.count == count)
        gradient.withPointer { subtractProducts(rates, $0, threads: threads) }
    }

    /// `subtractProducts` with the gradient in a buffer of `count` floats.
    mutating func subtractProducts(_ rates: Tensor, _ gp: UnsafePointer<Float>, threads: Int = 1) {
        let n = count
        precondition(rates.count == n)
        rates.withPointer { ep in
            withMutablePointer { wp in
                nonisolated(unsafe) let (w, e, g) = (wp, ep, gp)
                forEachPart(n, threads: threads) { Tensor.subtractProducts($0, w, e, g) }
            }
        }
    }

    /// w[k] −= e[k]·g[k] for k in `range`.
    public static func subtractProducts(
        _ range: Range<Int>, _ wp: UnsafeMutablePointer<Float>, _ ep: UnsafePointer<Float>, _ gp: UnsafePointer<Float>
    ) {
        let w = UnsafeMutableRawPointer(wp), e = UnsafeRawPointer(ep), g = UnsafeRawPointer(gp)
        var k = range.lowerBound
        while k + 8 <= range.upperBound {
            let step =
                e.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
                * g.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            let v = w.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self)
            w.storeBytes(of: v - step, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        while k < range.upperBound {
            wp[k] -= ep[k] * gp[k]
            k += 1
        }
    }

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
