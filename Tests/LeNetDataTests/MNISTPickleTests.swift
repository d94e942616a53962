import Foundation
import LeNetData
import XCTest

/// The PyPI fallback's readers: a zip member (stored and deflated) and the numpy pickle of
/// mnist.pkl.gz, on small archives built here opcode by opcode.
final class MNISTPickleTests: XCTestCase {
    /// A protocol-2 pickle of ((images, labels), (images, labels), (images, labels)) laid out
    /// as numpy writes it: _reconstruct, then BUILD with (1, shape, dtype, False, raw bytes).
    static func pickle(parts: [(images: [[Float]], labels: [Int])]) -> [UInt8] {
        var out: [UInt8] = [0x80, 2]
        func global(_ module: String, _ name: String) { out += [0x63] + Array("\(module)\n\(name)\n".utf8) }
        func short(_ s: String) { out += [0x55, UInt8(s.utf8.count)] + Array(s.utf8) }
        func int(_ v: Int) {
            if v < 256 { out += [0x4b, UInt8(v)] } else { out += [0x4d, UInt8(v & 255), UInt8(v >> 8)] }
        }
        func array(shape: [Int], type: String, bytes: [UInt8]) {
            global("numpy.core.multiarray", "_reconstruct")
            // _reconstruct(ndarray, (0,), b"b")
            global("numpy", "ndarray"); int(0); out += [0x85]; short("b"); out += [0x87, 0x52]
            out += [0x28]; int(1); for d in shape { int(d) }; out += shape.count == 1 ? [0x85] : [0x86]
            global("numpy", "dtype"); short(type); int(0); int(1); out += [0x87, 0x52]  // dtype(type, 0, 1)
            out += [0x28]; int(3); short("<");
            out += [0x4e, 0x4e, 0x4e, 0x4a, 255, 255, 255, 255, 0x4a, 255, 255, 255, 255]; int(0); out += [0x74, 0x62]
            let n = bytes.count
            out += [0x89, 0x54, UInt8(n & 255), UInt8(n >> 8 & 255), UInt8(n >> 16 & 255), UInt8(n >> 24)] + bytes
            out += [0x74, 0x62]
        }
        for part in parts {
            array(
                shape: [part.images.count, 784], type: "f4",
                bytes: part.images.flatMap {
                    $0.flatMap { v in withUnsafeBytes(of: v.bitPattern.littleEndian, Array.init) }
                })
            array(
                shape: [part.labels.count], type: "i8",
                bytes: part.labels.flatMap { withUnsafeBytes(of: Int64($0).littleEndian, Array.init) })
            out += [0x86]
        }
        out += [0x87, 0x2e]
        return out
    }

    func testPickleBecomesIDXWithGreyLevelsRoundTimes256() throws {
        let pixel: (Int) -> [Float] = { level in (0..<784).map { $0 == 0 ? Float(level) / 256 : 0 } }
        let bytes = Self.pickle(parts: [
            (images: [pixel(255), pixel(1)], labels: [7, 2]),
            (images: [pixel(128)], labels: [9]),
            (images: [pixel(3), pixel(0)], labels: [0, 5]),
        ])
        let files = try MNISTPickle.idxFiles(bytes)
        let trainImages = try IDX.images(from: try XCTUnwrap(files["train-images-idx3-ubyte"]), file: "train")
        XCTAssertEqual(trainImages.count, 3, "the first two parts, in order")
        XCTAssertEqual([0, 1, 2].map { trainImages.pixels[$0 * 784] }, [255, 1, 128])
        XCTAssertEqual(try IDX.labels(from: try XCTUnwrap(files["train-labels-idx1-ubyte"]), file: "l"), [7, 2, 9])
        XCTAssertEqual(try IDX.labels(from: try XCTUnwrap(files["t10k-labels-idx1-ubyte"]), file: "l"), [0, 5])
        let test = try IDX.images(from: try XCTUnwrap(files["t10k-images-idx3-ubyte"]), file: "test")
        XCTAssertEqual(test.pixels[0], 3)
        XCTAssertEqual(test.rows, 28)
    }

    func testMalformedPicklesAreRefused() {
        let good = Self.pickle(parts: [([], []), ([], []), ([], [])])
        XCTAssertNoThrow(try MNISTPickle.arrays(good))
        XCTAssertThrowsError(try MNISTPickle.arrays(Array(good.prefix(good.count / 2))))  // truncated
        XCTAssertThrowsError(try MNISTPickle.arrays([0x80, 2, 0x7d, 0x2e]))  // a dict: not understood
        XCTAssertThrowsError(try MNISTPickle.idxFiles([0x80, 2, 0x4e, 0x2e]))  // no arrays
        var outOfRange = Self.pickle(parts: [([(0..<784).map { _ in 2 }], [1]), ([], []), ([], [])])
        XCTAssertThrowsError(try MNISTPickle.idxFiles(outOfRange))  // grey level 512
        outOfRange = Self.pickle(parts: [([], [12]), ([], []), ([], [])])
        XCTAssertThrowsError(try MNISTPickle.idxFiles(outOfRange))  // label 12
    }

    /// A zip built by Python's zipfile, one member stored and one deflated.
    func testZipMembers() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("zip-\(UUID())").path
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = [
            "python3", "-c",
            """
            import zipfile
            with zipfile.ZipFile('\(dir)/w.whl', 'w') as z:
                z.writestr(zipfile.ZipInfo('a/stored.txt'), b'hello ' * 3)
                z.writestr('mnist/data/mnist.pkl.gz', b'LeNet-5 ' * 1000, compress_type=zipfile.ZIP_DEFLATED)
            """,
        ]
        try p.run()
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0, "python3 builds the zip")
        let zip = [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/w.whl")))
        XCTAssertEqual(try MNISTPickle.unzip(zip, member: "a/stored.txt"), Array("hello hello hello ".utf8))
        XCTAssertEqual(
            try MNISTPickle.unzip(zip, member: MNISTPickle.member),
            Array(String(repeating: "LeNet-5 ", count: 1000).utf8))
        XCTAssertThrowsError(try MNISTPickle.unzip(zip, member: "missing")) {
            XCTAssertEqual($0 as? MNISTPickle.Failure, .notInWheel("missing"))
        }
        XCTAssertThrowsError(try MNISTPickle.unzip(Array(zip.prefix(40)), member: MNISTPickle.member))
    }
}
