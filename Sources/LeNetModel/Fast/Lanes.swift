import LeNetCore
import LeNetData

/// Up to sixteen samples' feature maps laid lane by lane: unit (c, y, x) of sample s at
/// ((c·height + y)·width + x)·16 + s. A convolution then loads sixteen samples' input at a
/// time and computes only the positions it keeps, and 2×2 subsampling is four loads and three
/// adds per register. Inference takes its slices of a batch this way through the layers that
/// can (`Layer.runsOnLanes`): C1 to S4, before C5 reads each sample whole.
public struct LaneMaps: Sendable {
    public static let lanes = 16

    /// The samples in the lanes (the others hold numbers no one reads).
    public private(set) var samples: Int
    /// Per sample (maps, height, width).
    public private(set) var shape: [Int]
    /// units × 16 floats.
    var units: Tensor

    public var unitCount: Int { shape.reduce(1, *) }

    public init() {
        samples = 0
        shape = [0, 0, 0]
        units = .empty
    }

    /// Makes this `samples` samples of per-sample `shape`, its floats unset (for a producer
    /// that writes them all), keeping its buffer when it is that long already.
    mutating func prepare(samples: Int, _ shape: [Int]) {
        self.samples = samples
        self.shape = shape
        let count = shape.reduce(1, *) * LaneMaps.lanes
        if units.count != count { units = Tensor(unfilled: [count]) }
    }

    /// The samples of x (n ≤ 16, shape (n, C, H, W)) in lanes; lanes past n hold zeros.
    public init(_ x: Tensor) {
        self.init()
        let n = x.shape[0]
        precondition(n <= LaneMaps.lanes)
        prepare(samples: n, Array(x.shape.dropFirst()))
        let size = unitCount
        units.withMutablePointer { to in
            x.withPointer { Kernels.lanes(from: $0, rows: n, stride: size, k: size, into: to) }
        }
    }

    /// The digits at `indices` (≤ 16) as `Digits.batch` makes them, 1@32×32 each with the
    /// digit centred on background, straight into lanes: the sixteen digits are asked of
    /// memory first, all at once (read one after another, each began with a wait), their grey
    /// levels turned round sixteen pixels at a time in registers, then each pixel's sixteen
    /// scaled in one register with `InputScaling.value`'s operations (bit for bit
    /// `Digits.batch`'s numbers). Lanes past the digits hold background. No batch is built and
    /// turned round first.
    public init(_ digits: Digits, _ indices: ArraySlice<Int>, scaling: InputScaling) {
        typealias L = SIMD16<Float>
        self.init()
        let n = indices.count, side = Digits.inputSize, rows = digits.rows, columns = digits.columns
        precondition(n <= LaneMaps.lanes && rows <= side && columns <= side)
        precondition(indices.allSatisfy { (0..<digits.count).contains($0) }, "digit index out of range")
        prepare(samples: n, LeNet5.inputShape)
        let top = (side - rows) / 2, left = (side - columns) / 2
        let background = scaling.background, span = scaling.foreground - background
        units.withMutablePointer { to in
            digits.pixels.withUnsafeBufferPointer { source in
                let raw = UnsafeMutableRawPointer(to)
                for p in 0..<side * side {
                    raw.storeBytes(of: L(repeating: background), toByteOffset: 64 &* p, as: L.self)
                }
                // Sixteen pixels of the sixteen digits at a time, turned round in registers
                // (`ByteTranspose`): pixel p's sixteen grey levels, one per digit, then each
                // pixel's sixteen scaled in one register. Pixels past the last sixteen, one digit
                // at a time.
                let pixels = rows * columns, blocks = pixels / 16
                Scratch.with(UnsafePointer<UInt8>?.self, 16) { images in
                    for s in 0..<16 {
                        images[s] = s < n ? source.baseAddress! + indices[indices.startIndex + s] * pixels : nil
                        if let image = images[s] { prefetch(image, bytes: pixels) }
                    }
                    @inline(__always) func store(_ grey: SIMD16<UInt8>, pixel p: Int) {
                        let v = background + span * LaneMaps.float(grey) / 255
                        let at = (top &+ p / columns) &* side &+ left &+ p % columns
                        raw.storeBytes(of: v, toByteOffset: 64 &* at, as: L.self)
                    }
                    Scratch.with(SIMD16<UInt8>.self, 32) { block in
                        for b in 0..<blocks {
                            for s in 0..<16 {
                                if let image = images[s] {
                                    block[s] = UnsafeRawPointer(image + 16 &* b).loadUnaligned(as: SIMD16<UInt8>.self)
                                } else {
                                    block[s] = .zero
                                }
                            }
                            ByteTranspose.transpose(block, into: block + 16)
                            for j in 0..<16 { store(block[16 &+ j], pixel: 16 &* b &+ j) }
                        }
                        for p in blocks * 16..<pixels {
                            var grey = SIMD16<UInt8>()
                            for s in 0..<16 { if let image = images[s] { grey[s] = image[p] } }
                            store(grey, pixel: p)
                        }
                    }
                }
            }
        }
    }

