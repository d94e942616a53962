import LeNetCore
import LeNetData
@testable import LeNetModel
import XCTest

/// The fast path against the reference layers, the oracle.
final class FastPathTests: XCTestCase {
    /// C3's ∂E/∂w is worked out a pair of maps at a time over the input maps either reads
    /// (`ConnectionTable.pairs`): every map is in one pair, every connection of Table I lies
    /// in its pair's runs, and the pairs read 72 (map, input map) kernels of the dense 96.
    /// By hand: maps 0–5 pair with 6–11 (3 inputs inside 4), then 12 with 15 and 13 with 14.
    func testTableIPairsCoverEveryConnectionAndSkipAQuarter() {
        let table = ConnectionTable.tableI
        XCTAssertEqual(table.pairs.flatMap(\.maps).sorted(), Array(0..<16))
        for pair in table.pairs {
            for o in pair.maps {
                for i in table.inputs[o] {
                    XCTAssertTrue(pair.inputRuns.contains { $0.contains(i) }, "map \(o) input \(i)")
                }
            }
        }
        XCTAssertEqual(
            table.pairs.map(\.maps), [[0, 6], [1, 7], [2, 8], [3, 9], [4, 10], [5, 11], [12, 15], [13, 14]])
        XCTAssertEqual(table.pairs[3].inputRuns, [0..<1, 3..<6])
        XCTAssertEqual(table.pairs.reduce(0) { $0 + $1.maps.count * $1.inputRuns.reduce(0) { $0 + $1.count } }, 72)
        // A full table pairs maps in order, each pair reading everything (the dense product).
        XCTAssertTrue(ConnectionTable.full(inputs: 6, outputs: 3).pairs.allSatisfy { $0.inputRuns == [0..<6] })
    }

    /// A dense layer's backward pass without ∂E/∂w (`backwardLeavingWeights`: C5, F6 and the
    /// keras output) gives `backwardFast`'s ∂E/∂x and ∂E/∂b bit for bit, and `Dense.weightRows`
    /// makes any run of ∂E/∂w's rows from its slopes as the whole product makes them: whole,
    /// one row, from the third, all but the ends, the last three; batches of 16 and 5. The
    /// layers that are not dense (C1, S2, C3, S4, the RBF output) give nil.
    func testADenseLayersWeightRowsAreThoseOfTheWholeProductBitForBit() {
        var rng = SeededGenerator(seed: 41)
        for variant in Variant.allCases {
            let net = LeNet5(variant: variant, seed: 3)
            for n in [16, 5] {
                let x = Tensor(
                    shape: [n, 1, 32, 32], scalars: (0..<n * 32 * 32).map { _ in rng.uniform(1) })
                let trace = net.trace(x)
                var dense: [String] = []
                for (l, layer) in net.layers.enumerated() {
                    let dy = Tensor(
                        shape: trace[l + 1].shape, scalars: trace[l + 1].scalars.map { _ in rng.uniform(1) })
                    let whole = layer.backwardFast(
                        input: trace[l], output: trace[l + 1], gradient: dy, inputGradient: true)
                    guard
                        let left = layer.backwardLeavingWeights(
                            input: trace[l], output: trace[l + 1], gradient: dy, inputGradient: true)
                    else { continue }
                    dense.append(layer.name)
                    let context = "\(variant), \(layer.name), n = \(n)"
                    XCTAssertEqual(left.input.scalars.map(\.bitPattern), whole.input.scalars.map(\.bitPattern), context)
                    XCTAssertEqual(
                        left.bias.scalars.map(\.bitPattern), whole.parameters[1].scalars.map(\.bitPattern), context)
                    let outputs = left.slopes.count / n, inputs = whole.parameters[0].count / outputs
                    for rows in [0..<outputs, 0..<1, 2..<outputs, 1..<outputs - 1, outputs - 3..<outputs] {
                        var made = [Float](repeating: .nan, count: rows.count * inputs)
                        left.slopes.scalars.withUnsafeBufferPointer { da in
                            trace[l].scalars.withUnsafeBufferPointer { xp in
                                made.withUnsafeMutableBufferPointer { dw in
                                    Dense.weightRows(
                                        rows, slopes: da.baseAddress!, input: xp.baseAddress!, samples: n,
                                        outputs: outputs, inputs: inputs, into: dw.baseAddress!)
                                }
                            }
                        }
                        let expected = whole.parameters[0].scalars[rows.lowerBound * inputs..<rows.upperBound * inputs]
                        XCTAssertEqual(made.map(\.bitPattern), expected.map(\.bitPattern), "\(context), rows \(rows)")
                    }
                }
                XCTAssertEqual(dense, variant == .keras ? ["C5", "F6", "Output"] : ["C5", "F6"], "\(variant)")
            }
        }
    }

