import CCPUID
import Foundation
import LeNetCore
import LeNetKernels
import LeNetKernelsAVX512

/// The fast path's two matrix products. Both keep a block of the result in registers while
/// running over the shared dimension, so each value loaded from memory feeds several fused
/// multiply-adds instead of one. The block's row count is a generic value (`let R: Int`), so
/// one kernel serves every block height with its loops fully unrolled.
///
/// C = A · B (`multiply`, and `positionRows` for C3's kept positions) lives in LeNetKernels,
/// written once for any vector width, and runs in one of two builds: AVX2 (compiled here) or
/// AVX-512 (LeNetKernelsAVX512), chosen once per process by `ProductKernels.selected`. Both
/// give the same bits. C = A · Bᵀ (`multiplyTransposed`) sums eight-wide partial sums and is
/// AVX2 only: a wider register would change the order of its sums, so its results.
extension Kernels {
    typealias Strided = LeNetKernels.Strided
    typealias Rows = LeNetKernels.Rows
    typealias Destination = LeNetKernels.Destination
    typealias Start = ProductStart

    /// Row offsets 0, stride, 2·stride, …: an ordinary row-major matrix as `Rows`.
    static func withRows<T>(_ base: UnsafePointer<Float>, count: Int, stride: Int, _ body: (Rows) -> T) -> T {
        Rows.with(base, count: count, stride: stride, body)
    }

    /// C (m × n) = A (m × k) · B (k × n), from `start` (`MatrixProduct.multiply`), in the
    /// build `ProductKernels.selected` names.
    static func multiply(
        m: Int, n: Int, k: Int, _ a: Strided, _ b: Rows, readable: Bool,
        into c: Destination, start: Start, order: UnsafePointer<Int>? = nil, disjoint: Int = 1
    ) {
        if ProductKernels.selected == .avx512 {
            WideProducts.multiply(
                m: m, n: n, k: k, a, b, readable: readable, into: c, start: start, order: order, disjoint: disjoint)
        } else {
            MatrixProduct<SIMD8<Float>>.multiply(
                m: m, n: n, k: k, a, b, readable: readable, into: c, start: start, order: order, disjoint: disjoint)
        }
    }

    /// C3's sums by kept position (`MatrixProduct.positionRows`), in the selected build.
    static func positionRows(
        count: Int, at: UnsafePointer<Int>, input: UnsafePointer<Float>, offsets: UnsafePointer<Int>, k: Int,
        weights wt: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        if ProductKernels.selected == .avx512 {
            WideProducts.positionRows(
                count: count, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias, into: out)
        } else {
            MatrixProduct<SIMD8<Float>>.positionRows(
                count: count, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias, into: out)
        }
    }

    /// A convolution of sixteen samples in lanes (`MatrixProduct.laneConvolution`), in the
    /// selected build.
    static func laneConvolution(
        inMaps: Int, inH: Int, inW: Int, kernel k: Int, outMaps: Int, input: UnsafePointer<Float>,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        rows: Range<Int>? = nil
    ) {
        if ProductKernels.selected == .avx512 {
            WideProducts.laneConvolution(
                inMaps: inMaps, inH: inH, inW: inW, kernel: k, outMaps: outMaps, input: input, weights: weights,
                bias: bias, into: out, rows: rows)
        } else {
            MatrixProduct<SIMD8<Float>>.laneConvolution(
                inMaps: inMaps, inH: inH, inW: inW, kernel: k, outMaps: outMaps, input: input, weights: weights,
                bias: bias, into: out, rows: rows)
        }
    }