    /// Sixteen grey levels as floats, exactly: each byte widened into a 32-bit lane (written
    /// lane by lane, which the compiler makes one zero-extending load, where the generic
    /// integer conversion was two calls per pixel), then 2²³'s exponent bits set and 2²³ taken
    /// away.
    @inline(__always)
    static func float(_ g: SIMD16<UInt8>) -> SIMD16<Float> {
        let w = SIMD16<UInt32>(
            UInt32(g[0]), UInt32(g[1]), UInt32(g[2]), UInt32(g[3]), UInt32(g[4]), UInt32(g[5]), UInt32(g[6]),
            UInt32(g[7]), UInt32(g[8]), UInt32(g[9]), UInt32(g[10]), UInt32(g[11]), UInt32(g[12]), UInt32(g[13]),
            UInt32(g[14]), UInt32(g[15]))
        return unsafeBitCast(w | 0x4B00_0000, to: SIMD16<Float>.self) - 8_388_608
    }

    /// The samples as a tensor (n, C, H, W).
    public var tensor: Tensor {
        let size = unitCount, n = samples
        var y = Tensor(unfilled: [n] + shape)
        y.withMutablePointer { to in
            units.withPointer { Kernels.rows(fromLanes: $0, count: size, rows: n, into: to, stride: size) }
        }
        return y
    }

    /// y = f(a) on every unit, as `Kernels.activate` squashes one sample's units
    /// (maps·height·width of them) `runs` runs at a time: the last run mod 8 units of each
    /// run go through f one at a time (its scalar code) and the rest through the vector
    /// tanh. The same numbers, lane by lane, as the layer gives each sample on its own.
    mutating func activate(_ f: Activation, runs: Int) {
        guard f != .identity else { return }
        let count = unitCount, run = count / runs, tail = run % 8
        units.withMutablePointer { a in
            Scratch.floats(runs * tail * 16) { kept in
                for r in 0..<runs {
                    (kept + r * tail * 16).update(from: a + (r * run + run - tail) * 16, count: tail * 16)
                }
                Kernels.activate(f, count * 16, a)
                for r in 0..<runs {
                    let to = a + (r * run + run - tail) * 16, from = kept + r * tail * 16
                    for q in 0..<tail * 16 { to[q] = f(from[q]) }
                }
            }
        }
    }
}

extension Convolution {
    /// A kernel that does not cover its whole input (C1, C3; not C5, which is a dense layer).
    public func runsOnLanes(input shape: [Int]) -> Bool {
        shape.count == 3 && shape[0] == table.inputMaps && shape[1] >= kernelSize && shape[2] >= kernelSize
            && !coversWholeInput([1] + shape)
    }

    public func forwardLanes(_ x: LaneMaps, into y: inout LaneMaps) {
        let (h, w) = (x.shape[1], x.shape[2])
        y.prepare(samples: x.samples, [table.outputMaps, h - kernelSize + 1, w - kernelSize + 1])
        y.units.withMutablePointer { laneConvolution(x, rows: nil, into: $0) }
        // One sample's units in one run, as `forwardFast` squashes them.
        y.activate(activation, runs: 1)
    }

    /// `Kernels.laneConvolution` of x's samples with this layer's weights: all output rows
    /// (`rows` nil) or those alone, into a buffer that holds just them.
    func laneConvolution(_ x: LaneMaps, rows: Range<Int>?, into out: UnsafeMutablePointer<Float>) {
        x.units.withPointer { xp in
            weight.withPointer { wp in
                bias.withPointer { bp in
                    Kernels.laneConvolution(
                        inMaps: x.shape[0], inH: x.shape[1], inW: x.shape[2], kernel: kernelSize,
                        outMaps: table.outputMaps, input: xp, weights: wp, bias: bp, into: out, rows: rows)
                }
            }
        }
    }

