import LeNetCore
import LeNetModel

extension LeNet5 {
    /// One forward and backward pass: the batch's mean loss, ∂E/∂p for every layer's
    /// parameters, and the outputs (for counting errors without a second forward pass).
    public func gradients(_ x: Tensor, labels: [Int], loss: Loss) -> (loss: Float, parameters: [[Tensor]], output: Tensor) {
        let parts = chunks(x.shape[0])
        guard parts.count > 1 else {
            let trace = trace(x)
            let result = loss.evaluate(trace.last!, labels: labels)
            let (_, grads) = backward(trace: trace, gradient: result.gradient, inputGradient: false)
            return (result.loss, grads, trace.last!)
        }
        // Each core takes a share of the batch; its mean is weighted by its share of samples.
        var one = self
        one.threads = 1
        let n = Float(x.shape[0])
        let results = parallelMap(parts.count) { [one] k in
            one.gradients(x.samples(parts[k]), labels: Array(labels[parts[k]]), loss: loss)
        }
        var grads = results[0].parameters.map { $0.map { Tensor(zeros: $0.shape) } }
        var total: Float = 0
        for (part, r) in zip(parts, results) {
            let w = Float(part.count) / n
            total += w * r.loss
            for l in grads.indices {
                for p in grads[l].indices {
                    for j in grads[l][p].scalars.indices { grads[l][p].scalars[j] += w * r.parameters[l][p].scalars[j] }
                }
            }
        }
        return (total, grads, .concatenating(results.map(\.output)))
    }

    /// Applies `update(value, gradient, state)` to every trainable parameter in place.
    /// `state` is one tensor per parameter, owned by the optimizer.
    mutating func updateTrainable(_ grads: [[Tensor]], state: inout [[Tensor]],
                                  _ update: (inout [Float], [Float], inout [Float]) -> Void) {
        for l in layers.indices {
            layers[l].updateTrainable { p, value in update(&value.scalars, grads[l][p].scalars, &state[l][p].scalars) }
        }
    }

    /// A zero tensor shaped like every parameter: optimizer state.
    func zerosLikeParameters() -> [[Tensor]] {
        layers.map { $0.parameters.map { Tensor(zeros: $0.value.shape) } }
    }
}
