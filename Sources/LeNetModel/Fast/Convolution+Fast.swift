import LeNetCore
import LeNetKernels

/// The fast path of `Convolution`, as matrix products over an implicitly unrolled input.
///
/// The backward pass lays output positions on a grid as wide as the input (position
/// p = r·inW + c, the columns c ≥ outW computed and thrown away). On that grid the unrolled
/// input's row for kernel weight (i, u, v) is the input itself read from
/// i·inH·inW + u·inW + v: a contiguous stretch, so nothing is copied (no im2col). The price
/// is the thrown-away columns (C1 computes 28×32 positions for 28×28); ∂E/∂w's sums, lane by
/// lane, follow that grid, so it stays. The forward pass computes the kept positions alone:
/// C1 on k shifted copies of its input (`forwardOnShiftedCopies`), C3 by position
/// (`forwardByPosition`). It uses the weights as stored, zeros outside the connection table
/// included: a dense product is faster than skipping them. ∂E/∂w (`ConnectionTable.pairs`)
/// and ∂E/∂x (`inputGradientByMap`) skip them.
extension Convolution {
    /// The sizes of one sample's product on the input-wide grid.
    struct Grid {
        let inMaps: Int, inH: Int, inW: Int, outH: Int, outW: Int
        /// Unrolled rows (i, u, v): one per kernel weight.
        let rows: Int
        /// Where each unrolled row (i, u, v) starts in a sample's input.
        let offsets: UnsafePointer<Int>

        /// Runs `body` with the grid of a k×k kernel over inputs of `shape`, its offsets in
        /// scratch memory (a grid is made at every step of online training).
        static func with<R>(kernelSize k: Int, input shape: [Int], _ body: (Grid) -> R) -> R {
            let (maps, h, w) = (shape[1], shape[2], shape[3])
            return Scratch.with(Int.self, maps * k * k) { o in
                var count = 0
                for i in 0..<maps {
                    for u in 0..<k { for v in 0..<k { o[count] = (i &* h &+ u) &* w &+ v; count &+= 1 } }
                }
                return body(
                    Grid(inMaps: maps, inH: h, inW: w, outH: h - k + 1, outW: w - k + 1, rows: count, offsets: o))
            }
        }

        /// Runs `body` with the unrolled rows by kernel position (u, v), then input map: six
        /// rows added in a row then fall on six different maps. In the natural order they would
        /// be six stretches one float apart, each addition waiting for the previous one's
        /// stores to land.
        func withStoreOrder<R>(_ body: (UnsafePointer<Int>) -> R) -> R {
            let maps = inMaps, area = rows / inMaps
            return Scratch.with(Int.self, rows) { o in
                var count = 0
                for t in 0..<area { for i in 0..<maps { o[count] = i &* area &+ t; count &+= 1 } }
                return body(o)
            }
        }

        var sampleSize: Int { inMaps * inH * inW }
        /// Positions on the wide grid, and rounded up to the products' 16-wide blocks.
        var wide: Int { outH * inW }
        var padded: Int { (wide + 15) / 16 * 16 }
        /// A sample copied into a buffer this long, zeros after it, can be read by every
        /// unrolled row for `padded` positions.
        var bufferSize: Int { max(sampleSize, offsets[rows - 1] + padded) }

        /// True when the wide grid computes over 20% more positions than it keeps (C3: 144
        /// for 100; C1: 896 for 784 is not): the forward pass then goes by position.
        var keepsFew: Bool { padded * 5 > outH * outW * 6 }
    }

