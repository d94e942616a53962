import LeNetCore

/// The fast path of `RBFOutput`: the same sums over raw buffers, eight inputs at a time.
extension RBFOutput {
    public func forwardFast(_ x: Tensor, into y: inout Tensor) {
        let n = x.shape[0]
        y.prepare(n, classes)
        x.withPointer { xp in
            centers.withPointer { wp in
                y.withMutablePointer { yp in
                    for s in 0..<n {
                        for i in 0..<classes { yp[s * classes + i] = squaredDistance(xp + s * inputs, wp + i * inputs) }
                    }
                }
            }
        }
    }

    /// Σ_j (x[j] − w[j])² over the layer's inputs.
    @inline(__always)
    func squaredDistance(_ x: UnsafePointer<Float>, _ w: UnsafePointer<Float>) -> Float {
        var sums = SIMD8<Float>()
        var j = 0
        while j + 8 <= inputs {
            let d =
                UnsafeRawPointer(x + j).loadUnaligned(as: SIMD8<Float>.self)
                - UnsafeRawPointer(w + j).loadUnaligned(as: SIMD8<Float>.self)
            sums.addProduct(d, d)
            j += 8
        }
        var sum = sums.sum()
        while j < inputs { sum += (x[j] - w[j]) * (x[j] - w[j]); j += 1 }
        return sum
    }

    /// ∂E/∂x[j] = Σ_i ∂E/∂y[i] · 2(x[j] − w[i,j]) = 2(x[j]·Σ_i ∂E/∂y[i] − Σ_i ∂E/∂y[i]·w[i,j]).
    public func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        var dx = Tensor.empty
        inputGradientFast(input: x, gradient: dy, into: &dx)
        return (dx, [Tensor(zeros: centers.shape)])
    }

    /// One sample: ∂E/∂x alone, as the centres are fixed and have no step.
    public mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor
    ) {
        guard path == .fast else {
            return backwardThenStep(
                input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient, rates: rates, into: &dx)
        }
        inputGradientFast(input: x, gradient: dy, into: &dx)
    }

    /// ∂E/∂x[j] = Σ_i ∂E/∂y[i] · 2(x[j] − w[i,j]) = 2(x[j]·Σ_i ∂E/∂y[i] − Σ_i ∂E/∂y[i]·w[i,j]).
    func inputGradientFast(input x: Tensor, gradient dy: Tensor, into dx: inout Tensor) {
        let n = x.shape[0]
        dx.prepare(x.shape)
        x.withPointer { xp in
            centers.withPointer { wp in
                dy.withPointer { dyp in
                    dx.withMutablePointer { dxp in
                        for s in 0..<n {
                            let g = dyp + s * classes, out = dxp + s * inputs, input = xp + s * inputs
                            var total: Float = 0
                            for i in 0..<classes { total += g[i] }
                            for j in 0..<inputs { out[j] = total * input[j] }
                            for i in 0..<classes {
                                let gi = g[i], row = wp + i * inputs
                                for j in 0..<inputs { out[j] -= gi * row[j] }
                            }
                            for j in 0..<inputs { out[j] *= 2 }
                        }
                    }
                }
            }
        }
    }
}
