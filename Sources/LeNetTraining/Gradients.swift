import Dispatch
import LeNetCore
import LeNetModel

/// An optimizer's step on part of one parameter, element by element: (value, ∂E/∂p, the
/// optimizer's own tensor for the parameter (velocity, step sizes), range).
public typealias RangeStep =
    @Sendable (UnsafeMutablePointer<Float>, UnsafePointer<Float>, UnsafeMutablePointer<Float>, Range<Int>) -> Void

extension LeNet5 {
    /// One forward and backward pass: the batch's mean loss, ∂E/∂p for every layer's
    /// parameters, and the outputs (for counting errors without a second forward pass).
    /// The slices of the batch are shared among cores; each slice's mean is weighted by its
    /// share of the samples and the slices are summed in order.
    public func gradients(_ x: Tensor, labels: [Int], loss: Loss) -> (
        loss: Float, parameters: [[Tensor]], output: Tensor
    ) {
        let n = x.shape[0]
        return gradients(n, labels: labels, loss: loss) { $0.count == n ? x : x.samples($0) }
    }

    /// `gradients` of n samples, the inputs of each slice (`slices`) made by `input` on the
    /// core that runs it (as `forward(_:_:)` makes them): no batch of inputs is built first on
    /// one core while the others wait. The same numbers as `gradients` of all the inputs.
    public func gradients(_ n: Int, labels: [Int], loss: Loss, input: @Sendable (Range<Int>) -> Tensor) -> (
        loss: Float, parameters: [[Tensor]], output: Tensor
    ) {
        let parts = slices(n)
        guard parts.count > 1 else {
            let one = sliceGradients(input(0..<n), labels: labels, loss: loss)
            return (one.loss, one.parameters, one.output)
        }
        let (results, weights) = sliceResults(parts, labels: labels, loss: loss, input: input)
        let grads = LeNet5.weightedSum(results.map(\.parameters), weights: weights, threads: threads)
        return (LeNet5.weightedLoss(results.map(\.loss), weights), grads, .concatenating(results.map(\.output)))
    }

