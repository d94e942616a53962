import LeNetCore
import LeNetModel
import XCTest

/// The fast path against the reference layers, the oracle.
final class FastPathTests: XCTestCase {
    func testFastForwardAndBackwardMatchTheReference() {
        var rng = SeededGenerator(seed: 9)
        for variant in Variant.allCases {
            var net = LeNet5(variant: variant, seed: 21)
            let x = Tensor(shape: [3, 1, 32, 32], scalars: (0..<3 * 1024).map { _ in rng.uniform(1.2) })
            net.path = .reference
            let slow = net.trace(x)
            net.path = .fast
            let fast = net.trace(x)
            for (a, b) in zip(slow, fast) {
                XCTAssertEqual(a.shape, b.shape)
                for (p, q) in zip(a.scalars, b.scalars) { XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(p))) }
            }
            let dy = Tensor(shape: slow.last!.shape, scalars: (0..<slow.last!.count).map { _ in rng.uniform(1) })
            net.path = .reference
            let (slowDx, slowGrads) = net.backward(trace: slow, gradient: dy)
            net.path = .fast
            let (fastDx, fastGrads) = net.backward(trace: slow, gradient: dy)
            for (p, q) in zip(slowDx.scalars, fastDx.scalars) { XCTAssertEqual(p, q, accuracy: 1e-4 * max(1, abs(p))) }
            for (a, b) in zip(slowGrads.joined(), fastGrads.joined()) {
                XCTAssertEqual(a.shape, b.shape)
                for (p, q) in zip(a.scalars, b.scalars) {
                    XCTAssertEqual(p, q, accuracy: 1e-4 * max(1, abs(p)), "\(variant)")
                }
            }
        }
    }
}

final class FastCurvatureTests: XCTestCase {
    func testFastCurvatureMatchesTheReference() {
        var rng = SeededGenerator(seed: 4)
        var net = LeNet5(variant: .paper, seed: 8)
        let x = Tensor(shape: [2, 1, 32, 32], scalars: (0..<2048).map { _ in rng.uniform(1.2) })
        let trace = net.trace(x)
        let d2 = Tensor(shape: [2, 10], scalars: (0..<20).map { _ in abs(rng.uniform(1)) })
        net.path = .reference
        let slow = net.curvature(trace: trace, curvature: d2)
        net.path = .fast
        let fast = net.curvature(trace: trace, curvature: d2)
        for (a, b) in zip(slow.joined(), fast.joined()) {
            for (p, q) in zip(a.scalars, b.scalars) { XCTAssertEqual(p, q, accuracy: 1e-4 * max(1, abs(p))) }
        }
    }
}

final class FastActivationTests: XCTestCase {
    /// The fast path's vector tanh against tanhf, through a 1×1 convolution with weight 1.
    func testVectorTanhMatchesTanhf() {
        let xs =
            stride(from: Float(-20), through: 20, by: 0.0137).map { $0 } + [
                0, -0, 1e-6, -1e-6, 8.99, 9.01, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity,
                -.infinity,
            ]
        for activation in [Activation.tanh, .squash] {
            var conv = Convolution(
                name: "C", table: .full(inputs: 1, outputs: 1), kernelSize: 1, activation: activation)
            conv.weight.scalars = [1]
            let y = conv.forwardFast(Tensor(shape: [1, 1, 1, xs.count], scalars: xs))
            for (x, v) in zip(xs, y.scalars) {
                XCTAssertEqual(v, activation(x), accuracy: 2e-7 * Activation.amplitude, "\(activation) at \(x)")
            }
            // NaN stays NaN, so a diverging run is noticed.
            let nan = conv.forwardFast(Tensor(shape: [1, 1, 1, 9], scalars: [Float](repeating: .nan, count: 9)))
            XCTAssertTrue(nan.scalars.allSatisfy(\.isNaN), "\(nan.scalars)")
        }
    }
}
