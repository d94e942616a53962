import LeNetCore

/// The fast path of `FullyConnected`: a dot product per unit forward, axpys backward.
extension FullyConnected {
    public func forwardFast(_ x: Tensor) -> Tensor {
        let n = x.shape[0]
        var y = Tensor(zeros: [n, outputs])
        x.withPointer { xp in weight.withPointer { wp in y.withMutablePointer { yp in
            for s in 0..<n {
                for o in 0..<outputs {
                    yp[s * outputs + o] = bias.scalars[o] + Kernels.dot(inputs, wp + o * inputs, xp + s * inputs)
                }
                Kernels.activate(activation, outputs, yp + s * outputs)
            }
        } } }
        return y
    }

    public func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor) -> (input: Tensor, parameters: [Tensor]) {
        let n = x.shape[0]
        var dx = Tensor(zeros: x.shape), dw = Tensor(zeros: weight.shape), db = Tensor(zeros: bias.shape)
        var da = [Float](repeating: 0, count: outputs)
        x.withPointer { xp in y.withPointer { yp in dy.withPointer { dyp in weight.withPointer { wp in
            dx.withMutablePointer { dxp in dw.withMutablePointer { dwp in da.withUnsafeMutableBufferPointer { dab in
                let dap = dab.baseAddress!
                for s in 0..<n {
                    Kernels.slope(activation, outputs, dyp + s * outputs, yp + s * outputs, dap)
                    for o in 0..<outputs {
                        db.scalars[o] += dap[o]
                        Kernels.axpy(inputs, dap[o], xp + s * inputs, dwp + o * inputs)
                        Kernels.axpy(inputs, dap[o], wp + o * inputs, dxp + s * inputs)
                    }
                }
            } } }
        } } } }
        return (dx, [dw, db])
    }
}