    /// `gradients` of n samples followed by a step, with the step folded into the merge of
    /// the slices' ∂E/∂p: each core steps the part of every parameter it has just added up,
    /// while it is in its nearest cache (one pass over the weights and one call to the
    /// cores instead of two of each, and no tensor of the batch's ∂E/∂p written and read
    /// back). A dense layer's ∂E/∂w (C5, F6: nine tenths of the numbers) is not made slice
    /// by slice: each slice keeps the layer's inputs and slopes, and each core makes its
    /// own rows of every slice's ∂E/∂w from them (`Dense.weightRows`), so that what one
    /// core reads of the other's work is those (C5: 16 × 520 numbers a slice) rather than
    /// its half of the ∂E/∂w (24,060). `update(value, ∂E/∂p, state, range)` is the step,
    /// element by element, `state` one tensor per parameter (the optimizer's velocity or
    /// step sizes). The same numbers as `gradients` then the step. Returns the batch's mean
    /// loss and the outputs; the weights move whatever the loss (a run that meets a
    /// non-finite loss goes back to weights it kept).
    public mutating func gradientsAndStep(
        _ n: Int, labels: [Int], loss: Loss, state: inout [[Tensor]], update: @escaping RangeStep,
        input: @Sendable (Range<Int>) -> Tensor
    ) -> (loss: Float, output: Tensor) {
        let parts = slices(n)
        guard parts.count > 1 else {
            let one = sliceGradients(input(0..<n), labels: labels, loss: loss)
            updateTrainable(one.parameters, state: &state, update)
            return (one.loss, one.output)
        }
        // The slices' gradients, the dense layers' ∂E/∂w left to the merge (their inputs and
        // slopes instead).
        let (results, weights) = sliceResults(parts, labels: labels, loss: loss, leavingWeights: true, input: input)
        // Each trainable parameter: its value, the optimizer's tensor for it, and either the
        // parts' ∂E/∂p, added up entry by entry, or (a dense layer's ∂E/∂w) each part's slopes and
        // inputs, from which each core makes its rows (a fixed parameter, the RBF centres, is
        // neither added up nor stepped).
        var entries: [MergeJob] = [], rows: [MergeJob] = []
        for l in layers.indices {
            let left = results[0].left[l]
            layers[l].updateTrainable { p, value in
                precondition(state[l][p].count == value.count)
                let target = (value.sharedAddress(), state[l][p].sharedAddress())
                if let left, p == 0 {
                    let samples = left.slopes.shape[0], outputs = left.slopes.count / samples
                    precondition(value.count == outputs * (left.input.count / samples))
                    rows.append(
                        MergeJob(
                            value: target.0, state: target.1, count: value.count, outputs: outputs,
                            parts: results.map { $0.left[l]!.input.sharedReadAddress() },
                            slopes: results.map {
                                ($0.left[l]!.slopes.sharedReadAddress(), $0.left[l]!.slopes.shape[0])
                            }))
                } else {
                    precondition(results.allSatisfy { $0.parameters[l][p].count == value.count })
                    entries.append(
                        MergeJob(
                            value: target.0, state: target.1, count: value.count, outputs: 0,
                            parts: results.map { $0.parameters[l][p].sharedReadAddress() }, slopes: []))
                }
            }
        }
        nonisolated(unsafe) let (byEntry, byRow) = (entries, rows)
        let total = (entries + rows).reduce(0) { $0 + $1.count }
        // Room for a block of sums, or of one part's rows: at least one whole row.
        let width = max(LeNet5.rowsBlock, rows.map { $0.count / $0.outputs }.max() ?? 0)
        let cores = total >= sharedWorkMinimum ? max(1, threads) : 1
        _ = parallelMap(cores, threads: cores) { c in
            // A block of sums at a time, made in memory of this core's own and stepped at once:
            // no tensor of the batch's ∂E/∂p is made, and none is read back.
            let block = UnsafeMutablePointer<Float>.allocate(capacity: width * (1 + weights.count))
            defer { block.deallocate() }
            // After the sums' block, one for each part's rows of a dense layer's ∂E/∂w.
            let made = (0..<weights.count).map { block + width * (1 + $0) }, reads = made.map { UnsafePointer($0) }
            for job in byEntry {
                var start = job.count * c / cores
                let stop = job.count * (c + 1) / cores
                while start < stop {
                    let end = min(start + LeNet5.mergeBlock, stop)
                    LeNet5.addProducts(0..<(end - start), job.parts.map { $0 + start }, weights, into: block)
                    job.step(update, start..<end, block)
                    start = end
                }
            }
            // A dense layer's ∂E/∂w: this core's rows (output units), a few at a time, each part's
            // made into a block of its own, then added up in the parts' order and stepped.
            for job in byRow {
                let inputs = job.count / job.outputs, chunk = max(1, LeNet5.rowsBlock / inputs)
                var first = job.outputs * c / cores
                let last = job.outputs * (c + 1) / cores
                while first < last {
                    let these = first..<min(first + chunk, last)
                    for (r, into) in made.enumerated() {
                        Dense.weightRows(
                            these, slopes: job.slopes[r].pointer, input: job.parts[r], samples: job.slopes[r].samples,
                            outputs: job.outputs, inputs: inputs, into: into)
                    }
                    LeNet5.addProducts(0..<(these.count * inputs), reads, weights, into: block)
                    job.step(update, these.lowerBound * inputs..<these.upperBound * inputs, block)
                    first = these.upperBound
                }
            }
        }
        return (LeNet5.weightedLoss(results.map(\.loss), weights), .concatenating(results.map(\.output)))
    }

    /// One parameter's share of `gradientsAndStep`'s merge.
    struct MergeJob {
        let value: UnsafeMutablePointer<Float>, state: UnsafeMutablePointer<Float>, count: Int
        /// A dense layer's ∂E/∂w: its output units (rows), else 0.
        let outputs: Int
        /// Each part's ∂E/∂p, or (a dense layer's ∂E/∂w) each part's inputs to the layer.
        let parts: [UnsafePointer<Float>]
        /// A dense layer's ∂E/∂w: each part's slopes ∂E/∂a and its number of samples.
        let slopes: [(pointer: UnsafePointer<Float>, samples: Int)]

        /// Steps entries `range` whose merged ∂E/∂p is in `sums`.
        func step(_ update: RangeStep, _ range: Range<Int>, _ sums: UnsafePointer<Float>) {
            update(value + range.lowerBound, sums, state + range.lowerBound, 0..<range.count)
        }
    }