    /// ∂E/∂x (n × inMaps × inH × inW) of a convolution with every map connected, on the
    /// AVX-512 build (`MatrixProduct.laneInputGradient`): each sixteen samples' ∂E/∂a
    /// (outMaps maps on the input-wide grid, `mapStride` apart, `perSample` apart) laid lane by
    /// lane, wide grid and all, their ∂E/∂x summed a unit to a register, and laid back as
    /// rows. w (outMaps × inMaps × k × k) is laid (u, v, o, i) first, once. The same bits as
    /// `Convolution.inputGradientDense`.
    static func inputGradient(
        n: Int, inMaps: Int, inH: Int, inW: Int, kernel k: Int, outMaps: Int, da: UnsafePointer<Float>,
        perSample: Int, mapStride: Int, weight w: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>
    ) {
        precondition(ProductKernels.selected == .avx512)
        let area = k * k, sampleSize = inMaps * inH * inW
        Scratch.floats(outMaps * inMaps * area) { wt in
            Scratch.floats(16 * perSample) { daLanes in
                Scratch.floats(16 * sampleSize) { dxLanes in
                    for o in 0..<outMaps {
                        for i in 0..<inMaps {
                            for t in 0..<area { wt[(t * outMaps + o) * inMaps + i] = w[(o * inMaps + i) * area + t] }
                        }
                    }
                    for first in stride(from: 0, to: n, by: 16) {
                        let count = min(16, n - first)
                        lanes(from: da + first * perSample, rows: count, stride: perSample, k: perSample, into: daLanes)
                        WideProducts.laneInputGradient(
                            inMaps: inMaps, inH: inH, inW: inW, kernel: k, outMaps: outMaps, da: daLanes,
                            rowStride: inW, mapStride: mapStride, weights: wt, into: dxLanes)
                        rows(
                            fromLanes: dxLanes, count: sampleSize, rows: count, into: dx + first * sampleSize,
                            stride: sampleSize)
                    }
                }
            }
        }
    }

    /// Dense's fused backward and step (`MatrixProduct.sweep`) in the build `ProductKernels`
    /// selects: for each stretch of columns, ∂E/∂x is summed in registers over the outputs
    /// while each row's weights are read, used and stepped.
    static func sweep(
        outputs: Int, inputs: Int, da: UnsafePointer<Float>, x: UnsafePointer<Float>,
        weight: UnsafeMutablePointer<Float>, rates: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
        step: Bool = true
    ) {
        if ProductKernels.selected == .avx512 {
            WideProducts.sweep(
                outputs: outputs, inputs: inputs, da: da, x: x, weight: weight, rates: rates, dx: dx, step: step)
        } else {
            MatrixProduct<SIMD8<Float>>.sweep(
                outputs: outputs, inputs: inputs, da: da, x: x, weight: weight, rates: rates, dx: dx, step: step)
        }
    }

    /// A convolution's ∂E/∂x gathered from its rows (`MatrixProduct.addShifted`), in the
    /// selected build.
    static func addShifted(
        count: Int, rows: UnsafePointer<Float>, rowStride: Int, lead: Int, shifts: UnsafePointer<Int>, terms: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        if ProductKernels.selected == .avx512 {
            WideProducts.addShifted(
                count: count, rows: rows, rowStride: rowStride, lead: lead, shifts: shifts, terms: terms, into: out)
        } else {
            MatrixProduct<SIMD8<Float>>.addShifted(
                count: count, rows: rows, rowStride: rowStride, lead: lead, shifts: shifts, terms: terms, into: out)
        }
    }

    /// ∂E/∂w (maps × rows) of a 16-map convolution on the AVX-512 build (`LaneDots`, a lane per map): each
    /// sample's ∂E/∂a (maps × padded, rows `padded` apart, `perSample` apart) transposed to
    /// position-major, then all maps at once. The same bits as `multiplyTransposed`.
    static func mapGradient(
        n: Int, maps: Int, padded: Int, da: UnsafePointer<Float>, perSample: Int, _ unrolled: Rows, uStride: Int,
        rows: Int, live: LiveColumns, into dw: UnsafeMutablePointer<Float>
    ) {
        precondition(maps == 16 && ProductKernels.available)
        Scratch.floats(n * padded * 16) { tp in
            for s in 0..<n {
                Kernels.lanes(from: da + s * perSample, rows: 16, stride: padded, k: padded, into: tp + s * padded * 16)
            }
            WideProducts.laneDots(
                rows: rows, k: padded, lanes: 16, daT: tp, daStride: padded * 16, unrolled, uStride: uStride,
                samples: n, into: dw, ldc: rows, live: live)
        }
    }

