import LeNetCore
import LeNetData
import LeNetLessons
import LeNetModel
import LeNetTraining
import XCTest

/// The derivatives lessons 1–7 compute by hand agree with the layers' `backward` and with
/// finite differences, for several digits and every layer.
final class HandGradientTests: XCTestCase {
    func trips() throws -> [BackwardTrip] {
        let net = try XCTUnwrap(try TrainedModel.shipped()).net
        let digits = try XCTUnwrap(DataSource.embedded().validation)
        return (0..<3).map { s in
            BackwardTrip(net: net, input: digits.batch([s], scaling: net.scaling), label: Int(digits.labels[s]))
        }
    }

    func assertAgree(
        _ hand: Float, _ trip: BackwardTrip, layer l: Int, parameter p: Int, index k: Int, _ what: String,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        let backprop = trip.parameterGradient[l][p].scalars[k]
        XCTAssertEqual(
            hand, backprop, accuracy: 1e-4 * max(1, abs(backprop)), "\(what): by hand vs backward", file: file,
            line: line)
        let numeric = trip.finiteDifference(layer: l, parameter: p, index: k)
        XCTAssertEqual(
            numeric, backprop, accuracy: 1e-4 + 0.02 * abs(backprop), "\(what): finite difference vs backward",
            file: file, line: line)
        XCTAssertNotEqual(backprop, 0, "\(what): a derivative that is zero proves nothing", file: file, line: line)
    }

    func testConvolutionWeightsSumOverTheUnitsThatShareThem() throws {
        for trip in try trips() {
            for (name, units) in [("C1", 784), ("C3", 100), ("C5", 1)] {
                let l = trip.index(of: name)
                let w = trip.net.layers[l].parameters[0].value
                let k = BackwardTrip.largest(trip.parameterGradient[l][0])
                let (inputs, side) = (w.shape[1], w.shape[2])
                let (o, i, u, v) = (k / (inputs * side * side), k / (side * side) % inputs, k / side % side, k % side)
                let terms = HandGradient.convolutionWeightTerms(trip, layer: l, map: o, input: i, row: u, column: v)
                XCTAssertEqual(terms.terms.count, units, "\(name): one term per unit sharing the weight")
                assertAgree(terms.terms.reduce(0, +), trip, layer: l, parameter: 0, index: k, name)
            }
        }
    }

    func testSubsamplingCoefficientAndBias() throws {
        for trip in try trips() {
            for (name, units) in [("S2", 196), ("S4", 25)] {
                let l = trip.index(of: name)
                let c = BackwardTrip.largest(trip.parameterGradient[l][0])
                let hand = HandGradient.subsampling(trip, layer: l, map: c)
                XCTAssertEqual(hand.units, units)
                assertAgree(hand.coefficient, trip, layer: l, parameter: 0, index: c, "\(name) β")
                assertAgree(hand.bias, trip, layer: l, parameter: 1, index: c, "\(name) b")
            }
        }
    }

    func testFullyConnectedWeight() throws {
        for trip in try trips() {
            let l = trip.index(of: "F6")
            let k = BackwardTrip.largest(trip.parameterGradient[l][0])
            let hand = HandGradient.fullyConnectedWeight(trip, layer: l, unit: k / 120, input: k % 120)
            assertAgree(hand.gradient, trip, layer: l, parameter: 0, index: k, "F6")
        }
    }

    func testTheLossAndTheRBFPenaltiesDifferentiatedByHand() throws {
        for trip in try trips() {
            let l = trip.index(of: "Output")
            let y = trip.trace.last!.scalars
            let g = HandGradient.lossGradient(penalties: y, label: trip.label, j: Loss.paperJ)
            for (a, b) in zip(g, trip.outputGradient[l].scalars) { XCTAssertEqual(a, b, accuracy: 1e-6) }
            // Hand-worked: with every penalty equal to j, e^−j/(e^−j + 10e^−j) = 1/11 each.
            let even = HandGradient.lossGradient(penalties: Array(repeating: 1, count: 10), label: 3, j: 1)
            XCTAssertEqual(even[3], 10.0 / 11, accuracy: 1e-6)
            XCTAssertEqual(even[0], -1.0 / 11, accuracy: 1e-6)
            let k = BackwardTrip.largest(trip.inputGradient[l])
            let hand = HandGradient.rbfInput(trip, layer: l, input: k, lossGradient: g)
            XCTAssertEqual(hand, trip.inputGradient[l].scalars[k], accuracy: 1e-5)
            let numeric = trip.finiteDifference(inputOf: l, index: k)
            XCTAssertEqual(numeric, hand, accuracy: 1e-4 + 0.02 * abs(hand))
        }
    }
}
