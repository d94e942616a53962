import LeNetCore

/// A convolution layer (C1, C3, C5): each output map o is a k×k kernel slid over the input
/// maps its connection table names, plus a bias, then the activation:
///
///     a[o](y, x) = b[o] + Σ_{i ∈ table(o)} Σ_{u,v} w[o,i](u, v) · x[i](y+u, x+v)
///     y[o] = f(a[o])
///
/// Every unit of a map shares the same kernel and bias (weight sharing), which is why a
/// layer has far fewer parameters than connections.
public struct Convolution: Layer {
    public let name: String
    public let table: ConnectionTable
    public let kernelSize: Int
    public let activation: Activation
    /// w: (outputs, inputs, k, k); zero where the table has no connection.
    public var weight: Tensor
    /// b: (outputs)
    public var bias: Tensor

    public init(name: String, table: ConnectionTable, kernelSize: Int, activation: Activation) {
        self.name = name
        self.table = table
        self.kernelSize = kernelSize
        self.activation = activation
        weight = Tensor(zeros: [table.outputMaps, table.inputMaps, kernelSize, kernelSize])
        bias = Tensor(zeros: [table.outputMaps])
    }

    public var kind: String {
        "convolution \(kernelSize)×\(kernelSize)"
            + (table.isFull
                ? "" : ", partial (\(table.connectedPairs) of \(table.outputMaps * table.inputMaps) map pairs)")
    }

    /// Inputs of one unit of output map o: its receptive field over the connected maps.
    public func fanIn(_ o: Int) -> Int { table.inputs[o].count * kernelSize * kernelSize }

    public func outputShape(_ input: [Int]) -> [Int] {
        [table.outputMaps, input[1] - kernelSize + 1, input[2] - kernelSize + 1]
    }

    public var trainableParameterCount: Int {
        (0..<table.outputMaps).reduce(0) { $0 + fanIn($1) + 1 }
    }

    public func connections(input: [Int]) -> Int {
        let out = outputShape(input)
        return out[1] * out[2] * trainableParameterCount
    }

    public func multiplyAdds(input: [Int]) -> Int {
        let out = outputShape(input)
        return out[1] * out[2] * (0..<table.outputMaps).reduce(0) { $0 + fanIn($1) }
    }

    public var parameters: [Parameter] {
        get {
            [
                Parameter(name: "\(name.lowercased()).weight", value: weight),
                Parameter(name: "\(name.lowercased()).bias", value: bias),
            ]
        }
        set { weight = newValue[0].value; bias = newValue[1].value }
    }

    public mutating func updateTrainable(_ body: (Int, inout Tensor) -> Void) {
        body(0, &weight)
        body(1, &bias)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0], k = kernelSize
        let out = outputShape(Array(x.shape.dropFirst()))
        var y = Tensor(zeros: [n] + out)
        for s in 0..<n {
            for o in 0..<table.outputMaps {
                for r in 0..<out[1] {
                    for c in 0..<out[2] {
                        var a = bias.scalars[o]
                        for i in table.inputs[o] {
                            for u in 0..<k {
                                for v in 0..<k {
                                    a += weight[o, i, u, v] * x[s, i, r + u, c + v]
                                }
                            }
                        }
                        y[s, o, r, c] = activation(a)
                    }
                }
            }
        }
        return y
    }

    public func backward(input x: Tensor, output y: Tensor, gradient dy: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        let k = kernelSize
        var dx = Tensor(zeros: x.shape)
        var dw = Tensor(zeros: weight.shape)
        var db = Tensor(zeros: bias.shape)
        for s in 0..<x.shape[0] {
            for o in 0..<table.outputMaps {
                for r in 0..<y.shape[2] {
                    for c in 0..<y.shape[3] {
                        // ∂E/∂a = ∂E/∂y · f′(a)
                        let da = dy[s, o, r, c] * activation.derivative(output: y[s, o, r, c])
                        db.scalars[o] += da
                        for i in table.inputs[o] {
                            for u in 0..<k {
                                for v in 0..<k {
                                    dw[o, i, u, v] += da * x[s, i, r + u, c + v]
                                    dx[s, i, r + u, c + v] += da * weight[o, i, u, v]
                                }
                            }
                        }
                    }
                }
            }
        }
        return (dx, [dw, db])
    }

    public func curvature(input x: Tensor, output y: Tensor, curvature d2y: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        let k = kernelSize
        var d2x = Tensor(zeros: x.shape)
        var d2w = Tensor(zeros: weight.shape)
        var d2b = Tensor(zeros: bias.shape)
        for s in 0..<x.shape[0] {
            for o in 0..<table.outputMaps {
                for r in 0..<y.shape[2] {
                    for c in 0..<y.shape[3] {
                        let slope = activation.derivative(output: y[s, o, r, c])
                        let d2a = d2y[s, o, r, c] * slope * slope
                        d2b.scalars[o] += d2a
                        for i in table.inputs[o] {
                            for u in 0..<k {
                                for v in 0..<k {
                                    let xi = x[s, i, r + u, c + v], w = weight[o, i, u, v]
                                    d2w[o, i, u, v] += d2a * xi * xi
                                    d2x[s, i, r + u, c + v] += d2a * w * w
                                }
                            }
                        }
                    }
                }
            }
        }
        return (d2x, [d2w, d2b])
    }
}
