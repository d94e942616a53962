/// A dense layer's backward pass and step for one sample (the paper's online training), in
/// one sweep over the weights, written once for any vector width as `MatrixProduct`.
extension MatrixProduct {
    /// For each column j of the weights (outputs × inputs, row-major), in stretches of eight
    /// registers, then four or fewer: dx[j] = Σ_o da[o]·w[o, j], a chain of fused multiply-adds
    /// over o in order from zero with the weights before the step, and the step w[o, j] ←
    /// w[o, j] − rates[o, j]·(da[o]·x[j]), a product then a difference, each rounded. Each
    /// weight is read once and written once; no gradient is stored. dx is not written when
    /// nil; the weights are not stepped when `step` is false. Split in two, a call with `dx`
    /// and no step then one with the step and no `dx` computes the same numbers as one call
    /// with both (online training on two cores hands ∂E/∂x over between the two). Every
    /// number is computed alike at any width, so the AVX2 and AVX-512 builds agree
    /// bit for bit. (The weights and rates come from L2, C5's 384 KB of them every step: eight
    /// registers stream 512 bytes of a row at a time, and C5's backward pass took 9% less time
    /// than with four; twelve ran out of registers.)
    @inlinable
    public static func sweep(
        outputs: Int, inputs: Int, da: UnsafePointer<Float>, x: UnsafePointer<Float>,
        weight: UnsafeMutablePointer<Float>, rates: UnsafePointer<Float>, dx: UnsafeMutablePointer<Float>?,
        step: Bool = true
    ) {
        let width = V.scalarCount
        var j = 0
        while j + 8 * width <= inputs {
            sweepBlock(
                InlineArray<8, V>(repeating: V()), at: j, outputs: outputs, inputs: inputs, da: da, x: x,
                weight: weight, rates: rates, dx: dx, step: step)
            j += 8 * width
        }
        while j + 4 * width <= inputs {
            sweepBlock(
                InlineArray<4, V>(repeating: V()), at: j, outputs: outputs, inputs: inputs, da: da, x: x,
                weight: weight, rates: rates, dx: dx, step: step)
            j += 4 * width
        }
        switch (inputs - j) / width {
        case 3:
            sweepBlock(
                InlineArray<3, V>(repeating: V()), at: j, outputs: outputs, inputs: inputs, da: da, x: x,
                weight: weight, rates: rates, dx: dx, step: step)
        case 2:
            sweepBlock(
                InlineArray<2, V>(repeating: V()), at: j, outputs: outputs, inputs: inputs, da: da, x: x,
                weight: weight, rates: rates, dx: dx, step: step)
        case 1:
            sweepBlock(
                InlineArray<1, V>(repeating: V()), at: j, outputs: outputs, inputs: inputs, da: da, x: x,
                weight: weight, rates: rates, dx: dx, step: step)
        default: break
        }
        j += (inputs - j) / width * width
        // Eight more columns in half a wide register (F6's 120 inputs leave 8 after 16-wide ones).
        if width > 8 && j + 8 <= inputs {
            MatrixProduct<SIMD8<Float>>.sweepBlock(
                InlineArray<1, SIMD8<Float>>(repeating: .zero), at: j, outputs: outputs, inputs: inputs, da: da,
                x: x, weight: weight, rates: rates, dx: dx, step: step)
            j += 8
        }
        while j < inputs {
            var sum: Float = 0
            for o in 0..<outputs {
                let old = weight[o * inputs + j]
                sum = sum.addingProduct(da[o], old)
                if step { weight[o * inputs + j] = old - rates[o * inputs + j] * (da[o] * x[j]) }
            }
            dx?[j] = sum
            j += 1
        }
    }

