import LeNetCore

/// The fast path of `Subsampling`: each output row is computed from its two input rows eight
/// input columns (four units) at a time: the rows are added, then each pair of neighbouring
/// columns (the even and odd lanes).
extension Subsampling {
    /// The 2×2 sums of four units from eight columns of two rows.
    @inline(__always)
    static func sums4(_ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>) -> SIMD4<Float> {
        let v =
            UnsafeRawPointer(top).loadUnaligned(as: SIMD8<Float>.self)
            + UnsafeRawPointer(bottom).loadUnaligned(as: SIMD8<Float>.self)
        return v.evenHalf + v.oddHalf
    }

    @inline(__always)
    static func sum1(_ top: UnsafePointer<Float>, _ bottom: UnsafePointer<Float>) -> Float {
        top[0] + top[1] + bottom[0] + bottom[1]
    }

    public func forwardFast(_ x: Tensor, into y: inout Tensor) {
        y.prepare(x.shape[0], maps, x.shape[2] / 2, x.shape[3] / 2)
        y.withMutablePointer { forwardFast(x, maps: 0..<maps, into: $0) }
    }

    /// Each map reads its own input map alone: two cores can each compute some of them.
    public var sharesMaps: Bool { true }

    /// `forwardFast` of maps `maps` of every sample, into the whole output's buffer `yp`.
    public func forwardFast(_ x: Tensor, maps range: Range<Int>, into yp: UnsafeMutablePointer<Float>) {
        let n = x.shape[0]
        x.withPointer { xp in
            // Input maps inH × inW: constants for LeNet-5's two layers (S2's 28 × 28, S4's
            // 10 × 10), so that each map's loops unroll.
            @inline(__always) func forward(_ s: Int, inH: Int, inW: Int) {
                let outH = inH / 2, outW = inW / 2
                for c in range {
                    let out = yp + (s * maps + c) * outH * outW
                    let β = coefficient.scalars[c], b = bias.scalars[c]
                    // Row by row through pointers: two input rows in, one output row out.
                    var top = xp + (s * maps + c) * inH * inW, row = out
                    for _ in 0..<outH {
                        let bottom = top + inW
                        var q = 0
                        while q &+ 4 <= outW {
                            let a = β * Subsampling.sums4(top + 2 &* q, bottom + 2 &* q) + b
                            UnsafeMutableRawPointer(row + q).storeBytes(of: a, as: SIMD4<Float>.self)
                            q &+= 4
                        }
                        while q < outW {
                            row[q] = β * Subsampling.sum1(top + 2 &* q, bottom + 2 &* q) + b
                            q &+= 1
                        }
                        top += 2 &* inW
                        row += outW
                    }
                }
                if range.count < maps {
                    Kernels.activate(
                        activation, runs: range.count, of: outH * outW,
                        yp + (s * maps + range.lowerBound) * outH * outW)
                }
            }
            for s in 0..<n {
                switch (x.shape[2], x.shape[3]) {
                case (28, 28): forward(s, inH: 28, inW: 28)
                case (10, 10): forward(s, inH: 10, inW: 10)
                default: forward(s, inH: x.shape[2], inW: x.shape[3])
                }
            }
            // Every map of every sample at once, each map's numbers as on its own.
            let outputs = x.shape[2] / 2 * (x.shape[3] / 2)
            if range.count == maps { Kernels.activate(activation, runs: n * maps, of: outputs, yp) }
        }
    }

    public func backwardFast(
        maps range: Range<Int>, input x: Tensor, output y: Tensor, gradient dy: Tensor,
        parameters dp: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?
    ) {
        precondition(x.shape[0] == 1 && x.shape[2] % 2 == 0 && x.shape[3] % 2 == 0)
        // ∂E/∂β and ∂E/∂b start at zero, as in `backwardAndStep`; a fixed layer has none.
        Scratch.floats(2 * maps) { scratch in
            let dβ = trainable ? dp : scratch, db = dβ + maps
            for c in range { dβ[c] = 0; db[c] = 0 }
            coefficient.withPointer { βp in
                Scratch.floats(dx == nil ? x.count : 0) { unused in
                    Subsampling.backwardOnMaps(
                        maps: maps, activation: activation, coefficient: βp, input: x, output: y, gradient: dy,
                        dβ: dβ, db: db, dx: dx ?? unused, only: range, trainable: trainable)
                }
            }
        }
    }

