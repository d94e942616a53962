import LeNetCore
import LeNetModel
import XCTest

final class PaperCountsTests: XCTestCase {
    let input = Tensor(repeating: -0.1, shape: [1, 1, 32, 32])

    func testEveryShapeAndCountMatchesThePaper() {
        let report = ModelReport(net: LeNet5(variant: .paper, seed: 1), input: input)
        XCTAssertEqual(report.layers.map(\.name), ["C1", "S2", "C3", "S4", "C5", "F6", "Output"])
        XCTAssertEqual(
            report.layers.map(\.shape),
            [[6, 28, 28], [6, 14, 14], [16, 10, 10], [16, 5, 5], [120, 1, 1], [84], [10]])
        XCTAssertEqual(report.layers.map(\.trainableParameters), [156, 12, 1_516, 32, 48_120, 10_164, 0])
        XCTAssertEqual(report.layers.map(\.connections), [122_304, 5_880, 151_600, 2_000, 48_120, 10_164, 840])
        XCTAssertEqual(report.totalTrainableParameters, 60_000)
        XCTAssertEqual(report.totalConnections, 340_908)
        XCTAssertTrue(report.matchesPaper)
    }

    func testKerasVariantHas61706Parameters() {
        let report = ModelReport(net: LeNet5(variant: .keras, seed: 1), input: input)
        XCTAssertEqual(report.totalTrainableParameters, 61_706)
        XCTAssertEqual(report.layers.map(\.trainableParameters), [156, 0, 2_416, 0, 48_120, 10_164, 850])
        XCTAssertFalse(report.matchesPaper)
    }

    func testAChangedModelNoLongerMatches() {
        let report = ModelReport(net: LeNet5(variant: .paper, seed: 1, c1Maps: 8), input: input)
        XCTAssertEqual(report.layers[0].shape, [8, 28, 28])
        XCTAssertEqual(report.layers[0].trainableParameters, 8 * 26)
        XCTAssertFalse(report.matchesPaper)
    }

    /// Table I of the paper, as printed: rows are S2 maps 0–5, columns C3 maps 0–15.
    func testC3ConnectionsAreTableICellByCell() {
        let printed = [
            "X...XXX..XXXX.XX",
            "XX...XXX..XXXX.X",
            "XXX...XXX..X.XXX",
            ".XXX..XXXX..X.XX",
            "..XXX..XXXX.XX.X",
            "...XXX..XXXX.XXX",
        ]
        let table = ConnectionTable.tableI
        for (s2, row) in printed.enumerated() {
            for (c3, mark) in row.enumerated() {
                XCTAssertEqual(table.connects(output: c3, input: s2), mark == "X", "S2 map \(s2), C3 map \(c3)")
            }
        }
        XCTAssertEqual(table.connectedPairs, 60)
    }

    func testNetworkParametersArePyTorchNamed() {
        XCTAssertEqual(
            LeNet5(variant: .paper).parameters.map(\.name),
            [
                "c1.weight", "c1.bias", "s2.weight", "s2.bias", "c3.weight", "c3.bias", "s4.weight", "s4.bias",
                "c5.weight", "c5.bias", "f6.weight", "f6.bias", "rbf.centers",
            ])
        XCTAssertEqual(
            LeNet5(variant: .keras).parameters.map(\.name),
            [
                "c1.weight", "c1.bias", "c3.weight", "c3.bias", "c5.weight", "c5.bias", "f6.weight", "f6.bias",
                "out.weight", "out.bias",
            ])
    }

    /// The default draws within ±√(3/Fᵢ) (C3 map 0 has 3 inputs: Fᵢ = 75); the printed
    /// reading within ±2.4/Fᵢ. Both use the unit's own fan-in, so C3 map 15 (6 inputs,
    /// Fᵢ = 150) gets a smaller bound than map 0.
    func testPaperInitializationBounds() {
        let net = LeNet5(variant: .paper, seed: 7)
        let c3 = net.layers[2] as! Convolution
        let map0 = (0..<3).flatMap { i in (0..<25).map { c3.weight.scalars[(0 * 6 + i) * 25 + $0] } }
        let map15 = (0..<150).map { c3.weight.scalars[15 * 150 + $0] }
        XCTAssertLessThanOrEqual(map0.map(abs).max()!, (3.0 / 75).squareRoot())
        XCTAssertGreaterThan(map0.map(abs).max()!, 0.8 * (3.0 / 75).squareRoot(), "75 draws come near the bound")
        XCTAssertLessThanOrEqual(map15.map(abs).max()!, (3.0 / 150).squareRoot())
        let literal = LeNet5(variant: .paper, seed: 7, initialization: .paperLiteral).layers[2] as! Convolution
        XCTAssertLessThanOrEqual(literal.weight.scalars.map(abs).max()!, 2.4 / 75)
        // Weights outside Table I stay zero.
        XCTAssertEqual(c3.weight[0, 3, 2, 2], 0)
        XCTAssertNotEqual(c3.weight[0, 0, 2, 2], 0)
        XCTAssertEqual(LeNet5(variant: .paper, seed: 7).parameters.map(\.value), net.parameters.map(\.value))
        XCTAssertNotEqual(LeNet5(variant: .paper, seed: 8).parameters.map(\.value), net.parameters.map(\.value))
    }
}
