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

    func forward(_ x: Tensor) -> Tensor
    /// Given the input x, the output y = forward(x) and ∂E/∂y, returns ∂E/∂x and ∂E/∂p for
    /// each of `parameters`, in that order (zeros for fixed ones).
    func backward(input x: Tensor, output y: Tensor, gradient dy: Tensor) -> (input: Tensor, parameters: [Tensor])
}

extension Layer {
    public func multiplyAdds(input: [Int]) -> Int { connections(input: input) }
}
