/// A small deterministic random generator (SplitMix64), so the same seed gives the same
/// initial weights, shuffles and distortions on every machine.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    /// The whole state: saving and restoring it continues the same sequence.
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }
    public init(state: UInt64) { self.state = state }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in [−limit, limit].
    public mutating func uniform(_ limit: Float) -> Float {
        Float.random(in: -limit...limit, using: &self)
    }
}
