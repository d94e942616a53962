import Foundation
import LeNetCore
import LeNetData
import LeNetModel

/// Throughput of training and inference, measured on real digits.
public struct Benchmark: Sendable {
    public struct Result: Sendable {
        public var variant: Variant
        public var trainBatch1: Double
        public var trainBatch64: Double
        public var inferBatch1000: Double
        /// Forward multiply-adds of one sample, from the model.
        public var forwardMultiplyAdds: Int
        public var peakMemoryMB: Double

        public init(
            variant: Variant, trainBatch1: Double, trainBatch64: Double, inferBatch1000: Double,
            forwardMultiplyAdds: Int, peakMemoryMB: Double
        ) {
            self.variant = variant
            self.trainBatch1 = trainBatch1
            self.trainBatch64 = trainBatch64
            self.inferBatch1000 = inferBatch1000
            self.forwardMultiplyAdds = forwardMultiplyAdds
            self.peakMemoryMB = peakMemoryMB
        }

        /// Training costs about three forward passes (forward, ∂x, ∂w); 2 FLOP per multiply-add.
        public var trainGFLOPs: Double { trainBatch64 * Double(6 * forwardMultiplyAdds) / 1e9 }
        public var inferGFLOPs: Double { inferBatch1000 * Double(2 * forwardMultiplyAdds) / 1e9 }
    }

    /// Several runs of the same measurements: for each rate the median and the range, since
    /// a shared machine's speed can swing between runs.
    public struct Summary: Sendable {
        public var median: Result, lowest: Result, highest: Result
        public var runs: Int

        public init(_ results: [Result]) {
            func rates(_ key: KeyPath<Result, Double>) -> [Double] { results.map { $0[keyPath: key] }.sorted() }
            let b1 = rates(\.trainBatch1), b64 = rates(\.trainBatch64), inference = rates(\.inferBatch1000)
            let first = results[0], memory = results.map(\.peakMemoryMB).max()!
            func result(_ pick: ([Double]) -> Double) -> Result {
                Result(
                    variant: first.variant, trainBatch1: pick(b1), trainBatch64: pick(b64),
                    inferBatch1000: pick(inference),
                    forwardMultiplyAdds: first.forwardMultiplyAdds, peakMemoryMB: memory)
            }
            median = result { LeNetCore.median($0)! }
            lowest = result { $0.first! }
            highest = result { $0.last! }
            runs = results.count
        }
    }

    public let digits: Digits
    /// Least time each measurement runs for.
    public let seconds: Double

    public init(digits: Digits, seconds: Double = 1.5) {
        self.digits = digits
        self.seconds = seconds
    }

    /// Samples per second of `work(batch)` over batches of `size`, repeated for `seconds`.
    func rate(batchSize size: Int, _ work: ([Int]) -> Void) -> Double {
        var done = 0, next = 0
        let start = Date()
        repeat {
            let indices = (0..<size).map { (next + $0) % digits.count }
            next += size
            work(indices)
            done += size
        } while Date().timeIntervalSince(start) < seconds
        return Double(done) / Date().timeIntervalSince(start)
    }

    func trainRate(_ variant: Variant, batch: Int, path: ComputePath, threads: Int) -> Double {
        var config = TrainingConfig.defaults(for: variant)
        config.learningRate = variant == .paper ? 0.0005 : 0.01
        var net = LeNet5(variant: variant, seed: 1)
        net.path = path
        net.threads = threads
        var optimizer = Optimizer(kind: .sgd, for: net)
        // Kept from step to step, as training keeps it.
        var workspace = OnlineWorkspace()
        return rate(batchSize: batch) { indices in
            let labels = indices.map { Int(digits.labels[$0]) }
            // One sample steps as it back-propagates, as online training does.
            if batch == 1, let rates = optimizer.stepSizes(rate: config.learningRate) {
                let x = digits.batch(indices, scaling: variant.inputScaling)
                _ = net.onlineStep(x, label: labels[0], loss: config.loss, rates: rates, workspace: &workspace)
            } else {
                // Each slice's inputs made on the core that runs it, and the step taken as the
                // slices' gradients are merged, as training does.
                _ = optimizer.step(
                    &net, on: indices[...], labels: labels, partSize: indices.count,
                    inputs: { part in { [digits] in digits.batch(Array(part[$0]), scaling: variant.inputScaling) } },
                    loss: config.loss, rate: config.learningRate)
            }
        }
    }

    public func run(_ variant: Variant, path: ComputePath = .fast, threads: Int = coreCount) -> Result {
        var net = LeNet5(variant: variant, seed: 1)
        net.path = path
        net.threads = threads
        let infer = rate(batchSize: 1000) { _ = net.forward(digits, $0) }
        return Result(
            variant: variant, trainBatch1: trainRate(variant, batch: 1, path: path, threads: threads),
            trainBatch64: trainRate(variant, batch: 64, path: path, threads: threads), inferBatch1000: infer,
            forwardMultiplyAdds: net.multiplyAdds, peakMemoryMB: Benchmark.peakMemoryMB())
    }

    /// Where the time of one training step goes: each layer's forward and backward time per
    /// sample, in microseconds, on one thread, a slice of a batch at a time as training runs
    /// (at `batch` 1, the online step's backward pass and step in one, as the paper trains).
    public func layerTimes(_ variant: Variant, batch: Int = LeNet5.samplesPerSlice, path: ComputePath = .fast) -> [(
        layer: String, forward: Double, backward: Double
    )] {
        var net = LeNet5(variant: variant, seed: 1)
        net.path = path
        var forward = [Double](repeating: 0, count: net.layers.count), backward = forward
        // One sample is the paper's online step: back-propagation fused with the step
        // (`backwardAndStep`), here with step sizes of zero so the weights stay as they are.
        let still = net.zerosLikeParameters()
        // The outputs and (at batch 1) the gradients are kept from step to step, as training keeps them.
        var trace = [Tensor](repeating: .empty, count: net.layers.count + 1), gradients = trace
        var steps = 0
        let start = Date()
        repeat {
            trace[0] = digits.batch(
                (0..<batch).map { (steps * batch + $0) % digits.count }, scaling: variant.inputScaling)
            for (l, layer) in net.layers.enumerated() {
                let t = Date()
                layer.forward(trace[l], into: &trace[l + 1], path: path)
                forward[l] += Date().timeIntervalSince(t)
            }
            var dy = Tensor(repeating: 0.01, shape: trace.last!.shape)
            for l in net.layers.indices.reversed() {
                let t = Date()
                if batch == 1 {
                    net.layers[l].backwardAndStep(
                        input: trace[l], output: trace[l + 1], gradient: dy, path: path, inputGradient: l > 0,
                        rates: still[l], into: &gradients[l])
                    dy = gradients[l]
                } else {
                    dy =
                        net.layers[l].backward(
                            input: trace[l], output: trace[l + 1], gradient: dy, path: path, inputGradient: l > 0
                        ).input
                }
                backward[l] += Date().timeIntervalSince(t)
            }
            steps += 1
        } while Date().timeIntervalSince(start) < seconds
        let perSample = 1e6 / Double(steps * batch)
        return net.layers.indices.map { (net.layers[$0].name, forward[$0] * perSample, backward[$0] * perSample) }
    }

    /// The process's peak resident memory: Linux's VmHWM, which starts afresh at exec
    /// (getrusage's ru_maxrss keeps the high-water mark of the parent that forked us, so a
    /// command started by a large process would report that process's size).
    public static func peakMemoryMB() -> Double {
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kB = Double(line.split(separator: " ").dropFirst().first ?? "")
        {
            return kB / 1024
        }
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024
    }
}
