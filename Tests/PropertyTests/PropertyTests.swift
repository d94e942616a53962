import Foundation
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetModel
import LeNetTraining
import PropertyBased
import Testing

/// Property-based tests (x-sheep/swift-property-based, under Swift Testing) of the readers
/// and the figure kit on arbitrary inputs, finite and not: each must answer or throw, never
/// trap, and what it answers must be consistent.

/// Any 32-bit pattern as a Float (NaN, ±∞, subnormals, 3e38), or an ordinary value.
let anyFloat = Gen.uint32().map { bits in
    bits & 1 == 0 ? Float(bitPattern: bits) : Float(Int32(bitPattern: bits)) / 1e8
}

/// A valid IDX images file of a few 2×3 digits, to mutate.
let validImages = IDX.encode(magic: 0x803, dimensions: [4, 2, 3], payload: (0..<24).map { UInt8($0 * 10) })

@Suite struct ColorMapProperties {
    /// Every map gives a colour with finite components in 0…1 for every value, whatever its
    /// range was made from.
    @Test func everyValueHasAColour() async {
        await propertyCheck(count: 2_000, input: anyFloat, anyFloat, anyFloat) { v, a, b in
            for map in [ColorMap.diverging(maxAbs: a), .grayscale(low: a, high: b), .sequential(high: b)] {
                let c = map.color(v)
                for x in [c.r, c.g, c.b] { #expect(x.isFinite && (0...1).contains(x), "\(map) \(v): \(c)") }
                let t = map.fraction(v)
                #expect(t.isFinite && (0...1).contains(t))
                _ = map.textColor(on: v)
            }
        }
    }
}

@Suite struct FigureProperties {
    /// Tick marks end for any range, however wide or narrow for its magnitude. (The figure
    /// property below found the loop that never ended: 1e20 … 1e20 + 1, where a step added
    /// to the position changed nothing.)
    @Test func ticksOfAnyRangeAreFew() async {
        let anyDouble = Gen.uint64().map { Double(bitPattern: $0) }
        await propertyCheck(count: 5_000, input: anyDouble, anyDouble) { a, b in
            let ticks = Ticks.nice(min(a, b), max(a, b), count: 6)
            #expect(!ticks.isEmpty && ticks.count <= 50, "\(a) \(b): \(ticks.count) ticks")
        }
        #expect(Ticks.nice(1e20, 1e20 + 1e5).count <= 50)
        #expect(Ticks.nice(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
    }

    func expectPNG(_ figure: some Figure) {
        do {
            let png = try figure.rendered(format: .png)
            #expect(png.prefix(4) == Data([0x89, 0x50, 0x4e, 0x47]))
        } catch {
            Issue.record("\(figure.title): \(error)")
        }
    }

    /// Heat maps, bar charts, line charts and image grids of arbitrary values draw.
    @Test func figuresOfAnyNumbersDraw() async {
        await propertyCheck(count: 60, input: anyFloat.array(of: 1...12), Gen.int(in: 1...4)) { values, columns in
            let d = values.map(Double.init)
            let rows = (d.count + columns - 1) / columns
            let cells = (0..<rows).map { r in
                (0..<columns).map { c in r * columns + c < d.count ? d[r * columns + c] : 0 }
            }
            expectPNG(
                HeatMap(
                    title: "cells", cells: cells, rowLabels: (0..<rows).map(String.init),
                    columnLabels: (0..<columns).map(String.init), rowAxis: "row", columnAxis: "column"))
            expectPNG(
                BarChart(title: "bars", xLabel: "x", yLabel: "y", values: d, labels: d.indices.map(String.init)))
            expectPNG(
                LineChart(
                    title: "lines", xLabel: "x", yLabel: "y",
                    series: [.init(name: "s", points: d.enumerated().map { (Double($0), $1) })]))
            let tile = ImageGrid.Tile(caption: "t", values: values, rows: 1, columns: values.count)
            // A tile whose values do not fill its grid (the figure fuzzer's first find) draws empty.
            expectPNG(
                ImageGrid(
                    title: "short", tiles: [.init(caption: "t", values: values, rows: rows, columns: columns + 1)],
                    columns: 1, scale: .perTile))
            expectPNG(ImageGrid(title: "grid", tiles: [tile], columns: 1, scale: .perTile))
            expectPNG(
                ImageGrid(
                    title: "grid", tiles: [tile], columns: 1,
                    scale: .shared(.diverging(maxAbs: values.map(abs).max() ?? 1))))
        }
    }
}

@Suite struct ReaderProperties {
    /// An IDX images file with any byte changed, any tail cut off or any bytes added is read
    /// or refused; when read, its sizes agree with its pixels.
    @Test func mutatedIDXIsReadOrRefused() async {
        await propertyCheck(
            count: 2_000, input: Gen.int(in: 0..<validImages.count), Gen.uint8(), Gen.int(in: -8...8)
        ) { at, byte, resize in
            var bytes = validImages
            bytes[at] = byte
            if resize < 0 { bytes.removeLast(-resize) } else { bytes += [UInt8](repeating: 7, count: resize) }
            if let images = try? IDX.images(from: bytes, file: "mutated") {
                #expect(images.count * images.rows * images.columns == images.pixels.count)
                #expect(images.count > 0 && images.rows > 0 && images.columns > 0)
            }
        }
    }

