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

    /// ∂E/∂x[j] = Σ_i ∂E/∂y[i] · 2(x[j] − w[i,j]) = 2(x[j]·Σ_i ∂E/∂y[i] − Σ_i ∂E/∂y[i]·w[i,j]),
    /// for each j in order: x[j]·Σ, then each class's product taken off in turn, then doubled.
    ///
    /// Eq. 9's ∂E/∂y for a wrong class is about e^{−y}: once its penalty passes about 87 that
    /// is a subnormal number, and products of subnormals send the CPU down a slow path (this
    /// layer took 2% of a training pass). Such a term, rounded, is at most 2⁻¹²⁵·max|w| and
    /// cannot move a nonzero sum of magnitude at least 2⁻¹⁰⁰·max(1, max|w|): it is under half
    /// of the sum's last place, so the difference rounds back to the sum. The classes whose
    /// ∂E/∂y is subnormal (or zero) are therefore left out while every running sum stays that
    /// large; where one does not, its inputs are worked out again with every class. The
    /// result is the same bit for bit (a NaN sum stays the same NaN, an infinite one infinite).
    func inputGradientFast(input x: Tensor, gradient dy: Tensor, into dx: inout Tensor) {
        let n = x.shape[0]
        dx.prepare(x.shape)
        Scratch.with(Int.self, classes) { kept in
            x.withPointer { xp in
                centers.withPointer { wp in
                    dy.withPointer { dyp in
                        dx.withMutablePointer { dxp in
                            // Worked out once, and only for a sample that has a class to leave out.
                            var centresFloor: UInt32?
                            for s in 0..<n {
                                let g = dyp + s * classes, out = dxp + s * inputs, input = xp + s * inputs
                                var total: Float = 0
                                for i in 0..<classes { total += g[i] }
                                var count = 0
                                for i in 0..<classes where !(g[i].isSubnormal || g[i] == 0) {
                                    kept[count] = i
                                    count += 1
                                }
                                if count == classes {
                                    inputGradient(input, g, wp, total: total, into: out)
                                } else {
                                    let floor = centresFloor ?? skipFloor(wp)
                                    centresFloor = floor
                                    inputGradient(
                                        input, g, wp, total: total, kept: UnsafePointer(kept), count, floor: floor,
                                        into: out)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// One sample's ∂E/∂x with every class: eight inputs at a time, then one at a time.
    @inline(__always)
    func inputGradient(
        _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>, total: Float,
        into out: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        var j = 0
        while j + 8 <= inputs {
            var v = total * UnsafeRawPointer(x + j).loadUnaligned(as: V.self)
            for i in 0..<classes { v -= g[i] * UnsafeRawPointer(w + i * inputs + j).loadUnaligned(as: V.self) }
            UnsafeMutableRawPointer(out + j).storeBytes(of: v * 2, as: V.self)
            j += 8
        }
        while j < inputs {
            var v = total * x[j]
            for i in 0..<classes { v -= g[i] * w[i * inputs + j] }
            out[j] = v * 2
            j += 1
        }
    }

    /// One sample's ∂E/∂x with the `count` classes in `kept` alone, while every running sum's
    /// magnitude stays at or above `floor` (as bits); inputs where one does not are worked
    /// out again with every class.
    @inline(__always)
    func inputGradient(
        _ x: UnsafePointer<Float>, _ g: UnsafePointer<Float>, _ w: UnsafePointer<Float>, total: Float,
        kept: UnsafePointer<Int>, _ count: Int, floor: UInt32, into out: UnsafeMutablePointer<Float>
    ) {
        typealias V = SIMD8<Float>
        typealias U = SIMD8<UInt32>
        // The top bit of a lane of `under` is set once a running sum's magnitude has been
        // under the floor (magnitude − floor, as bits, wraps round).
        func below(_ v: V) -> U { (unsafeBitCast(v, to: U.self) & 0x7FFF_FFFF) &- U(repeating: floor) }
        var j = 0
        while j + 8 <= inputs {
            let start = total * UnsafeRawPointer(x + j).loadUnaligned(as: V.self)
            var v = start, under = below(v)
            for c in 0..<count {
                let i = kept[c]
                v -= g[i] * UnsafeRawPointer(w + i * inputs + j).loadUnaligned(as: V.self)
                under |= below(v)
            }
            let four = under.lowHalf | under.highHalf, two = four.lowHalf | four.highHalf
            if (two[0] | two[1]) >= 0x8000_0000 {
                v = start
                for i in 0..<classes { v -= g[i] * UnsafeRawPointer(w + i * inputs + j).loadUnaligned(as: V.self) }
            }
            UnsafeMutableRawPointer(out + j).storeBytes(of: v * 2, as: V.self)
            j += 8
        }
        while j < inputs {
            let start = total * x[j]
            var v = start, smallest = v.magnitude.bitPattern
            for c in 0..<count {
                v -= g[kept[c]] * w[kept[c] * inputs + j]
                smallest = Swift.min(smallest, v.magnitude.bitPattern)
            }
            if smallest < floor {
                v = start
                for i in 0..<classes { v -= g[i] * w[i * inputs + j] }
            }
            out[j] = v * 2
            j += 1
        }
    }

    /// The bits of 2⁻¹⁰⁰·max(1, max|w|): a running sum at least this large is left as it is
    /// by the terms of the classes whose ∂E/∂y is subnormal. (A float's magnitude orders as
    /// its bits do, NaN above infinity.) When a centre is not finite, 2³¹, above every
    /// magnitude's bits: no sum is large enough, and every class is always taken.
    func skipFloor(_ w: UnsafePointer<Float>) -> UInt32 {
        var largest = Float(1).bitPattern
        for k in 0..<classes * inputs { largest = Swift.max(largest, w[k].bitPattern & 0x7FFF_FFFF) }
        let most = Float(bitPattern: largest)
        return most.isFinite ? (most * 0x1p-100).bitPattern : 0x8000_0000
    }
}
