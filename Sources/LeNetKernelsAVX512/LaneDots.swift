import LeNetKernels

/// Dot products sixteen at a time in sixteen-wide registers, one lane each, summed exactly as
/// LeNetModel's `Kernels.dotBlock` sums one: eight partial sums (one per t mod 8) run along t
/// and over the samples in order, then are added up as `SIMD8.sum()` adds (from −0, lane 0
/// to 7), and the empty tail's +0 is added. dotBlock loads both operands for each
/// multiply-add; here one load (16 lanes at position t) and one broadcast feed 16 at once.
/// The lanes are C3's 16 maps (its ∂E/∂w, from ∂E/∂a transposed); a dense layer's forward
/// pass, whose lanes were once 16 samples, now goes two samples to a register (`PairDots`),
/// which loads half as much per multiply-add. Only the AVX-512 build has this: in eight-wide
/// registers its 24 sums would not fit.
enum LaneDots {
    /// Samples taken at a time: their ∂E/∂a (9 KB each for C3) and inputs stay near (L1 and
    /// L2) while every block of rows runs over them; the partial sums wait in memory in
    /// between. (Four, not two: a slice of 16 stores and reloads them three times, not seven;
    /// C3's backward pass, keras, medians 11.6 → 11.1 µs.)
    static let group = 4

