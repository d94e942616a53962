import XCTest
import LeNetCore
import LeNetData
import LeNetModel
import SwiftProtobuf
@testable import LeNetExport

/// The ONNX file's structure, read back with the same generated message types.
final class ONNXExportTests: XCTestCase {
    func decode(_ net: LeNet5, metadata: [String: String] = [:]) throws -> Onnx_ModelProto {
        try Onnx_ModelProto(serializedBytes: try ONNXExport.model(net, metadata: metadata))
    }

    func testPaperGraph() throws {
        let m = try decode(
            LeNet5(variant: .paper, seed: 0), metadata: ["training_command": "lesson reproduce --seed 1"])
        XCTAssertEqual(m.opsetImport.map(\.version), [13])
        XCTAssertEqual(m.irVersion, 7)
        let props = Dictionary(uniqueKeysWithValues: m.metadataProps.map { ($0.key, $0.value) })
        XCTAssertEqual(props["variant"], "paper")
        XCTAssertEqual(props["scaling"], "paper")
        XCTAssertEqual(props["training_command"], "lesson reproduce --seed 1")
        XCTAssertEqual(m.graph.input.map(\.name), ["grey_levels"])
        XCTAssertEqual(m.graph.input[0].type.tensorType.shape.dim.map(\.dimValue), [0, 1, 28, 28])
        XCTAssertEqual(m.graph.input[0].type.tensorType.shape.dim[0].dimParam, "N")
        XCTAssertEqual(m.graph.output.map(\.name), ["rbf_penalties"])
        let ops = m.graph.node.map(\.opType)
        XCTAssertEqual(ops.filter { $0 == "Conv" }.count, 3, "C1, C3, C5")
        XCTAssertEqual(ops.filter { $0 == "Tanh" }.count, 6, "every unit up to F6 squashes: C1 S2 C3 S4 C5 F6")
        XCTAssertEqual(ops.filter { $0 == "AveragePool" }.count, 2)
        XCTAssertEqual(
            Array(ops.suffix(4)), ["Unsqueeze", "Sub", "Mul", "ReduceSum"], "the RBF: squared distances to the codes")
        XCTAssertEqual(m.graph.node.last?.output, ["rbf_penalties"])
        // Every node's inputs are the graph's input, an initializer or an earlier node's output.
        var known = Set(["grey_levels"] + m.graph.initializer.map(\.name))
        for n in m.graph.node {
            for i in n.input { XCTAssertTrue(known.contains(i), "\(n.name) reads \(i) before it exists") }
            known.formUnion(n.output)
        }
        // The padding and the scaling: grey level g becomes −0.1 + 1.275·g/255.
        let scale = try XCTUnwrap(m.graph.initializer.first { $0.name == "input.scale" })
        let offset = try XCTUnwrap(m.graph.initializer.first { $0.name == "input.offset" })
        XCTAssertEqual(scale.rawData.withUnsafeBytes { $0.load(as: Float.self) }, 1.275 / 255, accuracy: 1e-9)
        XCTAssertEqual(offset.rawData.withUnsafeBytes { $0.load(as: Float.self) }, -0.1)
        let pads = try XCTUnwrap(m.graph.initializer.first { $0.name == "input.pads" })
        XCTAssertEqual(pads.int64Data, [0, 0, 2, 2, 0, 0, 2, 2])
    }

    func testKerasGraph() throws {
        let m = try decode(LeNet5(variant: .keras, seed: 0))
        XCTAssertEqual(m.graph.output.map(\.name), ["logits"])
        let ops = m.graph.node.map(\.opType)
        XCTAssertEqual(ops.filter { $0 == "Gemm" }.count, 2, "F6 and the dense output")
        XCTAssertEqual(ops.filter { $0 == "Tanh" }.count, 4, "C1, C3, C5, F6")
        XCTAssertFalse(ops.contains("ReduceSum"))
        let props = Dictionary(uniqueKeysWithValues: m.metadataProps.map { ($0.key, $0.value) })
        XCTAssertEqual(props["scaling"], "standard")
    }
}
