/// A dense Float32 array with a shape, stored contiguously in row-major order.
/// Images and feature maps are batch-first: (N, C, H, W).
public struct Tensor: Equatable, Sendable {
    public private(set) var shape: [Int]
    public var scalars: [Float]

    public init(shape: [Int], scalars: [Float]) {
        precondition(
            shape.reduce(1, *) == scalars.count,
            "shape \(shape) needs \(shape.reduce(1, *)) scalars, got \(scalars.count)")
        self.shape = shape
        self.scalars = scalars
    }

    public init(zeros shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: 0, count: shape.reduce(1, *)))
    }

    /// A tensor whose scalars are left unset, for an output its producer writes in full
    /// before anything reads it: zeroing it first would be wasted work.
    public init(unfilled shape: [Int]) {
        let count = shape.reduce(1, *)
        self.init(
            shape: shape, scalars: [Float](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
        )
    }

    public init(repeating value: Float, shape: [Int]) {
        self.init(shape: shape, scalars: [Float](repeating: value, count: shape.reduce(1, *)))
    }

    public var count: Int { scalars.count }

    /// No numbers at all: the starting point of a buffer that `prepare` will shape.
    public static let empty = Tensor(shape: [0], scalars: [])

    /// Makes this a tensor of `shape` with its scalars unset (for a producer that writes them
    /// all), keeping its buffer when it has that shape already: online training's trace and
    /// gradients live from one step to the next.
    public mutating func prepare(_ shape: [Int]) {
        if self.shape != shape { self = Tensor(unfilled: shape) }
    }

    /// `prepare` for a rank-2 shape (n, features), without building the shape's array unless
    /// it differs.
    public mutating func prepare(_ n: Int, _ features: Int) {
        if shape.count != 2 || shape[0] != n || shape[1] != features { self = Tensor(unfilled: [n, features]) }
    }

    /// `prepare` for a rank-4 shape (n, maps, height, width).
    public mutating func prepare(_ n: Int, _ maps: Int, _ height: Int, _ width: Int) {
        if shape.count != 4 || shape[0] != n || shape[1] != maps || shape[2] != height || shape[3] != width {
            self = Tensor(unfilled: [n, maps, height, width])
        }
    }

    /// The scalars' address beyond a closure, for two cores that write apart parts of one
    /// tensor at once (a pointer good only inside a closure cannot be handed to the other
    /// core's job). It stays good while nothing else changes the tensor; the buffer is made
    /// the tensor's own first.
    public mutating func sharedAddress() -> UnsafeMutablePointer<Float> {
        scalars.withUnsafeMutableBufferPointer { $0.baseAddress! }
    }

    /// `sharedAddress` for reading: good while the tensor lives and nothing changes it (the
    /// parts of a batch's gradients, which two cores add up half each).
    public func sharedReadAddress() -> UnsafePointer<Float> {
        scalars.withUnsafeBufferPointer { $0.baseAddress! }
    }

    /// Element (n, c, y, x) of a rank-4 tensor.
    @inline(__always)
    public subscript(n: Int, c: Int, y: Int, x: Int) -> Float {
        get { scalars[((n * shape[1] + c) * shape[2] + y) * shape[3] + x] }
        set { scalars[((n * shape[1] + c) * shape[2] + y) * shape[3] + x] = newValue }
    }

    /// Element (n, i) of a rank-2 view: everything after the batch axis flattened.
    @inline(__always)
    public subscript(n: Int, i: Int) -> Float {
        get { scalars[n * (count / shape[0]) + i] }
        set { scalars[n * (count / shape[0]) + i] = newValue }
    }

    /// Sample n of a batch, keeping a batch axis of 1.
    public func sample(_ n: Int) -> Tensor { samples(n..<n + 1) }

    /// Feature map (n, c) of a rank-4 tensor as H×W scalars.
    public func map(_ n: Int, _ c: Int) -> [Float] {
        let size = shape[2] * shape[3]
        let start = (n * shape[1] + c) * size
        return Array(scalars[start..<start + size])
    }

    public var maxAbs: Float { scalars.reduce(0) { max($0, abs($1)) } }
}

extension Tensor {
    /// Samples `range` of a batch.
    public func samples(_ range: Range<Int>) -> Tensor {
        let size = count / shape[0]
        return Tensor(
            shape: [range.count] + shape.dropFirst(),
            scalars: Array(scalars[range.lowerBound * size..<range.upperBound * size]))
    }

    /// Batches joined along the batch axis.
    public static func concatenating(_ parts: [Tensor]) -> Tensor {
        Tensor(
            shape: [parts.reduce(0) { $0 + $1.shape[0] }] + parts[0].shape.dropFirst(),
            scalars: parts.flatMap(\.scalars))
    }

    /// Splits 0..<n into at most `parts` contiguous ranges of near-equal size.
    public static func chunks(_ n: Int, parts: Int) -> [Range<Int>] {
        let p = max(1, min(parts, n))
        return (0..<p).map { n * $0 / p..<n * ($0 + 1) / p }
    }
}
