/// The matrix product most of the fast path runs on, written once for any vector width.
///
/// The code is `@inlinable` and generic over the vector type V, so each module that calls it
/// compiles it with its own target flags: LeNetModel with V = SIMD8<Float> for AVX2, and
/// LeNetKernelsAVX512 with V = SIMD16<Float> for AVX-512 (`Kernels.multiply` picks one when
/// the program starts). Every entry of C is the same chain of fused multiply-adds over k in
/// both, so the two give the same bits; only the number of columns summed at once differs.

/// Reads A(i, k) = base[i·rowStride + k·columnStride]: a transposed operand is the same memory
/// with the strides swapped, so no copy is made.
@frozen
public struct Strided {
    public let base: UnsafePointer<Float>
    public let rowStride: Int, columnStride: Int

    @inlinable
    public init(base: UnsafePointer<Float>, rowStride: Int, columnStride: Int) {
        self.base = base
        self.rowStride = rowStride
        self.columnStride = columnStride
    }

    @inlinable @inline(__always)
    func row(_ i: Int) -> UnsafePointer<Float> { base + i * rowStride }
}

/// Rows of an operand read along their length: row k starts at base + offsets[k]. A
/// convolution's unrolled input is its input itself, each row a shifted view of it.
@frozen
public struct Rows {
    public let base: UnsafePointer<Float>
    public let offsets: UnsafePointer<Int>

    @inlinable
    public init(base: UnsafePointer<Float>, offsets: UnsafePointer<Int>) {
        self.base = base
        self.offsets = offsets
    }

    @inlinable @inline(__always)
    public subscript(k: Int) -> UnsafePointer<Float> { base + offsets[k] }

    /// Row offsets 0, stride, 2·stride, …: an ordinary row-major matrix as `Rows`.
    @inlinable
    public static func with<T>(_ base: UnsafePointer<Float>, count: Int, stride: Int, _ body: (Rows) -> T) -> T {
        withUnsafeTemporaryAllocation(of: Int.self, capacity: count) { offsets in
            for k in 0..<count { offsets[k] = k * stride }
            return body(Rows(base: base, offsets: UnsafePointer(offsets.baseAddress!)))
        }
    }
}

/// Where the rows of a product go: row i at base + i·stride, or at base + offsets[i] when
/// offsets are given (an unrolled input's gradient, added back onto the input it was read
/// from: the rows overlap, and each is added in turn).
@frozen
public struct Destination {
    public let base: UnsafeMutablePointer<Float>
    public var stride: Int
    public var offsets: UnsafePointer<Int>?

    @inlinable
    public init(base: UnsafeMutablePointer<Float>, stride: Int) {
        self.base = base
        self.stride = stride
        offsets = nil
    }

    @inlinable
    public init(base: UnsafeMutablePointer<Float>, offsets: UnsafePointer<Int>) {
        self.base = base
        stride = 0
        self.offsets = offsets
    }

    @inlinable @inline(__always)
    func row(_ i: Int) -> UnsafeMutablePointer<Float> {
        if let offsets { return base + offsets[i] }
        return base + i * stride
    }
}

/// What a product's sums start from.
@frozen
public enum ProductStart {
    /// C = A·B
    case zero
    /// C += A·B
    case accumulate
    /// C = bias[i] + A·B, row by row: a layer's bias, added in registers.
    case bias(UnsafePointer<Float>)
}

/// C = A · B with the sums of a block of C held in registers of type V (8 floats for AVX2,
/// 16 for AVX-512).
public enum MatrixProduct<V: SIMD> where V.Scalar == Float {
    /// The columns of a block: two registers per row.
    @inlinable
    static var blockWidth: Int { 2 * V.scalarCount }

