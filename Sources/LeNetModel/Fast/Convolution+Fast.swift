import LeNetCore

/// The fast path of `Convolution`: per sample, the input patches are unrolled into a matrix
/// (im2col: one row per kernel weight, one column per output position), so every inner loop
/// runs along all output positions at once: a long, vectorizable axpy or dot. Only the
/// (output, input) map pairs of the connection table are visited, as in the reference.
extension Convolution {
    /// Pairs each stretch of outW input pixels with its place in the unrolled matrix:
    /// col[(i·k + u)·k + v][r·outW + c] ↔ x[i][r + u][c + v], col rows `stride` floats apart.
    /// `body(inputOffset, colOffset)` is called once per stretch.
    @inline(__always)
    func forEachPatchRow(inH: Int, inW: Int, outH: Int, outW: Int, stride: Int, _ body: (Int, Int) -> Void) {
        let k = kernelSize
        for i in 0..<table.inputMaps {
            for u in 0..<k {
                for v in 0..<k {
                    let row = ((i * k + u) * k + v) * stride
                    for r in 0..<outH { body((i * inH + r + u) * inW + v, row + r * outW) }
                }
            }
        }
    }

    /// im2col: copies every receptive field into the unrolled matrix.
    @inline(__always)
    func unroll(_ input: UnsafePointer<Float>, inH: Int, inW: Int, outH: Int, outW: Int, stride: Int,
                into col: UnsafeMutablePointer<Float>) {
        forEachPatchRow(inH: inH, inW: inW, outH: outH, outW: outW, stride: stride) { x, c in
            (col + c).update(from: input + x, count: outW)
        }
    }

    /// The rows of the unrolled input that output map o reads: one block of k×k per
    /// connected input map.
    var unrolledRows: [[Range<Int>]] {
        let area = kernelSize * kernelSize
        return table.inputs.map { $0.map { $0 * area..<($0 + 1) * area } }
    }

    public func forwardFast(_ x: Tensor) -> Tensor {
        let n = x.shape[0], inH = x.shape[2], inW = x.shape[3], k = kernelSize, area = k * k
        let outH = inH - k + 1, outW = inW - k + 1, positions = outH * outW
        let outMaps = table.outputMaps, inMaps = table.inputMaps, rows = inMaps * area, full = table.isFull
        var y = Tensor(zeros: [n, outMaps, outH, outW])
        // Unrolled rows padded to a multiple of 16 positions: the padding stays zero, and the
        // sums run sixteen at a time with no scalar remainder.
        let padded = (positions + 15) / 16 * 16
        var col = [Float](repeating: 0, count: rows * padded)
        var sums = [Float](repeating: 0, count: padded)
        let unrolled = unrolledRows
        x.withPointer { xp in weight.withPointer { wp in y.withMutablePointer { yp in col.withUnsafeMutableBufferPointer { cb in sums.withUnsafeMutableBufferPointer { sb in
            let colp = cb.baseAddress!, sumsp = sb.baseAddress!
            for s in 0..<n {
                let input = xp + s * inMaps * inH * inW
                if positions == 1 {
                    // C5 on 32×32: each kernel covers its whole input, a dot product per map.
                    for o in 0..<outMaps {
                        var a = bias.scalars[o]
                        if full {
                            a += Kernels.dot(rows, wp + o * rows, input)
                        } else {
                            for i in table.inputs[o] { a += Kernels.dot(area, wp + (o * inMaps + i) * area, input + i * area) }
                        }
                        yp[s * outMaps + o] = activation(a)
                    }
                    continue
                }
                unroll(input, inH: inH, inW: inW, outH: outH, outW: outW, stride: padded, into: colp)
                for o in 0..<outMaps {
                    let out = yp + (s * outMaps + o) * positions
                    Kernels.weightedRows(padded, bias: bias.scalars[o], wp + o * rows, colp, unrolled[o], into: sumsp)
                    out.update(from: sumsp, count: positions)
                    Kernels.activate(activation, positions, out)
                }
            }
        } } } } }
        return y
    }

    /// For each input map, the output maps that read it, as runs of consecutive maps.
    var readers: [[Range<Int>]] {
        (0..<table.inputMaps).map { i in
            var runs: [Range<Int>] = []
            for o in 0..<table.outputMaps where table.connects(output: o, input: i) {
                if let last = runs.last, last.upperBound == o { runs[runs.count - 1] = last.lowerBound..<o + 1 } else { runs.append(o..<o + 1) }
            }
            return runs
        }
    }

