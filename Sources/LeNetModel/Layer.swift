import LeNetCore

/// A stored tensor of a layer, named as in PyTorch's state_dict ("c1.weight").
public struct Parameter: Sendable {
    public var name: String
    public var value: Tensor
    /// False for the RBF centres, which the paper fixes by hand.
    public var trainable: Bool

    public init(name: String, value: Tensor, trainable: Bool = true) {
        self.name = name
        self.value = value
        self.trainable = trainable
    }
}

/// One layer of the network: a row of the paper's description in Section II.B.
/// Tensors are batch-first; shapes passed to the counting functions are per sample (C, H, W).
public protocol Layer: Sendable {
    /// The paper's name: "C1", "S2", …
    var name: String { get }
    /// A short description: "convolution 5×5, Table I".
    var kind: String { get }
    var activation: Activation { get }
    func outputShape(_ input: [Int]) -> [Int]
    /// Free parameters that training changes (shared weights count once).
    var trainableParameterCount: Int { get }
    /// Connections (one per multiply or bias term), as the paper counts them.
    func connections(input: [Int]) -> Int
    /// Multiply-adds of one forward pass of one sample.
    func multiplyAdds(input: [Int]) -> Int

    var parameters: [Parameter] { get set }
    /// Calls `body(index, &tensor)` for each trainable parameter (indices as in
    /// `parameters`), in place: the optimizer's update without copying the weights.
    mutating func updateTrainable(_ body: (Int, inout Tensor) -> Void)

    func forward(_ x: Tensor) -> Tensor
    /// Given the input x, the output y = forward(x) and ∂E/∂y, returns ∂E/∂x and ∂E/∂p for
    /// each of `parameters`, in that order (zeros for fixed ones).
    func backward(input x: Tensor, output y: Tensor, gradient dy: Tensor) -> (input: Tensor, parameters: [Tensor])
    /// The Gauss–Newton diagonal (Appendix C): back-propagates ∂²E/∂y² as backward does ∂E/∂y,
    /// with squared weights, inputs and slopes, dropping f″ and off-diagonal terms. Returns
    /// ∂²E/∂x² and ∂²E/∂p² per parameter, for stochastic diagonal Levenberg–Marquardt.
    func curvature(input x: Tensor, output y: Tensor, curvature d2y: Tensor) -> (input: Tensor, parameters: [Tensor])
    /// The layer as standard operations, for exporters (`Primitive`).
    var primitives: [Primitive] { get }

    /// For each output map, the input maps it reads (Table I for C3); nil for a layer whose
    /// outputs are not maps read from maps (C5 onwards read everything).
    var mapInputs: [[Int]]? { get }

    /// The fast path: the same results as `forward` and `backward` (tests hold them to 1e-5
    /// and 1e-4), computed as register-blocked matrix products and vector loops over raw
    /// buffers (Fast/). Writes into `y`, whose buffer is kept when it has the output's shape
    /// already: online training keeps its trace from one step to the next (`Tensor.prepare`).
    func forwardFast(_ x: Tensor, into y: inout Tensor)
    /// As `backward`; ∂E/∂x is left zero unless `inputGradient` (the first layer's is never used).
    func backwardFast(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool) -> (
        input: Tensor, parameters: [Tensor]
    )

