import LeNetCore

/// The fast path of `Convolution`: the same sums as `forward` and `backward`, ordered so that
/// the innermost loop runs along a row of contiguous floats (a vectorizable axpy or dot).
extension Convolution {
    public func forwardFast(_ x: Tensor) -> Tensor {
        let n = x.shape[0], inH = x.shape[2], inW = x.shape[3], k = kernelSize
        let outH = inH - k + 1, outW = inW - k + 1, outMaps = table.outputMaps, inMaps = table.inputMaps
        var y = Tensor(zeros: [n, outMaps, outH, outW])
        x.withPointer { xp in
            weight.withPointer { wp in
                y.withMutablePointer { yp in
                    for s in 0..<n {
                        for o in 0..<outMaps {
                            let out = yp + (s * outMaps + o) * outH * outW
                            for q in 0..<outH * outW { out[q] = bias.scalars[o] }
                            for i in table.inputs[o] {
                                let input = xp + (s * inMaps + i) * inH * inW
                                let kernel = wp + (o * inMaps + i) * k * k
                                if outH == 1 && outW == 1 && inW == k {
                                    // C5: the kernel covers the whole map, a single dot product.
                                    out[0] += Kernels.dot(k * k, kernel, input)
                                    continue
                                }
                                for u in 0..<k {
                                    for v in 0..<k {
                                        let w = kernel[u * k + v]
                                        for r in 0..<outH {
                                            Kernels.axpy(outW, w, input + (r + u) * inW + v, out + r * outW)
                                        }
                                    }
                                }
                            }
                            Kernels.activate(activation, outH * outW, out)
                        }
                    }
                }
            }
        }
        return y
    }

    public func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor) -> (input: Tensor, parameters: [Tensor]) {
        let n = x.shape[0], inH = x.shape[2], inW = x.shape[3], k = kernelSize
        let outH = y.shape[2], outW = y.shape[3], outMaps = table.outputMaps, inMaps = table.inputMaps
        let area = outH * outW
        var dx = Tensor(zeros: x.shape)
        var dw = Tensor(zeros: weight.shape)
        var db = Tensor(zeros: bias.shape)
        var da = [Float](repeating: 0, count: area)
        x.withPointer { xp in y.withPointer { yp in dy.withPointer { dyp in weight.withPointer { wp in
            dx.withMutablePointer { dxp in dw.withMutablePointer { dwp in
                da.withUnsafeMutableBufferPointer { dab in
                    let dap = dab.baseAddress!
                    for s in 0..<n {
                        for o in 0..<outMaps {
                            let base = (s * outMaps + o) * area
                            Kernels.slope(activation, area, dyp + base, yp + base, dap)
                            var sum: Float = 0
                            for q in 0..<area { sum += dap[q] }
                            db.scalars[o] += sum
                            for i in table.inputs[o] {
                                let input = xp + (s * inMaps + i) * inH * inW
                                let dInput = dxp + (s * inMaps + i) * inH * inW
                                let kernel = wp + (o * inMaps + i) * k * k
                                let dKernel = dwp + (o * inMaps + i) * k * k
                                for u in 0..<k {
                                    for v in 0..<k {
                                        var g: Float = 0
                                        for r in 0..<outH {
                                            g += Kernels.dot(outW, dap + r * outW, input + (r + u) * inW + v)
                                            Kernels.axpy(outW, kernel[u * k + v], dap + r * outW, dInput + (r + u) * inW + v)
                                        }
                                        dKernel[u * k + v] += g
                                    }
                                }
                            }
                        }
                    }
                }
            } }
        } } } }
        return (dx, [dw, db])
    }
}
