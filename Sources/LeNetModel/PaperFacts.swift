/// The 1998 paper's published figures, in one place, for comparison with what the model
/// computes (../shared/paper-facts.md; Section II.B, II.A and III.C of the paper).
public enum PaperFacts {
    public struct LayerRow: Sendable {
        public let name: String
        /// Per-sample output shape (maps, height, width), or (units) for F6 and the output.
        public let shape: [Int]
        /// nil where the paper gives none (the RBF output's parameters are fixed).
        public let trainableParameters: Int?
        public let connections: Int
    }

    public static let layers: [LayerRow] = [
        LayerRow(name: "C1", shape: [6, 28, 28], trainableParameters: 156, connections: 122_304),
        LayerRow(name: "S2", shape: [6, 14, 14], trainableParameters: 12, connections: 5_880),
        LayerRow(name: "C3", shape: [16, 10, 10], trainableParameters: 1_516, connections: 151_600),
        LayerRow(name: "S4", shape: [16, 5, 5], trainableParameters: 32, connections: 2_000),
        LayerRow(name: "C5", shape: [120, 1, 1], trainableParameters: 48_120, connections: 48_120),
        LayerRow(name: "F6", shape: [84], trainableParameters: 10_164, connections: 10_164),
        LayerRow(name: "Output", shape: [10], trainableParameters: nil, connections: 840),
    ]

    public static let inputShape = [1, 32, 32]
    public static let totalTrainableParameters = 60_000
    public static let totalConnections = 340_908

    /// C3 with every S2 map feeding every C3 map: 16 × (6·25 + 1).
    public static let fullC3Parameters = 2_416

    /// Test error without distortions (III.C), and training error after 19 passes.
    public static let testError = 0.0095
    public static let trainingError = 0.0035
    /// With 540,000 distorted training copies.
    public static let distortedTestError = 0.008
    public static let passes = 20
    /// The test error settled after about this many passes (III.C, Figure 5).
    public static let passesToSettle = 10
    /// Training error is quoted after this many passes.
    public static let trainingErrorPass = 19
    /// Misclassified test digits with distortions (Figure 8).
    public static let distortedMisclassified = 82
    /// Distorted copies added to the 60,000 training digits.
    public static let distortedPatterns = 540_000
    /// Training and test digits of MNIST.
    public static let trainingDigits = 60_000, testDigits = 10_000

    /// The training recipe (III.B, Appendix C): η per pass, μ, and the curvature sample.
    public static let rateTable: [(untilPass: Int, rate: Float)] = [
        (2, 0.0005), (5, 0.0002), (8, 0.0001), (12, 0.00005),
    ]
    public static let finalRate: Float = 0.00001
    public static let sdlmMu: Float = 0.02
    public static let curvatureSamples = 500
    /// Appendix A: weights uniform in ±2.4/Fᵢ.
    public static let initializationNumerator: Float = 2.4
    /// II.B: background and foreground input levels.
    public static let background: Float = -0.1, foreground: Float = 1.175

    /// The usual modern "LeNet-5" (Keras/PyTorch tutorials): 60,000 + 900 (full C3)
    /// + 850 (dense output) − 44 (no subsampling parameters).
    public static let kerasTrainableParameters = 61_706
    /// Why the tutorial's layers differ from the paper's, by layer.
    public static let kerasChanges: [String: String] = [
        "S2": "average pooling has no trainable coefficient or bias",
        "C3": "every S2 map feeds every C3 map: Table I is dropped",
        "S4": "average pooling has no trainable coefficient or bias",
        "Output": "a dense 84→10 layer with softmax replaces the fixed RBF units",
    ]
}
