import Foundation
import LeNetCore
import LeNetModel
import LeNetTraining
import XCTest

final class SafetensorsTests: XCTestCase {
    func testRoundTripKeepsEveryWeight() throws {
        for variant in Variant.allCases {
            let net = LeNet5(variant: variant, seed: 11)
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("w-\(UUID()).safetensors").path
            addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
            try Weights.save(net, to: path)
            let loaded = try Weights.load(path, variant: variant)
            XCTAssertEqual(loaded.parameters.map(\.value), net.parameters.map(\.value))
        }
    }

    func testPyTorchNamesAndShapes() throws {
        let entries = try Safetensors.decode(Weights.encode(LeNet5(variant: .keras)), file: "mem")
        let shapes = Dictionary(uniqueKeysWithValues: entries.map { ($0.name, $0.shape) })
        XCTAssertEqual(
            shapes,
            [
                "c1.weight": [6, 1, 5, 5], "c1.bias": [6], "c3.weight": [16, 6, 5, 5], "c3.bias": [16],
                "c5.weight": [120, 400], "c5.bias": [120], "f6.weight": [84, 120], "f6.bias": [84],
                "out.weight": [10, 84], "out.bias": [10],
            ])
    }

    /// A file laid out by hand from the format's spec: header length, JSON header, then data.
    func testReadsAFileBuiltFromTheSpec() throws {
        let header = #"{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"__metadata__":{"by":"hand"}}"#
        var bytes = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.utf8)
        bytes.append(contentsOf: [0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0])  // 1.0, −2.0 little-endian
        XCTAssertEqual(try Safetensors.decode(bytes, file: "f"), [.init(name: "a", shape: [2], scalars: [1, -2])])
    }

    func testAcceptsC5AsAConvolutionKernel() throws {
        let net = LeNet5(variant: .keras, seed: 2)
        let entries = net.parameters.map {
            Safetensors.Entry(name: $0.name, shape: $0.value.shape, scalars: $0.value.scalars)
        }
        XCTAssertEqual(entries.first { $0.name == "c5.weight" }?.shape, [120, 16, 5, 5])
        let loaded = try Weights.decode(Safetensors.encode(entries), file: "f", variant: .keras)
        XCTAssertEqual(loaded.parameters.map(\.value), net.parameters.map(\.value))
    }

    func testMalformedFiles() {
        let good = Weights.encode(LeNet5(variant: .paper, seed: 1))
        func error(_ data: Data, variant: Variant = .paper) -> WeightsError? {
            do { _ = try Weights.decode(data, file: "w", variant: variant); return nil } catch {
                return error as? WeightsError
            }
        }
        XCTAssertEqual(error(good.prefix(5)), .truncated("w"))
        XCTAssertEqual(
            error(good.prefix(100)),
            .headerTooLong("w", headerBytes: UInt64(good[0]) | UInt64(good[1]) << 8, fileBytes: 100))
        var notJSON = good
        notJSON[8] = UInt8(ascii: "x")
        XCTAssertEqual(error(notJSON), .headerNotJSON("w"))
        XCTAssertEqual(error(good.prefix(good.count - 4)), .offsetsOutside("w", tensor: "rbf.centers"))
        guard case .missing("w", let tensor, let hint)? = error(good, variant: .keras) else {
            return XCTFail("paper weights load as keras")
        }
        XCTAssertEqual(tensor, "out.weight")
        XCTAssertTrue(hint.contains("--variant paper"))
        let wrongShape = Safetensors.encode([
            .init(name: "c1.weight", shape: [6, 25], scalars: .init(repeating: 0, count: 150))
        ])
        XCTAssertEqual(
            error(wrongShape), .wrongShape("w", tensor: "c1.weight", expected: [6, 1, 5, 5], found: [6, 25]))
        let extra = Safetensors.encode([.init(name: "bogus", shape: [1], scalars: [0])])
        XCTAssertEqual(error(extra), .unexpected("w", tensor: "bogus"))
        let missing = Safetensors.encode([.init(name: "c1.bias", shape: [6], scalars: .init(repeating: 0, count: 6))])
        XCTAssertEqual(error(missing), .missing("w", tensor: "c1.weight", hint: ""))
    }

    func testWrongDtypeNamesTheTensor() {
        let header = #"{"c1.bias":{"dtype":"F16","shape":[6],"data_offsets":[0,12]}}"#
        var bytes = Data()
        withUnsafeBytes(of: UInt64(header.utf8.count).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: header.utf8)
        bytes.append(Data(count: 12))
        XCTAssertThrowsError(try Safetensors.decode(bytes, file: "w")) {
            XCTAssertEqual($0 as? WeightsError, .wrongDtype("w", tensor: "c1.bias", found: "F16"))
        }
    }
}
