/// A convolution of up to sixteen samples laid lane by lane: each unit of a feature map is one
/// SIMD16, lane s for sample s, so every multiply-add serves sixteen samples and no position
/// is computed only to be thrown away (the input-wide grid computes C1's 28 columns as 32).
/// Inference takes a batch this way (`LeNet5`'s lanes); each lane's sum is the chain the
/// wide grid and `positionRows` make, a = b then a ← a + w·x over the unrolled rows (i, u, v)
/// in order, so the numbers are theirs bit for bit.
extension MatrixProduct {
    /// out[o][r][c] = bias[o] + Σ over (i, u, v), in that order, of
    /// w[o·inMaps·k² + (i·k + u)·k + v] · input[i][r + u][c + v], every unit a SIMD16 of
    /// sixteen samples (maps of inH × inW units, rows one after another; out likewise, maps
    /// of (inH − k + 1) × (inW − k + 1)). Blocks of `columns` units of a row × `maps` output
    /// maps are summed in registers: per (i, u, v), `columns` loads and `maps` broadcasts
    /// feed columns × maps multiply-adds. AVX-512 (V of 16) holds 4 × 6 (C1) or 5 × 4 (C3) of
    /// its 32 registers; AVX2's sixteen, where a SIMD16 takes two, 2 × 2.
    ///
    /// With `rows`, only those output rows, into a band of them: unit (o, r, c) at
    /// (o·rows.count + r − rows.lowerBound)·outW + c.
    @inlinable @inline(never)
    public static func laneConvolution(
        inMaps: Int, inH: Int, inW: Int, kernel k: Int, outMaps: Int, input: UnsafePointer<Float>,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        rows: Range<Int>? = nil
    ) {
        let shape = LaneShape(inMaps: inMaps, inH: inH, inW: inW, k: k, outMaps: outMaps, rows: rows)
        precondition(shape.rows.lowerBound >= 0 && shape.rows.upperBound <= shape.outH)
        if V.scalarCount < 16 {
            laneMaps(
                InlineArray<2, Int>(repeating: 0), columns: InlineArray<2, Int>(repeating: 0), shape, input, weights,
                bias, out)
        } else if outMaps % 6 == 0 {
            laneMaps(
                InlineArray<6, Int>(repeating: 0), columns: InlineArray<4, Int>(repeating: 0), shape, input, weights,
                bias, out)
        } else {
            laneMaps(
                InlineArray<4, Int>(repeating: 0), columns: InlineArray<5, Int>(repeating: 0), shape, input, weights,
                bias, out)
        }
    }

    /// The sizes of a lane convolution (and of its input gradient, `laneInputGradient`), and
    /// where an output-shaped buffer (∂E/∂a) holds unit (o, r, c): at o·outputMapStride +
    /// (r − rows.lowerBound)·outputRowStride + c, packed (the rows worked out alone) unless
    /// told otherwise.
    @frozen @usableFromInline
    struct LaneShape {
        @usableFromInline let inMaps: Int, inH: Int, inW: Int, k: Int, outMaps: Int, outH: Int, outW: Int
        @usableFromInline let outputRowStride: Int, outputMapStride: Int
        /// The output rows worked out (all unless told); the buffer's rows start at the first.
        @usableFromInline let rows: Range<Int>
        @inlinable
        init(
            inMaps: Int, inH: Int, inW: Int, k: Int, outMaps: Int, outputRowStride: Int? = nil,
            outputMapStride: Int? = nil, rows: Range<Int>? = nil
        ) {
            self.inMaps = inMaps
            self.inH = inH
            self.inW = inW
            self.k = k
            self.outMaps = outMaps
            outH = inH - k + 1
            outW = inW - k + 1
            self.rows = rows ?? 0..<outH
            self.outputRowStride = outputRowStride ?? outW
            self.outputMapStride = outputMapStride ?? self.rows.count * self.outputRowStride
        }
    }

    /// Every output unit, in blocks of M maps × C columns, then blocks of one map for the maps
    /// left over (the sizes come from the arrays' types; their contents are unused).
    @inlinable @inline(__always)
    static func laneMaps<let M: Int, let C: Int>(
        _ maps: InlineArray<M, Int>, columns: InlineArray<C, Int>, _ g: LaneShape, _ input: UnsafePointer<Float>,
        _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>
    ) {
        var o = 0
        while o + M <= g.outMaps {
            laneColumns(maps, columns: columns, first: o, g, input, weights, bias, out)
            o += M
        }
        while o < g.outMaps {
            laneColumns(InlineArray<1, Int>(repeating: 0), columns: columns, first: o, g, input, weights, bias, out)
            o += 1
        }
    }

    /// Maps first ..< first + M, every row, in blocks of C columns and then one at a time.
    @inlinable @inline(__always)
    static func laneColumns<let M: Int, let C: Int>(
        _ maps: InlineArray<M, Int>, columns: InlineArray<C, Int>, first: Int, _ g: LaneShape,
        _ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ out: UnsafeMutablePointer<Float>
    ) {
        for r in g.rows {
            var c = 0
            while c + C <= g.outW {
                laneBlock(maps, columns, map: first, row: r, column: c, g, input, weights, bias, out)
                c += C
            }
            while c < g.outW {
                laneBlock(
                    maps, InlineArray<1, Int>(repeating: 0), map: first, row: r, column: c, g, input, weights, bias, out
                )
                c += 1
            }
        }
    }

    /// M maps × C columns of output row r from column c, summed in registers.
    @inlinable @inline(never)
    static func laneBlock<let M: Int, let C: Int>(
        _ maps: InlineArray<M, Int>, _ columns: InlineArray<C, Int>, map o: Int, row r: Int, column c: Int,
        _ g: LaneShape, _ input: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ bias: UnsafePointer<Float>,
        _ out: UnsafeMutablePointer<Float>
    ) {
        typealias L = SIMD16<Float>
        let rowLength = g.inMaps &* g.k &* g.k
        let w = InlineArray<M, UnsafePointer<Float>> { weights + (o &+ $0) &* rowLength }
        var sums = InlineArray<M, InlineArray<C, L>>(repeating: InlineArray<C, L>(repeating: L()))
        for m in 0..<M { sums[m] = InlineArray<C, L>(repeating: L(repeating: bias[o &+ m])) }
        var t = 0
        for i in 0..<g.inMaps {
            for u in 0..<g.k {
                let x = UnsafeRawPointer(input + 16 &* ((i &* g.inH &+ r &+ u) &* g.inW &+ c))
                for v in 0..<g.k {
                    let xs = InlineArray<C, L> { x.loadUnaligned(fromByteOffset: 64 &* ($0 &+ v), as: L.self) }
                    for m in 0..<M {
                        let wm = L(repeating: w[m][t])
                        for j in 0..<C { sums[m][j].addProduct(wm, xs[j]) }
                    }
                    t &+= 1
                }
            }
        }
        for m in 0..<M {
            let unit = (o &+ m) &* g.outputMapStride &+ (r &- g.rows.lowerBound) &* g.outputRowStride &+ c
            let to = UnsafeMutableRawPointer(out + 16 &* unit)
            for j in 0..<C { to.storeBytes(of: sums[m][j], toByteOffset: 64 &* j, as: L.self) }
        }
    }
}