    /// ∂E/∂w (maps × rows) of a convolution with an even number of maps on the AVX-512 build
    /// (`PairDots`, two maps to a register): each sample's ∂E/∂a (maps × padded, rows `padded`
    /// apart, `perSample` apart) laid in pairs of maps, eight positions of one then the same
    /// eight of the other, then all pairs at once. The same bits as `multiplyTransposed`.
    /// `paired`: each sample's ∂E/∂a is in that layout already (`Kernels.slope`'s chunkStride
    /// of 16).
    static func pairGradient(
        n: Int, maps: Int, padded: Int, da: UnsafePointer<Float>, perSample: Int, paired: Bool = false,
        _ unrolled: Rows, uStride: Int, rows: Int, into dw: UnsafeMutablePointer<Float>
    ) {
        precondition(maps % 2 == 0 && padded % 8 == 0 && ProductKernels.available)
        let pairStride = maps * padded
        if paired {
            precondition(perSample == pairStride)
            return WideProducts.pairDots(
                pairs: maps / 2, columns: rows, k: padded, da, pairStride: pairStride, unrolled, uStride: uStride,
                samples: n, into: dw, ldc: rows)
        }
        Scratch.floats(n * pairStride) { pp in
            for s in 0..<n {
                for p in 0..<maps / 2 {
                    let first = da + s * perSample + 2 * p * padded
                    interleaveEights(first, first + padded, count: padded, into: pp + s * pairStride + 2 * p * padded)
                }
            }
            WideProducts.pairDots(
                pairs: maps / 2, columns: rows, k: padded, pp, pairStride: pairStride, unrolled, uStride: uStride,
                samples: n, into: dw, ldc: rows)
        }
    }

