import Foundation
import LeNetCore
import LeNetModel

/// A loss over a batch of network outputs (N, 10) and labels: the mean over the batch, its
/// gradient with respect to the outputs, and the curvature SDLM needs.
public enum Loss: Sendable, Equatable {
    /// The paper's eq. 9 on RBF penalties y: E = y_D + log(e^{−j} + Σ_i e^{−y_i}). The second
    /// term pushes the wrong classes' penalties up, so that they cannot all collapse to zero.
    case map(j: Float)
    /// The paper's eq. 8 ("MSE"): E = y_D, the correct class's RBF penalty.
    case mse
    /// Softmax cross-entropy on logits (the keras variant).
    case crossEntropy

    /// The paper gives no value for j; we use 1 (a wrong class is no longer pushed once its
    /// penalty exceeds the correct class's by a few units).
    public static let paperJ: Float = 1

    public static func `default`(for variant: Variant) -> Loss {
        variant == .paper ? .map(j: paperJ) : .crossEntropy
    }

    public struct Result {
        public var loss: Float
        /// ∂E/∂output, shape (N, 10), already divided by N.
        public var gradient: Tensor
    }

    public func evaluate(_ output: Tensor, labels: [Int]) -> Result {
        var gradient = Tensor.empty
        let loss = evaluate(output, labels: labels, gradient: &gradient)
        return Result(loss: loss, gradient: gradient)
    }

    /// `evaluate`, ∂E/∂output written into `gradient` (its buffer kept when it has the
    /// outputs' shape: online training keeps one from step to step), each row worked out in
    /// place; returns the loss.
    public func evaluate(_ output: Tensor, labels: [Int], gradient: inout Tensor) -> Float {
        let n = output.shape[0], classes = output.shape[1]
        gradient.prepare(n, classes)
        var total: Double = 0
        output.scalars.withUnsafeBufferPointer { outputs in
            gradient.scalars.withUnsafeMutableBufferPointer { gradients in
                for s in 0..<n {
                    let row = UnsafeBufferPointer(rebasing: outputs[(s * classes)..<((s + 1) * classes)])
                    let g = UnsafeMutableBufferPointer(rebasing: gradients[(s * classes)..<((s + 1) * classes)])
                    let d = labels[s]
                    switch self {
                    case .mse:
                        total += Double(row[d])
                        g.update(repeating: 0)
                        g[d] = 1
                    case .map(let j):
                        // log(e^{−j} + Σ e^{−y_i}) computed around m = min(j, y) to stay finite;
                        // the terms e^{−(y_i − m)} go into g first.
                        let m = min(j, row.min()!)
                        for i in 0..<classes { g[i] = exp(-(row[i] - m)) }
                        let z = exp(-(j - m)) + g.reduce(0, +)
                        total += Double(row[d] + (-m + log(z)))
                        for i in 0..<classes { g[i] = -g[i] / z }
                        g[d] += 1
                    case .crossEntropy:
                        let m = row.max()!
                        for i in 0..<classes { g[i] = exp(row[i] - m) }
                        let z = g.reduce(0, +)
                        total += Double(-(row[d] - m - log(z)))
                        for i in 0..<classes { g[i] = g[i] / z }
                        g[d] -= 1
                    }
                }
                let scale = 1 / Float(n)
                for k in gradients.indices { gradients[k] *= scale }
            }
        }
        return Float(total / Double(n))
    }

    /// Gauss–Newton ∂²E/∂output² for SDLM, per sample (not divided by N). For the RBF losses
    /// it weighs each penalty's curvature (the RBF layer supplies ∂²y/∂x² = 2): 1 for the
    /// correct class, as in eq. 8. For cross-entropy, p_i(1 − p_i).
    public func curvature(_ output: Tensor, labels: [Int]) -> Tensor {
        var c = Tensor(zeros: output.shape)
        for s in 0..<output.shape[0] {
            switch self {
            case .mse, .map:
                c[s, labels[s]] = 1
            case .crossEntropy:
                let row = (0..<output.shape[1]).map { output[s, $0] }
                let m = row.max()!
                let e = row.map { exp($0 - m) }
                let z = e.reduce(0, +)
                for i in row.indices { c[s, i] = e[i] / z * (1 - e[i] / z) }
            }
        }
        return c
    }
}