    /// Columns at ..< at + R·V.scalarCount of `sweep` (not inlined, as `rowBlock`; the array
    /// only carries R).
    @inlinable @inline(never)
    static func sweepBlock<let R: Int>(
        _: InlineArray<R, V>, at j: Int, outputs: Int, inputs: Int, da: UnsafePointer<Float>,
        x: UnsafePointer<Float>, weight: UnsafeMutablePointer<Float>, rates: UnsafePointer<Float>,
        dx: UnsafeMutablePointer<Float>?, step: Bool
    ) {
        let bytes = 4 * V.scalarCount
        let xv = InlineArray<R, V> { UnsafeRawPointer(x + j).loadUnaligned(fromByteOffset: bytes * $0, as: V.self) }
        var sum = InlineArray<R, V>(repeating: V())
        for o in 0..<outputs {
            let w = UnsafeMutableRawPointer(weight + o * inputs + j), e = UnsafeRawPointer(rates + o * inputs + j)
            let d = V(repeating: da[o])
            for r in 0..<R {
                let old = w.loadUnaligned(fromByteOffset: bytes * r, as: V.self)
                sum[r].addProduct(d, old)
                if step {
                    let change = e.loadUnaligned(fromByteOffset: bytes * r, as: V.self) * (d * xv[r])
                    w.storeBytes(of: old - change, toByteOffset: bytes * r, as: V.self)
                }
            }
        }
        if let dx {
            for r in 0..<R {
                UnsafeMutableRawPointer(dx + j).storeBytes(of: sum[r], toByteOffset: bytes * r, as: V.self)
            }
        }
    }
}

/// A convolution's ∂E/∂x from the rows of ∂E/∂unrolled (one row per kernel position, each
/// laid out on the input-wide grid): every input gathers the rows that read it, in order.
extension MatrixProduct {
    /// out[q] = Σ over t < terms, in order from zero, of rows[t·rowStride + lead + q − shifts[t]]
    /// for q < count: row t is read `shifts[t]` (≤ lead) floats back, the `lead` floats
    /// before each row's values and those after them being zeros. Input q of a map gets the
    /// same sum as when each row is added in turn onto the input where it was read from (rows
    /// by kernel position t): the terms past a row's ends are zeros, which leave a sum as it
    /// is. Four registers of inputs at a time, each a chain over t, then one, then one float.
    @inlinable
    public static func addShifted(
        count: Int, rows: UnsafePointer<Float>, rowStride: Int, lead: Int, shifts: UnsafePointer<Int>, terms: Int,
        into out: UnsafeMutablePointer<Float>
    ) {
        let width = V.scalarCount
        var q = 0
        while q + 4 * width <= count {
            addShiftedBlock(
                InlineArray<4, V>(repeating: V()), at: q, rows: rows, rowStride: rowStride, lead: lead,
                shifts: shifts, terms: terms, into: out)
            q += 4 * width
        }
        while q + width <= count {
            addShiftedBlock(
                InlineArray<1, V>(repeating: V()), at: q, rows: rows, rowStride: rowStride, lead: lead,
                shifts: shifts, terms: terms, into: out)
            q += width
        }
        while q < count {
            var sum: Float = 0
            for t in 0..<terms { sum += rows[t &* rowStride &+ lead &+ q &- shifts[t]] }
            out[q] = sum
            q += 1
        }
    }

    /// Inputs q ..< q + R·V.scalarCount of `addShifted`.
    @inlinable @inline(__always)
    static func addShiftedBlock<let R: Int>(
        _ start: InlineArray<R, V>, at q: Int, rows: UnsafePointer<Float>, rowStride: Int, lead: Int,
        shifts: UnsafePointer<Int>, terms: Int, into out: UnsafeMutablePointer<Float>
    ) {
        let bytes = 4 * V.scalarCount
        var sums = start
        for t in 0..<terms {
            let row = UnsafeRawPointer(rows + (t &* rowStride &+ lead &+ q &- shifts[t]))
            for r in 0..<R { sums[r] += row.loadUnaligned(fromByteOffset: bytes * r, as: V.self) }
        }
        for r in 0..<R { UnsafeMutableRawPointer(out + q).storeBytes(of: sums[r], toByteOffset: bytes * r, as: V.self) }
    }
}
