@testable import LeNetModel
import LeNetCore
import LeNetKernels
import LeNetKernelsAVX512
import XCTest

/// The fast path's two matrix products against the textbook triple loop, at sizes that
/// exercise every block height, a narrow last block, and a shared dimension that is not a
/// multiple of eight.
final class MatrixProductTests: XCTestCase {
    func naive(_ m: Int, _ n: Int, _ k: Int, _ a: (Int, Int) -> Float, _ b: (Int, Int) -> Float) -> [Float] {
        var c = [Float](repeating: 0, count: m * n)
        for i in 0..<m { for j in 0..<n { for t in 0..<k { c[i * n + j] += a(i, t) * b(t, j) } } }
        return c
    }

    func testMultiplyMatchesTheTripleLoop() {
        var rng = SeededGenerator(seed: 3)
        for (m, n, k) in [(1, 1, 1), (5, 17, 3), (6, 16, 25), (7, 33, 9), (13, 40, 20), (16, 100, 150)] {
            let a = (0..<m * k).map { _ in rng.uniform(1) }, bias = (0..<m).map { _ in rng.uniform(1) }
            // B's rows are padded to 16 (and one spare row) so they may be read in place.
            let ldb = (n + 15) / 16 * 16
            let b = (0..<(k + 1) * ldb).map { _ in rng.uniform(1) }
            let expected = naive(m, n, k, { a[$0 * k + $1] }, { b[$0 * ldb + $1] })
            for readable in [true, false] {
                for start in ["zero", "accumulate", "bias"] {
                    var c = [Float](repeating: 0.5, count: m * n)
                    a.withUnsafeBufferPointer { ap in
                        b.withUnsafeBufferPointer { bp in
                            bias.withUnsafeBufferPointer { biasp in
                                c.withUnsafeMutableBufferPointer { cp in
                                    let s: Kernels.Start =
                                        start == "zero"
                                        ? .zero : start == "accumulate" ? .accumulate : .bias(biasp.baseAddress!)
                                    Kernels.withRows(bp.baseAddress!, count: k, stride: ldb) { rows in
                                        Kernels.multiply(
                                            m: m, n: n, k: k,
                                            .init(base: ap.baseAddress!, rowStride: k, columnStride: 1), rows,
                                            readable: readable, into: .init(base: cp.baseAddress!, stride: n), start: s)
                                    }
                                }
                            }
                        }
                    }
                    for i in 0..<m {
                        for j in 0..<n {
                            let base: Float = start == "zero" ? 0 : start == "accumulate" ? 0.5 : bias[i]
                            XCTAssertEqual(
                                c[i * n + j], base + expected[i * n + j], accuracy: 1e-4,
                                "\(m)×\(n)×\(k) \(start) at \(i),\(j)")
                        }
                    }
                }
            }
        }
    }

