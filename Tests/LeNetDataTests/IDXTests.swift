import Foundation
import LeNetData
import XCTest

extension XCTestCase {
    /// Writes bytes to a fresh temporary file, which goes when the test ends, and returns its path.
    func temporaryFile(_ bytes: [UInt8], name: String = "file") -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("lenet-tests-\(UUID().uuidString)")
        try! FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(name).path
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }
}

/// ../shared beside the checkout, found from this source file's location.
let sharedData = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent().appendingPathComponent("shared/data/mnist-t10k").path

final class IDXTests: XCTestCase {
    let twoImages: [UInt8] = IDX.encode(magic: IDX.imagesMagic, dimensions: [2, 2, 3], payload: Array(0..<12))

    func testReadsImagesAsWritten() throws {
        let images = try IDX.readImages(at: temporaryFile(twoImages))
        XCTAssertEqual(images.count, 2)
        XCTAssertEqual(images.rows, 2)
        XCTAssertEqual(images.columns, 3)
        XCTAssertEqual(images.pixels, Array(0..<12))
    }

    func testReadsLabels() throws {
        let labels = try IDX.readLabels(
            at: temporaryFile(IDX.encode(magic: IDX.labelsMagic, dimensions: [3], payload: [7, 0, 9])))
        XCTAssertEqual(labels, [7, 0, 9])
    }

    func testMissingFile() {
        XCTAssertThrowsError(try IDX.readImages(at: "/nonexistent/x-idx3-ubyte")) {
            XCTAssertEqual($0 as? IDXError, .missing("/nonexistent/x-idx3-ubyte"))
        }
    }

    func testEmptyFile() {
        let path = temporaryFile([])
        XCTAssertThrowsError(try IDX.readImages(at: path)) {
            XCTAssertEqual($0 as? IDXError, .tooShort(path, bytes: 0))
        }
    }

    func testWrongMagic() {
        // A labels file where images are expected.
        let path = temporaryFile(IDX.encode(magic: IDX.labelsMagic, dimensions: [1, 1, 1], payload: [0]))
        XCTAssertThrowsError(try IDX.readImages(at: path)) {
            XCTAssertEqual($0 as? IDXError, .wrongMagic(path, found: IDX.labelsMagic, expected: IDX.imagesMagic))
            XCTAssertTrue("\($0)".contains("0x801"))
        }
    }

    func testTruncatedFile() {
        let path = temporaryFile(Array(twoImages.dropLast(5)))
        XCTAssertThrowsError(try IDX.readImages(at: path)) {
            XCTAssertEqual($0 as? IDXError, .wrongLength(path, expected: 28, found: 23))
        }
    }

    func testHeaderClaimingBillionsOfImages() {
        let path = temporaryFile(
            IDX.encode(magic: IDX.imagesMagic, dimensions: [4_000_000_000, 28, 28], payload: [1, 2, 3]))
        XCTAssertThrowsError(try IDX.readImages(at: path)) {
            guard case .wrongLength(path, _, 19)? = $0 as? IDXError else { return XCTFail("\($0)") }
        }
    }

    func testLabelOutOfRange() {
        let path = temporaryFile(IDX.encode(magic: IDX.labelsMagic, dimensions: [3], payload: [1, 12, 3]))
        XCTAssertThrowsError(try IDX.readLabels(at: path)) {
            XCTAssertEqual($0 as? IDXError, .labelOutOfRange(path, index: 1, label: 12))
        }
    }

    func testImageAndLabelCountsMustAgree() {
        let images = temporaryFile(twoImages)
        let labels = temporaryFile(IDX.encode(magic: IDX.labelsMagic, dimensions: [3], payload: [1, 2, 3]))
        XCTAssertThrowsError(try Digits(name: "t", images: images, labels: labels)) {
            XCTAssertEqual(
                $0 as? IDXError, .countMismatch(images: images, imageCount: 2, labels: labels, labelCount: 3))
        }
    }

    func testCorruptGzip() throws {
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: sharedData + "/t10k-labels-idx1-ubyte.gz")))
        let path = temporaryFile(Array(good.prefix(good.count / 2)))
        XCTAssertThrowsError(try IDX.readLabels(at: path)) { XCTAssertEqual($0 as? IDXError, .corruptGzip(path)) }
    }

    func testErrorsNameTheFile() {
        let path = temporaryFile([1, 2])
        XCTAssertThrowsError(try IDX.readLabels(at: path)) { XCTAssertTrue("\($0)".hasPrefix(path)) }
    }

    /// A data set of no digits, or of 0×0 digits, is refused when read.
    func testDegenerateDataSetsAreRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("degenerate-\(UUID())").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        func write(images: Int, rows: Int, columns: Int) throws -> (String, String) {
            let i = IDX.encode(
                magic: IDX.imagesMagic, dimensions: [images, rows, columns],
                payload: [UInt8](repeating: 0, count: images * rows * columns))
            let l = IDX.encode(
                magic: IDX.labelsMagic, dimensions: [images], payload: [UInt8](repeating: 0, count: images))
            try Data(i).write(to: URL(fileURLWithPath: dir + "/i"))
            try Data(l).write(to: URL(fileURLWithPath: dir + "/l"))
            return (dir + "/i", dir + "/l")
        }
        var (i, l) = try write(images: 0, rows: 28, columns: 28)
        XCTAssertThrowsError(try Digits(name: "x", images: i, labels: l)) {
            XCTAssertEqual($0 as? IDXError, .noImages(i))
        }
        (i, l) = try write(images: 3, rows: 0, columns: 0)
        XCTAssertThrowsError(try Digits(name: "x", images: i, labels: l)) {
            XCTAssertEqual($0 as? IDXError, .emptyImages(i, rows: 0, columns: 0))
        }
    }

    /// A gzip bomb: a header promising 10 digits, then 64 MB of zeros, compressed to about
    /// 64 KB. Inflation stops at the promised 7,856 bytes instead of filling memory.
    func testInflationStopsAtTheSizeTheHeaderPromises() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bomb-\(UUID())").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let plain = IDX.encode(
            magic: IDX.imagesMagic, dimensions: [10, 28, 28], payload: [UInt8](repeating: 0, count: 64 << 20))
        try Data(plain).write(to: URL(fileURLWithPath: dir + "/bomb"))
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-9", dir + "/bomb"]
        try gzip.run()
        gzip.waitUntilExit()
        let compressed = try Data(contentsOf: URL(fileURLWithPath: dir + "/bomb.gz"))
        XCTAssertLessThan(compressed.count, 200_000)
        XCTAssertThrowsError(try IDX.inflated(compressed, file: "bomb.gz")) {
            XCTAssertEqual($0 as? IDXError, .inflatesTooLarge("bomb.gz", promised: 16 + 10 * 28 * 28))
        }
        // The real test set still inflates whole.
        let real = try Data(contentsOf: URL(fileURLWithPath: sharedData + "/t10k-images-idx3-ubyte.gz"))
        XCTAssertEqual(try IDX.inflated(real, file: "t10k").count, 16 + 10_000 * 784)
    }
}