    /// Two rows of `count` floats (a multiple of 8) laid as `PairDots` reads a pair: eight of
    /// the first, then the same eight of the second (zeros when there is none), 2·count floats.
    static func interleaveEights(
        _ first: UnsafePointer<Float>, _ second: UnsafePointer<Float>?, count: Int, into to: UnsafeMutablePointer<Float>
    ) {
        let a = UnsafeRawPointer(first), b = second.map(UnsafeRawPointer.init), out = UnsafeMutableRawPointer(to)
        for c in stride(from: 0, to: count, by: 8) {
            out.storeBytes(
                of: a.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self), toByteOffset: 8 * c,
                as: SIMD8<Float>.self)
            out.storeBytes(
                of: b?.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self) ?? .zero, toByteOffset: 8 * c + 32,
                as: SIMD8<Float>.self)
        }
    }

    /// to[o·stride + t] = from[16·t + o] for o < rows (at most 16) and t < count: lanes laid as
    /// rows (`lanes` the other way). On the AVX-512 build by 16 × 16 transposes in registers
    /// (`WideProducts.rows`); otherwise one float at a time.
    static func rows(
        fromLanes from: UnsafePointer<Float>, count: Int, rows: Int, into to: UnsafeMutablePointer<Float>, stride: Int
    ) {
        precondition(rows <= 16)
        if ProductKernels.selected == .avx512 {
            return WideProducts.rows(from: from, count: count, rows: rows, into: to, stride: stride)
        }
        for o in 0..<rows {
            var from = from + o, to = to + o * stride
            for _ in 0..<count {
                to.pointee = from.pointee
                to += 1
                from += 16
            }
        }
    }

    /// to[16·t + o] = from[o·stride + t] for o < rows (at most 16) and t < k, zeros in the
    /// lanes past `rows`: rows laid a lane each. On the AVX-512 build by 16 × 16 transposes in
    /// registers (`WideProducts.lanes`); otherwise one float at a time.
    static func lanes(
        from: UnsafePointer<Float>, rows: Int, stride: Int, k: Int, into to: UnsafeMutablePointer<Float>
    ) {
        precondition(rows <= 16)
        if ProductKernels.selected == .avx512 {
            return WideProducts.lanes(from: from, rows: rows, stride: stride, k: k, into: to)
        }
        if rows < 16 { to.update(repeating: 0, count: 16 * k) }
        for o in 0..<rows {
            for t in 0..<k { to[16 * t + o] = from[o * stride + t] }
        }
    }

    /// y (n × outputs) = x (n × inputs) · wᵀ on the AVX-512 build (`PairDots`, two samples to a
    /// register): the inputs laid in pairs of samples, eight of one then the same eight of the
    /// other (an odd last sample paired with zeros, whose sums are thrown away). Each block
    /// of three pairs × five outputs loads 8 registers for 15 multiply-adds (a lane per
    /// sample, `LaneDots`, loaded 4 for 3). The same bits as `multiplyTransposed`; inputs a
    /// multiple of 8.
    static func sampleDots(
        n: Int, inputs: Int, outputs: Int, _ x: UnsafePointer<Float>, _ w: Rows, into y: UnsafeMutablePointer<Float>
    ) {
        precondition(ProductKernels.available && inputs % 8 == 0)
        let pairs = (n + 1) / 2
        Scratch.floats(pairs * 2 * inputs) { pp in
            for p in 0..<pairs {
                let first = x + 2 * p * inputs
                interleaveEights(
                    first, 2 * p + 1 < n ? first + inputs : nil, count: inputs, into: pp + 2 * p * inputs)
            }
            guard n % 2 == 1 else {
                return WideProducts.pairDots(
                    pairs: pairs, columns: outputs, k: inputs, pp, pairStride: 0, w, uStride: 0, samples: 1, into: y,
                    ldc: outputs)
            }
            Scratch.floats(pairs * 2 * outputs) { yp in
                WideProducts.pairDots(
                    pairs: pairs, columns: outputs, k: inputs, pp, pairStride: 0, w, uStride: 0, samples: 1, into: yp,
                    ldc: outputs)
                y.update(from: yp, count: n * outputs)
            }
        }
    }

    /// C (m × n) = A (m × k) · Bᵀ, B being n × k, or C += A · Bᵀ when `accumulate`: every
    /// entry a dot product of a row of A (rows `lda` apart) with a row of B, both read along
    /// k. Blocks of 2 × 4 entries are summed in eight eight-wide registers (six loads per
    /// eight multiply-adds; with 3 × 4 the sixteen registers no longer hold everything) and
    /// reduced at the end.
    static func multiplyTransposed(
        m: Int, n: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: Rows,
        into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, samples: Samples = .one
    ) {
        var first = 0
        if m == 1 {
            // One row of A (a dense layer's single sample): eight columns at a time, so that
            // eight sums, not four, are under way at once.
            while first + 8 <= n {
                dotRow8(
                    a, InlineArray<8, UnsafePointer<Float>> { b[first + $0] }, k: k, samples: samples, into: c + first,
                    accumulate: accumulate)
                first += 8
            }
        }
        for j in stride(from: first, to: n, by: 4) {
            let columns = min(4, n - j)
            var i = 0
            while i + 2 <= m {
                dotBlocks(
                    InlineArray<2, Int> { i + $0 }, b, from: j, columns: columns, k: k, a, lda: lda, samples: samples,
                    into: c + j, ldc: ldc, accumulate: accumulate)
                i += 2
            }
            if i < m {
                dotBlocks(
                    InlineArray<1, Int> { i + $0 }, b, from: j, columns: columns, k: k, a, lda: lda, samples: samples,
                    into: c + j, ldc: ldc, accumulate: accumulate)
            }
        }
    }

    /// Row 0 × eight columns of C = A · Bᵀ, the eight rows of B at y: each entry summed
    /// exactly as `dotBlock` sums it (eight-wide partial sums, reduced, plus the k mod 8 last
    /// terms one at a time).
    @inline(never)
    static func dotRow8(
        _ a: UnsafePointer<Float>, _ y: InlineArray<8, UnsafePointer<Float>>, k: Int, samples: Samples,
        into c: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        var s = InlineArray<8, SIMD8<Float>>(repeating: .zero)
        var tails = InlineArray<8, Float>(repeating: 0)
        for sample in 0..<samples.count {
            let x = a + sample * samples.aStride
            let ys = InlineArray<8, UnsafePointer<Float>> { y[$0] + sample * samples.bStride }
            var t = 0
            while t + 8 <= k {
                let u = UnsafeRawPointer(x + t).loadUnaligned(as: SIMD8<Float>.self)
                for q in 0..<8 { s[q].addProduct(u, UnsafeRawPointer(ys[q] + t).loadUnaligned(as: SIMD8<Float>.self)) }
                t += 8
            }
            while t < k {
                for q in 0..<8 { tails[q] = tails[q].addingProduct(x[t], ys[q][t]) }
                t += 1
            }
        }
        for q in 0..<8 {
            let sum = s[q].sum() + tails[q]
            c[q] = accumulate ? c[q] + sum : sum
        }
    }

    /// `multiplyTransposed` for rows `rows` of C (one or two) and its columns `columns` only;
    /// the rest of C is left as it is. Each entry is summed exactly as there.
    static func multiplyTransposed(
        rows: [Int], columns: Range<Int>, k: Int, _ a: UnsafePointer<Float>, lda: Int, _ b: Rows,
        into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool, samples: Samples = .one
    ) {
        precondition(rows.count == 1 || rows.count == 2)
        for j in stride(from: columns.lowerBound, to: columns.upperBound, by: 4) {
            let count = min(4, columns.upperBound - j)
            if rows.count == 2 {
                dotBlocks(
                    InlineArray<2, Int> { rows[$0] }, b, from: j, columns: count, k: k, a, lda: lda, samples: samples,
                    into: c + j, ldc: ldc, accumulate: accumulate)
            } else {
                dotBlocks(
                    InlineArray<1, Int> { rows[$0] }, b, from: j, columns: count, k: k, a, lda: lda, samples: samples,
                    into: c + j, ldc: ldc, accumulate: accumulate)
            }
        }
    }

    /// A product summed over the samples of a batch in one pass: sample s reads A from
    /// s·aStride and B from s·bStride further on, so the sums are reduced once, not per sample.
    struct Samples {
        let count: Int, aStride: Int, bStride: Int
        static let one = Samples(count: 1, aStride: 0, bStride: 0)
    }

    /// `dotBlock` for `columns` (1 to 4) columns from j: a last, narrower block computes only
    /// the columns it has (C1's and C3's 25 kernel positions leave one over in every four).
    @inline(__always)
    static func dotBlocks<let R: Int>(
        _ rows: InlineArray<R, Int>, _ b: Rows, from j: Int, columns: Int, k: Int, _ a: UnsafePointer<Float>, lda: Int,
        samples: Samples, into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        switch columns {
        case 4:
            dotBlock(
                rows, InlineArray<4, UnsafePointer<Float>> { b[j + $0] }, k: k, a, lda: lda, samples: samples, into: c,
                ldc: ldc, accumulate: accumulate)
        case 3:
            dotBlock(
                rows, InlineArray<3, UnsafePointer<Float>> { b[j + $0] }, k: k, a, lda: lda, samples: samples, into: c,
                ldc: ldc, accumulate: accumulate)
        case 2:
            dotBlock(
                rows, InlineArray<2, UnsafePointer<Float>> { b[j + $0] }, k: k, a, lda: lda, samples: samples, into: c,
                ldc: ldc, accumulate: accumulate)
        default:
            dotBlock(
                rows, InlineArray<1, UnsafePointer<Float>> { b[j + $0] }, k: k, a, lda: lda, samples: samples, into: c,
                ldc: ldc, accumulate: accumulate)
        }
    }

    /// Rows `rows` × C columns of C = A · Bᵀ, the C rows of B at y (not inlined, as
    /// `rowBlock`). Each entry: eight-wide partial sums over k, reduced, plus the k mod 8
    /// last terms one at a time.
    @inline(never)
    static func dotBlock<let R: Int, let C: Int>(
        _ rows: InlineArray<R, Int>, _ y: InlineArray<C, UnsafePointer<Float>>, k: Int,
        _ a: UnsafePointer<Float>, lda: Int, samples: Samples,
        into c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool
    ) {
        var s = InlineArray<C, InlineArray<R, SIMD8<Float>>>(repeating: .init(repeating: .zero))
        // The last k mod 8 terms of each sample, one at a time.
        var tails = InlineArray<R, SIMD4<Float>>(repeating: .zero)
        let x = InlineArray<R, UnsafePointer<Float>> { a + rows[$0] * lda }
        for sample in 0..<samples.count {
            let xs = InlineArray<R, UnsafePointer<Float>> { x[$0] + sample * samples.aStride }
            let ys = InlineArray<C, UnsafePointer<Float>> { y[$0] + sample * samples.bStride }
            var t = 0
            while t + 8 <= k {
                let v = InlineArray<C, SIMD8<Float>> {
                    UnsafeRawPointer(ys[$0] + t).loadUnaligned(as: SIMD8<Float>.self)
                }
                for r in 0..<R {
                    let u = UnsafeRawPointer(xs[r] + t).loadUnaligned(as: SIMD8<Float>.self)
                    for q in 0..<C { s[q][r].addProduct(u, v[q]) }
                }
                t &+= 8
            }
            while t < k {
                var v = SIMD4<Float>.zero
                for q in 0..<C { v[q] = ys[q][t] }
                for r in 0..<R { tails[r].addProduct(SIMD4(repeating: xs[r][t]), v) }
                t &+= 1
            }
        }
        for r in 0..<R {
            let out = c + rows[r] * ldc
            for q in 0..<C {
                let sum = s[q][r].sum() + tails[r][q]
                out[q] = accumulate ? out[q] + sum : sum
            }
        }
    }
}

