import LeNetReports
import LeNetCore
import LeNetFigures
import LeNetModel

extension Cells {
    static let lesson4: [String: Cell] = [
        "s4-maps": { ctx in
            try Cells.featureMaps(
                ctx, layer: "S4", title: "maps", subtitle: "the last maps with a spatial layout", columns: 8,
                tileSize: 90)
        },
        "receptive-fields": { ctx in
            // Each layer is asked which input pixels one of its units depends on
            // (`LeNet5.inputField`, from the layers' primitives); neighbours' fields are
            // `jump` pixels apart.
            var t = TextTable(
                headers: ["layer", "unit sees (input pixels)", "neighbours are apart by"],
                alignments: [.left, .right, .right])
            var tiles: [ImageGrid.Tile] = []
            let input = ctx.input.map(0, 0)
            for layer in ctx.net.layers {
                let shape = ctx.output(of: layer.name).shape
                guard shape.count == 4, let first = ctx.net.inputField(of: layer.name, row: 0, column: 0) else {
                    continue
                }
                let jump = shape[2] > 1 ? (ctx.net.inputField(of: layer.name, row: 1, column: 0)?.row ?? 0) : 0
                t.add([layer.name, "\(first.height)×\(first.width)", shape[2] > 1 ? "\(jump)" : "–"])
                // The unit at the middle of the layer's map, and its field on the digit.
                let (r, c) = (shape[2] / 2, shape[3] / 2)
                if let f = ctx.net.inputField(of: layer.name, row: r, column: c), shape[2] > 1 {
                    tiles.append(
                        .init(
                            caption: "\(layer.name) unit (\(r), \(c)): \(f.height)×\(f.width)", values: input, rows: 32,
                            columns: 32, box: (f.row, f.column, f.height)))
                }
            }
            try ctx.save(
                ImageGrid(
                    title: "What one unit sees, layer by layer",
                    subtitle: "the input pixels a unit in the middle of each layer's map depends on (orange box)",
                    tiles: tiles, columns: tiles.count, scale: .perTile, tileSize: 180),
                as: "receptive-fields")
            return "How much of the 32×32 input one unit sees, computed from the layers:\n" + t.rendered
        },
        "s4-counts": { ctx in
            let s4 = ctx.layer("S4", as: Subsampling.self)
            let inShape = Array(ctx.output(of: "C3").shape.dropFirst()), out = s4.outputShape(inShape)
            return """
                Parameters: \(s4.maps) maps × 2 = \(s4.trainableParameterCount).
                Connections: \(out[0]) × \(out[1]) × \(out[2]) units × 5 = \(Format.count(s4.connections(input: inShape))).
                """
        },
    ]
}
