/// Which input maps feed each output map of a convolution layer.
public struct ConnectionTable: Equatable, Sendable {
    /// inputs[o] = the input maps output map o reads, in increasing order.
    public let inputs: [[Int]]
    public let inputMaps: Int

    public init(inputs: [[Int]], inputMaps: Int) {
        self.inputs = inputs
        self.inputMaps = inputMaps
    }

    /// Every output map reads every input map.
    public static func full(inputs: Int, outputs: Int) -> ConnectionTable {
        ConnectionTable(inputs: Array(repeating: Array(0..<inputs), count: outputs), inputMaps: inputs)
    }

    public var outputMaps: Int { inputs.count }
    public func connects(output o: Int, input i: Int) -> Bool { inputs[o].contains(i) }
    public var isFull: Bool { inputs.allSatisfy { $0.count == inputMaps } }
    /// Number of (output, input) map pairs that are connected.
    public var connectedPairs: Int { inputs.reduce(0) { $0 + $1.count } }

    /// Table I of the paper: the S2 maps (columns 0–5) combined by each C3 map (0–15).
    /// Maps 0–5 take three contiguous S2 maps, 6–11 four contiguous, 12–14 four
    /// non-contiguous, and 15 all six. The paper's reasons: fewer connections, and broken
    /// symmetry, so that different C3 maps are forced to extract different features.
    public static let tableI = ConnectionTable(
        inputs: [
            [0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5], [0, 4, 5], [0, 1, 5],
            [0, 1, 2, 3], [1, 2, 3, 4], [2, 3, 4, 5], [0, 3, 4, 5], [0, 1, 4, 5], [0, 1, 2, 5],
            [0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5],
            [0, 1, 2, 3, 4, 5],
        ], inputMaps: 6)
}
