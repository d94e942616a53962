/// The two matrix products the fast path is built on. Both keep a block of the result in
/// registers while running over the shared dimension, so each value loaded from memory feeds
/// several fused multiply-adds instead of one. The block's row count is a generic value
/// (`let R: Int`), so one kernel serves every block height with its loops fully unrolled.
extension Kernels {
    /// Reads A(i, k) = base[i·rowStride + k·columnStride]: a transposed operand is the same
    /// memory with the strides swapped, so no copy is made.
    struct Strided {
        let base: UnsafePointer<Float>
        let rowStride: Int, columnStride: Int

        @inline(__always)
        func row(_ i: Int) -> UnsafePointer<Float> { base + i * rowStride }
    }

    /// Rows of an operand read along their length: row k starts at base + offsets[k]. A
    /// convolution's unrolled input is its input itself, each row a shifted view of it.
    struct Rows {
        let base: UnsafePointer<Float>
        let offsets: UnsafePointer<Int>

        @inline(__always)
        subscript(k: Int) -> UnsafePointer<Float> { base + offsets[k] }
    }

    /// Where the rows of a product go: row i at base + i·stride, or at base + offsets[i] when
    /// offsets are given (an unrolled input's gradient, added back onto the input it was read
    /// from: the rows overlap, and each is added in turn).
    struct Destination {
        let base: UnsafeMutablePointer<Float>
        var stride = 0
        var offsets: UnsafePointer<Int>? = nil

        @inline(__always)
        func row(_ i: Int) -> UnsafeMutablePointer<Float> {
            if let offsets { return base + offsets[i] }
            return base + i * stride
        }
    }

    /// Row offsets 0, stride, 2·stride, …: an ordinary row-major matrix as `Rows`.
    static func withRows<T>(_ base: UnsafePointer<Float>, count: Int, stride: Int, _ body: (Rows) -> T) -> T {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { offsets in
            for k in 0..<count { offsets[k] = k * stride }
            return body(Rows(base: base, offsets: UnsafePointer(offsets.baseAddress!)))
        }
    }

    /// What a product's sums start from.
    enum Start {
        /// C = A·B
        case zero
        /// C += A·B
        case accumulate
        /// C = bias[i] + A·B, row by row: a layer's bias, added in registers.
        case bias(UnsafePointer<Float>)
    }

    /// C (m × n) = A (m × k) · B (k × n), from `start`. B's rows are read sixteen floats at
    /// a time: when `readable` they may be read past n up to the next multiple of 16 (whatever
    /// is there only reaches sums that are not stored); otherwise the last, narrower block is
    /// copied beside zeros. Blocks of 6 rows × 16 columns are summed in twelve eight-wide
    /// registers: per k, two loads of B and six broadcasts of A feed twelve multiply-adds.
    /// `order`, when given, is the order the rows of A and C are taken in, six at a time (see
    /// `Convolution.Grid.storeOrder`).
    static func multiply(
        m: Int, n: Int, k: Int, _ a: Strided, _ b: Rows, readable: Bool,
        into c: Destination, start: Start, order: UnsafePointer<Int>? = nil
    ) {
        let whole = n / 16 * 16, tail = n - whole
        let copyTail = tail > 0 && !readable
        withUnsafeTemporaryAllocation(of: Float.self, capacity: copyTail ? k * 16 : 0) { panel in
            withRows(UnsafePointer(panel.baseAddress ?? c.base), count: copyTail ? k : 0, stride: 16) { panelRows in
                if copyTail {
                    for kk in 0..<k {
                        for q in 0..<16 { panel[kk * 16 + q] = q < tail ? b[kk][whole + q] : 0 }
                    }
                }
                let last = copyTail ? panelRows : Rows(base: b.base + whole, offsets: b.offsets)
                let columns = Columns(whole: whole, tail: tail, last: last)
                var i = 0
                // Blocks of five when they cover m and sixes do not (a 5×5 kernel's 25 rows):
                // a last block of one row would load as much as a block of five.
                if m % 6 != 0 && m % 5 == 0 {
                    while i < m {
                        rowBlock(
                            InlineArray<5, Int> { order?[i + $0] ?? i + $0 }, columns, k: k, a, b, into: c,
                            start: start)
                        i += 5
                    }
                }
                while i + 6 <= m {
                    rowBlock(
                        InlineArray<6, Int> { order?[i + $0] ?? i + $0 }, columns, k: k, a, b, into: c, start: start)
                    i += 6
                }
                switch m - i {
                case 1:
                    rowBlock(
                        InlineArray<1, Int> { order?[i + $0] ?? i + $0 }, columns, k: k, a, b, into: c, start: start)
                case 2:
                    rowBlock(
                        InlineArray<2, Int> { order?[i + $0] ?? i + $0 }, columns, k: k, a, b, into: c, start: start)
                case 3:
                    rowBlock(
                        InlineArray<3, Int> { order?[i + $0] ?? i + $0 }, columns, k: k, a, b, into: c, start: start)
                case 4:
                    rowBlock(
                        InlineArray<4, Int> { order?[i + $0] ?? i + $0 }, columns, k: k, a, b, into: c, start: start)
                case 5:
                    rowBlock(
                        InlineArray<5, Int> { order?[i + $0] ?? i + $0 }, columns, k: k, a, b, into: c, start: start)
                default: break
                }
            }
        }
    }

