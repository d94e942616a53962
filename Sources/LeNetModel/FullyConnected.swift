import LeNetCore

/// A fully connected layer (F6; the Keras variant's output): each unit computes a dot
/// product of its input vector with its weight vector, adds a bias, and squashes (II.B):
///
///     a[o] = b[o] + Σ_i w[o,i] · x[i]
///     y[o] = f(a[o])
public struct FullyConnected: Layer {
    public let name: String
    /// The PyTorch module name its tensors are saved under ("f6", "out").
    public let key: String
    public let inputs: Int, outputs: Int
    public let activation: Activation
    /// w: (outputs, inputs), as PyTorch's nn.Linear stores it.
    public var weight: Tensor
    public var bias: Tensor

    public init(name: String, key: String? = nil, inputs: Int, outputs: Int, activation: Activation) {
        self.name = name
        self.key = key ?? name.lowercased()
        self.inputs = inputs
        self.outputs = outputs
        self.activation = activation
        weight = Tensor(zeros: [outputs, inputs])
        bias = Tensor(zeros: [outputs])
    }

    public var kind: String { "fully connected" }
    public func outputShape(_ input: [Int]) -> [Int] { [outputs] }
    public var trainableParameterCount: Int { outputs * (inputs + 1) }
    public func connections(input: [Int]) -> Int { trainableParameterCount }
    public func multiplyAdds(input: [Int]) -> Int { outputs * inputs }

    public var parameters: [Parameter] {
        get { [Parameter(name: "\(key).weight", value: weight), Parameter(name: "\(key).bias", value: bias)] }
        set { weight = newValue[0].value; bias = newValue[1].value }
    }

    public mutating func updateTrainable(_ body: (Int, inout Tensor) -> Void) {
        body(0, &weight)
        body(1, &bias)
    }

    public func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0]
        var y = Tensor(zeros: [n, outputs])
        for s in 0..<n {
            for o in 0..<outputs {
                var a = bias.scalars[o]
                for i in 0..<inputs { a += weight.scalars[o * inputs + i] * x[s, i] }
                y[s, o] = activation(a)
            }
        }
        return y
    }

    public func backward(input x: Tensor, output y: Tensor, gradient dy: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        var dx = Tensor(zeros: x.shape)
        var dw = Tensor(zeros: weight.shape)
        var db = Tensor(zeros: bias.shape)
        for s in 0..<x.shape[0] {
            for o in 0..<outputs {
                let da = dy[s, o] * activation.derivative(output: y[s, o])
                db.scalars[o] += da
                for i in 0..<inputs {
                    dw.scalars[o * inputs + i] += da * x[s, i]
                    dx[s, i] += da * weight.scalars[o * inputs + i]
                }
            }
        }
        return (dx, [dw, db])
    }

    public func curvature(input x: Tensor, output y: Tensor, curvature d2y: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        var d2x = Tensor(zeros: x.shape)
        var d2w = Tensor(zeros: weight.shape)
        var d2b = Tensor(zeros: bias.shape)
        for s in 0..<x.shape[0] {
            for o in 0..<outputs {
                let slope = activation.derivative(output: y[s, o])
                let d2a = d2y[s, o] * slope * slope
                d2b.scalars[o] += d2a
                for i in 0..<inputs {
                    let xi = x[s, i], w = weight.scalars[o * inputs + i]
                    d2w.scalars[o * inputs + i] += d2a * xi * xi
                    d2x[s, i] += d2a * w * w
                }
            }
        }
        return (d2x, [d2w, d2b])
    }
}
