import LeNetReports
import LeNetCore
import LeNetFigures
import LeNetModel

extension Cells {
    static let lesson3: [String: Cell] = [
        "c3-health": { ctx in
            let h = ctx.health
            var chart = BarChart(
                title: "C3: how much each map learned", xLabel: "C3 map",
                yLabel: "kernel norm √(Σ w²)", values: h.c3.map { Double($0.kernelNorm) },
                labels: h.c3.map { "\($0.index)" })
            chart.subtitle =
                h.deadMaps.isEmpty
                ? "no dead map: no kernel norm or S4 coefficient under \(Int(100 * UnitHealth.deadShare))% of the median"
                : "dead: map \(h.deadMaps.map(String.init).joined(separator: ", ")) (norm or S4 coefficient under \(Int(100 * UnitHealth.deadShare))% of the median)"
            try ctx.save(chart, as: "c3-health")
            let rows = h.c3.map { m in
                "map \(m.index): norm \(Cells.value(m.kernelNorm, 2))"
                    + (m.coefficient.map { ", S4 coefficient \(Cells.value($0, 3))" } ?? "")
                    + (m.dead ? "  ← dead" : "")
            }
            let verdict =
                h.deadMaps.isEmpty
                ? "No C3 map is dead here: each has kernels and an S4 coefficient of the same order as the others."
                : "\(h.deadMaps.count) of \(h.c3.count) maps learned almost nothing: broken symmetry makes different features possible, it does not guarantee them."
            return rows.joined(separator: "\n") + "\n" + verdict
        },
        "table-i": { ctx in
            let table = ctx.layer("C3", as: Convolution.self).table
            var heat = HeatMap(
                title: "Table I: which S2 maps feed each C3 map",
                cells: (0..<table.inputMaps).map { i in
                    (0..<table.outputMaps).map { table.connects(output: $0, input: i) ? 1 : 0 }
                },
                rowLabels: (0..<table.inputMaps).map(String.init),
                columnLabels: (0..<table.outputMaps).map(String.init),
                rowAxis: "S2 map", columnAxis: "C3 map")
            heat.annotations = (0..<table.inputMaps).map { i in
                (0..<table.outputMaps).map { table.connects(output: $0, input: i) ? "X" : "" }
            }
            heat.colorBarLabel = nil
            heat.subtitle = "read from the model's C3 layer"
            try ctx.save(heat, as: "table-i")
            let groups = Dictionary(grouping: 0..<table.outputMaps) { table.inputs[$0].count }
            return groups.keys.sorted().map {
                "C3 maps reading \($0) S2 maps: \(groups[$0]!.map(String.init).joined(separator: ", "))"
            }.joined(separator: "\n")
                + "\nConnected (C3, S2) pairs: \(table.connectedPairs) of \(table.outputMaps * table.inputMaps)."
        },
        "c3-kernels": { ctx in
            let c3 = ctx.layer("C3", as: Convolution.self)
            let k = c3.kernelSize
            var tiles: [ImageGrid.Tile] = []
            for i in 0..<c3.table.inputMaps {
                for o in 0..<c3.table.outputMaps {
                    let start = (o * c3.table.inputMaps + i) * k * k
                    tiles.append(
                        .init(
                            caption: "",
                            values: c3.table.connects(output: o, input: i)
                                ? Array(c3.weight.scalars[start..<start + k * k]) : nil, rows: k, columns: k))
                }
            }
            var grid = ImageGrid(
                title: "C3: the 5×5 kernels, S2 map (row) × C3 map (column)",
                subtitle: "grey cells: no connection in Table I",
                tiles: tiles, columns: c3.table.outputMaps, scale: .shared(.diverging(maxAbs: c3.weight.maxAbs)),
                colorBarLabel: "weight", tileSize: 46)
            grid.columnHeaders = (0..<c3.table.outputMaps).map(String.init)
            grid.rowHeaders = (0..<c3.table.inputMaps).map { "S2 \($0)" }
            try ctx.save(grid, as: "c3-kernels")
            return
                "\(c3.table.connectedPairs) kernels of \(k)×\(k); \(c3.table.outputMaps * c3.table.inputMaps - c3.table.connectedPairs) cells stay empty."
        },
        "c3-maps": { ctx in
            try Cells.featureMaps(
                ctx, layer: "C3", title: "feature maps", subtitle: "each combines a different subset of S2's maps",
                columns: 8, tileSize: 90)
        },
        "c3-counts": { ctx in
            let c3 = ctx.layer("C3", as: Convolution.self)
            let full = Convolution(
                name: "C3", table: .full(inputs: c3.table.inputMaps, outputs: c3.table.outputMaps),
                kernelSize: c3.kernelSize, activation: c3.activation)
            let inShape = Array(ctx.output(of: "S2").shape.dropFirst())
            let lines = Dictionary(grouping: 0..<c3.table.outputMaps) { c3.table.inputs[$0].count }.sorted {
                $0.key < $1.key
            }.map { inputs, maps in
                "  \(maps.count) \(maps.count == 1 ? "map" : "maps") × (\(inputs) × 25 + 1) = \(maps.count * (inputs * 25 + 1))"
            }
            return """
                Parameters with Table I:
                \(lines.joined(separator: "\n"))
                  total \(Format.count(c3.trainableParameterCount)); connections \(Format.count(c3.connections(input: inShape))) (100 positions each).
                With every S2 map feeding every C3 map: \(Format.count(full.trainableParameterCount)) parameters, \(Format.count(full.connections(input: inShape))) connections.
                Table I saves \(Format.count(full.trainableParameterCount - c3.trainableParameterCount)) parameters, and by giving each map a different input set it
                breaks the symmetry between maps, so they are pushed to learn different features.
                """
        },
    ]
}
