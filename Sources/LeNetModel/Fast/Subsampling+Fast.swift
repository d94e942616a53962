import LeNetCore

/// The fast path of `Subsampling`: pointer loops over each map.
extension Subsampling {
    public func forwardFast(_ x: Tensor) -> Tensor {
        let n = x.shape[0], inH = x.shape[2], inW = x.shape[3]
        let outH = inH / 2, outW = inW / 2
        var y = Tensor(zeros: [n, maps, outH, outW])
        x.withPointer { xp in
            y.withMutablePointer { yp in
                for s in 0..<n {
                    for c in 0..<maps {
                        let input = xp + (s * maps + c) * inH * inW
                        let out = yp + (s * maps + c) * outH * outW
                        let β = coefficient.scalars[c], b = bias.scalars[c]
                        for r in 0..<outH {
                            let top = input + 2 * r * inW, bottom = top + inW
                            for q in 0..<outW {
                                out[r * outW + q] = β * (top[2 * q] + top[2 * q + 1] + bottom[2 * q] + bottom[2 * q + 1]) + b
                            }
                        }
                        Kernels.activate(activation, outH * outW, out)
                    }
                }
            }
        }
        return y
    }

    public func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool) -> (input: Tensor, parameters: [Tensor]) {
        let n = x.shape[0], inH = x.shape[2], inW = x.shape[3], outH = y.shape[2], outW = y.shape[3]
        var dx = Tensor(zeros: x.shape)
        var dβ = Tensor(zeros: [maps]), db = Tensor(zeros: [maps])
        var da = [Float](repeating: 0, count: outH * outW)
        x.withPointer { xp in y.withPointer { yp in dy.withPointer { dyp in dx.withMutablePointer { dxp in
            da.withUnsafeMutableBufferPointer { dab in
                let dap = dab.baseAddress!
                for s in 0..<n {
                    for c in 0..<maps {
                        let base = (s * maps + c) * outH * outW
                        Kernels.slope(activation, outH * outW, dyp + base, yp + base, dap)
                        let input = xp + (s * maps + c) * inH * inW
                        let dInput = dxp + (s * maps + c) * inH * inW
                        let β = coefficient.scalars[c]
                        var gβ: Float = 0, gb: Float = 0
                        for r in 0..<outH {
                            let top = input + 2 * r * inW, bottom = top + inW
                            let dTop = dInput + 2 * r * inW, dBottom = dTop + inW
                            for q in 0..<outW {
                                let g = dap[r * outW + q]
                                gβ += g * (top[2 * q] + top[2 * q + 1] + bottom[2 * q] + bottom[2 * q + 1])
                                gb += g
                                let d = g * β
                                dTop[2 * q] = d; dTop[2 * q + 1] = d; dBottom[2 * q] = d; dBottom[2 * q + 1] = d
                            }
                        }
                        dβ.scalars[c] += gβ
                        db.scalars[c] += gb
                    }
                }
            }
        } } } }
        return (dx, trainable ? [dβ, db] : [])
    }
}