    /// Back-propagates as `backward` and then steps every trainable parameter p down its
    /// gradient, p ← p − ε ⊙ ∂E/∂p, with ε from `rates` (one tensor per parameter, as in
    /// `parameters`); writes ∂E/∂x into `dx` (its buffer kept when it has the input's shape;
    /// its numbers unspecified unless `inputGradient`). Online training's update, one layer
    /// at a time from the top: a layer's ∂E/∂x is worked out before its weights move, and the
    /// layers below never read them, so the numbers are those of the whole backward pass
    /// followed by the step.
    mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor
    )

    /// `backwardAndStep`, calling `handOver(dx)` as soon as ∂E/∂x is worked out: before the
    /// step where the layer can take them apart (a dense layer, one sample, on the fast
    /// path), after it otherwise. Online training on two cores gives ∂E/∂x to the layers
    /// below, on the other core, while this layer steps. The same numbers either way.
    mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor, handOver: (Tensor) -> Void
    )

    /// Whether `forwardLanes` takes this layer's input of per-sample `shape` (C, H, W). False
    /// unless the layer says so.
    func runsOnLanes(input shape: [Int]) -> Bool
    /// The forward pass of up to sixteen samples laid lane by lane (`LaneMaps`), for an input
    /// `runsOnLanes` takes: each sample's numbers those of `forwardFast`, bit for bit.
    func forwardLanes(_ x: LaneMaps, into y: inout LaneMaps)
    /// `forwardLanes` for output rows `rows` alone, into `band`, which holds just those rows
    /// (map by map, rows.count rows each, a SIMD16 a unit): the numbers `forwardLanes` gives
    /// them. False, with nothing done, where the layer cannot give its output by rows.
    func forwardLanes(_ x: LaneMaps, rows: Range<Int>, into band: UnsafeMutablePointer<Float>) -> Bool
    /// `below.forwardLanes` then this layer's in one pass, a band of below's output rows at a
    /// time (each band worked out and used while it is in the first-level cache): the numbers
    /// of the two passes. False, with nothing done, where this layer cannot take its input in
    /// bands or `below` cannot give it so.
    func forwardLanes(_ x: LaneMaps, after below: any Layer, into y: inout LaneMaps) -> Bool
    /// Whether two cores may share out this layer's output maps, one sample on the fast path,
    /// each core computing some maps forward (`forwardFast(_:maps:into:)`) and back
    /// (`backwardFast(maps:…)`) while the other computes the rest (online training on two
    /// cores, `LeNet5.sharedMapLayers`). False unless the layer says so.
    var sharesMaps: Bool { get }

    /// The forward pass of one sample for output maps `maps` alone: writes those maps of the
    /// output into `y` (the whole output's buffer, shaped by the caller), the numbers
    /// `forwardFast` gives them.
    func forwardFast(_ x: Tensor, maps: Range<Int>, into y: UnsafeMutablePointer<Float>)

    /// The backward pass of one sample for output maps `maps` alone: ∂E/∂p of their
    /// parameters into `parameters` (all the layer's trainable parameters one after another,
    /// as `updateTrainable` visits them; other entries left as they are) and, when `dx` is
    /// given, ∂E/∂x of the input maps they read (a layer whose map m reads input map m alone);
    /// the numbers `backwardFast` gives them.
    func backwardFast(
        maps: Range<Int>, input x: Tensor, output y: Tensor, gradient dy: Tensor,
        parameters dp: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?)

    /// As `curvature`, on the fast path, for a layer whose Gauss–Newton pass is not its
    /// squared backward pass (`curvatureIsSquaredBackward`); the reference code unless the
    /// layer has its own.
    func curvatureFast(input x: Tensor, output y: Tensor, curvature d2y: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    )

    /// True when the layer's Gauss–Newton pass is its backward pass with every weight and
    /// input squared (a weighted sum followed by f): convolutions and fully connected layers.
    /// Subsampling's β multiplies a sum, whose square is not the sum of squares.
    var curvatureIsSquaredBackward: Bool { get }

    /// Draws the initial parameters by `rule`, each unit's bound from its own fan-in.
    mutating func initialize(_ rule: Initialization, using rng: inout SeededGenerator)

    /// A dense layer's fast backward pass (C5 on S4's 5×5 maps, F6, a dense output) without
    /// ∂E/∂w, its parameter 0: ∂E/∂x (zeros unless `inputGradient`), ∂E/∂b, and the slopes
    /// ∂E/∂a (n × outputs) from which `Dense.weightRows` makes ∂E/∂w, rows of it at a time.
    /// Nil for any other layer.
    func backwardLeavingWeights(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool) -> (
        input: Tensor, bias: Tensor, slopes: Tensor
    )?
}

extension Layer {
    public func backwardLeavingWeights(input x: Tensor, output y: Tensor, gradient dy: Tensor, inputGradient: Bool)
        -> (input: Tensor, bias: Tensor, slopes: Tensor)?
    { nil }
    public func multiplyAdds(input: [Int]) -> Int { connections(input: input) }
    public var mapInputs: [[Int]]? { nil }
    public var sharesMaps: Bool { false }
    public func runsOnLanes(input shape: [Int]) -> Bool { false }
    public func forwardLanes(_ x: LaneMaps, into y: inout LaneMaps) {
        preconditionFailure("\(name) does not run on lanes")
    }
    public func forwardLanes(_ x: LaneMaps, rows: Range<Int>, into band: UnsafeMutablePointer<Float>) -> Bool {
        false
    }
    public func forwardLanes(_ x: LaneMaps, after below: any Layer, into y: inout LaneMaps) -> Bool { false }

    public func forwardFast(_ x: Tensor, maps: Range<Int>, into y: UnsafeMutablePointer<Float>) {
        preconditionFailure("\(name) does not share out its maps")
    }

    public func backwardFast(
        maps: Range<Int>, input x: Tensor, output y: Tensor, gradient dy: Tensor,
        parameters dp: UnsafeMutablePointer<Float>, dx: UnsafeMutablePointer<Float>?
    ) {
        preconditionFailure("\(name) does not share out its maps")
    }

