import LeNetCore

/// The output layer of the paper (eq. 7): one Euclidean radial basis function unit per class,
///
///     y[i] = Σ_j (x[j] − w[i,j])²
///
/// the squared distance between F6's 84 outputs and the class's fixed parameter vector. The
/// vectors are 7×12 bitmaps of stylized digits with components ±1 (Figure 3), which is why F6
/// has 84 units. The most likely class is the one with the *smallest* output.
public struct RBFOutput: Layer {
    public let name: String
    public let activation = Activation.identity
    /// w: (classes, 84), fixed.
    public var centers: Tensor

    public init(name: String = "Output", centers: Tensor = RBFCodes.matrix) {
        self.name = name
        self.centers = centers
    }

    public var classes: Int { centers.shape[0] }
    public var inputs: Int { centers.shape[1] }

    public var kind: String { "Euclidean RBF, fixed ±1 codes" }
    public func outputShape(_ input: [Int]) -> [Int] { [classes] }
    public var trainableParameterCount: Int { 0 }
    public func connections(input: [Int]) -> Int { classes * inputs }

    public var parameters: [Parameter] {
        get { [Parameter(name: "rbf.centers", value: centers, trainable: false)] }
        set { centers = newValue[0].value }
    }

    /// The codes are fixed: nothing to update.
    public mutating func updateTrainable(_ body: (Int, inout Tensor) -> Void) {}

    public func forward(_ x: Tensor) -> Tensor {
        var y = Tensor(zeros: [x.shape[0], classes])
        for s in 0..<x.shape[0] {
            for i in 0..<classes {
                var distance: Float = 0
                for j in 0..<inputs {
                    let d = x[s, j] - centers.scalars[i * inputs + j]
                    distance += d * d
                }
                y[s, i] = distance
            }
        }
        return y
    }

    public func backward(input x: Tensor, output y: Tensor, gradient dy: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        var dx = Tensor(zeros: x.shape)
        for s in 0..<x.shape[0] {
            for i in 0..<classes {
                for j in 0..<inputs {
                    dx[s, j] += dy[s, i] * 2 * (x[s, j] - centers.scalars[i * inputs + j])
                }
            }
        }
        return (dx, [Tensor(zeros: centers.shape)])
    }

    /// ∂²y_i/∂x_j² = 2 for every unit; the loss passes the weight of each unit's penalty
    /// (for eq. 8, 1 for the correct class), so ∂²E/∂x_j² = Σ_i 2·c_i.
    public func curvature(input x: Tensor, output y: Tensor, curvature d2y: Tensor) -> (
        input: Tensor, parameters: [Tensor]
    ) {
        var d2x = Tensor(zeros: x.shape)
        for s in 0..<x.shape[0] {
            let total = (0..<classes).reduce(Float(0)) { $0 + 2 * d2y[s, $1] }
            for j in 0..<inputs { d2x[s, j] = total }
        }
        return (d2x, [Tensor(zeros: centers.shape)])
    }
}

/// The RBF units' fixed parameter vectors: our own stylized digits on a 7-wide, 12-high grid,
/// ink = +1, background = −1, in the spirit of the paper's Figure 3.
public enum RBFCodes {
    public static let width = 7, height = 12

    public static let glyphs: [[String]] = [
        [
            "..###..", ".#...#.", "#.....#", "#.....#", "#.....#", "#.....#",
            "#.....#", "#.....#", "#.....#", "#.....#", ".#...#.", "..###..",
        ],
        [
            "...#...", "..##...", ".#.#...", "...#...", "...#...", "...#...",
            "...#...", "...#...", "...#...", "...#...", "...#...", ".#####.",
        ],
        [
            "..###..", ".#...#.", "#.....#", "......#", ".....#.", "....#..",
            "...#...", "..#....", ".#.....", "#......", "#......", "#######",
        ],
        [
            ".#####.", "#.....#", "......#", "......#", ".....#.", "..###..",
            ".....#.", "......#", "......#", "......#", "#.....#", ".#####.",
        ],
        [
            ".....#.", "....##.", "...#.#.", "..#..#.", ".#...#.", "#....#.",
            "#######", ".....#.", ".....#.", ".....#.", ".....#.", ".....#.",
        ],
        [
            "#######", "#......", "#......", "#......", "#####..", ".....#.",
            "......#", "......#", "......#", "......#", "#....#.", ".####..",
        ],
        [
            "...###.", "..#....", ".#.....", "#......", "#......", "#.###..",
            "##...#.", "#.....#", "#.....#", "#.....#", ".#...#.", "..###..",
        ],
        [
            "#######", "......#", ".....#.", ".....#.", "....#..", "....#..",
            "...#...", "...#...", "..#....", "..#....", "..#....", "..#....",
        ],
        [
            "..###..", ".#...#.", "#.....#", "#.....#", ".#...#.", "..###..",
            ".#...#.", "#.....#", "#.....#", "#.....#", ".#...#.", "..###..",
        ],
        [
            "..###..", ".#...#.", "#.....#", "#.....#", "#.....#", ".#...##",
            "..###.#", "......#", "......#", ".....#.", "....#..", ".###...",
        ],
    ]

    /// The codes as a (10, 84) tensor, row-major over each 7×12 bitmap.
    public static let matrix: Tensor = {
        let scalars = glyphs.flatMap { rows in rows.flatMap { row in row.map { $0 == "#" ? Float(1) : Float(-1) } } }
        return Tensor(shape: [glyphs.count, width * height], scalars: scalars)
    }()
}
