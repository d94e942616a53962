import XCTest
import LeNetCore
import LeNetData
import LeNetModel

/// What exporters write is what the model computes: a plain interpreter of each layer's
/// `primitives` gives the network's outputs (1e-5) for every architecture of the ablation.
final class PrimitiveTests: XCTestCase {
    /// Receptive fields in the input, worked by hand: C1 sees 5×5; an S2 unit two C1 units,
    /// 6×6; a C3 unit 5×5 S2 units, 2·(5 − 1) + 6 = 14; an S4 unit 16; C5 all 32×32. C3's
    /// last unit (9, 9) starts at row 18, so the centres run from 6.5 to 24.5: the 20×20 box
    /// lesson 1 draws.
    func testReceptiveFieldsInTheInput() {
        let net = LeNet5(variant: .paper)
        func field(_ name: String, _ r: Int, _ c: Int) -> [Int]? {
            net.inputField(of: name, row: r, column: c).map { [$0.row, $0.column, $0.height, $0.width] }
        }
        XCTAssertEqual(field("C1", 3, 4), [3, 4, 5, 5])
        XCTAssertEqual(field("S2", 1, 2), [2, 4, 6, 6])
        XCTAssertEqual(field("C3", 0, 0), [0, 0, 14, 14])
        XCTAssertEqual(field("C3", 9, 9), [18, 18, 14, 14])
        XCTAssertEqual(field("S4", 4, 4), [16, 16, 16, 16])
        XCTAssertEqual(field("C5", 0, 0), [0, 0, 32, 32])
        XCTAssertNil(field("F6", 0, 0))
        XCTAssertNil(field("no such layer", 0, 0))
    }

    /// Runs primitives on (N, C, H, W) or (N, F) tensors, as ONNX's operators define them.
    func interpret(_ p: Primitive, _ x: Tensor) -> Tensor {
        switch p {
        case .convolution(let w, let b):
            let (n, cin, h, wid) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
            let (cout, k) = (w.shape[0], w.shape[2])
            var y = Tensor(zeros: [n, cout, h - k + 1, wid - k + 1])
            for s in 0..<n {
                for o in 0..<cout {
                    for r in 0..<(h - k + 1) {
                        for c in 0..<(wid - k + 1) {
                            var a = b.scalars[o]
                            for i in 0..<cin {
                                for u in 0..<k { for v in 0..<k { a += w[o, i, u, v] * x[s, i, r + u, c + v] } }
                            }
                            y[s, o, r, c] = a
                        }
                    }
                }
            }
            return y
        case .scaledSum2x2(let coefficient, let bias):
            return pool(x) { sum, c in sum * coefficient.scalars[c] + bias.scalars[c] }
        case .average2x2:
            return pool(x) { sum, _ in sum / 4 }
        case .flatten:
            return Tensor(shape: [x.shape[0], x.count / x.shape[0]], scalars: x.scalars)
        case .dense(let w, let b):
            let (n, out, inp) = (x.shape[0], w.shape[0], w.shape[1])
            var y = Tensor(zeros: [n, out])
            for s in 0..<n {
                for o in 0..<out { y[s, o] = b.scalars[o] + (0..<inp).reduce(Float(0)) { $0 + w[o, $1] * x[s, $1] } }
            }
            return y
        case .squaredDistance(let c):
            var y = Tensor(zeros: [x.shape[0], c.shape[0]])
            for s in 0..<x.shape[0] {
                for i in 0..<c.shape[0] {
                    y[s, i] = (0..<c.shape[1]).reduce(Float(0)) {
                        let d = x[s, $1] - c[i, $1]; return $0 + d * d
                    }
                }
            }
            return y
        case .activation(let f):
            var y = x
            y.scalars = x.scalars.map { f($0) }
            return y
        }
    }

    /// Each map's 2×2 sums (stride 2), passed through `f(sum, map)`.
    func pool(_ x: Tensor, _ f: (Float, Int) -> Float) -> Tensor {
        let (n, ch, h, w) = (x.shape[0], x.shape[1], x.shape[2] / 2, x.shape[3] / 2)
        var y = Tensor(zeros: [n, ch, h, w])
        for s in 0..<n {
            for c in 0..<ch {
                for r in 0..<h {
                    for q in 0..<w {
                        y[s, c, r, q] = f(
                            x[s, c, 2 * r, 2 * q] + x[s, c, 2 * r + 1, 2 * q] + x[s, c, 2 * r, 2 * q + 1]
                                + x[s, c, 2 * r + 1, 2 * q + 1], c)
                    }
                }
            }
        }
        return y
    }

    func testPrimitivesComputeTheNetwork() throws {
        let digits = try XCTUnwrap(DataSource.embedded().validation)
        for (name, architecture) in [
            ("paper", Architecture.paper), ("keras", .keras), ("dl4j", .dl4j),
            ("rbf+tanh", Architecture(c3: .full, pooling: .average, squashing: .tanh, output: .rbf)),
        ] {
            var net = LeNet5(architecture: architecture, scaling: .paper, seed: 3, initialization: .paper)
            net.path = .reference
            let x = digits.batch([0, 1, 2], scaling: .paper)
            let expected = net.forward(x)
            let got = net.layers.flatMap(\.primitives).reduce(x) { interpret($1, $0) }
            XCTAssertEqual(got.shape, expected.shape, name)
            for (a, b) in zip(got.scalars, expected.scalars) {
                XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), name)
            }
        }
    }

    /// Table I's missing kernels are written as zeros, whatever the stored tensor holds there.
    func testTableIKernelsOutsideTheTableAreZero() throws {
        var net = LeNet5(variant: .paper, seed: 1)
        var c3 = net.layers[2].parameters
        c3[0].value.scalars = c3[0].value.scalars.map { $0 == 0 ? 7 : $0 }  // poison the gaps
        net.layers[2].parameters = c3
        guard case .convolution(let w, _) = net.layers[2].primitives[0] else { return XCTFail("C3 is a convolution") }
        var connected = 0
        for o in 0..<16 {
            for i in 0..<6 {
                let kernel = (0..<25).map { w[o, i, $0 / 5, $0 % 5] }
                if kernel.contains(where: { $0 != 0 }) { connected += 1 }
            }
        }
        XCTAssertEqual(connected, 60, "Table I connects 60 of the 96 pairs")
    }
}