    /// C3 goes by position (`forwardByPosition`), one sample or a batch; on the wide grid
    /// (`forwardOnShiftedCopies`, as C1 goes) it has the same sums term for term, so the same
    /// bits, and the reference's numbers to 1e-5. Table I and a full C3 (the keras variant's).
    func testC3ByPositionIsTheWideGridBitForBit() {
        var rng = SeededGenerator(seed: 5)
        for table in [ConnectionTable.tableI, .full(inputs: 6, outputs: 16)] {
            var c3 = Convolution(name: "C3", table: table, kernelSize: 5, activation: .squash)
            c3.initialize(.default(for: .paper), using: &rng)
            c3.bias = Tensor(shape: [16], scalars: (0..<16).map { _ in rng.uniform(0.5) })
            let x = Tensor(shape: [9, 6, 14, 14], scalars: (0..<9 * 6 * 196).map { _ in rng.uniform(1.2) })
            let batch = c3.forwardFast(x), reference = c3.forward(x)
            var wide = Tensor.empty
            Convolution.Grid.with(kernelSize: 5, input: x.shape) { c3.forwardOnShiftedCopies(x, $0, into: &wide) }
            XCTAssertEqual(batch.shape, wide.shape)
            XCTAssertEqual(batch.scalars.map(\.bitPattern), wide.scalars.map(\.bitPattern))
            for s in 0..<9 {
                let one = c3.forwardFast(x.sample(s))
                XCTAssertEqual(one.scalars.map(\.bitPattern), batch.sample(s).scalars.map(\.bitPattern))
            }
            for (p, q) in zip(reference.scalars, batch.scalars) {
                XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(p)))
            }
        }
    }

    /// C1's forward pass on shifted copies of its input (`forwardOnShiftedCopies`) gives the
    /// bits of the product on the input-wide grid it replaced, worked out here as it was: each
    /// sample in a buffer with zeros after it, every position of the wide grid summed from
    /// the bias, the outW kept columns of each row moved out, then f. C1's shape (one 32×32
    /// map, six maps, for the whole layer and for the maps a core takes), two input maps of
    /// 9×13 under a 3×3 kernel, and a tanh layer.
    func testShiftedCopiesAreTheWideGridBitForBit() {
        var rng = SeededGenerator(seed: 17)
        let cases: [(ConnectionTable, Int, [Int], Activation)] = [
            (.full(inputs: 1, outputs: 6), 5, [3, 1, 32, 32], .squash),
            (.full(inputs: 2, outputs: 7), 3, [2, 2, 9, 13], .tanh),
        ]
        for (table, k, shape, f) in cases {
            var conv = Convolution(name: "C", table: table, kernelSize: k, activation: f)
            conv.initialize(.default(for: .paper), using: &rng)
            conv.bias = Tensor(shape: [table.outputMaps], scalars: (0..<table.outputMaps).map { _ in rng.uniform(0.5) })
            let x = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(1.2) })
            let n = shape[0], maps = table.outputMaps
            var copies = Tensor.empty, wide = Tensor.empty
            Convolution.Grid.with(kernelSize: k, input: shape) { g in
                conv.forwardOnShiftedCopies(x, g, into: &copies)
                let positions = g.outH * g.outW
                var out = [Float](repeating: .nan, count: n * maps * positions)
                var buffer = [Float](repeating: 0, count: g.bufferSize)
                var sums = [Float](repeating: .nan, count: maps * g.wide)
                for s in 0..<n {
                    for j in 0..<g.sampleSize { buffer[j] = x.scalars[s * g.sampleSize + j] }
                    buffer.withUnsafeBufferPointer { b in
                        conv.weight.withPointer { w in
                            conv.bias.withPointer { bias in
                                sums.withUnsafeMutableBufferPointer { sp in
                                    Kernels.multiply(
                                        m: maps, n: g.wide, k: g.rows,
                                        .init(base: w, rowStride: g.rows, columnStride: 1),
                                        Kernels.Rows(base: b.baseAddress!, offsets: g.offsets), readable: true,
                                        into: .init(base: sp.baseAddress!, stride: g.wide), start: .bias(bias))
                                }
                            }
                        }
                    }
                    for o in 0..<maps {
                        for r in 0..<g.outH {
                            for c in 0..<g.outW {
                                out[(s * maps + o) * positions + r * g.outW + c] = sums[o * g.wide + r * g.inW + c]
                            }
                        }
                    }
                    out.withUnsafeMutableBufferPointer {
                        Kernels.activate(f, maps * positions, $0.baseAddress! + s * maps * positions)
                    }
                }
                wide = Tensor(shape: [n, maps, g.outH, g.outW], scalars: out)
                // The maps a core takes when two share C1 out, one sample.
                if shape[1] == 1 {
                    let one = x.sample(0)
                    var parts = [Float](repeating: .nan, count: maps * positions)
                    parts.withUnsafeMutableBufferPointer { p in
                        conv.forwardOnShiftedCopies(one, g, maps: 0..<2, into: p.baseAddress!)
                        conv.forwardOnShiftedCopies(one, g, maps: 2..<maps, into: p.baseAddress!)
                    }
                    XCTAssertEqual(parts.map(\.bitPattern), wide.sample(0).scalars.map(\.bitPattern))
                }
            }
            XCTAssertEqual(copies.shape, wide.shape)
            XCTAssertEqual(copies.scalars.map(\.bitPattern), wide.scalars.map(\.bitPattern), "\(shape)")
            XCTAssertEqual(conv.forwardFast(x).scalars.map(\.bitPattern), wide.scalars.map(\.bitPattern))
        }
    }

    /// On the AVX-512 build a convolution with an even number of maps (C1's six) writes its
    /// ∂E/∂a straight into `PairDots`'s pairs of maps when nothing else reads it (no ∂E/∂x
    /// asked); asked for ∂E/∂x, it writes ∂E/∂a map by map and lays it in pairs after. Both
    /// give the same ∂E/∂w and ∂E/∂b bit for bit, and the reference's to 1e-4: C1's shape
    /// (one 32×32 input map), two input maps, and rows 16 wide, for one sample and a batch.
    func testPairsWrittenAsTheyAreWorkedOutGiveTheCopiedPairsBits() {
        var rng = SeededGenerator(seed: 29)
        for (inMaps, side, n) in [(1, 32, 1), (1, 32, 5), (2, 16, 3), (1, 16, 2)] {
            var conv = Convolution(
                name: "C1", table: .full(inputs: inMaps, outputs: 6), kernelSize: 5, activation: .squash)
            conv.initialize(.default(for: .paper), using: &rng)
            conv.bias = Tensor(shape: [6], scalars: (0..<6).map { _ in rng.uniform(0.5) })
            let x = Tensor(
                shape: [n, inMaps, side, side], scalars: (0..<n * inMaps * side * side).map { _ in rng.uniform(1.2) })
            let y = conv.forwardFast(x)
            let dy = Tensor(shape: y.shape, scalars: y.scalars.map { _ in rng.uniform(1) })
            let paired = conv.backwardFast(input: x, output: y, gradient: dy, inputGradient: false)
            let copied = conv.backwardFast(input: x, output: y, gradient: dy, inputGradient: true)
            let context = "\(inMaps) maps of \(side)×\(side), n = \(n)"
            for (p, q) in zip(paired.parameters, copied.parameters) {
                XCTAssertEqual(p.scalars.map(\.bitPattern), q.scalars.map(\.bitPattern), context)
            }
            let reference = conv.backward(input: x, output: y, gradient: dy).parameters
            for (r, p) in zip(reference, paired.parameters) {
                for (a, b) in zip(r.scalars, p.scalars) {
                    XCTAssertEqual(a, b, accuracy: 1e-4 * max(1, abs(a)), context)
                }
            }
        }
    }

    /// With a connection table, ∂E/∂x sums over the maps that read each input only and
    /// gathers each input from the rows (`inputGradientByMap`); the dense product over all 16
    /// maps, the others' weights zero, added row by row onto the input, gives the same bits:
    /// the terms left out are zero products, the terms gathered from outside a row are +0.
    /// One sample (online training) and a batch.
    func testC3InputGradientByMapIsTheDenseProductBitForBit() {
        var rng = SeededGenerator(seed: 8)
        var c3 = Convolution(name: "C3", table: .tableI, kernelSize: 5, activation: .squash)
        c3.initialize(.default(for: .paper), using: &rng)
        var dense = Convolution(name: "C3", table: .full(inputs: 6, outputs: 16), kernelSize: 5, activation: .squash)
        dense.weight = c3.weight
        dense.bias = c3.bias
        for n in [1, 5] {
            let x = Tensor(shape: [n, 6, 14, 14], scalars: (0..<n * 6 * 196).map { _ in rng.uniform(1.2) })
            let y = c3.forwardFast(x)
            let dy = Tensor(shape: y.shape, scalars: (0..<y.count).map { _ in rng.uniform(1) })
            let byMap = c3.backwardFast(input: x, output: y, gradient: dy, inputGradient: true).input
            let all = dense.backwardFast(input: x, output: y, gradient: dy, inputGradient: true).input
            XCTAssertEqual(byMap.scalars.map(\.bitPattern), all.scalars.map(\.bitPattern), "batch of \(n)")
            XCTAssertTrue(byMap.scalars.contains { $0 != 0 })
        }
    }

    /// A fully connected C3's ∂E/∂x of a slice of 16 or 15 samples goes through lanes on the
    /// AVX-512 build (`Kernels.inputGradient`, only the terms that exist); of fewer than
    /// `LeNet5.fewestInLanes`, through the dense product on the wide grid. Each sample's ∂E/∂x
    /// is the same bits both ways. ∂E/∂y has zeros in it, so terms of zero (and of −0) occur.
    func testC3InputGradientInLanesIsTheDenseProductBitForBit() {
        var rng = SeededGenerator(seed: 9)
        var c3 = Convolution(name: "C3", table: .full(inputs: 6, outputs: 16), kernelSize: 5, activation: .tanh)
        c3.initialize(.default(for: .keras), using: &rng)
        if !ProductKernels.available { print("FastPathTests: this CPU has no AVX-512; ∂E/∂x in lanes was not run") }
        for n in [16, 15] {
            let x = Tensor(shape: [n, 6, 14, 14], scalars: (0..<n * 6 * 196).map { _ in rng.uniform(1.2) })
            let y = c3.forwardFast(x)
            let dy = Tensor(
                shape: y.shape,
                scalars: (0..<y.count).map { q in q % 7 == 0 ? (q % 2 == 0 ? 0 : -0.0) : rng.uniform(1) })
            let whole = c3.backwardFast(input: x, output: y, gradient: dy, inputGradient: true).input
            XCTAssertGreaterThanOrEqual(n, LeNet5.fewestInLanes)
            // Parts too small for lanes: 13 samples, then the rest.
            var parts: [Float] = []
            for range in [0..<13, 13..<n] {
                let part = { (t: Tensor) in
                    Tensor(
                        shape: [range.count] + t.shape.dropFirst(),
                        scalars: Array(t.scalars[(range.lowerBound * t.count / n)..<(range.upperBound * t.count / n)]))
                }
                XCTAssertLessThan(range.count, LeNet5.fewestInLanes)
                parts +=
                    c3.backwardFast(input: part(x), output: part(y), gradient: part(dy), inputGradient: true).input
                    .scalars
            }
            XCTAssertEqual(whole.scalars.map(\.bitPattern), parts.map(\.bitPattern), "batch of \(n)")
            XCTAssertTrue(whole.scalars.contains { $0 != 0 })
        }
    }

    func testFastForwardAndBackwardMatchTheReference() {
        var rng = SeededGenerator(seed: 9)
        for variant in Variant.allCases {
            var net = LeNet5(variant: variant, seed: 21)
            let x = Tensor(shape: [3, 1, 32, 32], scalars: (0..<3 * 1024).map { _ in rng.uniform(1.2) })
            net.path = .reference
            let slow = net.trace(x)
            net.path = .fast
            let fast = net.trace(x)
            for (a, b) in zip(slow, fast) {
                XCTAssertEqual(a.shape, b.shape)
                for (p, q) in zip(a.scalars, b.scalars) { XCTAssertEqual(p, q, accuracy: 1e-5 * max(1, abs(p))) }
            }
            let dy = Tensor(shape: slow.last!.shape, scalars: (0..<slow.last!.count).map { _ in rng.uniform(1) })
            net.path = .reference
            let (slowDx, slowGrads) = net.backward(trace: slow, gradient: dy)
            net.path = .fast
            let (fastDx, fastGrads) = net.backward(trace: slow, gradient: dy)
            for (p, q) in zip(slowDx.scalars, fastDx.scalars) { XCTAssertEqual(p, q, accuracy: 1e-4 * max(1, abs(p))) }
            for (a, b) in zip(slowGrads.joined(), fastGrads.joined()) {
                XCTAssertEqual(a.shape, b.shape)
                for (p, q) in zip(a.scalars, b.scalars) {
                    XCTAssertEqual(p, q, accuracy: 1e-4 * max(1, abs(p)), "\(variant)")
                }
            }
        }
    }
}