    /// `sliceGradients` of each of `parts` (slices of a batch), shared among cores, and each
    /// part's share of the samples. The copy of the net the cores read is gone when it
    /// returns, so the weights can then be stepped in place.
    func sliceResults(
        _ parts: [Range<Int>], labels: [Int], loss: Loss, leavingWeights: Bool = false,
        input: @Sendable (Range<Int>) -> Tensor
    ) -> (results: [SliceGradients], weights: [Float]) {
        let one = self, n = parts.last!.upperBound
        let results = parallelMap(parts.count, threads: threads) { [one] k in
            one.sliceGradients(
                input(parts[k]), labels: Array(labels[parts[k]]), loss: loss, leavingWeights: leavingWeights)
        }
        return (results, parts.map { Float($0.count) / Float(n) })
    }

    /// The parts' losses weighted by their shares, added in order.
    static func weightedLoss(_ losses: [Float], _ weights: [Float]) -> Float {
        var total: Float = 0
        for (w, value) in zip(weights, losses) { total += w * value }
        return total
    }

    /// The parts' gradients added up as `accumulate` adds them one part after another, from
    /// 0 (the same bits), in one pass: each entry is 0 + w₀·g₀ + w₁·g₁ + … in that order.
    /// Every tensor is split among `threads` cores, which each read their share of every
    /// part's (one core alone took 16–35 µs of a keras batch of 64's 600–700, the other
    /// waiting).
    static func weightedSum(_ parts: [[[Tensor]]], weights: [Float], threads: Int) -> [[Tensor]] {
        precondition(!parts.isEmpty && parts.count == weights.count)
        var sum = parts[0].map { $0.map { Tensor(unfilled: $0.shape) } }
        var to: [UnsafeMutablePointer<Float>] = [], from: [[UnsafePointer<Float>]] = [], counts: [Int] = []
        for l in sum.indices {
            for p in sum[l].indices {
                precondition(parts.allSatisfy { $0[l][p].count == sum[l][p].count })
                to.append(sum[l][p].sharedAddress())
                from.append(parts.map { $0[l][p].sharedReadAddress() })
                counts.append(sum[l][p].count)
            }
        }
        nonisolated(unsafe) let (out, terms) = (to, from)
        let sizes = counts, cores = counts.reduce(0, +) >= sharedWorkMinimum ? max(1, threads) : 1
        _ = parallelMap(cores, threads: cores) { c in
            for q in sizes.indices {
                let n = sizes[q]
                addProducts(n * c / cores..<n * (c + 1) / cores, terms[q], weights, into: out[q])
            }
        }
        return sum
    }

    /// Entries of ∂E/∂p added up at a time (4 KB: kept in the nearest cache while every part
    /// is added on).
    static let mergeBlock = 1024

    /// Entries of a dense layer's ∂E/∂w made at a time, of each part (32 KB: C5's rows twenty
    /// at a time, F6's 68), so that its products run on many rows at once.
    static let rowsBlock = 8192

