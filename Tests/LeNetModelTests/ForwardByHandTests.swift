import LeNetCore
import LeNetModel
import XCTest

/// Forward values worked out by hand on tiny cases.
final class ForwardByHandTests: XCTestCase {
    func testSquashingFunctionMapsOneToOne() {
        // f(a) = 1.7159 tanh(2a/3): f(±1) = ±1 (to the paper's 4 digits), f(0) = 0.
        XCTAssertEqual(Activation.squash(1), 1, accuracy: 1e-4)
        XCTAssertEqual(Activation.squash(-1), -1, accuracy: 1e-4)
        XCTAssertEqual(Activation.squash(0), 0)
        XCTAssertEqual(Activation.squash(100), 1.7159, accuracy: 1e-6)
    }

    func testConvolutionOnAThreeByThreeInput() {
        // x = 1 2 3 / 4 5 6 / 7 8 9, kernel 2×2 = 1 0 / 0 −1, bias 0.5, no activation:
        // a(0,0) = 1 − 5 + 0.5 = −3.5; every output is x(y,x) − x(y+1,x+1) + 0.5 = −3.5.
        var conv = Convolution(name: "C", table: .full(inputs: 1, outputs: 1), kernelSize: 2, activation: .identity)
        conv.weight.scalars = [1, 0, 0, -1]
        conv.bias.scalars = [0.5]
        let y = conv.forward(Tensor(shape: [1, 1, 3, 3], scalars: [1, 2, 3, 4, 5, 6, 7, 8, 9]))
        XCTAssertEqual(y.shape, [1, 1, 2, 2])
        XCTAssertEqual(y.scalars, [-3.5, -3.5, -3.5, -3.5])
    }

    func testPartialConvolutionIgnoresUnconnectedMaps() {
        // Output map 0 reads input map 1 only; input map 0 holds large values that must not leak in.
        var conv = Convolution(
            name: "C", table: ConnectionTable(inputs: [[1]], inputMaps: 2), kernelSize: 1, activation: .identity)
        conv.weight.scalars = [100, 2]  // w[0,0] is outside the table
        let y = conv.forward(Tensor(shape: [1, 2, 1, 2], scalars: [9, 9, 3, 4]))
        XCTAssertEqual(y.scalars, [6, 8])
    }

    func testSubsamplingSumsFourTimesCoefficientPlusBiasThenSquashes() {
        var s = Subsampling(name: "S", maps: 1, trainable: true, activation: .squash)
        s.coefficient.scalars = [0.5]
        s.bias.scalars = [-1]
        // sum 1+2+3+4 = 10 → 0.5·10 − 1 = 4 → f(4)
        let y = s.forward(Tensor(shape: [1, 1, 2, 2], scalars: [1, 2, 3, 4]))
        XCTAssertEqual(y.scalars, [1.7159 * tanhf(8.0 / 3.0)])
        XCTAssertEqual(s.trainableParameterCount, 2)
    }

    func testAveragePoolingIsTheMeanOfFour() {
        let s = Subsampling(name: "S", maps: 1, trainable: false, activation: .identity)
        XCTAssertEqual(s.forward(Tensor(shape: [1, 1, 2, 4], scalars: [1, 2, 0, 0, 3, 6, 4, 8])).scalars, [3, 3])
    }

    func testRBFOutputIsSquaredDistanceToEachCode() {
        let rbf = RBFOutput(centers: Tensor(shape: [2, 3], scalars: [1, 1, 1, -1, -1, -1]))
        // x = (1, 0, −1): to (1,1,1) 0+1+4 = 5; to (−1,−1,−1) 4+1+0 = 5. x = (1,1,1): 0 and 12.
        let y = rbf.forward(Tensor(shape: [2, 3], scalars: [1, 0, -1, 1, 1, 1]))
        XCTAssertEqual(y.scalars, [5, 5, 0, 12])
    }

    func testRBFCodesAreSevenByTwelvePlusMinusOne() {
        XCTAssertEqual(RBFCodes.matrix.shape, [10, 84])
        XCTAssertTrue(RBFCodes.glyphs.allSatisfy { $0.count == 12 && $0.allSatisfy { $0.count == 7 } })
        XCTAssertTrue(RBFCodes.matrix.scalars.allSatisfy { $0 == 1 || $0 == -1 })
        // Every pair of codes is distinct, so every class is reachable.
        let rows = (0..<10).map { Array(RBFCodes.matrix.scalars[$0 * 84..<($0 + 1) * 84]) }
        XCTAssertEqual(Set(rows.map { $0.description }).count, 10)
    }

    func testPredictionIsSmallestPenaltyOrLargestLogit() {
        let out = Tensor(shape: [1, 3], scalars: [2, 0.5, 3])
        XCTAssertEqual(LeNet5(variant: .paper).predictions(out), [1])
        XCTAssertEqual(LeNet5(variant: .keras).predictions(out), [2])
    }
}