extension FastPathTests {
    /// A fixed subsampling layer (Keras's average pooling) skips ∂E/∂β and ∂E/∂b: its ∂E/∂x is
    /// still the bits of a trainable layer with the same β, b and activation, whose ∂E/∂β and
    /// ∂E/∂b are worked out beside it (and are not zero), on the batch path and the online
    /// step's, S2's and S4's shapes and an odd one.
    func testAFixedSubsamplingLayersInputGradientIsATrainableOnesBitForBit() {
        var rng = SeededGenerator(seed: 41)
        for (maps, side) in [(6, 28), (16, 10), (3, 7)] {
            var fixed = Subsampling(name: "S", maps: maps, trainable: false, activation: .identity)
            var trainable = Subsampling(name: "S", maps: maps, trainable: true, activation: .identity)
            trainable.coefficient = fixed.coefficient
            trainable.bias = fixed.bias
            let x = Tensor(
                shape: [2, maps, side, side], scalars: (0..<2 * maps * side * side).map { _ in rng.uniform(1) })
            let y = fixed.forwardFast(x)
            let dy = Tensor(shape: y.shape, scalars: (0..<y.count).map { _ in rng.uniform(1) })
            let a = fixed.backwardFast(input: x, output: y, gradient: dy, inputGradient: true)
            let b = trainable.backwardFast(input: x, output: y, gradient: dy, inputGradient: true)
            XCTAssertEqual(
                a.input.scalars.map(\.bitPattern), b.input.scalars.map(\.bitPattern), "\(maps) maps of \(side)")
            XCTAssertTrue(a.parameters.isEmpty)
            XCTAssertTrue(b.parameters.allSatisfy { $0.scalars.contains { $0 != 0 } }, "\(maps) maps of \(side)")
            // One sample, as online training steps.
            let x1 = x.samples(0..<1), y1 = y.samples(0..<1), dy1 = dy.samples(0..<1)
            let rates = trainable.parameters.map { Tensor(zeros: $0.value.shape) }
            var dxFixed = Tensor.empty, dxTrainable = Tensor.empty
            fixed.backwardAndStep(
                input: x1, output: y1, gradient: dy1, path: .fast, inputGradient: true, rates: [], into: &dxFixed)
            trainable.backwardAndStep(
                input: x1, output: y1, gradient: dy1, path: .fast, inputGradient: true, rates: rates,
                into: &dxTrainable)
            XCTAssertEqual(dxFixed.scalars.map(\.bitPattern), dxTrainable.scalars.map(\.bitPattern))
            XCTAssertEqual(dxFixed.scalars.map(\.bitPattern), a.input.samples(0..<1).scalars.map(\.bitPattern))
        }
    }
}