    /// out[j] = 0 + w₀·g₀[j] + w₁·g₁[j] + … for j in `range`, `mergeBlock` entries at a time.
    static func addProducts(
        _ range: Range<Int>, _ parts: [UnsafePointer<Float>], _ weights: [Float], into out: UnsafeMutablePointer<Float>
    ) {
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(start + mergeBlock, range.upperBound)
            for (r, g) in parts.enumerated() {
                let w = weights[r]
                if r == 0 {
                    for j in start..<end { out[j] = 0 + w * g[j] }
                } else {
                    for j in start..<end { out[j] += w * g[j] }
                }
            }
            start = end
        }
    }

    /// sum += weight · gradients, parameter by parameter (zeros first when `sum` is empty):
    /// how the gradients of a batch's parts become the batch's, in a fixed order (a batch's
    /// slices: `weightedSum`, the same sums in one pass on every core).
    static func accumulate(_ gradients: [[Tensor]], weight w: Float, into sum: inout [[Tensor]]) {
        if sum.isEmpty { sum = gradients.map { $0.map { Tensor(zeros: $0.shape) } } }
        for l in sum.indices {
            for p in sum[l].indices {
                sum[l][p].scalars.withUnsafeMutableBufferPointer { s in
                    gradients[l][p].scalars.withUnsafeBufferPointer { g in
                        for j in 0..<s.count { s[j] += w * g[j] }
                    }
                }
            }
        }
    }

    /// `gradients` of a batch given as `samples`, at most `partSize` of them in memory at
    /// once: `inputs(part)` says how to make the inputs of any samples of the part (positions
    /// within it), which each core then makes for its slices (`gradients(_:labels:loss:input:)`).
    /// A batch of one part is exactly `gradients`; a larger one is the parts' results
    /// weighted by their sizes.
    public func gradients<S>(
        of samples: ArraySlice<S>, labels: [Int], partSize: Int,
        inputs: (ArraySlice<S>) -> @Sendable (Range<Int>) -> Tensor, loss: Loss
    ) -> (loss: Float, parameters: [[Tensor]], output: Tensor) {
        guard samples.count > partSize else {
            return gradients(samples.count, labels: labels, loss: loss, input: inputs(samples))
        }
        let n = Float(samples.count)
        var total: Float = 0
        var grads: [[Tensor]] = []
        var outputs: [Tensor] = []
        for start in stride(from: 0, to: samples.count, by: partSize) {
            let range = start..<min(start + partSize, samples.count)
            let base = samples.startIndex
            let r = gradients(
                range.count, labels: Array(labels[range]), loss: loss,
                input: inputs(samples[(base + range.lowerBound)..<(base + range.upperBound)]))
            let w = Float(range.count) / n
            total += w * r.loss
            LeNet5.accumulate(r.parameters, weight: w, into: &grads)
            outputs.append(r.output)
        }
        return (total, grads, .concatenating(outputs))
    }

    /// One step of online training (one sample) with a step size per parameter (SDLM's ε):
    /// forward, the loss, then from the top each layer back-propagates and steps at once
    /// (`Layer.backwardAndStep`). The same weights as `gradients` followed by the step; they
    /// move only when the loss is finite. Returns the loss and the output. The trace and
    /// the gradients go into `workspace`'s buffers, which a run keeps from step to step.
    /// With `threads` above one and a second core free, the step is shared by two cores
    /// (`pairedStep`), with the same numbers.
    public mutating func onlineStep(
        _ x: Tensor, label: Int, loss: Loss, rates: [[Tensor]], workspace: inout OnlineWorkspace
    ) -> (loss: Float, output: Tensor) {
        onlineStep(label: label, loss: loss, rates: rates, workspace: &workspace) { $0 = x }
    }

    /// `onlineStep` of the input `input` writes into the buffer the workspace keeps for it
    /// (the trace's first), from step to step: no tensor is made for it.
    public mutating func onlineStep(
        label: Int, loss: Loss, rates: [[Tensor]], workspace: inout OnlineWorkspace, input: (inout Tensor) -> Void
    ) -> (loss: Float, output: Tensor) {
        let count = layers.count + 1
        if workspace.trace.count != count {
            workspace.trace = Array(repeating: .empty, count: count)
            workspace.gradients = Array(repeating: .empty, count: count)
            workspace.top = firstVectorLayer
            workspace.shareMaps(of: self)
        }
        input(&workspace.trace[0])
        // Whether this step went on one core as `CoreChoice` said (its time is told then).
        var alone = false
        let start = threads > 1 ? DispatchTime.now().uptimeNanoseconds : 0
        if threads > 1, let top = workspace.top, top > 0 {
            if workspace.cores.next() {
                if let result = pairedStep(top: top, label: label, loss: loss, rates: rates, workspace: &workspace) {
                    workspace.pairedSteps += 1
                    workspace.cores.took(DispatchTime.now().uptimeNanoseconds - start, paired: true)
                    return result
                }
            } else {
                alone = true
            }
        }
        let path = path
        for l in layers.indices {
            LeNet5.forwardInPlace(&layers[l], workspace.trace[l], into: &workspace.trace[l + 1], path: path)
        }
        let value = loss.evaluate(
            workspace.trace[count - 1], labels: [label], gradient: &workspace.gradients[count - 1])
        guard value.isFinite else { return (value, workspace.trace[count - 1]) }
        var dy = workspace.gradients[count - 1]
        for l in layers.indices.reversed() {
            layers[l].backwardAndStep(
                input: workspace.trace[l], output: workspace.trace[l + 1], gradient: dy, path: path,
                inputGradient: l > 0, rates: rates[l], into: &workspace.gradients[l])
            dy = workspace.gradients[l]
        }
        if alone { workspace.cores.took(DispatchTime.now().uptimeNanoseconds - start, paired: false) }
        return (value, workspace.trace[count - 1])
    }

    /// `onlineStep` on two cores, nil (having done nothing) when there is no second core free
    /// (`runPaired`). The layers from `top` up (those that read every input: C5, F6 and the
    /// output) run on the second core, which keeps their weights in its cache (C5's 48,000 and
    /// their step sizes), and the maps on this one. The top's layers hand ∂E/∂x down before
    /// they step (`Layer.backwardAndStep(…handOver:)`), so the maps back-propagate while C5
    /// and F6 step. The layers at the bottom that can (`sharedMapLayers`: C1 and S2) are
    /// shared out map by map: the second core, idle until S4's outputs come, computes half
    /// their maps forward while this one computes the others; C3 hands its ∂E/∂x over before
    /// working out its own ∂E/∂w, and the second core, done stepping C5 and F6 by then, takes
    /// C1 and S2 back while this one finishes C3. Their ∂E/∂p go into a buffer
    /// (`OnlineWorkspace.mapGradients`) and they step here at the end. Every number is as on
    /// one core.
    mutating func pairedStep(
        top: Int, label: Int, loss: Loss, rates: [[Tensor]], workspace: inout OnlineWorkspace
    ) -> (loss: Float, output: Tensor)? {
        let path = path, count = layers.count, relay = workspace.relay
        // Sharing out maps is the fast path's; the reference path keeps every layer whole.
        let shared = path == .fast ? min(workspace.sharedLayers, top) : 0, maps = workspace.sharedMaps
        let forwardSplit = workspace.forwardSplit, backwardSplit = workspace.backwardSplit
        let shapes = workspace.sharedShapes
        // The shared layers' outputs and ∂E/∂x, which both cores write (each its own maps), and
        // their ∂E/∂p: shaped here, and reached through addresses taken here.
        for l in 0..<shared {
            workspace.trace[l + 1].prepare(shapes[l + 1])
            if l > 0 { workspace.gradients[l].prepare(shapes[l]) }
        }
        nonisolated(unsafe) let gradientsAt = workspace.mapGradients.sharedAddress()
        let offsets = workspace.mapGradientOffsets
        relay.reset()
        nonisolated(unsafe) var result = Float.nan
        let ran = layers.withUnsafeMutableBufferPointer { layers in
            workspace.trace.withUnsafeMutableBufferPointer { trace in
                workspace.gradients.withUnsafeMutableBufferPointer { gradients in
                    // The layers through a pointer, which a generic call opens in place
                    // (`forwardInPlace`); through the buffer, each would be copied first.
                    nonisolated(unsafe) let layers = layers.baseAddress!, trace = trace, gradients = gradients
                    return Scratch.with(UnsafeMutablePointer<Float>.self, 2 * shared) { at in
                        // Layer l's output at at[l], its ∂E/∂x at at[shared + l] (l > 0).
                        for l in 0..<shared {
                            at[l] = trace[l + 1].sharedAddress()
                            at[shared + l] = l > 0 ? gradients[l].sharedAddress() : at[l]
                        }
                        nonisolated(unsafe) let at = at
                        @Sendable func shareForward(_ part: Range<Int>) {
                            guard !part.isEmpty else { return }
                            for l in 0..<shared { layers[l].forwardFast(trace[l], maps: part, into: at[l]) }
                        }
                        @Sendable func shareBackward(_ part: Range<Int>) {
                            guard !part.isEmpty else { return }
                            for l in (0..<shared).reversed() {
                                layers[l].backwardFast(
                                    maps: part, input: trace[l], output: trace[l + 1], gradient: gradients[l + 1],
                                    parameters: gradientsAt + offsets[l], dx: l > 0 ? at[shared + l] : nil)
                            }
                        }
                        return runPaired(
                            {
                                // This core: the maps forward, then (given ∂E/∂x of the top) backward.
                                shareForward(0..<forwardSplit)
                                relay.wait(for: 1)
                                for l in shared..<top {
                                    LeNet5.forwardInPlace(&layers[l], trace[l], into: &trace[l + 1], path: path)
                                }
                                relay.post(2)
                                relay.wait(for: 3)
                                guard result.isFinite else { return }
                                var dy = gradients[top]
                                for l in (shared..<top).reversed() {
                                    // The lowest of these hands ∂E/∂x to the second core before
                                    // it works out its own ∂E/∂p and steps.
                                    layers[l].backwardAndStep(
                                        input: trace[l], output: trace[l + 1], gradient: dy, path: path,
                                        inputGradient: l > 0, rates: rates[l], into: &gradients[l]
                                    ) { _ in if l == shared { relay.post(4) } }
                                    dy = gradients[l]
                                }
                                shareBackward(0..<backwardSplit)
                            },
                            {
                                // The second core: its share of the bottom maps, then the top
                                // forward, the loss, and the top backward, each layer stepping
                                // once the layers below have its ∂E/∂x; then its share of the
                                // bottom maps backward.
                                shareForward(forwardSplit..<maps)
                                relay.post(1)
                                relay.wait(for: 2)
                                for l in top..<count {
                                    LeNet5.forwardInPlace(&layers[l], trace[l], into: &trace[l + 1], path: path)
                                }
                                result = loss.evaluate(trace[count], labels: [label], gradient: &gradients[count])
                                guard result.isFinite else { return relay.post(3) }
                                func back(_ l: Int, _ dy: Tensor) {
                                    layers[l].backwardAndStep(
                                        input: trace[l], output: trace[l + 1], gradient: dy, path: path,
                                        inputGradient: true, rates: rates[l], into: &gradients[l]
                                    ) { dx in
                                        if l == top { relay.post(3) } else { back(l - 1, dx) }
                                    }
                                }
                                back(count - 1, gradients[count])
                                // The first core's maps of C1 and S2 that this one takes back
                                // come into its cache while C3 works out ∂E/∂x (a step 1.7% faster).
                                let fetched = backwardSplit..<max(forwardSplit, backwardSplit)
                                for l in 0..<shared {
                                    let area = shapes[l + 1][2] * shapes[l + 1][3]
                                    prefetch(
                                        at[l] + fetched.lowerBound * area,
                                        bytes: fetched.count * area * MemoryLayout<Float>.size)
                                }
                                relay.wait(for: 4)
                                shareBackward(backwardSplit..<maps)
                            })
                    }
                }
            }
        }
        guard ran else { return nil }
        if result.isFinite {
            for l in 0..<shared { layers[l].step(laidOut: gradientsAt + offsets[l], rates: rates[l]) }
        }
        return (result, workspace.trace[count])
    }

    /// The first layer whose output is a vector rather than maps (C5, 120 units on 1×1 maps):
    /// from it up, every layer reads all of its input.
    var firstVectorLayer: Int? {
        var shape = LeNet5.inputShape
        for (l, layer) in layers.enumerated() {
            shape = layer.outputShape(shape)
            if shape.dropFirst().allSatisfy({ $0 == 1 }) { return l }
        }
        return nil
    }

    /// A layer's forward pass where the array of layers holds it: the layer opened in place,
    /// as a mutating call opens it, where calling it on `layers[l]` copied it out of the array
    /// first (a copy retains, then releases, every buffer the layer holds).
    @inline(__always)
    static func forwardInPlace<L: Layer>(_ layer: inout L, _ x: Tensor, into y: inout Tensor, path: ComputePath) {
        layer.forward(x, into: &y, path: path)
    }

    /// What one slice of a batch gives: its mean loss, ∂E/∂p of every layer, its outputs, and
    /// (`leavingWeights`) a dense layer's input and slopes where its ∂E/∂w is left out.
    typealias SliceGradients = (
        loss: Float, parameters: [[Tensor]], output: Tensor, left: [(input: Tensor, slopes: Tensor)?]
    )

    /// `gradients` of one slice, on one core. With `leavingWeights`, a dense layer's ∂E/∂w
    /// (`Layer.backwardLeavingWeights`) is left out (an empty tensor in its place) and its
    /// input and slopes are kept instead, for `gradientsAndStep`'s merge to make it.
    func sliceGradients(_ x: Tensor, labels: [Int], loss: Loss, leavingWeights: Bool = false) -> SliceGradients {
        let trace = trace(x)
        let result = loss.evaluate(trace.last!, labels: labels)
        var dy = result.gradient
        var grads = [[Tensor]](repeating: [], count: layers.count)
        var left = [(input: Tensor, slopes: Tensor)?](repeating: nil, count: layers.count)
        for l in layers.indices.reversed() {
            if leavingWeights && path == .fast,
                let r = layers[l].backwardLeavingWeights(
                    input: trace[l], output: trace[l + 1], gradient: dy, inputGradient: l > 0)
            {
                (grads[l], left[l], dy) = ([.empty, r.bias], (trace[l], r.slopes), r.input)
            } else {
                let (dx, dp) = layers[l].backward(
                    input: trace[l], output: trace[l + 1], gradient: dy, path: path, inputGradient: l > 0)
                (grads[l], dy) = (dp, dx)
            }
        }
        return (result.loss, grads, trace.last!, left)
    }

    /// Applies `update(value, gradient, state, range)` to every trainable parameter in place,
    /// a large one a part of its range on each of `threads` cores (`forEachPart`). `state` is
    /// one tensor per parameter, owned by the optimizer.
    mutating func updateTrainable(_ grads: [[Tensor]], state: inout [[Tensor]], _ update: RangeStep) {
        let threads = threads
        for l in layers.indices {
            layers[l].updateTrainable { p, value in
                precondition(grads[l][p].count == value.count && state[l][p].count == value.count)
                value.scalars.withUnsafeMutableBufferPointer { w in
                    grads[l][p].scalars.withUnsafeBufferPointer { g in
                        state[l][p].scalars.withUnsafeMutableBufferPointer { v in
                            nonisolated(unsafe) let (wp, gp, vp) = (w.baseAddress!, g.baseAddress!, v.baseAddress!)
                            forEachPart(w.count, threads: threads) { update(wp, gp, vp, $0) }
                        }
                    }
                }
            }
        }
    }

    /// A zero tensor shaped like every parameter: optimizer state.
    func zerosLikeParameters() -> [[Tensor]] {
        layers.map { $0.parameters.map { Tensor(zeros: $0.value.shape) } }
    }
}

