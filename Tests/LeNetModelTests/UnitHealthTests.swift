import LeNetCore
import LeNetData
import LeNetModel
import XCTest

final class UnitHealthTests: XCTestCase {
    /// A C3 map with its kernels scaled to 1% is dead; C5 weights ×100 saturate C5; a bias
    /// of +50 on a unit without weights sticks it at +A for every digit.
    func testDeadMapsAndSaturatedUnitsAreFound() throws {
        var net = LeNet5(variant: .paper, seed: 3)
        let digits = try XCTUnwrap(DataSource.embedded().train)
        let inputs = digits.batch(Array(0..<50), scaling: .paper)
        XCTAssertEqual(UnitHealth(net: net, inputs: inputs).deadMaps, [])

        var c3 = try XCTUnwrap(net.layers[2] as? Convolution)
        for i in 0..<6 { for k in 0..<25 { c3.weight.scalars[(4 * 6 + i) * 25 + k] *= 0.01 } }
        net.layers[2] = c3
        var c5 = try XCTUnwrap(net.layers[4] as? Convolution)
        c5.weight.scalars = c5.weight.scalars.map { $0 * 100 }
        for k in 7 * 400..<8 * 400 { c5.weight.scalars[k] = 0 }
        c5.bias.scalars[7] = 50
        net.layers[4] = c5
        let health = UnitHealth(net: net, inputs: inputs)
        XCTAssertEqual(health.deadMaps, [4])
        XCTAssertEqual(health.digits, 50)
        XCTAssertGreaterThan(health.saturatedC5.count, 60)
        XCTAssertTrue(health.stuckC5.contains(7))
        XCTAssertEqual(health.c5StuckShare[7], 1)
    }
}