extension FastPathTests {
    /// `Kernels.slope` against the loop written out: da[k] = dy[k]·(c − s·y[k]·y[k]), each
    /// eight at (k / 8)·chunkStride + k mod 8 and the rest after the last eight; the sum of
    /// the eights' partial sums (lane l: da[l], da[l + 8], … from 0), as `SIMD8.sum()` adds
    /// them, then each of the rest in order, bit for bit. For every activation, n from 0 to
    /// 40 (a last four and up to three more after the eights), chunk strides 8 and 16.
    func testSlopeIsTheLoopWrittenOutBitForBit() {
        var rng = SeededGenerator(seed: 43)
        for f in [Activation.squash, .tanh, .identity] {
            let (c, sq) = f.derivativeCoefficients
            for stride in [8, 16] {
                for n in 0...40 {
                    let dy = (0..<n).map { _ in rng.uniform(1) }, y = (0..<n).map { _ in rng.uniform(1.5) }
                    var expected = [Float](repeating: .nan, count: 2 * n + 16)
                    var lanes = SIMD8<Float>()
                    for k in 0..<n / 8 * 8 {
                        let d = dy[k] * (c - sq * y[k] * y[k])
                        expected[(k / 8) * stride + k % 8] = d
                        lanes[k % 8] += d
                    }
                    var sum = lanes.sum()
                    for k in n / 8 * 8..<n {
                        let d = dy[k] * (c - sq * y[k] * y[k])
                        expected[(n / 8) * stride + k - n / 8 * 8] = d
                        sum += d
                    }
                    var da = [Float](repeating: .nan, count: 2 * n + 16)
                    let got = da.withUnsafeMutableBufferPointer {
                        Kernels.slope(f, n, dy, y, $0.baseAddress!, chunkStride: stride)
                    }
                    XCTAssertEqual(got.bitPattern, sum.bitPattern, "\(f) n \(n) stride \(stride)")
                    XCTAssertEqual(da.map(\.bitPattern), expected.map(\.bitPattern), "\(f) n \(n) stride \(stride)")
                }
            }
        }
    }
}

final class DigitsForwardTests: XCTestCase {
    /// `forward(digits, indices)` makes each slice's inputs on the core that runs it: the same
    /// outputs, bit for bit, as the batch made first, for indices in any order, a batch of
    /// many slices and one of a single slice, on both paths.
    func testForwardOfDigitsIsTheForwardOfTheirBatchBitForBit() throws {
        let digits = try XCTUnwrap(DataSource.embedded().validation)
        var rng = SeededGenerator(seed: 31)
        for variant in Variant.allCases {
            var net = LeNet5(variant: variant, seed: 5)
            for (path, count) in [(ComputePath.fast, 403), (.fast, 9), (.fast, 14), (.reference, 20)] {
                net.path = path
                let indices = (0..<count).map { _ in Int(rng.next() % UInt64(digits.count)) }
                let made = net.forward(digits, indices)
                let first = net.forward(digits.batch(indices, scaling: net.scaling))
                XCTAssertEqual(made.shape, [count, 10])
                XCTAssertEqual(
                    made.scalars.map(\.bitPattern), first.scalars.map(\.bitPattern), "\(variant) \(path) \(count)")
            }
        }
    }

    /// Inference's slices go through C1 to S4 with sixteen samples to a register
    /// (`LaneMaps`), and give each sample the numbers the layers give it one by one, bit for
    /// bit: both variants (the paper's Table I, trainable subsampling whose maps of 196 and 25
    /// units squash their last 4 and 1 with the scalar tanh), a full slice and a part-full
    /// one, and a C1 of four maps (blocks of four maps, 28 columns in fives and ones).
    func testLanesAreTheLayersOneByOneBitForBit() throws {
        let digits = try XCTUnwrap(DataSource.embedded().validation)
        var rng = SeededGenerator(seed: 41)
        for (variant, c1Maps) in [(Variant.keras, 6), (.paper, 6), (.keras, 4)] {
            var net = LeNet5(variant: variant, seed: 7, c1Maps: c1Maps)
            // Biases away from zero, so that a sum started from the wrong one shows.
            for l in net.layers.indices {
                net.layers[l].updateTrainable { _, p in
                    if p.shape.count == 1 { for q in 0..<p.count { p.scalars[q] += rng.uniform(0.3) } }
                }
            }
            XCTAssertEqual(net.laneLayers(input: LeNet5.inputShape), 4, "\(variant)")
            for n in [16, 9] {
                let x = digits.batch((0..<n).map { 37 * $0 % digits.count }, scaling: net.scaling)
                let lanes = net.laneForward(x, laneLayers: 4)
                let oneByOne = net.layers.reduce(x) { $1.forwardFast($0) }
                XCTAssertEqual(lanes.shape, [n, 10])
                XCTAssertEqual(
                    lanes.scalars.map(\.bitPattern), oneByOne.scalars.map(\.bitPattern), "\(variant) \(c1Maps) \(n)")
                XCTAssertEqual(net.forward(x).scalars.map(\.bitPattern), lanes.scalars.map(\.bitPattern))
            }
        }
    }

    /// A convolution and the 2×2 subsampling above it in one pass over bands of two rows give
    /// the two passes' numbers bit for bit (tanh, and the scaled tanh with a trainable β
    /// whose 4×4 maps squash none one at a time, 5×5 ones their last unit); where the
    /// convolution's output is no multiple of eight units (3 maps of 6×6) or the subsampling
    /// cannot take it (odd rows), the pair declines and leaves the output as it was.
    func testConvolutionPooledByBandsIsTheTwoPassesBitForBit() {
        var rng = SeededGenerator(seed: 29)
        for (inMaps, side, outMaps, activation, fuses) in [
            (1, 12, 2, Activation.tanh, true), (2, 14, 4, .squash, true), (1, 10, 3, .tanh, false),
            (1, 11, 2, .tanh, false),
        ] {
            var conv = Convolution(
                name: "C", table: .full(inputs: inMaps, outputs: outMaps), kernelSize: 5, activation: activation)
            conv.weight.scalars = conv.weight.scalars.map { _ in rng.uniform(0.5) }
            conv.bias.scalars = conv.bias.scalars.map { _ in rng.uniform(0.3) }
            var pool = Subsampling(name: "S", maps: outMaps, trainable: true, activation: activation)
            pool.coefficient.scalars = pool.coefficient.scalars.map { _ in rng.uniform(1) }
            pool.bias.scalars = pool.bias.scalars.map { _ in rng.uniform(0.3) }
            let x = LaneMaps(
                Tensor(
                    shape: [13, inMaps, side, side],
                    scalars: (0..<13 * inMaps * side * side).map { _ in rng.uniform(2) }))
            var banded = LaneMaps()
            XCTAssertEqual(pool.forwardLanes(x, after: conv, into: &banded), fuses, "\(side)")
            guard fuses else {
                XCTAssertEqual(banded.samples, 0, "declined, yet wrote")
                continue
            }
            var mid = LaneMaps(), twoPasses = LaneMaps()
            conv.forwardLanes(x, into: &mid)
            pool.forwardLanes(mid, into: &twoPasses)
            XCTAssertEqual(banded.shape, twoPasses.shape)
            let (got, want) = (banded.tensor.scalars, twoPasses.tensor.scalars)
            let first = want.indices.first { $0 >= got.count || got[$0].bitPattern != want[$0].bitPattern }
            XCTAssertNil(first, "\(side) \(activation): the first unit that differs")
        }
    }