    /// C (m × n) = A (m × k) · B (k × n), from `start`. B's rows are read a block at a time:
    /// when `readable` they may be read past n up to the next multiple of 16 (whatever is there
    /// only reaches sums that are not stored); otherwise the last, narrower block is copied
    /// beside zeros. Blocks of 6 rows × 2·V columns are summed in twelve registers: per k, two
    /// loads of B and six broadcasts of A feed twelve multiply-adds. `order`, when given, is
    /// the order the rows of A and C are taken in, six at a time (see
    /// `Convolution.Grid.storeOrder`). `disjoint`: the rows, taken in that order, come in runs
    /// of this many whose places in C never overlap (C3's rows of one kernel position, one per
    /// input map).
    @inlinable
    public static func multiply(
        m: Int, n: Int, k: Int, _ a: Strided, _ b: Rows, readable: Bool,
        into c: Destination, start: ProductStart, order: UnsafePointer<Int>? = nil, disjoint: Int = 1
    ) {
        // Rows added at overlapping offsets are summed in the order blocks of 16 columns give,
        // whatever the register width, so that both builds add the same terms in the same order.
        // When no two rows of a block overlap (each block within a run of `disjoint`), the
        // blocks are added in turn whatever their width, so they take two registers' width.
        let height = m % 6 != 0 && m % 5 == 0 ? 5 : 6
        let apart = c.offsets == nil || (m % height == 0 && disjoint % height == 0)
        let width = apart ? blockWidth : 16, whole = n / width * width, tail = n - whole
        // The last block reads one register's width of columns when the tail fits in one, else
        // two: when that is more than the tail and B's rows may not be read past their end, the
        // tail is copied beside zeros. (A tail of exactly one register, C5's 400 = 12·32 + 16
        // on the AVX-512 build, is read where it is.)
        let reads = tail > V.scalarCount ? 2 * V.scalarCount : V.scalarCount
        let copyTail = tail > 0 && !readable && reads != tail
        withUnsafeTemporaryAllocation(of: Float.self, capacity: copyTail ? k * width : 0) { panel in
            Rows.with(UnsafePointer(panel.baseAddress ?? c.base), count: copyTail ? k : 0, stride: width) { panelRows in
                if copyTail {
                    let to = panel.baseAddress!
                    for kk in 0..<k {
                        (to + kk * width).update(from: b[kk] + whole, count: tail)
                        (to + kk * width + tail).update(repeating: 0, count: width - tail)
                    }
                }
                let last = copyTail ? panelRows : Rows(base: b.base + whole, offsets: b.offsets)
                let columns = Columns(width: width, whole: whole, tail: tail, last: last)
                var i = 0
                // Blocks of five when they cover m and sixes do not (a 5×5 kernel's 25 rows):
                // a last block of one row would load as much as a block of five.
                if height == 5 {
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

    /// The columns of a product: `whole` of them in blocks of `width` (two registers, or 16
    /// columns), then a last block of `tail` read from `last` (B itself, or its copy beside
    /// zeros).
    @frozen @usableFromInline
    struct Columns {
        @usableFromInline let width: Int, whole: Int, tail: Int
        @usableFromInline let last: Rows

        @inlinable
        init(width: Int, whole: Int, tail: Int, last: Rows) {
            self.width = width
            self.whole = whole
            self.tail = tail
            self.last = last
        }
    }

    /// Rows `rows` of C = A · B, a block of columns at a time. Not inlined: inside the
    /// callers' loops and closures the compiler kept the accumulators in memory.
    @inlinable @inline(never)
    static func rowBlock<let R: Int>(
        _ rows: InlineArray<R, Int>, _ columns: Columns, k: Int, _ a: Strided, _ b: Rows,
        into c: Destination, start: ProductStart
    ) {
        let aRows = InlineArray<R, UnsafePointer<Float>> { a.row(rows[$0]) }
        let cRows = InlineArray<R, UnsafeMutablePointer<Float>> { c.row(rows[$0]) }
        var initial = InlineArray<R, Float>(repeating: 0)
        if case .bias(let bias) = start {
            for r in 0..<R { initial[r] = bias[rows[r]] }
        }
        let add: Bool
        if case .accumulate = start { add = true } else { add = false }
        if columns.width == blockWidth {
            for j in stride(from: 0, to: columns.whole, by: blockWidth) {
                block(
                    aRows, columnStride: a.columnStride, k: k, Rows(base: b.base + j, offsets: b.offsets),
                    initial: initial, width: blockWidth, into: cRows, at: j, accumulate: add)
            }
        } else {
            for j in stride(from: 0, to: columns.whole, by: V.scalarCount) {
                halfBlock(
                    aRows, columnStride: a.columnStride, k: k, Rows(base: b.base + j, offsets: b.offsets),
                    initial: initial, width: V.scalarCount, into: cRows, at: j, accumulate: add)
            }
        }
        // A last block of one register when it is enough (it then reads no further than the
        // next multiple of V's width, which divides 16).
        if columns.tail > V.scalarCount {
            block(
                aRows, columnStride: a.columnStride, k: k, columns.last, initial: initial,
                width: columns.tail, into: cRows, at: columns.whole, accumulate: add)
        } else if columns.tail > 0 {
            halfBlock(
                aRows, columnStride: a.columnStride, k: k, columns.last, initial: initial,
                width: columns.tail, into: cRows, at: columns.whole, accumulate: add)
        }
    }

    /// R rows × 2·V columns of C = A · B, summed in registers, then stored from column `at`.
    @inlinable @inline(__always)
    static func block<let R: Int>(
        _ aRows: InlineArray<R, UnsafePointer<Float>>, columnStride: Int, k: Int, _ b: Rows,
        initial: InlineArray<R, Float>, width: Int,
        into cRows: InlineArray<R, UnsafeMutablePointer<Float>>, at j: Int, accumulate: Bool
    ) {
        var low = InlineArray<R, V>(repeating: V())
        for r in 0..<R { low[r] = V(repeating: initial[r]) }
        var high = low
        var at = 0
        for kk in 0..<k {
            let row = UnsafeRawPointer(b[kk])
            let b0 = row.loadUnaligned(as: V.self),
                b1 = row.loadUnaligned(fromByteOffset: MemoryLayout<V>.size, as: V.self)
            for r in 0..<R {
                let w = V(repeating: aRows[r][at])
                low[r].addProduct(w, b0)
                high[r].addProduct(w, b1)
            }
            at &+= columnStride
        }
        for r in 0..<R { store(low[r], high[r], width: width, to: cRows[r] + j, accumulate: accumulate) }
    }

    /// R rows × V columns, for a last block no wider than one register.
    @inlinable @inline(__always)
    static func halfBlock<let R: Int>(
        _ aRows: InlineArray<R, UnsafePointer<Float>>, columnStride: Int, k: Int, _ b: Rows,
        initial: InlineArray<R, Float>, width: Int,
        into cRows: InlineArray<R, UnsafeMutablePointer<Float>>, at j: Int, accumulate: Bool
    ) {
        var sums = InlineArray<R, V>(repeating: V())
        for r in 0..<R { sums[r] = V(repeating: initial[r]) }
        var at = 0
        for kk in 0..<k {
            let b0 = UnsafeRawPointer(b[kk]).loadUnaligned(as: V.self)
            for r in 0..<R { sums[r].addProduct(V(repeating: aRows[r][at]), b0) }
            at &+= columnStride
        }
        for r in 0..<R { store(sums[r], V(), width: width, to: cRows[r] + j, accumulate: accumulate) }
    }

    /// Writes (or adds) the first `width` of the sums in low, then high, to c.
    @inlinable @inline(__always)
    static func store(_ low: V, _ high: V, width: Int, to c: UnsafeMutablePointer<Float>, accumulate: Bool) {
        let raw = UnsafeMutableRawPointer(c), size = MemoryLayout<V>.size
        guard width == 2 * V.scalarCount else {
            // A last, narrower block (C3's rows keep 140 positions): a whole register, then
            // four and one at a time, never past `width` (rows added onto an input overlap).
            var q = 0, rest = low
            if width >= V.scalarCount {
                raw.storeBytes(of: accumulate ? low + raw.loadUnaligned(as: V.self) : low, as: V.self)
                q = V.scalarCount
                rest = high
            }
            var lane = 0
            while q + 4 <= width {
                let v = SIMD4(rest[lane], rest[lane + 1], rest[lane + 2], rest[lane + 3])
                let at = UnsafeMutableRawPointer(c + q)
                at.storeBytes(of: accumulate ? v + at.loadUnaligned(as: SIMD4<Float>.self) : v, as: SIMD4<Float>.self)
                q += 4
                lane += 4
            }
            while q < width {
                c[q] = accumulate ? c[q] + rest[lane] : rest[lane]
                q += 1
                lane += 1
            }
            return
        }
        var l = low, h = high
        if accumulate {
            l += raw.loadUnaligned(as: V.self)
            h += raw.loadUnaligned(fromByteOffset: size, as: V.self)
        }
        raw.storeBytes(of: l, as: V.self)
        raw.storeBytes(of: h, toByteOffset: size, as: V.self)
    }
}

/// A convolution's sums with the output positions as rows and the maps (up to 16) as columns,
/// for a layer whose wide grid throws away many positions (C3: 144 computed for 100).
extension MatrixProduct {
    /// out[p·16 + o] = bias[o] + Σ_kk wt[kk·16 + o] · input[at[p] + offsets[kk]] for p < count,
    /// kk in order: the sums `multiply` forms on the wide grid, for the kept positions only.
    /// Blocks of positions × 16 maps (6 for AVX2, in twelve eight-wide registers; 10 for
    /// AVX-512, in ten sixteen-wide ones): per kk, one row of weights and a broadcast of
    /// each position's input feed the multiply-adds. (Ten, not twelve: with twelve positions'
    /// input pointers the loop ran out of general registers and reloaded two of them, and
    /// the loop's bound, from the stack on every kk; C3's forward pass took 5% longer.)
    @inlinable
    public static func positionRows(
        count: Int, at: UnsafePointer<Int>, input: UnsafePointer<Float>, offsets: UnsafePointer<Int>, k: Int,
        weights wt: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        var p = 0
        // A 5×5 kernel's rows come in runs of five reading one float apart, (i, u, 0…4), and
        // ten positions of one output row lie one float apart: see `positionRunBlock`.
        var runs = V.scalarCount >= 16 && k % 5 == 0
        var kk = 0
        while runs && kk < k {
            for v in 1..<5 where offsets[kk + v] != offsets[kk] + v { runs = false }
            kk += 5
        }
        if V.scalarCount >= 16 {
            while p + 10 <= count {
                if runs && (1..<10).allSatisfy({ at[p + $0] == at[p] + $0 }) {
                    positionRunBlock(
                        first: p, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias, into: out)
                    p += 10
                    continue
                }
                positionBlock(
                    InlineArray<10, Int> { p + $0 }, at: at, input: input, offsets: offsets, k: k, weights: wt,
                    bias: bias, into: out)
                p += 10
            }
        }
        while p + 6 <= count {
            positionBlock(
                InlineArray<6, Int> { p + $0 }, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias,
                into: out)
            p += 6
        }
        // The last few positions (C3's 100 leave 4 on AVX2) in one block: one at a time, each would
        // read all the weights again for a single multiply-add per load.
        switch count - p {
        case 1:
            positionBlock(
                InlineArray<1, Int> { p + $0 }, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias,
                into: out)
        case 2:
            positionBlock(
                InlineArray<2, Int> { p + $0 }, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias,
                into: out)
        case 3:
            positionBlock(
                InlineArray<3, Int> { p + $0 }, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias,
                into: out)
        case 4:
            positionBlock(
                InlineArray<4, Int> { p + $0 }, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias,
                into: out)
        case 5:
            positionBlock(
                InlineArray<5, Int> { p + $0 }, at: at, input: input, offsets: offsets, k: k, weights: wt, bias: bias,
                into: out)
        default: break
        }
    }

    /// Positions first ..< first + 10 × 16 maps of `positionRows`, when they lie one float
    /// apart and the rows come in runs of five one float apart: the input position r reads
    /// for row (i, u, v) is the one position r + v reads for row (i, u, 0). So each run's 14
    /// inputs are loaded once, where `positionBlock` loads 50; the sums take the same terms
    /// in the same order. AVX-512 only: 10 sums, 14 inputs and a row of weights fill 25 of
    /// its 32 registers.
    @inlinable @inline(never)
    static func positionRunBlock(
        first p: Int, at: UnsafePointer<Int>, input: UnsafePointer<Float>, offsets: UnsafePointer<Int>, k: Int,
        weights wt: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        var sums = InlineArray<10, SIMD16<Float>>(
            repeating: UnsafeRawPointer(bias).loadUnaligned(as: SIMD16<Float>.self))
        let base = input + at[p]
        var kk = 0
        while kk < k {
            let x = base + offsets[kk], row = UnsafeRawPointer(wt + 16 &* kk)
            // Each row of the run reads the inputs one further on; the compiler loads each once.
            positionRunStep(&sums, row.loadUnaligned(as: SIMD16<Float>.self), x)
            positionRunStep(&sums, row.loadUnaligned(fromByteOffset: 64, as: SIMD16<Float>.self), x + 1)
            positionRunStep(&sums, row.loadUnaligned(fromByteOffset: 128, as: SIMD16<Float>.self), x + 2)
            positionRunStep(&sums, row.loadUnaligned(fromByteOffset: 192, as: SIMD16<Float>.self), x + 3)
            positionRunStep(&sums, row.loadUnaligned(fromByteOffset: 256, as: SIMD16<Float>.self), x + 4)
            kk &+= 5
        }
        for r in 0..<10 {
            UnsafeMutableRawPointer(out + 16 &* (p &+ r)).storeBytes(of: sums[r], as: SIMD16<Float>.self)
        }
    }

    /// One row of a run: sums[r] += w · x[r].
    @inlinable @inline(__always)
    static func positionRunStep<let R: Int>(
        _ sums: inout InlineArray<R, SIMD16<Float>>, _ w: SIMD16<Float>, _ x: UnsafePointer<Float>
    ) {
        for r in 0..<R { sums[r].addProduct(w, SIMD16(repeating: x[r])) }
    }

    /// Positions `rows` × 16 maps of `positionRows` (not inlined, as `rowBlock`). The 16 maps'
    /// sums are one SIMD16 per position: two registers for AVX2, one for AVX-512.
    @inlinable @inline(never)
    static func positionBlock<let R: Int>(
        _ rows: InlineArray<R, Int>, at: UnsafePointer<Int>, input: UnsafePointer<Float>, offsets: UnsafePointer<Int>,
        k: Int, weights wt: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        var sums = InlineArray<R, SIMD16<Float>>(
            repeating: UnsafeRawPointer(bias).loadUnaligned(as: SIMD16<Float>.self))
        let inputs = InlineArray<R, UnsafePointer<Float>> { input + at[rows[$0]] }
        for kk in 0..<k {
            let w = UnsafeRawPointer(wt + 16 &* kk).loadUnaligned(as: SIMD16<Float>.self)
            let offset = offsets[kk]
            for r in 0..<R { sums[r].addProduct(w, SIMD16(repeating: inputs[r][offset])) }
        }
        for r in 0..<R { UnsafeMutableRawPointer(out + 16 * rows[r]).storeBytes(of: sums[r], as: SIMD16<Float>.self) }
    }
}

/// The fastest arithmetic these registers allow, for the benchmark's share of peak.
extension MatrixProduct {
    /// `rounds` rounds of twelve independent fused multiply-adds, acc ← acc + factor·term, one
    /// register each: enough chains under way to fill the CPU's multiply-add units. Returns
    /// the sum of the lanes, so the work cannot be left out. Each round is 24·V flops.
    @inlinable @inline(never)
    public static func multiplyAddRounds(_ rounds: Int, factor: Float, term: Float) -> Float {
        var acc = InlineArray<12, V>(repeating: V())
        let f = V(repeating: factor), t = V(repeating: term)
        for _ in 0..<rounds {
            for r in 0..<12 { acc[r].addProduct(f, t) }
        }
        var total: Float = 0
        for r in 0..<12 { total += acc[r].sum() }
        return total
    }
}

/// The columns of a wide grid that hold numbers: t is live when t mod width < count and
/// t < end (C3: rows 14 wide, 10 live, 140 positions).
public struct LiveColumns: Sendable {
    public let width: Int, count: Int, end: Int

    public init(width: Int, count: Int, end: Int) {
        self.width = width
        self.count = count
        self.end = end
    }
}
