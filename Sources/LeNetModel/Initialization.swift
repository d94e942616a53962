import LeNetCore

/// Initial weights.
/// - paper (Appendix A): uniform in ±2.4/Fᵢ, Fᵢ the fan-in of the unit the weight feeds,
///   so that the weighted sums fall in the squashing function's operating range.
/// - keras: Glorot/Xavier uniform, ±√(6/(fan-in + fan-out)), biases zero, as Keras does.
public enum Initialization {
    public static func apply(to net: inout LeNet5, using rng: inout SeededGenerator) {
        for l in net.layers.indices {
            switch net.variant {
            case .paper: paper(&net.layers[l], &rng)
            case .keras: glorot(&net.layers[l], &rng)
            }
        }
    }

    static func paper(_ layer: inout any Layer, _ rng: inout SeededGenerator) {
        switch layer {
        case var c as Convolution:
            for o in 0..<c.table.outputMaps {
                let limit = 2.4 / Float(c.fanIn(o))
                for i in c.table.inputs[o] {
                    for u in 0..<c.kernelSize { for v in 0..<c.kernelSize { c.weight[o, i, u, v] = rng.uniform(limit) } }
                }
                c.bias.scalars[o] = rng.uniform(limit)
            }
            layer = c
        case var s as Subsampling where s.trainable:
            // Each unit sums 4 inputs through one shared coefficient: fan-in 4.
            let limit: Float = 2.4 / 4
            s.coefficient.scalars = s.coefficient.scalars.map { _ in rng.uniform(limit) }
            s.bias.scalars = s.bias.scalars.map { _ in rng.uniform(limit) }
            layer = s
        case var f as FullyConnected:
            let limit = 2.4 / Float(f.inputs)
            f.weight.scalars = f.weight.scalars.map { _ in rng.uniform(limit) }
            f.bias.scalars = f.bias.scalars.map { _ in rng.uniform(limit) }
            layer = f
        default:
            break
        }
    }

    static func glorot(_ layer: inout any Layer, _ rng: inout SeededGenerator) {
        switch layer {
        case var c as Convolution:
            let area = Float(c.kernelSize * c.kernelSize)
            let limit = (6 / (Float(c.table.inputMaps) * area + Float(c.table.outputMaps) * area)).squareRoot()
            for o in 0..<c.table.outputMaps {
                for i in c.table.inputs[o] {
                    for u in 0..<c.kernelSize { for v in 0..<c.kernelSize { c.weight[o, i, u, v] = rng.uniform(limit) } }
                }
            }
            layer = c
        case var f as FullyConnected:
            let limit = (6 / Float(f.inputs + f.outputs)).squareRoot()
            f.weight.scalars = f.weight.scalars.map { _ in rng.uniform(limit) }
            layer = f
        default:
            break
        }
    }
}
