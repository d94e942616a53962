/// The design choices that separate the paper's LeNet-5 from the model today's tutorials
/// call by that name. Each is one switch, so that `lesson ablation` can change them one at
/// a time and measure what each was worth.
public struct Architecture: Sendable, Hashable {
    /// Which S2 maps each C3 map reads.
    public enum Connections: String, Sendable, CaseIterable {
        /// Table I: 60 of the 96 possible connections, to break symmetry and save connections.
        case tableI = "table-i"
        /// Every C3 map reads all six S2 maps.
        case full
    }

    /// What S2 and S4 compute.
    public enum Pooling: String, Sendable, CaseIterable {
        /// β·(2×2 sum) + b, then the squashing function (the paper).
        case trainable
        /// The mean of the 2×2 window, nothing to learn (the tutorials).
        case average
    }

    /// The last layer.
    public enum Output: String, Sendable, CaseIterable {
        /// Euclidean RBF units with fixed codes; the smallest penalty wins (the paper).
        case rbf
        /// A dense layer of 10 logits, read through a softmax (the tutorials).
        case dense
    }

    public var c3: Connections
    public var pooling: Pooling
    /// The squashing function of every unit that has one: `.squash` (A·tanh(S·a)) or `.tanh`.
    public var squashing: Activation
    /// C1 and C3 without a squashing function, as the seed's DL4J example builds them.
    public var linearConvolutions = false
    public var output: Output

    public init(
        c3: Connections, pooling: Pooling, squashing: Activation, linearConvolutions: Bool = false, output: Output
    ) {
        self.c3 = c3
        self.pooling = pooling
        self.squashing = squashing
        self.linearConvolutions = linearConvolutions
        self.output = output
    }

    /// The network of the paper, Section II.B.
    public static let paper = Architecture(c3: .tableI, pooling: .trainable, squashing: .squash, output: .rbf)
    /// The seed's Keras model: full C3, average pooling, tanh, dense softmax output.
    public static let keras = Architecture(c3: .full, pooling: .average, squashing: .tanh, output: .dense)
    /// The seed's DL4J model: as Keras, but C1 and C3 are linear (activation IDENTITY).
    public static let dl4j = Architecture(
        c3: .full, pooling: .average, squashing: .tanh, linearConvolutions: true, output: .dense)

    /// The variant whose weight names and answers the network shares: its output decides.
    public var variant: Variant { output == .rbf ? .paper : .keras }

    /// The activation of C1 and C3.
    public var convolutionActivation: Activation { linearConvolutions ? .identity : squashing }
}