    /// Any bytes at all, as IDX images or labels, as weights and as a checkpoint.
    @Test func arbitraryBytesAreRefusedOrRead() async {
        await propertyCheck(count: 1_000, input: Gen.uint8().array(of: 0...96)) { bytes in
            _ = try? IDX.images(from: bytes, file: "any")
            _ = try? IDX.labels(from: bytes, file: "any")
            _ = try? Weights.decode(Data(bytes), file: "any", variant: .paper)
            _ = try? Checkpoint.decode(Data(bytes), file: "any")
        }
    }

    /// Shipped-format weights with any one number made non-finite are refused, in one line
    /// that names the tensor; with any finite number they load.
    @Test func nonFiniteWeightsAreRefusedByName() async throws {
        let (entries, metadata) = try Safetensors.decodeWithMetadata(
            Weights.encode(LeNet5(variant: .paper)), file: "w")
        await propertyCheck(count: 300, input: Gen.int(in: 0..<entries.count), Gen.int(in: 0..<10_000), anyFloat) {
            tensor, position, value in
            var changed = entries
            changed[tensor].scalars[position % changed[tensor].scalars.count] = value
            let data = Safetensors.encode(changed, metadata: metadata)
            let name = entries[tensor].name
            do {
                _ = try Weights.decode(data, file: "w", variant: .paper)
                #expect(value.isFinite, "a non-finite \(value) in \(name) was accepted")
            } catch {
                #expect(!value.isFinite, "\(error)")
                #expect("\(error)".contains(name) && !"\(error)".contains("\n"), "\(error)")
            }
        }
    }
}

@Suite struct PredictionProperties {
    /// Any outputs, NaN and ±∞ included, give an answer among the ten digits.
    @Test func everyOutputRowHasAnAnswer() async {
        await propertyCheck(count: 1_000, input: anyFloat.array(of: 10)) { row in
            for variant in [Variant.paper, .keras] {
                let p = LeNet5(variant: variant).predictions(Tensor(shape: [1, 10], scalars: row))
                #expect(p.count == 1 && (0..<10).contains(p[0]))
            }
        }
    }
}

@Suite struct ConvolutionProperties {
    /// A convolution of any small shape (1–3 input maps, 1–9 output maps, a k×k kernel of
    /// 1–5 on maps of k to k + 15 units a side, 1–3 samples, tanh or the paper's squash)
    /// gives the reference's outputs on the fast path (shifted copies, or by position when
    /// the wide grid would keep few of its positions, or a dense product when the kernel
    /// covers its input) to 1e-5. With one input map, the maps computed in two parts, as two
    /// cores share them out, are the whole layer's bit for bit, forward and back (∂E/∂w and
    /// ∂E/∂b).
    @Test func fastConvolutionIsTheReference() async {
        await propertyCheck(
            count: 150, input: Gen.int(in: 1...3), Gen.int(in: 1...9), Gen.int(in: 1...5), Gen.uint32()
        ) { inMaps, outMaps, k, seed in
            var rng = SeededGenerator(seed: UInt64(seed) + 1)
            let h = k + Int(rng.next() % 16), w = k + Int(rng.next() % 16), n = 1 + Int(rng.next() % 3)
            let f: Activation = rng.next() % 2 == 0 ? .tanh : .squash
            var conv = Convolution(
                name: "C", table: .full(inputs: inMaps, outputs: outMaps), kernelSize: k, activation: f)
            conv.initialize(.default(for: .paper), using: &rng)
            conv.bias = Tensor(shape: [outMaps], scalars: (0..<outMaps).map { _ in rng.uniform(0.5) })
            let shape = [n, inMaps, h, w]
            let x = Tensor(shape: shape, scalars: (0..<shape.reduce(1, *)).map { _ in rng.uniform(1.2) })
            let fast = conv.forward(x, path: .fast), reference = conv.forward(x, path: .reference)
            #expect(fast.shape == reference.shape, "\(shape), k \(k), \(outMaps) maps")
            let worst = zip(fast.scalars, reference.scalars).map { abs($0 - $1) / max(1, abs($1)) }.max() ?? 0
            #expect(worst <= 1e-5, "\(shape), k \(k), \(outMaps) maps: \(worst)")
            if conv.sharesMaps && outMaps > 1 {
                let one = x.sample(0), whole = conv.forward(one, path: .fast),
                    split = 1 + Int(rng.next() % UInt64(outMaps - 1))
                var parts = Tensor(repeating: .nan, shape: whole.shape)
                let p = parts.sharedAddress()
                conv.forwardFast(one, maps: split..<outMaps, into: p)
                conv.forwardFast(one, maps: 0..<split, into: p)
                #expect(parts.scalars.map(\.bitPattern) == whole.scalars.map(\.bitPattern), "\(shape), k \(k)")
                let dy = Tensor(shape: whole.shape, scalars: (0..<whole.count).map { _ in rng.uniform(1) })
                let grads = conv.backward(input: one, output: whole, gradient: dy, path: .fast, inputGradient: false)
                var laid = Tensor(repeating: .nan, shape: [conv.weight.count + outMaps])
                let q = laid.sharedAddress()
                conv.backwardFast(maps: 0..<split, input: one, output: whole, gradient: dy, parameters: q, dx: nil)
                conv.backwardFast(
                    maps: split..<outMaps, input: one, output: whole, gradient: dy, parameters: q, dx: nil)
                let expected = grads.parameters[0].scalars + grads.parameters[1].scalars
                #expect(laid.scalars.map(\.bitPattern) == expected.map(\.bitPattern), "\(shape), k \(k)")
            }
        }
    }
}
