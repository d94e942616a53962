import LeNetCore

/// Layers whose every unit sees the whole input (F6, the keras output, and C5, whose 5×5
/// kernels cover its whole 5×5 input) as matrix products over the batch, so each weight
/// loaded serves several samples.
public enum Dense {
    /// y = f(x · wᵀ + b) for x (n × inputs), w (outputs × inputs), into y (prepared by the
    /// caller: n × outputs numbers).
    static func forward(_ x: Tensor, weight: Tensor, bias: Tensor, activation: Activation, into y: inout Tensor) {
        let n = x.shape[0], outputs = bias.count, inputs = weight.count / outputs
        precondition(y.count == n * outputs)
        x.withPointer { xp in
            weight.withPointer { wp in
                y.withMutablePointer { yp in
                    Kernels.withRows(wp, count: outputs, stride: inputs) { w in
                        if ProductKernels.selected == .avx512 && inputs % 8 == 0 && n >= 2 {
                            Kernels.sampleDots(n: n, inputs: inputs, outputs: outputs, xp, w, into: yp)
                        } else {
                            Kernels.multiplyTransposed(
                                m: n, n: outputs, k: inputs, xp, lda: inputs, w, into: yp, ldc: outputs,
                                accumulate: false)
                        }
                    }
                    // Through pointers, so that the loop over the outputs is a vector loop (an
                    // array's subscript checks its bounds at every step).
                    bias.withPointer { bp in
                        for s in 0..<n {
                            let row = yp + s * outputs
                            for o in 0..<outputs { row[o] += bp[o] }
                        }
                    }
                    Kernels.activate(activation, runs: n, of: outputs, yp)
                }
            }
        }
    }

    /// ∂E/∂x = ∂E/∂a · w and ∂E/∂w = (∂E/∂a)ᵀ · x, summed over the batch by the products
    /// themselves; ∂E/∂x is left zero unless `inputGradient`.
    static func backward(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, weight: Tensor, activation: Activation,
        inputGradient: Bool
    ) -> (input: Tensor, weight: Tensor, bias: Tensor) {
        let n = x.shape[0], outputs = y.count / n, inputs = weight.count / outputs
        let (dx, db, da) = backwardLeavingWeights(
            input: x, output: y, gradient: dy, weight: weight, activation: activation, inputGradient: inputGradient)
        var dw = Tensor(unfilled: weight.shape)
        x.withPointer { xp in
            da.withPointer { dap in
                dw.withMutablePointer { dwp in
                    weightRows(
                        0..<outputs, slopes: dap, input: xp, samples: n, outputs: outputs, inputs: inputs, into: dwp)
                }
            }
        }
        return (dx, dw, db)
    }

