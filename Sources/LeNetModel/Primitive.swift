import LeNetCore

/// What a layer computes, in the vocabulary every framework shares: the operations an
/// exporter (ONNX, `lesson export`) writes, one list per layer, in order.
public enum Primitive: Sendable {
    /// 2-D convolution, stride 1, no padding; weight (out, in, k, k), with the kernels of
    /// pairs a connection table leaves out held at zero.
    case convolution(weight: Tensor, bias: Tensor)
    /// Each map's 2×2 sums (stride 2), times the map's coefficient, plus the map's bias.
    case scaledSum2x2(coefficient: Tensor, bias: Tensor)
    /// The mean of each 2×2 window (stride 2).
    case average2x2
    /// (N, C, H, W) → (N, C·H·W); a no-op on (N, C).
    case flatten
    /// y = W·x + b, W (out, in).
    case dense(weight: Tensor, bias: Tensor)
    /// y_i = Σ_j (x_j − c_ij)², the centres c (classes, inputs).
    case squaredDistance(centers: Tensor)
    /// The layer's nonlinearity, applied element by element (never `.identity`).
    case activation(Activation)
}

extension Layer {
    /// The activation as a primitive, or nothing when it is the identity.
    var activationPrimitives: [Primitive] { activation == .identity ? [] : [.activation(activation)] }
}

extension Convolution {
    public var primitives: [Primitive] {
        var w = weight
        for o in 0..<table.outputMaps {
            for i in 0..<table.inputMaps where !table.connects(output: o, input: i) {
                for u in 0..<kernelSize { for v in 0..<kernelSize { w[o, i, u, v] = 0 } }
            }
        }
        return [.convolution(weight: w, bias: bias)] + activationPrimitives
    }
}

extension Convolution {
    public var mapInputs: [[Int]]? { table.inputs }
}

extension Subsampling {
    /// Each map reads its own input map.
    public var mapInputs: [[Int]]? { (0..<maps).map { [$0] } }

    public var primitives: [Primitive] {
        (trainable ? [.scaledSum2x2(coefficient: coefficient, bias: bias)] : [.average2x2]) + activationPrimitives
    }
}

extension FullyConnected {
    public var primitives: [Primitive] { [.flatten, .dense(weight: weight, bias: bias)] + activationPrimitives }
}

extension RBFOutput {
    public var primitives: [Primitive] { [.squaredDistance(centers: centers)] }
}

extension LeNet5 {
    /// The input pixels unit (row, column) of the named layer depends on, from the layers'
    /// primitives: each convolution widens the window by its kernel less one, each 2×2
    /// subsampling doubles it. Nil for a layer that reads everything (a dense layer) or is unknown.
    public func inputField(of name: String, row: Int, column: Int) -> (row: Int, column: Int, height: Int, width: Int)?
    {
        guard let last = layers.firstIndex(where: { $0.name == name }) else { return nil }
        var (y0, y1, x0, x1) = (row, row, column, column)
        for layer in layers[...last].reversed() {
            for p in layer.primitives.reversed() {
                switch p {
                case .convolution(let w, _):
                    y1 += w.shape[2] - 1
                    x1 += w.shape[3] - 1
                case .scaledSum2x2, .average2x2:
                    (y0, x0, y1, x1) = (2 * y0, 2 * x0, 2 * y1 + 1, 2 * x1 + 1)
                case .dense, .squaredDistance: return nil
                case .flatten, .activation: break
                }
            }
        }
        return (y0, x0, y1 - y0 + 1, x1 - x0 + 1)
    }
}