    /// Rows of the output by themselves: the lane convolution over those rows, then f on
    /// every unit of the band by the vector tanh, which is what the whole output's one run
    /// gives them when that run leaves no units to f one at a time (a multiple of eight).
    public func forwardLanes(_ x: LaneMaps, rows: Range<Int>, into band: UnsafeMutablePointer<Float>) -> Bool {
        let (h, w) = (x.shape[1], x.shape[2]), outMaps = table.outputMaps
        let outH = h - kernelSize + 1, outW = w - kernelSize + 1
        guard runsOnLanes(input: x.shape), (outMaps * outH * outW) % 8 == 0, rows.lowerBound >= 0,
            rows.upperBound <= outH
        else { return false }
        laneConvolution(x, rows: rows, into: band)
        Kernels.activate(activation, outMaps * rows.count * outW * LaneMaps.lanes, band)
        return true
    }
}

extension Subsampling {
    /// Any input of even height and width.
    public func runsOnLanes(input shape: [Int]) -> Bool {
        shape.count == 3 && shape[0] == maps && shape[1] % 2 == 0 && shape[2] % 2 == 0
    }

    /// `forwardFast`'s numbers: its rows summed four units at a time add each 2×2 window's
    /// columns first, (t₀ + b₀) + (t₁ + b₁); the units past the last four of a row add them
    /// in reading order, ((t₀ + t₁) + b₀) + b₁.
    public func forwardLanes(_ x: LaneMaps, into y: inout LaneMaps) {
        let inH = x.shape[1], inW = x.shape[2], outH = inH / 2
        y.prepare(samples: x.samples, [maps, outH, inW / 2])
        x.units.withPointer { xp in
            y.units.withMutablePointer { yp in
                poolLanes(xp, inputRows: inH, inW: inW, outputRows: 0..<outH, of: outH, into: yp)
            }
        }
        // Each map's units a run, as `forwardFast` squashes a batch's maps.
        y.activate(activation, runs: maps)
    }

    /// Two rows of `below`'s output at a time, each pooled into a row of this layer's while it
    /// is in the first-level cache (C1's whole output for sixteen samples is 301 KB, which
    /// squashing and pooling each read back from the second level).
    public func forwardLanes(_ x: LaneMaps, after below: any Layer, into y: inout LaneMaps) -> Bool {
        let input = below.outputShape(x.shape), (inH, inW) = (input[1], input[2]), outH = inH / 2
        guard runsOnLanes(input: input) else { return false }
        return Scratch.floats(maps * 2 * inW * LaneMaps.lanes) { band in
            guard below.forwardLanes(x, rows: 0..<2, into: band) else { return false }
            y.prepare(samples: x.samples, [maps, outH, inW / 2])
            y.units.withMutablePointer { yp in
                for q in 0..<outH {
                    if q > 0 { _ = below.forwardLanes(x, rows: 2 * q..<2 * q + 2, into: band) }
                    poolLanes(band, inputRows: 2, inW: inW, outputRows: q..<q + 1, of: outH, into: yp)
                }
            }
            // Each map's units a run, as `forwardFast` squashes a batch's maps.
            y.activate(activation, runs: maps)
            return true
        }
    }

    /// Output rows `rows` (of `outH`) of every map pooled from a buffer holding their input
    /// rows alone (`inputRows` of them a map, inW units each), into y's maps of outH rows.
    func poolLanes(
        _ xp: UnsafePointer<Float>, inputRows: Int, inW: Int, outputRows rows: Range<Int>, of outH: Int,
        into yp: UnsafeMutablePointer<Float>
    ) {
        typealias L = SIMD16<Float>
        let outW = inW / 2, fours = outW / 4 * 4
        let from = UnsafeRawPointer(xp), to = UnsafeMutableRawPointer(yp)
        for c in 0..<maps {
            let β = L(repeating: coefficient.scalars[c]), b = L(repeating: bias.scalars[c])
            for q in rows {
                let top = 64 &* ((c &* inputRows &+ 2 &* (q &- rows.lowerBound)) &* inW), bottom = top &+ 64 &* inW
                let row = 64 &* ((c &* outH &+ q) &* outW)
                // The two orders in two loops: one chosen per unit, the compiler
                // worked out both and blended them.
                @inline(__always) func window(_ p: Int) -> (L, L, L, L) {
                    (
                        from.loadUnaligned(fromByteOffset: top &+ 128 &* p, as: L.self),
                        from.loadUnaligned(fromByteOffset: top &+ 128 &* p &+ 64, as: L.self),
                        from.loadUnaligned(fromByteOffset: bottom &+ 128 &* p, as: L.self),
                        from.loadUnaligned(fromByteOffset: bottom &+ 128 &* p &+ 64, as: L.self)
                    )
                }
                for p in 0..<fours {
                    let (t0, t1, b0, b1) = window(p)
                    to.storeBytes(of: β * ((t0 + b0) + (t1 + b1)) + b, toByteOffset: row &+ 64 &* p, as: L.self)
                }
                for p in fours..<outW {
                    let (t0, t1, b0, b1) = window(p)
                    to.storeBytes(of: β * (((t0 + t1) + b0) + b1) + b, toByteOffset: row &+ 64 &* p, as: L.self)
                }
            }
        }
    }
}