    /// Digits put in lanes straight from their grey levels are `Digits.batch`'s numbers bit
    /// for bit, for every input scaling, a full slice and a part-full one.
    func testDigitsInLanesAreTheirBatchBitForBit() throws {
        let digits = try XCTUnwrap(DataSource.embedded().validation)
        for scaling in InputScaling.allCases {
            for n in [16, 5] {
                let indices = (0..<n).map { (53 * $0 + 11) % digits.count }
                let lanes = LaneMaps(digits, indices[...], scaling: scaling)
                let batch = digits.batch(indices, scaling: scaling)
                XCTAssertEqual(lanes.samples, n)
                XCTAssertEqual(lanes.shape, LeNet5.inputShape)
                XCTAssertEqual(
                    lanes.tensor.scalars.map(\.bitPattern), batch.scalars.map(\.bitPattern), "\(scaling) \(n)")
            }
        }
    }

    /// Digits whose pixels are no multiple of sixteen (5×7: two blocks turned round in
    /// registers, then three pixels one digit at a time) go into lanes as `Digits.batch` makes
    /// them, bit for bit, a full slice and a part-full one.
    func testOddSizedDigitsInLanesAreTheirBatchBitForBit() {
        var rng = SeededGenerator(seed: 17)
        let count = 20, pixels = 5 * 7
        let digits = Digits(
            name: "5×7", rows: 5, columns: 7,
            pixels: (0..<count * pixels).map { _ in UInt8.random(in: 0...255, using: &rng) },
            labels: (0..<count).map { UInt8($0 % 10) })
        for (n, scaling) in [(16, InputScaling.standard), (5, .paper)] {
            let indices = (0..<n).map { (7 * $0 + 3) % count }
            let lanes = LaneMaps(digits, indices[...], scaling: scaling)
            let batch = digits.batch(indices, scaling: scaling)
            let (got, want) = (lanes.tensor.scalars, batch.scalars)
            XCTAssertEqual(got.count, want.count)
            let first = want.indices.first { $0 >= got.count || got[$0].bitPattern != want[$0].bitPattern }
            XCTAssertNil(first, "\(n) digits: the first unit that differs")
        }
    }

    /// A 16 × 16 block of bytes turned round in registers: column j of the rows is row j.
    func testByteTransposeTurnsABlockRound() {
        var rows = [SIMD16<UInt8>](repeating: .zero, count: 32)
        for i in 0..<16 { for j in 0..<16 { rows[i][j] = UInt8(16 * i + j) } }
        rows.withUnsafeMutableBufferPointer { ByteTranspose.transpose($0.baseAddress!, into: $0.baseAddress! + 16) }
        for j in 0..<16 { for i in 0..<16 { XCTAssertEqual(rows[16 + j][i], UInt8(16 * i + j), "row \(j) lane \(i)") } }
    }

    /// Every grey level, in every lane, turns into its float exactly (`LaneMaps.float`).
    func testGreyLevelsInLanesAreTheirFloatsExactly() {
        for start in stride(from: 0, to: 256, by: 16) {
            let g = SIMD16<UInt8>((0..<16).map { UInt8((start + 7 * $0) % 256) })
            let f = LaneMaps.float(g)
            for lane in 0..<16 { XCTAssertEqual(f[lane].bitPattern, Float(g[lane]).bitPattern, "\(g[lane])") }
        }
    }

    /// Samples into lanes and back are the same numbers, for units that fill whole blocks of
    /// sixteen and units left over (5·7·3 = 105 a sample), with empty lanes zero.
    func testLaneMapsRoundTrip() {
        var rng = SeededGenerator(seed: 43)
        for (n, shape) in [(16, [1, 32, 32]), (5, [3, 5, 7]), (1, [2, 2, 2])] {
            let x = Tensor(shape: [n] + shape, scalars: (0..<n * shape.reduce(1, *)).map { _ in rng.uniform(2) })
            let lanes = LaneMaps(x)
            XCTAssertEqual(lanes.samples, n)
            XCTAssertEqual(lanes.shape, shape)
            XCTAssertEqual(lanes.tensor, x)
            let size = shape.reduce(1, *)
            for p in [0, size / 2, size - 1] {
                for s in 0..<16 {
                    XCTAssertEqual(lanes.units.scalars[p * 16 + s], s < n ? x.scalars[s * size + p] : 0)
                }
            }
        }
    }
}

final class FastCurvatureTests: XCTestCase {
    func testFastCurvatureMatchesTheReference() {
        var rng = SeededGenerator(seed: 4)
        var net = LeNet5(variant: .paper, seed: 8)
        let x = Tensor(shape: [2, 1, 32, 32], scalars: (0..<2048).map { _ in rng.uniform(1.2) })
        let trace = net.trace(x)
        let d2 = Tensor(shape: [2, 10], scalars: (0..<20).map { _ in abs(rng.uniform(1)) })
        net.path = .reference
        let slow = net.curvature(trace: trace, curvature: d2)
        net.path = .fast
        let fast = net.curvature(trace: trace, curvature: d2)
        for (a, b) in zip(slow.joined(), fast.joined()) {
            for (p, q) in zip(a.scalars, b.scalars) { XCTAssertEqual(p, q, accuracy: 1e-4 * max(1, abs(p))) }
        }
    }
}