    public func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        var dx = Tensor.empty
        Subsampling.prepareInputGradient(&dx, x.shape)
        var dβ = Tensor(zeros: [maps]), db = Tensor(zeros: [maps])
        dx.withMutablePointer { dxp in
            dβ.withMutablePointer { dβp in
                db.withMutablePointer { backwardOnMaps(input: x, output: y, gradient: dy, dβ: dβp, db: $0, dx: dxp) }
            }
        }
        return (dx, trainable ? [dβ, db] : [])
    }

    /// One sample on the fast path: ∂E/∂β and ∂E/∂b in scratch memory, then the step (the
    /// numbers of `backward` followed by `step`).
    public mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor
    ) {
        guard path == .fast, x.shape[0] == 1 else {
            return backwardThenStep(
                input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient, rates: rates, into: &dx)
        }
        Subsampling.prepareInputGradient(&dx, x.shape)
        // The closures see the layer's fields, not the layer: a closure that captured the
        // layer would copy it (retaining every buffer it holds) to call a method on it. The
        // two tensors that step are moved out for the while and back.
        let maps = maps, activation = activation, trainable = trainable
        var coefficient = Tensor.empty, bias = Tensor.empty
        swap(&coefficient, &self.coefficient)
        swap(&bias, &self.bias)
        Scratch.floats(maps, zerosFrom: 0) { dβp in
            Scratch.floats(maps, zerosFrom: 0) { dbp in
                coefficient.withPointer { βp in
                    dx.withMutablePointer {
                        Subsampling.backwardOnMaps(
                            maps: maps, activation: activation, coefficient: βp, input: x, output: y, gradient: dy,
                            dβ: dβp, db: dbp, dx: $0, trainable: trainable)
                    }
                }
                if trainable {
                    coefficient.subtractProducts(rates[0], dβp)
                    bias.subtractProducts(rates[1], dbp)
                }
            }
        }
        swap(&coefficient, &self.coefficient)
        swap(&bias, &self.bias)
    }

    /// Shapes `dx` for ∂E/∂x of inputs of `shape`, left unset where the backward pass writes
    /// every input: when the maps have even sides. An odd last row or column, which no unit
    /// reads, gets 0.
    static func prepareInputGradient(_ dx: inout Tensor, _ shape: [Int]) {
        dx.prepare(shape)
        let count = dx.count
        if shape[2] % 2 != 0 || shape[3] % 2 != 0 { dx.withMutablePointer { $0.update(repeating: 0, count: count) } }
    }

    /// The backward pass over raw buffers: adds ∂E/∂β and ∂E/∂b onto `dβ` and `db` (which
    /// start at zero) and writes ∂E/∂x into `dx`.
    func backwardOnMaps(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, dβ: UnsafeMutablePointer<Float>,
        db: UnsafeMutablePointer<Float>, dx dxp: UnsafeMutablePointer<Float>
    ) {
        coefficient.withPointer { βp in
            Subsampling.backwardOnMaps(
                maps: maps, activation: activation, coefficient: βp, input: x, output: y, gradient: dy, dβ: dβ, db: db,
                dx: dxp, trainable: trainable)
        }
    }

    /// `backwardOnMaps` of a layer of `maps` maps with these coefficients β (of maps `only`
    /// alone, when given: their ∂E/∂β, ∂E/∂b and ∂E/∂x). A fixed layer (`trainable` false,
    /// Keras's average pooling) skips the sums for ∂E/∂β, which it has not (keras S2's
    /// backward pass 0.52–0.57 → 0.43–0.44 µs a sample, S4's 0.30–0.32 → 0.25–0.26, two
    /// alternated runs of `lesson bench --layers --threads 1`).
    static func backwardOnMaps(
        maps: Int, activation: Activation, coefficient βs: UnsafePointer<Float>, input x: Tensor, output y: Tensor,
        gradient dy: Tensor, dβ: UnsafeMutablePointer<Float>, db: UnsafeMutablePointer<Float>,
        dx dxp: UnsafeMutablePointer<Float>, only: Range<Int>? = nil, trainable: Bool
    ) {
        let n = x.shape[0]
        Scratch.floats(y.shape[2] * y.shape[3]) { dap in
            x.withPointer { xp in
                y.withPointer { yp in
                    dy.withPointer { dyp in
                        // Output maps outH × outW: constants for LeNet-5's two layers (S2's 14 × 14,
                        // S4's 5 × 5), so that each map's loops unroll.
                        @inline(__always) func backward(_ s: Int, inH: Int, inW: Int, outH: Int, outW: Int) {
                            for c in only ?? 0..<maps {
                                let base = (s * maps + c) * outH * outW
                                db[c] += Kernels.slope(activation, outH * outW, dyp + base, yp + base, dap)
                                let input = xp + (s * maps + c) * inH * inW
                                let dInput = dxp + (s * maps + c) * inH * inW
                                let β = βs[c]
                                var gβ = SIMD4<Float>(), gβTail: Float = 0
                                for r in 0..<outH {
                                    let top = input + 2 * r * inW, bottom = top + inW
                                    let dTop = dInput + 2 * r * inW, dBottom = dTop + inW, g = dap + r * outW
                                    var q = 0
                                    while q + 4 <= outW {
                                        let gv = UnsafeRawPointer(g + q).loadUnaligned(as: SIMD4<Float>.self)
                                        if trainable {
                                            gβ.addProduct(gv, Subsampling.sums4(top + 2 * q, bottom + 2 * q))
                                        }
                                        // Each unit's ∂E/∂a·β goes to all four of its inputs.
                                        let d = β * gv
                                        let spread = SIMD8(d[0], d[0], d[1], d[1], d[2], d[2], d[3], d[3])
                                        UnsafeMutableRawPointer(dTop + 2 * q).storeBytes(
                                            of: spread, as: SIMD8<Float>.self)
                                        UnsafeMutableRawPointer(dBottom + 2 * q).storeBytes(
                                            of: spread, as: SIMD8<Float>.self)
                                        q += 4
                                    }
                                    while q < outW {
                                        if trainable { gβTail += g[q] * Subsampling.sum1(top + 2 * q, bottom + 2 * q) }
                                        let d = g[q] * β
                                        dTop[2 * q] = d; dTop[2 * q + 1] = d; dBottom[2 * q] = d;
                                        dBottom[2 * q + 1] = d
                                        q += 1
                                    }
                                }
                                if trainable { dβ[c] += gβ.sum() + gβTail }
                            }
                        }
                        for s in 0..<n {
                            switch (x.shape[2], x.shape[3], y.shape[2], y.shape[3]) {
                            case (28, 28, 14, 14): backward(s, inH: 28, inW: 28, outH: 14, outW: 14)
                            case (10, 10, 5, 5): backward(s, inH: 10, inW: 10, outH: 5, outW: 5)
                            default: backward(s, inH: x.shape[2], inW: x.shape[3], outH: y.shape[2], outW: y.shape[3])
                            }
                        }
                    }
                }
            }
        }
    }

    /// The Gauss–Newton pass of `curvature` over raw buffers, each number worked out as there
    /// and the sums over a map's units added in the same order.
    public func curvatureFast(input x: Tensor, output y: Tensor, curvature d2y: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        let n = x.shape[0], inH = x.shape[2], inW = x.shape[3], outH = y.shape[2], outW = y.shape[3]
        var d2x = Tensor(zeros: x.shape)
        var d2β = Tensor(zeros: [maps]), d2b = Tensor(zeros: [maps])
        let f = activation
        x.withPointer { xp in
            y.withPointer { yp in
                d2y.withPointer { d2yp in
                    d2x.withMutablePointer { d2xp in
                        for s in 0..<n {
                            for c in 0..<maps {
                                let β = coefficient.scalars[c]
                                let input = xp + (s * maps + c) * inH * inW, d2Input = d2xp + (s * maps + c) * inH * inW
                                let unit = (s * maps + c) * outH * outW
                                var gβ = d2β.scalars[c], gb = d2b.scalars[c]
                                for r in 0..<outH {
                                    let top = input + 2 * r * inW, bottom = top + inW
                                    let d2Top = d2Input + 2 * r * inW, d2Bottom = d2Top + inW
                                    for q in 0..<outW {
                                        let slope = f.derivative(output: yp[unit + r * outW + q])
                                        let d2a = d2yp[unit + r * outW + q] * slope * slope
                                        let sum = top[2 * q] + top[2 * q + 1] + bottom[2 * q] + bottom[2 * q + 1]
                                        gβ += d2a * sum * sum
                                        gb += d2a
                                        let d = d2a * β * β
                                        d2Top[2 * q] = d; d2Top[2 * q + 1] = d
                                        d2Bottom[2 * q] = d; d2Bottom[2 * q + 1] = d
                                    }
                                }
                                d2β.scalars[c] = gβ
                                d2b.scalars[c] = gb
                            }
                        }
                    }
                }
            }
        }
        return (d2x, trainable ? [d2β, d2b] : [])
    }
}
