import LeNetKernels

/// Dot products two to a sixteen-wide register, summed exactly as LeNetModel's
/// `Kernels.dotBlock` sums each entry: ∂E/∂w of a convolution with an even number of maps
/// (C1's six, two maps to a register) and a dense layer's forward pass (C5's and F6's, two
/// samples to a register, `Kernels.sampleDots`). Every entry there is eight partial sums
/// (lane l: the terms at t ≡ l mod 8, in order, over the samples in order), added up as
/// `SIMD8.sum()` adds (from −0, lane 0 to 7), then the empty tail's +0. Here the low half
/// of a register holds one map's eight partial sums and the high half the next map's: ∂E/∂a
/// comes in pairs of maps, eight positions of one then the same eight of the other
/// (`pairs`), and each eight positions of an unrolled row are read once into both halves.
/// One multiply-add then does the work of two eight-wide ones, with the same terms in the
/// same order, so the same bits.
enum PairDots {
    /// c[m·ldc + j] = Σ over samples s and t < k of da(m)[t] · u[j][s·uStride + t] for the maps
    /// m < 2·pairs and the rows j < columns of u, where pair p's ∂E/∂a for sample s starts at
    /// da + s·pairStride + p·2k, eight positions of map 2p then the same of 2p + 1; k a
    /// multiple of 8.
    static func multiply(
        pairs: Int, columns: Int, k: Int, _ da: UnsafePointer<Float>, pairStride: Int, _ u: Rows, uStride: Int,
        samples: Int, into c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(k % 8 == 0)
        let part = Part(k: k, da: da, pairStride: pairStride, u: u, uStride: uStride, samples: samples, c: c, ldc: ldc)
        // Blocks of five columns when they cover them (a 5×5 kernel's 25), else four; each
        // block's rows of u run past all the pairs while they are near (a dense layer's
        // weights, 8 KB for five of C5's rows, against 192 KB for them all).
        let width = columns % 5 == 0 ? 5 : 4
        var j = 0
        while j < columns {
            let count = min(width, columns - j)
            var p = 0
            while p < pairs {
                let take = min(3, pairs - p)
                switch count {
                case 5: blocks(take, p, InlineArray<5, Int> { j + $0 }, part)
                case 4: blocks(take, p, InlineArray<4, Int> { j + $0 }, part)
                case 3: blocks(take, p, InlineArray<3, Int> { j + $0 }, part)
                case 2: blocks(take, p, InlineArray<2, Int> { j + $0 }, part)
                default: blocks(take, p, InlineArray<1, Int> { j + $0 }, part)
                }
                p += take
            }
            j += count
        }
    }

    /// What every block reads and where it writes.
    struct Part {
        let k: Int, da: UnsafePointer<Float>, pairStride: Int, u: Rows, uStride: Int, samples: Int
        let c: UnsafeMutablePointer<Float>, ldc: Int
    }

    @inline(__always)
    static func blocks<let C: Int>(_ take: Int, _ p: Int, _ columns: InlineArray<C, Int>, _ part: Part) {
        switch take {
        case 3: block(InlineArray<3, Int> { p + $0 }, columns, part)
        case 2: block(InlineArray<2, Int> { p + $0 }, columns, part)
        default: block(InlineArray<1, Int> { p + $0 }, columns, part)
        }
    }

    /// Pairs `pairs` (one to three) × columns `columns`, P × C registers of partial sums (not
    /// inlined, as `MatrixProduct.rowBlock`). Each pair's sums are a variable of their own, as
    /// in `LaneDots.block`: as one array indexed by pair they were kept in memory.
    @inline(never)
    static func block<let P: Int, let C: Int>(
        _ pairs: InlineArray<P, Int>, _ columns: InlineArray<C, Int>, _ part: Part
    ) {
        typealias V = SIMD16<Float>
        precondition(P <= 3)
        var s0 = InlineArray<C, V>(repeating: .zero), s1 = s0, s2 = s0
        let x = InlineArray<P, UnsafePointer<Float>> { part.da + pairs[$0] &* 2 &* part.k }
        let y = InlineArray<C, UnsafePointer<Float>> { part.u[columns[$0]] }
        for sample in 0..<part.samples {
            let x0 = UnsafeRawPointer(x[0] + sample &* part.pairStride)
            let x1 = P > 1 ? UnsafeRawPointer(x[1] + sample &* part.pairStride) : x0
            let x2 = P > 2 ? UnsafeRawPointer(x[2] + sample &* part.pairStride) : x0
            let ys = InlineArray<C, UnsafeRawPointer> { UnsafeRawPointer(y[$0] + sample &* part.uStride) }
            var t = 0
            while t < part.k {
                let v = InlineArray<C, V> {
                    let half = ys[$0].loadUnaligned(fromByteOffset: 4 &* t, as: SIMD8<Float>.self)
                    return V(lowHalf: half, highHalf: half)
                }
                step(&s0, x0, t, v)
                if P > 1 { step(&s1, x1, t, v) }
                if P > 2 { step(&s2, x2, t, v) }
                t &+= 8
            }
        }
        store(s0, pair: pairs[0], columns, part)
        if P > 1 { store(s1, pair: pairs[1], columns, part) }
        if P > 2 { store(s2, pair: pairs[2], columns, part) }
    }

    /// sums[q] += the pair's ∂E/∂a at positions t ..< t + 8 (both maps) · column q's inputs there.
    @inline(__always)
    static func step<let C: Int>(
        _ sums: inout InlineArray<C, SIMD16<Float>>, _ x: UnsafeRawPointer, _ t: Int, _ v: InlineArray<C, SIMD16<Float>>
    ) {
        let d = x.loadUnaligned(fromByteOffset: 8 &* t, as: SIMD16<Float>.self)
        for q in 0..<C { sums[q].addProduct(d, v[q]) }
    }

    /// Each column's two entries of one pair: `SIMD8.sum()` of each half of its register,
    /// then the empty tail's + 0, the pair's at once (`total` of its C, at most five,
    /// registers) rather than lane by lane.
    @inline(__always)
    static func store<let C: Int>(
        _ sums: InlineArray<C, SIMD16<Float>>, pair: Int, _ columns: InlineArray<C, Int>, _ part: Part
    ) {
        let totals = total(InlineArray<8, SIMD16<Float>> { $0 < C ? sums[$0] : .zero })
        let low = part.c + 2 &* pair &* part.ldc, high = low + part.ldc
        for q in 0..<C {
            low[columns[q]] = totals[2 &* q]
            high[columns[q]] = totals[2 &* q &+ 1]
        }
    }

    /// Lane 2r + h: `SIMD8.sum()` of half h of register r (from −0, lanes 0 to 7 in order),
    /// plus 0. Three rounds of taking the even and the odd lanes of neighbouring registers
    /// (`LaneDots.takeEvenAndOddLanes`, as `LaneDots.lanes`) put lane j of every half in
    /// register j, lane 2r + h: the eight registers are then added in order, the sixteen sums
    /// at once.
    @inline(__always)
    static func total(_ registers: InlineArray<8, SIMD16<Float>>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        var block = registers
        for _ in 0..<3 { LaneDots.takeEvenAndOddLanes(&block) }
        var sum = V(repeating: -0.0)
        for j in 0..<8 { sum += block[j] }
        return sum + V(repeating: 0)
    }
}