    /// `backward` without ∂E/∂w: ∂E/∂x (zeros unless `inputGradient`), ∂E/∂b, and the slopes
    /// ∂E/∂a = ∂E/∂y · f′ (n × outputs) from which `weightRows` makes ∂E/∂w.
    static func backwardLeavingWeights(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, weight: Tensor, activation: Activation,
        inputGradient: Bool
    ) -> (input: Tensor, bias: Tensor, slopes: Tensor) {
        let n = x.shape[0], outputs = y.count / n, inputs = weight.count / outputs
        var dx = inputGradient ? Tensor(unfilled: x.shape) : Tensor(zeros: x.shape), db = Tensor(zeros: [outputs])
        var da = Tensor(unfilled: [n, outputs])
        y.withPointer { yp in
            dy.withPointer { dyp in
                weight.withPointer { wp in
                    dx.withMutablePointer { dxp in
                        da.withMutablePointer { dap in
                            Kernels.slope(activation, n * outputs, dyp, yp, dap)
                            // ∂E/∂b sums each output's ∂E/∂a over the samples in order, all the
                            // outputs at once (a vector loop, through pointers).
                            db.withMutablePointer { dbp in
                                for s in 0..<n {
                                    let row = dap + s * outputs
                                    for o in 0..<outputs { dbp[o] += row[o] }
                                }
                            }
                            if inputGradient {
                                Kernels.withRows(wp, count: outputs, stride: inputs) { w in
                                    Kernels.multiply(
                                        m: n, n: inputs, k: outputs,
                                        .init(base: dap, rowStride: outputs, columnStride: 1), w, readable: false,
                                        into: .init(base: dxp, stride: inputs), start: .zero)
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx, db, da)
    }

    /// Rows `rows` of ∂E/∂w (those output units: rows.count × inputs numbers into `dw`) from
    /// a backward pass's slopes ∂E/∂a (n × outputs) and inputs (n × inputs): each entry sums
    /// ∂E/∂a[s, o]·x[s, j] over the samples as the whole product does, whichever rows are
    /// asked for (a batch's merge shares the rows among cores: `LeNet5.gradientsAndStep`).
    public static func weightRows(
        _ rows: Range<Int>, slopes da: UnsafePointer<Float>, input x: UnsafePointer<Float>, samples n: Int,
        outputs: Int, inputs: Int, into dw: UnsafeMutablePointer<Float>
    ) {
        Kernels.withRows(x, count: n, stride: inputs) { x in
            Kernels.multiply(
                m: rows.count, n: inputs, k: n,
                .init(base: da + rows.lowerBound, rowStride: 1, columnStride: outputs), x, readable: false,
                into: .init(base: dw, stride: inputs), start: .zero)
        }
    }
}

extension Dense {
    /// `backward` of one sample followed by the step w ← w − ε ⊙ ∂E/∂w (and the same for b),
    /// in one sweep over the weights, which are read once and written once: the gradient
    /// (outputs × inputs, 48,000 floats for C5) is never stored. ∂E/∂x goes into `dx`. Every
    /// number is worked out as `backward` and `Tensor.subtractProducts` do: ∂E/∂x[j] sums
    /// ∂E/∂a[o]·w[o, j] over o in order from zero (with the weights before the step), and
    /// ∂E/∂w[o, j] = ∂E/∂a[o]·x[j] is one rounded product.
    ///
    /// With `handOver`, two sweeps instead: the first reads the weights for ∂E/∂x, which then
    /// goes to `handOver`, and the second steps them (the same numbers).
    static func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, weight: inout Tensor, bias: inout Tensor,
        activation: Activation, inputGradient: Bool, rates: (weight: Tensor, bias: Tensor), into dx: inout Tensor,
        handOver: ((Tensor) -> Void)? = nil
    ) {
        let outputs = y.count, inputs = x.count
        precondition(x.shape[0] == 1 && weight.count == outputs * inputs)
        dx.prepare(x.shape)
        Scratch.floats(outputs) { dap in
            y.withPointer { yp in dy.withPointer { _ = Kernels.slope(activation, outputs, $0, yp, dap) } }
            // The sweep: ∂E/∂x into dx unless nil, the step when asked.
            func sweep(dx dxp: UnsafeMutablePointer<Float>?, step: Bool) {
                x.withPointer { xp in
                    rates.weight.withPointer { ep in
                        weight.withMutablePointer { wp in
                            Kernels.sweep(
                                outputs: outputs, inputs: inputs, da: dap, x: xp, weight: wp, rates: ep, dx: dxp,
                                step: step)
                        }
                    }
                }
            }
            if let handOver {
                if inputGradient { dx.withMutablePointer { sweep(dx: $0, step: false) } }
                handOver(dx)
                sweep(dx: nil, step: true)
            } else if inputGradient {
                dx.withMutablePointer { sweep(dx: $0, step: true) }
            } else {
                sweep(dx: nil, step: true)
            }
            // ∂E/∂b = 0 + ∂E/∂a, as backward sums it.
            rates.bias.withPointer { ebp in
                bias.withMutablePointer { bp in for o in 0..<outputs { bp[o] -= ebp[o] * (0 + dap[o]) } }
            }
        }
    }
}

extension Dense {
    /// `backwardAndStep` in two sweeps, `handOver` given ∂E/∂x between them.
    static func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, weight: inout Tensor, bias: inout Tensor,
        activation: Activation, inputGradient: Bool, rates: (weight: Tensor, bias: Tensor), into dx: inout Tensor,
        handingOver handOver: (Tensor) -> Void
    ) {
        withoutActuallyEscaping(handOver) { handOver in
            backwardAndStep(
                input: x, output: y, gradient: dy, weight: &weight, bias: &bias, activation: activation,
                inputGradient: inputGradient, rates: rates, into: &dx, handOver: handOver)
        }
    }
}

extension FullyConnected {
    public func backwardLeavingWeights(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool)
        -> (input: Tensor, bias: Tensor, slopes: Tensor)?
    {
        Dense.backwardLeavingWeights(
            input: x, output: y, gradient: dy, weight: weight, activation: activation, inputGradient: inputGradient)
    }

    /// One sample on the fast path: `Dense.backwardAndStep`.
    public mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor
    ) {
        guard path == .fast, x.shape[0] == 1 else {
            return backwardThenStep(
                input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient, rates: rates, into: &dx)
        }
        Dense.backwardAndStep(
            input: x, output: y, gradient: dy, weight: &weight, bias: &bias, activation: activation,
            inputGradient: inputGradient, rates: (rates[0], rates[1]), into: &dx)
    }

    /// One sample on the fast path: `Dense.backwardAndStep`, ∂E/∂x handed over before the step.
    public mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor, handOver: (Tensor) -> Void
    ) {
        guard path == .fast, x.shape[0] == 1 else {
            backwardThenStep(
                input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient, rates: rates, into: &dx)
            return handOver(dx)
        }
        Dense.backwardAndStep(
            input: x, output: y, gradient: dy, weight: &weight, bias: &bias, activation: activation,
            inputGradient: inputGradient, rates: (rates[0], rates[1]), into: &dx, handingOver: handOver)
    }

    public func forwardFast(_ x: Tensor, into y: inout Tensor) {
        y.prepare(x.shape[0], outputs)
        Dense.forward(x, weight: weight, bias: bias, activation: activation, into: &y)
    }

    public func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        let (dx, dw, db) = Dense.backward(
            input: x, output: y, gradient: dy, weight: weight, activation: activation, inputGradient: inputGradient)
        return (dx, [dw, db])
    }
}