/// What online training keeps from one step to the next: the trace (the input and every
/// layer's output) and ∂E/∂ of each (each layer's ∂E/∂x, then the loss's ∂E/∂output), whose
/// buffers the fast path writes into (`Layer.forwardFast(_:into:)`, `Layer.backwardAndStep`,
/// `Loss.evaluate(_:labels:gradient:)`) instead of taking new ones.
public struct OnlineWorkspace: Sendable {
    var trace: [Tensor] = []
    var gradients: [Tensor] = []
    /// Where a step on two cores splits the layers (`LeNet5.firstVectorLayer`), and its
    /// hand-overs (`LeNet5.pairedStep`).
    var top: Int?
    let relay = Relay()
    /// Steps taken on two cores so far.
    public internal(set) var pairedSteps = 0
    /// The layers at the bottom two cores share out map by map (`LeNet5.sharedMapLayers`),
    /// their maps, and the shapes of the input and their outputs (one sample).
    var sharedLayers = 0, sharedMaps = 0, sharedShapes: [[Int]] = []
    /// The shared layers' maps the first core computes forward (half; the rest are the
    /// second's) and backward (none: the second core takes them all while the first works out
    /// C3's ∂E/∂w and steps). Alternated 500 steps at a time in one pass over 60,000 digits,
    /// a step took 46.4 and 46.7 µs so, 47.4 with two of the six maps back on the first core,
    /// and 49.6 with all of C1 and S2 on the first core.
    var forwardSplit = 0, backwardSplit = 0
    /// The shared layers' ∂E/∂p, layer by layer (each as `Layer.backwardFast(maps:…)` lays them
    /// out, from `mapGradientOffsets`).
    var mapGradients = Tensor.empty, mapGradientOffsets: [Int] = []
    /// Two cores or one for each step (the same numbers either way).
    public var cores = CoreChoice()

