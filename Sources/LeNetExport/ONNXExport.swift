import Foundation
import LeNetCore
import LeNetData
import LeNetModel
import SwiftProtobuf

/// LeNet-5 as an ONNX model (opset 13) that ONNX Runtime runs and Netron draws.
///
/// The graph takes grey levels as MNIST stores them, float32 (N, 1, 28, 28) in 0…255, pads
/// them to 32×32 and scales them as the model was trained (its `InputScaling`), so a user
/// needs no preprocessing. Its output is the model's 10 outputs: the RBF penalties (paper
/// variant; the smallest wins) or the logits (keras variant), the numbers
/// `lesson eval --dump-logits` writes. Each layer is written from its `primitives`.
public enum ONNXExport {
    public static let opset: Int64 = 13
    /// ONNX's IR version 7 is the one opset 13 came with.
    public static let irVersion: Int64 = 7
    public static let inputName = "grey_levels"
    /// MNIST's images are 28×28; the graph pads them to the network's 32×32.
    public static let imageSide = 28

    /// The output's name: what the 10 numbers are.
    public static func outputName(_ net: LeNet5) -> String { net.variant == .paper ? "rbf_penalties" : "logits" }

    /// The model's protobuf bytes; `metadata` lands in the model's metadata_props.
    public static func model(_ net: LeNet5, metadata: [String: String]) throws -> Data {
        var graph = GraphBuilder()
        var x = graph.scaling(net.scaling, input: graph.input())
        for layer in net.layers {
            for (k, p) in layer.primitives.enumerated() {
                x = graph.add(p, input: x, layer: layer.name, step: k)
            }
        }
        x = graph.rename(x, to: outputName(net))

        var g = Onnx_GraphProto()
        g.name = "LeNet-5 (\(net.variant.rawValue) variant)"
        g.docString =
            "LeCun, Bottou, Bengio, Haffner 1998. Input: grey levels 0…255, (N, 1, 28, 28); the graph pads to 32×32 and scales (\(net.scaling.rawValue)). "
            + (net.variant == .paper
                ? "Output: the 10 RBF penalties; the smallest wins." : "Output: the 10 logits; the largest wins.")
        g.node = graph.nodes
        g.initializer = graph.initializers
        g.input = [
            valueInfo(inputName, dims: [.param("N"), .value(1), .value(Int64(imageSide)), .value(Int64(imageSide))])
        ]
        g.output = [valueInfo(outputName(net), dims: [.param("N"), .value(10)])]

        var m = Onnx_ModelProto()
        m.irVersion = irVersion
        m.producerName = "lenet5-lessons"
        m.producerVersion = metadata["tool"] ?? ""
        m.domain = "org.lenet5-lessons"
        m.modelVersion = 1
        m.docString = g.docString
        var standard = Onnx_OperatorSetIdProto()
        standard.domain = ""
        standard.version = opset
        m.opsetImport = [standard]
        let props = metadata.merging(["variant": net.variant.rawValue, "scaling": net.scaling.rawValue]) { _, fixed in
            fixed
        }
        m.metadataProps = props.keys.sorted().map { key in
            var e = Onnx_StringStringEntryProto()
            e.key = key
            e.value = props[key]!
            return e
        }
        m.graph = g
        return try m.serializedData()
    }

    enum Dim { case param(String), value(Int64) }

    static func valueInfo(_ name: String, dims: [Dim]) -> Onnx_ValueInfoProto {
        var shape = Onnx_TensorShapeProto()
        shape.dim = dims.map { d in
            var dim = Onnx_TensorShapeProto.Dimension()
            switch d {
            case .param(let p): dim.dimParam = p
            case .value(let v): dim.dimValue = v
            }
            return dim
        }
        var tensor = Onnx_TypeProto.Tensor()
        tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        tensor.shape = shape
        var type = Onnx_TypeProto()
        type.tensorType = tensor
        var info = Onnx_ValueInfoProto()
        info.name = name
        info.type = type
        return info
    }
}

/// Nodes and constants, named after the paper's layers ("C3/conv", "S2/coefficient").
struct GraphBuilder {
    var nodes: [Onnx_NodeProto] = []
    var initializers: [Onnx_TensorProto] = []

    /// The input, padded from 28×28 to 32×32 with grey level 0 and scaled as the model was
    /// trained: value = background + (foreground − background)·grey/255.
    mutating func input() -> String {
        let pad = (Digits.inputSize - ONNXExport.imageSide) / 2
        let pads = constant(
            "input.pads", int64: [0, 0, Int64(pad), Int64(pad), 0, 0, Int64(pad), Int64(pad)], dims: [8])
        let padded = node(
            "Pad", inputs: [ONNXExport.inputName, pads], name: "input/pad", attributes: [.string("mode", "constant")])
        return padded
    }

    mutating func scaling(_ s: InputScaling, input: String) -> String {
        let k = constant("input.scale", floats: [(s.foreground - s.background) / 255], dims: [])
        let b = constant("input.offset", floats: [s.background], dims: [])
        return node(
            "Add", inputs: [node("Mul", inputs: [input, k], name: "input/times_scale"), b], name: "input/plus_offset")
    }

