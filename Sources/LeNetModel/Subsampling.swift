import LeNetCore

/// A subsampling layer (S2, S4). In the paper each unit sums a 2×2 neighbourhood of its
/// map, multiplies the sum by a trainable coefficient, adds a trainable bias and squashes:
///
///     a[c](y, x) = β[c] · Σ_{u,v ∈ {0,1}} x[c](2y+u, 2x+v) + b[c]
///     y[c] = f(a[c])
///
/// With β fixed at ¼, no bias and no activation, it is the plain average pooling of the
/// Keras tutorial (`trainable: false`).
public struct Subsampling: Layer {
    public let name: String
    public let maps: Int
    public let trainable: Bool
    public let activation: Activation
    /// β: one coefficient per map.
    public var coefficient: Tensor
    /// b: one bias per map.
    public var bias: Tensor

    public static let window = 2

    public init(name: String, maps: Int, trainable: Bool, activation: Activation) {
        self.name = name
        self.maps = maps
        self.trainable = trainable
        self.activation = activation
        coefficient = Tensor(repeating: 0.25, shape: [maps])
        bias = Tensor(zeros: [maps])
    }

    public var kind: String { trainable ? "subsampling 2×2, trainable β and b" : "average pooling 2×2" }

    public func outputShape(_ input: [Int]) -> [Int] {
        [maps, input[1] / Subsampling.window, input[2] / Subsampling.window]
    }

    public var trainableParameterCount: Int { trainable ? 2 * maps : 0 }

    /// Four inputs per unit, plus the bias when there is one.
    public func connections(input: [Int]) -> Int {
        let out = outputShape(input)
        let perUnit = Subsampling.window * Subsampling.window + (trainable ? 1 : 0)
        return out[0] * out[1] * out[2] * perUnit
    }

    public var parameters: [Parameter] {
        get {
            guard trainable else { return [] }
            return [
                Parameter(name: "\(name.lowercased()).weight", value: coefficient),
                Parameter(name: "\(name.lowercased()).bias", value: bias),
            ]
        }
        set {
            guard trainable else { return }
            coefficient = newValue[0].value
            bias = newValue[1].value
        }
    }

    public mutating func updateTrainable(_ body: (Int, inout Tensor) -> Void) {
        guard trainable else { return }
        body(0, &coefficient)
        body(1, &bias)
    }

    /// The four inputs of unit (r, q) of map c, summed.
    @inline(__always)
    static func windowSum(_ x: Tensor, _ s: Int, _ c: Int, _ r: Int, _ q: Int) -> Float {
        x[s, c, 2 * r, 2 * q] + x[s, c, 2 * r, 2 * q + 1] + x[s, c, 2 * r + 1, 2 * q] + x[s, c, 2 * r + 1, 2 * q + 1]
    }

    public func forward(_ x: Tensor) -> Tensor {
        let out = outputShape(Array(x.shape.dropFirst()))
        var y = Tensor(zeros: [x.shape[0]] + out)
        for s in 0..<x.shape[0] {
            for c in 0..<maps {
                for r in 0..<out[1] {
                    for q in 0..<out[2] {
                        let sum = Subsampling.windowSum(x, s, c, r, q)
                        y[s, c, r, q] = activation(coefficient.scalars[c] * sum + bias.scalars[c])
                    }
                }
            }
        }
        return y
    }

    public func backward(input x: Tensor, output y: Tensor, gradient dy: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        var dx = Tensor(zeros: x.shape)
        var dβ = Tensor(zeros: [maps])
        var db = Tensor(zeros: [maps])
        for s in 0..<x.shape[0] {
            for c in 0..<maps {
                for r in 0..<y.shape[2] {
                    for q in 0..<y.shape[3] {
                        let da = dy[s, c, r, q] * activation.derivative(output: y[s, c, r, q])
                        let sum = Subsampling.windowSum(x, s, c, r, q)
                        dβ.scalars[c] += da * sum
                        db.scalars[c] += da
                        for u in 0..<2 {
                            for v in 0..<2 {
                                dx[s, c, 2 * r + u, 2 * q + v] = da * coefficient.scalars[c]
                            }
                        }
                    }
                }
            }
        }
        return (dx, trainable ? [dβ, db] : [])
    }

    public func curvature(input x: Tensor, output y: Tensor, curvature d2y: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        var d2x = Tensor(zeros: x.shape)
        var d2β = Tensor(zeros: [maps])
        var d2b = Tensor(zeros: [maps])
        for s in 0..<x.shape[0] {
            for c in 0..<maps {
                let β = coefficient.scalars[c]
                for r in 0..<y.shape[2] {
                    for q in 0..<y.shape[3] {
                        let slope = activation.derivative(output: y[s, c, r, q])
                        let d2a = d2y[s, c, r, q] * slope * slope
                        let sum = Subsampling.windowSum(x, s, c, r, q)
                        d2β.scalars[c] += d2a * sum * sum
                        d2b.scalars[c] += d2a
                        for u in 0..<2 {
                            for v in 0..<2 { d2x[s, c, 2 * r + u, 2 * q + v] = d2a * β * β }
                        }
                    }
                }
            }
        }
        return (d2x, trainable ? [d2β, d2b] : [])
    }
}