    /// Rows written at overlapping offsets (an unrolled input's gradient folded back onto the
    /// input) add up as if each were added in turn.
    func testRowsAtOffsetsAreAddedInTurn() {
        var rng = SeededGenerator(seed: 5)
        let (m, n, k) = (9, 21, 4)
        let offsets = (0..<m).map { 3 * $0 + ($0 % 2) }
        let a = (0..<m * k).map { _ in rng.uniform(1) }, b = (0..<k * 32).map { _ in rng.uniform(1) }
        let product = naive(m, n, k, { a[$0 * k + $1] }, { b[$0 * 32 + $1] })
        var expected = [Float](repeating: 0, count: offsets.last! + n)
        for i in 0..<m { for j in 0..<n { expected[offsets[i] + j] += product[i * n + j] } }
        var c = [Float](repeating: 0, count: expected.count)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                offsets.withUnsafeBufferPointer { op in
                    c.withUnsafeMutableBufferPointer { cp in
                        Kernels.withRows(bp.baseAddress!, count: k, stride: 32) { rows in
                            Kernels.multiply(
                                m: m, n: n, k: k, .init(base: ap.baseAddress!, rowStride: k, columnStride: 1), rows,
                                readable: true,
                                into: .init(base: cp.baseAddress!, offsets: op.baseAddress!), start: .accumulate)
                        }
                    }
                }
            }
        }
        for (p, q) in zip(expected, c) { XCTAssertEqual(p, q, accuracy: 1e-4) }
    }

    func testMultiplyTransposedMatchesTheTripleLoop() {
        var rng = SeededGenerator(seed: 4)
        for (m, n, k) in [
            (1, 1, 1), (2, 4, 8), (3, 5, 13), (6, 25, 896), (16, 150, 144), (7, 10, 84), (1, 120, 400), (1, 21, 13),
        ] {
            let a = (0..<m * k).map { _ in rng.uniform(1) }, b = (0..<n * k).map { _ in rng.uniform(1) }
            let expected = naive(m, n, k, { a[$0 * k + $1] }, { b[$1 * k + $0] })
            for accumulate in [false, true] {
                var c = [Float](repeating: 0.5, count: m * n)
                a.withUnsafeBufferPointer { ap in
                    b.withUnsafeBufferPointer { bp in
                        c.withUnsafeMutableBufferPointer { cp in
                            Kernels.withRows(bp.baseAddress!, count: n, stride: k) { rows in
                                Kernels.multiplyTransposed(
                                    m: m, n: n, k: k, ap.baseAddress!, lda: k, rows, into: cp.baseAddress!, ldc: n,
                                    accumulate: accumulate)
                            }
                        }
                    }
                }
                for q in 0..<m * n {
                    XCTAssertEqual(c[q], (accumulate ? 0.5 : 0) + expected[q], accuracy: 1e-3, "\(m)×\(n)×\(k) at \(q)")
                }
            }
        }
    }

    /// One row of A (a dense layer's single sample) is taken eight columns at a time; each
    /// entry is the sum the four-column blocks of a taller product give it, bit for bit, over
    /// one sample and over several.
    func testOneRowEightColumnsAtATimeIsTheFourColumnSumBitForBit() {
        var rng = SeededGenerator(seed: 9)
        for (n, k, count) in [(120, 400, 1), (84, 120, 1), (21, 13, 1), (19, 29, 3)] {
            let aStride = k + 3, bStride = n * k + 5
            let a = (0..<count * aStride).map { _ in rng.uniform(1) }
            let b = (0..<count * bStride).map { _ in rng.uniform(1) }
            // The same row twice (rows k apart), so that the taller product takes its
            // two-row blocks; and the row alone.
            var one = [Float](repeating: 0.5, count: n), two = [Float](repeating: 0.5, count: 2 * n)
            var twice: [Float] = []
            for s in 0..<count {
                let row = Array(a[(s * aStride)..<(s * aStride + k)])
                twice += row + row
            }
            b.withUnsafeBufferPointer { bp in
                Kernels.withRows(bp.baseAddress!, count: n, stride: k) { rows in
                    a.withUnsafeBufferPointer { ap in
                        one.withUnsafeMutableBufferPointer { cp in
                            Kernels.multiplyTransposed(
                                m: 1, n: n, k: k, ap.baseAddress!, lda: k, rows, into: cp.baseAddress!, ldc: n,
                                accumulate: true, samples: .init(count: count, aStride: aStride, bStride: bStride))
                        }
                    }
                    twice.withUnsafeBufferPointer { ap in
                        two.withUnsafeMutableBufferPointer { cp in
                            Kernels.multiplyTransposed(
                                m: 2, n: n, k: k, ap.baseAddress!, lda: k, rows, into: cp.baseAddress!, ldc: n,
                                accumulate: true, samples: .init(count: count, aStride: 2 * k, bStride: bStride))
                        }
                    }
                }
            }
            for q in 0..<n {
                XCTAssertEqual(one[q].bitPattern, two[q].bitPattern, "\(n)×\(k), \(count) samples, column \(q)")
                XCTAssertEqual(two[n + q].bitPattern, two[q].bitPattern)
            }
        }
    }

    /// A last block of one, two or three columns (C1's and C3's 25 kernel positions) sums
    /// each entry exactly as a full block of four does, bit for bit: the column repeated four
    /// times is a full block.
    func testNarrowLastBlockIsTheFourColumnSumBitForBit() {
        var rng = SeededGenerator(seed: 10)
        for (m, k, count) in [(1, 13, 1), (2, 144, 1), (3, 896, 1), (2, 29, 3)] {
            for n in 1...7 {
                let aStride = m * k + 3, bStride = n * k + 5
                let a = (0..<count * aStride).map { _ in rng.uniform(1) }
                let b = (0..<count * bStride).map { _ in rng.uniform(1) }
                let samples = Kernels.Samples(count: count, aStride: aStride, bStride: bStride)
                func product(columns: [Int]) -> [Float] {
                    var c = [Float](repeating: 0.25, count: m * columns.count)
                    a.withUnsafeBufferPointer { ap in
                        b.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                let offsets = columns.map { $0 * k }
                                offsets.withUnsafeBufferPointer { ob in
                                    Kernels.multiplyTransposed(
                                        m: m, n: columns.count, k: k, ap.baseAddress!, lda: k,
                                        Kernels.Rows(base: bp.baseAddress!, offsets: ob.baseAddress!),
                                        into: cp.baseAddress!, ldc: columns.count, accumulate: true, samples: samples)
                                }
                            }
                        }
                    }
                    return c
                }
                let all = product(columns: Array(0..<n))
                for j in 0..<n {
                    let block = product(columns: [j, j, j, j])
                    for i in 0..<m {
                        XCTAssertEqual(
                            all[i * n + j].bitPattern, block[i * 4].bitPattern, "\(m)×\(n)×\(k), row \(i), column \(j)")
                    }
                }
            }
        }
    }

    /// Summed over samples in one pass, as over one sample at a time.
    func testMultiplyTransposedSumsOverSamples() {
        var rng = SeededGenerator(seed: 6)
        let (m, n, k, count) = (5, 7, 13, 3)
        let aStride = m * k + 2, bStride = n * k + 5
        let a = (0..<count * aStride).map { _ in rng.uniform(1) }, b = (0..<count * bStride).map { _ in rng.uniform(1) }
        var expected = [Float](repeating: 0, count: m * n)
        for s in 0..<count {
            let one = naive(m, n, k, { a[s * aStride + $0 * k + $1] }, { b[s * bStride + $1 * k + $0] })
            for q in expected.indices { expected[q] += one[q] }
        }
        var c = [Float](repeating: 0, count: m * n)
        a.withUnsafeBufferPointer { ap in
            b.withUnsafeBufferPointer { bp in
                c.withUnsafeMutableBufferPointer { cp in
                    Kernels.withRows(bp.baseAddress!, count: n, stride: k) { rows in
                        Kernels.multiplyTransposed(
                            m: m, n: n, k: k, ap.baseAddress!, lda: k, rows, into: cp.baseAddress!, ldc: n,
                            accumulate: false,
                            samples: .init(count: count, aStride: aStride, bStride: bStride))
                    }
                }
            }
        }
        for (p, q) in zip(expected, c) { XCTAssertEqual(p, q, accuracy: 1e-3) }
    }

    /// Whether this CPU can run the AVX-512 build; where it cannot (its instructions would
    /// trap), checks that AVX2 is the build selected and says the AVX-512 build was not run.
    /// What `run(wide, out)` writes into `expected.count` floats (NaN before it runs) is
    /// `expected` bit for bit in the AVX2 build (`wide` false) and, where the CPU has it, the
    /// AVX-512 build.
    func assertBothBuildsGive(
        _ expected: [Float], _ shape: String, _ run: (_ wide: Bool, UnsafeMutablePointer<Float>) -> Void
    ) {
        for wide in [false, true] where !wide || canRunTheAVX512Build() {
            var out = [Float](repeating: .nan, count: expected.count)
            out.withUnsafeMutableBufferPointer { run(wide, $0.baseAddress!) }
            XCTAssertEqual(out.map(\.bitPattern), expected.map(\.bitPattern), "\(shape), \(wide ? "AVX-512" : "AVX2")")
        }
    }

    func canRunTheAVX512Build() -> Bool {
        if ProductKernels.available { return true }
        XCTAssertEqual(ProductKernels.selected, .avx2)
        print("MatrixProductTests: this CPU has no AVX-512; the AVX-512 build was not run")
        return false
    }

    /// The vector tanh is its formula written out in r = 2|x| − k·ln2 (one float at a time:
    /// 2a formed, Horner's rule in r, p·2^k then + 1 rounded apart), bit for bit, in both
    /// builds: the kernel works in r/2 with the coefficients scaled by powers of two and fuses
    /// p·2^k + 1, which leave every rounding as it was. A million inputs spread over every
    /// bit pattern (both signs, subnormals, past the clamp at 9, the infinities); NaNs stay NaN.
    func testVectorTanhIsItsFormulaInRBitForBit() {
        func written(_ x: Float) -> Float {
            if x.isNaN { return x }
            let a = min(abs(x), 9)
            let k = (a * 2.885_390_08).rounded(.toNearestOrEven)
            let r = (a + a).addingProduct(k, -0.693_145_751_953_125).addingProduct(k, -1.428_606_765_330_187e-6)
            var p = (1 as Float / 720).addingProduct(r, 1.0 / 5040)
            for c: Float in [1.0 / 120, 1.0 / 24, 1.0 / 6, 0.5, 1, 1] { p = c.addingProduct(p, r) }
            let t = 1 - 2 / (p * Float(sign: .plus, exponent: Int(k), significand: 1) + 1)
            return Float(bitPattern: t.bitPattern | (x.bitPattern & 0x8000_0000))
        }
        // The chosen values first: the sweep's last few (past a multiple of 16) are left out.
        let xs: [Float] =
            [0, -0, 9, -9, 8.999_999, 9.000_001, 0.173_286_8, .leastNonzeroMagnitude, .infinity, -.infinity, .nan]
            + stride(from: UInt64(0), to: 1 << 32, by: 4099).map { Float(bitPattern: UInt32($0)) }
        let count = xs.count / 16 * 16
        let expected = xs[..<count].map(written)
        for wide in [false, true] where !wide || canRunTheAVX512Build() {
            var out = Array(xs[..<count])
            let done = out.withUnsafeMutableBufferPointer {
                wide
                    ? WideProducts.tanh(count, $0.baseAddress!)
                    : VectorTanh.apply(count, $0.baseAddress!, outer: 1, inner: 1, wide: false)
            }
            XCTAssertEqual(done, count)
            for (j, (v, e)) in zip(out, expected).enumerated() where v.bitPattern != e.bitPattern {
                guard !(v.isNaN && e.isNaN) else { continue }
                XCTFail("tanh(\(xs[j])) = \(v), written out \(e) (\(wide ? "AVX-512" : "AVX2"))")
                break
            }
        }
    }

    /// The convolution of sixteen samples in lanes: each lane the chain b + Σ w·x over (i, u, v)
    /// in order, as a loop written out gives it bit for bit; the AVX-512 build (blocks of 6
    /// maps × 4 columns or 4 × 5) gives the AVX2 build's bits (2 × 2). C1's and C3's shapes,
    /// and odd ones whose maps and columns leave blocks part-full.
    func testLaneConvolutionIsTheChainWrittenOutBitForBit() {
        var rng = SeededGenerator(seed: 12)
        for (inMaps, inH, inW, k, outMaps) in [
            (1, 32, 32, 5, 6), (6, 14, 14, 5, 16), (3, 9, 11, 3, 7), (2, 6, 8, 5, 5),
        ] {
            let outH = inH - k + 1, outW = inW - k + 1, rows = inMaps * k * k
            let x = (0..<inMaps * inH * inW * 16).map { _ in rng.uniform(1) }
            let w = (0..<outMaps * rows).map { _ in rng.uniform(0.5) }, b = (0..<outMaps).map { _ in rng.uniform(0.5) }
            var expected = [Float](repeating: 0, count: outMaps * outH * outW * 16)
            for o in 0..<outMaps {
                for r in 0..<outH {
                    for c in 0..<outW {
                        for s in 0..<16 {
                            var a = b[o], t = 0
                            for i in 0..<inMaps {
                                for u in 0..<k {
                                    for v in 0..<k {
                                        a = a.addingProduct(
                                            w[o * rows + t], x[((i * inH + r + u) * inW + c + v) * 16 + s])
                                        t += 1
                                    }
                                }
                            }
                            expected[((o * outH + r) * outW + c) * 16 + s] = a
                        }
                    }
                }
            }
            assertBothBuildsGive(expected, "\(inMaps)@\(inH)×\(inW) → \(outMaps), \(k)×\(k)") { wide, y in
                if wide {
                    WideProducts.laneConvolution(
                        inMaps: inMaps, inH: inH, inW: inW, kernel: k, outMaps: outMaps, input: x, weights: w, bias: b,
                        into: y)
                } else {
                    MatrixProduct<SIMD8<Float>>.laneConvolution(
                        inMaps: inMaps, inH: inH, inW: inW, kernel: k, outMaps: outMaps, input: x, weights: w, bias: b,
                        into: y)
                }
            }
        }
    }

    /// ∂E/∂x of sixteen samples in lanes: each lane the wide grid's sums written out, every
    /// (u, v) in order (those reaching outside the output too, as zero products) of T, each
    /// T summed over the output maps in order from +0; the AVX-512 build (blocks of 6 input
    /// maps × 2 columns) and the AVX2 build (3 × 1) give its bits. C3's shape and odd ones
    /// whose maps and columns leave blocks part-full; ∂E/∂a and w have zeros and −0 in them.
    func testLaneInputGradientIsTheGridsSumsWrittenOutBitForBit() {
        var rng = SeededGenerator(seed: 13)
        for (inMaps, inH, inW, k, outMaps) in [
            (6, 14, 14, 5, 16), (4, 9, 11, 3, 7), (7, 6, 8, 5, 5), (2, 5, 5, 4, 3),
        ] {
            let outH = inH - k + 1, outW = inW - k + 1, area = k * k
            // ∂E/∂a as the wide grid holds it: rows inW apart, zeros past column outW and after
            // the last row, and a map stride rounded up to 16.
            let mapStride = (outH * inW + 15) / 16 * 16
            func value(_ q: Int) -> Float { q % 11 == 0 ? 0 : q % 11 == 1 ? -0.0 : rng.uniform(1) }
            var da = [Float](repeating: 0, count: outMaps * mapStride * 16)
            for o in 0..<outMaps {
                for r in 0..<outH {
                    for c in 0..<outW {
                        for s in 0..<16 {
                            let q = (o * mapStride + r * inW + c) * 16 + s
                            da[q] = value(q)
                        }
                    }
                }
            }
            let w = (0..<outMaps * inMaps * area).map { value($0) }
            var wt = [Float](repeating: 0, count: w.count)
            for o in 0..<outMaps {
                for i in 0..<inMaps {
                    for t in 0..<area { wt[(t * outMaps + o) * inMaps + i] = w[(o * inMaps + i) * area + t] }
                }
            }
            func unit(_ o: Int, _ r: Int, _ c: Int, _ s: Int) -> Float {
                r >= 0 && r < outH && c >= 0 && c < outW ? da[(o * mapStride + r * inW + c) * 16 + s] : 0
            }
            var expected = [Float](repeating: 0, count: inMaps * inH * inW * 16)
            for i in 0..<inMaps {
                for y in 0..<inH {
                    for x in 0..<inW {
                        for s in 0..<16 {
                            var sum: Float = 0
                            for u in 0..<k {
                                for v in 0..<k {
                                    var t: Float = 0
                                    for o in 0..<outMaps {
                                        t = t.addingProduct(
                                            w[(o * inMaps + i) * area + u * k + v], unit(o, y - u, x - v, s))
                                    }
                                    sum += t
                                }
                            }
                            expected[((i * inH + y) * inW + x) * 16 + s] = sum
                        }
                    }
                }
            }
            let shape = "\(inMaps)@\(inH)×\(inW) ← \(outMaps), \(k)×\(k)"
            XCTAssertTrue(expected.contains { $0 != 0 }, shape)
            assertBothBuildsGive(expected, shape) { wide, dx in
                if wide {
                    WideProducts.laneInputGradient(
                        inMaps: inMaps, inH: inH, inW: inW, kernel: k, outMaps: outMaps, da: da, rowStride: inW,
                        mapStride: mapStride, weights: wt, into: dx)
                } else {
                    MatrixProduct<SIMD8<Float>>.laneInputGradient(
                        inMaps: inMaps, inH: inH, inW: inW, kernel: k, outMaps: outMaps, da: da, rowStride: inW,
                        mapStride: mapStride, weights: wt, into: dx)
                }
            }
        }
    }

    /// The AVX-512 build of C = A · B (LeNetKernelsAVX512: 32 columns a block, 16 in a last
    /// narrow one) gives the AVX2 build's bits (16 columns a block, 8 in a last one), for every
    /// start, B read in place and copied, rows in a given order, and rows added at overlapping
    /// offsets. On a CPU without AVX-512 that build would trap, so only the choice is checked.
    func testTheAVX512ProductGivesTheAVX2ProductsBits() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 11)
        let shapes = [
            (1, 1, 1), (5, 17, 3), (6, 16, 25), (7, 33, 9), (13, 40, 20), (16, 100, 150), (25, 140, 10), (6, 896, 25),
            (3, 48, 7), (2, 31, 5), (4, 8, 2), (16, 120, 84), (10, 400, 16),
        ]
        for (m, n, k) in shapes {
            let a = (0..<m * k).map { _ in rng.uniform(1) }, bias = (0..<m).map { _ in rng.uniform(1) }
            let ldb = (n + 15) / 16 * 16
            let b = (0..<(k + 1) * ldb).map { _ in rng.uniform(1) }
            let order = Array((0..<m).reversed()), offsets = (0..<m).map { 3 * $0 + ($0 % 2) }
            let initial = (0..<(m * n + offsets.last! + n)).map { _ in rng.uniform(1) }
            for readable in [true, false] {
                for start in 0..<3 {
                    for layout in ["rows", "order", "offsets"] {
                        func product(wide: Bool) -> [Float] {
                            var c = initial
                            a.withUnsafeBufferPointer { ap in
                                b.withUnsafeBufferPointer { bp in
                                    bias.withUnsafeBufferPointer { biasp in
                                        order.withUnsafeBufferPointer { op in
                                            offsets.withUnsafeBufferPointer { offp in
                                                c.withUnsafeMutableBufferPointer { cp in
                                                    let s: ProductStart =
                                                        start == 0
                                                        ? .zero : start == 1 ? .accumulate : .bias(biasp.baseAddress!)
                                                    let into =
                                                        layout == "offsets"
                                                        ? Destination(base: cp.baseAddress!, offsets: offp.baseAddress!)
                                                        : Destination(base: cp.baseAddress!, stride: n)
                                                    let rowOrder = layout == "order" ? op.baseAddress! : nil
                                                    let strided = Strided(
                                                        base: ap.baseAddress!, rowStride: k, columnStride: 1)
                                                    Rows.with(bp.baseAddress!, count: k, stride: ldb) { rows in
                                                        if wide {
                                                            WideProducts.multiply(
                                                                m: m, n: n, k: k, strided, rows, readable: readable,
                                                                into: into, start: s, order: rowOrder)
                                                        } else {
                                                            MatrixProduct<SIMD8<Float>>.multiply(
                                                                m: m, n: n, k: k, strided, rows, readable: readable,
                                                                into: into, start: s, order: rowOrder)
                                                        }
                                                    }
                                                }
                                            }
                                        }
                                    }
                                }
                            }
                            return c
                        }
                        let narrow = product(wide: false), wide = product(wide: true)
                        XCTAssertNotEqual(narrow, initial)
                        XCTAssertEqual(
                            narrow.map(\.bitPattern), wide.map(\.bitPattern),
                            "\(m)×\(n)×\(k) readable \(readable) start \(start) \(layout)")
                    }
                }
            }
        }
    }

    /// C3's ∂E/∂x by the dense product (the keras variant's full table): 150 rows of
    /// ∂E/∂unrolled added onto the six input maps at overlapping offsets, in the store order
    /// (kernel position, then input map). Runs of six rows never overlap, so the AVX-512 build
    /// takes 32 columns a block (`disjoint`); its bits are still those of 16 columns a block,
    /// in both builds.
    func testDisjointRowsTakeWideBlocksWithTheNarrowBlocksBits() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 41)
        let maps = 6, side = 14, kernel = 5, area = kernel * kernel, m = maps * area, n = 140, k = 16
        let a = (0..<m * k).map { _ in rng.uniform(1) }
        let b = (0..<k * 144).map { _ in rng.uniform(1) }
        let offsets = (0..<m).map { row in (row / area * side + row % area / kernel) * side + row % kernel }
        let order = (0..<area).flatMap { t in (0..<maps).map { $0 * area + t } }
        let initial = [Float](repeating: 0, count: maps * side * side + 16)
        func product(wide: Bool, disjoint: Int, storeOrder: Bool = true) -> [Float] {
            var c = initial
            a.withUnsafeBufferPointer { ap in
                b.withUnsafeBufferPointer { bp in
                    offsets.withUnsafeBufferPointer { offp in
                        order.withUnsafeBufferPointer { op in
                            c.withUnsafeMutableBufferPointer { cp in
                                let into = Destination(base: cp.baseAddress!, offsets: offp.baseAddress!)
                                let strided = Strided(base: ap.baseAddress!, rowStride: k, columnStride: 1)
                                Rows.with(bp.baseAddress!, count: k, stride: 144) { rows in
                                    if wide {
                                        WideProducts.multiply(
                                            m: m, n: n, k: k, strided, rows, readable: true, into: into,
                                            start: .accumulate, order: storeOrder ? op.baseAddress! : nil,
                                            disjoint: disjoint)
                                    } else {
                                        MatrixProduct<SIMD8<Float>>.multiply(
                                            m: m, n: n, k: k, strided, rows, readable: true, into: into,
                                            start: .accumulate, order: op.baseAddress!, disjoint: disjoint)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            return c
        }
        let narrow = product(wide: true, disjoint: 1), wide = product(wide: true, disjoint: maps)
        XCTAssertNotEqual(narrow, initial)
        XCTAssertEqual(narrow.map(\.bitPattern), wide.map(\.bitPattern))
        XCTAssertEqual(product(wide: false, disjoint: maps).map(\.bitPattern), wide.map(\.bitPattern))
        // The wide blocks are taken: in the natural order (a map's rows one after another, which
        // do overlap) the same claim adds some terms in another order, so other bits.
        XCTAssertNotEqual(
            product(wide: true, disjoint: maps, storeOrder: false).map(\.bitPattern),
            product(wide: true, disjoint: 1, storeOrder: false).map(\.bitPattern))
        // And an input by hand: map 1's (2, 3) gathers row (1, u, v) at 31 − (14u + v) on the
        // 14-wide grid, wherever that lies on it, in order of (u, v).
        var expected: Float = 0
        for u in 0..<kernel {
            for v in 0..<kernel where (0..<n).contains(2 * side + 3 - u * side - v) {
                let row = area + u * kernel + v, p = 2 * side + 3 - u * side - v
                var dot: Float = 0
                for kk in 0..<k { dot = dot.addingProduct(a[row * k + kk], b[kk * 144 + p]) }
                expected += dot
            }
        }
        XCTAssertEqual(wide[side * side + 2 * side + 3].bitPattern, expected.bitPattern)
    }

    /// A dense layer's online backward pass and step (`MatrixProduct.sweep`): the AVX-512
    /// build (sixteen-wide blocks, then eight, then one at a time) gives the AVX2 build's
    /// weights and ∂E/∂x bit for bit, with and without ∂E/∂x; and in two sweeps, ∂E/∂x
    /// without the step and then the step alone (online training on two cores), the same
    /// numbers as in one, in either build, with the weights left alone by the first.
    func testTheAVX512SweepGivesTheAVX2Bits() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 17)
        for inputs in [1, 7, 8, 9, 16, 24, 31, 40, 63, 64, 65, 84, 120, 127, 400] {
            let outputs = 5
            let weight = (0..<outputs * inputs).map { _ in rng.uniform(1) }
            let rates = (0..<outputs * inputs).map { _ in abs(rng.uniform(0.1)) }
            let x = (0..<inputs).map { _ in rng.uniform(1) }, da = (0..<outputs).map { _ in rng.uniform(1) }
            for withDx in [true, false] {
                func sweep(wide: Bool, split: Bool = false) -> (weight: [Float], dx: [Float]) {
                    var w = weight, dx = [Float](repeating: -1, count: inputs)
                    w.withUnsafeMutableBufferPointer { wp in
                        dx.withUnsafeMutableBufferPointer { dxp in
                            let into = withDx ? dxp.baseAddress! : nil
                            // One sweep, or two: ∂E/∂x alone, then the step alone.
                            for (dx, step) in split ? [(into, false), (nil, true)] : [(into, true)] {
                                if wide {
                                    WideProducts.sweep(
                                        outputs: outputs, inputs: inputs, da: da, x: x, weight: wp.baseAddress!,
                                        rates: rates, dx: dx, step: step)
                                } else {
                                    MatrixProduct<SIMD8<Float>>.sweep(
                                        outputs: outputs, inputs: inputs, da: da, x: x, weight: wp.baseAddress!,
                                        rates: rates, dx: dx, step: step)
                                }
                                if !step {
                                    XCTAssertEqual(Array(wp), weight, "\(inputs) inputs: ∂E/∂x alone steps nothing")
                                }
                            }
                        }
                    }
                    return (w, dx)
                }
                let narrow = sweep(wide: false), wide = sweep(wide: true)
                for wide in [false, true] {
                    let split = sweep(wide: wide, split: true)
                    XCTAssertEqual(split.weight.map(\.bitPattern), narrow.weight.map(\.bitPattern), "\(inputs) inputs")
                    XCTAssertEqual(split.dx.map(\.bitPattern), narrow.dx.map(\.bitPattern), "\(inputs) inputs")
                }
                XCTAssertNotEqual(narrow.weight, weight, "\(inputs) inputs: the step moved the weights")
                XCTAssertEqual(narrow.weight.map(\.bitPattern), wide.weight.map(\.bitPattern), "\(inputs) inputs")
                XCTAssertEqual(narrow.dx.map(\.bitPattern), wide.dx.map(\.bitPattern), "\(inputs) inputs")
                if withDx {
                    // ∂E/∂x[j] = Σ_o ∂E/∂a[o]·w[o, j], fused multiply-adds from zero, old weights.
                    let expected = (0..<inputs).map { j in
                        (0..<outputs).reduce(Float(0)) { $0.addingProduct(da[$1], weight[$1 * inputs + j]) }
                    }
                    XCTAssertEqual(wide.dx.map(\.bitPattern), expected.map(\.bitPattern), "\(inputs) inputs")
                } else {
                    XCTAssertTrue(wide.dx.allSatisfy { $0 == -1 }, "∂E/∂x left alone")
                }
            }
        }
    }

    /// ∂E/∂x gathered from shifted rows (C3's backward pass): both builds give, at every
    /// count (blocks of four registers, of one, then single inputs), the sum in order from
    /// zero of the terms a scalar loop reads, the zeros around each row included.
    func testAddShiftedGathersEveryTermInOrderInBothBuilds() {
        var rng = SeededGenerator(seed: 23)
        let k = 5, width = 14, terms = k * k, lead = 64
        let shifts = (0..<terms).map { ($0 / k) * width + $0 % k }
        for count in [1, 7, 8, 9, 15, 16, 17, 33, 64, 65, 100, 196] {
            // Each row: `lead` zeros, `count` values (some −0, to show they never leave a −0), zeros.
            let rowStride = lead + count
            let rows = (0..<terms * rowStride).map { j -> Float in
                j % rowStride < lead ? 0 : (j % 11 == 0 ? -0.0 : rng.uniform(1))
            }
            let expected = (0..<count).map { q in
                (0..<terms).reduce(Float(0)) { $0 + rows[$1 * rowStride + lead + q - shifts[$1]] }
            }
            func gathered(wide: Bool) -> [Float] {
                var out = [Float](repeating: .nan, count: count)
                rows.withUnsafeBufferPointer { rp in
                    shifts.withUnsafeBufferPointer { sp in
                        out.withUnsafeMutableBufferPointer { op in
                            if wide {
                                WideProducts.addShifted(
                                    count: count, rows: rp.baseAddress!, rowStride: rowStride, lead: lead,
                                    shifts: sp.baseAddress!, terms: terms, into: op.baseAddress!)
                            } else {
                                MatrixProduct<SIMD8<Float>>.addShifted(
                                    count: count, rows: rp.baseAddress!, rowStride: rowStride, lead: lead,
                                    shifts: sp.baseAddress!, terms: terms, into: op.baseAddress!)
                            }
                        }
                    }
                }
                return out
            }
            XCTAssertFalse(expected.contains { $0.sign == .minus && $0 == 0 }, "a sum from +0 is never −0")
            XCTAssertEqual(gathered(wide: false).map(\.bitPattern), expected.map(\.bitPattern), "\(count) inputs")
            if canRunTheAVX512Build() {
                XCTAssertEqual(gathered(wide: true).map(\.bitPattern), expected.map(\.bitPattern), "\(count) inputs")
            }
        }
    }

    /// C3's sums by kept position: the AVX-512 build (blocks of 10 positions, one register
    /// each) gives the AVX2 build's bits (blocks of 6, two registers each): with C3's rows
    /// (runs of five one float apart) and ten positions of an output row, whose inputs the
    /// AVX-512 build loads once a run (`positionRunBlock`), and with rows and positions that
    /// are not, each input loaded for each row.
    func testTheAVX512PositionRowsGiveTheAVX2Bits() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 12)
        let k = 150
        let runs = (0..<k).map { ($0 / 25) * 196 + ($0 % 25 / 5) * 14 + $0 % 5 }
        let cases =
            [1, 2, 3, 4, 5, 6, 11, 12, 13, 16, 25, 100].map { ($0, runs, 10) } + [
                (100, runs, 8), (100, runs.reversed(), 10), (30, runs.map { $0 % 5 == 4 ? $0 + 1 : $0 }, 10),
            ]
        func positions(_ count: Int, width: Int) -> [Int] { (0..<count).map { ($0 / width) * 14 + $0 % width } }
        // Room for every input any case reads, and some to spare: 100 positions 8 wide reach row
        // 12 of the grid, past C3's 6 × 196 inputs, and the reads past the buffer gave numbers
        // that changed between the two builds' calls (a CI run failed on them).
        let reach = cases.map { positions($0.0, width: $0.2).max()! + $0.1.max()! }.max()! + 16
        let input = (0..<reach).map { _ in rng.uniform(1) }
        let weights = (0..<k * 16).map { _ in rng.uniform(1) }, bias = (0..<16).map { _ in rng.uniform(1) }
        for (count, offsets, width) in cases {
            let at = positions(count, width: width)
            func sums(wide: Bool) -> [Float] {
                var out = [Float](repeating: 0, count: count * 16)
                input.withUnsafeBufferPointer { ip in
                    offsets.withUnsafeBufferPointer { op in
                        weights.withUnsafeBufferPointer { wp in
                            bias.withUnsafeBufferPointer { bp in
                                at.withUnsafeBufferPointer { ap in
                                    out.withUnsafeMutableBufferPointer { outp in
                                        if wide {
                                            WideProducts.positionRows(
                                                count: count, at: ap.baseAddress!, input: ip.baseAddress!,
                                                offsets: op.baseAddress!, k: k, weights: wp.baseAddress!,
                                                bias: bp.baseAddress!, into: outp.baseAddress!)
                                        } else {
                                            MatrixProduct<SIMD8<Float>>.positionRows(
                                                count: count, at: ap.baseAddress!, input: ip.baseAddress!,
                                                offsets: op.baseAddress!, k: k, weights: wp.baseAddress!,
                                                bias: bp.baseAddress!, into: outp.baseAddress!)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
                return out
            }
            let narrow = sums(wide: false), wide = sums(wide: true)
            XCTAssertTrue(narrow.contains { $0 != 0 })
            XCTAssertEqual(
                narrow.map(\.bitPattern), wide.map(\.bitPattern), "\(count) positions, rows \(width) wide")
        }
    }

    /// The tanh in the AVX-512 build (64 floats a step as four chains, then 32 as two) gives
    /// the AVX2 build's bits (16 a step, as two eight-wide chains) and covers the same first
    /// n / 8 · 8 floats, for every n up to 140 (steps of 64, 32, 16 and 8 in every mix),
    /// signs, zeros, the clamp at 9 and NaN: scaled as the paper's f, and unscaled (scales of
    /// 1), where plain tanh's own copies (`WideProducts.tanh`, `Kernels.narrowTanh`) give the
    /// same bits too.
    func testTheAVX512TanhGivesTheAVX2Bits() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 13)
        var values = (0..<140).map { _ in rng.uniform(12) }
        values[0...5] = [0, -0.0, 9, -9.5, .nan, 1e30]
        values[6...9] = [-Float.leastNormalMagnitude / 4, .leastNonzeroMagnitude, .infinity, -.infinity]
        for (outer, inner): (Float, Float) in [(1.7159, 2.0 / 3), (1, 1)] {
            for n in 0...140 {
                var narrow = values, wide = values
                let done = narrow.withUnsafeMutableBufferPointer {
                    VectorTanh.apply(n, $0.baseAddress!, outer: outer, inner: inner, wide: false)
                }
                let wideDone = wide.withUnsafeMutableBufferPointer {
                    WideProducts.squash(n, $0.baseAddress!, outer: outer, inner: inner)
                }
                XCTAssertEqual(done, n / 8 * 8)
                XCTAssertEqual(wideDone, done)
                XCTAssertEqual(narrow.map(\.bitPattern), wide.map(\.bitPattern), "n = \(n)")
                if n >= 16 {
                    XCTAssertEqual(
                        Double(narrow[15]), Double(outer) * tanh(Double(inner) * Double(values[15])), accuracy: 1e-6)
                }
                if outer == 1 {
                    // Plain tanh's own copies, without the multiplications by 1, change no bit.
                    var plainNarrow = values, plainWide = values
                    _ = plainNarrow.withUnsafeMutableBufferPointer { Kernels.narrowTanh(n, $0.baseAddress!) }
                    _ = plainWide.withUnsafeMutableBufferPointer { WideProducts.tanh(n, $0.baseAddress!) }
                    XCTAssertEqual(narrow.map(\.bitPattern), plainNarrow.map(\.bitPattern), "n = \(n)")
                    XCTAssertEqual(narrow.map(\.bitPattern), plainWide.map(\.bitPattern), "n = \(n)")
                }
            }
        }
    }

    /// Plain tanh's copies without the multiplications by 1 (`WideProducts.tanh`,
    /// `Kernels.narrowTanh`) give the scaled code's bits with scales of 1 that the compiler
    /// cannot see (`WideProducts.squash`), on every one of the 2³² floats.
    func testPlainTanhIsTheScaledCodeWithScalesOfOneOnEveryFloat() {
        guard canRunTheAVX512Build() else { return }
        // 1, but only at run time.
        let one = Float(ProcessInfo.processInfo.environment["LENET5_NO_SUCH_VARIABLE"] == nil ? 1 : 2)
        let count = 1 << 16
        var scaled = [Float](repeating: 0, count: count), wide = scaled, narrow = scaled
        var differ = 0
        for high in 0..<(1 << 16) {
            for low in 0..<count { scaled[low] = Float(bitPattern: UInt32(high << 16 | low)) }
            wide = scaled
            narrow = scaled
            _ = scaled.withUnsafeMutableBufferPointer {
                WideProducts.squash(count, $0.baseAddress!, outer: one, inner: one)
            }
            _ = wide.withUnsafeMutableBufferPointer { WideProducts.tanh(count, $0.baseAddress!) }
            _ = narrow.withUnsafeMutableBufferPointer { Kernels.narrowTanh(count, $0.baseAddress!) }
            for k in 0..<count
            where scaled[k].bitPattern != wide[k].bitPattern || scaled[k].bitPattern != narrow[k].bitPattern {
                differ += 1
            }
        }
        XCTAssertEqual(differ, 0)
    }

    /// ∂E/∂w of a 16-map convolution on the AVX-512 build (`WideProducts.laneDots`, all 16
    /// maps in one register, from ∂E/∂a transposed) gives the bits of the dot products it
    /// replaces there (`Kernels.multiplyTransposed`, summed over the samples), for row counts
    /// that leave 0, 1 and 2 rows after the blocks of three, one sample to 17 (an odd last
    /// group), and signed zeros among ∂E/∂a (a thrown-away column's zeros, and −0). The rows
    /// read as a kernel's do, in runs of five one float apart (blocks of three and two that
    /// share their loads), and, for the first shape, from places that are not (blocks of three).
    func testTheAVX512LaneDotsGiveTheDotProductsBitsForC3sGradient() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 17)
        for (rows, k, spread) in [
            (150, 144, false), (150, 144, true), (25, 8, false), (26, 24, false), (28, 896, false), (1, 16, false),
        ] {
            for n in [1, 2, 3, 17] {
                let uStride = k + 3 * rows + 8, perSample = 16 * k
                var da = (0..<n * perSample).map { _ in rng.uniform(1) }
                for i in stride(from: 0, to: da.count, by: 7) { da[i] = i % 2 == 0 ? 0 : -0.0 }
                let inputs = (0..<n * uStride).map { _ in rng.uniform(1) }
                let offsets = (0..<rows).map { spread ? 3 * $0 : $0 / 5 * 7 + $0 % 5 }
                var dot = [Float](repeating: 0.5, count: 16 * rows), wide = dot
                // ∂E/∂a by position: 16 maps side by side.
                var daT = [Float](repeating: 0, count: n * perSample)
                for s in 0..<n {
                    for o in 0..<16 {
                        for t in 0..<k { daT[s * perSample + t * 16 + o] = da[s * perSample + o * k + t] }
                    }
                }
                da.withUnsafeBufferPointer { dap in
                    daT.withUnsafeBufferPointer { tp in
                        inputs.withUnsafeBufferPointer { ip in
                            offsets.withUnsafeBufferPointer { op in
                                let u = Kernels.Rows(base: ip.baseAddress!, offsets: op.baseAddress!)
                                dot.withUnsafeMutableBufferPointer { cp in
                                    Kernels.multiplyTransposed(
                                        m: 16, n: rows, k: k, dap.baseAddress!, lda: k, u, into: cp.baseAddress!,
                                        ldc: rows, accumulate: false,
                                        samples: .init(count: n, aStride: perSample, bStride: uStride))
                                }
                                wide.withUnsafeMutableBufferPointer { cp in
                                    WideProducts.laneDots(
                                        rows: rows, k: k, lanes: 16, daT: tp.baseAddress!, daStride: perSample, u,
                                        uStride: uStride, samples: n, into: cp.baseAddress!, ldc: rows)
                                }
                            }
                        }
                    }
                }
                XCTAssertEqual(dot.map(\.bitPattern), wide.map(\.bitPattern), "rows \(rows), k \(k), n \(n)")
                // And the sums are the products': one entry by hand.
                var expected: Float = 0
                for s in 0..<n {
                    for t in 0..<k {
                        expected += da[s * perSample + 3 * k + t] * inputs[s * uStride + offsets[rows - 1] + t]
                    }
                }
                XCTAssertEqual(wide[3 * rows + rows - 1], expected, accuracy: 1e-3 * Float(n * k).squareRoot())
            }
        }
    }

    /// ∂E/∂w of a convolution with an even number of maps on the AVX-512 build
    /// (`Kernels.pairGradient`: ∂E/∂a laid in pairs of maps, two maps to a register) gives the
    /// bits of the dot products it replaces (`Kernels.multiplyTransposed`, summed over the
    /// samples): one to four pairs (blocks of three, then one), column counts in blocks of five
    /// and of four with one to three left over, one sample to 17, and signed zeros among ∂E/∂a.
    func testTheAVX512PairDotsGiveTheDotProductsBits() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 23)
        for (maps, rows, k) in [(6, 25, 896), (2, 26, 8), (4, 27, 144), (8, 28, 16), (6, 1, 24), (2, 4, 8)] {
            for n in [1, 2, 17] {
                let uStride = k + rows + 8, perSample = maps * k + 8
                var da = (0..<n * perSample).map { _ in rng.uniform(1) }
                for i in stride(from: 0, to: da.count, by: 7) { da[i] = i % 2 == 0 ? 0 : -0.0 }
                let inputs = (0..<n * uStride).map { _ in rng.uniform(1) }
                let offsets = (0..<rows).map { $0 }
                var dot = [Float](repeating: 0.5, count: maps * rows), pairs = dot
                da.withUnsafeBufferPointer { dap in
                    inputs.withUnsafeBufferPointer { ip in
                        offsets.withUnsafeBufferPointer { op in
                            let u = Kernels.Rows(base: ip.baseAddress!, offsets: op.baseAddress!)
                            dot.withUnsafeMutableBufferPointer { cp in
                                Kernels.multiplyTransposed(
                                    m: maps, n: rows, k: k, dap.baseAddress!, lda: k, u, into: cp.baseAddress!,
                                    ldc: rows, accumulate: false,
                                    samples: .init(count: n, aStride: perSample, bStride: uStride))
                            }
                            pairs.withUnsafeMutableBufferPointer { cp in
                                Kernels.pairGradient(
                                    n: n, maps: maps, padded: k, da: dap.baseAddress!, perSample: perSample, u,
                                    uStride: uStride, rows: rows, into: cp.baseAddress!)
                            }
                        }
                    }
                }
                XCTAssertEqual(
                    dot.map(\.bitPattern), pairs.map(\.bitPattern), "maps \(maps), rows \(rows), k \(k), n \(n)")
                // And the sums are the products': the last map's last entry by hand.
                var expected: Float = 0
                for s in 0..<n {
                    for t in 0..<k {
                        expected += da[s * perSample + (maps - 1) * k + t] * inputs[s * uStride + (rows - 1) + t]
                    }
                }
                XCTAssertEqual(pairs[maps * rows - 1], expected, accuracy: 1e-3 * Float(n * k).squareRoot())
            }
        }
    }

    /// C3's ∂E/∂w on the AVX-512 build adds only the grid's kept columns (`LiveColumns`: rows
    /// 14 wide, 10 kept, 140 positions of 144), each to the partial sum of its t mod 8: the
    /// bits of the whole product, whose other columns hold ∂E/∂a's zeros (+0 and −0 both),
    /// for 1 to 17 samples and row counts that leave 0, 1 and 2 rows after the blocks of
    /// three. A grid other than C3's (rows 12 wide) keeps to the whole product.
    func testTheAVX512LaneDotsSkipTheThrownAwayColumnsBitForBit() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 23)
        for (width, kept, end, k) in [(14, 10, 140, 144), (14, 10, 84, 96), (12, 8, 96, 96)] {
            let live = LiveColumns(width: width, count: kept, end: end)
            for (rows, n) in [(150, 1), (151, 2), (152, 17), (25, 3)] {
                let uStride = k + 2 * rows + 8, perSample = 16 * k
                var daT = [Float](repeating: 0, count: n * perSample)
                for s in 0..<n {
                    for t in 0..<k {
                        let isLive = t < end && t % width < kept
                        for o in 0..<16 {
                            daT[s * perSample + 16 * t + o] =
                                isLive ? (o == 5 ? -0.0 : rng.uniform(1)) : ((t + o) % 2 == 0 ? 0 : -0.0)
                        }
                    }
                }
                let inputs = (0..<n * uStride).map { _ in rng.uniform(1) }
                let offsets = (0..<rows).map { $0 / 5 * 7 + $0 % 5 }  // a kernel's rows of five
                var whole = [Float](repeating: 0.5, count: 16 * rows), skipping = whole
                daT.withUnsafeBufferPointer { tp in
                    inputs.withUnsafeBufferPointer { ip in
                        offsets.withUnsafeBufferPointer { op in
                            let u = Kernels.Rows(base: ip.baseAddress!, offsets: op.baseAddress!)
                            whole.withUnsafeMutableBufferPointer { cp in
                                WideProducts.laneDots(
                                    rows: rows, k: k, lanes: 16, daT: tp.baseAddress!, daStride: perSample, u,
                                    uStride: uStride, samples: n, into: cp.baseAddress!, ldc: rows)
                            }
                            skipping.withUnsafeMutableBufferPointer { cp in
                                WideProducts.laneDots(
                                    rows: rows, k: k, lanes: 16, daT: tp.baseAddress!, daStride: perSample, u,
                                    uStride: uStride, samples: n, into: cp.baseAddress!, ldc: rows, live: live)
                            }
                        }
                    }
                }
                XCTAssertEqual(
                    whole.map(\.bitPattern), skipping.map(\.bitPattern), "grid \(width) wide, rows \(rows), n \(n)")
                XCTAssertTrue(whole.contains { $0 != 0 })
            }
        }
    }

    /// A dense layer's forward pass on the AVX-512 build (`Kernels.sampleDots`, two samples
    /// to a register) gives the bits of the dot products it replaces there, for C5's, F6's
    /// and smaller shapes, output counts that leave 0 to 4 after the blocks of five, and odd
    /// and even batches (an odd one's last sample paired with zeros).
    func testTheAVX512PairDotsGiveTheDotProductsBitsForADenseLayer() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 19)
        for (inputs, outputs) in [(400, 120), (120, 84), (8, 1), (16, 10), (24, 7), (32, 13), (8, 3)] {
            for n in [2, 3, 5, 6, 7, 8, 16, 17, 31, 40] {
                let x = (0..<n * inputs).map { i in i % 11 == 0 ? -0.0 : rng.uniform(1) }
                let w = (0..<outputs * inputs).map { _ in rng.uniform(0.1) }
                var dot = [Float](repeating: 0.5, count: n * outputs), lanes = dot
                x.withUnsafeBufferPointer { xp in
                    w.withUnsafeBufferPointer { wp in
                        Kernels.withRows(wp.baseAddress!, count: outputs, stride: inputs) { rows in
                            dot.withUnsafeMutableBufferPointer { yp in
                                Kernels.multiplyTransposed(
                                    m: n, n: outputs, k: inputs, xp.baseAddress!, lda: inputs, rows,
                                    into: yp.baseAddress!, ldc: outputs, accumulate: false)
                            }
                            lanes.withUnsafeMutableBufferPointer { yp in
                                Kernels.sampleDots(
                                    n: n, inputs: inputs, outputs: outputs, xp.baseAddress!, rows,
                                    into: yp.baseAddress!)
                            }
                        }
                    }
                }
                XCTAssertEqual(dot.map(\.bitPattern), lanes.map(\.bitPattern), "\(inputs) → \(outputs), n \(n)")
                var expected: Float = 0
                for t in 0..<inputs { expected += x[(n - 1) * inputs + t] * w[(outputs - 1) * inputs + t] }
                XCTAssertEqual(lanes[n * outputs - 1], expected, accuracy: 1e-4)
            }
        }
    }

    /// Sixteen rows laid lane by lane on the AVX-512 build (`WideProducts.lanes`: 16 × 16
    /// blocks transposed in registers, then the last columns one by one) put every float,
    /// −0 and NaN payloads included, where the plain loop puts it: for C3's 144 positions,
    /// C5's and F6's inputs, and widths that leave every tail from 0 to 15, with rows longer
    /// than the part read.
    func testTheAVX512LanesAreThePlainTransposeBitForBit() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 23)
        for k in Array(1...40) + [84, 120, 144, 400] {
            for stride in [k, k + 5] {
                var from = [Float](repeating: -0.0, count: 16 * stride)
                for i in from.indices where i % 13 != 0 {
                    from[i] = i % 17 == 0 ? Float(bitPattern: 0x7FC0_0000 | UInt32(i)) : rng.uniform(1)
                }
                var plain = [Float](repeating: 7, count: 16 * k), lanes = plain
                for o in 0..<16 { for t in 0..<k { plain[16 * t + o] = from[o * stride + t] } }
                from.withUnsafeBufferPointer { fp in
                    lanes.withUnsafeMutableBufferPointer { lp in
                        WideProducts.lanes(from: fp.baseAddress!, rows: 16, stride: stride, k: k, into: lp.baseAddress!)
                    }
                }
                XCTAssertEqual(plain.map(\.bitPattern), lanes.map(\.bitPattern), "k \(k), stride \(stride)")
            }
        }
    }

    /// Lanes laid back as rows (`WideProducts.rows`, C3's sums by position put in map order)
    /// put every float, −0 and NaN payloads included, where the plain loop puts it, and
    /// nothing else: for C3's 100 positions, counts that leave every tail from 0 to 15, all
    /// 16 rows and fewer, rows further apart than the count.
    func testTheAVX512RowsFromLanesAreThePlainTransposeBitForBit() {
        guard canRunTheAVX512Build() else { return }
        var rng = SeededGenerator(seed: 29)
        for count in Array(1...40) + [100, 144] {
            for (rows, stride) in [(16, count), (16, count + 3), (6, count)] {
                var from = [Float](repeating: -0.0, count: 16 * count)
                for i in from.indices where i % 13 != 0 {
                    from[i] = i % 17 == 0 ? Float(bitPattern: 0x7FC0_0000 | UInt32(i)) : rng.uniform(1)
                }
                var plain = [Float](repeating: 7, count: 16 * stride), laid = plain
                for o in 0..<rows { for t in 0..<count { plain[o * stride + t] = from[16 * t + o] } }
                from.withUnsafeBufferPointer { fp in
                    laid.withUnsafeMutableBufferPointer { lp in
                        WideProducts.rows(
                            from: fp.baseAddress!, count: count, rows: rows, into: lp.baseAddress!, stride: stride)
                    }
                }
                XCTAssertEqual(
                    plain.map(\.bitPattern), laid.map(\.bitPattern), "count \(count), rows \(rows), stride \(stride)")
            }
        }
    }
}