    public init() {}

    /// Works out which layers of `model` two cores share out map by map, and how.
    mutating func shareMaps(of model: LeNet5) {
        sharedLayers = model.sharedMapLayers
        let shapes = model.shapes.map { [1] + $0 }
        sharedShapes = Array(shapes.prefix(sharedLayers + 1))
        sharedMaps = sharedLayers > 0 ? shapes[1][1] : 0
        forwardSplit = sharedMaps / 2
        backwardSplit = 0
        var offsets = [0]
        for l in 0..<sharedLayers {
            offsets.append(
                offsets[l] + model.layers[l].parameters.filter(\.trainable).reduce(0) { $0 + $1.value.count })
        }
        mapGradientOffsets = offsets
        mapGradients = Tensor(zeros: [max(offsets[sharedLayers], 1)])
    }
}

/// Whether online steps go on two cores (`LeNet5.pairedStep`) or on one, from how long they
/// take. Which is faster depends on the minute: on this project's 2-core machine a paper
/// step took 22 µs on two cores against 26 on one in some periods, 36 on two against 27 on
/// one in others, where every hand-over between the cores cost more (`lesson bench --variant
/// paper --json`, `--threads 2` against `--threads 1`). Steps go one way; every `every`
/// steps, `trial` go the other, and if the median of those was lower by 3% than the median of
/// the way's last `window` steps, steps go that way from then on. Medians, not means: a step
/// on two cores now and then waits far longer for the other (a time slice). The first
/// `warmUp` steps after a change of way are not counted: the weights move to the other
/// core's cache. Both ways give the same numbers, so the choice changes only the time.
///
/// A step on two cores that takes longer than `slowStep` (nanoseconds; one takes some 25–50
/// µs) means the second core is shared with another program, which leaves each hand-over
/// waiting for a time slice (a pass took three times as long): the next `pause` steps run
/// on one core at once, untimed, then two are tried again. Each slow step doubles the pause
/// (up to 1,024 times); as many fast steps on two cores as the last pause halve it again.
public struct CoreChoice: Sendable {
    /// Steps between trials (the first comes after 1,000, or `every` when it is set), and
    /// steps per trial.
    public var every = 5_000 { didSet { untilTrial = every } }
    public var trial = 200
    /// Steps not timed after each change of way; the way's last steps the trial is weighed against.
    public var warmUp = 40, window = 128
    public var slowStep: UInt64 = 2_000_000, pause = 1_000
    /// The way steps go outside trials.
    public private(set) var paired = true
    /// Trials so far, and the changes of way they led to.
    public private(set) var trials = 0, changes = 0
    /// Steps until the next trial; steps of the trial under way still to go (nil: none).
    var untilTrial = 1_000, trialLeft: Int?
    /// Steps taken since the way last changed (at a trial's start and end).
    var sinceChange = 0
    /// The times (nanoseconds) of the way's last timed steps, `window` at most (the next
    /// overwrites the one at `oldest`), and of the trial's.
    var recent: [UInt64] = [], oldest = 0, trialTimes: [UInt64] = []
    /// Steps still to run on one core after a slow one; the pause's doublings; fast steps on
    /// two cores since the last change of the pause.
    var oneCoreSteps = 0, doublings = 0, fastSteps = 0
    /// Whether the step `next` last sent to one core was a pause's (not timed).
    var pausing = false

