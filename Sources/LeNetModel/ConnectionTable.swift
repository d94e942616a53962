/// Which input maps feed each output map of a convolution layer.
public struct ConnectionTable: Equatable, Sendable {
    /// inputs[o] = the input maps output map o reads, in increasing order.
    public let inputs: [[Int]]
    public let inputMaps: Int

    /// The output maps in pairs that share most of their inputs, for the fast path's ∂E/∂w:
    /// it works out each pair's kernels over the input maps either of them reads, and skips
    /// the rest (Table I's pairs read 4 or 6 input maps of 6, not 6).
    public let pairs: [MapPair]

    /// readers[i] = the output maps that read input map i, in increasing order: the fast
    /// path's ∂E/∂x sums over these only.
    public let readers: [[Int]]

    /// Every output map reads every input map. (Worked out once: the fast path asks at
    /// every step.)
    public let isFull: Bool

    /// connected[o·inputMaps + i]: whether output map o reads input map i.
    let connected: [Bool]

    public init(inputs: [[Int]], inputMaps: Int) {
        self.inputs = inputs
        self.inputMaps = inputMaps
        pairs = MapPair.pairing(inputs, inputMaps: inputMaps)
        readers = (0..<inputMaps).map { i in inputs.indices.filter { inputs[$0].contains(i) } }
        isFull = inputs.allSatisfy { $0.count == inputMaps }
        connected = inputs.flatMap { reads in (0..<inputMaps).map { reads.contains($0) } }
    }

    /// Every output map reads every input map.
    public static func full(inputs: Int, outputs: Int) -> ConnectionTable {
        ConnectionTable(inputs: Array(repeating: Array(0..<inputs), count: outputs), inputMaps: inputs)
    }

    public var outputMaps: Int { inputs.count }
    public func connects(output o: Int, input i: Int) -> Bool { connected[o * inputMaps + i] }
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

/// One or two output maps of a convolution, and the input maps either reads as runs of
/// consecutive maps (`ConnectionTable.pairs`).
public struct MapPair: Equatable, Sendable {
    public let maps: [Int]
    public let inputRuns: [Range<Int>]

    /// Greedily, the two maps whose inputs together are fewest (the more they share, the
    /// better), until one map or none is left. A full table, or one too wide to search
    /// (over 64 maps on either side), is paired in order.
    static func pairing(_ inputs: [[Int]], inputMaps: Int) -> [MapPair] {
        var left = Array(inputs.indices), pairs: [MapPair] = []
        func pair(_ maps: [Int]) -> MapPair {
            let union = Set(maps.flatMap { inputs[$0] }).sorted()
            var runs: [Range<Int>] = []
            for i in union {
                if let last = runs.last, last.upperBound == i {
                    runs[runs.count - 1] = last.lowerBound..<i + 1
                } else {
                    runs.append(i..<i + 1)
                }
            }
            return MapPair(maps: maps, inputRuns: runs)
        }
        guard inputs.count <= 64, inputMaps <= 64, inputs.contains(where: { $0.count < inputMaps }) else {
            return stride(from: 0, to: inputs.count, by: 2).map { pair(Array($0..<min($0 + 2, inputs.count))) }
        }
        let masks = inputs.map { $0.reduce(UInt64(0)) { $0 | 1 << UInt64($1) } }
        while left.count >= 2 {
            var best = (a: left[0], b: left[1]), bestKey = (Int.max, 0)
            for (x, a) in left.enumerated() {
                for b in left[(x + 1)...] {
                    let key = ((masks[a] | masks[b]).nonzeroBitCount, -(masks[a] & masks[b]).nonzeroBitCount)
                    if key < bestKey { (best, bestKey) = ((a, b), key) }
                }
            }
            pairs.append(pair([best.a, best.b]))
            left.removeAll { $0 == best.a || $0 == best.b }
        }
        if let last = left.first { pairs.append(pair([last])) }
        return pairs
    }
}