    /// The columns of a product: `whole` of them in blocks of 16, then a last block of `tail`
    /// read from `last` (B itself, or its copy beside zeros).
    struct Columns {
        let whole: Int, tail: Int
        let last: Rows
    }

    /// Rows `rows` of C = A · B, sixteen columns at a time. Not inlined: inside the callers'
    /// loops and closures the compiler kept the accumulators in memory.
    @inline(never)
    static func rowBlock<let R: Int>(
        _ rows: InlineArray<R, Int>, _ columns: Columns, k: Int, _ a: Strided, _ b: Rows,
        into c: Destination, start: Start
    ) {
        let aRows = InlineArray<R, UnsafePointer<Float>> { a.row(rows[$0]) }
        let cRows = InlineArray<R, UnsafeMutablePointer<Float>> { c.row(rows[$0]) }
        var initial = InlineArray<R, Float>(repeating: 0)
        if case .bias(let bias) = start {
            for r in 0..<R { initial[r] = bias[rows[r]] }
        }
        let add: Bool
        if case .accumulate = start { add = true } else { add = false }
        for j in stride(from: 0, to: columns.whole, by: 16) {
            block(
                aRows, columnStride: a.columnStride, k: k, Rows(base: b.base + j, offsets: b.offsets), initial: initial,
                width: 16, into: cRows, at: j, accumulate: add)
        }
        if columns.tail > 0 {
            block(
                aRows, columnStride: a.columnStride, k: k, columns.last, initial: initial,
                width: columns.tail, into: cRows, at: columns.whole, accumulate: add)
        }
    }

    /// R rows × sixteen columns of C = A · B, summed in registers, then stored from column `at`.
    @inline(__always)
    static func block<let R: Int>(
        _ aRows: InlineArray<R, UnsafePointer<Float>>, columnStride: Int, k: Int, _ b: Rows,
        initial: InlineArray<R, Float>, width: Int,
        into cRows: InlineArray<R, UnsafeMutablePointer<Float>>, at j: Int, accumulate: Bool
    ) {
        var low = InlineArray<R, SIMD8<Float>>(repeating: .zero)
        for r in 0..<R { low[r] = SIMD8(repeating: initial[r]) }
        var high = low
        var at = 0
        for kk in 0..<k {
            let row = UnsafeRawPointer(b[kk])
            let b0 = row.loadUnaligned(as: SIMD8<Float>.self),
                b1 = row.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            for r in 0..<R {
                let w = SIMD8<Float>(repeating: aRows[r][at])
                low[r].addProduct(w, b0)
                high[r].addProduct(w, b1)
            }
            at += columnStride
        }
        for r in 0..<R { store(low[r], high[r], width: width, to: cRows[r] + j, accumulate: accumulate) }
    }