    public func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor) -> (input: Tensor, parameters: [Tensor]) {
        let n = x.shape[0], inH = x.shape[2], inW = x.shape[3], k = kernelSize, area = k * k
        let outH = y.shape[2], outW = y.shape[3], positions = outH * outW
        let outMaps = table.outputMaps, inMaps = table.inputMaps, rows = inMaps * area, full = table.isFull
        // As in forwardFast, unrolled rows and ∂E/∂a maps are padded to 16 with zeros.
        let padded = (positions + 15) / 16 * 16
        var dx = Tensor(zeros: x.shape)
        var dw = Tensor(zeros: weight.shape)
        var db = Tensor(zeros: bias.shape)
        var col = [Float](repeating: 0, count: rows * padded)
        var dcol = [Float](repeating: 0, count: rows * padded)
        var da = [Float](repeating: 0, count: outMaps * padded)
        // wᵀ: for each unrolled row j, the weights of all output maps, so ∂E/∂col[j] is one
        // weighted sum of the ∂E/∂a maps that read it.
        // (Not needed when each map is a single unit, as C5's.)
        var transposed = [Float](repeating: 0, count: positions > 1 ? rows * outMaps : 0)
        if positions > 1 { for o in 0..<outMaps { for j in 0..<rows { transposed[j * outMaps + o] = weight.scalars[o * rows + j] } } }
        let readers = positions > 1 ? self.readers : []
        let readerMaps = readers.map { $0.flatMap { Array($0) } }
        x.withPointer { xp in y.withPointer { yp in dy.withPointer { dyp in weight.withPointer { wp in
        dx.withMutablePointer { dxp in dw.withMutablePointer { dwp in db.withMutablePointer { dbp in
        col.withUnsafeMutableBufferPointer { cb in dcol.withUnsafeMutableBufferPointer { dcb in da.withUnsafeMutableBufferPointer { dab in
        transposed.withUnsafeBufferPointer { tb in
            let colp = cb.baseAddress!, dcolp = dcb.baseAddress!, dap = dab.baseAddress!
            let wtp = tb.baseAddress ?? UnsafePointer(dap)
            for s in 0..<n {
                let input = xp + s * inMaps * inH * inW, dInput = dxp + s * inMaps * inH * inW
                // ∂E/∂a = ∂E/∂y · f′, map by map.
                for o in 0..<outMaps {
                    let at = (s * outMaps + o) * positions
                    Kernels.slope(activation, positions, dyp + at, yp + at, dap + o * padded)
                    var sum: Float = 0
                    for p in 0..<positions { sum += dap[o * padded + p] }
                    dbp[o] += sum
                }
                if positions == 1 {
                    for o in 0..<outMaps {
                        let g = dap[o * padded]
                        if full {
                            Kernels.axpy(rows, g, input, dwp + o * rows)
                            Kernels.axpy(rows, g, wp + o * rows, dInput)
                            continue
                        }
                        for i in table.inputs[o] {
                            Kernels.axpy(area, g, input + i * area, dwp + (o * inMaps + i) * area)
                            Kernels.axpy(area, g, wp + (o * inMaps + i) * area, dInput + i * area)
                        }
                    }
                    continue
                }
                unroll(input, inH: inH, inW: inW, outH: outH, outW: outW, stride: padded, into: colp)
                // ∂E/∂w[o][j] = Σ_p ∂E/∂a[o][p]·col[j][p], four output maps per pass over row j.
                for i in 0..<inMaps {
                    let maps = readerMaps[i]
                    for j in i * area..<(i + 1) * area {
                        let row = colp + j * padded
                        var m = 0
                        while m + 4 <= maps.count {
                            let d = Kernels.dot4(padded, row, dap + maps[m] * padded, dap + maps[m + 1] * padded,
                                                 dap + maps[m + 2] * padded, dap + maps[m + 3] * padded)
                            for q in 0..<4 { dwp[maps[m + q] * rows + j] += d[q] }
                            m += 4
                        }
                        while m < maps.count {
                            dwp[maps[m] * rows + j] += Kernels.dot(padded, dap + maps[m] * padded, row)
                            m += 1
                        }
                    }
                }
                for i in 0..<inMaps {
                    for j in i * area..<(i + 1) * area {
                        Kernels.weightedRows(padded, bias: 0, wtp + j * outMaps, dap, readers[i], into: dcolp + j * padded)
                    }
                }
                // col2im: each unrolled gradient goes back to the input pixel it came from.
                forEachPatchRow(inH: inH, inW: inW, outH: outH, outW: outW, stride: padded) { x, c in
                    let dst = dInput + x, src = dcolp + c
                    for q in 0..<outW { dst[q] += src[q] }
                }
            }
        } } } } } } } } } } }
        return (dx, [dw, db])
    }
}
