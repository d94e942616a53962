import LeNetCore

/// Layers whose every unit sees the whole input (F6, the keras output, and C5, whose 5×5
/// kernels cover its whole 5×5 input) as matrix products over the batch, so each weight
/// loaded serves several samples.
enum Dense {
    /// y = f(x · wᵀ + b) for x (n × inputs), w (outputs × inputs); y shaped `shape`.
    static func forward(_ x: Tensor, weight: Tensor, bias: Tensor, activation: Activation, shape: [Int]) -> Tensor {
        let n = x.shape[0], outputs = bias.count, inputs = weight.count / outputs
        var y = Tensor(unfilled: shape)
        x.withPointer { xp in
            weight.withPointer { wp in
                y.withMutablePointer { yp in
                    Kernels.withRows(wp, count: outputs, stride: inputs) { w in
                        Kernels.multiplyTransposed(
                            m: n, n: outputs, k: inputs, xp, lda: inputs, w, into: yp, ldc: outputs, accumulate: false)
                    }
                    for s in 0..<n {
                        for o in 0..<outputs { yp[s * outputs + o] += bias.scalars[o] }
                        Kernels.activate(activation, outputs, yp + s * outputs)
                    }
                }
            }
        }
        return y
    }

    /// ∂E/∂x = ∂E/∂a · w and ∂E/∂w = (∂E/∂a)ᵀ · x, summed over the batch by the products
    /// themselves; ∂E/∂x is left zero unless `inputGradient`.
    static func backward(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, weight: Tensor, activation: Activation,
        inputGradient: Bool
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let n = x.shape[0], outputs = y.count / n, inputs = weight.count / outputs
        var dx = inputGradient ? Tensor(unfilled: x.shape) : Tensor(zeros: x.shape),
            dw = Tensor(unfilled: weight.shape), db = Tensor(zeros: [outputs])
        var da = [Float](repeating: 0, count: n * outputs)
        x.withPointer { xp in
            y.withPointer { yp in
                dy.withPointer { dyp in
                    weight.withPointer { wp in
                        dx.withMutablePointer { dxp in
                            dw.withMutablePointer { dwp in
                                da.withUnsafeMutableBufferPointer { dab in
                                    let dap = dab.baseAddress!
                                    Kernels.slope(activation, n * outputs, dyp, yp, dap)
                                    for s in 0..<n {
                                        for o in 0..<outputs { db.scalars[o] += dap[s * outputs + o] }
                                    }
                                    Kernels.withRows(xp, count: n, stride: inputs) { x in
                                        Kernels.multiply(
                                            m: outputs, n: inputs, k: n,
                                            .init(base: dap, rowStride: 1, columnStride: outputs), x, readable: false,
                                            into: .init(base: dwp, stride: inputs), start: .zero)
                                    }
                                    if inputGradient {
                                        Kernels.withRows(wp, count: outputs, stride: inputs) { w in
                                            Kernels.multiply(
                                                m: n, n: inputs, k: outputs,
                                                .init(base: dap, rowStride: outputs, columnStride: 1), w,
                                                readable: false,
                                                into: .init(base: dxp, stride: inputs), start: .zero)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx, dw, db)
    }
}

extension FullyConnected {
    public func forwardFast(_ x: Tensor) -> Tensor {
        Dense.forward(x, weight: weight, bias: bias, activation: activation, shape: [x.shape[0], outputs])
    }

    public func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        let (dx, dw, db) = Dense.backward(
            input: x, output: y, gradient: dy, weight: weight, activation: activation, inputGradient: inputGradient)
        return (dx, [dw, db])
    }
}
