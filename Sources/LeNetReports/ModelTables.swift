import Foundation
import LeNetModel

/// The tables `lesson verify` and `lesson summary` print, built from a `ModelReport`.
public enum ModelTables {
    /// Layer, shape, parameters and connections beside the paper's figures, ✓/✗ per cell.
    /// With `only`, just that layer's row: a lesson's closing check.
    public static func verification(_ report: ModelReport, only: String? = nil) -> TextTable {
        var t = TextTable(
            headers: ["layer", "output", "paper", "", "parameters", "paper", "", "connections", "paper", ""],
            alignments: [.left, .left, .left, .left, .right, .right, .left, .right, .right, .left])
        if only == nil {
            t.add([
                "input", Format.shape(report.inputShape), Format.shape(PaperFacts.inputShape),
                Format.mark(report.inputShape == PaperFacts.inputShape), "", "", "", "", "", "",
            ])
        }
        for l in report.layers where only == nil || l.name == only {
            let paperParams = l.paper.map { $0.trainableParameters.map(Format.count) ?? "fixed" } ?? ""
            t.add([
                l.name, Format.shape(l.shape), l.paper.map { Format.shape($0.shape) } ?? "",
                Format.mark(l.shapeMatches),
                l.trainableParameters == 0 && l.paper?.trainableParameters == nil && l.paper != nil
                    ? "fixed" : Format.count(l.trainableParameters),
                paperParams, Format.mark(l.parametersMatch),
                Format.count(l.connections), l.paper.map { Format.count($0.connections) } ?? "",
                Format.mark(l.connectionsMatch),
            ])
        }
        guard only == nil else { return t }
        let paper = report.variant == .paper
        t.add([
            "total", "", "", "",
            Format.count(report.totalTrainableParameters),
            paper ? Format.count(PaperFacts.totalTrainableParameters) : "",
            paper ? Format.mark(report.totalTrainableParameters == PaperFacts.totalTrainableParameters) : "",
            Format.count(report.totalConnections), paper ? Format.count(PaperFacts.totalConnections) : "",
            paper ? Format.mark(report.totalConnections == PaperFacts.totalConnections) : "",
        ])
        return t
    }

    /// Keras/torchinfo style: shape, parameters, multiply-adds, activation memory.
    public static func summary(_ report: ModelReport) -> TextTable {
        var t = TextTable(
            headers: ["layer", "kind", "output", "parameters", "multiply-adds", "activations (KiB)"],
            alignments: [.left, .left, .left, .right, .right, .right])
        t.add(["input", "", Format.shape(report.inputShape), "0", "0", kib(report.inputShape.reduce(1, *))])
        for l in report.layers {
            t.add([
                l.name, l.kind, Format.shape(l.shape), Format.count(l.trainableParameters),
                Format.count(l.multiplyAdds), kib(l.activations),
            ])
        }
        t.add([
            "total", "", "", Format.count(report.totalTrainableParameters), Format.count(report.totalMultiplyAdds),
            kib(report.totalActivations),
        ])
        return t
    }

    /// The summary as JSON, one object per layer plus totals.
    public static func summaryJSON(_ report: ModelReport) -> String {
        let layers: [[String: Any]] = report.layers.map {
            [
                "name": $0.name, "kind": $0.kind, "shape": $0.shape, "parameters": $0.trainableParameters,
                "connections": $0.connections, "multiply_adds": $0.multiplyAdds, "activation_bytes": $0.activations * 4,
            ]
        }
        let object: [String: Any] = [
            "variant": report.variant.rawValue, "input": report.inputShape, "layers": layers,
            "total_parameters": report.totalTrainableParameters, "total_connections": report.totalConnections,
            "total_multiply_adds": report.totalMultiplyAdds, "total_activation_bytes": report.totalActivations * 4,
        ]
        let data = try! JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    /// Where and why the keras variant's parameter count differs from the paper's, layer by
    /// layer, both computed from the models.
    public static func kerasDifferences(keras: ModelReport, paper: ModelReport) -> String {
        var lines = [
            "The keras variant has \(Format.count(keras.totalTrainableParameters)) trainable parameters; the paper's LeNet-5 has \(Format.count(paper.totalTrainableParameters)):"
        ]
        var terms: [String] = []
        for (k, p) in zip(keras.layers, paper.layers) where k.trainableParameters != p.trainableParameters {
            let change = k.trainableParameters - p.trainableParameters
            lines.append(
                "  \(k.name): \(Format.count(p.trainableParameters)) → \(Format.count(k.trainableParameters)) (\(change > 0 ? "+" : "−")\(Format.count(abs(change))))  \(PaperFacts.kerasChanges[k.name] ?? "")"
            )
            terms.append((change > 0 ? "+ " : "− ") + Format.count(abs(change)))
        }
        lines.append(
            "  \(Format.count(paper.totalTrainableParameters)) \(terms.joined(separator: " ")) = \(Format.count(keras.totalTrainableParameters))"
        )
        return lines.joined(separator: "\n")
    }

    private static func kib(_ floats: Int) -> String { String(format: "%.1f", Double(floats * 4) / 1024) }
}
