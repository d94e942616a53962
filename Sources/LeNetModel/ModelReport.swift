import LeNetCore

/// A layer's computed shape and counts beside the paper's figures.
public struct LayerReport: Sendable {
    public let name: String
    public let kind: String
    /// Per-sample output shape, taken from a real forward pass's tensor.
    public let shape: [Int]
    public let trainableParameters: Int
    public let connections: Int
    public let multiplyAdds: Int
    public let paper: PaperFacts.LayerRow?

    public var shapeMatches: Bool? { paper.map { $0.shape == shape } }
    /// The paper gives no parameter count for the RBF output (its parameters are fixed).
    public var parametersMatch: Bool? { paper?.trainableParameters.map { $0 == trainableParameters } }
    public var connectionsMatch: Bool? { paper.map { $0.connections == connections } }
    /// Floats of activation memory per sample.
    public var activations: Int { shape.reduce(1, *) }
}

/// The whole network's shapes and counts, computed from the model and a forward pass.
public struct ModelReport: Sendable {
    public let variant: Variant
    public let inputShape: [Int]
    public let layers: [LayerReport]

    /// Runs `input` (a batch of one) through `net` and reads every shape off the outputs.
    public init(net: LeNet5, input: Tensor) {
        let trace = net.trace(input)
        variant = net.variant
        inputShape = Array(input.shape.dropFirst())
        let paperRows = Dictionary(uniqueKeysWithValues: PaperFacts.layers.map { ($0.name, $0) })
        layers = net.layers.enumerated().map { l, layer in
            let inShape = Array(trace[l].shape.dropFirst())
            let outShape = Array(trace[l + 1].shape.dropFirst())
            return LayerReport(
                name: layer.name, kind: layer.kind, shape: outShape,
                trainableParameters: layer.trainableParameterCount,
                connections: layer.connections(input: inShape),
                multiplyAdds: layer.multiplyAdds(input: inShape),
                paper: net.variant == .paper ? paperRows[layer.name] : nil)
        }
    }

    public var totalTrainableParameters: Int { layers.reduce(0) { $0 + $1.trainableParameters } }
    public var totalConnections: Int { layers.reduce(0) { $0 + $1.connections } }
    public var totalMultiplyAdds: Int { layers.reduce(0) { $0 + $1.multiplyAdds } }
    public var totalActivations: Int { layers.reduce(inputShape.reduce(1, *)) { $0 + $1.activations } }

    /// True when every shape and count the paper gives is what the model computes.
    public var matchesPaper: Bool {
        variant == .paper
            && layers.count == PaperFacts.layers.count
            && layers.allSatisfy {
                [$0.shapeMatches, $0.parametersMatch, $0.connectionsMatch].allSatisfy { $0 != false }
            }
            && totalTrainableParameters == PaperFacts.totalTrainableParameters
            && totalConnections == PaperFacts.totalConnections
    }
}