    /// `forwardFast` with the output positions as the product's rows and the maps as its
    /// columns (`Kernels.positionRows`): only the kept positions are computed, each input
    /// read where the unrolled row would have it. The sums are the wide grid's, term for
    /// term; they come out position by position and are put in map order before f.
    func forwardByPosition(_ x: Tensor, _ g: Grid, into y: inout Tensor) {
        let n = x.shape[0], outMaps = table.outputMaps, positions = g.outH * g.outW
        y.prepare(n, outMaps, g.outH, g.outW)
        // w transposed, (rows × 16), and b, both zero past the layer's maps; where each kept
        // position sits on the wide grid; the sums, position by position.
        Scratch.floats(g.rows * 16) { wt in
            Scratch.floats(16, zerosFrom: outMaps) { b in
                Scratch.with(Int.self, positions) { at in
                    Scratch.floats(positions * 16) { sums in
                        weight.withPointer {
                            Kernels.lanes(from: $0, rows: outMaps, stride: g.rows, k: g.rows, into: wt)
                        }
                        bias.withPointer { b.update(from: $0, count: outMaps) }
                        for p in 0..<positions { at[p] = (p / g.outW) * g.inW + p % g.outW }
                        x.withPointer { xp in
                            y.withMutablePointer { yp in
                                for s in 0..<n {
                                    Kernels.positionRows(
                                        count: positions, at: at, input: xp + s * g.sampleSize, offsets: g.offsets,
                                        k: g.rows, weights: wt, bias: b, into: sums)
                                    let out = yp + s * outMaps * positions
                                    Kernels.rows(
                                        fromLanes: sums, count: positions, rows: outMaps, into: out, stride: positions)
                                    Kernels.activate(activation, outMaps * positions, out)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    public func forwardFast(_ x: Tensor, into y: inout Tensor) {
        let n = x.shape[0], outMaps = table.outputMaps
        // C5 on 32×32 input: each kernel covers its whole input, so the layer is dense.
        if coversWholeInput(x.shape) {
            y.prepare(n, outMaps, 1, 1)
            Dense.forward(x, weight: weight, bias: bias, activation: activation, into: &y)
            return
        }
        Grid.with(kernelSize: kernelSize, input: x.shape) { g in
            // C3 by position, even for one sample: 100 positions of 16 maps, against 144 of the
            // wide grid (its transposed weights cost less than the positions save; bench
            // --layers --layer-batch 1, C3 forward: 7.3–7.9 µs on the wide grid, 6.0–6.1 by
            // position). On shifted copies (as C1 goes) it took 5.90 µs a sample against 5.07
            // by position (--layers, 16 a slice), 6.26 against 5.97 at one sample.
            if g.keepsFew && outMaps <= 16 {
                forwardByPosition(x, g, into: &y)
            } else {
                forwardOnShiftedCopies(x, g, into: &y)
            }
        }
    }

    /// `forwardFast` on shifted copies of the input (C1): a = b + w · unrolled, the kept
    /// positions alone.
    func forwardOnShiftedCopies(_ x: Tensor, _ g: Grid, into y: inout Tensor) {
        y.prepare(x.shape[0], table.outputMaps, g.outH, g.outW)
        y.withMutablePointer { forwardOnShiftedCopies(x, g, maps: 0..<table.outputMaps, into: $0) }
    }

    /// `forwardOnShiftedCopies` of output maps `maps` alone, into the whole output's buffer
    /// `yp`.
    ///
    /// Each input map is copied k times, copy v its columns v ..< v + outW: rows outW long,
    /// as the output's are. The unrolled row (i, u, v) is then copy (i, v) read from row u
    /// on, a stretch as long as the output, so the product's sums land where the output keeps
    /// them: no column of the wide grid is computed only to be thrown away (C1: 784 positions,
    /// not 896), and nothing is moved after (`lesson bench --layers --threads 1`, C1's forward
    /// pass: 4.08–4.17 µs a sample on the wide grid, 3.63–3.69 on the copies). Each sum is
    /// the same chain of multiply-adds over the same numbers as on the wide grid, so the same
    /// bits.
    func forwardOnShiftedCopies(_ x: Tensor, _ g: Grid, maps: Range<Int>, into yp: UnsafeMutablePointer<Float>) {
        let n = x.shape[0], outMaps = table.outputMaps, k = kernelSize, positions = g.outH * g.outW
        // One copy: inH rows of outW. The product reads each row up to 16 floats past the
        // output's end (whatever is there reaches only sums it does not store): zeros.
        let copy = g.inH * g.outW, copies = g.inMaps * k, size = copies * copy + 16
        Scratch.floats(size, zerosFrom: copies * copy) { shifted in
            Scratch.with(Int.self, g.rows) { offsets in
                var row = 0
                for i in 0..<g.inMaps {
                    for u in 0..<k {
                        for v in 0..<k {
                            offsets[row] = (i * k + v) * copy + u * g.outW
                            row += 1
                        }
                    }
                }
                x.withPointer { xp in
                    weight.withPointer { wp in
                        bias.withPointer { bp in
                            let unrolled = Kernels.Rows(base: shifted, offsets: offsets)
                            @inline(__always) func shift(_ width: Int, _ input: UnsafePointer<Float>) {
                                var to = shifted
                                for i in 0..<g.inMaps {
                                    for v in 0..<k {
                                        var from = input + i * g.inH * g.inW + v
                                        for _ in 0..<g.inH {
                                            Kernels.copy(width, from, to: to)
                                            from += g.inW
                                            to += width
                                        }
                                    }
                                }
                            }
                            for s in 0..<n {
                                // C1's rows of 28, a constant for the copies to unroll.
                                if g.outW == 28 {
                                    shift(28, xp + s * g.sampleSize)
                                } else {
                                    shift(g.outW, xp + s * g.sampleSize)
                                }
                                let out = yp + s * outMaps * positions
                                // a = b + w · unrolled: (maps × rows) · (rows × positions)
                                Kernels.multiply(
                                    m: maps.count, n: positions, k: g.rows,
                                    .init(base: wp + maps.lowerBound * g.rows, rowStride: g.rows, columnStride: 1),
                                    unrolled, readable: true,
                                    into: .init(base: out + maps.lowerBound * positions, stride: positions),
                                    start: .bias(bp + maps.lowerBound))
                                Kernels.activate(
                                    activation, part: maps.lowerBound * positions..<maps.upperBound * positions,
                                    of: outMaps * positions, out)
                            }
                        }
                    }
                }
            }
        }
    }

    /// A convolution of one input map (C1): every output map reads all of it, so two cores
    /// can each compute some of the maps.
    public var sharesMaps: Bool { table.inputMaps == 1 }

    public func forwardFast(_ x: Tensor, maps: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        precondition(sharesMaps && x.shape[0] == 1)
        if coversWholeInput(x.shape) {
            // A dense layer, maps of one unit: those of the whole layer's product (whose sums
            // are not the grid's).
            forwardFast(x).withPointer { (y + maps.lowerBound).update(from: $0 + maps.lowerBound, count: maps.count) }
            return
        }
        Grid.with(kernelSize: kernelSize, input: x.shape) { forwardOnShiftedCopies(x, $0, maps: maps, into: y) }
    }

    public func backwardFast(
        maps: Range<Int>, input x: Tensor, output y: Tensor, gradient dy: Tensor,
        parameters dp: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?
    ) {
        // Its one input map is read by every output map: ∂E/∂x sums over all of them.
        precondition(sharesMaps && x.shape[0] == 1 && dx == nil)
        if coversWholeInput(x.shape) {
            // A dense layer: those maps' rows of the whole layer's ∂E/∂w, and their ∂E/∂b.
            let whole = backwardFast(input: x, output: y, gradient: dy, inputGradient: false).parameters
            let rows = weight.count / table.outputMaps
            whole[0].withPointer {
                (dp + maps.lowerBound * rows).update(from: $0 + maps.lowerBound * rows, count: maps.count * rows)
            }
            whole[1].withPointer {
                (dp + weight.count + maps.lowerBound).update(from: $0 + maps.lowerBound, count: maps.count)
            }
            return
        }
        let db = dp + weight.count
        for o in maps { db[o] = 0 }
        backwardOnGrid(
            input: x, output: y, gradient: dy, weight: weight, dw: dp, db: db, dx: nil, maps: maps)
    }

    public func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        if coversWholeInput(x.shape) {
            var (dx, dw, db) = Dense.backward(
                input: x, output: y, gradient: dy, weight: weight, activation: activation, inputGradient: inputGradient)
            dw.withMutablePointer { keepTable($0) }
            return (dx, [dw, db])
        }
        var dx = inputGradient ? Tensor(unfilled: x.shape) : Tensor(zeros: x.shape)
        var dw = Tensor(unfilled: weight.shape)
        var db = Tensor(zeros: bias.shape)
        dx.withMutablePointer { dxp in
            dw.withMutablePointer { dwp in
                db.withMutablePointer { dbp in
                    backwardOnGrid(
                        input: x, output: y, gradient: dy, weight: weight, dw: dwp, db: dbp,
                        dx: inputGradient ? dxp : nil)
                }
            }
        }
        return (dx, [dw, db])
    }

    /// The backward pass on the input-wide grid with these weights (the layer's): writes ∂E/∂w
    /// into `dw`, adds ∂E/∂b onto `db` (which starts at zero), and writes ∂E/∂x into `dx` when
    /// given. With `maps`, of those output maps alone (their rows of `dw`, their entries of
    /// `db`), and no ∂E/∂x. ∂E/∂x comes first: `handOver` is called once it is out, before
    /// ∂E/∂w.
    func backwardOnGrid(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, weight: Tensor, dw dwp: UnsafeMutablePointer<Float>,
        db dbp: UnsafeMutablePointer<Float>, dx dxp: UnsafeMutablePointer<Float>?, maps: Range<Int>? = nil,
        handOver: () -> Void = {}
    ) {
        let n = x.shape[0], outMaps = table.outputMaps, maps = maps ?? 0..<outMaps
        precondition(dxp == nil || maps.count == outMaps)
        Grid.with(kernelSize: kernelSize, input: x.shape) { g in
            let positions = g.outH * g.outW, perSample = maps.count * g.padded
            let gap = g.inW - g.outW, lastGap = g.padded - g.wide + gap
            // ∂E/∂a straight into the pairs of maps `PairDots` reads (C1: eight positions of
            // one map, then the same eight of the other), when only ∂E/∂w reads it and each
            // row starts an eight: no copy into pairs after. Otherwise map by map.
            let paired = dxp == nil && g.inW % 8 == 0 && pairsMaps(maps.count, g)
            let chunk = paired ? 16 : 8
            // Each sample's input in a buffer of its own with zeros after it, and its ∂E/∂a on
            // the wide grid, rows padded to 16: the thrown-away columns stay zero, so they add
            // nothing to ∂E/∂w or ∂E/∂x.
            Scratch.floats(n * g.bufferSize) { inp in
                Scratch.floats(n * perSample) { dap in
                    x.withPointer { xp in
                        y.withPointer { yp in
                            dy.withPointer { dyp in
                                weight.withPointer { wp in
                                    // ∂E/∂a = ∂E/∂y · f′, row by row onto the wide grid, and zeros
                                    // in the thrown-away columns (`gap`) and, after the last row,
                                    // the padding too (`lastGap`). Rows `width` long, `chunk`:
                                    // constants in the two grids of LeNet-5 (C1's, paired, and
                                    // C3's), so that each row's loops unroll.
                                    @inline(__always) func slopes(_ s: Int, width: Int, chunk: Int) {
                                        var from = (s * outMaps + maps.lowerBound) * positions
                                        for o in maps {
                                            var sum: Float = 0
                                            let m = o - maps.lowerBound
                                            var to =
                                                dap + s * perSample
                                                + (chunk == 16 ? (m - m % 2) * g.padded + 8 * (m % 2) : m * g.padded)
                                            for r in 0..<g.outH {
                                                sum += Kernels.slope(
                                                    activation, width, dyp + from, yp + from, to, chunkStride: chunk)
                                                Kernels.zero(
                                                    r + 1 < g.outH ? gap : lastGap, from: width, to, chunkStride: chunk)
                                                from &+= width
                                                to += chunk == 16 ? 2 * g.inW : g.inW
                                            }
                                            dbp[o] += sum
                                        }
                                    }
                                    for s in 0..<n {
                                        switch (g.outW, chunk) {
                                        case (28, 16): slopes(s, width: 28, chunk: 16)
                                        case (10, 8): slopes(s, width: 10, chunk: 8)
                                        default: slopes(s, width: g.outW, chunk: chunk)
                                        }
                                        let buffer = inp + s * g.bufferSize
                                        buffer.update(from: xp + s * g.sampleSize, count: g.sampleSize)
                                        Kernels.zero(g.bufferSize - g.sampleSize, buffer + g.sampleSize)
                                    }
                                    if let dxp, table.isFull, ProductKernels.selected == .avx512,
                                        n >= LeNet5.fewestInLanes, g.outW >= 2, g.outH >= 2
                                    {
                                        // Only the terms that exist, sixteen samples to a register.
                                        Kernels.inputGradient(
                                            n: n, inMaps: g.inMaps, inH: g.inH, inW: g.inW, kernel: kernelSize,
                                            outMaps: outMaps, da: dap, perSample: perSample, mapStride: g.padded,
                                            weight: wp, dx: dxp)
                                    } else if let dxp, table.isFull {
                                        inputGradientDense(n: n, g, da: dap, perSample: perSample, weight: wp, dx: dxp)
                                    } else if let dxp {
                                        inputGradientByMap(n: n, g, da: dap, perSample: perSample, weight: wp, dx: dxp)
                                    }
                                    handOver()
                                    weightGradient(
                                        n: n, g, inputs: inp, da: dap, perSample: perSample, maps: maps,
                                        paired: paired, into: dwp)
                                }
                            }
                        }
                    }
                }
            }
        }
        keepTable(dwp, maps: maps)
    }

    /// Whether ∂E/∂w of `maps` output maps goes two maps to a register (`PairDots`, the
    /// AVX-512 build): an even number of them, not 16 (all in one register, `LaneDots`), of a
    /// fully connected table.
    func pairsMaps(_ maps: Int, _ g: Grid) -> Bool {
        maps != 16 && table.isFull && maps % 2 == 0 && g.padded % 8 == 0 && ProductKernels.selected == .avx512
    }

    /// ∂E/∂w = Σ over samples of ∂E/∂a · unrolledᵀ: (maps × positions) · (positions × rows),
    /// the whole batch in one pass, from the samples' inputs each in a buffer of `bufferSize`:
    /// the rows of output maps `maps` (∂E/∂a holds theirs alone). `paired`: ∂E/∂a is laid in
    /// pairs of maps already (`PairDots`'s layout).
    func weightGradient(
        n: Int, _ g: Grid, inputs inp: UnsafePointer<Float>, da dap: UnsafePointer<Float>, perSample: Int,
        maps: Range<Int>, paired: Bool, into dw: UnsafeMutablePointer<Float>
    ) {
        let outMaps = maps.count, dwp = dw + maps.lowerBound * g.rows
        let unrolled = Kernels.Rows(base: inp, offsets: g.offsets)
        let samples = Kernels.Samples(count: n, aStride: perSample, bStride: g.bufferSize)
        if outMaps == 16 && ProductKernels.selected == .avx512 {
            // All 16 maps in one register (C3): the same sums, by `LaneDots`, from ∂E/∂a transposed.
            // Only the grid's kept columns: the others' ∂E/∂a are zeros.
            Kernels.mapGradient(
                n: n, maps: outMaps, padded: g.padded, da: dap, perSample: perSample, unrolled,
                uStride: g.bufferSize, rows: g.rows, live: LiveColumns(width: g.inW, count: g.outW, end: g.wide),
                into: dwp)
        } else if pairsMaps(outMaps, g) {
            // Two maps to a register (C1's six): the same sums, by `PairDots`, from ∂E/∂a laid
            // in pairs (as it was worked out, when `paired`).
            Kernels.pairGradient(
                n: n, maps: outMaps, padded: g.padded, da: dap, perSample: perSample, paired: paired, unrolled,
                uStride: g.bufferSize, rows: g.rows, into: dwp)
        } else if table.isFull {
            Kernels.multiplyTransposed(
                m: outMaps, n: g.rows, k: g.padded, dap, lda: g.padded, unrolled, into: dwp, ldc: g.rows,
                accumulate: false, samples: samples)
        } else {
            // Only kernels of input maps a pair of maps reads; the others, never connected, are
            // zeroed by keepTable.
            precondition(outMaps == table.outputMaps)
            let area = kernelSize * kernelSize
            for pair in table.pairs {
                for run in pair.inputRuns {
                    Kernels.multiplyTransposed(
                        rows: pair.maps, columns: run.lowerBound * area..<run.upperBound * area, k: g.padded, dap,
                        lda: g.padded, unrolled, into: dwp, ldc: g.rows, accumulate: false, samples: samples)
                }
            }
        }
    }

    /// ∂E/∂x of a fully connected table, sample by sample: ∂E/∂unrolled = wᵀ · ∂E/∂a,
    /// (rows × maps) · (maps × positions), each row added straight onto the stretch of input it
    /// was read from (in `Grid.withStoreOrder`), on a buffer with room for every row's reach.
    func inputGradientDense(
        n: Int, _ g: Grid, da: UnsafePointer<Float>, perSample: Int, weight wp: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>
    ) {
        g.withStoreOrder { order in
            Scratch.floats(g.bufferSize) { dip in
                Kernels.withRows(da, count: table.outputMaps, stride: g.padded) { dA in
                    for s in 0..<n {
                        dip.update(repeating: 0, count: g.bufferSize)
                        Kernels.multiply(
                            m: g.rows, n: g.wide, k: table.outputMaps,
                            .init(base: wp, rowStride: 1, columnStride: g.rows),
                            Kernels.Rows(base: dA.base + s * perSample, offsets: dA.offsets), readable: true,
                            into: .init(base: dip, offsets: g.offsets), start: .accumulate, order: order,
                            disjoint: g.inMaps)
                        (dx + s * g.sampleSize).update(from: dip, count: g.sampleSize)
                    }
                }
            }
        }
    }

    /// ∂E/∂x of a layer with a connection table (C3), input map by input map: the rows
    /// (i, u, v) of ∂E/∂unrolled = wᵀ · ∂E/∂a summed over the output maps that read map i
    /// only (C3: 10 of 16; the others' weights are zeros), then each input of map i gathered
    /// from them (`MatrixProduct.addShifted`): input (y, x) is the sum over (u, v), in order
    /// from zero, of row (i, u, v) at position (y − u, x − v). These are the sums the dense
    /// product and its scatter give, term for term: skipped terms are zero products, and a
    /// term from outside the grid, or from a column the wide grid only pads, is a +0, which
    /// leaves a sum that started at +0 as it is.
    func inputGradientByMap(
        n: Int, _ g: Grid, da: UnsafePointer<Float>, perSample: Int, weight wp: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>
    ) {
        let k = kernelSize, area = k * k, readers = table.readers, most = readers.reduce(0) { max($0, $1.count) }
        // Map i's rows (u, v), each `lead` zeros, its `wide` positions, then zeros to the end
        // of the map: every shifted read of `addShifted` lands in the row or its zeros. Only
        // the positions are ever written, so the zeros are set once.
        let plane = g.inH * g.inW, lead = ((k - 1) * g.inW + k - 1 + 15) / 16 * 16, rowStride = lead + plane
        // Map i's kernels, one per reader j: A(row (u, v), column j) at (i·most + j)·area + (u, v),
        // and where reader j's row of ∂E/∂a starts; gathered once for all the samples.
        Scratch.floats(g.inMaps * most * area) { kp in
            Scratch.with(Int.self, g.inMaps * most) { op in
                Scratch.floats(area * rowStride, zerosFrom: 0) { rp in
                    Scratch.with(Int.self, area) { sp in
                        for t in 0..<area { sp[t] = (t / k) * g.inW + t % k }
                        for (i, maps) in readers.enumerated() {
                            for (j, o) in maps.enumerated() {
                                Kernels.copy(area, wp + o * g.rows + i * area, to: kp + (i * most + j) * area)
                                op[i * most + j] = o * g.padded
                            }
                        }
                        for s in 0..<n {
                            for (i, maps) in readers.enumerated() {
                                let out = dx + s * g.sampleSize + i * plane
                                guard !maps.isEmpty else {
                                    out.update(repeating: 0, count: plane)
                                    continue
                                }
                                Kernels.multiply(
                                    m: area, n: g.wide, k: maps.count,
                                    .init(base: kp + i * most * area, rowStride: 1, columnStride: area),
                                    Kernels.Rows(base: da + s * perSample, offsets: op + i * most), readable: true,
                                    into: .init(base: rp + lead, stride: rowStride), start: .zero)
                                Kernels.addShifted(
                                    count: plane, rows: rp, rowStride: rowStride, lead: lead, shifts: sp,
                                    terms: area, into: out)
                            }
                        }
                    }
                }
            }
        }
    }

    /// One sample on the fast path: ∂E/∂w and ∂E/∂b in scratch memory, then the step
    /// w ← w − ε ⊙ ∂E/∂w (and b), the numbers of `backward` followed by `step`. C5 (each
    /// kernel covers its whole input, every map connected) goes through
    /// `Dense.backwardAndStep`, which never stores ∂E/∂w.
    public mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor
    ) {
        guard path == .fast, x.shape[0] == 1, !coversWholeInput(x.shape) || table.isFull else {
            return backwardThenStep(
                input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient, rates: rates, into: &dx)
        }
        if coversWholeInput(x.shape) {
            Dense.backwardAndStep(
                input: x, output: y, gradient: dy, weight: &weight, bias: &bias, activation: activation,
                inputGradient: inputGradient, rates: (rates[0], rates[1]), into: &dx)
            return
        }
        stepOnGrid(input: x, output: y, gradient: dy, inputGradient: inputGradient, rates: rates, into: &dx)
    }

    /// `stepOnGrid` with the layer's weights and biases. They move out of the layer for the
    /// while and back: the work is then a method of the layer that leaves it as it is, whose
    /// closures see it without copying it (a mutating method's closures copied the layer,
    /// retaining every buffer it holds, to call a method on it).
    mutating func stepOnGrid(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool, rates: [Tensor],
        into dx: inout Tensor, handOver: ((Tensor) -> Void)? = nil
    ) {
        var weight = Tensor.empty, bias = Tensor.empty
        swap(&weight, &self.weight)
        swap(&bias, &self.bias)
        stepOnGrid(
            input: x, output: y, gradient: dy, inputGradient: inputGradient, rates: rates, into: &dx, weight: &weight,
            bias: &bias, handOver: handOver)
        swap(&weight, &self.weight)
        swap(&bias, &self.bias)
    }

    /// `backwardAndStep` on the grid with the layer's weights and biases given apart;
    /// `handOver(dx)` as soon as ∂E/∂x is out, before ∂E/∂w.
    func stepOnGrid(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool, rates: [Tensor],
        into dx: inout Tensor, weight: inout Tensor, bias: inout Tensor, handOver: ((Tensor) -> Void)? = nil
    ) {
        Scratch.floats(weight.count) { dwp in
            Scratch.floats(bias.count, zerosFrom: 0) { dbp in
                if inputGradient {
                    dx.prepare(x.shape)
                    // Written through its address, so that `handOver` can be given the tensor
                    // while the backward pass goes on.
                    let dxp = dx.sharedAddress()
                    backwardOnGrid(
                        input: x, output: y, gradient: dy, weight: weight, dw: dwp, db: dbp, dx: dxp,
                        handOver: { handOver?(dx) })
                } else {
                    backwardOnGrid(input: x, output: y, gradient: dy, weight: weight, dw: dwp, db: dbp, dx: nil)
                    handOver?(dx)
                }
                weight.subtractProducts(rates[0], dwp)
                bias.subtractProducts(rates[1], dbp)
            }
        }
    }

    /// One sample on the fast path; C5 (a dense layer) hands ∂E/∂x over before its step
    /// (`Dense.backwardAndStep`), other convolutions before their ∂E/∂w (`stepOnGrid`).
    public mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor, handOver: (Tensor) -> Void
    ) {
        guard path == .fast, x.shape[0] == 1, !coversWholeInput(x.shape) || table.isFull else {
            backwardAndStep(
                input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient, rates: rates, into: &dx)
            return handOver(dx)
        }
        guard !coversWholeInput(x.shape) else {
            return Dense.backwardAndStep(
                input: x, output: y, gradient: dy, weight: &weight, bias: &bias, activation: activation,
                inputGradient: inputGradient, rates: (rates[0], rates[1]), into: &dx, handingOver: handOver)
        }
        withoutActuallyEscaping(handOver) { handOver in
            stepOnGrid(
                input: x, output: y, gradient: dy, inputGradient: inputGradient, rates: rates, into: &dx,
                handOver: handOver)
        }
    }

    /// C5 on S4's 5×5 maps, every kernel kept (a full table): `Dense.backwardLeavingWeights`.
    public func backwardLeavingWeights(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool)
        -> (input: Tensor, bias: Tensor, slopes: Tensor)?
    {
        guard coversWholeInput(x.shape) && table.isFull else { return nil }
        return Dense.backwardLeavingWeights(
            input: x, output: y, gradient: dy, weight: weight, activation: activation, inputGradient: inputGradient)
    }

    /// Whether each kernel covers its whole input (C5 on S4's 5×5 maps): one output position,
    /// a dense layer.
    func coversWholeInput(_ shape: [Int]) -> Bool { shape[2] == kernelSize && shape[3] == kernelSize }

    /// Zeros the gradient of kernels the connection table leaves out (C3 of the paper), so
    /// that those weights stay zero: of output maps `maps`, all unless given.
    func keepTable(_ dw: UnsafeMutablePointer<Float>, maps: Range<Int>? = nil) {
        guard !table.isFull else { return }
        let area = kernelSize * kernelSize, inputMaps = table.inputMaps
        for o in maps ?? 0..<table.outputMaps {
            for i in 0..<inputMaps where !table.connects(output: o, input: i) {
                (dw + (o * inputMaps + i) * area).update(repeating: 0, count: area)
            }
        }
    }
}