    /// Writes (or adds) the first `width` of sixteen sums to c.
    @inline(__always)
    static func store(
        _ low: SIMD8<Float>, _ high: SIMD8<Float>, width: Int, to c: UnsafeMutablePointer<Float>, accumulate: Bool
    ) {
        guard width == 16 else {
            // A last, narrower block (C3's rows keep 140 = 8·16 + 12 positions): eight, four,
            // two and one at a time, never past `width` (rows added onto an input overlap).
            var q = 0, rest = low
            if width >= 8 {
                store8(low, to: c, accumulate: accumulate)
                q = 8
                rest = high
            }
            if q + 4 <= width {
                let v = SIMD4(rest[0], rest[1], rest[2], rest[3])
                let raw = UnsafeMutableRawPointer(c + q)
                raw.storeBytes(of: accumulate ? v + raw.loadUnaligned(as: SIMD4<Float>.self) : v, as: SIMD4<Float>.self)
                rest = SIMD8(rest[4], rest[5], rest[6], rest[7], 0, 0, 0, 0)
                q += 4
            }
            var lane = 0
            while q < width {
                c[q] = accumulate ? c[q] + rest[lane] : rest[lane]
                q += 1
                lane += 1
            }
            return
        }
        let raw = UnsafeMutableRawPointer(c)
        var l = low, h = high
        if accumulate {
            l += raw.loadUnaligned(as: SIMD8<Float>.self)
            h += raw.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
        }
        raw.storeBytes(of: l, as: SIMD8<Float>.self)
        raw.storeBytes(of: h, toByteOffset: 32, as: SIMD8<Float>.self)
    }

    /// Writes (or adds) eight sums to c.
    @inline(__always)
    static func store8(_ v: SIMD8<Float>, to c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(c)
        raw.storeBytes(of: accumulate ? v + raw.loadUnaligned(as: SIMD8<Float>.self) : v, as: SIMD8<Float>.self)
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

/// A convolution's sums with the output positions as rows and the maps (up to 16) as columns,
/// for a layer whose wide grid throws away many positions (C3: 144 computed for 100).
extension Kernels {
    /// out[p·16 + o] = bias[o] + Σ_kk wt[kk·16 + o] · input[at[p] + offsets[kk]] for p < count,
    /// kk in order: the sums `multiply` forms on the wide grid, for the kept positions only.
    /// Blocks of six positions × 16 maps in twelve eight-wide registers: per kk, two loads of
    /// weights and six broadcasts of inputs feed twelve multiply-adds.
    static func positionRows(
        count: Int, at: UnsafePointer<Int>, input: UnsafePointer<Float>, offsets: UnsafePointer<Int>, k: Int,
        weights wt: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        var p = 0
        while p + 6 <= count {
            positionBlock(
                InlineArray<6, Int> { p + $0 }, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias,
                into: out)
            p += 6
        }
        for q in p..<count {
            positionBlock(
                InlineArray<1, Int> { _ in q }, at: at, input: input, offsets: offsets, k: k, weights: wt,
                bias: bias, into: out)
        }
    }

    /// Positions `rows` × 16 maps of `positionRows` (not inlined, as `rowBlock`).
    @inline(never)
    static func positionBlock<let R: Int>(
        _ rows: InlineArray<R, Int>, at: UnsafePointer<Int>, input: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
        k: Int, weights wt: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        let b = UnsafeRawPointer(bias)
        var low = InlineArray<R, SIMD8<Float>>(repeating: b.loadUnaligned(as: SIMD8<Float>.self))
        var high = InlineArray<R, SIMD8<Float>>(repeating: b.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self))
        let inputs = InlineArray<R, UnsafePointer<Float>> { input + at[rows[$0]] }
        for kk in 0..<k {
            let w = UnsafeRawPointer(wt + 16 * kk)
            let w0 = w.loadUnaligned(as: SIMD8<Float>.self),
                w1 = w.loadUnaligned(fromByteOffset: 32, as: SIMD8<Float>.self)
            let offset = offsets[kk]
            for r in 0..<R {
                let x = SIMD8<Float>(repeating: inputs[r][offset])
                low[r].addProduct(w0, x)
                high[r].addProduct(w1, x)
            }
        }
        for r in 0..<R {
            let o = UnsafeMutableRawPointer(out + 16 * rows[r])
            o.storeBytes(of: low[r], as: SIMD8<Float>.self)
            o.storeBytes(of: high[r], toByteOffset: 32, as: SIMD8<Float>.self)
        }
    }
}
