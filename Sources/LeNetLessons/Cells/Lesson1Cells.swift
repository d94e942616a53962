import LeNetReports
import LeNetCore
import LeNetData
import LeNetFigures
import LeNetModel

extension Cells {
    static let lesson1: [String: Cell] = [
        "input-digit": { ctx in
            let stored = ctx.digits.image(ctx.sample).map { Float($0) }
            let fed = ctx.input.map(0, 0)
            // Where the centres of C3's receptive fields fall in the input, from the model.
            let c3 = ctx.output(of: "C3").shape
            let first = ctx.net.inputField(of: "C3", row: 0, column: 0)
            let last = ctx.net.inputField(of: "C3", row: c3[2] - 1, column: c3[3] - 1)
            let centres = first.flatMap { f in
                last.map { l -> (row: Int, column: Int, size: Int) in
                    // Centres at row + (height − 1)/2; the box is the pixels they fall on.
                    let low = f.row + (f.height - 1) / 2, high = l.row + f.height / 2
                    return (low, low, high - low + 1)
                }
            }
            try ctx.save(
                ImageGrid(
                    title: "\(ctx.SampleName) (\(ctx.labelText)): stored and fed",
                    subtitle:
                        "white = background, black = ink; orange: the digit's 28×28, dashed: where C3's fields are centred",
                    tiles: [
                        .init(
                            caption: "stored: \(ctx.digits.rows)×\(ctx.digits.columns)", values: stored,
                            rows: ctx.digits.rows, columns: ctx.digits.columns),
                        {
                            var t = ImageGrid.Tile(
                                caption: "fed: 32×32",
                                values: fed, rows: 32, columns: 32,
                                box: ((32 - ctx.digits.rows) / 2, (32 - ctx.digits.columns) / 2, ctx.digits.rows))
                            t.dashedBox = centres
                            return t
                        }(),
                    ],
                    columns: 2, scale: .perTile, tileSize: 224), as: "input")
            let scaling = ctx.net.scaling
            return """
                \(ctx.picture.map { "\(ctx.SampleName), \(ctx.labelText); prepared as MNIST's digits were: \($0.preparation.joined(separator: "; "))." } ?? "\(ctx.SampleName) of \(ctx.digits.name) (\(ctx.splits.source)), label \(ctx.sampleLabel).")
                Stored as \(ctx.digits.rows)×\(ctx.digits.columns) grey levels 0…255; fed as \(Format.shape(Array(ctx.input.shape.dropFirst()))) \
                with values \(Cells.value(fed.min()!, 3))…\(Cells.value(fed.max()!, 3)) (background \(Cells.value(scaling.background, 4)), ink \(Cells.value(scaling.foreground, 4))), padded by \((32 - ctx.digits.rows) / 2) pixels on each side.
                \(centres.map { c in "The dashed square: the centres of C3's receptive fields (each \(first!.height)×\(first!.width) input pixels) fall on its \(c.size)×\(c.size) pixels, rows and columns \(c.row)–\(c.row + c.size - 1); so a stroke end anywhere there can sit at the centre of some C3 unit's field." } ?? "")
                """
        },
        "seed-classes": { ctx in
            // Each layer is asked what it computes (its primitives, as the exporters use them);
            // that decides which of the seed's classes it plays.
            var table = TextTable(
                headers: ["layer", "type here", "seed's class", "stored tensors", "forward computes"],
                alignments: [.left, .left, .left, .left, .left])
            for layer in ctx.net.layers {
                let steps = layer.primitives.map(Cells.primitiveName)
                let role =
                    layer.primitives.contains { if case .convolution = $0 { true } else { false } }
                    ? "ConvLayer"
                    : layer.primitives.contains {
                        switch $0 {
                        case .scaledSum2x2, .average2x2: true
                        default: false
                        }
                    }
                        ? "PoolLayer"
                        : layer.primitives.contains { if case .squaredDistance = $0 { true } else { false } }
                            ? "OutputLayer"
                            : "FullyConnectedLayer"
                table.add([
                    layer.name, String(describing: type(of: layer)), role,
                    layer.parameters.map { "\($0.name) \(Format.shape($0.value.shape))" }.joined(separator: ", "),
                    steps.joined(separator: " → "),
                ])
            }
            return """
                The seed's LeNet5 holds lists of ConvLayer, PoolLayer and FullyConnectedLayer plus an OutputLayer, each with forward(input). Here LeNet5 holds one list of \(ctx.net.layers.count) layers, all of one protocol, Layer:
                \(table.rendered)
                Layer asks more of each layer than forward: backward (each lesson's derivative by hand), its curvature for SDLM, its parameter and connection counts (checked against the paper at the end of each lesson), and its primitives, the list above, from which the ONNX export and the explorer are built.
                Two differences from the diagram: the paper's pooling layers have a coefficient and a bias to learn, where the seed's PoolLayer has none, and its output layer is a layer of RBF units whose codes are fixed here, not a weighted layer.
                """
        },
        "input-statistics": { ctx in
            guard let train = ctx.splits.train else { return "No training digits loaded." }
            let count = min(train.count, 2_000)
            let t = train.batch(Array(0..<count), scaling: ctx.net.scaling)
            let mean = t.scalars.reduce(0, +) / Float(t.count)
            let variance = t.scalars.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Float(t.count)
            // The share of the 32×32 field a digit inks (grey level/255), which sets the variance.
            let ink =
                (0..<count).reduce(0.0) { sum, i in sum + train.image(i).reduce(0.0) { $0 + Double($1) / 255 } }
                / Double(count * 32 * 32)
            return """
                Over the first \(Format.count(count)) training digits, fed as 32×32: mean \(Cells.value(mean)), variance \(Cells.value(variance)).
                The paper says −0.1 and 1.175 give a mean of roughly 0 and a variance of roughly 1. The mean holds; the variance does not, by a factor of \(Cells.value(1 / variance, 0)).
                Why: a digit inks only \(Cells.value(Float(100 * ink), 0))% of the padded field (counting grey as part ink); the rest sits at −0.1. With two levels 1.275 apart and ink share p, the variance is at most 1.275²·p(1 − p) = \(Cells.value(Float(1.275 * 1.275 * ink * (1 - ink)), 2)) (grey edge pixels make it smaller): far below 1.
                """
        },
        "c1-kernels": { ctx in
            let c1 = ctx.layer("C1", as: Convolution.self)
            let tiles = (0..<c1.table.outputMaps).map { o in
                ImageGrid.Tile(
                    caption: "C1 kernel \(o)", values: Array(c1.weight.scalars[o * 25..<(o + 1) * 25]), rows: 5,
                    columns: 5)
            }
            try ctx.save(
                ImageGrid(
                    title: "C1: the \(tiles.count) trained 5×5 kernels",
                    subtitle: "red: positive weight, blue: negative",
                    tiles: tiles, columns: 6, scale: .shared(.diverging(maxAbs: c1.weight.maxAbs)),
                    colorBarLabel: "weight", tileSize: 100),
                as: "c1-kernels")
            return "C1's kernels after training; biases: "
                + c1.bias.scalars.map { Cells.value($0) }.joined(separator: ", ")
        },
        "c1-maps": { ctx in
            try Cells.featureMaps(
                ctx, layer: "C1", title: "feature maps", subtitle: "squashed outputs, white = −1.7159, black = +1.7159",
                columns: 6, tileSize: 110)
        },
        "c1-receptive-field": { ctx in
            let c1 = ctx.layer("C1", as: Convolution.self)
            let maps = ctx.output(of: "C1")
            // The unit of map 0 that responds most.
            let map0 = maps.map(0, 0)
            let strongest = map0.indices.max { map0[$0] < map0[$1] }!
            let (r, c) = (strongest / maps.shape[3], strongest % maps.shape[3])
            var a = c1.bias.scalars[0]
            for u in 0..<5 { for v in 0..<5 { a += c1.weight[0, 0, u, v] * ctx.input[0, 0, r + u, c + v] } }
            try ctx.save(
                ImageGrid(
                    title: "The receptive field of C1 map 0, unit (\(r), \(c))",
                    subtitle: "the 5×5 input pixels this one unit sees; every unit of the map uses the same 25 weights",
                    tiles: [
                        .init(
                            caption: "input, 32×32", values: ctx.input.map(0, 0), rows: 32, columns: 32, box: (r, c, 5)),
                        .init(
                            caption: "C1 map 0, 28×28", values: maps.map(0, 0), rows: 28, columns: 28, box: (r, c, 1)),
                    ],
                    columns: 2, scale: .perTile, tileSize: 224), as: "c1-receptive-field")
            return """
                Unit (\(r), \(c)) of C1 map 0, by hand: a = b + Σ w·x over its 5×5 field = \(Cells.value(a, 4)); \
                f(a) = 1.7159·tanh(2a/3) = \(Cells.value(Activation.squash(a), 4)).
                The layer computed \(Cells.value(maps[0, 0, r, c], 4)) for the same unit.
                """
        },
        "c1-counts": { ctx in
            let c1 = ctx.layer("C1", as: Convolution.self)
            let out = ctx.output(of: "C1")
            let positions = out.shape[2] * out.shape[3]
            return """
                Parameters: \(c1.table.outputMaps) maps × (\(c1.fanIn(0)) weights + 1 bias) = \(Format.count(c1.trainableParameterCount)).
                Connections: \(positions) positions × \(Format.count(c1.trainableParameterCount)) = \(Format.count(c1.connections(input: Array(ctx.input.shape.dropFirst())))).
                Each weight is shared by the \(positions) units of its map: \(positions) connections per parameter. That is weight sharing:
                the same feature detector is applied everywhere on the image.
                """
        },
    ]
}
