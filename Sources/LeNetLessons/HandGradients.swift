import Foundation
import LeNetCore
import LeNetModel
import LeNetTraining

/// One digit's trip forward through the reference layers and back: what each lesson's
/// hand-computed derivative starts from. Back-propagation hands every layer ∂E/∂y for its
/// output y; the layer turns that into ∂E/∂p for its own parameters (what the lessons redo by
/// hand) and ∂E/∂x for the layer below.
public struct BackwardTrip: Sendable {
    public let net: LeNet5
    public let label: Int
    public let loss: Loss
    /// The input followed by every layer's output.
    public let trace: [Tensor]
    /// ∂E/∂y for each layer's output y, as back-propagation delivers it to that layer.
    public let outputGradient: [Tensor]
    /// ∂E/∂p for each layer's parameters, as the layer's `backward` computes them.
    public let parameterGradient: [[Tensor]]
    /// ∂E/∂x for each layer's input x.
    public let inputGradient: [Tensor]
    public let error: Float

    public init(net: LeNet5, input: Tensor, label: Int) {
        var net = net
        net.path = .reference
        self.net = net
        self.label = label
        loss = Loss.default(for: net.variant)
        trace = net.trace(input)
        let result = loss.evaluate(trace.last!, labels: [label])
        error = result.loss
        var dy = result.gradient
        var outputs = [Tensor](), parameters = [[Tensor]](), inputs = [Tensor]()
        for l in net.layers.indices.reversed() {
            let (dx, dp) = net.layers[l].backward(input: trace[l], output: trace[l + 1], gradient: dy)
            outputs.insert(dy, at: 0)
            parameters.insert(dp, at: 0)
            inputs.insert(dx, at: 0)
            dy = dx
        }
        outputGradient = outputs
        parameterGradient = parameters
        inputGradient = inputs
    }

    public func index(of layer: String) -> Int { net.layers.firstIndex { $0.name == layer }! }

    /// The step of the finite differences: large enough that float32 rounding of E stays
    /// small beside E's change, small enough that the curvature of E hardly shows.
    public static let step: Float = 1e-2

    /// (E(p + h) − E(p − h)) / 2h for one scalar of a layer's parameter: the slow way,
    /// two forward passes per weight, that back-propagation replaces.
    public func finiteDifference(layer l: Int, parameter p: Int, index k: Int) -> Float {
        func error(_ delta: Float) -> Float {
            var changed = net
            var parameters = changed.layers[l].parameters
            parameters[p].value.scalars[k] += delta
            changed.layers[l].parameters = parameters
            return loss.evaluate(changed.forward(trace[0]), labels: [label]).loss
        }
        return (error(BackwardTrip.step) - error(-BackwardTrip.step)) / (2 * BackwardTrip.step)
    }

    /// The same for one scalar of a layer's input: the layers from `l` on, run again.
    public func finiteDifference(inputOf l: Int, index k: Int) -> Float {
        func error(_ delta: Float) -> Float {
            var x = trace[l]
            x.scalars[k] += delta
            let y = net.layers[l...].reduce(x) { $1.forward($0) }
            return loss.evaluate(y, labels: [label]).loss
        }
        return (error(BackwardTrip.step) - error(-BackwardTrip.step)) / (2 * BackwardTrip.step)
    }

    /// The index of the largest |value| in a tensor: the weight whose derivative the lessons
    /// check (the largest is the one a finite difference measures best).
    public static func largest(_ t: Tensor) -> Int {
        t.scalars.indices.max { abs(t.scalars[$0]) < abs(t.scalars[$1]) }!
    }
}

/// The derivatives each lesson computes by hand, written as the chain rule reads for one
/// parameter, independently of the layers' `backward` loops. Every term is
/// ∂E/∂y · f′(a) · (what the parameter multiplies); a shared parameter sums it over every
/// unit that uses it.
public enum HandGradient {
    /// A convolution weight w[o, i, u, v] (C1, C3, C5): one term for each unit (r, c) of map
    /// o, which multiplies w by input pixel x[i, r + u, c + v]. Returns the terms, laid out
    /// as map o (rows × columns), whose sum is ∂E/∂w.
    public static func convolutionWeightTerms(
        _ trip: BackwardTrip, layer l: Int, map o: Int, input i: Int, row u: Int, column v: Int
    ) -> (terms: [Float], rows: Int, columns: Int) {
        let x = trip.trace[l], y = trip.trace[l + 1], dy = trip.outputGradient[l]
        let f = trip.net.layers[l].activation
        var terms: [Float] = []
        for r in 0..<y.shape[2] {
            for c in 0..<y.shape[3] {
                let slope = f.derivative(output: y[0, o, r, c])  // f′(a), from f(a) = y
                terms.append(dy[0, o, r, c] * slope * x[0, i, r + u, c + v])
            }
        }
        return (terms, y.shape[2], y.shape[3])
    }

    /// A subsampling map's coefficient β and bias b (S2, S4): β multiplies the sum of each
    /// unit's 2×2 window, b is added once per unit; both are shared by the map's units.
    public static func subsampling(_ trip: BackwardTrip, layer l: Int, map c: Int) -> (
        coefficient: Float, bias: Float, units: Int
    ) {
        let x = trip.trace[l], y = trip.trace[l + 1], dy = trip.outputGradient[l]
        let f = trip.net.layers[l].activation
        var dβ: Float = 0, db: Float = 0
        for r in 0..<y.shape[2] {
            for q in 0..<y.shape[3] {
                let da = dy[0, c, r, q] * f.derivative(output: y[0, c, r, q])
                let window =
                    x[0, c, 2 * r, 2 * q] + x[0, c, 2 * r, 2 * q + 1] + x[0, c, 2 * r + 1, 2 * q]
                    + x[0, c, 2 * r + 1, 2 * q + 1]
                dβ += da * window
                db += da
            }
        }
        return (dβ, db, y.shape[2] * y.shape[3])
    }

    /// A fully connected weight w[o, j] (F6): used by one unit only, so one term.
    public static func fullyConnectedWeight(_ trip: BackwardTrip, layer l: Int, unit o: Int, input j: Int) -> (
        gradient: Float, slope: Float, upstream: Float, input: Float
    ) {
        let x = trip.trace[l].scalars, y = trip.trace[l + 1].scalars, dy = trip.outputGradient[l].scalars
        let slope = trip.net.layers[l].activation.derivative(output: y[o])
        return (dy[o] * slope * x[j], slope, dy[o], x[j])
    }

    /// The paper's loss on the RBF penalties y, differentiated (eq. 9):
    /// ∂E/∂yᵢ = [i = D] − e^−yᵢ / (e^−j + Σₖ e^−yₖ).
    public static func lossGradient(penalties y: [Float], label d: Int, j: Float) -> [Float] {
        let z = exp(-j) + y.reduce(0) { $0 + exp(-$1) }
        return y.indices.map { i in (i == d ? 1 : 0) - exp(-y[i]) / z }
    }

    /// The RBF penalty yᵢ = Σⱼ (xⱼ − wᵢⱼ)² differentiated with respect to F6's output xⱼ,
    /// through every class's penalty: ∂E/∂xⱼ = Σᵢ ∂E/∂yᵢ · 2(xⱼ − wᵢⱼ).
    public static func rbfInput(_ trip: BackwardTrip, layer l: Int, input j: Int, lossGradient g: [Float]) -> Float {
        let x = trip.trace[l].scalars, codes = trip.net.layers[l].parameters[0].value
        let n = x.count
        return g.indices.reduce(0) { $0 + g[$1] * 2 * (x[j] - codes.scalars[$1 * n + j]) }
    }
}
