/// A convolution's ∂E/∂x for up to sixteen samples laid lane by lane (each unit a SIMD16,
/// lane s for sample s), summing only the terms that exist. The wide grid's product instead
/// sums every unrolled row (i, u, v) over all its positions (C3: 144 for 100, 345,600
/// multiply-adds a sample for 240,000) and adds each onto the input. The sums are the same,
/// term for term, so the bits are too:
///
///     ∂E/∂x[i][y][x] = Σ over (u, v) in order of T(u, v),
///     T(u, v) = Σ over o in order, from +0, of w[o][i][u][v] · ∂E/∂a[o][y − u][x − v].
///
/// A (u, v) whose ∂E/∂a unit lies outside the output is left out: on the grid its T is a sum
/// of zero products, a +0, and adding +0 leaves a sum that started at +0 as it is.
extension MatrixProduct {
    /// dx, inMaps maps of inH × inW units, from da: unit (o, r, c) of the output's
    /// (inH − k + 1) × (inW − k + 1) at o·mapStride + r·rowStride + c. `weights` are w laid
    /// [(u·k + v)·outMaps + o]·inMaps + i. Blocks of M input maps × C columns of a row are
    /// summed in registers, with their T: per (u, v, o), C loads and M broadcasts feed C·M
    /// multiply-adds. AVX-512 (V of 16) holds 6 × 2 sums and their T, 24 of its 32
    /// registers; AVX2's sixteen, where a SIMD16 takes two, 3 × 1. (Training takes this path
    /// on the AVX-512 build alone: the AVX2 build moves samples into lanes and back a float
    /// at a time, and keeps the wide grid's product.)
    @inlinable @inline(never)
    public static func laneInputGradient(
        inMaps: Int, inH: Int, inW: Int, kernel k: Int, outMaps: Int, da: UnsafePointer<Float>, rowStride: Int,
        mapStride: Int, weights: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>
    ) {
        let g = LaneShape(
            inMaps: inMaps, inH: inH, inW: inW, k: k, outMaps: outMaps, outputRowStride: rowStride,
            outputMapStride: mapStride)
        precondition(g.outH >= 2 && g.outW >= 2)
        if V.scalarCount < 16 {
            gradientMaps(
                InlineArray<3, Int>(repeating: 0), columns: InlineArray<1, Int>(repeating: 0), g, da, weights, dx)
        } else {
            gradientMaps(
                InlineArray<6, Int>(repeating: 0), columns: InlineArray<2, Int>(repeating: 0), g, da, weights, dx)
        }
    }

    /// Every input map in blocks of M and then one at a time; every row; each row's columns in
    /// blocks of C and then one at a time (the sizes come from the arrays' types).
    @inlinable @inline(__always)
    static func gradientMaps<let M: Int, let C: Int>(
        _ maps: InlineArray<M, Int>, columns: InlineArray<C, Int>, _ g: LaneShape, _ da: UnsafePointer<Float>,
        _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>
    ) {
        var i = 0
        while i + M <= g.inMaps {
            gradientColumns(maps, columns: columns, map: i, g, da, w, dx)
            i += M
        }
        while i < g.inMaps {
            gradientColumns(InlineArray<1, Int>(repeating: 0), columns: columns, map: i, g, da, w, dx)
            i += 1
        }
    }

    @inlinable @inline(__always)
    static func gradientColumns<let M: Int, let C: Int>(
        _ maps: InlineArray<M, Int>, columns: InlineArray<C, Int>, map i: Int, _ g: LaneShape,
        _ da: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>
    ) {
        for y in 0..<g.inH {
            var x = 0
            while x + C <= g.inW {
                gradientBlock(maps, columns, map: i, row: y, column: x, g, da, w, dx)
                x += C
            }
            while x < g.inW {
                gradientBlock(maps, InlineArray<1, Int>(repeating: 0), map: i, row: y, column: x, g, da, w, dx)
                x += 1
            }
        }
    }

    /// Input maps i ..< i + M, row y, columns x ..< x + C, summed in registers. Row y takes
    /// the kernel rows u with y − u an output row; column x + c the kernel columns v with
    /// x + c − v an output column. The block's columns share every v but the first (only
    /// column x, at the input's right edge) and the last (only column x + C − 1, at its
    /// left), so those steps go a column at a time (C is 1 or 2).
    @inlinable @inline(never)
    static func gradientBlock<let M: Int, let C: Int>(
        _ maps: InlineArray<M, Int>, _ columns: InlineArray<C, Int>, map i: Int, row y: Int, column x: Int,
        _ g: LaneShape, _ da: UnsafePointer<Float>, _ w: UnsafePointer<Float>, _ dx: UnsafeMutablePointer<Float>
    ) {
        typealias L = SIMD16<Float>
        var sums = InlineArray<C, InlineArray<M, L>>(repeating: InlineArray<M, L>(repeating: L()))
        // The kernel columns column x + c takes: max(0, x + c − outW + 1) through min(k − 1, x + c).
        func first(_ c: Int) -> Int { max(0, x + c - g.outW + 1) }
        func last(_ c: Int) -> Int { min(g.k - 1, x + c) }
        for u in max(0, y - g.outH + 1)...min(g.k - 1, y) {
            // ∂E/∂a's unit (0, y − u, x + c − v) for column c and kernel column v.
            func reads(_ c: Int, _ v: Int) -> UnsafeRawPointer {
                UnsafeRawPointer(da + 16 * ((y - u) * g.outputRowStride + x + c - v))
            }
            for v in first(0)...last(C - 1) {
                let t = u * g.k + v
                if C == 1 || (v >= first(C - 1) && v <= last(0)) {
                    addTerms(&sums, InlineArray<C, UnsafeRawPointer> { reads($0, v) }, kernelTap: t, map: i, g, w)
                } else {
                    let c = v < first(C - 1) ? 0 : C - 1
                    var one = InlineArray<1, InlineArray<M, L>>(repeating: sums[c])
                    addTerms(&one, InlineArray<1, UnsafeRawPointer>(repeating: reads(c, v)), kernelTap: t, map: i, g, w)
                    sums[c] = one[0]
                }
            }
        }
        for c in 0..<C {
            for m in 0..<M {
                UnsafeMutableRawPointer(dx + 16 * (((i + m) * g.inH + y) * g.inW + x + c)).storeBytes(
                    of: sums[c][m], as: L.self)
            }
        }
    }

    /// sums[c][m] += T(u, v) of input map i + m at the columns `reads` points to (tap t = u·k + v).
    @inlinable @inline(__always)
    static func addTerms<let M: Int, let R: Int>(
        _ sums: inout InlineArray<R, InlineArray<M, SIMD16<Float>>>, _ reads: InlineArray<R, UnsafeRawPointer>,
        kernelTap t: Int, map i: Int, _ g: LaneShape, _ w: UnsafePointer<Float>
    ) {
        typealias L = SIMD16<Float>
        var terms = InlineArray<R, InlineArray<M, L>>(repeating: InlineArray<M, L>(repeating: L()))
        var wo = w + t * g.outMaps * g.inMaps + i
        var at = 0
        for _ in 0..<g.outMaps {
            let xs = InlineArray<R, L> { reads[$0].loadUnaligned(fromByteOffset: at, as: L.self) }
            for m in 0..<M {
                let wm = L(repeating: wo[m])
                for c in 0..<R { terms[c][m].addProduct(wm, xs[c]) }
            }
            wo += g.inMaps
            at &+= 64 * g.outputMapStride
        }
        for c in 0..<R { for m in 0..<M { sums[c][m] += terms[c][m] } }
    }
}
