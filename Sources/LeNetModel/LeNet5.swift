import LeNetData
import LeNetCore

/// Which LeNet-5: the 1998 paper's, or the simplification most tutorials teach.
public enum Variant: String, CaseIterable, Sendable {
    /// Trainable subsampling, Table I in C3, scaled tanh, RBF output.
    case paper
    /// Average pooling, full C3, plain tanh, a dense 10-way softmax output.
    case keras

    /// The input scaling the variant's recipe trains with.
    public var inputScaling: InputScaling { self == .paper ? .paper : .standard }
    public var architecture: Architecture { self == .paper ? .paper : .keras }
}

/// LeNet-5 as a short list of layers, input 1@32×32:
/// C1 → S2 → C3 → S4 → C5 → F6 → output.
public struct LeNet5: Sendable {
    public let architecture: Architecture
    /// How grey levels become inputs: part of the model, as its weights only mean something
    /// for the inputs they were trained on.
    public var scaling: InputScaling
    /// paper (RBF output, smallest penalty wins) or keras (logits, largest wins).
    public var variant: Variant { architecture.variant }
    public var layers: [any Layer]
    /// The fast path by default; `.reference` runs the plain loops that read like the paper.
    public var path: ComputePath = .fast
    /// Cores the slices of a batch are shared among on the fast path.
    public var threads = coreCount
    /// Samples per slice: few enough that a slice's feature maps stay in a core's cache.
    public static let samplesPerSlice = 16

    /// The slices the fast path cuts a batch of n into. They depend on n alone, so results
    /// do not depend on how many cores share them; the reference path takes the batch whole.
    public func slices(_ n: Int) -> [Range<Int>] {
        path == .fast ? Tensor.chunks(n, parts: (n + LeNet5.samplesPerSlice - 1) / LeNet5.samplesPerSlice) : [0..<n]
    }

    /// Per-sample input shape (C, H, W).
    public static let inputShape = [1, Digits.inputSize, Digits.inputSize]

    /// The network with untrained (zero) parameters; `c1Maps` other than 6 replaces Table I
    /// by a full C3 table, for experiments.
    public init(variant: Variant, c1Maps: Int = 6) {
        self.init(architecture: variant.architecture, scaling: variant.inputScaling, c1Maps: c1Maps)
    }

    /// Any combination of the design choices (`lesson ablation`), untrained.
    public init(architecture: Architecture, scaling: InputScaling, c1Maps: Int = 6) {
        self.architecture = architecture
        self.scaling = scaling
        let f = architecture.squashing
        let trainablePooling = architecture.pooling == .trainable
        let poolActivation: Activation = trainablePooling ? f : .identity
        let c3Table =
            architecture.c3 == .tableI && c1Maps == 6 ? ConnectionTable.tableI : .full(inputs: c1Maps, outputs: 16)
        let output: any Layer =
            architecture.output == .rbf
            ? RBFOutput()
            : FullyConnected(name: "Output", key: "out", inputs: 84, outputs: 10, activation: .identity)
        layers = [
            Convolution(
                name: "C1", table: .full(inputs: 1, outputs: c1Maps), kernelSize: 5,
                activation: architecture.convolutionActivation),
            Subsampling(name: "S2", maps: c1Maps, trainable: trainablePooling, activation: poolActivation),
            Convolution(name: "C3", table: c3Table, kernelSize: 5, activation: architecture.convolutionActivation),
            Subsampling(name: "S4", maps: 16, trainable: trainablePooling, activation: poolActivation),
            Convolution(name: "C5", table: .full(inputs: 16, outputs: 120), kernelSize: 5, activation: f),
            FullyConnected(name: "F6", inputs: 120, outputs: 84, activation: f),
            output,
        ]
    }

    /// The network initialized from a seed, as its variant prescribes unless told otherwise.
    public init(variant: Variant, seed: UInt64, c1Maps: Int = 6, initialization: Initialization? = nil) {
        self.init(
            architecture: variant.architecture, scaling: variant.inputScaling, seed: seed, c1Maps: c1Maps,
            initialization: initialization ?? .default(for: variant))
    }

    public init(
        architecture: Architecture, scaling: InputScaling, seed: UInt64, c1Maps: Int = 6, initialization: Initialization
    ) {
        self.init(architecture: architecture, scaling: scaling, c1Maps: c1Maps)
        var rng = SeededGenerator(seed: seed)
        initialization.apply(to: &self, using: &rng)
    }

    public func layer(named name: String) -> (any Layer)? {
        layers.first { $0.name.lowercased() == name.lowercased() }
    }

    /// Per-sample shapes: the input's, then each layer's output.
    public var shapes: [[Int]] {
        layers.reduce(into: [LeNet5.inputShape]) { shapes, layer in shapes.append(layer.outputShape(shapes.last!)) }
    }

    /// How many layers at the bottom two cores can share out map by map (`Layer.sharesMaps`):
    /// the first, then each next one of as many maps whose map m reads map m below alone.
    /// The paper's C1 and S2 (C3 reads several of S2's maps).
    public var sharedMapLayers: Int {
        let shapes = shapes
        var count = 0
        for (l, layer) in layers.enumerated() {
            guard layer.sharesMaps else { break }
            if l > 0 {
                let maps = shapes[l][0]
                guard shapes[l + 1][0] == maps, layer.mapInputs == (0..<maps).map({ [$0] }) else { break }
            }
            count = l + 1
        }
        return count
    }