extension FastCurvatureTests {
    /// Subsampling's Gauss–Newton pass (not a squared backward pass) over raw buffers gives the
    /// reference loops' numbers bit for bit, an odd input side included.
    func testSubsamplingCurvatureIsTheReferenceBitForBit() {
        var rng = SeededGenerator(seed: 12)
        for (maps, side, activation) in [(6, 28, Activation.squash), (16, 10, .squash), (3, 7, .tanh)] {
            var layer = Subsampling(name: "S", maps: maps, trainable: true, activation: activation)
            layer.coefficient = Tensor(shape: [maps], scalars: (0..<maps).map { _ in rng.uniform(1) })
            layer.bias = Tensor(shape: [maps], scalars: (0..<maps).map { _ in rng.uniform(1) })
            let x = Tensor(
                shape: [2, maps, side, side], scalars: (0..<2 * maps * side * side).map { _ in rng.uniform(1) })
            let y = layer.forward(x)
            let d2y = Tensor(shape: y.shape, scalars: (0..<y.count).map { _ in abs(rng.uniform(1)) })
            let slow = layer.curvature(input: x, output: y, curvature: d2y)
            let fast = layer.curvatureFast(input: x, output: y, curvature: d2y)
            XCTAssertEqual(slow.input.scalars.map(\.bitPattern), fast.input.scalars.map(\.bitPattern))
            XCTAssertEqual(slow.parameters.count, fast.parameters.count)
            for (a, b) in zip(slow.parameters, fast.parameters) {
                XCTAssertEqual(a.scalars.map(\.bitPattern), b.scalars.map(\.bitPattern), "\(maps) maps of \(side)")
            }
        }
    }
}

final class FastActivationTests: XCTestCase {
    /// The fast path's vector tanh against tanhf, through a 1×1 convolution with weight 1.
    func testVectorTanhMatchesTanhf() {
        let xs =
            stride(from: Float(-20), through: 20, by: 0.0137).map { $0 } + [
                0, -0, 1e-6, -1e-6, 8.99, 9.01, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .infinity,
                -.infinity,
            ]
        for activation in [Activation.tanh, .squash] {
            var conv = Convolution(
                name: "C", table: .full(inputs: 1, outputs: 1), kernelSize: 1, activation: activation)
            conv.weight.scalars = [1]
            let y = conv.forwardFast(Tensor(shape: [1, 1, 1, xs.count], scalars: xs))
            for (x, v) in zip(xs, y.scalars) {
                XCTAssertEqual(v, activation(x), accuracy: 2e-7 * Activation.amplitude, "\(activation) at \(x)")
            }
            // NaN stays NaN, so a diverging run is noticed.
            let nan = conv.forwardFast(Tensor(shape: [1, 1, 1, 9], scalars: [Float](repeating: .nan, count: 9)))
            XCTAssertTrue(nan.scalars.allSatisfy(\.isNaN), "\(nan.scalars)")
        }
    }
}

extension FastActivationTests {
    /// f over a layer's maps in one pass of the vector tanh (`Kernels.activate(_:runs:of:_:)`)
    /// gives each map's numbers as `activate` on that map alone, bit for bit: the vector tanh
    /// for all but the last run mod 8 of each run, tanhf for those. Runs of 1 to 33 floats
    /// (S4's 25, F6's 84 and S2's 196 too), 1 to 7 runs, so that the whole is sometimes no
    /// multiple of eight and its last floats take a register of their own.
    func testActivationOverManyRunsIsEachRunsBitForBit() {
        var rng = SeededGenerator(seed: 5)
        for activation in [Activation.tanh, .squash] {
            for run in Array(1...33) + [84, 196] {
                for runs in 1...7 {
                    let a = (0..<runs * run).map { _ in Float.random(in: -6...6, using: &rng) }
                    var one = a, many = a
                    one.withUnsafeMutableBufferPointer { p in
                        for r in 0..<runs { Kernels.activate(activation, run, p.baseAddress! + r * run) }
                    }
                    many.withUnsafeMutableBufferPointer {
                        Kernels.activate(activation, runs: runs, of: run, $0.baseAddress!)
                    }
                    XCTAssertEqual(
                        one.map(\.bitPattern), many.map(\.bitPattern), "\(activation), \(runs) runs of \(run)")
                }
            }
        }
        // The tails really are tanhf's: at an x where the vector tanh and tanhf differ, a run
        // of 9 has its first eight floats from the one and its last from the other.
        func vector(_ x: Float) -> Float {
            var v = [Float](repeating: x, count: 8)
            v.withUnsafeMutableBufferPointer { Kernels.activateInRegisters(.tanh, 8, $0.baseAddress!) }
            return v[0]
        }
        guard let x = stride(from: Float(0.01), to: 3, by: 0.001).first(where: { vector($0) != Activation.tanh($0) })
        else { return XCTFail("no x where the vector tanh and tanhf differ") }
        var nine = [Float](repeating: x, count: 18)
        nine.withUnsafeMutableBufferPointer { Kernels.activate(.tanh, runs: 2, of: 9, $0.baseAddress!) }
        XCTAssertEqual(
            nine.map(\.bitPattern), (0..<18).map { ($0 % 9 == 8 ? Activation.tanh(x) : vector(x)).bitPattern })
    }
}

extension FastPathTests {
    /// A dense layer's fused online step (`backwardAndStep`: four, three, two or one
    /// registers of inputs at a time, eight more on the AVX-512 build, then one at a time)
    /// gives the weights and ∂E/∂x of its backward pass followed by the step, bit for bit, for
    /// every count of inputs from 1 to 44 and for counts around the four-register blocks and
    /// C5's and F6's.
    func testFusedDenseStepIsBackwardThenStepBitForBit() {
        var rng = SeededGenerator(seed: 21)
        for inputs in Array(1...44) + [63, 64, 65, 72, 84, 120, 127, 128, 129, 400] {
            var layer = FullyConnected(name: "F", inputs: inputs, outputs: 7, activation: .squash)
            layer.weight = Tensor(shape: [7, inputs], scalars: (0..<7 * inputs).map { _ in rng.uniform(1) })
            layer.bias = Tensor(shape: [7], scalars: (0..<7).map { _ in rng.uniform(1) })
            let x = Tensor(shape: [1, inputs], scalars: (0..<inputs).map { _ in rng.uniform(1) })
            let y = layer.forwardFast(x)
            let dy = Tensor(shape: y.shape, scalars: (0..<y.count).map { _ in rng.uniform(1) })
            let rates = layer.parameters.map { p in
                Tensor(shape: p.value.shape, scalars: (0..<p.value.count).map { _ in abs(rng.uniform(0.1)) })
            }
            var fused = layer, unfused = layer, dxFused = Tensor.empty
            fused.backwardAndStep(
                input: x, output: y, gradient: dy, path: .fast, inputGradient: true, rates: rates, into: &dxFused)
            let dxUnfused = unfused.backwardThenStep(
                input: x, output: y, gradient: dy, path: .fast, inputGradient: true, rates: rates)
            XCTAssertEqual(dxFused.scalars.map(\.bitPattern), dxUnfused.scalars.map(\.bitPattern), "\(inputs) inputs")
            for (a, b) in zip(fused.parameters, unfused.parameters) {
                XCTAssertEqual(a.value.scalars.map(\.bitPattern), b.value.scalars.map(\.bitPattern), "\(inputs) inputs")
            }
            XCTAssertNotEqual(fused.weight, layer.weight, "the step moved the weights")
        }
    }
}