    public func curvatureFast(input x: Tensor, output y: Tensor, curvature d2y: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        curvature(input: x, output: y, curvature: d2y)
    }
}

/// Which code computes the network: the plain reference loops (the oracle) or the fast path.
public enum ComputePath: String, Sendable, CaseIterable {
    case reference, fast
}

extension Layer {
    public func forward(_ x: Tensor, path: ComputePath) -> Tensor {
        path == .fast ? forwardFast(x) : forward(x)
    }

    /// `forward` into `y` (on the fast path, into its buffer when it has the right shape).
    public func forward(_ x: Tensor, into y: inout Tensor, path: ComputePath) {
        if path == .fast { forwardFast(x, into: &y) } else { y = forward(x) }
    }

    /// `forwardFast(_:into:)` into a new tensor.
    public func forwardFast(_ x: Tensor) -> Tensor {
        var y = Tensor.empty
        forwardFast(x, into: &y)
        return y
    }

    public func backward(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool = true
    ) -> (input: Tensor, parameters: [Tensor]) {
        path == .fast
            ? backwardFast(input: x, output: y, gradient: dy, inputGradient: inputGradient)
            : backward(input: x, output: y, gradient: dy)
    }

    public mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor
    ) {
        backwardThenStep(
            input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient, rates: rates, into: &dx)
    }

    public mutating func backwardAndStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor, handOver: (Tensor) -> Void
    ) {
        backwardAndStep(
            input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient, rates: rates, into: &dx)
        handOver(dx)
    }

    /// `backwardThenStep` into `dx`: the default `backwardAndStep`, and where a layer's fused
    /// one does not apply (the reference path, or a batch).
    public mutating func backwardThenStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor], into dx: inout Tensor
    ) {
        dx = backwardThenStep(input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient, rates: rates)
    }

    /// `backward`, then the step: `backwardAndStep` for a layer that does not fuse them.
    public mutating func backwardThenStep(
        input x: Tensor, output y: Tensor, gradient dy: Tensor, path: ComputePath, inputGradient: Bool,
        rates: [Tensor]
    ) -> Tensor {
        let (dx, grads) = backward(input: x, output: y, gradient: dy, path: path, inputGradient: inputGradient)
        step(grads, rates: rates)
        return dx
    }

    /// The step with ∂E/∂p of every trainable parameter laid one after another in `gradients`
    /// (as `backwardFast(maps:…)` writes them).
    public mutating func step(laidOut gradients: UnsafePointer<Float>, rates: [Tensor]) {
        var offset = 0
        updateTrainable { p, value in
            value.subtractProducts(rates[p], gradients + offset)
            offset += value.count
        }
    }

    /// p ← p − ε ⊙ ∂E/∂p for each trainable parameter (`gradients` and `rates` one tensor per
    /// parameter, as in `parameters`): SGD's and SDLM's step, a large tensor on up to
    /// `threads` cores.
    public mutating func step(_ gradients: [Tensor], rates: [Tensor], threads: Int = 1) {
        updateTrainable { p, value in value.subtractProducts(rates[p], gradients[p], threads: threads) }
    }

    /// The layer with every parameter squared: the weights of its Gauss–Newton pass
    /// (`curvature`), made once for the many samples of an estimate.
    public var squaredForCurvature: Self {
        var squared = self
        squared.parameters = parameters.map { p in
            var p = p
            p.value.scalars = p.value.scalars.map { $0 * $0 }
            return p
        }
        return squared
    }

    /// Where the Gauss–Newton pass is the backward pass with every weight and input squared
    /// (`curvatureIsSquaredBackward`), and ∂²E/∂y² scaled by f′(y) once more (backward
    /// applies the second f′), the fast backward computes it; other layers have
    /// `curvatureFast`. `squared`, when given, is this layer's `squaredForCurvature`.
    public func curvature(
        input x: Tensor, output y: Tensor, curvature d2y: Tensor, path: ComputePath, squared: (any Layer)? = nil
    ) -> (input: Tensor, parameters: [Tensor]) {
        guard path == .fast else { return curvature(input: x, output: y, curvature: d2y) }
        guard curvatureIsSquaredBackward else { return curvatureFast(input: x, output: y, curvature: d2y) }
        let squared = squared as? Self ?? squaredForCurvature
        var x2 = x, scaled = Tensor(unfilled: d2y.shape)
        x2.scalars = x.scalars.map { $0 * $0 }
        d2y.withPointer { d2yp in
            y.withPointer { yp in scaled.withMutablePointer { _ = Kernels.slope(activation, d2y.count, d2yp, yp, $0) } }
        }
        return squared.backwardFast(input: x2, output: y, gradient: scaled, inputGradient: true)
    }
}