    /// c[o·ldc + kk] = Σ over samples s and t < k of daT[s·daStride + 16·t + o] · u[kk][s·uStride + t],
    /// for the lanes o < lanes (≤ 16) and the rows kk < rows of u; k a multiple of 8.
    /// With `live`, only the terms at t with t mod live.width < live.count, and t below
    /// live.end, are added (each still to the partial sum of t mod 8, in order): a
    /// convolution's wide grid, whose other columns hold zeros of ∂E/∂a, which add nothing.
    static func multiply(
        rows: Int, k: Int, lanes: Int, daT: UnsafePointer<Float>, daStride: Int, _ u: Rows, uStride: Int,
        samples: Int, into dw: UnsafeMutablePointer<Float>, ldc: Int, live: LiveColumns? = nil
    ) {
        precondition(k % 8 == 0 && lanes <= 16)
        // Row kk's partial sum for t mod 8 = l, 16 maps, at partial + (8·kk + l)·16, between
        // groups of samples; the last group adds each row's up at once into `sums` (row kk's
        // 16 lanes at 16·kk), so with one group (a batch of one or two) no partial sum leaves
        // the registers.
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: rows * 9) { buffer in
            let sumsBuffer = buffer.baseAddress!, partial = sumsBuffer + rows
            for first in stride(from: 0, to: samples, by: group) {
                let part = Part(
                    samples: first..<min(first + group, samples), k: k, daT: daT, daStride: daStride, u: u,
                    uStride: uStride, partial: partial, live: live, sums: first + group >= samples ? sumsBuffer : nil)
                // Rows read one float apart (a kernel row's five positions: (i, u, 0…4)) go in
                // blocks of their own, three then two: the input one row reads at t, the next
                // reads at t − 1, so each position's input is loaded once for the block.
                // Other rows (a dense layer's) three at a time.
                var kk = 0
                while kk < rows {
                    var run = 1
                    while run < 3 && kk + run < rows && u.offsets[kk + run] == u.offsets[kk] + run { run += 1 }
                    if run == 3 {
                        runBlock(InlineArray<3, Int> { kk + $0 }, part)
                    } else if run == 2 {
                        runBlock(InlineArray<2, Int> { kk + $0 }, part)
                    } else if kk + 3 <= rows {
                        block(InlineArray<3, Int> { kk + $0 }, part)
                        run = 3
                    } else if kk + 2 <= rows {
                        block(InlineArray<2, Int> { kk + $0 }, part)
                        run = 2
                    } else {
                        block(InlineArray<1, Int> { kk + $0 }, part)
                    }
                    kk += run
                }
            }
            // Each lane's row of c, read from the sums with a stride of 16 and written in order.
            let from = UnsafeRawPointer(sumsBuffer).assumingMemoryBound(to: Float.self)
            for o in 0..<lanes {
                let to = dw + o &* ldc
                for kk in 0..<rows { to[kk] = from[kk &* 16 &+ o] }
            }
        }
    }

    /// What a block runs over: some samples, and where the partial sums wait.
    struct Part {
        let samples: Range<Int>, k: Int, daT: UnsafePointer<Float>, daStride: Int, u: Rows, uStride: Int
        let partial: UnsafeMutablePointer<SIMD16<Float>>
        let live: LiveColumns?
        /// Where the last group puts each row's total: `SIMD8.sum()` of each lane's eight
        /// partial sums (from −0, in order), then the empty tail's + 0.
        let sums: UnsafeMutablePointer<SIMD16<Float>>?
    }

    /// Rows `rows` of the unrolled input against all 16 lanes over the part's samples, in R × 8
    /// registers of partial sums (not inlined, as `MatrixProduct.rowBlock`: inlined, the sums
    /// were kept in memory).
    @inline(never)
    static func block<let R: Int>(_ rows: InlineArray<R, Int>, _ part: Part) { sums(rows, part, run: false) }

    /// `block` for rows whose inputs lie one float apart: row r's input at t is row 0's at
    /// t + r, so the same load serves row r at t and row r − 1 at t + 1 (and the compiler
    /// keeps it in a register for both).
    @inline(never)
    static func runBlock<let R: Int>(_ rows: InlineArray<R, Int>, _ part: Part) { sums(rows, part, run: true) }

    @inline(__always)
    static func sums<let R: Int>(_ rows: InlineArray<R, Int>, _ part: Part, run: Bool) {
        typealias V = SIMD16<Float>
        // The partial sums of t mod 8 = 0, 1, …, 7, R registers each, written out one by one:
        // as an array indexed by t mod 8 they were kept in memory.
        let at = InlineArray<R, UnsafeMutablePointer<V>> { part.partial + 8 * rows[$0] }
        let fresh = part.samples.lowerBound == 0
        var s0 = InlineArray<R, V> { fresh ? .zero : at[$0][0] }, s1 = InlineArray<R, V> { fresh ? .zero : at[$0][1] }
        var s2 = InlineArray<R, V> { fresh ? .zero : at[$0][2] }, s3 = InlineArray<R, V> { fresh ? .zero : at[$0][3] }
        var s4 = InlineArray<R, V> { fresh ? .zero : at[$0][4] }, s5 = InlineArray<R, V> { fresh ? .zero : at[$0][5] }
        var s6 = InlineArray<R, V> { fresh ? .zero : at[$0][6] }, s7 = InlineArray<R, V> { fresh ? .zero : at[$0][7] }
        for s in part.samples {
            let d = UnsafeRawPointer(part.daT + s * part.daStride)
            let first = part.u[rows[0]] + s * part.uStride
            let x = InlineArray<R, UnsafePointer<Float>> { run ? first + $0 : part.u[rows[$0]] + s * part.uStride }
            if let live = part.live, live.width & 7 == 6, live.count == 10 {
                // C3's grid (rows 14 wide, 10 kept), four rows at a time, the kept columns only:
                // the rows start at t ≡ 0, 6, 4, 2 (mod 8), and each row's first column adds to
                // the partial sum of its t mod 8, the next to the one after, and so on.
                let w = live.width
                var t = 0
                while t < live.end {
                    step(&s0, d, x, t &+ 0)
                    step(&s1, d, x, t &+ 1)
                    step(&s2, d, x, t &+ 2)
                    step(&s3, d, x, t &+ 3)
                    step(&s4, d, x, t &+ 4)
                    step(&s5, d, x, t &+ 5)
                    step(&s6, d, x, t &+ 6)
                    step(&s7, d, x, t &+ 7)
                    step(&s0, d, x, t &+ 8)
                    step(&s1, d, x, t &+ 9)
                    let t1 = t &+ w
                    if t1 < live.end {
                        step(&s6, d, x, t1 &+ 0)
                        step(&s7, d, x, t1 &+ 1)
                        step(&s0, d, x, t1 &+ 2)
                        step(&s1, d, x, t1 &+ 3)
                        step(&s2, d, x, t1 &+ 4)
                        step(&s3, d, x, t1 &+ 5)
                        step(&s4, d, x, t1 &+ 6)
                        step(&s5, d, x, t1 &+ 7)
                        step(&s6, d, x, t1 &+ 8)
                        step(&s7, d, x, t1 &+ 9)
                    }
                    let t2 = t1 &+ w
                    if t2 < live.end {
                        step(&s4, d, x, t2 &+ 0)
                        step(&s5, d, x, t2 &+ 1)
                        step(&s6, d, x, t2 &+ 2)
                        step(&s7, d, x, t2 &+ 3)
                        step(&s0, d, x, t2 &+ 4)
                        step(&s1, d, x, t2 &+ 5)
                        step(&s2, d, x, t2 &+ 6)
                        step(&s3, d, x, t2 &+ 7)
                        step(&s4, d, x, t2 &+ 8)
                        step(&s5, d, x, t2 &+ 9)
                    }
                    let t3 = t2 &+ w
                    if t3 < live.end {
                        step(&s2, d, x, t3 &+ 0)
                        step(&s3, d, x, t3 &+ 1)
                        step(&s4, d, x, t3 &+ 2)
                        step(&s5, d, x, t3 &+ 3)
                        step(&s6, d, x, t3 &+ 4)
                        step(&s7, d, x, t3 &+ 5)
                        step(&s0, d, x, t3 &+ 6)
                        step(&s1, d, x, t3 &+ 7)
                        step(&s2, d, x, t3 &+ 8)
                        step(&s3, d, x, t3 &+ 9)
                    }
                    t = t3 &+ w
                }
                continue
            }
            var t = 0
            while t < part.k {
                step(&s0, d, x, t)
                step(&s1, d, x, t &+ 1)
                step(&s2, d, x, t &+ 2)
                step(&s3, d, x, t &+ 3)
                step(&s4, d, x, t &+ 4)
                step(&s5, d, x, t &+ 5)
                step(&s6, d, x, t &+ 6)
                step(&s7, d, x, t &+ 7)
                t &+= 8
            }
        }
        if let total = part.sums {
            for r in 0..<R {
                var sum = V(repeating: -0.0)
                sum += s0[r]; sum += s1[r]; sum += s2[r]; sum += s3[r]
                sum += s4[r]; sum += s5[r]; sum += s6[r]; sum += s7[r]
                total[rows[r]] = sum + V(repeating: 0)
            }
            return
        }
        for r in 0..<R {
            at[r][0] = s0[r]; at[r][1] = s1[r]; at[r][2] = s2[r]; at[r][3] = s3[r]
            at[r][4] = s4[r]; at[r][5] = s5[r]; at[r][6] = s6[r]; at[r][7] = s7[r]
        }
    }

    /// sums[r] += ∂E/∂a at t (16 maps) · row r's input at t.
    @inline(__always)
    static func step<let R: Int>(
        _ sums: inout InlineArray<R, SIMD16<Float>>, _ d: UnsafeRawPointer, _ x: InlineArray<R, UnsafePointer<Float>>,
        _ t: Int
    ) {
        let da = d.loadUnaligned(fromByteOffset: 64 &* t, as: SIMD16<Float>.self)
        for r in 0..<R { sums[r].addProduct(da, SIMD16(repeating: x[r][t])) }
    }
}