extension FastPathTests {
    /// Every layer's online step (`backwardAndStep`: a convolution's ∂E/∂w in scratch memory
    /// then stepped, subsampling's ∂E/∂β and ∂E/∂b likewise, the RBF layer's ∂E/∂x alone) gives
    /// the weights and ∂E/∂x of its backward pass followed by the step, bit for bit: C1, C3
    /// with Table I and with a full table, S2 and S4, C5, F6 and the RBF output, each stepped
    /// twice into the same ∂E/∂x buffer (kept, as online training keeps it), starting from a
    /// buffer of the wrong shape. Handing ∂E/∂x over on the way (`backwardAndStep(…handOver:)`,
    /// as on two cores: C3 before its ∂E/∂w) gives it once, complete, and the same weights.
    func testEveryFusedStepIsBackwardThenStepBitForBit() {
        var rng = SeededGenerator(seed: 34)
        let layers: [(any Layer, [Int])] = [
            (
                Convolution(name: "C1", table: .full(inputs: 1, outputs: 6), kernelSize: 5, activation: .squash),
                [1, 32, 32]
            ),
            (Subsampling(name: "S2", maps: 6, trainable: true, activation: .squash), [6, 28, 28]),
            (Convolution(name: "C3", table: .tableI, kernelSize: 5, activation: .squash), [6, 14, 14]),
            (
                Convolution(name: "C3", table: .full(inputs: 6, outputs: 16), kernelSize: 5, activation: .tanh),
                [6, 14, 14]
            ),
            (Subsampling(name: "S4", maps: 16, trainable: true, activation: .squash), [16, 10, 10]),
            (Subsampling(name: "S4", maps: 3, trainable: false, activation: .identity), [3, 7, 9]),
            (
                Convolution(name: "C5", table: .full(inputs: 16, outputs: 120), kernelSize: 5, activation: .squash),
                [16, 5, 5]
            ),
            (FullyConnected(name: "F6", inputs: 120, outputs: 84, activation: .squash), [120]),
            (RBFOutput(), [84]),
        ]
        for (original, shape) in layers {
            var layer = original
            layer.initialize(.default(for: .paper), using: &rng)
            var fused = layer, unfused = layer, handing = layer, dxFused = Tensor(zeros: [2, 3]), dxHanding = dxFused
            for round in 0..<2 {
                let x = Tensor(shape: [1] + shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(1) })
                let y = unfused.forwardFast(x)
                var yInto = Tensor(zeros: [1])
                fused.forwardFast(x, into: &yInto)
                XCTAssertEqual(yInto, y, "\(layer.name) forward into a buffer")
                let dy = Tensor(shape: y.shape, scalars: (0..<y.count).map { _ in rng.uniform(1) })
                let rates = layer.parameters.map { p in
                    Tensor(shape: p.value.shape, scalars: (0..<p.value.count).map { _ in abs(rng.uniform(0.1)) })
                }
                let kept = dxFused.scalars.withUnsafeBufferPointer { $0.baseAddress }
                fused.backwardAndStep(
                    input: x, output: y, gradient: dy, path: .fast, inputGradient: true, rates: rates, into: &dxFused)
                var handed = [Tensor]()
                handing.backwardAndStep(
                    input: x, output: y, gradient: dy, path: .fast, inputGradient: true, rates: rates,
                    into: &dxHanding
                ) { handed.append($0) }
                let dxUnfused = unfused.backwardThenStep(
                    input: x, output: y, gradient: dy, path: .fast, inputGradient: true, rates: rates)
                let what = "\(layer.name) \(shape), step \(round + 1)"
                XCTAssertEqual(dxFused.shape, x.shape, what)
                XCTAssertEqual(dxFused.scalars.map(\.bitPattern), dxUnfused.scalars.map(\.bitPattern), what)
                XCTAssertEqual(handed.count, 1, "\(what): ∂E/∂x handed over once")
                XCTAssertEqual(handed.first?.scalars.map(\.bitPattern), dxUnfused.scalars.map(\.bitPattern), what)
                XCTAssertEqual(dxHanding, dxUnfused, what)
                for (a, b) in zip(fused.parameters, unfused.parameters) {
                    XCTAssertEqual(a.value.scalars.map(\.bitPattern), b.value.scalars.map(\.bitPattern), what)
                }
                XCTAssertEqual(handing.parameters.map(\.value), unfused.parameters.map(\.value), what)
                if round == 1 {
                    XCTAssertEqual(
                        dxFused.scalars.withUnsafeBufferPointer { $0.baseAddress }, kept, "\(what): buffer kept")
                }
            }
            if layer.trainableParameterCount > 0 {
                XCTAssertNotEqual(fused.parameters[0].value, layer.parameters[0].value, "\(layer.name): the step moved")
            }
        }
    }
}