    mutating func add(_ p: Primitive, input x: String, layer: String, step: Int) -> String {
        switch p {
        case .convolution(let w, let b):
            let k = Int64(w.shape[2])
            return node(
                "Conv", inputs: [x, constant("\(layer).weight", tensor: w), constant("\(layer).bias", tensor: b)],
                name: "\(layer)/conv",
                attributes: [.ints("kernel_shape", [k, k]), .ints("strides", [1, 1])])
        case .scaledSum2x2(let c, let b):
            // The 2×2 sum is 4 × the 2×2 mean; the per-map coefficient and bias broadcast over (N, C, H, W).
            let maps = c.shape[0]
            let mean = node(
                "AveragePool", inputs: [x], name: "\(layer)/mean2x2",
                attributes: [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2])])
            let four = constant("\(layer).four", floats: [4], dims: [])
            let sum = node("Mul", inputs: [mean, four], name: "\(layer)/sum2x2")
            let coefficient = constant("\(layer).coefficient", floats: c.scalars, dims: [1, Int64(maps), 1, 1])
            let bias = constant("\(layer).bias", floats: b.scalars, dims: [1, Int64(maps), 1, 1])
            return node(
                "Add", inputs: [node("Mul", inputs: [sum, coefficient], name: "\(layer)/times_coefficient"), bias],
                name: "\(layer)/plus_bias")
        case .average2x2:
            return node(
                "AveragePool", inputs: [x], name: "\(layer)/average2x2",
                attributes: [.ints("kernel_shape", [2, 2]), .ints("strides", [2, 2])])
        case .flatten:
            return node("Flatten", inputs: [x], name: "\(layer)/flatten", attributes: [.int("axis", 1)])
        case .dense(let w, let b):
            return node(
                "Gemm", inputs: [x, constant("\(layer).weight", tensor: w), constant("\(layer).bias", tensor: b)],
                name: "\(layer)/dense",
                attributes: [.int("transB", 1)])
        case .squaredDistance(let centers):
            // y_i = Σ_j (x_j − c_ij)²: (N, 1, 84) − (10, 84) → (N, 10, 84), squared, summed over j.
            let axis1 = constant("\(layer).axis1", int64: [1], dims: [1])
            let axis2 = constant("\(layer).axis2", int64: [2], dims: [1])
            let column = node("Unsqueeze", inputs: [x, axis1], name: "\(layer)/unsqueeze")
            let d = node(
                "Sub", inputs: [column, constant("\(layer).centers", tensor: centers)], name: "\(layer)/minus_codes")
            let squared = node("Mul", inputs: [d, d], name: "\(layer)/squared")
            return node("ReduceSum", inputs: [squared, axis2], name: "\(layer)/sum", attributes: [.int("keepdims", 0)])
        case .activation(let f):
            switch f {
            case .squash:
                // f(a) = A·tanh(S·a), A = 1.7159, S = 2/3 (eq. 6).
                let s = constant("\(layer).S", floats: [Activation.slope], dims: [])
                let a = constant("\(layer).A", floats: [Activation.amplitude], dims: [])
                let t = node(
                    "Tanh", inputs: [node("Mul", inputs: [x, s], name: "\(layer)/times_S")], name: "\(layer)/tanh")
                return node("Mul", inputs: [t, a], name: "\(layer)/times_A")
            case .tanh:
                return node("Tanh", inputs: [x], name: "\(layer)/tanh")
            case .identity:
                return x
            }
        }
    }

    /// Gives the last node's output the graph output's name.
    mutating func rename(_ value: String, to name: String) -> String {
        guard let i = nodes.lastIndex(where: { $0.output.contains(value) }) else { return value }
        nodes[i].output = nodes[i].output.map { $0 == value ? name : $0 }
        return name
    }

    enum Attribute {
        case int(String, Int64), ints(String, [Int64]), string(String, String)
    }

    /// Adds a node whose single output is named after it; returns that output.
    mutating func node(_ op: String, inputs: [String], name: String, attributes: [Attribute] = []) -> String {
        var n = Onnx_NodeProto()
        n.opType = op
        n.name = name
        n.input = inputs
        n.output = [name]
        n.attribute = attributes.map { a in
            var attr = Onnx_AttributeProto()
            switch a {
            case .int(let key, let v):
                attr.name = key
                attr.type = .int
                attr.i = v
            case .ints(let key, let v):
                attr.name = key
                attr.type = .ints
                attr.ints = v
            case .string(let key, let v):
                attr.name = key
                attr.type = .string
                attr.s = Data(v.utf8)
            }
            return attr
        }
        nodes.append(n)
        return name
    }

    mutating func constant(_ name: String, tensor t: Tensor) -> String {
        constant(name, floats: t.scalars, dims: t.shape.map(Int64.init))
    }

    mutating func constant(_ name: String, floats: [Float], dims: [Int64]) -> String {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.dims = dims
        t.rawData = floats.withUnsafeBufferPointer { Data(buffer: $0) }
        initializers.append(t)
        return name
    }

    mutating func constant(_ name: String, int64 values: [Int64], dims: [Int64]) -> String {
        var t = Onnx_TensorProto()
        t.name = name
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.dims = dims
        t.int64Data = values
        initializers.append(t)
        return name
    }
}
