import LeNetCore
import LeNetModel

/// How the weights move.
public enum OptimizerKind: String, CaseIterable, Sendable {
    /// w ← w − ε·g
    case sgd
    /// PyTorch's momentum: v ← μv + g, w ← w − ε·v
    case momentum
    /// PyTorch's Nesterov momentum: v ← μv + g, w ← w − ε·(g + μv)
    case nesterov
    /// The paper's stochastic diagonal Levenberg–Marquardt (Appendix C):
    /// w_k ← w_k − ε_k·g_k with ε_k = η / (μ + h_kk), h_kk a Gauss–Newton estimate of the
    /// Hessian's diagonal, re-estimated on 500 samples before each pass and held for the pass.
    case sdlm
}

public struct Optimizer: Sendable {
    public let kind: OptimizerKind
    /// Momentum coefficient for momentum and Nesterov.
    public var momentum: Float
    /// SDLM's μ, which keeps the step bounded where the curvature is near zero.
    public static let sdlmMu: Float = 0.02
    /// Samples SDLM estimates the Hessian diagonal on before each pass.
    public static let sdlmSamples = 500

    /// Velocity (momentum, Nesterov) or the Hessian diagonal (SDLM), one per parameter.
    public var state: [[Tensor]]

    public init(kind: OptimizerKind, momentum: Float = 0.9, for net: LeNet5) {
        self.kind = kind
        self.momentum = momentum
        state = net.zerosLikeParameters()
    }

    /// One update with learning rate `rate` (η for SDLM).
    public mutating func step(_ net: inout LeNet5, gradients: [[Tensor]], rate: Float) {
        let mu = momentum
        switch kind {
        case .sgd:
            net.updateTrainable(gradients, state: &state) { w, g, _ in
                for k in w.indices { w[k] -= rate * g[k] }
            }
        case .momentum:
            net.updateTrainable(gradients, state: &state) { w, g, v in
                for k in w.indices { v[k] = mu * v[k] + g[k]; w[k] -= rate * v[k] }
            }
        case .nesterov:
            net.updateTrainable(gradients, state: &state) { w, g, v in
                for k in w.indices { v[k] = mu * v[k] + g[k]; w[k] -= rate * (g[k] + mu * v[k]) }
            }
        case .sdlm:
            net.updateTrainable(gradients, state: &state) { w, g, h in
                for k in w.indices { w[k] -= rate / (Optimizer.sdlmMu + h[k]) * g[k] }
            }
        }
    }

    /// SDLM: the mean Gauss–Newton diagonal over `samples` (one at a time, as the paper).
    public mutating func estimateCurvature(_ net: LeNet5, samples x: Tensor, labels: [Int], loss: Loss) {
        guard kind == .sdlm else { return }
        var sum = net.zerosLikeParameters()
        for s in 0..<x.shape[0] {
            let one = x.sample(s)
            let trace = net.trace(one)
            let d2 = net.curvature(trace: trace, curvature: loss.curvature(trace.last!, labels: [labels[s]]))
            for l in sum.indices {
                for p in sum[l].indices {
                    for k in sum[l][p].scalars.indices { sum[l][p].scalars[k] += d2[l][p].scalars[k] }
                }
            }
        }
        let scale = 1 / Float(x.shape[0])
        state = sum.map { $0.map { Tensor(shape: $0.shape, scalars: $0.scalars.map { $0 * scale }) } }
    }
}
