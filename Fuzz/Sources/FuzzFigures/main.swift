import Foundation
import FuzzSupport
import LeNetFigures

/// The fuzz target: any bytes as the numbers of a figure (Float32 bit patterns, so NaN, ±∞
/// and 3e38 come often) and its shape: every chart draws to PNG bytes or throws, never traps.
let fuzz: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt = { start, count in
    guard let start, count >= 2 else { return 0 }
    let columns = Int(start[0] % 8) + 1
    let values = stride(from: 1, to: count - 3, by: 4).map { i in
        Float(
            bitPattern: UInt32(start[i]) | UInt32(start[i + 1]) << 8 | UInt32(start[i + 2]) << 16 | UInt32(start[i + 3])
                << 24)
    }
    guard !values.isEmpty, values.count <= 256 else { return 0 }
    let d = values.map(Double.init)
    let rows = (d.count + columns - 1) / columns
    let cells = (0..<rows).map { r in (0..<columns).map { c in r * columns + c < d.count ? d[r * columns + c] : 0 } }
    let figures: [any Figure] = [
        HeatMap(
            title: "cells", cells: cells, rowLabels: (0..<rows).map(String.init),
            columnLabels: (0..<columns).map(String.init), rowAxis: "row", columnAxis: "column"),
        BarChart(title: "bars", xLabel: "x", yLabel: "y", values: d, labels: d.indices.map(String.init)),
        LineChart(
            title: "lines", xLabel: "x", yLabel: "y",
            series: [.init(name: "s", points: d.enumerated().map { (Double($0), $1) })]),
        ImageGrid(
            title: "grid", tiles: [.init(caption: "t", values: values, rows: rows, columns: columns)], columns: 1,
            scale: .perTile),
    ]
    for f in figures { _ = try? f.rendered(format: .png) }
    return 0
}

runFuzzer(fuzz)