/// Which build of the products runs (`Kernels.multiply`): AVX-512 where the CPU and the
/// operating system support it, AVX2 elsewhere, or AVX2 when the environment variable
/// LENET5_KERNELS is `avx2` (to compare the two, or to run under a tool that lacks AVX-512).
/// Decided once, when first asked.
public enum ProductKernels: String, Sendable {
    case avx2 = "AVX2"
    case avx512 = "AVX-512"

    /// Whether this CPU could run the AVX-512 build.
    public static let available: Bool = {
        #if os(Linux) && arch(x86_64)
            return lenet_cpu_has_avx512() != 0
        #else
            return false
        #endif
    }()

    public static let selected: ProductKernels = {
        let asked = ProcessInfo.processInfo.environment["LENET5_KERNELS"]?.lowercased()
        return available && asked != "avx2" ? .avx512 : .avx2
    }()

    /// This machine's FP32 peak in GFLOP/s for the selected build, measured: twelve
    /// independent chains of fused multiply-adds in the build's registers on `threads`
    /// threads at once, for at least `seconds`.
    public static func measuredPeak(threads: Int, seconds: Double) -> Double {
        let lanes = selected == .avx512 ? 16 : 8, threads = min(threads, coreCount)
        var rounds = 1 << 16
        while true {
            let start = DispatchTime.now().uptimeNanoseconds, n = rounds
            let totals = parallelMap(threads, threads: threads) { _ in
                selected == .avx512
                    ? WideProducts.multiplyAddRounds(n, factor: 0.5, term: 1e-6)
                    : MatrixProduct<SIMD8<Float>>.multiplyAddRounds(n, factor: 0.5, term: 1e-6)
            }
            let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            // The sums are used, so no compiler may skip the work.
            precondition(totals.allSatisfy { $0.isFinite })
            if elapsed >= seconds { return Double(threads * rounds * 24 * lanes) / elapsed / 1e9 }
            rounds *= 2
        }
    }
}