    public init() {}

    /// Whether the next step goes on two cores.
    public mutating func next() -> Bool {
        pausing = oneCoreSteps > 0
        if pausing {
            oneCoreSteps -= 1
            return false
        }
        if let left = trialLeft {
            if left > 0 {
                trialLeft = left - 1
                return !paired
            }
            // The trial is over: steps go the faster way from now on.
            trialLeft = nil
            trials += 1
            untilTrial = every
            if let trialMedian = median(trialTimes.map(Double.init)), let wayMedian = median(recent.map(Double.init)),
                trialMedian < 0.97 * wayMedian
            {
                paired.toggle()
                changes += 1
                recent = Array(trialTimes.suffix(window))
                oldest = 0
                // The trial's steps went this way: the caches are warm.
                sinceChange = warmUp
            } else {
                sinceChange = 0
            }
        } else if untilTrial == 0 {
            trialLeft = max(trial, 1) - 1
            trialTimes.removeAll(keepingCapacity: true)
            sinceChange = 0
            return !paired
        }
        untilTrial -= 1
        return paired
    }

    /// The time of the step just taken (nanoseconds), which went on two cores or on one
    /// as `next` said.
    public mutating func took(_ nanoseconds: UInt64, paired way: Bool) {
        if way {
            pauseAfter(slow: nanoseconds > slowStep)
        } else if pausing {
            return
        }
        sinceChange += 1
        guard sinceChange > warmUp else { return }
        if trialLeft != nil {
            if way != paired { trialTimes.append(nanoseconds) }
        } else if way == paired {
            if recent.count < window {
                recent.append(nanoseconds)
            } else {
                recent[oldest] = nanoseconds
                oldest = (oldest + 1) % window
            }
        }
    }

    /// After a step on two cores: a slow one starts a pause (twice as long as the last), and
    /// as many fast ones as the last pause halve it again.
    mutating func pauseAfter(slow: Bool) {
        if slow {
            oneCoreSteps = pause << doublings
            doublings = min(doublings + 1, 10)
            fastSteps = 0
        } else if doublings > 0 {
            fastSteps += 1
            if fastSteps >= pause << (doublings - 1) {
                doublings -= 1
                fastSteps = 0
            }
        }
    }
}