extension LaneDots {
    /// One round of a transpose in registers: register i takes the even lanes of registers
    /// 2i and 2i + 1 (eight each, in its low and high half), register i + N / 2 their odd
    /// lanes. Each round moves one bit of the lane index into the register index. (A method
    /// of this build's own type, not an extension of InlineArray: its AVX-512 code must
    /// carry the build's name, scripts/check-avx512-confined.sh.)
    @inline(__always)
    static func takeEvenAndOddLanes<let N: Int>(_ block: inout InlineArray<N, SIMD16<Float>>) {
        let rows = block, half = N / 2
        for i in 0..<half {
            let a = rows[2 * i], b = rows[2 * i + 1]
            block[i] = SIMD16(lowHalf: a.evenHalf, highHalf: b.evenHalf)
            block[i + half] = SIMD16(lowHalf: a.oddHalf, highHalf: b.oddHalf)
        }
    }

    /// Rows laid lane by lane: to[16·t + o] = from[o·stride + t] for o < rows (at most 16) and
    /// t < k, zeros in the lanes past `rows`. Sixteen columns at a time, the 16 × 16 block is
    /// transposed in registers by four rounds of taking the even and the odd lanes of
    /// neighbouring rows (each round moves one bit of the column index into the row index);
    /// the last k mod 16 columns one by one. Only moves numbers, so the bits are those of the
    /// plain loop.
    static func lanes(
        from: UnsafePointer<Float>, rows: Int, stride: Int, k: Int, into to: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD16<Float>
        let source = UnsafeRawPointer(from), target = UnsafeMutableRawPointer(to)
        var t = 0
        while t + 16 <= k {
            let column = source + 4 * t
            var block = InlineArray<16, V> { o in
                o < rows ? column.loadUnaligned(fromByteOffset: 4 * stride * o, as: V.self) : V()
            }
            for _ in 0..<4 { takeEvenAndOddLanes(&block) }
            for j in 0..<16 { target.storeBytes(of: block[j], toByteOffset: 4 * 16 * (t + j), as: V.self) }
            t += 16
        }
        while t < k {
            for o in 0..<16 { to[16 * t + o] = o < rows ? from[o * stride + t] : 0 }
            t += 1
        }
    }

    /// The other way: lanes laid as rows, to[o·stride + t] = from[16·t + o] for o < rows (at
    /// most 16) and t < count. Sixteen t at a time by the same 16 × 16 transpose in registers
    /// (its rounds undo themselves), the last count mod 16 one by one. Only moves numbers.
    static func rows(
        from: UnsafePointer<Float>, count: Int, rows: Int, into to: UnsafeMutablePointer<Float>, stride: Int
    ) {
        typealias V = SIMD16<Float>
        let source = UnsafeRawPointer(from), target = UnsafeMutableRawPointer(to)
        var t = 0
        while t + 16 <= count {
            var block = InlineArray<16, V> { j in source.loadUnaligned(fromByteOffset: 4 * 16 * (t + j), as: V.self) }
            for _ in 0..<4 { takeEvenAndOddLanes(&block) }
            for o in 0..<rows { target.storeBytes(of: block[o], toByteOffset: 4 * (o * stride + t), as: V.self) }
            t += 16
        }
        while t < count {
            for o in 0..<rows { to[o * stride + t] = from[16 * t + o] }
            t += 1
        }
    }
}