extension FastPathTests {
    /// The RBF layer's ∂E/∂x leaves out the classes whose ∂E/∂y is subnormal or zero while
    /// every running sum is large enough not to feel them (`inputGradientFast`), and is still
    /// the plain sum, x[j]·Σ∂E/∂y then each class's product taken off in order, then doubled,
    /// bit for bit: with the paper's ±1 centres, with centres up to 10⁶, with an infinite
    /// centre, and on 13 inputs (the last 5 one at a time). The cases include inputs of 0 and
    /// 10⁻³⁵, whose sums start under the floor, where leaving a subnormal term out would change
    /// the sum (0 against −2⁻¹⁴⁹·w), and samples with no class to leave out (the plain loop).
    func testRBFInputGradientLeavesOutSubnormalClassesBitForBit() {
        var rng = SeededGenerator(seed: 35)
        // Subnormal numbers (about 1e-40, -3e-42 and 1e-39, by their bits), the least, and zeros.
        let tiny: [Float] = [
            Float(bitPattern: 0x0001_16C2), -Float(bitPattern: 0x0000_0859), .leastNonzeroMagnitude,
            -.leastNonzeroMagnitude, 0, -0.0, Float(bitPattern: 0x000A_E398),
        ]
        XCTAssertTrue(tiny.allSatisfy { $0.isSubnormal || $0 == 0 })
        var scaled = RBFCodes.matrix
        for k in scaled.scalars.indices { scaled.scalars[k] *= Float(k % 7 + 1) * 1.5e5 }
        var infinite = RBFCodes.matrix
        infinite.scalars[17] = .infinity
        let layers = [
            RBFOutput(), RBFOutput(centers: scaled), RBFOutput(centers: infinite),
            RBFOutput(centers: Tensor(shape: [4, 13], scalars: (0..<52).map { _ in rng.uniform(1) })),
        ]
        for layer in layers {
            let n = 40, classes = layer.classes, inputs = layer.inputs
            var x = Tensor(shape: [n, inputs], scalars: (0..<n * inputs).map { _ in rng.uniform(2) })
            var dy = Tensor(zeros: [n, classes])
            for s in 0..<n {
                // Samples 0 and 2: every input 0; sample 1: every input 10⁻³⁵; then some inputs 0.
                for j in 0..<inputs where s == 0 || s == 2 || (s > 2 && (s + j) % 5 == 0) { x[s, j] = 0 }
                if s == 1 { for j in 0..<inputs { x[s, j] = 1e-35 } }
                for i in 0..<classes {
                    // One class in three normal, the rest subnormal or zero; sample 2: 2⁻¹⁴⁹
                    // for class 0, then zeros, whose ∂E/∂x is −2⁻¹⁴⁹·w doubled, subnormal;
                    // samples 3 and 4: every class normal (nothing to leave out).
                    dy[s, i] =
                        s == 2
                        ? (i == 0 ? .leastNonzeroMagnitude : 0)
                        : s == 3 || s == 4 || (s + i) % 3 == 0 ? rng.uniform(1) : tiny[(s + i) % tiny.count]
                }
            }
            var dx = Tensor.empty
            layer.inputGradientFast(input: x, gradient: dy, into: &dx)
            var expected = Tensor(zeros: [n, inputs])
            for s in 0..<n {
                var total: Float = 0
                for i in 0..<classes { total += dy[s, i] }
                for j in 0..<inputs {
                    var v = total * x[s, j]
                    for i in 0..<classes { v -= dy[s, i] * layer.centers.scalars[i * inputs + j] }
                    expected[s, j] = v * 2
                }
            }
            XCTAssertEqual(dx.shape, [n, inputs])
            XCTAssertEqual(
                dx.scalars.map(\.bitPattern), expected.scalars.map(\.bitPattern), "centres \(layer.centers.shape)")
            XCTAssertTrue(expected.scalars.contains { $0.isSubnormal }, "a case where leaving out would show")
        }
    }
}

extension FastPathTests {
    /// Online training on two cores shares out C1's and S2's maps (`LeNet5.sharedMapLayers`),
    /// and no more: C3 reads several of S2's maps.
    func testTheSharedLayersAreC1AndS2() {
        for variant in Variant.allCases {
            let net = LeNet5(variant: variant)
            XCTAssertEqual(net.sharedMapLayers, 2, "\(variant)")
            XCTAssertEqual(net.layers.map(\.sharesMaps), [true, true, false, true, false, false, false], "\(variant)")
        }
        XCTAssertEqual(LeNet5(variant: .paper, c1Maps: 4).sharedMapLayers, 2, "C1 of four maps")
    }

    /// C1 and S2 worked out in two parts of their maps (`forwardFast(_:maps:into:)`,
    /// `backwardFast(maps:…)`), as two cores do, give the whole layer's outputs, ∂E/∂p and
    /// ∂E/∂x, bit for bit: every cut of the six maps, both variants (S2 trainable and
    /// squashing, and fixed average pooling), and a C1 of five maps (an odd part, whose ∂E/∂w
    /// is not worked out two maps to a register).
    func testMapsSharedOutAreTheWholeLayerBitForBit() {
        var rng = SeededGenerator(seed: 41)
        for (variant, c1Maps) in [(Variant.paper, 6), (.keras, 6), (.paper, 5)] {
            let net = LeNet5(variant: variant, seed: 8, c1Maps: c1Maps)
            var input = Tensor(shape: [1, 1, 32, 32], scalars: (0..<1024).map { _ in rng.uniform(1.2) })
            for l in 0..<net.sharedMapLayers {
                let layer = net.layers[l]
                let y = layer.forwardFast(input)
                let dy = Tensor(shape: y.shape, scalars: (0..<y.count).map { _ in rng.uniform(1) })
                let (dx, grads) = layer.backwardFast(input: input, output: y, gradient: dy, inputGradient: true)
                let whole = grads.flatMap(\.scalars).map(\.bitPattern), maps = y.shape[1]
                for cut in 0...maps {
                    let what = "\(variant) \(layer.name) of \(maps) maps cut at \(cut)"
                    // NaNs where nothing is written yet: as online training's kept buffers, which
                    // hold the last step's numbers, nothing may be added onto them.
                    var parts = Tensor(repeating: .nan, shape: y.shape)
                    var dp = Tensor(repeating: .nan, shape: [max(whole.count, 1)])
                    var dxParts = Tensor(repeating: .nan, shape: input.shape)
                    let dxp = dxParts.sharedAddress(), yp = parts.sharedAddress(), gp = dp.sharedAddress()
                    for part in [0..<cut, cut..<maps] {
                        layer.forwardFast(input, maps: part, into: yp)
                        layer.backwardFast(
                            maps: part, input: input, output: y, gradient: dy, parameters: gp, dx: l > 0 ? dxp : nil)
                    }
                    XCTAssertEqual(parts.scalars.map(\.bitPattern), y.scalars.map(\.bitPattern), what)
                    XCTAssertEqual(Array(dp.scalars.prefix(whole.count)).map(\.bitPattern), whole, what)
                    if l > 0 { XCTAssertEqual(dxParts.scalars.map(\.bitPattern), dx.scalars.map(\.bitPattern), what) }
                }
                input = y
            }
        }
    }

    /// The numbers `activate` gives a run, worked out part by part (`activate(_:part:of:_:)`,
    /// each core squashing its own maps): every cut of runs of 1 to 40 floats, and runs of
    /// C1's 4,704 and 3,920 cut at each map; the last run mod 8 by tanhf in every case.
    func testActivationOfAPartIsThatOfTheWholeBitForBit() {
        var rng = SeededGenerator(seed: 42)
        var cases = (1...40).flatMap { n in (0...n).map { (n, [$0]) } }
        cases += [(4704, Array(stride(from: 0, through: 4704, by: 784))), (3920, [0, 784, 1568, 2352, 3136, 3920])]
        for activation in [Activation.tanh, .squash] {
            for (n, cuts) in cases {
                let a = (0..<n).map { _ in Float.random(in: -6...6, using: &rng) }
                var whole = a, parts = a
                whole.withUnsafeMutableBufferPointer { Kernels.activate(activation, n, $0.baseAddress!) }
                parts.withUnsafeMutableBufferPointer { p in
                    for (from, to) in zip([0] + cuts, cuts + [n]) {
                        Kernels.activate(activation, part: from..<to, of: n, p.baseAddress!)
                    }
                }
                XCTAssertEqual(parts.map(\.bitPattern), whole.map(\.bitPattern), "\(activation), \(n) cut at \(cuts)")
            }
        }
    }
}
