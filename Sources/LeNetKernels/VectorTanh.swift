/// tanh on sixteen floats at once, written once for both builds: LeNetModel compiles it to two
/// eight-wide registers (AVX2), LeNetKernelsAVX512 to one sixteen-wide register. Every lane
/// goes through the same operations, so both give the same bits. (Concrete SIMD16, not generic
/// over the width: the compiler turns generic SIMD arithmetic into a loop over the lanes.)
public enum VectorTanh {
    /// tanh of each lane, to within about 1e-7 of tanhf: tanh|x| = 1 − 2/(e^{2|x|} + 1), with
    /// e^y = 2^k·e^r, |r| ≤ ln2/2, and e^r by its Taylor series to r⁷ (error < 1e-8). U is V's
    /// lanes as bits.
    @inlinable @inline(__always)
    public static func tanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        typealias U = SIMD16<UInt32>
        let sign = U(repeating: 0x8000_0000)
        let bits = unsafeBitCast(x, to: U.self)
        // |x|, clamped at 9: tanh(9) rounds to 1 in Float, and 2^k stays in range. (A NaN
        // fails the comparison and stays NaN all the way through.)
        var a = unsafeBitCast(bits & ~sign, to: V.self)
        a.replace(with: 9, where: a .> 9)
        // e^{2a} = 2^k·e^r: k = round(2a/ln2), r = 2a − k·ln2 with ln2 split in two so each
        // product is exact.
        let k = (a * 2.885_390_08).rounded(.toNearestOrEven)
        // h = r/2 = a − k·(ln2/2), exactly half of r at every step (halving ln2's parts is
        // exact, and so is halving each rounded result), so 2a is never formed. (k times
        // −ln2/2 rather than −k times ln2/2: the same products, and no separate negation.)
        let h = a.addingProduct(k, V(repeating: -0.693_145_751_953_125 / 2)).addingProduct(
            k, V(repeating: -1.428_606_765_330_187e-6 / 2))
        // e^r by Horner's rule with fused multiply-adds, in h: the coefficient of r^j times 2^j
        // (exact), so that each partial result is r's times a power of two and the last one,
        // the sum, r's own: the same bits as in r, one operation fewer.
        var p = V(repeating: 64.0 / 720).addingProduct(h, V(repeating: 128.0 / 5040))
        p = V(repeating: 32.0 / 120).addingProduct(p, h)
        p = V(repeating: 16.0 / 24).addingProduct(p, h)
        p = V(repeating: 8.0 / 6).addingProduct(p, h)
        p = V(repeating: 4 * 0.5).addingProduct(p, h)
        p = V(repeating: 2 * 1).addingProduct(p, h)
        p = V(repeating: 1).addingProduct(p, h)
        // 2^k from k's bits, with no checked conversion: adding 1.5·2²³ + 127 (exactly, k
        // being a whole number from 0 to 26) leaves k + 127, the biased exponent, in the low
        // mantissa bits, and shifting them up to the exponent drops the rest.
        let twoToK = unsafeBitCast(unsafeBitCast(k + 12_583_039, to: U.self) &<< 23, to: V.self)
        // p·2^k + 1 as one fused multiply-add: p·2^k is exact (p is near 1 and k at most
        // 26), so fusing leaves the sum's rounding as it was. (Operations are what tanh's time
        // goes by: on this CPU each sixteen-wide one, whatever it is, costs about half a
        // cycle. All 2^32 inputs gave the same bits before and after this and the halving.)
        let t = 1 - 2 / V(repeating: 1).addingProduct(p, twoToK)
        // tanh is odd: x's sign on tanh|x| ≥ 0.
        return unsafeBitCast(unsafeBitCast(t, to: U.self) | (bits & sign), to: V.self)
    }

    /// a[k] = outer·tanh(inner·a[k]) in place for the first n / 8 · 8 floats: with `wide`
    /// (AVX-512) 64 at a time as four independent chains, then 32 as two (one chain alone
    /// leaves the core waiting on each step's latency; on AVX2 one SIMD16 is already two),
    /// then 16, then a last 8 in the low half of a register. Returns how many it did; the
    /// caller does the rest one at a time. (Four chains, not two: keras C1's forward pass
    /// 2.13–2.18 → 2.04–2.08 µs a sample in three alternated runs of `lesson bench --layers
    /// --threads 1`; eight spilled registers and were slower than two.)
    @inlinable @inline(__always)
    public static func apply(_ n: Int, _ a: UnsafeMutablePointer<Float>, outer: Float, inner: Float, wide: Bool)
        -> Int
    {
        typealias V = SIMD16<Float>
        let raw = UnsafeMutableRawPointer(a)
        var k = 0
        if wide {
            while k + 64 <= n {
                let x0 = raw.loadUnaligned(fromByteOffset: 4 * k, as: V.self)
                let x1 = raw.loadUnaligned(fromByteOffset: 4 * k + 64, as: V.self)
                let x2 = raw.loadUnaligned(fromByteOffset: 4 * k + 128, as: V.self)
                let x3 = raw.loadUnaligned(fromByteOffset: 4 * k + 192, as: V.self)
                let t0 = tanh(inner * x0), t1 = tanh(inner * x1), t2 = tanh(inner * x2), t3 = tanh(inner * x3)
                raw.storeBytes(of: outer * t0, toByteOffset: 4 * k, as: V.self)
                raw.storeBytes(of: outer * t1, toByteOffset: 4 * k + 64, as: V.self)
                raw.storeBytes(of: outer * t2, toByteOffset: 4 * k + 128, as: V.self)
                raw.storeBytes(of: outer * t3, toByteOffset: 4 * k + 192, as: V.self)
                k += 64
            }
            while k + 32 <= n {
                let x0 = raw.loadUnaligned(fromByteOffset: 4 * k, as: V.self)
                let x1 = raw.loadUnaligned(fromByteOffset: 4 * k + 64, as: V.self)
                let t0 = tanh(inner * x0), t1 = tanh(inner * x1)
                raw.storeBytes(of: outer * t0, toByteOffset: 4 * k, as: V.self)
                raw.storeBytes(of: outer * t1, toByteOffset: 4 * k + 64, as: V.self)
                k += 32
            }
        }
        while k + 16 <= n {
            let x = raw.loadUnaligned(fromByteOffset: 4 * k, as: V.self)
            raw.storeBytes(of: outer * tanh(inner * x), toByteOffset: 4 * k, as: V.self)
            k += 16
        }
        if k + 8 <= n {
            let x = V(lowHalf: raw.loadUnaligned(fromByteOffset: 4 * k, as: SIMD8<Float>.self), highHalf: .zero)
            raw.storeBytes(of: (outer * tanh(inner * x)).lowHalf, toByteOffset: 4 * k, as: SIMD8<Float>.self)
            k += 8
        }
        return k
    }
}
