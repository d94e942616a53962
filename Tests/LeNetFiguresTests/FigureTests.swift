import Foundation
#if canImport(FoundationXML)
    import FoundationXML
#endif
import LeNetFigures
import XCTest

/// One example of every figure type.
enum Examples {
    static let ramp = (0..<25).map { Float($0 - 12) / 12 }

    static var all: [(name: String, figure: any Figure)] {
        var kernels = ImageGrid(
            title: "Kernels", subtitle: "blue negative, red positive",
            tiles: (0..<6).map { .init(caption: "C1 map \($0)", values: ramp, rows: 5, columns: 5) }
                + [.init(caption: "none", values: nil, rows: 5, columns: 5)],
            columns: 4, scale: .shared(.diverging(maxAbs: 1)), colorBarLabel: "weight")
        kernels.tileSize = 80
        var chart = LineChart(
            title: "Error rate", xLabel: "epoch", yLabel: "error",
            series: [
                .init(name: "train", points: (1...20).map { (Double($0), 0.2 / Double($0)) }),
                .init(
                    name: "validation", points: (1...20).map { (Double($0), 0.25 / Double($0) + 0.01) }, dashed: true),
            ])
        chart.logY = true
        chart.percentY = true
        chart.reference = .init(value: 0.0095, label: "paper: 0.95%")
        var bars = BarChart(
            title: "Output", xLabel: "class", yLabel: "penalty", values: (0..<10).map { Double($0 * $0) },
            labels: (0..<10).map(String.init))
        bars.highlighted = 0
        bars.highlightNote = "winner"
        let heat = HeatMap(
            title: "Confusion", cells: (0..<10).map { r in (0..<10).map { Double(r == $0 ? 90 : $0) } },
            rowLabels: (0..<10).map(String.init), columnLabels: (0..<10).map(String.init), rowAxis: "true",
            columnAxis: "predicted")
        let arch = ArchitectureDiagram(
            title: "LeNet-5",
            stages: [
                .init(name: "input", shape: [1, 32, 32], note: ""),
                .init(name: "C1", shape: [6, 28, 28], note: "conv"),
                .init(name: "F6", shape: [84], note: "full"),
            ], highlighted: "C1")
        return [("grid", kernels), ("line", chart), ("bar", bars), ("heat", heat), ("arch", arch)]
    }
}

final class FigureTests: XCTestCase {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("figures-\(UUID())").path

    func testEveryTypeRendersToPNGSVGAndPDF() throws {
        for (name, figure) in Examples.all {
            for format in FigureFormat.allCases {
                let path = "\(dir)/\(name).\(format.rawValue)"
                try figure.write(to: path)
                let data = try XCTUnwrap(FileManager.default.contents(atPath: path))
                switch format {
                case .png:
                    // PNG signature, then the IHDR chunk's width and height (big-endian).
                    XCTAssertEqual(Array(data.prefix(8)), [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])
                    XCTAssertEqual(Self.bigEndian(data, 16), Int(figure.size.width.rounded(.up)))
                    XCTAssertEqual(Self.bigEndian(data, 20), Int(figure.size.height.rounded(.up)))
                case .svg:
                    let parser = XMLParser(data: data)
                    XCTAssertTrue(parser.parse(), "\(name).svg is not well-formed XML")
                    XCTAssertTrue(String(decoding: data, as: UTF8.self).contains("<title>\(figure.title)</title>"))
                case .pdf:
                    XCTAssertEqual(String(decoding: data.prefix(5), as: UTF8.self), "%PDF-")
                }
            }
        }
    }

    func testScaleTwoDoublesThePixels() throws {
        let figure = Examples.all[2].figure
        try figure.write(to: "\(dir)/big.png", scale: 2)
        let data = try XCTUnwrap(FileManager.default.contents(atPath: "\(dir)/big.png"))
        XCTAssertEqual(Self.bigEndian(data, 16), Int((figure.size.width * 2).rounded(.up)))
    }

    func testSVGIsByteIdenticalAcrossRenders() throws {
        for (name, figure) in Examples.all {
            try figure.write(to: "\(dir)/a-\(name).svg")
            try figure.write(to: "\(dir)/b-\(name).svg")
            XCTAssertEqual(
                FileManager.default.contents(atPath: "\(dir)/a-\(name).svg"),
                FileManager.default.contents(atPath: "\(dir)/b-\(name).svg"), name)
        }
    }

    func testUnknownFormatAndUnwritableFolderAreErrors() {
        XCTAssertThrowsError(try Examples.all[0].figure.write(to: "\(dir)/x.gif")) {
            XCTAssertTrue("\($0)".contains("unknown figure format"))
        }
        XCTAssertThrowsError(try Examples.all[0].figure.write(to: "/proc/nope/x.png"))
    }

    func testColorMaps() {
        let d = ColorMap.diverging(maxAbs: 2)
        XCTAssertEqual(d.color(0), .white)
        XCTAssertEqual(d.color(-2), Color(hex: 0x2166ac))
        XCTAssertEqual(d.color(2), Color(hex: 0xb2182b))
        XCTAssertEqual(d.color(-5), d.color(-2))  // clamped
        let g = ColorMap.grayscale(low: -0.1, high: 1.175)
        XCTAssertEqual(g.color(-0.1), .white)
        XCTAssertEqual(g.color(1.175), .black)
    }

    func testTicks() {
        XCTAssertEqual(Ticks.nice(0, 1, count: 5), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(Ticks.nice(1, 20, count: 8), [5, 10, 15, 20])
        XCTAssertEqual(Ticks.logarithmic(0.001, 0.1), [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1])
        XCTAssertEqual(Ticks.label(0.0095, percent: true), "0.95%")
    }

    static func bigEndian(_ d: Data, _ at: Int) -> Int {
        d[d.startIndex + at..<d.startIndex + at + 4].reduce(0) { $0 << 8 | Int($1) }
    }
}
