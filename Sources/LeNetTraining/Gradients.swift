import LeNetCore
import LeNetModel

extension LeNet5 {
    /// One forward and backward pass: the batch's mean loss, ∂E/∂p for every layer's
    /// parameters, and the outputs (for counting errors without a second forward pass).
    /// The slices of the batch are shared among cores; each slice's mean is weighted by its
    /// share of the samples and the slices are summed in order.
    public func gradients(_ x: Tensor, labels: [Int], loss: Loss) -> (
        loss: Float, parameters: [[Tensor]], output: Tensor
    ) {
        let parts = slices(x.shape[0])
        guard parts.count > 1 else { return sliceGradients(x, labels: labels, loss: loss) }
        let one = self
        let results = parallelMap(parts.count, threads: threads) { [one] k in
            one.sliceGradients(x.samples(parts[k]), labels: Array(labels[parts[k]]), loss: loss)
        }
        let n = Float(x.shape[0])
        var grads = results[0].parameters.map { $0.map { Tensor(zeros: $0.shape) } }
        var total: Float = 0
        for (part, r) in zip(parts, results) {
            let w = Float(part.count) / n
            total += w * r.loss
            for l in grads.indices {
                for p in grads[l].indices {
                    grads[l][p].scalars.withUnsafeMutableBufferPointer { sum in
                        r.parameters[l][p].scalars.withUnsafeBufferPointer { g in
                            for j in 0..<sum.count { sum[j] += w * g[j] }
                        }
                    }
                }
            }
        }
        return (total, grads, .concatenating(results.map(\.output)))
    }

    /// `gradients` of a batch given as `samples`, whose inputs `inputs` makes a part at a
    /// time: at most `partSize` samples are in memory at once. A batch of one part is
    /// exactly `gradients`; a larger one is the parts' results weighted by their sizes.
    public func gradients<S>(
        of samples: ArraySlice<S>, labels: [Int], partSize: Int, inputs: (ArraySlice<S>) -> Tensor, loss: Loss
    ) -> (loss: Float, parameters: [[Tensor]], output: Tensor) {
        guard samples.count > partSize else { return gradients(inputs(samples), labels: labels, loss: loss) }
        let n = Float(samples.count)
        var total: Float = 0
        var grads: [[Tensor]] = []
        var outputs: [Tensor] = []
        for start in stride(from: 0, to: samples.count, by: partSize) {
            let range = start..<min(start + partSize, samples.count)
            let base = samples.startIndex
            let r = gradients(
                inputs(samples[(base + range.lowerBound)..<(base + range.upperBound)]), labels: Array(labels[range]),
                loss: loss)
            let w = Float(range.count) / n
            total += w * r.loss
            if grads.isEmpty { grads = r.parameters.map { $0.map { Tensor(zeros: $0.shape) } } }
            for l in grads.indices {
                for p in grads[l].indices {
                    grads[l][p].scalars.withUnsafeMutableBufferPointer { sum in
                        r.parameters[l][p].scalars.withUnsafeBufferPointer { g in
                            for j in 0..<sum.count { sum[j] += w * g[j] }
                        }
                    }
                }
            }
            outputs.append(r.output)
        }
        return (total, grads, .concatenating(outputs))
    }

    /// `gradients` of one slice, on one core.
    func sliceGradients(_ x: Tensor, labels: [Int], loss: Loss) -> (loss: Float, parameters: [[Tensor]], output: Tensor)
    {
        let trace = trace(x)
        let result = loss.evaluate(trace.last!, labels: labels)
        let (_, grads) = backward(trace: trace, gradient: result.gradient, inputGradient: false)
        return (result.loss, grads, trace.last!)
    }

    /// Applies `update(value, gradient, state)` to every trainable parameter in place.
    /// `state` is one tensor per parameter, owned by the optimizer.
    mutating func updateTrainable(
        _ grads: [[Tensor]], state: inout [[Tensor]],
        _ update: (inout [Float], [Float], inout [Float]) -> Void
    ) {
        for l in layers.indices {
            layers[l].updateTrainable { p, value in update(&value.scalars, grads[l][p].scalars, &state[l][p].scalars) }
        }
    }

    /// A zero tensor shaped like every parameter: optimizer state.
    func zerosLikeParameters() -> [[Tensor]] {
        layers.map { $0.parameters.map { Tensor(zeros: $0.value.shape) } }
    }
}
