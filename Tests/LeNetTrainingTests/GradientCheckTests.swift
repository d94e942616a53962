import LeNetCore
import LeNetData
import LeNetModel
import LeNetTraining
import XCTest

/// Analytic gradients against central finite differences.
final class GradientCheckTests: XCTestCase {
    var rng = SeededGenerator(seed: 42)

    func randomTensor(_ shape: [Int], _ limit: Float = 1) -> Tensor {
        Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(limit) })
    }

    /// E = Σ r ⊙ layer(x), summed in Double, for a fixed random r.
    func projection(_ layer: any Layer, _ x: Tensor, _ r: Tensor) -> Double {
        zip(layer.forward(x).scalars, r.scalars).reduce(0) { $0 + Double($1.0) * Double($1.1) }
    }

    func assertClose(
        _ analytic: Float, _ numeric: Double, _ what: String, file: StaticString = #filePath, line: UInt = #line
    ) {
        let tolerance = 2e-3 + 2e-2 * max(abs(Double(analytic)), abs(numeric))
        XCTAssertLessThanOrEqual(
            abs(Double(analytic) - numeric), tolerance, "\(what): analytic \(analytic), numeric \(numeric)", file: file,
            line: line)
    }

    /// Checks ∂E/∂x and ∂E/∂p of one layer at `checks` random coordinates each.
    func checkLayer(
        _ layer: any Layer, input shape: [Int], checks: Int = 20, file: StaticString = #filePath, line: UInt = #line
    ) {
        let x = randomTensor(shape)
        let y = layer.forward(x)
        let r = randomTensor(y.shape)
        let (dx, dp) = layer.backward(input: x, output: y, gradient: r)
        let eps: Float = 1e-2
        for _ in 0..<checks {
            let k = Int.random(in: 0..<x.count, using: &rng)
            var plus = x, minus = x
            plus.scalars[k] += eps
            minus.scalars[k] -= eps
            assertClose(
                dx.scalars[k], (projection(layer, plus, r) - projection(layer, minus, r)) / Double(2 * eps),
                "\(layer.name) input[\(k)]", file: file, line: line)
        }
        for (p, param) in layer.parameters.enumerated() where param.trainable {
            for _ in 0..<checks {
                let k = Int.random(in: 0..<param.value.count, using: &rng)
                var plus = layer, minus = layer
                var pp = plus.parameters, mp = minus.parameters
                pp[p].value.scalars[k] += eps
                mp[p].value.scalars[k] -= eps
                plus.parameters = pp
                minus.parameters = mp
                assertClose(
                    dp[p].scalars[k], (projection(plus, x, r) - projection(minus, x, r)) / Double(2 * eps),
                    "\(param.name)[\(k)]", file: file, line: line)
            }
        }
    }

    func testEveryLayerOfBothVariants() {
        for variant in Variant.allCases {
            var net = LeNet5(variant: variant, seed: 3)
            // Random subsampling coefficients and biases too, so no gradient is trivially zero.
            for l in net.layers.indices {
                net.layers[l].parameters = net.layers[l].parameters.map { p in
                    var p = p
                    if p.trainable && p.value.maxAbs == 0 { p.value = randomTensor(p.value.shape, 0.5) }
                    return p
                }
            }
            for (layer, shape) in zip(net.layers, net.shapes) {
                checkLayer(layer, input: [2] + shape)
            }
        }
    }

    func testC3GradientIsZeroOutsideTableI() {
        let net = LeNet5(variant: .paper, seed: 3)
        let c3 = net.layers[2]
        let x = randomTensor([1, 6, 14, 14])
        let y = c3.forward(x)
        let (_, dp) = c3.backward(input: x, output: y, gradient: randomTensor(y.shape))
        let dw = dp[0]
        for o in 0..<16 {
            for i in 0..<6 where !ConnectionTable.tableI.connects(output: o, input: i) {
                XCTAssertEqual(dw.map(0, 0).count, 25)
                XCTAssertTrue(
                    (0..<25).allSatisfy { dw.scalars[(o * 6 + i) * 25 + $0] == 0 }, "C3 map \(o), S2 map \(i)")
            }
        }
    }

    /// The whole network with its real loss: a sample of every parameter tensor.
    func testEndToEndWithEachLoss() {
        for (variant, loss) in [(Variant.paper, Loss.map(j: Loss.paperJ)), (.paper, .mse), (.keras, .crossEntropy)] {
            let net = LeNet5(variant: variant, seed: 5)
            let x = randomTensor([2, 1, 32, 32])
            let labels = [3, 8]
            let (_, grads, _) = net.gradients(x, labels: labels, loss: loss)
            func lossAt(_ n: LeNet5) -> Double { Double(loss.evaluate(n.forward(x), labels: labels).loss) }
            let eps: Float = 1e-2
            for l in net.layers.indices {
                for (p, param) in net.layers[l].parameters.enumerated() where param.trainable {
                    for _ in 0..<5 {
                        // Pick a coordinate that carries a connection (C3 has zeros outside Table I).
                        var k = Int.random(in: 0..<param.value.count, using: &rng)
                        while param.value.scalars[k] == 0 && param.name == "c3.weight" {
                            k = Int.random(in: 0..<param.value.count, using: &rng)
                        }
                        var plus = net, minus = net
                        var pp = plus.layers[l].parameters, mp = minus.layers[l].parameters
                        pp[p].value.scalars[k] += eps
                        mp[p].value.scalars[k] -= eps
                        plus.layers[l].parameters = pp
                        minus.layers[l].parameters = mp
                        assertClose(
                            grads[l][p].scalars[k], (lossAt(plus) - lossAt(minus)) / Double(2 * eps),
                            "\(variant) \(loss) \(param.name)[\(k)]")
                    }
                }
            }
        }
    }

    /// For a linear layer and E = ½Σy², the Gauss–Newton diagonal is the exact second derivative.
    func testCurvatureIsExactForALinearConvolution() {
        var conv = Convolution(name: "C", table: .full(inputs: 2, outputs: 2), kernelSize: 3, activation: .identity)
        conv.weight = randomTensor(conv.weight.shape)
        conv.bias = randomTensor(conv.bias.shape)
        let x = randomTensor([1, 2, 6, 6])
        let y = conv.forward(x)
        let d2 = conv.curvature(input: x, output: y, curvature: Tensor(repeating: 1, shape: y.shape)).parameters[0]
        func energy(_ c: Convolution) -> Double {
            c.forward(x).scalars.reduce(0) { $0 + 0.5 * Double($1) * Double($1) }
        }
        let eps: Float = 0.05
        for k in [0, 7, 20, 35] {
            var plus = conv, minus = conv
            plus.weight.scalars[k] += eps
            minus.weight.scalars[k] -= eps
            let numeric = (energy(plus) - 2 * energy(conv) + energy(minus)) / Double(eps * eps)
            XCTAssertEqual(Double(d2.scalars[k]), numeric, accuracy: 1e-2 * max(1, numeric))
        }
    }
}