extension LeNet5 {
    /// Slices of at least this many samples go through the lanes, which cost as much for
    /// fewer: one thread, keras, `forward` of batches of n, digits/s in lanes against sample
    /// by sample: n = 8 105,000 / 164,000, 12 151,000 / 170,000, 14 173,500 / 167,000, 16
    /// 193,000 / 169,000. So does C3's ∂E/∂x (`Kernels.inputGradient`): `lesson bench
    /// --layers --layer-batch n --threads 1`, C3's backward µs a sample in lanes against the
    /// wide grid: n = 8 7.68 / 6.44, 12 6.29 / 6.32, 14 5.82 / 6.27, 16 5.60 / 6.30.
    public static let fewestInLanes = 14

    /// How many layers from the bottom run on lanes (`Layer.runsOnLanes`) for inputs of
    /// per-sample `shape`.
    func laneLayers(input shape: [Int]) -> Int {
        var shape = shape, count = 0
        for layer in layers {
            guard layer.runsOnLanes(input: shape) else { break }
            shape = layer.outputShape(shape)
            count += 1
        }
        return count
    }

    /// `sliceForward` with the bottom layers on lanes: the numbers the layers give one by one.
    func laneForward(_ x: Tensor, laneLayers count: Int) -> Tensor {
        laneForward(LaneMaps(x), laneLayers: count)
    }

    /// Whether a slice of n samples of per-sample `shape` goes through lanes, and through how
    /// many layers (0 for none).
    func laneLayers(_ n: Int, input shape: [Int]) -> Int {
        path == .fast && n >= LeNet5.fewestInLanes && n <= LaneMaps.lanes ? laneLayers(input: shape) : 0
    }

    func laneForward(_ x: LaneMaps, laneLayers count: Int) -> Tensor {
        var a = x, b = LaneMaps()
        var l = 0
        while l < count {
            if l + 1 < count, layers[l + 1].forwardLanes(a, after: layers[l], into: &b) {
                l += 2
            } else {
                layers[l].forwardLanes(a, into: &b)
                l += 1
            }
            swap(&a, &b)
        }
        return layers[count...].reduce(a.tensor) { $1.forward($0, path: path) }
    }
}

/// A 16 × 16 block of bytes turned round: column j of the rows becomes row j. Four rounds of
/// interleaving (bytes, then pairs, fours and eights of them), each written lane by lane,
/// which the compiler makes unpack instructions: 64 of them for the 256 bytes, where a byte at
/// a time took a store each.
enum ByteTranspose {
    typealias B = SIMD16<UInt8>

    /// Interleaves the low (`high` false) or high halves of a and b in units of `T`.
    @inline(__always)
    static func zip<T: SIMDScalar & FixedWidthInteger>(_ a: B, _ b: B, _: T.Type, high: Bool) -> B {
        switch T.bitWidth {
        case 8:
            let o = high ? 8 : 0
            return B(
                a[o], b[o], a[o + 1], b[o + 1], a[o + 2], b[o + 2], a[o + 3], b[o + 3], a[o + 4], b[o + 4], a[o + 5],
                b[o + 5], a[o + 6], b[o + 6], a[o + 7], b[o + 7])
        case 16:
            let x = unsafeBitCast(a, to: SIMD8<UInt16>.self), y = unsafeBitCast(b, to: SIMD8<UInt16>.self)
            let o = high ? 4 : 0
            return unsafeBitCast(
                SIMD8(x[o], y[o], x[o + 1], y[o + 1], x[o + 2], y[o + 2], x[o + 3], y[o + 3]), to: B.self)
        case 32:
            let x = unsafeBitCast(a, to: SIMD4<UInt32>.self), y = unsafeBitCast(b, to: SIMD4<UInt32>.self)
            let o = high ? 2 : 0
            return unsafeBitCast(SIMD4(x[o], y[o], x[o + 1], y[o + 1]), to: B.self)
        default:
            let x = unsafeBitCast(a, to: SIMD2<UInt64>.self), y = unsafeBitCast(b, to: SIMD2<UInt64>.self)
            let o = high ? 1 : 0
            return unsafeBitCast(SIMD2(x[o], y[o]), to: B.self)
        }
    }

