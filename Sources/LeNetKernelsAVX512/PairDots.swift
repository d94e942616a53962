import LeNetKernels

/// ∂E/∂w of a convolution with an even number of maps (C1's six), two maps to a sixteen-wide
/// register, summed exactly as LeNetModel's `Kernels.dotBlock` sums each entry. Every entry
/// there is eight partial sums (lane l: the terms at t ≡ l mod 8, in order, over the samples
/// in order), added up as `SIMD8.sum()` adds (from −0, lane 0 to 7), then the empty tail's +0.
/// Here the low half of a register holds one map's eight partial sums and the high half the
/// next map's: ∂E/∂a comes in pairs of maps, eight positions of one then the same eight of the
/// other (`pairs`), and each eight positions of an unrolled row are read once into both
/// halves. One multiply-add then does the work of two eight-wide ones, with the same terms in
/// the same order, so the same bits.
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
        // Blocks of five columns when they cover them (a 5×5 kernel's 25), else four.
        let width = columns % 5 == 0 ? 5 : 4
        var p = 0
        while p < pairs {
            let take = min(3, pairs - p)
            var j = 0
            while j + width <= columns {
                if width == 5 {
                    blocks(take, p, InlineArray<5, Int> { j + $0 }, part)
                } else {
                    blocks(take, p, InlineArray<4, Int> { j + $0 }, part)
                }
                j += width
            }
            switch columns - j {
            case 3: blocks(take, p, InlineArray<3, Int> { j + $0 }, part)
            case 2: blocks(take, p, InlineArray<2, Int> { j + $0 }, part)
            case 1: blocks(take, p, InlineArray<1, Int> { j + $0 }, part)
            default: break
            }
            p += take
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

    /// Each column's two entries: `SIMD8.sum()` of each half, then the empty tail's + 0.
    @inline(__always)
    static func store<let C: Int>(
        _ sums: InlineArray<C, SIMD16<Float>>, pair: Int, _ columns: InlineArray<C, Int>, _ part: Part
    ) {
        let low = part.c + 2 &* pair &* part.ldc, high = low + part.ldc
        for q in 0..<C {
            low[columns[q]] = sums[q].lowHalf.sum() + 0
            high[columns[q]] = sums[q].highHalf.sum() + 0
        }
    }
}
