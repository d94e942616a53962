import Foundation
import LeNetCore
import LeNetData
import LeNetModel

/// The explorer: one page, `Output/explorer/index.html`, where a reader picks a test digit or
/// draws one, sees every layer's maps from the real network, and hovers a unit to see its
/// arithmetic. The network travels as data (`network.js`: each layer's primitives and the
/// maps it reads, asked of the layer itself); `explorer.js` computes the forward pass in the
/// page, and the browser test holds it to `lesson eval --dump-logits`.
public enum Explorer {
    /// How many digits the reader can pick from.
    public static let digitCount = 12

    /// The digits a reader picks from: the lessons' digit first, then one of each other class
    /// (the embedded digits are sorted by class), then the next digits in order.
    public static func choose(from digits: Digits, first: Int) -> [Int] {
        var chosen = [first]
        for label in 0..<10 where label != Int(digits.labels[first]) {
            if let i = digits.labels.indices.first(where: { Int(digits.labels[$0]) == label }) { chosen.append(i) }
        }
        var next = first + 1
        while chosen.count < min(digitCount, digits.count), next < digits.count + first {
            let i = next % digits.count
            if !chosen.contains(i) { chosen.append(i) }
            next += 1
        }
        return Array(chosen.prefix(digitCount))
    }

    /// Writes the page, its script, style and data into `folder`; returns the page's path.
    @discardableResult
    public static func write(net: LeNet5, digits: Digits, origin: String, to folder: String) throws -> String {
        for name in ["explorer.js", "explorer.css"] {
            guard let url = Bundle.module.url(forResource: name, withExtension: nil) else {
                throw WriteError(path: folder + "/" + name, reason: "missing from the build's resources")
            }
            try AtomicFile.write(try Data(contentsOf: url), to: folder + "/" + name)
        }
        try AtomicFile.write(
            "window.LENET = " + data(net: net, digits: digits, origin: origin) + ";\n", to: folder + "/network.js")
        let page = folder + "/index.html"
        try AtomicFile.write(html, to: page)
        return page
    }

    /// The network and the digits as a JSON object.
    static func data(net: LeNet5, digits: Digits, origin: String) -> String {
        var shape = LeNet5.inputShape
        let layers = net.layers.map { layer -> String in
            let input = shape
            shape = layer.outputShape(shape)
            let ops = layer.primitives.map(operation)
            var fields = [
                "\"name\": \(quoted(layer.name))", "\"kind\": \(quoted(layer.kind))",
                "\"input\": \(input)", "\"shape\": \(shape)", "\"ops\": [\(ops.joined(separator: ", "))]",
            ]
            if let reads = layer.mapInputs { fields.append("\"reads\": \(reads)") }
            // The unit (r, c)'s field in the input is `size` pixels square at (r·jump, c·jump).
            if let first = net.inputField(of: layer.name, row: 0, column: 0) {
                let jump = net.inputField(of: layer.name, row: 1, column: 0).map { $0.row - first.row } ?? 0
                fields.append("\"field\": {\"size\": \(first.height), \"jump\": \(jump)}")
            }
            return "{" + fields.joined(separator: ", ") + "}"
        }
        let count = min(digitCount, digits.count)
        let shown = (0..<count).map { i -> String in
            let pixels = digits.pixels[(i * digits.rows * digits.columns)..<((i + 1) * digits.rows * digits.columns)]
            return
                "{\"index\": \(i), \"label\": \(digits.labels[i]), \"rows\": \(digits.rows), \"columns\": \(digits.columns), \"pixels\": [\(pixels.map(String.init).joined(separator: ","))]}"
        }
        return """
            {"variant": \(quoted(net.variant.rawValue)), "origin": \(quoted(origin)), "digitSet": \(quoted(digits.name)),
            "scaling": {"name": \(quoted(net.scaling.rawValue)), "background": \(number(net.scaling.background)), "foreground": \(number(net.scaling.foreground))},
            "inputSize": \(Digits.inputSize), "outputRule": \(quoted(net.variant == .paper ? "smallest" : "largest")),
            "layers": [\n\(layers.joined(separator: ",\n"))],
            "digits": [\n\(shown.joined(separator: ",\n"))]}
            """
    }

    static func operation(_ p: Primitive) -> String {
        switch p {
        case .convolution(let w, let b):
            return
                "{\"op\": \"convolution\", \"outputs\": \(w.shape[0]), \"inputs\": \(w.shape[1]), \"kernel\": \(w.shape[2]), \"weight\": \(numbers(w)), \"bias\": \(numbers(b))}"
        case .scaledSum2x2(let c, let b):
            return "{\"op\": \"scaledSum2x2\", \"coefficient\": \(numbers(c)), \"bias\": \(numbers(b))}"
        case .average2x2: return "{\"op\": \"average2x2\"}"
        case .flatten: return "{\"op\": \"flatten\"}"
        case .dense(let w, let b):
            return
                "{\"op\": \"dense\", \"outputs\": \(w.shape[0]), \"inputs\": \(w.shape[1]), \"weight\": \(numbers(w)), \"bias\": \(numbers(b))}"
        case .squaredDistance(let c):
            return
                "{\"op\": \"squaredDistance\", \"classes\": \(c.shape[0]), \"inputs\": \(c.shape[1]), \"centers\": \(numbers(c))}"
        case .activation(let a):
            switch a {
            case .squash:
                return
                    "{\"op\": \"squash\", \"amplitude\": \(number(Activation.amplitude)), \"slope\": \(number(Activation.slope))}"
            case .tanh: return "{\"op\": \"tanh\"}"
            case .identity: return "{\"op\": \"identity\"}"
            }
        }
    }

    /// Float32 values written so that they read back exactly (Swift's shortest round trip).
    static func number(_ v: Float) -> String { v.isFinite ? "\(v)" : "0" }
    static func numbers(_ t: Tensor) -> String { "[" + t.scalars.map(number).joined(separator: ",") + "]" }

    static func quoted(_ s: String) -> String {
        (try? JSONSerialization.data(withJSONObject: s, options: [.fragmentsAllowed, .withoutEscapingSlashes]))
            .map { String(decoding: $0, as: UTF8.self) } ?? "\"\""
    }

    static let html = """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
        <title>LeNet-5 explorer</title>
        <link rel="stylesheet" href="explorer.css">
        </head><body>
        <nav><a href="../index.html">all lessons</a></nav>
        <h1>LeNet-5 explorer</h1>
        <p class="lead">The trained network, computed in this page. Pick a test digit or draw your own, then hover
        (or tap) any unit of any map: its receptive field lights up in the maps it reads, and its arithmetic is written out.</p>
        <section id="controls">
          <div id="picker" aria-label="test digits"></div>
          <div id="pad-box">
            <canvas id="pad" width="280" height="280" aria-label="drawing pad: draw a digit"></canvas>
            <div><button id="clear" type="button">clear</button> <span id="pad-note">draw a digit here</span></div>
          </div>
          <div id="input-box"><div class="map-title">input, 32×32 (the 28×28 digit, padded)</div><div id="input"></div></div>
        </section>
        <section id="explain" aria-live="polite"><p>Hover a unit of any map below.</p></section>
        <section id="network"></section>
        <section id="answer"></section>
        <p id="origin"></p>
        <script src="network.js"></script>
        <script src="explorer.js"></script>
        </body></html>

        """
}
