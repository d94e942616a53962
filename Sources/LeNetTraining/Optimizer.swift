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
    public static let sdlmMu = PaperFacts.sdlmMu
    /// Samples SDLM estimates the Hessian diagonal on before each pass.
    public static let sdlmSamples = PaperFacts.curvatureSamples

    /// Velocity (momentum, Nesterov) or the Hessian diagonal (SDLM), one per parameter.
    public var state: [[Tensor]]
    /// SDLM: the step sizes η/(μ + h) for `stepSizeRate`, kept until the rate changes or
    /// `estimateCurvature` (or a checkpoint, which builds a new optimizer) changes h.
    var stepSizes: [[Tensor]] = []
    var stepSizeRate: Float?

    public init(kind: OptimizerKind, momentum: Float = 0.9, for net: LeNet5) {
        self.kind = kind
        self.momentum = momentum
        state = net.zerosLikeParameters()
    }

    /// One update with learning rate `rate` (η for SDLM), element by element: a large tensor
    /// (C5's weights) is split among the net's cores, which the batch's gradients were
    /// computed on and which hold its parts (SGD's step on one core took 7–36 µs of a keras
    /// batch of 64's 600–700, depending on the minute, the other core waiting).
    public mutating func step(_ net: inout LeNet5, gradients: [[Tensor]], rate: Float) {
        let update = rangeStep(rate: rate)
        withStepState(rate: rate) { net.updateTrainable(gradients, state: &$0, update) }
    }

    /// `body` given this optimizer's tensor per parameter that `rangeStep` reads and writes:
    /// the velocity (momentum, Nesterov) or the step sizes ε for `rate` (SGD, SDLM).
    mutating func withStepState<R>(rate: Float, _ body: (inout [[Tensor]]) -> R) -> R {
        switch kind {
        case .momentum, .nesterov:
            return body(&state)
        case .sgd, .sdlm:
            _ = stepSizes(rate: rate)
            return body(&stepSizes)
        }
    }

    /// The step on part of one parameter, element by element, given its ∂E/∂p and this
    /// optimizer's tensor for it: the velocity (momentum, Nesterov) or the step sizes ε
    /// (`stepSizes`; SGD, SDLM).
    func rangeStep(rate: Float) -> RangeStep {
        let mu = momentum
        switch kind {
        case .momentum:
            return { w, g, v, range in for k in range { v[k] = mu * v[k] + g[k]; w[k] -= rate * v[k] } }
        case .nesterov:
            return { w, g, v, range in for k in range { v[k] = mu * v[k] + g[k]; w[k] -= rate * (g[k] + mu * v[k]) } }
        case .sgd, .sdlm:
            return { w, g, e, range in Tensor.subtractProducts(range, w, UnsafePointer(e), g) }
        }
    }

    /// The gradients of a batch (`LeNet5.gradients(of:…)`) and the step on them, the step
    /// taken as the slices' gradients are merged (`LeNet5.gradientsAndStep`) when the batch
    /// is one part. The same weights as the gradients, then `step`. Returns the batch's mean
    /// loss and outputs.
    public mutating func step<S>(
        _ net: inout LeNet5, on samples: ArraySlice<S>, labels: [Int], partSize: Int,
        inputs: (ArraySlice<S>) -> @Sendable (Range<Int>) -> Tensor, loss: Loss, rate: Float
    ) -> (loss: Float, output: Tensor) {
        guard samples.count <= partSize else {
            let (value, grads, output) = net.gradients(
                of: samples, labels: labels, partSize: partSize, inputs: inputs, loss: loss)
            step(&net, gradients: grads, rate: rate)
            return (value, output)
        }
        let update = rangeStep(rate: rate), input = inputs(samples)
        return withStepState(rate: rate) {
            net.gradientsAndStep(samples.count, labels: labels, loss: loss, state: &$0, update: update, input: input)
        }
    }

    /// The step sizes ε of an optimizer whose step is p ← p − ε ⊙ g, one tensor per parameter
    /// (`LeNet5.onlineStep` takes them): SGD's rate everywhere, or SDLM's ε_k = η/(μ + h_kk).
    /// Nil for momentum and Nesterov, which keep a velocity. They change only with η (and
    /// SDLM's h), so they are worked out once, not every step.
    public mutating func stepSizes(rate: Float) -> [[Tensor]]? {
        switch kind {
        case .momentum, .nesterov: return nil
        case .sgd, .sdlm: break
        }
        if stepSizeRate != rate || stepSizes.count != state.count {
            let kind = kind
            stepSizes = state.map {
                $0.map { h in
                    Tensor(
                        shape: h.shape, scalars: h.scalars.map { kind == .sdlm ? rate / (Optimizer.sdlmMu + $0) : rate }
                    )
                }
            }
            stepSizeRate = rate
        }
        return stepSizes
    }

    /// SDLM: the mean Gauss–Newton diagonal over `samples` (one at a time, as the paper).
    /// With `memory` m > 0 the new estimate is blended into the previous one,
    /// h ← m·h + (1 − m)·h_new, so that a unit which saturates during a pass (its f′, and
    /// with it every h below it, drops towards 0) does not jump to steps of η/μ at once.
    public mutating func estimateCurvature(
        _ net: LeNet5, samples x: Tensor, labels: [Int], loss: Loss, memory: Float = 0
    ) {
        guard kind == .sdlm else { return }
        var sum = net.zerosLikeParameters()
        // The digits' estimates are worked out on every core, a few digits at a time, and
        // added in the digits' order: the same sum on any number of cores.
        let n = x.shape[0], chunk = 8 * max(1, net.threads)
        // The squared weights of the Gauss–Newton pass, once for all the digits.
        let squared = net.layers.map { $0.curvatureIsSquaredBackward ? $0.squaredForCurvature : $0 }
        for first in stride(from: 0, to: n, by: chunk) {
            let d2s = parallelMap(min(chunk, n - first), threads: net.threads) { i in
                let s = first + i, trace = net.trace(x.sample(s))
                return net.curvature(
                    trace: trace, curvature: loss.curvature(trace.last!, labels: [labels[s]]), squared: squared)
            }
            for d2 in d2s { LeNet5.accumulate(d2, weight: 1, into: &sum) }
        }
        let scale = 1 / Float(x.shape[0])
        for l in state.indices {
            for p in state[l].indices {
                for k in state[l][p].scalars.indices {
                    state[l][p].scalars[k] =
                        memory * state[l][p].scalars[k] + (1 - memory) * scale * sum[l][p].scalars[k]
                }
            }
        }
        stepSizeRate = nil
    }
}
