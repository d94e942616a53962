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

    override func tearDown() {
        try? FileManager.default.removeItem(atPath: dir)
        super.tearDown()
    }

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

/// Pictures of digits prepared as MNIST's were: ink bright on dark, in a 20×20 box centred by
/// mass in 28×28, whatever the paper, the polarity and the size.
final class DigitPictureTests: XCTestCase {
    /// A 300×200 picture of a bar (a "1") 30 pixels wide and 150 tall, dark on shaded paper.
    func bar(inkOnPaper: Bool = true) -> [Double] {
        (0..<(200 * 300)).map { i in
            let (y, x) = (i / 300, i % 300)
            let ink = (25..<175).contains(y) && (200..<230).contains(x)
            let paper = 0.9 - Double(x) / 3000  // uneven light
            return inkOnPaper ? (ink ? 0.15 : paper) : (ink ? 0.85 : 1 - paper)
        }
    }

    func centreOfMass(_ p: [UInt8]) -> (y: Double, x: Double) {
        var m = 0.0, my = 0.0, mx = 0.0
        for (i, v) in p.enumerated() {
            m += Double(v)
            my += Double(v) * Double(i / 28)
            mx += Double(v) * Double(i % 28)
        }
        return (my / m, mx / m)
    }

    func testABarBecomesAnMNISTOne() throws {
        let d = try DigitPicture(brightness: bar(), width: 300, height: 200, name: "bar")
        let inkRows = (0..<28).filter { r in (0..<28).contains { d.pixels[r * 28 + $0] > 0 } }
        let inkColumns = (0..<28).filter { c in (0..<28).contains { d.pixels[$0 * 28 + c] > 0 } }
        XCTAssertEqual(inkRows.count, 20, "the long side fills the 20-pixel box")
        XCTAssertEqual(inkColumns.count, 4, "150:30 kept as 20:4")
        let (y, x) = centreOfMass(d.pixels)
        XCTAssertEqual(y, 13.5, accuracy: 0.5)
        XCTAssertEqual(x, 13.5, accuracy: 0.5)
        XCTAssertEqual(d.pixels.max(), 255, "ink stretched to the full range")
        XCTAssertEqual(d.pixels.filter { $0 > 0 }.count, 80, "the paper's shade is gone")
        XCTAssertTrue(d.steps.contains { $0.hasPrefix("inverted") }, "\(d.steps)")
    }

    func testLightInkOnDarkGivesTheSameDigit() throws {
        let dark = try DigitPicture(brightness: bar(), width: 300, height: 200, name: "dark")
        let light = try DigitPicture(brightness: bar(inkOnPaper: false), width: 300, height: 200, name: "light")
        XCTAssertEqual(dark.pixels, light.pixels)
        XCTAssertTrue(light.steps.contains { $0.hasPrefix("kept") }, "\(light.steps)")
    }

    func testBlankAndUnreadablePicturesAreRefused() throws {
        XCTAssertThrowsError(
            try DigitPicture(brightness: [Double](repeating: 0.8, count: 100), width: 10, height: 10, name: "flat")
        ) { XCTAssertEqual($0 as? DigitPictureError, .blank("flat")) }
        let notPNG = FileManager.default.temporaryDirectory.appendingPathComponent("not-\(UUID()).png").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: notPNG) }
        try Data("not a png".utf8).write(to: URL(fileURLWithPath: notPNG))
        XCTAssertThrowsError(try DigitPicture(png: notPNG)) {
            XCTAssertTrue("\($0)".hasPrefix("\(notPNG): cannot read as a PNG picture"), "\($0)")
        }
        XCTAssertThrowsError(try DigitPicture(png: "/no/such.png")) { XCTAssertTrue("\($0)".contains("no such file")) }
    }
}
