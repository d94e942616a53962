import LeNetReports
import LeNetCore
import LeNetFigures
import LeNetModel

extension Cells {
    static let lesson6: [String: Cell] = [
        "f6-vs-codes": { ctx in
            let f6 = ctx.output(of: "F6").scalars
            let codes = RBFCodes.matrix
            let w = RBFCodes.width, h = RBFCodes.height
            let distances = (0..<codes.shape[0]).map { i in
                zip(f6, codes.scalars[i * 84..<(i + 1) * 84]).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
            }
            let nearest = distances.indices.min { distances[$0] < distances[$1] }!
            var tiles = [ImageGrid.Tile(caption: "F6 output", values: f6, rows: h, columns: w, highlighted: true)]
            tiles += (0..<codes.shape[0]).map { i in
                ImageGrid.Tile(
                    caption: "\(i): \(Cells.value(distances[i], 1))",
                    values: Array(codes.scalars[i * 84..<(i + 1) * 84]),
                    rows: h, columns: w, highlighted: i == nearest)
            }
            try ctx.save(
                ImageGrid(
                    title: "F6's 84 outputs as a 7×12 image, beside the 10 RBF codes",
                    subtitle: "under each code: its class and squared distance from F6's output; the nearest is framed",
                    tiles: tiles, columns: 11, scale: .shared(.diverging(maxAbs: Activation.amplitude)),
                    colorBarLabel: "value", tileSize: 64), as: "f6-vs-codes")
            return
                "For \(ctx.sampleName) (\(ctx.labelText)), F6's output is nearest the code of \(nearest) (squared distance \(Cells.value(distances[nearest], 2)))."
        },
        "f6-counts": { ctx in
            let f6 = ctx.layer("F6", as: FullyConnected.self)
            return """
                F6 has \(f6.outputs) units because the RBF codes are \(RBFCodes.width)×\(RBFCodes.height) bitmaps.
                Parameters: \(f6.outputs) × (\(f6.inputs) + 1) = \(Format.count(f6.trainableParameterCount)); connections the same.
                """
        },
    ]
}
