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
            // A unit's field on the input grows by (k − 1)·jump through a k×k layer, and the
            // distance between neighbouring units (jump) multiplies by the stride.
            var t = TextTable(
                headers: ["layer", "unit sees (input pixels)", "neighbours are apart by"],
                alignments: [.left, .right, .right])
            var field = 1, jump = 1
            for layer in ctx.net.layers {
                switch layer {
                case let c as Convolution: field += (c.kernelSize - 1) * jump
                case is Subsampling: field += (Subsampling.window - 1) * jump; jump *= Subsampling.window
                default: continue
                }
                t.add([layer.name, "\(field)×\(field)", "\(jump)"])
            }
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