    public var trainableParameterCount: Int { layers.reduce(0) { $0 + $1.trainableParameterCount } }

    public var connections: Int {
        zip(layers, shapes).reduce(0) { $0 + $1.0.connections(input: $1.1) }
    }

    public var multiplyAdds: Int {
        zip(layers, shapes).reduce(0) { $0 + $1.0.multiplyAdds(input: $1.1) }
    }

    /// The network's outputs: RBF penalties (paper) or logits (keras), shape (N, 10), slice
    /// by slice through all layers.
    public func forward(_ x: Tensor) -> Tensor {
        let n = x.shape[0]
        return forwardSlices(n) { sliceForward($0.count == n ? x : x.samples($0)) }
    }

    /// `forward` of the digits at `indices`, each slice's inputs made (`Digits.batch`) on the
    /// core that runs it: no batch of inputs is built first on one core, and each slice's
    /// inputs are still in that core's cache when C1 reads them. The same numbers as
    /// `forward(digits.batch(indices, scaling: scaling))`.
    public func forward(_ digits: Digits, _ indices: [Int]) -> Tensor {
        let scaling = scaling
        return forwardSlices(indices.count) { part in
            // A slice that goes through lanes has its digits put in lanes straight away.
            let count = laneLayers(part.count, input: LeNet5.inputShape)
            return count > 0
                ? laneForward(LaneMaps(digits, indices[part], scaling: scaling), laneLayers: count)
                : sliceForward(digits.batch(Array(indices[part]), scaling: scaling))
        }
    }

    /// The outputs of n samples, each slice's (`slices`) worked out by `output` on the core
    /// that runs it, one after another.
    func forwardSlices(_ n: Int, _ output: @Sendable (Range<Int>) -> Tensor) -> Tensor {
        let parts = slices(n)
        guard parts.count > 1 else { return output(0..<n) }
        return .concatenating(parallelMap(parts.count, threads: threads) { output(parts[$0]) })
    }

    /// `forward` of one slice, on one core.
    func sliceForward(_ x: Tensor) -> Tensor {
        let count = x.shape.count == 4 ? laneLayers(x.shape[0], input: Array(x.shape.dropFirst())) : 0
        if count > 0 { return laneForward(x, laneLayers: count) }
        return layers.reduce(x) { $1.forward($0, path: path) }
    }

    /// The input followed by every layer's output.
    public func trace(_ x: Tensor) -> [Tensor] {
        var outputs = [x]
        outputs.reserveCapacity(layers.count + 1)
        for layer in layers { outputs.append(layer.forward(outputs[outputs.count - 1], path: path)) }
        return outputs
    }

    /// Back-propagates ∂E/∂output through a trace; returns ∂E/∂p for every layer's parameters,
    /// and ∂E/∂input when `inputGradient` (training has no use for it; the fast path skips it).
    public func backward(trace: [Tensor], gradient: Tensor, inputGradient: Bool = true) -> (
        input: Tensor, parameters: [[Tensor]]
    ) {
        var dy = gradient
        var grads = [[Tensor]](repeating: [], count: layers.count)
        for l in layers.indices.reversed() {
            let (dx, dp) = layers[l].backward(
                input: trace[l], output: trace[l + 1], gradient: dy, path: path, inputGradient: l > 0 || inputGradient)
            grads[l] = dp
            dy = dx
        }
        return (dy, grads)
    }

    /// Back-propagates ∂²E/∂output² (Gauss–Newton) through a trace; returns ∂²E/∂p² per layer.
    /// `squared`, when given, holds each layer's `squaredForCurvature`, made once for many traces.
    public func curvature(trace: [Tensor], curvature: Tensor, squared: [any Layer]? = nil) -> [[Tensor]] {
        var d2y = curvature
        var result = [[Tensor]](repeating: [], count: layers.count)
        for l in layers.indices.reversed() {
            let (d2x, d2p) = layers[l].curvature(
                input: trace[l], output: trace[l + 1], curvature: d2y, path: path, squared: squared?[l])
            result[l] = d2p
            d2y = d2x
        }
        return result
    }

    /// Every stored tensor, PyTorch-named, in layer order.
    public var parameters: [Parameter] { layers.flatMap(\.parameters) }

    /// The predicted class of each sample: the smallest RBF penalty, or the largest logit.
    public func predictions(_ output: Tensor) -> [Int] {
        (0..<output.shape[0]).map { prediction(output, sample: $0) }
    }

    /// The predicted class of sample s of `output`.
    public func prediction(_ output: Tensor, sample s: Int) -> Int {
        // The smallest penalty (paper) or largest logit (keras) wins; a NaN never wins, and a
        // row with no number at all answers 0 rather than stopping the program.
        let classes = output.shape[1]
        return output.scalars.withUnsafeBufferPointer { p in
            var best = 0, bestValue = Float.nan
            for k in 0..<classes {
                let v = p[s * classes + k]
                guard !v.isNaN else { continue }
                if bestValue.isNaN || (variant == .paper ? v < bestValue : v > bestValue) { best = k; bestValue = v }
            }
            return best
        }
    }
}