    /// rows[0..<16] turned round into columns[0..<16], every round's results held in
    /// registers (written out as values: through pointers, each round went to memory).
    @inline(__always)
    static func transpose(_ r: UnsafePointer<B>, into c: UnsafeMutablePointer<B>) {
        @inline(__always) func lo<T: SIMDScalar & FixedWidthInteger>(_ a: B, _ b: B, _ t: T.Type) -> B {
            zip(a, b, t, high: false)
        }
        @inline(__always) func hi<T: SIMDScalar & FixedWidthInteger>(_ a: B, _ b: B, _ t: T.Type) -> B {
            zip(a, b, t, high: true)
        }
        let (r0, r1, r2, r3, r4, r5, r6, r7) = (r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7])
        let (r8, r9, r10, r11, r12, r13, r14, r15) = (r[8], r[9], r[10], r[11], r[12], r[13], r[14], r[15])
        // Bytes of rows 2i and 2i + 1 interleaved, then pairs of bytes, then fours, then eights.
        let (a0, a1, a2, a3) = (
            lo(r0, r1, UInt8.self), hi(r0, r1, UInt8.self), lo(r2, r3, UInt8.self), hi(r2, r3, UInt8.self)
        )
        let (a4, a5, a6, a7) = (
            lo(r4, r5, UInt8.self), hi(r4, r5, UInt8.self), lo(r6, r7, UInt8.self), hi(r6, r7, UInt8.self)
        )
        let (a8, a9, a10, a11) = (
            lo(r8, r9, UInt8.self), hi(r8, r9, UInt8.self), lo(r10, r11, UInt8.self), hi(r10, r11, UInt8.self)
        )
        let (a12, a13, a14, a15) = (
            lo(r12, r13, UInt8.self), hi(r12, r13, UInt8.self), lo(r14, r15, UInt8.self), hi(r14, r15, UInt8.self)
        )
        let (b0, b1, b2, b3) = (
            lo(a0, a2, UInt16.self), hi(a0, a2, UInt16.self), lo(a1, a3, UInt16.self), hi(a1, a3, UInt16.self)
        )
        let (b4, b5, b6, b7) = (
            lo(a4, a6, UInt16.self), hi(a4, a6, UInt16.self), lo(a5, a7, UInt16.self), hi(a5, a7, UInt16.self)
        )
        let (b8, b9, b10, b11) = (
            lo(a8, a10, UInt16.self), hi(a8, a10, UInt16.self), lo(a9, a11, UInt16.self), hi(a9, a11, UInt16.self)
        )
        let (b12, b13, b14, b15) = (
            lo(a12, a14, UInt16.self), hi(a12, a14, UInt16.self), lo(a13, a15, UInt16.self), hi(a13, a15, UInt16.self)
        )
        let (d0, d1, d2, d3) = (
            lo(b0, b4, UInt32.self), hi(b0, b4, UInt32.self), lo(b1, b5, UInt32.self), hi(b1, b5, UInt32.self)
        )
        let (d4, d5, d6, d7) = (
            lo(b2, b6, UInt32.self), hi(b2, b6, UInt32.self), lo(b3, b7, UInt32.self), hi(b3, b7, UInt32.self)
        )
        let (d8, d9, d10, d11) = (
            lo(b8, b12, UInt32.self), hi(b8, b12, UInt32.self), lo(b9, b13, UInt32.self), hi(b9, b13, UInt32.self)
        )
        let (d12, d13, d14, d15) = (
            lo(b10, b14, UInt32.self), hi(b10, b14, UInt32.self), lo(b11, b15, UInt32.self), hi(b11, b15, UInt32.self)
        )
        (c[0], c[1]) = (lo(d0, d8, UInt64.self), hi(d0, d8, UInt64.self))
        (c[2], c[3]) = (lo(d1, d9, UInt64.self), hi(d1, d9, UInt64.self))
        (c[4], c[5]) = (lo(d2, d10, UInt64.self), hi(d2, d10, UInt64.self))
        (c[6], c[7]) = (lo(d3, d11, UInt64.self), hi(d3, d11, UInt64.self))
        (c[8], c[9]) = (lo(d4, d12, UInt64.self), hi(d4, d12, UInt64.self))
        (c[10], c[11]) = (lo(d5, d13, UInt64.self), hi(d5, d13, UInt64.self))
        (c[12], c[13]) = (lo(d6, d14, UInt64.self), hi(d6, d14, UInt64.self))
        (c[14], c[15]) = (lo(d7, d15, UInt64.self), hi(d7, d15, UInt64.self))
    }
}