/// A batch cut into slices gives what the whole batch gives, up to summation order, and the
/// same on one core as on two.
final class ThreadedBatchTests: XCTestCase {
    func testSlicedBatchMatchesTheWholeBatch() {
        var rng = SeededGenerator(seed: 12)
        for variant in Variant.allCases {
            var net = LeNet5(variant: variant, seed: 2)
            let x = Tensor(shape: [40, 1, 32, 32], scalars: (0..<40 * 1024).map { _ in rng.uniform(1.2) })
            let labels = (0..<40).map { $0 % 10 }
            let loss = Loss.default(for: variant)
            XCTAssertEqual(net.slices(40).count, 3)
            let trace = net.trace(x)
            let whole = loss.evaluate(trace.last!, labels: labels)
            let wholeGrads = net.backward(trace: trace, gradient: whole.gradient).parameters
            net.threads = 1
            let one = net.gradients(x, labels: labels, loss: loss)
            net.threads = 2
            let two = net.gradients(x, labels: labels, loss: loss)
            XCTAssertEqual(one.loss, two.loss)
            XCTAssertEqual(one.parameters.joined().map(\.scalars), two.parameters.joined().map(\.scalars))
            XCTAssertEqual(whole.loss, two.loss, accuracy: 1e-4 * abs(whole.loss))
            for (p, q) in zip(trace.last!.scalars, two.output.scalars) {
                XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(p)))
            }
            for (a, b) in zip(wholeGrads.joined(), two.parameters.joined()) {
                for (p, q) in zip(a.scalars, b.scalars) { XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(p))) }
            }
            let forward = net.forward(x)
            for (p, q) in zip(trace.last!.scalars, forward.scalars) {
                XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(p)))
            }
        }
    }

    /// Every optimizer's step splits a large tensor (C5's weights) between two cores
    /// (`forEachPart`): three steps give, bit for bit, the weights of the same steps on one
    /// core, and those of the update written out element by element (w −= ε·v, v = μv + g for
    /// momentum; ε·(g + μv) for Nesterov; ε ⊙ g for SGD, and for SDLM with its ε = η/(μ + h)).
    func testTheStepOnTwoCoresIsTheStepOnOneBitForBit() {
        var rng = SeededGenerator(seed: 23)
        for variant in Variant.allCases {
            for kind in OptimizerKind.allCases {
                var nets = [LeNet5(variant: variant, seed: 5), LeNet5(variant: variant, seed: 5)]
                nets[0].threads = 1
                nets[1].threads = 2
                var optimizers = nets.map { Optimizer(kind: kind, momentum: 0.9, for: $0) }
                // SDLM's curvature: positive, and different for every weight.
                let h = optimizers[0].state.map {
                    $0.map { Tensor(shape: $0.shape, scalars: $0.scalars.map { _ in rng.uniform(1) + 1 }) }
                }
                if kind == .sdlm { for o in optimizers.indices { optimizers[o].state = h } }
                let start = nets[0].parameters
                var expected = start.map(\.value.scalars)
                var velocity = expected.map { [Float](repeating: 0, count: $0.count) }
                let rate: Float = 0.01, mu: Float = 0.9
                let hs = h.joined().map(\.scalars)
                for _ in 0..<3 {
                    let grads = nets[0].layers.map {
                        $0.parameters.map {
                            Tensor(shape: $0.value.shape, scalars: $0.value.scalars.map { _ in rng.uniform(1) })
                        }
                    }
                    for n in nets.indices { optimizers[n].step(&nets[n], gradients: grads, rate: rate) }
                    for (p, g) in grads.joined().enumerated() where start[p].trainable {
                        for k in g.scalars.indices {
                            let gk = g.scalars[k]
                            switch kind {
                            case .sgd: expected[p][k] -= rate * gk
                            case .sdlm: expected[p][k] -= rate / (Optimizer.sdlmMu + hs[p][k]) * gk
                            case .momentum:
                                velocity[p][k] = mu * velocity[p][k] + gk
                                expected[p][k] -= rate * velocity[p][k]
                            case .nesterov:
                                velocity[p][k] = mu * velocity[p][k] + gk
                                expected[p][k] -= rate * (gk + mu * velocity[p][k])
                            }
                        }
                    }
                }
                let one = nets[0].parameters.map { $0.value.scalars.map(\.bitPattern) }
                XCTAssertTrue(
                    one == nets[1].parameters.map { $0.value.scalars.map(\.bitPattern) }, "\(variant), \(kind)")
                XCTAssertTrue(one == expected.map { $0.map(\.bitPattern) }, "\(variant), \(kind)")
                XCTAssertGreaterThan(
                    nets[0].parameters.map(\.value.count).max()!, 16_384, "a tensor large enough to split")
            }
        }
    }

    /// The step taken as the slices' gradients are merged (`Optimizer.step(_:on:…)`, as
    /// training and the benchmark run it) gives, bit for bit, the weights, optimizer state,
    /// loss and outputs of the batch's gradients followed by `step`: every optimizer, a batch
    /// of one slice, of four, and of two parts (`partSize` 32 of 64, stepped after both), on
    /// one core and on two, two steps running (a velocity carried from the first).
    func testTheStepInTheMergeIsTheStepAfterItBitForBit() throws {
        let digits = try XCTUnwrap(try DataSource.embedded().train)
        var rng = SeededGenerator(seed: 29)
        for variant in Variant.allCases {
            let loss = Loss.default(for: variant), scaling = variant.inputScaling
            for kind in OptimizerKind.allCases {
                for (n, partSize) in [(16, 1024), (64, 1024), (64, 32)] {
                    for threads in [1, 2] {
                        var after = LeNet5(variant: variant, seed: 6)
                        after.threads = threads
                        var merged = after
                        var optimizers = [after, merged].map { Optimizer(kind: kind, momentum: 0.9, for: $0) }
                        if kind == .sdlm {
                            let h = optimizers[0].state.map {
                                $0.map { Tensor(shape: $0.shape, scalars: $0.scalars.map { _ in rng.uniform(1) + 1 }) }
                            }
                            for o in optimizers.indices { optimizers[o].state = h }
                        }
                        let context = "\(variant), \(kind), n = \(n), part \(partSize), threads \(threads)"
                        for _ in 0..<2 {
                            let indices = (0..<n).map { _ in Int.random(in: 0..<digits.count, using: &rng) }
                            let labels = indices.map { Int(digits.labels[$0]) }
                            func inputs(_ part: ArraySlice<Int>) -> @Sendable (Range<Int>) -> Tensor {
                                let chosen = Array(part)
                                return { [digits] in digits.batch(Array(chosen[$0]), scaling: scaling) }
                            }
                            let r = after.gradients(
                                of: indices[...], labels: labels, partSize: partSize, inputs: inputs, loss: loss)
                            optimizers[0].step(&after, gradients: r.parameters, rate: 0.01)
                            let m = optimizers[1].step(
                                &merged, on: indices[...], labels: labels, partSize: partSize, inputs: inputs,
                                loss: loss, rate: 0.01)
                            XCTAssertEqual(r.loss.bitPattern, m.loss.bitPattern, context)
                            XCTAssertTrue(
                                r.output.scalars.map(\.bitPattern) == m.output.scalars.map(\.bitPattern), context)
                        }
                        XCTAssertTrue(
                            after.parameters.map { $0.value.scalars.map(\.bitPattern) }
                                == merged.parameters.map { $0.value.scalars.map(\.bitPattern) }, context)
                        XCTAssertTrue(
                            optimizers[0].state.joined().map { $0.scalars.map(\.bitPattern) }
                                == optimizers[1].state.joined().map { $0.scalars.map(\.bitPattern) }, context)
                        XCTAssertNotEqual(
                            after.parameters.map(\.value.scalars),
                            LeNet5(variant: variant, seed: 6).parameters.map(\.value.scalars),
                            "the weights moved: \(context)")
                    }
                }
            }
        }
    }

    /// A batch whose slices' inputs each core makes for itself (`gradients(_:labels:loss:input:)`,
    /// as training and the benchmark run) gives, bit for bit, the numbers of the batch built
    /// whole first, and those of its slices (`slices`) one at a time, each weighted by its
    /// share and summed in order from zero: digits as they are and distorted, for batches of
    /// one slice, of whole slices, and of slices of 17 and 16 samples; on one core and on two.
    func testSlicesMadeWhereTheyRunAreTheWholeBatchBitForBit() throws {
        let digits = try XCTUnwrap(try DataSource.embedded().train)
        var rng = SeededGenerator(seed: 21)
        for variant in Variant.allCases {
            var net = LeNet5(variant: variant, seed: 4)
            let loss = Loss.default(for: variant), scaling = variant.inputScaling
            for n in [1, 16, 33, 64] {
                let indices = (0..<n).map { _ in Int.random(in: 0..<digits.count, using: &rng) }
                let labels = indices.map { Int(digits.labels[$0]) }
                let distortions = indices.map { _ in Distortion.random(using: &rng) }
                for distorted in [false, true] {
                    let x =
                        distorted
                        ? digits.batch(indices, scaling: scaling, distortions: distortions)
                        : digits.batch(indices, scaling: scaling)
                    // The slices one by one, each a batch of one slice, summed as the slices are.
                    var sliceLoss: Float = 0
                    var sliceSums = net.parameters.map { [Float](repeating: 0, count: $0.value.count) }
                    var sliceOutputs: [Float] = []
                    for part in net.slices(n) {
                        let r = net.gradients(x.samples(part), labels: Array(labels[part]), loss: loss)
                        let w = Float(part.count) / Float(n)
                        sliceLoss += w * r.loss
                        for (p, g) in r.parameters.joined().enumerated() {
                            for j in g.scalars.indices { sliceSums[p][j] += w * g.scalars[j] }
                        }
                        sliceOutputs += r.output.scalars
                    }
                    for threads in [1, 2] {
                        net.threads = threads
                        let whole = net.gradients(x, labels: labels, loss: loss)
                        let made = net.gradients(n, labels: labels, loss: loss) { [digits] range in
                            distorted
                                ? digits.batch(
                                    Array(indices[range]), scaling: scaling, distortions: Array(distortions[range]))
                                : digits.batch(Array(indices[range]), scaling: scaling)
                        }
                        let context = "\(variant), n = \(n), distorted: \(distorted), threads: \(threads)"
                        for result in [whole, made] {
                            // (Compared whole, so that a failure names the case, not 60,000 numbers.)
                            XCTAssertEqual(result.loss.bitPattern, sliceLoss.bitPattern, context)
                            XCTAssertTrue(
                                result.parameters.joined().map { $0.scalars.map(\.bitPattern) }
                                    == sliceSums.map { $0.map(\.bitPattern) }, context)
                            XCTAssertTrue(
                                result.output.scalars.map(\.bitPattern) == sliceOutputs.map(\.bitPattern), context)
                        }
                    }
                }
            }
        }
    }
}
