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
        let n = output.shape[0], classes = output.shape[1]
        var gradient = Tensor(zeros: output.shape)
        var total: Double = 0
        for s in 0..<n {
            let row = (0..<classes).map { output[s, $0] }
            let d = labels[s]
            switch self {
            case .mse:
                total += Double(row[d])
                gradient[s, d] = 1
            case .map(let j):
                // log(e^{−j} + Σ e^{−y_i}) computed around m = min(j, y) to stay finite.
                let m = min(j, row.min()!)
                let terms = row.map { exp(-($0 - m)) }
                let z = exp(-(j - m)) + terms.reduce(0, +)
                total += Double(row[d] + (-m + log(z)))
                for i in 0..<classes { gradient[s, i] = -terms[i] / z }
                gradient[s, d] += 1
            case .crossEntropy:
                let m = row.max()!
                let e = row.map { exp($0 - m) }
                let z = e.reduce(0, +)
                total += Double(-(row[d] - m - log(z)))
                for i in 0..<classes { gradient[s, i] = e[i] / z }
                gradient[s, d] -= 1
            }
        }
        let scale = 1 / Float(n)
        for k in gradient.scalars.indices { gradient.scalars[k] *= scale }
        return Result(loss: Float(total / Double(n)), gradient: gradient)
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
