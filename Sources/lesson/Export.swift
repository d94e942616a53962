import ArgumentParser
import Foundation
import LeNetCore
import LeNetData
import LeNetExport
import LeNetModel
import LeNetTraining

extension InputScaling: ExpressibleByArgument {}

/// `lesson export --onnx F.onnx`: the network as an ONNX model for ONNX Runtime and Netron.
struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write LeNet-5 as an ONNX model (opset 13): grey levels 0…255 in, the variant's 10 outputs out.")

    @Option(help: "The ONNX file to write.")
    var onnx: String
    @Option(help: "Which LeNet-5: paper (1998) or keras (the usual tutorial's).")
    var variant: Variant = .paper
    @Option(help: "Weights to export (safetensors); default: the variant's shipped full-MNIST weights.")
    var weights: String?
    @Option(help: "The inputs the weights were trained on, for files that do not record it: paper, standard or unit.")
    var scaling: InputScaling?

    func validate() throws {
        guard onnx.hasSuffix(".onnx") else { throw OptionError("--onnx must name a .onnx file, not \(onnx)") }
    }

    func run() throws {
        try OutputPaths.check(outputs: [("--onnx", onnx)], inputs: weights.map { [("--weights", $0)] } ?? [])
        let chosen = try ChosenWeights(weights, variant: variant, scaling: scaling)
        let (net, metadata) = (chosen.net, chosen.metadata)
        var props = ["tool": "lenet5-lessons \(Provenance.toolVersion)", "exported_by": exportCommand]
        if let command = metadata["command"] { props["training_command"] = command }
        if let errors = metadata["test_errors"].flatMap(Int.init),
            let count = metadata["test_digits"].flatMap(Int.init), count > 0
        {
            props["test_error"] = ErrorRate(errors: errors, count: count).described
        }
        if let data = metadata["data"] { props["training_data"] = data }
        try AtomicFile.write(try ONNXExport.model(net, metadata: props), to: onnx)
        print("weights: \(chosen.origin)")
        print(chosen.scalingLine)
        print(
            "ONNX written: \(onnx)  (opset \(ONNXExport.opset); input \(ONNXExport.inputName) float32 [N, 1, 28, 28] grey levels 0…255; "
                + "output \(ONNXExport.outputName(net)) [N, 10])")
    }

    var exportCommand: String {
        "lesson export --onnx \(onnx) --variant \(variant.rawValue)" + (weights.map { " --weights \($0)" } ?? "")
            + (scaling.map { " --scaling \($0.rawValue)" } ?? "")
    }
}
