import LeNetKernels

/// `MatrixProduct` with sixteen floats per register, compiled for AVX-512 (this module's
/// build flags): blocks of 6 rows × 32 columns in twelve 512-bit registers. Call it only on a
/// CPU that has AVX-512 (`Kernels` in LeNetModel asks the CPU once); anywhere else its
/// instructions trap. Not inlined, so that its callers, built for AVX2, never compile it.
public enum WideProducts {
    @inline(never)
    public static func multiply(
        m: Int, n: Int, k: Int, _ a: Strided, _ b: Rows, readable: Bool,
        into c: Destination, start: ProductStart, order: UnsafePointer<Int>?, disjoint: Int = 1
    ) {
        MatrixProduct<SIMD16<Float>>.multiply(
            m: m, n: n, k: k, a, b, readable: readable, into: c, start: start, order: order, disjoint: disjoint)
    }

    @inline(never)
    public static func positionRows(
        count: Int, at: UnsafePointer<Int>, input: UnsafePointer<Float>, offsets: UnsafePointer<Int>, k: Int,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>
    ) {
        MatrixProduct<SIMD16<Float>>.positionRows(
            count: count, at: at, input: input, offsets: offsets, k: k, weights: weights, bias: bias, into: out)
    }

    @inline(never)
    public static func multiplyAddRounds(_ rounds: Int, factor: Float, term: Float) -> Float {
        MatrixProduct<SIMD16<Float>>.multiplyAddRounds(rounds, factor: factor, term: term)
    }

    /// `VectorTanh.apply` in sixteen-wide registers, two chains at a time.
    @inline(never)
    public static func squash(_ n: Int, _ a: UnsafeMutablePointer<Float>, outer: Float, inner: Float) -> Int {
        VectorTanh.apply(n, a, outer: outer, inner: inner, wide: true)
    }

    /// `squash` with scales of 1 (tanh itself), in a copy of its own whose multiplications
    /// by 1 the compiler drops (x·1 is x, bit for bit).
    @inline(never)
    public static func tanh(_ n: Int, _ a: UnsafeMutablePointer<Float>) -> Int {
        VectorTanh.apply(n, a, outer: 1, inner: 1, wide: true)
    }
}

extension WideProducts {
    /// `LaneDots.lanes`: rows (at most 16) of `stride` floats laid lane by lane, k columns.
    @inline(never)
    public static func lanes(
        from: UnsafePointer<Float>, rows: Int, stride: Int, k: Int, into to: UnsafeMutablePointer<Float>
    ) {
        LaneDots.lanes(from: from, rows: rows, stride: stride, k: k, into: to)
    }

    /// `LaneDots.rows`: lanes laid as rows of `stride` floats, `count` columns of `rows` of them.
    @inline(never)
    public static func rows(
        from: UnsafePointer<Float>, count: Int, rows: Int, into to: UnsafeMutablePointer<Float>, stride: Int
    ) {
        LaneDots.rows(from: from, count: count, rows: rows, into: to, stride: stride)
    }

    /// `LaneDots.multiply`: 16 dot products at once, as the AVX2 dot products sum them.
    @inline(never)
    public static func laneDots(
        rows: Int, k: Int, lanes: Int, daT: UnsafePointer<Float>, daStride: Int, _ u: Rows, uStride: Int,
        samples: Int, into c: UnsafeMutablePointer<Float>, ldc: Int, live: LiveColumns? = nil
    ) {
        LaneDots.multiply(
            rows: rows, k: k, lanes: lanes, daT: daT, daStride: daStride, u, uStride: uStride, samples: samples,
            into: c, ldc: ldc, live: live)
    }
}

extension WideProducts {
    /// `MatrixProduct.sweep` (a dense layer's online backward pass and step) sixteen wide.
    @inline(never)
    public static func sweep(
        outputs: Int, inputs: Int, da: UnsafePointer<Float>, x: UnsafePointer<Float>,
        weight: UnsafeMutablePointer<Float>, rates: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
        step: Bool = true
    ) {
        MatrixProduct<SIMD16<Float>>.sweep(
            outputs: outputs, inputs: inputs, da: da, x: x, weight: weight, rates: rates, dx: dx, step: step)
    }
}

extension WideProducts {
    /// `MatrixProduct.addShifted` (a convolution's ∂E/∂x gathered from its rows) sixteen wide.
    @inline(never)
    public static func addShifted(
        count: Int, rows: UnsafePointer<Float>, rowStride: Int, lead: Int, shifts: UnsafePointer<Int>, terms: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        MatrixProduct<SIMD16<Float>>.addShifted(
            count: count, rows: rows, rowStride: rowStride, lead: lead, shifts: shifts, terms: terms, into: out)
    }
}

extension WideProducts {
    /// `PairDots.multiply`: a convolution's ∂E/∂w two maps to a register, or a dense layer's
    /// outputs two samples to a register, as the AVX2 dot products sum them.
    @inline(never)
    public static func pairDots(
        pairs: Int, columns: Int, k: Int, _ da: UnsafePointer<Float>, pairStride: Int, _ u: Rows, uStride: Int,
        samples: Int, into c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        PairDots.multiply(
            pairs: pairs, columns: columns, k: k, da, pairStride: pairStride, u, uStride: uStride, samples: samples,
            into: c, ldc: ldc)
    }
}

extension WideProducts {
    /// `MatrixProduct.laneConvolution` in sixteen-wide registers: one register per unit of
    /// sixteen samples.
    @inline(never)
    public static func laneConvolution(
        inMaps: Int, inH: Int, inW: Int, kernel k: Int, outMaps: Int, input: UnsafePointer<Float>,
        weights: UnsafePointer<Float>, bias: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
        rows: Range<Int>? = nil
    ) {
        MatrixProduct<SIMD16<Float>>.laneConvolution(
            inMaps: inMaps, inH: inH, inW: inW, kernel: k, outMaps: outMaps, input: input, weights: weights,
            bias: bias, into: out, rows: rows)
    }

    /// `MatrixProduct.laneInputGradient`, blocks of 6 input maps × 2 columns.
    @inline(never)
    public static func laneInputGradient(
        inMaps: Int, inH: Int, inW: Int, kernel k: Int, outMaps: Int, da: UnsafePointer<Float>, rowStride: Int,
        mapStride: Int, weights: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>
    ) {
        MatrixProduct<SIMD16<Float>>.laneInputGradient(
            inMaps: inMaps, inH: inH, inW: inW, kernel: k, outMaps: outMaps, da: da, rowStride: rowStride,
            mapStride: mapStride, weights: weights, into: dx)
    }
}
